//! Signing in: the throttle first (a locked attempt costs no hashing), then the password, with
//! a decoy hash for unknown emails so that they answer the same, in about the same time.

use std::net::IpAddr;

use crate::auth::password;
use crate::auth::throttle::{self, Throttle};
use crate::db::Db;
use crate::error::Result;
use crate::orgs::{self, User};

/// What a sign-in attempt comes to.
pub enum SignIn {
    Accepted(User),
    /// Wrong email or password (the two are not told apart).
    Refused,
    /// Too many failures for this email or this client: try again after this long.
    Throttled {
        wait_seconds: i64,
    },
}

/// Check `email` and `password` from `client`, counting failures per account and per client.
pub async fn sign_in(
    db: &Db,
    hasher: &password::Hasher,
    limits: &Throttle,
    client: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<SignIn> {
    let email = orgs::normalize_email(email).unwrap_or_default();
    let keys = throttle::Keys::new(&email, client);
    if let Some(wait_seconds) = throttle::wait(db, &keys, crate::clock::now()).await? {
        return Ok(SignIn::Throttled { wait_seconds });
    }
    let found = if email.is_empty() {
        None
    } else {
        orgs::login_lookup(db, &email).await?
    };
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, password::decoy_hash().to_string()),
    };
    let ok = hasher.verify(password, hash).await?;
    match (user, ok) {
        (Some(user), true) => {
            throttle::succeeded(db, &keys).await?;
            Ok(SignIn::Accepted(user))
        }
        _ => {
            throttle::failed(db, limits, &keys, crate::clock::now()).await?;
            Ok(SignIn::Refused)
        }
    }
}
