//! Test harness: the real app builder over a fresh database per test.
//!
//! SQLite by default (a temp file); PostgreSQL when `ACADEMY_TEST_DATABASE_URL` is set (each
//! test creates its own database there and drops it at the end).

#![allow(dead_code)]

use std::path::PathBuf;

use academy::auth::{password, Keys, Role};
use academy::db::Db;
use academy::orgs::{self as store, NewSme, NewUser};
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket_db_pools::Database;
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::OnceCell;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any async context we can rely on: use a throwaway runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::postgres::PgConnection::connect(&admin_url)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub struct TestApp {
    pub client: Client,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

pub struct Resp {
    pub status: Status,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Panics with the body when the status is not `expected`: tests read better.
    #[track_caller]
    pub fn expect(self, expected: u16) -> Self {
        assert_eq!(
            self.status.code, expected,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
}

async fn read(res: LocalResponse<'_>) -> Resp {
    let status = res.status();
    let content_type = res.content_type().map(|c| c.to_string());
    let headers = res
        .headers()
        .iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect();
    let bytes = res.into_bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        body,
        text,
        bytes,
        content_type,
        headers,
    }
}

pub fn base_figment(dir: &std::path::Path) -> Figment {
    Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("data_dir", dir.join("data")))
        .merge(("courses_dir", repo_path("tests/fixtures/courses")))
        .merge(("static_dir", repo_path("static")))
        .merge(("jwt_secret", "test-secret-test-secret-test-secret-0123"))
        .merge(("database_max_connections", 8))
        // The digest job would mail the world's coordinators on Mondays; its test calls it.
        .merge(("weekly_digest", false))
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(|f| f).await
    }

    pub async fn with(customize: impl FnOnce(Figment) -> Figment) -> TestApp {
        Self::with_rocket(customize, |rocket| rocket).await
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &Db::fetch(self.client.rocket()).expect("database").pool
    }

    pub fn keys(&self) -> &Keys {
        self.client.rocket().state::<Keys>().expect("keys")
    }

    /// An access token for a user, minted directly (no argon2 round trip).
    pub async fn token_for(&self, user_id: i64) -> String {
        let user = store::get_user(self.pool(), user_id).await.expect("user");
        let claims = self
            .keys()
            .claims_for(&user, "test-session", academy::clock::now());
        self.keys().issue(&claims).expect("token")
    }

    pub async fn request(
        &self,
        method: rocket::http::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self.client.req(method, path.to_string());
        if let Some(t) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req.add_header(ContentType::JSON);
            req.set_body(b.to_string());
        }
        read(req.dispatch().await).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(rocket::http::Method::Get, path, Some(token), None)
            .await
    }

    pub async fn get_anon(&self, path: &str) -> Resp {
        self.request(rocket::http::Method::Get, path, None, None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(rocket::http::Method::Post, path, Some(token), Some(&body))
            .await
    }

    pub async fn post_anon(&self, path: &str, body: Value) -> Resp {
        self.request(rocket::http::Method::Post, path, None, Some(&body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(rocket::http::Method::Put, path, Some(token), Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(rocket::http::Method::Patch, path, Some(token), Some(&body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(rocket::http::Method::Delete, path, Some(token), None)
            .await
    }

    /// A raw request with a raw body and content type, for malformed-input tests.
    pub async fn raw(
        &self,
        method: rocket::http::Method,
        path: &str,
        token: Option<&str>,
        ct: ContentType,
        body: &[u8],
    ) -> Resp {
        let mut req = self
            .client
            .req(method, path.to_string())
            .header(ct)
            .body(body);
        if let Some(t) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {t}")));
        }
        read(req.dispatch().await).await
    }

    pub async fn partner(&self, name: &str, country: &str) -> i64 {
        store::insert_partner(self.pool(), name, country, "Region")
            .await
            .expect("partner")
            .id
    }

    pub async fn sme(&self, name: &str, partner_id: i64) -> i64 {
        store::insert_sme(
            self.pool(),
            &NewSme {
                name,
                country: "ES",
                region: "Madrid",
                sector: "Diagnostics",
                partner_id,
            },
        )
        .await
        .expect("sme")
        .id
    }

    /// Insert a user directly (password [`PASSWORD`]) and return it with a token.
    pub async fn user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        sme_id: Option<i64>,
        partner_id: Option<i64>,
    ) -> TestUser {
        static HASH: OnceCell<String> = OnceCell::const_new();
        let hash = HASH
            .get_or_init(|| async { password::hash(PASSWORD.into()).await.expect("hash") })
            .await;
        let tz = if email.contains("lisbon") {
            "Europe/Lisbon"
        } else {
            "Europe/Madrid"
        };
        let user = store::insert_user(
            self.pool(),
            &NewUser {
                email,
                name,
                role,
                sme_id,
                partner_id,
                locale: "en",
                time_zone: tz,
                password_hash: hash,
                invited_at: None,
            },
        )
        .await
        .expect("user");
        let token = self.token_for(user.id).await;
        TestUser {
            id: user.id,
            email: email.into(),
            token,
        }
    }

    /// Two partners with an SME each, and a user of every role.
    pub async fn world(&self) -> World {
        let partner_a = self.partner("Partner A", "ES").await;
        let partner_b = self.partner("Parceiro B", "PT").await;
        let sme_a = self.sme("SME A", partner_a).await;
        let sme_b = self.sme("SME B", partner_b).await;
        World {
            admin: self
                .user("admin@hub.example", "Admin", Role::Admin, None, None)
                .await,
            coord_a: self
                .user(
                    "coord.a@hub.example",
                    "Coord A",
                    Role::Coordinator,
                    None,
                    Some(partner_a),
                )
                .await,
            coord_b: self
                .user(
                    "coord.b@hub.example",
                    "Coord B",
                    Role::Coordinator,
                    None,
                    Some(partner_b),
                )
                .await,
            learner_a: self
                .user(
                    "ana@sme-a.example",
                    "Ana Núñez",
                    Role::Learner,
                    Some(sme_a),
                    Some(partner_a),
                )
                .await,
            learner_a2: self
                .user(
                    "bruno@sme-a.example",
                    "Bruno Díaz",
                    Role::Learner,
                    Some(sme_a),
                    Some(partner_a),
                )
                .await,
            learner_b: self
                .user(
                    "joao.lisbon@sme-b.example",
                    "João Gonçalves",
                    Role::Learner,
                    Some(sme_b),
                    Some(partner_b),
                )
                .await,
            advisor: self
                .user(
                    "advisor@hub.example",
                    "Inês Advisor",
                    Role::Advisor,
                    None,
                    None,
                )
                .await,
            advisor2: self
                .user(
                    "advisor2.lisbon@hub.example",
                    "Rui Advisor",
                    Role::Advisor,
                    None,
                    None,
                )
                .await,
            partner_a,
            partner_b,
            sme_a,
            sme_b,
        }
    }
}

pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub token: String,
}

pub struct World {
    pub admin: TestUser,
    pub coord_a: TestUser,
    pub coord_b: TestUser,
    pub learner_a: TestUser,
    pub learner_a2: TestUser,
    pub learner_b: TestUser,
    pub advisor: TestUser,
    pub advisor2: TestUser,
    pub partner_a: i64,
    pub partner_b: i64,
    pub sme_a: i64,
    pub sme_b: i64,
}

/// Assert a response is an RFC 9457 problem with this status.
#[track_caller]
pub fn assert_problem(r: &Resp, status: u16) {
    assert_eq!(r.status.code, status, "body: {}", r.text);
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/problem+json"),
        "body: {}",
        r.text
    );
    assert_eq!(r.body["status"], status, "body: {}", r.text);
    assert!(
        r.body["title"].is_string() && r.body["detail"].is_string(),
        "body: {}",
        r.text
    );
    // Every problem names what went wrong with a code of the message catalogue.
    let code = r.body["code"].as_str().unwrap_or_default();
    assert!(
        academy::messages::exists(code),
        "code {code:?} is not in the catalogue; body: {}",
        r.text
    );
}

impl TestApp {
    /// A second app instance (its own Rocket, its own pool) over this test's database, as two
    /// `academy` processes sharing one database would be.
    pub async fn second_instance(&self) -> Client {
        Client::untracked(academy::app(self.client.rocket().figment().clone()))
            .await
            .expect("the second instance ignites")
    }

    /// Like [`TestApp::with`], and `prepare` may add state to the Rocket before it ignites
    /// (e.g. an `academy::storage::CustomStore` wrapping a store that fails on purpose).
    pub async fn with_rocket(
        customize: impl FnOnce(Figment) -> Figment,
        prepare: impl FnOnce(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg) = match std::env::var("ACADEMY_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("academy_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::postgres::PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to ACADEMY_TEST_DATABASE_URL");
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let (base, query) = match admin_url.split_once('?') {
                    Some((b, q)) => (b.to_string(), format!("?{q}")),
                    None => (admin_url.clone(), String::new()),
                };
                let prefix = &base[..base.rfind('/').expect("database URL with a path")];
                (
                    format!("{prefix}/{name}{query}"),
                    Some(PgDatabase { admin_url, name }),
                )
            }
            _ => (
                format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                None,
            ),
        };
        let figment = customize(base_figment(dir.path()).merge(("database_url", url)));
        let client = Client::untracked(prepare(academy::app(figment)))
            .await
            .expect("the app ignites");
        TestApp {
            client,
            dir,
            _pg: pg,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(
            Db::fetch(self.client.rocket()).map(|d| d.backend()),
            Some(academy::config::Backend::Postgres)
        )
    }

    /// Every pooled connection, all held at once (so each is another one) until dropped.
    pub async fn every_connection(&self) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
        let mut conns = Vec::new();
        for _ in 0..self.pool().size() {
            conns.push(self.pool().acquire().await.expect("a pooled connection"));
        }
        conns
    }

    /// Run `sql` on every pooled connection.
    pub async fn on_every_connection(&self, sql: &str) {
        use sqlx::Executor;
        for conn in &mut self.every_connection().await {
            conn.execute(sql).await.expect(sql);
        }
    }
}

/// Dispatch a request built on any client (custom headers, cookies) and read the answer.
pub async fn dispatch(req: rocket::local::asynchronous::LocalRequest<'_>) -> Resp {
    read(req.dispatch().await).await
}

/// A JSON POST through any client (e.g. [`TestApp::second_instance`]).
pub async fn post_via(client: &Client, path: &str, token: &str, body: &Value) -> Resp {
    let mut req = client.post(path.to_string());
    req.add_header(Header::new("Authorization", format!("Bearer {token}")));
    req.add_header(ContentType::JSON);
    req.set_body(body.to_string());
    read(req.dispatch().await).await
}

/// A multipart/form-data body: `(name, file name, content type, bytes)` per part.
pub fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (ContentType, Vec<u8>) {
    let boundary = "----academy-test-boundary-7f3a91";
    let mut body = Vec::new();
    for (name, filename, ct, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(format!("Content-Type: {ct}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        ContentType::new("multipart", "form-data").with_params(("boundary", boundary)),
        body,
    )
}

impl TestApp {
    /// A GET with extra request headers (`Accept`, `Accept-Language`, `X-Real-IP`...).
    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.get(path.to_string());
        if let Some(t) = token {
            req.add_header(Header::new("Authorization", format!("Bearer {t}")));
        }
        for (k, v) in headers {
            req.add_header(Header::new(k.to_string(), v.to_string()));
        }
        read(req.dispatch().await).await
    }
}

/// Send a request built on `app.client` (e.g. with `.remote(...)`) and read the answer.
pub async fn send(req: rocket::local::asynchronous::LocalRequest<'_>) -> Resp {
    read(req.dispatch().await).await
}

/// The `METHOD /path` keys of every operation of a served OpenAPI document.
pub fn documented_routes(doc: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                keys.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    keys
}

impl TestApp {
    /// A login session of its own for a user, minted directly (no argon2): `(access token,
    /// refresh token)`. Logging this session out leaves the user's other tokens working.
    pub async fn session_for(&self, user_id: i64) -> (String, String) {
        let user = store::get_user(self.pool(), user_id).await.expect("user");
        let tokens = academy::auth::open_session(self.pool(), self.keys(), &user, None)
            .await
            .expect("session");
        (tokens.access_token, tokens.refresh_token)
    }
}

/// The instant (Unix seconds) of an iCalendar date-time property (`DTSTART`, `DTEND`) of the
/// file's VEVENT, and its TZID if any. A `TZID=` local time is resolved through the file's own
/// VTIMEZONE (the observance in force at that time gives the offset), never through the tz
/// database, so a wrong VTIMEZONE shows as a wrong instant.
pub fn ics_instant(text: &str, property: &str) -> (i64, Option<String>) {
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    let local = |v: &str| -> i64 {
        jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", v.trim_end_matches('Z'))
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
    };
    let offset = |v: &str| -> i64 {
        let sign = if v.starts_with('-') { -1 } else { 1 };
        let d = &v[1..];
        let h: i64 = d[0..2].parse().unwrap();
        let m: i64 = d[2..4].parse().unwrap();
        let s: i64 = d.get(4..6).map_or(0, |s| s.parse().unwrap());
        sign * (h * 3600 + m * 60 + s)
    };
    let in_event = lines
        .iter()
        .skip_while(|l| **l != "BEGIN:VEVENT")
        .find(|l| l.starts_with(&format!("{property}:")) || l.starts_with(&format!("{property};")))
        .unwrap_or_else(|| panic!("no {property} in {text}"));
    let (head, value) = in_event.split_once(':').unwrap();
    let Some(tzid) = head.split(';').find_map(|p| p.strip_prefix("TZID=")) else {
        assert!(value.ends_with('Z'), "{in_event}: neither UTC nor TZID");
        return (local(value), None);
    };
    // Observances of that zone: (onset in UTC, offset after).
    let mut observances = Vec::new();
    let mut inside = false;
    let (mut start, mut from, mut to) = (None, None, None);
    for l in &lines {
        match *l {
            "BEGIN:VTIMEZONE" => inside = false,
            l if l == format!("TZID:{tzid}") => inside = true,
            "END:VTIMEZONE" => inside = false,
            "BEGIN:STANDARD" | "BEGIN:DAYLIGHT" => (start, from, to) = (None, None, None),
            "END:STANDARD" | "END:DAYLIGHT" if inside => {
                let (s, f, t): (&str, &str, &str) = (
                    start.expect("DTSTART"),
                    from.expect("FROM"),
                    to.expect("TO"),
                );
                observances.push((local(s) - offset(f), offset(t)));
            }
            l if inside => {
                if let Some(v) = l.strip_prefix("DTSTART:") {
                    start = Some(v);
                } else if let Some(v) = l.strip_prefix("TZOFFSETFROM:") {
                    from = Some(v);
                } else if let Some(v) = l.strip_prefix("TZOFFSETTO:") {
                    to = Some(v);
                }
            }
            _ => {}
        }
    }
    assert!(!observances.is_empty(), "no VTIMEZONE for {tzid} in {text}");
    let wall = local(value);
    let (_, off) = observances
        .iter()
        .filter(|(onset, off)| *onset <= wall - off)
        .max_by_key(|(onset, _)| *onset)
        .unwrap_or_else(|| panic!("{tzid}: no observance before {value}"));
    (wall - off, Some(tzid.to_string()))
}

/// A graded quiz recorded as the quiz flow records it: in a transaction of its own.
pub async fn record_quiz_result(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    course_id: i64,
    score: i64,
    passed: bool,
) -> academy::error::Result<Option<i64>> {
    let mut tx = conn.begin().await.expect("transaction");
    let done =
        academy::progress::record_quiz_result(&mut tx, user_id, course_id, score, passed, None)
            .await?;
    tx.commit().await.expect("commit");
    Ok(done.completion)
}
