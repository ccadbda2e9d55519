use std::collections::BTreeSet;

use serde_json::json;

use crate::common::{assert_problem, TestApp};

#[rocket::async_test]
async fn health_reports_the_database() {
    let app = TestApp::new().await;
    let r = app.get_anon("/health").await.expect(200);
    assert_eq!(
        r.body,
        json!({"status": "ok", "database": "ok", "storage": "ok"})
    );
    assert!(r.header("X-Request-Id").is_some());
    assert!(r.header("Content-Security-Policy").is_some());
}

#[rocket::async_test]
async fn unknown_routes_are_problem_json() {
    let app = TestApp::new().await;
    let r = app.get_anon("/api/nothing-here").await;
    assert_problem(&r, 404);
    assert!(!r.text.contains("rocket"), "{}", r.text);
}

#[rocket::async_test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.get(&format!("/api/smes/{}", w.sme_a), &w.admin.token)
        .await
        .expect(200);
    let r = app.get_anon("/metrics").await.expect(200);
    assert!(r.text.contains("route=\"/api/smes/<id>\""), "{}", r.text);
    assert!(!r.text.contains(&format!("/api/smes/{}\"", w.sme_a)));
}

/// Every mounted /api route is in the OpenAPI document.
#[rocket::async_test]
async fn openapi_documents_every_api_route() {
    let app = TestApp::new().await;
    let doc = app.get_anon("/api/openapi.json").await.expect(200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{} {}", method.to_uppercase(), path));
        }
    }
    let mut missing = Vec::new();
    for route in app.client.rocket().routes() {
        let path = route.uri.path().to_string();
        if !path.starts_with("/api") {
            continue;
        }
        // Rocket's `<id>` and `<path..>` become OpenAPI's `{id}`.
        let path = path.replace("..>", ">").replace('<', "{").replace('>', "}");
        let key = format!("{} {}", route.method.as_str(), path);
        if !documented.contains(&key) {
            missing.push(key);
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
}

#[rocket::async_test]
async fn embedded_mode_generates_and_keeps_a_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let figment = || {
        rocket::figment::Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("data_dir", dir.path().join("data")))
            .merge((
                "courses_dir",
                crate::common::repo_path("tests/fixtures/courses"),
            ))
    };
    let first = rocket::local::asynchronous::Client::untracked(academy::app(figment()))
        .await
        .unwrap();
    let secret_path = dir.path().join("data/jwt-secret");
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    assert!(secret.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret_path)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    drop(first);
    let _second = rocket::local::asynchronous::Client::untracked(academy::app(figment()))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), secret);
    assert!(dir.path().join("data/academy.db").exists());
    // Refusals (PostgreSQL without a secret, a short secret, an unknown database scheme) are
    // asserted by their exact message against the binary in tests/startup.rs.
}

#[rocket::async_test]
async fn problem_for_wrong_method_body() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let r = app
        .post("/api/smes", &w.admin.token, json!({"name": 1}))
        .await;
    assert_problem(&r, 422);
}

/// A new SQLite database gets the chosen page size and WAL, and the course import leaves the
/// WAL checkpoint setting of its connection as it found it.
#[rocket::async_test]
async fn new_sqlite_databases_get_the_chosen_page_size_and_wal() {
    let app = TestApp::new().await;
    if app.is_postgres() {
        return;
    }
    let pool = app.pool();
    let page: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(page, i64::from(academy::db::SQLITE_PAGE_SIZE));
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    academy::courses::import_dir(pool, &crate::common::repo_path("courses"))
        .await
        .unwrap();
    // Every pooled connection checkpoints automatically again.
    for conn in &mut app.every_connection().await {
        let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(pages, 1000);
    }
}

/// Connections in steady use are not pinged before each statement (a round trip each on
/// PostgreSQL); one idle for longer than `IDLE_BEFORE_PING` is. So when the database drops
/// every connection (a restart, a failover), the requests right after it get a 503 to retry,
/// never a 500, and those after a pause are answered.
#[rocket::async_test]
async fn connections_dropped_by_the_database_are_replaced() {
    let app = TestApp::new().await;
    if !app.is_postgres() {
        return; // an SQLite connection is a file handle: nothing drops it
    }
    let w = app.world().await;
    let storm =
        || futures::future::join_all((0..6).map(|_| app.get("/api/courses", &w.learner_a.token)));
    for r in storm().await {
        r.expect(200);
    }
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(app.pool())
    .await
    .unwrap_or_default();
    assert!(!killed.is_empty(), "the pool held more than one connection");
    for r in storm().await {
        if r.status.code != 200 {
            assert_problem(&r, 503);
            assert_eq!(r.body["code"], "server.database_unavailable", "{}", r.text);
            assert!(r.header("Retry-After").is_some());
        }
    }
    tokio::time::sleep(academy::db::IDLE_BEFORE_PING + std::time::Duration::from_millis(100)).await;
    for r in storm().await {
        r.expect(200);
    }
}

/// The pool opens all its connections at start-up and keeps them: on PostgreSQL each is a
/// server process to start and warm up, which the first burst of requests would pay for.
#[rocket::async_test]
async fn the_pool_opens_its_connections_at_start_up() {
    let app = TestApp::with(|f| f.merge(("database_max_connections", 5))).await;
    assert_eq!(app.pool().size(), 5);
    if app.is_postgres() {
        let (backends,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert!(backends >= 5, "{backends} server processes for a pool of 5");
    }
}

/// What a commit survives is the same on both backends when the operator asks for it, as the
/// README's scale-out section says: SQLite runs with WAL and `synchronous=NORMAL` on every
/// connection (a commit survives the server's crash, not always the machine's), and a
/// PostgreSQL setting given in the URL (`options[synchronous_commit]=off`, the same guarantee)
/// reaches every connection of the pool.
#[rocket::async_test]
async fn every_connection_commits_as_configured() {
    let app = TestApp::with(|f| {
        let url: String = f.extract_inner("database_url").expect("a database URL");
        let url = if url.starts_with("postgres") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options[synchronous_commit]=off")
        } else {
            url
        };
        f.merge(("database_url", url))
            .merge(("database_max_connections", 3))
    })
    .await;
    let mut conns = app.every_connection().await;
    assert_eq!(conns.len(), 3);
    for conn in &mut conns {
        if app.is_postgres() {
            let (setting,): (String,) = sqlx::query_as("SHOW synchronous_commit")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(setting, "off");
        } else {
            let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(journal, "wal");
            // 1 is NORMAL: the WAL is synced at checkpoints, not at every commit.
            let (synchronous,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(synchronous, 1);
        }
    }
}

/// A write that waits longer than the database allows for a lock (SQLite's busy timeout,
/// PostgreSQL's `lock_timeout`) is a 503 to retry, with `Retry-After`, never a 500; nothing
/// is half-written, and the same request succeeds once the lock is gone.
#[rocket::async_test]
async fn a_write_that_outwaits_a_lock_is_a_503_to_retry() {
    use sqlx::{Connection, Executor};
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    app.post("/api/courses/quiz-lab/enrolment", t, json!({}))
        .await
        .expect(201);
    // Every pooled connection gives up on a lock at once.
    app.on_every_connection(if app.is_postgres() {
        "SET lock_timeout = '20ms'"
    } else {
        "PRAGMA busy_timeout = 0"
    })
    .await;
    // Another client holds the write lock (SQLite's one lock; the table on PostgreSQL).
    let url = app.pool().connect_options().database_url.to_string();
    let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
    if app.is_postgres() {
        other.execute("BEGIN").await.unwrap();
        other
            .execute("LOCK TABLE module_completions IN EXCLUSIVE MODE")
            .await
            .unwrap();
    } else {
        other.execute("BEGIN IMMEDIATE").await.unwrap();
    }
    let path = "/api/courses/quiz-lab/modules/patents/completion";
    let r = app.post(path, t, json!({})).await;
    assert_problem(&r, 503);
    assert_eq!(r.body["code"], "server.database_busy", "{}", r.text);
    assert!(r.header("Retry-After").is_some(), "{}", r.text);
    other.execute("ROLLBACK").await.unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM module_completions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing written by the refused request");
    assert_eq!(app.post(path, t, json!({})).await.status.code, 204);
}
