//! Authentication: passwords, access and refresh tokens, and the role guards.

mod guards;
pub mod password;
pub mod policy;
mod routes;
mod store;
pub mod throttle;
pub mod tokens;

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use guards::{Admin, Advisor, CurrentUser, Learner, Staff};
pub use routes::routes;
pub use routes::Doc;
pub use throttle::Throttle;
pub use tokens::Keys;

/// Close every session of a user: their refresh tokens stop working (access tokens are refused
/// through the user's token version, bumped by the caller's change).
pub async fn revoke_sessions(db: &sqlx::AnyPool, user_id: i64) -> crate::error::Result<()> {
    store::revoke_user(db, user_id).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Learner,
    Advisor,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Advisor => "advisor",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "learner" => Some(Role::Learner),
            "advisor" => Some(Role::Advisor),
            "coordinator" => Some(Role::Coordinator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A random alphanumeric string from the OS-seeded CSPRNG.
pub fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// Refresh tokens are stored as SHA-256 hex: a database leak does not leak sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
