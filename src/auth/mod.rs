//! Authentication: who is calling. Passwords, access and refresh tokens, sessions, the role
//! guards and the sign-in throttle. The routes that use them are in `crate::accounts`.

pub mod browser;
mod guards;
pub mod password;
pub mod policy;
mod store;
pub mod throttle;
pub mod tokens;

pub use crate::domain::Role;
pub use guards::{Admin, Advisor, CurrentUser, Learner, Staff, UserAndBody};
pub use store::Rotation;
pub use throttle::Throttle;
pub use tokens::{Keys, Subject};

use crate::error::{Error, Result};

/// The tokens of a session, as handed to the client.
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// Tokens for `who`: a new session (refresh-token family), or the next pair of `family`
/// after a rotation.
pub async fn open_session(
    db: &sqlx::AnyPool,
    keys: &Keys,
    who: impl Into<Subject>,
    family: Option<String>,
) -> Result<SessionTokens> {
    let family = family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let refresh = crate::crypto::random_token(48);
    let who = who.into();
    store::insert(
        db,
        who.id,
        &family,
        &token_hash(&refresh),
        keys.refresh_ttl_secs,
    )
    .await?;
    let claims = keys.claims_for(who, &family, crate::clock::now());
    let access = keys
        .issue(&claims)
        .map_err(|e| Error::internal("signing access token", e))?;
    Ok(SessionTokens {
        access_token: access,
        refresh_token: refresh,
        expires_in: keys.access_ttl_secs,
    })
}

/// Use a refresh token once (see [`Rotation`]); `grace_secs` is how long after its rotation a
/// token still counts as a concurrent refresh rather than reuse (0: never).
pub async fn rotate_session(
    db: &sqlx::AnyPool,
    refresh_token: &str,
    grace_secs: i64,
) -> Result<Rotation> {
    store::rotate(db, &token_hash(refresh_token), grace_secs).await
}

/// A new access token in session `family`, without a new refresh token (the answer to a
/// refresh that raced another one with the same token).
pub fn access_token(keys: &Keys, who: impl Into<Subject>, family: &str) -> Result<String> {
    let claims = keys.claims_for(who, family, crate::clock::now());
    keys.issue(&claims)
        .map_err(|e| Error::internal("signing access token", e))
}

/// The session a refresh token belongs to (whether or not it is still usable).
pub async fn session_of(db: &sqlx::AnyPool, refresh_token: &str) -> Result<Option<String>> {
    store::family_of(db, &token_hash(refresh_token)).await
}

/// Close one session (sign-out, or a refresh that must not go on): its refresh tokens and its
/// access tokens stop working.
pub async fn end_session(db: &sqlx::AnyPool, family: &str) -> Result<()> {
    store::revoke_family(db, family).await
}

/// Close every session of a user: their refresh tokens stop working (access tokens are refused
/// through the user's token version, bumped by the caller's change).
pub async fn revoke_sessions(db: &sqlx::AnyPool, user_id: i64) -> crate::error::Result<()> {
    store::revoke_user(db, user_id).await
}

/// Refresh tokens are stored as SHA-256 hex: a database leak does not leak sessions.
fn token_hash(token: &str) -> String {
    crate::crypto::sha256_hex(token)
}
