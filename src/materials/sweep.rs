//! The periodic sweep: whatever a crash or an outage left half-way (rows `pending` or
//! `deleting`, their objects, incomplete multipart uploads) is removed, by one process at a time.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

use super::store;
use crate::clock::now;
use crate::error::Result;
use crate::storage::{ObjectStore, Storage};

/// Finish what a crash or an outage left half-way: rows `pending` or `deleting` since before
/// `older_than` lose their object (and any incomplete multipart upload of its key), then
/// themselves. Each row is claimed first ([`store::claim_stale`]), so processes sweeping at
/// the same time never work on the same row. Returns how many rows were cleaned.
pub async fn sweep(db: &AnyPool, objects: &dyn ObjectStore, older_than: i64) -> Result<usize> {
    let mut cleaned = 0;
    for id in store::stale(db, older_than).await? {
        let Some(key) = store::claim_stale(db, id, older_than, now()).await? else {
            continue;
        };
        let removed = async {
            objects.delete(&key).await?;
            objects.abort_incomplete_uploads(&key, i64::MAX).await
        }
        .await;
        match removed {
            Ok(_) => {
                store::delete_row(db, id).await?;
                cleaned += 1;
            }
            // Claimed, so the next sweep after `older_than` takes it again.
            Err(e) => tracing::warn!(key, error = %e, "sweep: object not removed, will retry"),
        }
    }
    Ok(cleaned)
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub rows: usize,
    pub incomplete_uploads: usize,
}

/// When and what the periodic sweep removes (from the `storage_sweep_*` settings).
#[derive(Debug, Clone, Copy)]
pub struct SweepPolicy {
    pub every: Duration,
    pub pending_after: i64,
    pub multipart_after: i64,
}

impl SweepPolicy {
    pub fn from_config(config: &crate::config::Config) -> Self {
        let secs = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        SweepPolicy {
            every: Duration::from_secs(config.storage_sweep_interval_seconds.max(1)),
            pending_after: secs(config.storage_sweep_pending_after_seconds),
            multipart_after: secs(config.storage_sweep_multipart_after_seconds),
        }
    }
}

/// One round of the periodic sweep: stale rows, then incomplete uploads older than the policy
/// allows (abandoned by a crash, or by a failure whose clean-up failed too).
pub async fn sweep_all(
    db: &AnyPool,
    objects: &dyn ObjectStore,
    policy: &SweepPolicy,
) -> Result<Swept> {
    let t = now();
    let rows = sweep(db, objects, t.saturating_sub(policy.pending_after)).await?;
    let incomplete_uploads = objects
        .abort_incomplete_uploads("", t.saturating_sub(policy.multipart_after))
        .await?;
    Ok(Swept {
        rows,
        incomplete_uploads,
    })
}

/// The periodic sweep, started with the server: every `storage_sweep_interval_seconds` one
/// process (whichever claims the turn in the database) runs [`sweep_all`]. Stops at shutdown.
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Materials sweep", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(storage), Some(config)) = (
                crate::db::Db::fetch(rocket),
                rocket.state::<Storage>(),
                rocket.state::<crate::config::Config>(),
            ) else {
                return;
            };
            let pool = db.pool.clone();
            let objects = storage.shared();
            let policy = SweepPolicy::from_config(config);
            let shutdown = rocket.shutdown();
            tokio::spawn(async move {
                let every = i64::try_from(policy.every.as_secs()).unwrap_or(i64::MAX);
                loop {
                    run_sweep_if_due(&pool, &*objects, &policy, every).await;
                    tokio::select! {
                        _ = shutdown.clone() => break,
                        _ = tokio::time::sleep(policy.every) => {}
                    }
                }
            });
        })
    })
}

async fn run_sweep_if_due(
    db: &AnyPool,
    objects: &dyn ObjectStore,
    policy: &SweepPolicy,
    every: i64,
) {
    // A little less than the interval, so this process's own next turn is due on time.
    let hold = every.saturating_sub(1).max(1);
    match crate::db::claim_run(db, "storage_sweep", now(), hold).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "materials: sweep not started");
            return;
        }
    }
    match sweep_all(db, objects, policy).await {
        Ok(Swept {
            rows: 0,
            incomplete_uploads: 0,
        }) => {}
        Ok(swept) => tracing::info!(
            rows = swept.rows,
            incomplete_uploads = swept.incomplete_uploads,
            "materials: swept half-written uploads and deletions"
        ),
        Err(e) => tracing::warn!(error = %e, "materials: sweep failed, will retry"),
    }
}
