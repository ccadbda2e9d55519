//! All SQL of refresh tokens. A token family is one login session; rotation marks the old
//! token used, and presenting a used token again revokes the whole family.

use sqlx::AnyPool;
use tracing::instrument;

use crate::clock::now;
use crate::domain::Role;
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
    /// The token was used by another refresh a moment ago (within the grace window): the
    /// session goes on, and this caller gets an access token only (two browser tabs refreshing
    /// with the same cookie at once).
    Raced { user_id: i64, family: String },
    /// The token had already been used: the family is now revoked.
    Reused,
    /// The token outlived its session.
    Expired,
    /// The token's session was closed (sign-out, password change, reuse, account disabled).
    Revoked { user_id: i64 },
    /// Unknown token.
    Invalid,
}

/// Atomically mark a live token as used (one statement: two concurrent refreshes with the
/// same token cannot both succeed). A token used again within `grace_secs` of its rotation,
/// in a session still open, is [`Rotation::Raced`]; later, or with no grace, it is reuse and
/// revokes the session.
#[instrument(skip_all)]
pub async fn rotate(db: &AnyPool, hash: &str, grace_secs: i64) -> Result<Rotation> {
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
    type Row = (i64, String, Option<i64>, Option<i64>, i64);
    let found: Option<Row> = sqlx::query_as(
        "SELECT user_id, family, used_at, revoked_at, expires_at FROM refresh_tokens
         WHERE token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
    .context("checking refresh token")?;
    let Some((user_id, family, used_at, revoked_at, expires_at)) = found else {
        return Ok(Rotation::Invalid);
    };
    match used_at {
        Some(used) if revoked_at.is_none() && grace_secs > 0 && now - used <= grace_secs => {
            Ok(Rotation::Raced { user_id, family })
        }
        Some(_) => {
            tracing::warn!("refresh token reuse detected: revoking its session");
            revoke_family(db, &family).await?;
            Ok(Rotation::Reused)
        }
        None if revoked_at.is_some() => Ok(Rotation::Revoked { user_id }),
        None if expires_at <= now => Ok(Rotation::Expired),
        None => Ok(Rotation::Invalid),
    }
}

/// The session (family) of a refresh token, whatever its state.
#[instrument(skip_all)]
pub async fn family_of(db: &AnyPool, hash: &str) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT family FROM refresh_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(db)
        .await
        .context("finding a session")
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

/// What an access token's bearer is, read fresh from the database on every request.
#[derive(Debug, sqlx::FromRow)]
pub struct Bearer {
    pub role: Role,
    pub locale: String,
    pub time_zone: String,
    pub sme_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub token_version: i64,
    pub disabled_at: Option<i64>,
    pub removed_at: Option<i64>,
    /// 1 when the token's session (refresh-token family) was closed: logout or reuse.
    pub session_revoked: i64,
    /// The course content generation (see `courses::cache`), read here so that a cached page
    /// needs no statement of its own.
    pub content_generation: i64,
}

/// One indexed lookup per authenticated request: the user by primary key, whether the
/// session was revoked (by the `refresh_tokens_family` index), and the one-row content
/// generation.
#[instrument(skip_all)]
pub async fn bearer(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    session: &str,
) -> Result<Option<Bearer>> {
    sqlx::query_as(
        "SELECT role, locale, time_zone, sme_id, partner_id, token_version, disabled_at,
           removed_at,
           CAST(CASE WHEN EXISTS (SELECT 1 FROM refresh_tokens r
                                  WHERE r.family = $2 AND r.revoked_at IS NOT NULL)
                THEN 1 ELSE 0 END AS BIGINT) AS session_revoked,
           (SELECT generation FROM content_generation WHERE id = 1) AS content_generation
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .bind(session)
    .fetch_optional(conn)
    .await
    .context("checking access token")
}

/// The latest lock among `keys` (unix seconds; 0 when none is locked).
#[instrument(skip_all)]
pub async fn locked_until(db: &AnyPool, keys: &[&str; 2]) -> Result<i64> {
    let until: Option<i64> =
        sqlx::query_scalar("SELECT MAX(locked_until) FROM login_throttle WHERE key IN ($1, $2)")
            .bind(keys[0])
            .bind(keys[1])
            .fetch_one(db)
            .await
            .context("checking sign-in throttle")?;
    Ok(until.unwrap_or(0))
}

/// Count one failed sign-in for `key` and return the failures counted so far. Failures older
/// than `window_secs` before this one are forgotten. One statement: concurrent failures each
/// count.
#[instrument(skip_all)]
pub async fn record_failure(db: &AnyPool, key: &str, now: i64, window_secs: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until)
         VALUES ($1, 1, $2, 0)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1
                           ELSE login_throttle.failures + 1 END,
           last_failure_at = $2
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_secs)
    .fetch_one(db)
    .await
    .context("recording failed sign-in")
}

/// Lock `key` until `until` (never shortening a longer lock set concurrently).
#[instrument(skip_all)]
pub async fn lock(db: &AnyPool, key: &str, until: i64) -> Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET locked_until = CASE WHEN locked_until < $2 THEN $2
         ELSE locked_until END WHERE key = $1",
    )
    .bind(key)
    .bind(until)
    .execute(db)
    .await
    .context("locking sign-in")?;
    Ok(())
}

/// Forget the failures of `key` (after a successful sign-in).
#[instrument(skip_all)]
pub async fn forget(db: &AnyPool, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(db)
        .await
        .context("resetting sign-in throttle")?;
    Ok(())
}

/// Drop throttle rows whose failures are forgotten and whose lock is over.
#[instrument(skip_all)]
pub async fn prune_throttle(db: &AnyPool, forgotten_before: i64, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1 AND locked_until <= $2")
        .bind(forgotten_before)
        .bind(now)
        .execute(db)
        .await
        .context("pruning sign-in throttle")?;
    Ok(())
}
