//! All SQL of single-use account links (password resets and invitations). Only the SHA-256 of
//! a token is stored.

use sqlx::{AnyConnection, AnyPool};

use crate::error::{Context, Result};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    Invitation,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
        }
    }
}

pub struct NewLink<'a> {
    pub purpose: Purpose,
    pub token_hash: &'a str,
    pub user_id: i64,
    pub created_by: Option<i64>,
    pub expires_at: i64,
    pub now: i64,
}

/// Store a new link; earlier unused links of the same purpose for the user stop working (the
/// newest mail is the one that counts).
pub async fn insert(conn: &mut AnyConnection, l: &NewLink<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $3
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(l.user_id)
    .bind(l.purpose.as_str())
    .bind(l.now)
    .execute(&mut *conn)
    .await
    .context("retiring earlier links")?;
    sqlx::query(
        "INSERT INTO account_tokens (purpose, token_hash, user_id, created_by, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(l.purpose.as_str())
    .bind(l.token_hash)
    .bind(l.user_id)
    .bind(l.created_by)
    .bind(l.expires_at)
    .bind(l.now)
    .execute(&mut *conn)
    .await
    .context("storing a link")?;
    Ok(())
}

/// The user a valid (unused, unexpired) link belongs to, without using it.
pub async fn peek(
    db: &AnyPool,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db)
    .await
    .context("reading a link")?;
    Ok(row.map(|r| r.0))
}

/// Use a link: `Some(user)` for the one caller that wins; `None` when it is unknown, used or
/// expired.
pub async fn consume(
    conn: &mut AnyConnection,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING user_id",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await
    .context("using a link")?;
    Ok(row.map(|r| r.0))
}

/// How many links of `purpose` were made for the user since `since` (limits reset mail).
pub async fn made_since(db: &AnyPool, purpose: Purpose, user_id: i64, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND created_at >= $3",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(since)
    .fetch_one(db)
    .await
    .context("counting links")?;
    Ok(n)
}
