//! All SQL of refresh tokens. A token family is one login session; rotation marks the old
//! token used, and presenting a used token again revokes the whole family.

use sqlx::AnyPool;
use tracing::instrument;

use crate::clock::now;
use crate::error::{Context, Result};

#[instrument(skip_all)]
pub async fn insert(
    db: &AnyPool,
    user_id: i64,
    family: &str,
    hash: &str,
    ttl_secs: i64,
) -> Result<()> {
    let now = now();
    sqlx::query(
        "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(family)
    .bind(hash)
    .bind(now)
    .bind(now + ttl_secs)
    .execute(db)
    .await
    .context("storing refresh token")?;
    Ok(())
}

pub enum Rotation {
    /// The token was live and is now used: issue a new one in this family.
    Rotated { user_id: i64, family: String },
    /// The token had already been used: the family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Atomically mark a live token as used (one statement: two concurrent refreshes with the
/// same token cannot both succeed).
#[instrument(skip_all)]
pub async fn rotate(db: &AnyPool, hash: &str) -> Result<Rotation> {
    let now = now();
    let row: Option<(i64, String)> = sqlx::query_as(
        "UPDATE refresh_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         RETURNING user_id, family",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(db)
    .await
    .context("rotating refresh token")?;
    if let Some((user_id, family)) = row {
        return Ok(Rotation::Rotated { user_id, family });
    }
    let used: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT family, used_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(db)
            .await
            .context("checking refresh token")?;
    match used {
        Some((family, Some(_))) => {
            tracing::warn!("refresh token reuse detected: revoking its session");
            revoke_family(db, &family).await?;
            Ok(Rotation::Reused)
        }
        _ => Ok(Rotation::Invalid),
    }
}

#[instrument(skip_all)]
pub async fn revoke_family(db: &AnyPool, family: &str) -> Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
    )
    .bind(family)
    .bind(now())
    .execute(db)
    .await
    .context("revoking session")?;
    Ok(())
}

#[instrument(skip_all)]
pub async fn revoke_user(db: &AnyPool, user_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now())
    .execute(db)
    .await
    .context("revoking sessions")?;
    Ok(())
}
