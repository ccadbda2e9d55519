//! Uploads and deletions: the row and the object kept in step, so that a failure on either
//! side leaves neither behind.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;

use super::store::{self, Deleter, Material};
use super::{disposition, sniff};
use crate::clock::now;
use crate::error::{Error, Result};
use crate::msg;
use crate::storage::{ObjectStore, StorageError};

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
        return Err(Error::invalid("file", msg!("material.empty")));
    }
    let filename = disposition::clean_filename(req.raw_filename);
    let title = match req.title.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => filename.clone(),
    };
    if title.chars().count() > 200 {
        return Err(Error::invalid("title", msg!("material.title_too_long")));
    }
    let path = req.path.to_path_buf();
    let sniff_name = filename.clone();
    let kind = tokio::task::spawn_blocking(move || sniff::sniff_file(&path, &sniff_name))
        .await
        .map_err(|e| Error::internal("checking the upload", e))?
        .map_err(|refused| Error::UnsupportedMediaType(refused.0))?;
    let filename = sniff::fit_extension(&filename, kind);
    let key = format!("materials/{}", uuid::Uuid::new_v4().simple());
    let size =
        i64::try_from(req.size).map_err(|_| Error::invalid("file", msg!("request.too_large")))?;

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
