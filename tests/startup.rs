//! Start-up failures of the real `academy` binary print one line on stderr that names
//! the cause and what to change, exit non-zero, and do it quickly.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const JWT: &str = "startup-test-secret-startup-test-secret-01";

struct Run {
    code: Option<i32>,
    stderr_lines: Vec<String>,
    took: Duration,
}

fn run(dir: &Path, env: &[(&str, &str)]) -> Run {
    run_with_secret(dir, Some(JWT), env)
}

fn run_with_secret(dir: &Path, secret: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_academy"));
    cmd.env_clear();
    if let Some(secret) = secret {
        cmd.env("ACADEMY_JWT_SECRET", secret);
    }
    cmd.current_dir(dir)
        .env("ACADEMY_COURSES_DIR", dir)
        .env("ROCKET_PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let out = cmd.output().expect("run academy");
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    Run {
        code: out.status.code(),
        stderr_lines: stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        took,
    }
}

#[track_caller]
fn assert_one_line(r: &Run, line: &str, within: Duration) {
    assert_eq!(r.stderr_lines, vec![line.to_string()], "stderr");
    assert_eq!(r.code, Some(1), "exit code");
    assert!(r.took < within, "took {:?}", r.took);
}

#[test]
fn an_unreachable_postgresql_server_is_named_with_its_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, note it, close it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://academy:pw@127.0.0.1:{port}/academy");
    let r = run(dir.path(), &[("ACADEMY_DATABASE_URL", &url)]);
    assert_one_line(
        &r,
        &format!(
            "academy: cannot reach the PostgreSQL server at 127.0.0.1:{port} (connection refused): \
             start it, or fix the host and port in ACADEMY_DATABASE_URL"
        ),
        Duration::from_secs(5),
    );
}

#[test]
fn a_postgresql_server_that_never_answers_times_out_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts TCP connections (the kernel does) but never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("postgres://academy:pw@127.0.0.1:{port}/academy");
    let r = run(
        dir.path(),
        &[
            ("ACADEMY_DATABASE_URL", &url),
            ("ACADEMY_DATABASE_CONNECT_TIMEOUT_SECONDS", "2"),
        ],
    );
    assert_one_line(
        &r,
        &format!(
            "academy: no answer from the PostgreSQL server at 127.0.0.1:{port} within 2 s: check \
             the host and port in ACADEMY_DATABASE_URL, or raise \
             ACADEMY_DATABASE_CONNECT_TIMEOUT_SECONDS"
        ),
        Duration::from_secs(4),
    );
    assert!(r.took >= Duration::from_secs(2), "took {:?}", r.took);
    drop(silent);
}

#[test]
fn a_data_dir_that_is_a_file_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "not a folder").unwrap();
    let r = run(dir.path(), &[("ACADEMY_DATA_DIR", file.to_str().unwrap())]);
    assert_one_line(
        &r,
        &format!(
            "academy: the data dir {} is a file, not a folder: set ACADEMY_DATA_DIR to a folder \
             (it is created when missing) or move the file away",
            file.display()
        ),
        Duration::from_secs(5),
    );
}

#[test]
fn an_unknown_database_scheme_says_which_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &[("ACADEMY_DATABASE_URL", "mysql://academy@127.0.0.1/academy")],
    );
    assert_one_line(
        &r,
        "academy: unsupported database URL scheme \"mysql\": ACADEMY_DATABASE_URL must start \
         with `sqlite:` (e.g. sqlite://data/academy.db?mode=rwc) or `postgres:` \
         (e.g. postgres://user@host:5432/academy)",
        Duration::from_secs(5),
    );
}

/// The secret check comes before any connection: the line names the missing setting, not the
/// (unreachable) server.
#[test]
fn postgresql_without_a_jwt_secret_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_with_secret(
        dir.path(),
        None,
        &[(
            "ACADEMY_DATABASE_URL",
            "postgres://academy@127.0.0.1:1/academy",
        )],
    );
    assert_one_line(
        &r,
        "academy: ACADEMY_JWT_SECRET is required with PostgreSQL: every academy process behind \
         the load balancer must sign tokens with the same secret (generate one with \
         `openssl rand -hex 32`)",
        Duration::from_secs(5),
    );
}

/// A configured secret too short to sign with is refused before anything else.
#[test]
fn a_short_jwt_secret_is_refused_with_its_minimum_length() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_with_secret(dir.path(), Some("too-short"), &[]);
    assert_one_line(
        &r,
        "academy: ACADEMY_JWT_SECRET must be at least 32 characters long",
        Duration::from_secs(5),
    );
}
