//! Course materials: files coordinators attach to courses (slide decks, PDF guides, templates,
//! spreadsheets, short videos) and learners download.
//!
//! The bytes live in the [`ObjectStore`] under a generated key (`materials/<uuid>`); the
//! metadata lives in `materials`. The two are kept in step so that a failure on either side
//! leaves neither behind: the row is written first as `pending` (never shown), then the
//! object, then the row turns `ready`; any failure removes the object and then the row, and
//! whatever a crash leaves half-way is swept at start-up ([`sweep`]).

pub mod disposition;
pub mod range;
mod routes;
pub mod sniff;
pub mod store;

use std::path::Path;

use rocket::fairing::AdHoc;
use rocket_db_pools::Database;
use sqlx::AnyPool;

pub use routes::{routes, Doc};
pub use store::Material;

use crate::clock::now;
use crate::error::{Error, Result};
use crate::storage::{ObjectStore, Storage, StorageError};

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
    pub title: Option<&'a str>,
    pub raw_filename: &'a str,
    pub path: &'a Path,
    pub size: u64,
}

/// Check the content, then write row and object so that a failure leaves neither behind.
pub async fn upload(
    db: &AnyPool,
    objects: &dyn ObjectStore,
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
            undo_upload(db, objects, id, &key).await;
            Err(e)
        }
    }
}

/// Object first, then row; what cannot be removed now is left `pending` for [`sweep`].
async fn undo_upload(db: &AnyPool, objects: &dyn ObjectStore, id: i64, key: &str) {
    if let Err(e) = objects.delete(key).await {
        tracing::warn!(key, error = %e, "upload failed and its object could not be removed yet");
        return;
    }
    if let Err(e) = store::delete_row(db, id).await {
        tracing::warn!(id, error = %e, "upload failed and its row could not be removed yet");
    }
}

/// Delete a material: hide the row, remove the object, remove the row.
pub async fn remove(db: &AnyPool, objects: &dyn ObjectStore, id: i64) -> Result<()> {
    let material = store::begin_delete(db, id, now()).await?;
    if let Err(e) = objects.delete(&material.object_key).await {
        store::undo_delete(db, id, now()).await?;
        return Err(e.into());
    }
    store::delete_row(db, id).await
}

/// Finish what a crash or an outage left half-way: rows `pending` or `deleting` since before
/// `older_than` lose their object, then themselves. Returns how many were cleaned.
pub async fn sweep(db: &AnyPool, objects: &dyn ObjectStore, older_than: i64) -> Result<usize> {
    let mut cleaned = 0;
    for (id, key) in store::stale(db, older_than).await? {
        match objects.delete(&key).await {
            Ok(()) => {
                store::delete_row(db, id).await?;
                cleaned += 1;
            }
            Err(e) => tracing::warn!(key, error = %e, "sweep: object not removed, will retry"),
        }
    }
    Ok(cleaned)
}

/// At lift-off, sweep what is older than an hour (uploads still streaming are younger).
pub fn stage() -> AdHoc {
    AdHoc::on_liftoff("Materials sweep", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(storage)) =
                (crate::db::Db::fetch(rocket), rocket.state::<Storage>())
            else {
                return;
            };
            let pool = db.pool.clone();
            let objects = storage.shared();
            tokio::spawn(async move {
                match sweep(&pool, &*objects, now() - 3600).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(n, "materials: swept half-written uploads and deletions")
                    }
                    Err(e) => tracing::warn!(error = %e, "materials: sweep failed"),
                }
            });
        })
    })
}
