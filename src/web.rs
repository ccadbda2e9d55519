//! The web UI's static files, security headers, `/health` and `/metrics`.

use std::sync::Arc;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::fs::{FileServer, Options};
use rocket::http::{Header, Status};
use rocket::response::content::RawText;
use rocket::serde::json::Json;
use rocket::{get, routes, Request, Response, Route, State};
use serde::Serialize;

use crate::config::Config;
use crate::db::Db;
use crate::net::ClientAddr;
use crate::telemetry::RequestTelemetry;

/// RFC 3986 unreserved characters stay; every other byte of a path segment becomes `%XX`.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode `s` so that it stays one path segment (or one fragment part) of a URL.
pub fn encode_path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

pub fn static_files(config: &Config) -> FileServer {
    FileServer::new(&config.static_dir, Options::Index | Options::Missing).rank(20)
}

pub fn routes() -> Vec<Route> {
    routes![health, metrics]
}

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    database: String,
    storage: String,
}

/// What `/health` asks of each dependency; features add their own checks through this.
#[rocket::async_trait]
pub trait HealthCheck: Send + Sync {
    async fn storage(&self) -> Result<(), String>;
}

#[get("/health")]
async fn health(db: &Db, storage: StorageCheck) -> (Status, Json<Health>) {
    let database = async {
        match sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&db.pool)
            .await
        {
            Ok(_) => "ok".to_string(),
            Err(e) => {
                tracing::warn!(error = %e, "health: database down");
                "unavailable".to_string()
            }
        }
    };
    // The storage check bounds itself (a short timeout, a cached answer): see
    // `storage::StoreHealth`. Both checks run at once so their waits do not add up.
    let storage = async {
        match storage.0 {
            Some(check) => match check.storage().await {
                Ok(()) => "ok".to_string(),
                Err(e) => {
                    tracing::warn!(error = %e, "health: storage down");
                    "unavailable".to_string()
                }
            },
            None => "ok".to_string(),
        }
    };
    let (database, storage) = tokio::join!(database, storage);
    let ok = database == "ok" && storage == "ok";
    let status = if ok {
        Status::Ok
    } else {
        Status::ServiceUnavailable
    };
    (
        status,
        Json(Health {
            status: if ok { "ok" } else { "unavailable" },
            database,
            storage,
        }),
    )
}

/// The storage health check, when a store is configured (looked up without a sentinel).
pub struct StorageCheck(Option<Arc<dyn HealthCheck>>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for StorageCheck {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, ()> {
        let check = req.rocket().state::<Arc<dyn HealthCheck>>().cloned();
        rocket::request::Outcome::Success(StorageCheck(check))
    }
}

#[get("/metrics")]
fn metrics(
    ip: ClientAddr,
    config: &State<Config>,
    telemetry: &State<Arc<RequestTelemetry>>,
    db: &crate::db::Db,
) -> Result<RawText<String>, Status> {
    let allowed = match ip.0 {
        // Local test clients have no address.
        None => true,
        Some(ip) => config.metrics_allow.contains(ip),
    };
    if !allowed {
        return Err(Status::Forbidden);
    }
    let checkouts = db.checkouts.load(std::sync::atomic::Ordering::Relaxed);
    Ok(RawText(telemetry.render(checkouts)))
}

/// Security headers on every response.
pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
    }
}

/// `Cache-Control: no-store` on every answer to an authenticated request (it carries someone's
/// data) and on every `/api/auth/*` answer (it carries tokens), unless the route chose its own.
pub struct NoStore;

#[rocket::async_trait]
impl Fairing for NoStore {
    fn info(&self) -> Info {
        Info {
            name: "Cache-Control: no-store",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if res.headers().contains("Cache-Control") {
            return;
        }
        let authenticated = req.headers().contains("Authorization");
        let auth_route = req.uri().path().starts_with("/api/auth/");
        if authenticated || auth_route {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
