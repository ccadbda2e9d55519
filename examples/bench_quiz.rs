//! Quiz attempts under load: N learners at once, each starting and submitting an attempt at
//! the shipped course `international-markets`, through the real app (Rocket's local client:
//! routing, guards, JSON, database; no TCP).
//!
//! ```text
//! cargo run --release --example bench_quiz -- [--learners 200] [--runs 3] [--bursts 2]
//!     [--keep-database]
//! ACADEMY_BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/postgres \
//!     cargo run --release --example bench_quiz
//! ```
//!
//! Each run uses a fresh database (a temp SQLite file, or a new PostgreSQL database created
//! through the admin URL and dropped afterwards). It checks what the issue asks: no 5xx, no
//! "database is locked", and every 201/200 is exactly one row.
//!
//! A run is `--bursts` bursts of `--learners` new learners each, one after the other on the same
//! server. The first (cold) meets a pool that has only served the set-up: on PostgreSQL it opens
//! most of its connections, each a new server process, and prepares every statement on each.
//! The later ones (warm) find all that done, as a server that has been up for a while does.

use std::time::{Duration, Instant};

use academy::auth::{password, Keys, Role};
use academy::db::Db;
use academy::orgs::{self as store, NewSme, NewUser};
use futures::future::join_all;
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use serde_json::{json, Value};
use sqlx::Connection;

const COURSE: &str = "international-markets";

struct Outcome {
    start: (Status, Duration, String),
    submit: Option<(Status, Duration, String)>,
}

async fn post(
    client: &Client,
    path: &str,
    token: &str,
    body: &Value,
) -> (Status, Duration, Value, String) {
    let t = Instant::now();
    let res = client
        .post(path.to_string())
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch()
        .await;
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    let elapsed = t.elapsed();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, elapsed, value, text)
}

/// Answer the first option of every choice question, `true` to true/false, and so on.
fn answers(attempt: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for q in attempt["questions"].as_array().into_iter().flatten() {
        let id = q["id"].as_str().unwrap_or_default().to_string();
        let a = match q["kind"].as_str().unwrap_or_default() {
            "single" | "multiple" => json!([q["options"][0]["id"]]),
            "true_false" => json!(false),
            "text" => json!("HS"),
            "numeric" => json!(210),
            "matching" => {
                let rights = q["right"].as_array().cloned().unwrap_or_default();
                let lefts = q["left"].as_array().cloned().unwrap_or_default();
                Value::Object(
                    lefts
                        .iter()
                        .zip(rights.iter())
                        .map(|(l, r)| {
                            (
                                l["id"].as_str().unwrap_or_default().to_string(),
                                r["id"].clone(),
                            )
                        })
                        .collect(),
                )
            }
            _ => continue,
        };
        out.insert(id, a);
    }
    json!({ "answers": out })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// One burst: every learner of it starts and submits at once.
struct Burst {
    wall: Duration,
    cpu: Duration,
    /// PostgreSQL's processes on this host (zero for SQLite, which runs inside ours).
    db_cpu: Duration,
    start_p50: Duration,
    start_p99: Duration,
    submit_p50: Duration,
    submit_p99: Duration,
}

struct RunResult {
    /// The first burst meets a pool that has only done the set-up; the later ones find its
    /// connections open and their statements prepared, as a server that has been up does.
    bursts: Vec<Burst>,
    errors: Vec<String>,
}

/// User + system CPU time of this process so far (Linux: `/proc/self/stat`, in ticks of 10 ms).
fn process_cpu() -> Duration {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// CPU time so far of every PostgreSQL process on this host (its server processes, one per
/// connection, and its background ones): what the database spent, when it runs beside us.
fn postgres_cpu() -> Duration {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| stat_cpu(&stat))
        .sum()
}

/// utime + stime of one `/proc/<pid>/stat` line.
fn stat_cpu(stat: &str) -> Duration {
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 counted from the state.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

async fn run(
    learners: usize,
    bursts: usize,
    pg_admin: Option<&str>,
    keep_database: bool,
) -> RunResult {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut pg_name = None;
    let url = match pg_admin {
        Some(admin) => {
            let name = format!("academy_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::postgres::PgConnection::connect(admin)
                .await
                .expect("postgres");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create database");
            // The same server and options (`?sslmode=...`), another database.
            let (path, query) = admin.split_once('?').unwrap_or((admin, ""));
            let prefix = &path[..path.rfind('/').expect("URL with a database")];
            pg_name = Some(name.clone());
            if query.is_empty() {
                format!("{prefix}/{name}")
            } else {
                format!("{prefix}/{name}?{query}")
            }
        }
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
    };
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut figment = Figment::from(rocket::Config::release_default())
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.path().join("data")))
        .merge(("courses_dir", root.join("courses")))
        .merge(("static_dir", root.join("static")))
        .merge(("jwt_secret", "bench-secret-bench-secret-bench-secret-0123"))
        .merge(("database_url", url));
    // `ACADEMY_BENCH_POOL=n`: another pool size than the server's default;
    // `ACADEMY_BENCH_MIN_POOL=n`: fewer connections kept open than the server's default (all).
    for (var, setting) in [
        ("ACADEMY_BENCH_POOL", "database_max_connections"),
        ("ACADEMY_BENCH_MIN_POOL", "database_min_connections"),
    ] {
        if let Some(n) = std::env::var(var).ok().and_then(|n| n.parse::<u32>().ok()) {
            figment = figment.merge((setting, n));
        }
    }
    let client = Client::untracked(academy::app(figment))
        .await
        .expect("the app ignites");
    let pool = Db::fetch(client.rocket()).expect("db").pool.clone();
    let keys = client.rocket().state::<Keys>().expect("keys");

    // Learners, each enrolled in the course.
    let partner = store::insert_partner(&pool, "Bench partner", "ES", "Madrid")
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
    let mut tokens = Vec::new();
    for i in 0..learners * bursts {
        let email = format!("learner{i}@bench.example");
        let user = store::insert_user(
            &pool,
            &NewUser {
                email: &email,
                name: "Learner",
                role: Role::Learner,
                sme_id: Some(sme),
                partner_id: Some(partner),
                locale: ["en", "es", "pt"][i % 3],
                time_zone: "Europe/Madrid",
                password_hash: &hash,
                invited_at: None,
            },
        )
        .await
        .expect("user");
        let claims = keys.claims_for(&user, "bench", academy::clock::now());
        let token = keys.issue(&claims).expect("token");
        let (s, _, _, text) = post(
            &client,
            &format!("/api/courses/{COURSE}/enrolment"),
            &token,
            &json!({}),
        )
        .await;
        assert!(s.code == 201 || s.code == 200, "enrolment: {text}");
        tokens.push(token);
    }

    // Each learner is a task of its own, as each connection is in the server: the work spreads
    // over the runtime's threads instead of running on the one that polls them all.
    let client = std::sync::Arc::new(client);
    let mut errors = Vec::new();
    let (mut created, mut submitted) = (0i64, 0i64);
    let mut measured = Vec::new();
    for group in tokens.chunks(learners) {
        let started = Instant::now();
        let cpu_before = process_cpu();
        let db_cpu_before = postgres_cpu();
        let tasks = group.iter().cloned().map(|token| {
            let client = client.clone();
            tokio::spawn(async move {
                let (s, d, body, text) = post(
                    &client,
                    &format!("/api/courses/{COURSE}/quiz/attempts"),
                    &token,
                    &json!({}),
                )
                .await;
                let mut out = Outcome {
                    start: (s, d, text),
                    submit: None,
                };
                if s == Status::Created {
                    let id = body["id"].as_i64().unwrap_or_default();
                    let (s2, d2, _, text2) = post(
                        &client,
                        &format!("/api/quiz-attempts/{id}/submission"),
                        &token,
                        &answers(&body),
                    )
                    .await;
                    out.submit = Some((s2, d2, text2));
                }
                out
            })
        });
        let outcomes: Vec<Outcome> = join_all(tasks)
            .await
            .into_iter()
            .map(|r| r.expect("learner task"))
            .collect();
        let wall = started.elapsed();
        let cpu = process_cpu().saturating_sub(cpu_before);
        let db_cpu = postgres_cpu().saturating_sub(db_cpu_before);
        let mut starts = Vec::new();
        let mut submits = Vec::new();
        for o in &outcomes {
            let (s, d, text) = &o.start;
            starts.push(*d);
            if s.code == 201 {
                created += 1;
            } else {
                errors.push(format!("start {}: {text}", s.code));
            }
            if text.contains("locked") || text.contains("BUSY") {
                errors.push(format!("database busy: {text}"));
            }
            if let Some((s, d, text)) = &o.submit {
                submits.push(*d);
                if s.code == 200 {
                    submitted += 1;
                } else {
                    errors.push(format!("submit {}: {text}", s.code));
                }
            }
        }
        starts.sort();
        submits.sort();
        measured.push(Burst {
            wall,
            cpu,
            db_cpu,
            start_p50: percentile(&starts, 0.5),
            start_p99: percentile(&starts, 0.99),
            submit_p50: percentile(&submits, 0.5),
            submit_p99: percentile(&submits, 0.99),
        });
    }

    // Every 201 is one attempt row, every 200 one submitted row, one per learner.
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM quiz_attempts")
        .fetch_one(&pool)
        .await
        .expect("count");
    let (closed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM quiz_attempts WHERE status = 'submitted'")
            .fetch_one(&pool)
            .await
            .expect("count");
    let (learners_with_one,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT user_id FROM quiz_attempts GROUP BY user_id HAVING COUNT(*) = 1) x",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    if rows != created || closed != submitted || learners_with_one != created {
        errors.push(format!(
            "rows {rows} / 201s {created}; submitted rows {closed} / 200s {submitted}; learners with one row {learners_with_one}"
        ));
    }
    drop(client);
    pool.close().await;
    if let (Some(admin), Some(name)) = (pg_admin, pg_name) {
        if keep_database {
            println!("kept database {name}");
        } else if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(admin).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
    RunResult {
        bursts: measured,
        errors,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let learners = arg("--learners", 200);
    let runs = arg("--runs", 3);
    let bursts = arg("--bursts", 2).max(1);
    // PostgreSQL: leave the last database in place (its name is printed), e.g. to replay the
    // quiz's statements against it with pgbench (bench/pg-ceiling.sh).
    let keep = args.iter().any(|a| a == "--keep-database");
    let pg = std::env::var("ACADEMY_BENCH_DATABASE_URL").ok();
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let requests = (learners * 2) as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let name = |b: usize| if b == 0 { "cold" } else { "warm" };
    let mut results = Vec::new();
    for i in 0..runs {
        let r = run(learners, bursts, pg.as_deref(), keep && i + 1 == runs).await;
        for (b, burst) in r.bursts.iter().enumerate() {
            println!(
                "{backend} run {} burst {} ({}): {learners} learners, {} requests in {:.0} ms = {:.0} req/s, CPU {:.2} ms per request (+ {:.2} ms PostgreSQL); start p50 {:.1} ms p99 {:.1} ms; submit p50 {:.1} ms p99 {:.1} ms",
                i + 1,
                b + 1,
                name(b),
                learners * 2,
                ms(burst.wall),
                requests / burst.wall.as_secs_f64(),
                ms(burst.cpu) / requests,
                ms(burst.db_cpu) / requests,
                ms(burst.start_p50),
                ms(burst.start_p99),
                ms(burst.submit_p50),
                ms(burst.submit_p99),
            );
        }
        println!("{backend} run {}: errors {}", i + 1, r.errors.len());
        for e in r.errors.iter().take(5) {
            println!("  error: {e}");
        }
        results.push(r);
    }
    let failed = results.iter().any(|r| !r.errors.is_empty());
    for b in 0..bursts {
        let of =
            |f: &dyn Fn(&Burst) -> f64| median(results.iter().map(|r| f(&r.bursts[b])).collect());
        let rps = of(&|x| requests / x.wall.as_secs_f64());
        println!(
            "{backend} median of {runs}, burst {} ({}): {rps:.0} req/s ({:.0} learners/s), CPU {:.2} ms per request (+ {:.2} ms PostgreSQL); start p50 {:.1} ms p99 {:.1} ms; submit p50 {:.1} ms p99 {:.1} ms",
            b + 1,
            name(b),
            rps / 2.0,
            of(&|x| ms(x.cpu) / requests),
            of(&|x| ms(x.db_cpu) / requests),
            of(&|x| ms(x.start_p50)),
            of(&|x| ms(x.start_p99)),
            of(&|x| ms(x.submit_p50)),
            of(&|x| ms(x.submit_p99)),
        );
    }
    println!(
        "{backend}: {}",
        if failed {
            "ERRORS (see above)"
        } else {
            "no 5xx, no busy errors, one row per 201/200"
        }
    );
    if failed {
        std::process::exit(1);
    }
}
