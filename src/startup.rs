//! Start-up checks that run before Rocket: each failure is one line that names the cause and
//! what to change, instead of "launch fairing(s) failed" and follow-up noise.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::config::{Backend, Config};

/// Check the configuration, the data dir and the database before anything starts.
/// `Err` is the one line to print (without the `academy: ` prefix).
pub async fn preflight(figment: &Figment) -> Result<(), String> {
    let config: Config = figment
        .extract()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    let backend = config.backend()?;
    // A missing or short secret is a configuration mistake: say so before reaching anything.
    // (Embedded mode without one generates it later, in the data dir.)
    if config.jwt_secret.is_some() || backend == Backend::Postgres {
        crate::config::jwt_secret(&config, backend)?;
    }
    check_data_dir(&config.data_dir)?;
    let timeout = Duration::from_secs(config.database_connect_timeout_seconds.max(1));
    let url = config.database_url();
    match backend {
        Backend::Postgres => check_postgres(&url, timeout).await,
        Backend::Sqlite => check_sqlite(&url, timeout).await,
    }
}

/// The data dir must be a folder (created when missing).
pub fn check_data_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!(
            "the data dir {shown} is a file, not a folder: set ACADEMY_DATA_DIR to a folder \
             (it is created when missing) or move the file away"
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "cannot create the data dir {shown}: {}: set ACADEMY_DATA_DIR to a folder \
                     this user may write",
                    io_reason(&e)
                )
            })
        }
        Err(e) => Err(format!(
            "cannot read the data dir {shown}: {}: set ACADEMY_DATA_DIR to a folder this \
             user may write",
            io_reason(&e)
        )),
    }
}

async fn check_postgres(url: &str, timeout: Duration) -> Result<(), String> {
    let options = PgConnectOptions::from_str(url).map_err(|e| {
        format!("ACADEMY_DATABASE_URL is not a valid PostgreSQL URL ({e}): e.g. postgres://user:password@host:5432/academy")
    })?;
    let at = format!("{}:{}", options.get_host(), options.get_port());
    match tokio::time::timeout(timeout, options.connect()).await {
        Err(_) => Err(format!(
            "no answer from the PostgreSQL server at {at} within {} s: check the host and port \
             in ACADEMY_DATABASE_URL, or raise ACADEMY_DATABASE_CONNECT_TIMEOUT_SECONDS",
            timeout.as_secs()
        )),
        Ok(Err(sqlx::Error::Io(e))) => Err(format!(
            "cannot reach the PostgreSQL server at {at} ({}): start it, or fix the host and port \
             in ACADEMY_DATABASE_URL",
            io_reason(&e)
        )),
        Ok(Err(sqlx::Error::Database(e))) => Err(format!(
            "the PostgreSQL server at {at} refused the connection: {}: check the user, password \
             and database name in ACADEMY_DATABASE_URL",
            e.message()
        )),
        Ok(Err(e)) => Err(format!(
            "cannot connect to the PostgreSQL server at {at}: {e}: check ACADEMY_DATABASE_URL"
        )),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
    }
}

async fn check_sqlite(url: &str, timeout: Duration) -> Result<(), String> {
    crate::db::ensure_sqlite_folder(url)
        .map_err(|e| format!("{e}: check ACADEMY_DATABASE_URL and ACADEMY_DATA_DIR"))?;
    let options = SqliteConnectOptions::from_str(url).map_err(|e| {
        format!("ACADEMY_DATABASE_URL is not a valid SQLite URL ({e}): e.g. sqlite://data/academy.db?mode=rwc")
    })?;
    let file = options.get_filename().display().to_string();
    match tokio::time::timeout(timeout, options.connect()).await {
        Err(_) => Err(format!(
            "the SQLite database {file} did not open within {} s (locked by another program?)",
            timeout.as_secs()
        )),
        Ok(Err(e)) => Err(format!(
            "cannot open the SQLite database {file}: {}: check ACADEMY_DATABASE_URL and \
             ACADEMY_DATA_DIR",
            match &e {
                sqlx::Error::Database(d) => d.message().to_string(),
                other => other.to_string(),
            }
        )),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
    }
}

/// "connection refused" rather than "Connection refused (os error 111)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_reasons_are_short() {
        let e = std::io::Error::from_raw_os_error(111);
        assert_eq!(io_reason(&e), "connection refused");
    }

    #[test]
    fn a_data_dir_that_is_a_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data");
        std::fs::write(&file, "x").unwrap();
        let err = check_data_dir(&file).unwrap_err();
        assert!(err.starts_with(&format!("the data dir {} is a file", file.display())));
        let missing = dir.path().join("new/data");
        check_data_dir(&missing).unwrap();
        assert!(missing.is_dir());
    }
}
