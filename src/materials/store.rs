//! All SQL of materials.

use serde::Serialize;
use sqlx::AnyPool;

use crate::error::{Context, Result};

/// A material as the API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Material {
    pub id: i64,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Stored as unix seconds, served as RFC 3339.
    #[serde(serialize_with = "crate::clock::as_rfc3339")]
    #[schema(value_type = String)]
    pub created_at: i64,
}

/// A material with what the server needs to serve it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredMaterial {
    pub id: i64,
    pub course_id: i64,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub object_key: String,
    pub created_at: i64,
}

impl StoredMaterial {
    pub fn public(&self) -> Material {
        Material {
            id: self.id,
            title: self.title.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            created_at: self.created_at,
        }
    }
}

pub struct NewMaterial<'a> {
    pub course_id: i64,
    pub title: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub object_key: &'a str,
    pub uploaded_by: i64,
    /// The uploading coordinator's partner (`None` for an admin): who may delete it.
    pub partner_id: Option<i64>,
}

/// Who asks to delete a material: an admin, or a coordinator of a partner.
#[derive(Debug, Clone, Copy)]
pub enum Deleter {
    Admin,
    Coordinator { partner_id: Option<i64> },
}

const COLUMNS: &str = "id, course_id, title, filename, content_type, size, object_key, created_at";

/// Step 1 of an upload: the row, invisible until [`mark_ready`].
#[tracing::instrument(skip_all)]
pub async fn insert_pending(db: &AnyPool, m: &NewMaterial<'_>, now: i64) -> Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO materials (course_id, title, filename, content_type, size, object_key, \
         status, uploaded_by, partner_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $9, $8, $8) RETURNING id",
    )
    .bind(m.course_id)
    .bind(m.title)
    .bind(m.filename)
    .bind(m.content_type)
    .bind(m.size)
    .bind(m.object_key)
    .bind(m.uploaded_by)
    .bind(now)
    .bind(m.partner_id)
    .fetch_one(db)
    .await
    .context("saving the material")
}

/// Step 3 of an upload, once the object is stored.
#[tracing::instrument(skip_all)]
pub async fn mark_ready(db: &AnyPool, id: i64, sha256: &str, now: i64) -> Result<StoredMaterial> {
    sqlx::query_as::<_, StoredMaterial>(&format!(
        "UPDATE materials SET status = 'ready', sha256 = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'pending' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(sha256)
    .bind(now)
    .fetch_one(db)
    .await
    .or_not_found("material")
}

/// A ready material (404 otherwise).
#[tracing::instrument(skip_all)]
pub async fn get_ready(db: &AnyPool, id: i64) -> Result<StoredMaterial> {
    sqlx::query_as::<_, StoredMaterial>(&format!(
        "SELECT {COLUMNS} FROM materials WHERE id = $1 AND status = 'ready'"
    ))
    .bind(id)
    .fetch_one(db)
    .await
    .or_not_found("material")
}

#[tracing::instrument(skip_all)]
pub async fn list_ready<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    course_id: i64,
) -> Result<Vec<Material>> {
    sqlx::query_as::<_, Material>(
        "SELECT id, title, filename, content_type, size, created_at FROM materials \
         WHERE course_id = $1 AND status = 'ready' ORDER BY id",
    )
    .bind(course_id)
    .fetch_all(db)
    .await
    .context("materials")
}

/// Claim a ready material for deletion (one statement: two concurrent deletes cannot both
/// win). An admin may delete any; a coordinator only those their partner uploaded. Returns
/// it, or 404 (missing and not yours look the same).
#[tracing::instrument(skip_all)]
pub async fn begin_delete(db: &AnyPool, id: i64, who: Deleter, now: i64) -> Result<StoredMaterial> {
    let (any, partner_id) = match who {
        Deleter::Admin => (1_i64, None),
        Deleter::Coordinator { partner_id } => (0, partner_id),
    };
    sqlx::query_as::<_, StoredMaterial>(&format!(
        "UPDATE materials SET status = 'deleting', updated_at = $2 \
         WHERE id = $1 AND status = 'ready' AND ($3 = 1 OR partner_id = $4) \
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(now)
    .bind(any)
    .bind(partner_id)
    .fetch_one(db)
    .await
    .or_not_found("material")
}

/// The object could not be removed: the material is visible again.
#[tracing::instrument(skip_all)]
pub async fn undo_delete(db: &AnyPool, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE materials SET status = 'ready', updated_at = $2 WHERE id = $1 AND status = 'deleting'")
        .bind(id)
        .bind(now)
        .execute(db)
        .await
        .context("material")?;
    Ok(())
}

/// Remove a row whose object is gone (or was never written).
#[tracing::instrument(skip_all)]
pub async fn delete_row(db: &AnyPool, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM materials WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .context("material")?;
    Ok(())
}

/// Rows left half-way (pending or deleting) since before `older_than`: their ids.
#[tracing::instrument(skip_all)]
pub async fn stale(db: &AnyPool, older_than: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar::<_, i64>(
        "SELECT id FROM materials \
         WHERE status IN ('pending', 'deleting') AND updated_at < $1 ORDER BY id LIMIT 500",
    )
    .bind(older_than)
    .fetch_all(db)
    .await
    .context("materials")
}

/// Claim one stale row for the sweep: one conditional statement, so of several processes
/// sweeping at once exactly one gets it. The row turns `deleting` (an upload still running
/// then cannot mark it ready) and its `updated_at` moves to `now` (nobody else takes it
/// before `older_than` passes again). Returns its object key, or `None` when another
/// process or a finished upload got there first.
#[tracing::instrument(skip_all)]
pub async fn claim_stale(
    db: &AnyPool,
    id: i64,
    older_than: i64,
    now: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar::<_, String>(
        "UPDATE materials SET status = 'deleting', updated_at = $3 \
         WHERE id = $1 AND status IN ('pending', 'deleting') AND updated_at < $2 \
         RETURNING object_key",
    )
    .bind(id)
    .bind(older_than)
    .bind(now)
    .fetch_optional(db)
    .await
    .context("materials")
}
