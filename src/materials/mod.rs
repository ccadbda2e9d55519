//! Course materials: files coordinators attach to courses (slide decks, PDF guides, templates,
//! spreadsheets, short videos) and learners download.
//!
//! The bytes live in the [`ObjectStore`] under a generated key (`materials/<uuid>`); the
//! metadata lives in `materials`. The two are kept in step so that a failure on either side
//! leaves neither behind: the row is written first as `pending` (never shown), then the
//! object, then the row turns `ready`; any failure removes the object, aborts any incomplete
//! multipart upload of its key, and then removes the row. Whatever a crash or an outage leaves
//! half-way is removed by a periodic sweep ([`sweep`], [`stage`]) that several processes may
//! run at once: each piece of work is claimed by one conditional statement.

pub mod disposition;
pub mod range;
mod routes;
pub mod sniff;
mod store;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

pub use routes::{routes, Doc};
pub use store::Material;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::storage::{ObjectStore, Storage, StorageError};
pub use store::Deleter;

/// The courses feature's lookups this feature relies on.
mod learning {
    pub use crate::courses::course_id;
    pub use crate::progress::is_enrolled;
}

/// The ready materials of a course, for the course endpoint's `materials: [...]`.
pub async fn list_for_course(db: &AnyPool, course_id: i64) -> Result<Vec<Material>> {
    store::list_ready(db, course_id).await
}

/// An upload that has been streamed to a temporary file within the size limit.
pub struct UploadRequest<'a> {
    pub course_id: i64,
    pub uploaded_by: i64,
    /// The uploading coordinator's partner; `None` for an admin.
    pub partner_id: Option<i64>,
    pub title: Option<&'a str>,
    pub raw_filename: &'a str,
    pub path: &'a Path,
    pub size: u64,
}

/// How long a failed upload's answer waits for its clean-up. A store that fails fast (a cut
/// connection, an error answer) is cleaned before the 503 goes out; a stalled one is left to
/// a background task (and, should that fail too, to the sweep) so the answer is not held.
const CLEANUP_GRACE: Duration = Duration::from_secs(1);

/// Check the content, then write row and object so that a failure leaves neither behind.
pub async fn upload(
    db: &AnyPool,
    objects: &Arc<dyn ObjectStore>,
    req: UploadRequest<'_>,
) -> Result<Material> {
    if req.size == 0 {
        return Err(Error::invalid("file", "the file is empty"));
    }
    let filename = disposition::clean_filename(req.raw_filename);
    let title = match req.title.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => filename.clone(),
    };
    if title.chars().count() > 200 {
        return Err(Error::invalid("title", "must be at most 200 characters"));
    }
    let path = req.path.to_path_buf();
    let sniff_name = filename.clone();
    let kind = tokio::task::spawn_blocking(move || sniff::sniff_file(&path, &sniff_name))
        .await
        .map_err(|e| Error::internal("checking the upload", e))?
        .map_err(|refused| Error::UnsupportedMediaType(format!("file: {}", refused.0)))?;
    let filename = sniff::fit_extension(&filename, kind);
    let key = format!("materials/{}", uuid::Uuid::new_v4().simple());
    let size = i64::try_from(req.size).map_err(|_| Error::invalid("file", "too large"))?;

    let id = store::insert_pending(
        db,
        &store::NewMaterial {
            course_id: req.course_id,
            title: &title,
            filename: &filename,
            content_type: kind.content_type,
            size,
            object_key: &key,
            uploaded_by: req.uploaded_by,
            partner_id: req.partner_id,
        },
        now(),
    )
    .await?;

    let written = async {
        let mut file = tokio::fs::File::open(req.path)
            .await
            .map_err(|e| Error::internal("reading the upload", e))?;
        let written = objects
            .put_reader(&key, &mut file, kind.content_type, None)
            .await?;
        if written.size != req.size {
            return Err(Error::from(StorageError::Integrity(format!(
                "{key}: stored {} of {} bytes",
                written.size, req.size
            ))));
        }
        Ok(written)
    }
    .await;
    let result = match written {
        Ok(written) => store::mark_ready(db, id, &written.sha256, now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(material) => Ok(material.public()),
        Err(e) => {
            // Its own task: the clean-up finishes even when this request is dropped.
            let cleanup = tokio::spawn(undo_upload(db.clone(), objects.clone(), id, key));
            if tokio::time::timeout(CLEANUP_GRACE, cleanup).await.is_err() {
                tracing::info!(id, "upload failed: clean-up continues in the background");
            }
            Err(e)
        }
    }
}

/// Object first, then any incomplete multipart upload of its key, then the row; what cannot
/// be removed now is left `pending` for [`sweep`].
async fn undo_upload(db: AnyPool, objects: Arc<dyn ObjectStore>, id: i64, key: String) {
    if let Err(e) = objects.delete(&key).await {
        tracing::warn!(key, error = %e, "upload failed and its object could not be removed yet");
        return;
    }
    if let Err(e) = objects.abort_incomplete_uploads(&key, i64::MAX).await {
        tracing::warn!(key, error = %e, "upload failed and its multipart upload could not be aborted yet");
        return;
    }
    if let Err(e) = store::delete_row(&db, id).await {
        tracing::warn!(id, error = %e, "upload failed and its row could not be removed yet");
    }
}

/// Delete a material: hide the row, remove the object, remove the row. `who` may delete only
/// what is theirs (see [`store::begin_delete`]); anything else is a 404.
pub async fn remove(db: &AnyPool, objects: &dyn ObjectStore, id: i64, who: Deleter) -> Result<()> {
    let material = store::begin_delete(db, id, who, now()).await?;
    if let Err(e) = objects.delete(&material.object_key).await {
        store::undo_delete(db, id, now()).await?;
        return Err(e.into());
    }
    store::delete_row(db, id).await
}

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
