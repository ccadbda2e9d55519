//! All SQL of credentials.

use sqlx::AnyPool;
use tracing::instrument;

use super::did::PublicKey;
use super::document::Extra;
use super::keys::KeyRing;
use super::status::LIST_BITS;
use crate::error::{Context, Result};

/// Publish this process's public keys (each once, whoever registers it first).
#[instrument(skip_all)]
pub async fn register(db: &AnyPool, ring: &KeyRing, now: i64) -> Result<()> {
    for key in ring.all() {
        sqlx::query(
            "INSERT INTO credential_keys (thumbprint, x, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (thumbprint) DO NOTHING",
        )
        .bind(&key.thumbprint)
        .bind(&key.x)
        .bind(now)
        .execute(db)
        .await
        .context("registering credential keys")?;
    }
    Ok(())
}

/// Every published key, oldest first.
#[instrument(skip_all)]
pub async fn public_keys(db: &AnyPool) -> Result<Vec<PublicKey>> {
    sqlx::query_as("SELECT thumbprint, x FROM credential_keys ORDER BY created_at, thumbprint")
        .fetch_all(db)
        .await
        .context("credential keys")
}

/// One published key by thumbprint.
#[instrument(skip_all)]
pub async fn public_key(db: &AnyPool, thumbprint: &str) -> Result<Option<PublicKey>> {
    sqlx::query_as("SELECT thumbprint, x FROM credential_keys WHERE thumbprint = $1")
        .bind(thumbprint)
        .fetch_optional(db)
        .await
        .context("credential key")
}

/// The holder's address and the course's words, for a certificate's credential.
#[instrument(skip_all)]
pub async fn extra(db: &AnyPool, certificate_id: i64) -> Result<Extra> {
    let found: Option<Extra> = sqlx::query_as(
        "SELECT u.email, co.summaries_json, co.default_language, co.pass_mark, co.quiz_required \
         FROM certificates c \
         LEFT JOIN users u ON u.id = c.user_id \
         LEFT JOIN courses co ON co.id = c.course_id \
         WHERE c.id = $1",
    )
    .bind(certificate_id)
    .fetch_optional(db)
    .await
    .context("certificate")?;
    Ok(found.unwrap_or_default())
}

/// The status list `list`: the indexes of its revoked certificates, or `None` when no
/// certificate has a place in it.
#[instrument(skip_all)]
pub async fn revoked_in_list(db: &AnyPool, list: i64) -> Result<Option<Vec<i64>>> {
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM certificates")
        .fetch_one(db)
        .await
        .context("certificates")?;
    if list < 0 || max.is_none_or(|max| max / LIST_BITS < list) {
        return Ok(None);
    }
    let first = list * LIST_BITS;
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM certificates WHERE revoked_at IS NOT NULL AND id >= $1 AND id < $2",
    )
    .bind(first)
    .bind(first + LIST_BITS)
    .fetch_all(db)
    .await
    .context("revoked certificates")?;
    Ok(Some(rows.into_iter().map(|(id,)| id - first).collect()))
}
