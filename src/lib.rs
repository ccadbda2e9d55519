//! IberoBio Academy: the training and advisory platform of a cross-border biotech hub.
//!
//! [`app`] is the one builder, used by `main` and by every test.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod bookings;
pub mod certificates;
pub mod clock;
pub mod config;
pub mod courses;
pub mod credentials;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod ids;
pub mod input;
pub mod items;
pub mod json;
pub mod lang;
pub mod learning;
pub mod mail;
pub mod materials;
pub mod memo;
pub mod messages;
pub mod net;
pub mod orgs;
pub mod progress;
pub mod quizzes;
pub mod reports;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod web;
pub mod xapi;

use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use crate::config::Config;
use crate::db::Db;

/// Build the whole application from a configuration.
///
/// Configuration problems (unknown database scheme, missing JWT secret with PostgreSQL) do not
/// panic here: they stop ignition with a message that says what to fix.
///
/// Longer than most functions on purpose: it is the one list of the parts of the server
/// (settings checked, state, fairings, routes), read top to bottom.
pub fn app(figment: Figment) -> Rocket<Build> {
    let config: Config = match figment.extract() {
        Ok(c) => c,
        Err(e) => return refuse(figment, format!("invalid configuration: {e}")),
    };
    let backend = match config.backend() {
        Ok(b) => b,
        Err(e) => return refuse(figment, e),
    };
    let secret = match config::jwt_secret(&config, backend) {
        Ok(s) => s,
        Err(e) => return refuse(figment, e),
    };
    let keys = match auth::Keys::new(
        &secret,
        config.access_token_minutes,
        config.refresh_token_days,
    ) {
        Ok(k) => k,
        Err(e) => return refuse(figment, format!("JWT secret: {e}")),
    };
    let mail_policy = match mail::worker_policy(&config) {
        Ok(p) => p,
        Err(e) => return refuse(figment, e),
    };
    let transport = match mail::Transport::from_settings(
        config.smtp_url.as_ref().map(|s| s.expose()),
        config.data_path("outbox"),
    ) {
        Ok(t) => t,
        Err(e) => return refuse(figment, e),
    };
    let lrs = match xapi::lrs::Lrs::from_config(&config) {
        Ok(l) => l,
        Err(e) => return refuse(figment, e),
    };
    let credential_keys = match credentials::KeyRing::load_or_create(&config.credential_keys_dir())
    {
        Ok(k) => k,
        Err(e) => return refuse(figment, e),
    };
    let mut mailer = mail::Mailer::new(config.public_url(), secret.expose());
    if lrs.is_some() {
        mailer = mailer.with_xapi(xapi::Profile {
            home_page: config.public_url().trim_end_matches('/').to_string(),
            share_identity: config.xapi_share_identity,
        });
    }
    let figment = figment
        .merge(("databases.academy.url", config.database_url()))
        .merge((
            "databases.academy.max_connections",
            config.database_max_connections(),
        ))
        .merge((
            "databases.academy.min_connections",
            config.database_min_connections(),
        ))
        // The client address is the peer's; proxy headers only through `net::ClientAddr`.
        .merge(("ip_header", false));
    let telemetry = Arc::new(telemetry::RequestTelemetry::default());
    let mut rocket = rocket::custom(figment);
    if let Some(lrs) = lrs {
        rocket = rocket.manage(lrs).attach(xapi::lrs::stage());
    }
    rocket
        .attach(telemetry.clone())
        .attach(web::SecurityHeaders)
        .attach(web::NoStore)
        .attach(input::UriCheck)
        .attach(Db::init())
        .attach(db::migrations())
        .attach(credentials::stage())
        .attach(storage::stage())
        .attach(materials::stage())
        .attach(mail::stage())
        .attach(bookings::reminders_stage(&config, mailer.clone()))
        .attach(bookings::waitlist::stage(&config, mailer.clone()))
        .attach(reports::digest_stage(&config, mailer.clone()))
        .attach(courses::import_on_start())
        .manage(telemetry)
        .manage(courses::ContentCache::default())
        .manage(mail_policy)
        .manage(transport)
        .manage(mailer)
        .manage(keys)
        .manage(auth::password::Hasher::new(
            config.password_hash_concurrency,
            std::time::Duration::from_secs(config.password_hash_queue_seconds),
        ))
        .manage(auth::Throttle::from_config(&config))
        .mount("/api", api::routes())
        .mount("/api", accounts::routes())
        .mount("/api", orgs::routes())
        .mount("/api", materials::routes())
        .mount("/api", courses::routes())
        .mount("/api", progress::routes())
        .mount("/api", learning::routes())
        .mount("/api", quizzes::routes())
        .mount("/api", bookings::routes())
        .mount("/api", certificates::routes())
        .mount("/api", credentials::routes())
        .mount("/", credentials::well_known_routes())
        .manage(credential_keys)
        .mount("/api", reports::routes())
        .mount("/api", mail::routes())
        .mount("/", certificates::page_routes())
        .manage(certificates::VerifyLimiter::new(
            config.verify_rate_per_minute,
        ))
        .mount("/", web::routes())
        .mount("/", web::static_files(&config))
        .register("/", error::catchers())
        .manage(net::TrustedProxies(config.trusted_proxies.clone()))
        .manage(config)
}

/// A Rocket that refuses to ignite, saying why.
fn refuse(figment: Figment, why: String) -> Rocket<Build> {
    rocket::custom(figment).attach(AdHoc::try_on_ignite(
        "Configuration",
        move |rocket| async move {
            tracing::error!("{why}");
            eprintln!("academy: {why}");
            Err(rocket)
        },
    ))
}
