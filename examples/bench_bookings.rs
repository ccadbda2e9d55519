//! Booking contention benchmark: the real app served on 127.0.0.1:0, hit over HTTP/1.1 by
//! tokio tasks (one connection per request).
//!
//! Scenarios, on SQLite and (when reachable) PostgreSQL, in one run:
//! - 1,000 concurrent booking requests for ONE slot, from 1,000 different learners;
//! - 1,000 concurrent requests spread over 100 slots (10 learners per slot);
//! - on SQLite, a burst of 1,000 bookings (each learner their own slot: 2,000 confirmation
//!   mails queued) twice in the same run: with the mail worker delivering to a local SMTP sink
//!   while the bookings come in, and with the worker held (it does not poll during the burst).
//!   The send is never on the request path: the latencies should match.
//!
//! Checks: exactly one 201 per slot (answers and database rows), no 5xx. Reports wall time,
//! throughput, p50/p99/max latency.
//!
//! ```text
//! cargo run --release --example bench_bookings
//! BENCH_PG_URL=postgres://root@127.0.0.1:5432/test cargo run --release --example bench_bookings
//! ```

use std::time::{Duration, Instant};

use academy::auth::{password, Keys, Role};
use academy::bookings::{self as booking_store, NewSlot};
use academy::db::Db;
use academy::orgs::{self as store, NewSme, NewUser};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket_db_pools::Database;
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LEARNERS: usize = 1000;
const SPREAD_SLOTS: usize = 100;

#[path = "../tests/support/smtp_sink.rs"]
mod smtp_sink;

/// What a run measures, and how its mail goes out.
#[derive(Clone, Copy)]
enum Run {
    /// The contention scenarios (one slot, 100 slots), mail as configured by default.
    Contention,
    /// The mail burst: 1,000 slots, one booking each; mail to the SMTP sink on `port`, the
    /// worker delivering (`held: false`) or not polling during the burst (`held: true`).
    Burst { port: u16, held: bool },
}

struct Outcome {
    status: u16,
    latency: Duration,
}

async fn post(port: u16, path: &str, token: &str, body: &str) -> Outcome {
    let started = Instant::now();
    let status = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let head = String::from_utf8_lossy(&response[..response.len().min(32)]).to_string();
        head.split_whitespace().nth(1)?.parse::<u16>().ok()
    }
    .await
    .unwrap_or(0);
    Outcome {
        status,
        latency: started.elapsed(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

struct Report {
    backend: &'static str,
    scenario: String,
    ok: usize,
    conflict: usize,
    server_errors: usize,
    other: usize,
    slots_with_one: usize,
    slots: usize,
    wall: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn run_scenario(
    backend: &'static str,
    scenario: &str,
    port: u16,
    pool: &sqlx::AnyPool,
    requests: Vec<(i64, String)>,
    slots: &[i64],
) -> Report {
    let body = r#"{"note":"benchmark"}"#;
    let started = Instant::now();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(slot, token)| {
            tokio::spawn(async move {
                post(port, &format!("/api/slots/{slot}/booking"), &token, body).await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(o) = t.await {
            outcomes.push(o);
        }
    }
    let wall = started.elapsed();
    let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    latencies.sort();
    let mut slots_with_one = 0;
    for slot in slots {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM bookings WHERE slot_id = $1 AND status = 'active'",
        )
        .bind(*slot)
        .fetch_one(pool)
        .await
        .expect("count bookings");
        if n == 1 {
            slots_with_one += 1;
        }
    }
    Report {
        backend,
        scenario: scenario.to_string(),
        ok: outcomes.iter().filter(|o| o.status == 201).count(),
        conflict: outcomes.iter().filter(|o| o.status == 409).count(),
        server_errors: outcomes.iter().filter(|o| o.status >= 500).count(),
        other: outcomes
            .iter()
            .filter(|o| o.status != 201 && o.status != 409 && o.status < 500)
            .count(),
        slots_with_one,
        slots: slots.len(),
        wall,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
    }
}

async fn bench(backend: &'static str, url: String, dir: &std::path::Path, run: Run) -> Vec<Report> {
    let (tx, rx) = tokio::sync::oneshot::channel::<u16>();
    let tx = std::sync::Mutex::new(Some(tx));
    let mut figment = Figment::from(rocket::Config::release_default())
        .merge(("port", 0))
        .merge(("address", "127.0.0.1"))
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.join("data")))
        .merge(("database_url", url))
        .merge(("database_max_connections", 16))
        .merge(("import_on_start", false))
        .merge((
            "courses_dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/courses"),
        ))
        .merge(("static_dir", concat!(env!("CARGO_MANIFEST_DIR"), "/static")))
        .merge(("jwt_secret", "bench-secret-bench-secret-bench-secret-0123"))
        .merge(("booking_max_per_learner", 10));
    if let Run::Burst { port, held } = run {
        figment = figment
            .merge(("smtp_url", format!("smtp://127.0.0.1:{port}")))
            .merge(("mail_poll_milliseconds", if held { 3_600_000 } else { 50 }));
    }
    let rocket = academy::app(figment)
        .attach(AdHoc::on_liftoff("port", move |r| {
            let port = r.config().port;
            Box::pin(async move {
                if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                    let _ = tx.send(port);
                }
            })
        }))
        .ignite()
        .await
        .expect("the app ignites");
    let pool = Db::fetch(&rocket).expect("database").pool.clone();
    let keys = rocket.state::<Keys>().expect("keys");

    // A hub with one advisor and 1,000 learners, tokens minted directly.
    let partner = store::insert_partner(&pool, "Bench Partner", "ES", "Madrid")
        .await
        .expect("partner")
        .id;
    let sme = store::insert_sme(
        &pool,
        &NewSme {
            name: "Bench SME",
            country: "ES",
            region: "Madrid",
            sector: "Biotech",
            partner_id: partner,
        },
    )
    .await
    .expect("sme")
    .id;
    let hash = password::hash("bench password 123".into())
        .await
        .expect("hash");
    let new_user = |email: String, role: Role, sme_id: Option<i64>| {
        let pool = pool.clone();
        let hash = hash.clone();
        async move {
            store::insert_user(
                &pool,
                &NewUser {
                    email: &email,
                    name: "Bench User",
                    role,
                    sme_id,
                    partner_id: None,
                    locale: "en",
                    time_zone: "Europe/Madrid",
                    password_hash: &hash,
                    invited_at: None,
                },
            )
            .await
            .expect("user")
        }
    };
    let advisor = new_user("advisor@bench.example".into(), Role::Advisor, None).await;
    let now = academy::clock::now();
    let mut tokens = Vec::with_capacity(LEARNERS);
    for i in 0..LEARNERS {
        let u = new_user(
            format!("learner{i}@bench.example"),
            Role::Learner,
            Some(sme),
        )
        .await;
        tokens.push(
            keys.issue(&keys.claims_for(&u, "bench", now))
                .expect("token"),
        );
    }
    let base = (now / 3600 + 72) * 3600;
    let slot_count = match run {
        Run::Contention => SPREAD_SLOTS + 1,
        Run::Burst { .. } => LEARNERS,
    };
    let slots: Vec<NewSlot> = (0..slot_count as i64)
        .map(|i| NewSlot {
            starts_at: base + i * 3600,
            ends_at: base + i * 3600 + 1800,
            topic: academy::domain::Topic::Finance,
            mode: academy::domain::Mode::Online,
            location: "https://meet.example/bench",
            time_zone: "Europe/Madrid",
        })
        .collect();
    let ids: Vec<i64> = booking_store::insert_slots(&pool, advisor.id, &slots, now)
        .await
        .expect("slots")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(ids.len(), slot_count);

    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());
    let port = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("liftoff in time")
        .expect("port");

    let mut reports = Vec::new();
    if let Run::Burst { held, .. } = run {
        let scenario = if held {
            "burst: 1,000 bookings, 1,000 slots, mail worker held"
        } else {
            "burst: 1,000 bookings, 1,000 slots, mail worker delivering"
        };
        reports.push(
            run_scenario(
                backend,
                scenario,
                port,
                &pool,
                tokens
                    .iter()
                    .zip(&ids)
                    .map(|(t, slot)| (*slot, t.clone()))
                    .collect(),
                &ids,
            )
            .await,
        );
        let (queued,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
            .fetch_one(&pool)
            .await
            .expect("count the outbox");
        assert_eq!(queued, 2 * LEARNERS as i64, "two confirmations per booking");
        shutdown.notify();
        let _ = server.await;
        return reports;
    }
    let one = ids[0];
    let spread = &ids[1..];
    reports.push(
        run_scenario(
            backend,
            "1,000 requests, 1 slot",
            port,
            &pool,
            tokens.iter().map(|t| (one, t.clone())).collect(),
            &[one],
        )
        .await,
    );
    reports.push(
        run_scenario(
            backend,
            "1,000 requests, 100 slots",
            port,
            &pool,
            tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (spread[i % SPREAD_SLOTS], t.clone()))
                .collect(),
            spread,
        )
        .await,
    );
    shutdown.notify();
    let _ = server.await;
    reports
}

async fn fresh_pg_database(admin_url: &str) -> Option<(String, String)> {
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .ok()?;
    let name = format!("academy_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .ok()?;
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let prefix = &base[..base.rfind('/')?];
    Some((format!("{prefix}/{name}"), name))
}

async fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

#[rocket::main]
async fn main() {
    let started = Instant::now();
    let mut reports = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    reports.extend(bench("SQLite", sqlite, dir.path(), Run::Contention).await);
    // The mail burst, both ways in the same run, each on a fresh database.
    let (port, delivered) = smtp_sink::sink();
    for held in [true, false] {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let before = delivered.load(std::sync::atomic::Ordering::SeqCst);
        reports.extend(bench("SQLite", url, dir.path(), Run::Burst { port, held }).await);
        let during = delivered.load(std::sync::atomic::Ordering::SeqCst) - before;
        println!(
            "mail worker {}: {during} messages delivered to the sink while that server ran",
            if held { "held" } else { "delivering" }
        );
    }

    let pg_admin = std::env::var("BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    match fresh_pg_database(&pg_admin).await {
        Some((url, name)) => {
            let dir = tempfile::tempdir().expect("temp dir");
            reports.extend(bench("PostgreSQL", url, dir.path(), Run::Contention).await);
            drop_pg_database(&pg_admin, &name).await;
            for held in [true, false] {
                let Some((url, name)) = fresh_pg_database(&pg_admin).await else {
                    break;
                };
                let dir = tempfile::tempdir().expect("temp dir");
                let run = Run::Burst { port, held };
                reports.extend(bench("PostgreSQL", url, dir.path(), run).await);
                drop_pg_database(&pg_admin, &name).await;
            }
        }
        None => eprintln!("PostgreSQL at {pg_admin} is not reachable: skipped"),
    }

    println!(
        "| backend | scenario | 201 | 409 | 5xx | other | slots with exactly 1 booking | wall | req/s | p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut ok = true;
    for r in &reports {
        let total = r.ok + r.conflict + r.server_errors + r.other;
        println!(
            "| {} | {} | {} | {} | {} | {} | {}/{} | {:.2} s | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms |",
            r.backend,
            r.scenario,
            r.ok,
            r.conflict,
            r.server_errors,
            r.other,
            r.slots_with_one,
            r.slots,
            r.wall.as_secs_f64(),
            total as f64 / r.wall.as_secs_f64(),
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3,
        );
        ok &=
            r.ok == r.slots && r.slots_with_one == r.slots && r.server_errors == 0 && r.other == 0;
    }
    println!("\n(total run {:.1} s)", started.elapsed().as_secs_f64());
    if !ok {
        eprintln!("FAILED: expected exactly one 201 per slot and no errors");
        std::process::exit(1);
    }
}
