//! Delivering statements to the LRS: a worker (one per process) claims due statements from the
//! outbox (the same leases as mail: on PostgreSQL `FOR UPDATE SKIP LOCKED`), sends each with
//! `PUT {endpoint}statements?statementId=<id>` and HTTP basic auth, and records the outcome.
//! An LRS that is down or answers 5xx (or 401/403/429) is tried again later, 1, 2, 4, ... times
//! `mail_retry_seconds` apart, until `mail_max_attempts`; a statement the LRS rejects as
//! invalid (any other 4xx) fails at once. A 409 means the LRS already holds a statement with
//! that id: it is treated as sent.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

use crate::clock::now;
use crate::config::Config;
use crate::error::Result;
use crate::mail::{store, Channel, Policy};

/// Where statements go.
#[derive(Clone)]
pub struct Lrs {
    /// Ends with `/` (`http://127.0.0.1:8100/xAPI/`).
    endpoint: String,
    username: String,
    password: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for Lrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lrs({})", self.endpoint)
    }
}

/// What one send did.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    Stored,
    /// Try again later (the LRS is down, busy, or refused our credentials).
    Later(String),
    /// The LRS rejected the statement itself: no retry helps.
    Rejected(String),
}

impl Lrs {
    /// The LRS of the configuration; `None` when xAPI is off, an error for a bad endpoint.
    pub fn from_config(config: &Config) -> std::result::Result<Option<Lrs>, String> {
        let Some(endpoint) = config
            .xapi_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(endpoint).map_err(|e| {
            format!("ACADEMY_XAPI_ENDPOINT {endpoint:?} is not a URL ({e}); e.g. http://127.0.0.1:8100/xAPI/")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "ACADEMY_XAPI_ENDPOINT {endpoint:?} must be an http(s) URL"
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("xAPI client: {e}"))?;
        Ok(Some(Lrs {
            endpoint: format!("{}/", endpoint.trim_end_matches('/')),
            username: config.xapi_username.clone().unwrap_or_default(),
            password: config
                .xapi_password
                .as_ref()
                .map(|s| s.expose().to_string())
                .unwrap_or_default(),
            client,
        }))
    }

    /// Send one statement (its JSON as queued).
    pub async fn send(&self, statement_id: &str, body: &str) -> Sent {
        let url = format!("{}statements", self.endpoint);
        let request = self
            .client
            .put(&url)
            .query(&[("statementId", statement_id)])
            .basic_auth(&self.username, Some(&self.password))
            .header("X-Experience-API-Version", "1.0.3")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        match request.send().await {
            Err(e) => Sent::Later(format!("LRS unreachable: {e}")),
            Ok(r) => {
                let status = r.status();
                if status.is_success() || status.as_u16() == 409 {
                    return Sent::Stored;
                }
                let text = r.text().await.unwrap_or_default();
                let what = format!(
                    "LRS answered {status}: {}",
                    text.chars().take(300).collect::<String>()
                );
                if status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 408 | 429) {
                    Sent::Later(what)
                } else {
                    Sent::Rejected(what)
                }
            }
        }
    }
}

/// What one round delivered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Claim and send every due statement once (one round of the worker).
pub async fn deliver_due(db: &AnyPool, lrs: &Lrs, policy: &Policy) -> Result<Delivered> {
    let mut done = Delivered::default();
    loop {
        let t = now();
        let batch = store::claim(
            db,
            t,
            t + policy.lease_seconds,
            policy.batch,
            Channel::Statements,
        )
        .await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for m in &batch {
            // The dedupe key is `xapi:<statement id>`.
            let id = m
                .dedupe_key
                .as_deref()
                .and_then(|k| k.strip_prefix("xapi:"))
                .unwrap_or_default();
            match lrs.send(id, &m.text_body).await {
                Sent::Stored => {
                    store::mark_sent(db, m.id, now()).await?;
                    done.sent += 1;
                }
                Sent::Later(e) => {
                    let next = policy.next_attempt(m.attempts, now());
                    tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "xAPI statement not sent");
                    store::mark_unsent(db, m.id, &e, next).await?;
                    if next.is_some() {
                        done.retried += 1;
                    } else {
                        done.failed += 1;
                    }
                }
                Sent::Rejected(e) => {
                    tracing::error!(id = m.id, error = %e, "xAPI statement rejected by the LRS");
                    store::mark_unsent(db, m.id, &e, None).await?;
                    done.failed += 1;
                }
            }
        }
        if (batch.len() as i64) < policy.batch {
            return Ok(done);
        }
    }
}

/// The worker, started at liftoff when an LRS is configured, stopped at shutdown.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("xAPI worker", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(lrs), Some(policy)) = (
                crate::db::Db::fetch(rocket),
                rocket.state::<Lrs>(),
                rocket.state::<Policy>(),
            ) else {
                return;
            };
            let (pool, lrs, policy) = (db.pool.clone(), lrs.clone(), policy.clone());
            tracing::info!(lrs = ?lrs, "xAPI worker started");
            let poll = policy.poll;
            crate::mail::run_rounds("xapi", rocket.shutdown(), poll, move || {
                let (pool, lrs, policy) = (pool.clone(), lrs.clone(), policy.clone());
                async move { deliver_due(&pool, &lrs, &policy).await.map(|_| ()) }
            });
        })
    })
}
