//! Typed settings: `Rocket.toml`, `ROCKET_*` and `ACADEMY_*` environment variables.
//!
//! Every setting has a default that serves the embedded mode (SQLite file and folder store
//! under `data/`). Secrets are wrapped in [`Secret`] so they never show up in `Debug` output.

use std::path::{Path, PathBuf};

use rocket::figment::providers::{Env, Format, Toml};
use rocket::figment::Figment;
use serde::Deserialize;

/// A string that must never be printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `sqlite:` or `postgres:` URL; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Pool size per process; by default [`default_pool_size`] of the backend.
    pub database_max_connections: Option<u32>,
    /// Connections each process opens at start-up and keeps open (at most the pool size); by
    /// default the whole pool, so that a burst after a quiet hour finds them open.
    pub database_min_connections: Option<u32>,
    pub data_dir: PathBuf,
    pub courses_dir: PathBuf,
    pub static_dir: PathBuf,
    pub public_url: String,
    pub jwt_secret: Option<Secret>,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    /// Seconds after a refresh token was rotated during which the browser's session cookie may
    /// present it again without closing the session (two tabs refreshing at once): that
    /// request gets an access token only. 0: every second use is reuse. Scripts (the token in
    /// the JSON body) never get a grace.
    pub refresh_grace_seconds: i64,
    /// Import `courses_dir` at start-up.
    pub import_on_start: bool,
    /// `text` or `json`.
    pub log_format: String,
    /// Networks allowed to read `/metrics` (addresses or CIDR, e.g. `127.0.0.1`, `10.0.0.0/8`).
    pub metrics_allow: crate::net::Networks,
    /// Proxies whose `X-Forwarded-For` / `X-Real-IP` headers are believed (CIDR list; empty:
    /// the client address is always the TCP peer).
    pub trusted_proxies: crate::net::Networks,
    /// Minimum notice before a slot starts for a learner to book it.
    pub booking_min_notice_hours: i64,
    /// Maximum number of future active bookings per learner.
    pub booking_max_per_learner: i64,
    /// Learners may cancel until this many hours before the start.
    pub booking_cancel_cutoff_hours: i64,
    /// Largest material upload, in MiB.
    pub upload_limit_mib: u64,
    /// Requests to `/api/verify/*` per minute and client address.
    pub verify_rate_per_minute: u32,
    pub s3_bucket: Option<String>,
    pub s3_endpoint: Option<String>,
    /// Endpoint used in presigned URLs when browsers reach S3 at another address.
    pub s3_public_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key: Option<Secret>,
    pub s3_secret_key: Option<Secret>,
    pub s3_path_style: bool,
    pub presign_seconds: u32,
    /// Refuse to start when the object store cannot be reached (false: start anyway and answer
    /// 503 on storage routes until it is back).
    pub storage_required: bool,
    /// argon2 computations at once (0: one per core); the rest queue.
    pub password_hash_concurrency: usize,
    /// How long a login may wait for a free hashing thread before a 503.
    pub password_hash_queue_seconds: u64,
    /// How long start-up waits for the database to answer before giving up.
    pub database_connect_timeout_seconds: u64,
    /// Seconds to wait for a TCP connection to the S3 endpoint.
    pub s3_connect_timeout_seconds: f64,
    /// Seconds one S3 request may take (a multipart upload: each of its requests).
    pub s3_request_timeout_seconds: f64,
    /// Seconds a `/health` answer about the object store is reused (0: ask every time).
    pub storage_health_cache_seconds: f64,
    /// Seconds between two sweeps of half-written uploads and deletions (across processes).
    pub storage_sweep_interval_seconds: u64,
    /// A material row still `pending` or `deleting` after this many seconds is swept.
    pub storage_sweep_pending_after_seconds: u64,
    /// An incomplete multipart upload older than this many seconds is aborted.
    pub storage_sweep_multipart_after_seconds: u64,
    /// Failed sign-ins per account before each further one locks it (growing delays).
    pub login_account_failures: i64,
    /// Failed sign-ins per client address before each further one locks it.
    pub login_client_failures: i64,
    /// The first sign-in lock, in seconds; each further failure doubles it.
    pub login_lock_seconds: i64,
    /// The longest sign-in lock, in seconds.
    pub login_max_lock_seconds: i64,
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host:465`; unset: messages are written as `.eml` files under
    /// `<data_dir>/outbox/`.
    pub smtp_url: Option<Secret>,
    /// The sender of every message.
    pub mail_from: String,
    /// How often the mail worker looks for due messages.
    pub mail_poll_milliseconds: u64,
    /// The first retry of a failed send waits this long; each further one twice as long.
    pub mail_retry_seconds: i64,
    /// Tries before a message is marked `failed`.
    pub mail_max_attempts: i64,
    /// A password reset link expires after this many minutes.
    pub password_reset_minutes: i64,
    /// An invitation link expires after this many days.
    pub invitation_days: i64,
    /// How often (seconds) one process looks for sessions to remind people of (and for weekly
    /// digests due).
    pub reminder_interval_seconds: u64,
    /// Mail coordinators the weekly digest (Monday from 08:00 in their zone); `false` turns
    /// the job off for the whole deployment.
    pub weekly_digest: bool,
    /// How long a slot is held for the first learner on its waitlist before it passes to the
    /// next (minutes; a hold also ends by the booking notice before the session).
    pub waitlist_hold_minutes: i64,
    /// The LRS statements go to (`http://127.0.0.1:8100/xAPI/`); unset: no xAPI.
    pub xapi_endpoint: Option<String>,
    /// HTTP basic auth of the LRS.
    pub xapi_username: Option<String>,
    pub xapi_password: Option<Secret>,
    /// Send learners' names and email addresses to the LRS (otherwise `user-<id>` only).
    pub xapi_share_identity: bool,
    /// The folder of the Open Badges signing keys (Ed25519 PEM files; the last by name signs,
    /// all are published); default `<data_dir>/credential-keys`, a key made when empty.
    pub credential_keys_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            database_max_connections: None,
            database_min_connections: None,
            data_dir: PathBuf::from("data"),
            courses_dir: PathBuf::from("courses"),
            static_dir: PathBuf::from("static"),
            public_url: "http://127.0.0.1:8000".into(),
            jwt_secret: None,
            access_token_minutes: 15,
            refresh_token_days: 30,
            refresh_grace_seconds: 10,
            import_on_start: true,
            log_format: "text".into(),
            metrics_allow: crate::net::Networks::parse(&["127.0.0.1", "::1"]).unwrap_or_default(),
            trusted_proxies: crate::net::Networks::default(),
            booking_min_notice_hours: 2,
            booking_max_per_learner: 3,
            booking_cancel_cutoff_hours: 24,
            upload_limit_mib: 100,
            verify_rate_per_minute: 30,
            s3_bucket: None,
            s3_endpoint: None,
            s3_public_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key: None,
            s3_secret_key: None,
            s3_path_style: true,
            presign_seconds: 300,
            storage_required: true,
            password_hash_concurrency: 0,
            password_hash_queue_seconds: 10,
            database_connect_timeout_seconds: 5,
            s3_connect_timeout_seconds: 2.0,
            s3_request_timeout_seconds: 10.0,
            storage_health_cache_seconds: 5.0,
            storage_sweep_interval_seconds: 600,
            storage_sweep_pending_after_seconds: 3600,
            storage_sweep_multipart_after_seconds: 86_400,
            login_account_failures: 5,
            login_client_failures: 20,
            login_lock_seconds: 1,
            login_max_lock_seconds: 900,
            smtp_url: None,
            mail_from: "IberoBio Academy <no-reply@iberobio.example>".into(),
            mail_poll_milliseconds: 1000,
            mail_retry_seconds: 30,
            mail_max_attempts: 8,
            password_reset_minutes: 30,
            invitation_days: 7,
            reminder_interval_seconds: 60,
            weekly_digest: true,
            waitlist_hold_minutes: 120,
            xapi_endpoint: None,
            xapi_username: None,
            xapi_password: None,
            xapi_share_identity: false,
            credential_keys_dir: None,
        }
    }
}

/// The pool size per process when none is configured.
///
/// SQLite: few connections. Each connection keeps its own page cache, which SQLite empties
/// whenever another connection has written since its last read; with many connections and a
/// steady stream of writes (quiz attempts), every statement reads its pages again, and the
/// writers queue on SQLite's one write lock by sleeping and retrying. A handful keeps reads
/// concurrent (a report does not hold up the pages) and gave about 1.5x the quiz throughput
/// of 16 (BENCHMARKS.md, "Quiz attempts"). PostgreSQL: each connection is a server process,
/// and the pool keeps them all open (`database_min_connections`). With the database on the
/// same 2 cores, 8 answered 200 learners at once 1.1 to 1.2x faster than 16, but the
/// certificate list and the completions report under 32 concurrent requests 0.7 to 0.85x as
/// fast (BENCHMARKS.md, session 15): 16 stays, for a database with cores of its own.
pub fn default_pool_size(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => SQLITE_DEFAULT_POOL,
        Backend::Postgres => POSTGRES_DEFAULT_POOL,
    }
}

/// See [`default_pool_size`].
pub const SQLITE_DEFAULT_POOL: u32 = 4;

/// See [`default_pool_size`].
pub const POSTGRES_DEFAULT_POOL: u32 = 16;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Config {
    /// The configuration the `academy` command reads: Rocket's own sources plus `ACADEMY_*`.
    pub fn figment() -> Figment {
        rocket::Config::figment()
            .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
            .merge(
                Env::prefixed("ACADEMY_")
                    .ignore(&["TEST_DATABASE_URL"])
                    .global(),
            )
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("academy.db").display()
            ),
        }
    }

    pub fn backend(&self) -> Result<Backend, String> {
        backend_of(&self.database_url())
    }

    /// The pool size per process: the configured one, else the backend's default.
    pub fn database_max_connections(&self) -> u32 {
        self.database_max_connections
            .unwrap_or_else(|| default_pool_size(self.backend().unwrap_or(Backend::Sqlite)))
    }

    /// Connections kept open per process: the configured number (at most the pool size), else
    /// the whole pool.
    pub fn database_min_connections(&self) -> u32 {
        let max = self.database_max_connections();
        self.database_min_connections.unwrap_or(max).min(max)
    }

    pub fn public_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    pub fn data_path(&self, name: &str) -> PathBuf {
        self.data_dir.join(name)
    }

    /// Where the credential signing keys are.
    pub fn credential_keys_dir(&self) -> PathBuf {
        match &self.credential_keys_dir {
            Some(dir) if !dir.as_os_str().is_empty() => dir.clone(),
            _ => self.data_path("credential-keys"),
        }
    }

    pub fn s3_configured(&self) -> bool {
        self.s3_bucket.as_deref().is_some_and(|b| !b.is_empty())
    }
}

pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(format!(
            "unsupported database URL scheme {scheme:?}: ACADEMY_DATABASE_URL must start with \
             `sqlite:` (e.g. sqlite://data/academy.db?mode=rwc) or `postgres:` \
             (e.g. postgres://user@host:5432/academy)"
        ))
    }
}

/// The JWT signing secret: configured, or (embedded mode only) generated once into the data folder.
pub fn jwt_secret(config: &Config, backend: Backend) -> Result<Secret, String> {
    if let Some(secret) = &config.jwt_secret {
        if secret.expose().len() < 32 {
            return Err("ACADEMY_JWT_SECRET must be at least 32 characters long".into());
        }
        return Ok(secret.clone());
    }
    if backend == Backend::Postgres {
        return Err(
            "ACADEMY_JWT_SECRET is required with PostgreSQL: every academy process \
                    behind the load balancer must sign tokens with the same secret \
                    (generate one with `openssl rand -hex 32`)"
                .into(),
        );
    }
    let path = config.data_path("jwt-secret");
    read_or_create_secret(&path).map_err(|e| format!("JWT secret file {}: {e}", path.display()))
}

fn read_or_create_secret(path: &Path) -> std::io::Result<Secret> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 {
            return Ok(Secret(existing));
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let secret = crate::crypto::random_token(48);
    write_owner_only(path, &secret)?;
    Ok(Secret(secret))
}

#[cfg(unix)]
pub(crate) fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
pub(crate) fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scheme_is_refused_with_the_accepted_ones() {
        let err = backend_of("mysql://x").unwrap_err();
        assert!(
            err.contains("sqlite:") && err.contains("postgres:"),
            "{err}"
        );
        assert_eq!(backend_of("sqlite://a.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://h/db").unwrap(), Backend::Postgres);
    }

    #[test]
    fn secrets_are_hidden_in_debug() {
        let c = Config {
            jwt_secret: Some(Secret("super-secret-value".into())),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("super-secret-value"));
    }

    #[test]
    fn postgres_requires_a_configured_secret() {
        let c = Config::default();
        assert!(jwt_secret(&c, Backend::Postgres)
            .unwrap_err()
            .contains("ACADEMY_JWT_SECRET"));
    }

    #[test]
    fn the_pool_size_defaults_by_backend_and_a_configured_one_wins() {
        let sqlite = Config::default();
        assert_eq!(sqlite.database_max_connections(), SQLITE_DEFAULT_POOL);
        let postgres = Config {
            database_url: Some("postgres://h/db".into()),
            ..Config::default()
        };
        assert_eq!(postgres.database_max_connections(), POSTGRES_DEFAULT_POOL);
        let set = Config {
            database_max_connections: Some(7),
            ..Config::default()
        };
        assert_eq!(set.database_max_connections(), 7);
    }

    #[test]
    fn the_whole_pool_is_kept_open_unless_fewer_are_configured() {
        let postgres = Config {
            database_url: Some("postgres://h/db".into()),
            ..Config::default()
        };
        assert_eq!(postgres.database_min_connections(), POSTGRES_DEFAULT_POOL);
        let fewer = Config {
            database_min_connections: Some(2),
            ..postgres.clone()
        };
        assert_eq!(fewer.database_min_connections(), 2);
        let more_than_the_pool = Config {
            database_max_connections: Some(3),
            database_min_connections: Some(9),
            ..postgres
        };
        assert_eq!(more_than_the_pool.database_min_connections(), 3);
    }
}
