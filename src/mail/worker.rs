//! The delivery worker: started with the server, it claims due messages, sends them and
//! records the outcome. A failed send is retried after 1, 2, 4, ... times
//! `mail_retry_seconds` (at most an hour apart) until `mail_max_attempts`, then `failed`.

use std::time::Duration;

use futures::StreamExt;
use lettre::message::Mailbox;
use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

use super::store;
use super::transport::Transport;
use crate::clock::now;
use crate::config::Config;
use crate::error::Result;

/// How the worker paces itself (from the `mail_*` settings).
#[derive(Debug, Clone)]
pub struct Policy {
    pub from: Mailbox,
    pub poll: Duration,
    pub retry_seconds: i64,
    pub max_attempts: i64,
    /// How long a claimed message is held before another worker may take it over.
    pub lease_seconds: i64,
    pub batch: i64,
}

impl Policy {
    pub fn from_config(config: &Config) -> std::result::Result<Policy, String> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            format!(
                "ACADEMY_MAIL_FROM {:?} is not an address ({e}); e.g. \"IberoBio Academy <academy@example.org>\"",
                config.mail_from
            )
        })?;
        Ok(Policy {
            from,
            poll: Duration::from_millis(config.mail_poll_milliseconds.max(10)),
            retry_seconds: config.mail_retry_seconds.max(1),
            max_attempts: config.mail_max_attempts.max(1),
            // A batch is sent 8 at a time, each send giving up after 20 s: 16 messages take at
            // most about 40 s, well inside the lease, so no other worker takes them over while
            // they wait their turn.
            lease_seconds: 120,
            batch: 16,
        })
    }

    /// When a message that failed its `attempts`-th try is due again (`None`: give up).
    pub fn next_attempt(&self, attempts: i64, now: i64) -> Option<i64> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 1_i64 << (attempts - 1).clamp(0, 20);
        Some(now + (self.retry_seconds.saturating_mul(factor)).min(3600))
    }
}

/// What one round delivered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Claim and send every due message once (one round of the worker).
pub async fn deliver_due(
    db: &AnyPool,
    transport: &Transport,
    policy: &Policy,
) -> Result<Delivered> {
    let mut done = Delivered::default();
    loop {
        let t = now();
        let batch = store::claim(
            db,
            t,
            t + policy.lease_seconds,
            policy.batch,
            store::Channel::Mail,
        )
        .await?;
        if batch.is_empty() {
            return Ok(done);
        }
        // Several sends in flight: one SMTP exchange waits on the network most of its time.
        let sends: Vec<_> = batch
            .iter()
            .map(|m| deliver_one(db, transport, policy, m))
            .collect();
        let outcomes: Vec<Result<Outcome>> = futures::stream::iter(sends)
            .buffer_unordered(SENDS_IN_FLIGHT)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome? {
                Outcome::Sent => done.sent += 1,
                Outcome::Retry => done.retried += 1,
                Outcome::Failed => done.failed += 1,
            }
        }
        if (batch.len() as i64) < policy.batch {
            return Ok(done);
        }
    }
}

/// Messages sent at once by one worker.
const SENDS_IN_FLIGHT: usize = 8;

enum Outcome {
    Sent,
    Retry,
    Failed,
}

/// Send one claimed message and record what happened.
async fn deliver_one(
    db: &AnyPool,
    transport: &Transport,
    policy: &Policy,
    m: &store::Queued,
) -> Result<Outcome> {
    match transport.send(&policy.from, m).await {
        Ok(()) => {
            store::mark_sent(db, m.id, now()).await?;
            Ok(Outcome::Sent)
        }
        Err(e) => {
            let next = policy.next_attempt(m.attempts, now());
            if next.is_some() {
                tracing::warn!(id = m.id, kind = %m.kind, attempts = m.attempts, error = %e, "mail not sent; will retry");
            } else {
                tracing::error!(id = m.id, kind = %m.kind, attempts = m.attempts, error = %e, "mail failed for good");
            }
            store::mark_unsent(db, m.id, &e, next).await?;
            Ok(if next.is_some() {
                Outcome::Retry
            } else {
                Outcome::Failed
            })
        }
    }
}

/// Run `round` now and then every `poll` until the server shuts down: the loop of each
/// process's outbox workers (mail here, xAPI statements in `crate::xapi::lrs`).
pub fn run_rounds<F, Fut>(name: &'static str, shutdown: rocket::Shutdown, poll: Duration, round: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    tokio::spawn(async move {
        loop {
            if let Err(e) = round().await {
                tracing::warn!(worker = name, error = %e, "worker round failed");
            }
            tokio::select! {
                _ = shutdown.clone() => break,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    });
}

/// The worker, started at liftoff and stopped at shutdown.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Mail worker", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(transport), Some(policy)) = (
                crate::db::Db::fetch(rocket),
                rocket.state::<Transport>(),
                rocket.state::<Policy>(),
            ) else {
                return;
            };
            let (pool, transport, policy) = (db.pool.clone(), transport.clone(), policy.clone());
            tracing::info!(transport = %transport.describe(), "mail worker started");
            let poll = policy.poll;
            run_rounds("mail", rocket.shutdown(), poll, move || {
                let (pool, transport, policy) = (pool.clone(), transport.clone(), policy.clone());
                async move { deliver_due(&pool, &transport, &policy).await.map(|_| ()) }
            });
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_then_give_up() {
        let p = Policy::from_config(&Config {
            mail_retry_seconds: 30,
            mail_max_attempts: 5,
            ..Config::default()
        })
        .unwrap();
        assert_eq!(p.next_attempt(1, 1000), Some(1030));
        assert_eq!(p.next_attempt(2, 1000), Some(1060));
        assert_eq!(p.next_attempt(4, 1000), Some(1240));
        assert_eq!(p.next_attempt(5, 1000), None);
        let slow = Policy {
            retry_seconds: 600,
            max_attempts: 50,
            ..p
        };
        assert_eq!(
            slow.next_attempt(40, 0),
            Some(3600),
            "at most an hour apart"
        );
    }
}
