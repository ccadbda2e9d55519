//! Sign-in throttling: growing delays after repeated failures, per account and per client.
//!
//! Counters live in the database (`login_throttle`) so every server process sees them. The
//! account key is the normalised email whether or not an account has it, so a lock says nothing
//! about the account's existence. The check runs before the password hash is verified: a storm
//! of locked-out attempts costs one indexed read each, no argon2.

use std::net::IpAddr;

use sqlx::AnyPool;

use super::store;
use crate::config::Config;
use crate::error::Result;

/// Failures are forgotten this long after the last one.
pub const WINDOW_SECS: i64 = 3600;

/// Throttle settings, from the configuration.
#[derive(Debug, Clone)]
pub struct Throttle {
    /// Failures per account before each further one locks it.
    pub account_failures: i64,
    /// Failures per client address before each further one locks it (higher: offices share one
    /// address).
    pub client_failures: i64,
    /// The first lock, doubled by each further failure.
    pub lock_secs: i64,
    pub max_lock_secs: i64,
}

impl Throttle {
    pub fn from_config(c: &Config) -> Self {
        Throttle {
            account_failures: c.login_account_failures.max(1),
            client_failures: c.login_client_failures.max(1),
            lock_secs: c.login_lock_seconds.max(1),
            max_lock_secs: c.login_max_lock_seconds.max(1),
        }
    }

    /// How long to lock after `failures` failures when `allowed` are free.
    pub fn lock_for(&self, failures: i64, allowed: i64) -> i64 {
        if failures < allowed {
            return 0;
        }
        let doublings = (failures - allowed).min(32) as u32;
        self.lock_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_lock_secs)
    }
}

/// The two throttle keys of one sign-in attempt.
pub struct Keys {
    account: String,
    client: String,
}

impl Keys {
    pub fn new(email: &str, client: Option<IpAddr>) -> Self {
        Keys {
            account: format!("account:{email}"),
            client: format!("client:{}", client_key(client)),
        }
    }
}

/// The client part of the key: the address, or its /64 for IPv6 (one host usually holds a
/// whole /64, so single IPv6 addresses would give an attacker endless fresh counters).
fn client_key(ip: Option<IpAddr>) -> String {
    match ip {
        None => "unknown".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Seconds until the attempt may be made, or `None` when it may be made now.
pub async fn wait(db: &AnyPool, keys: &Keys, now: i64) -> Result<Option<i64>> {
    let until = store::locked_until(db, &[&keys.account, &keys.client]).await?;
    Ok((until > now).then_some(until - now))
}

/// Count a failed attempt against both keys, locking those past their allowance.
pub async fn failed(db: &AnyPool, t: &Throttle, keys: &Keys, now: i64) -> Result<()> {
    for (key, allowed) in [
        (&keys.account, t.account_failures),
        (&keys.client, t.client_failures),
    ] {
        let failures = store::record_failure(db, key, now, WINDOW_SECS).await?;
        let lock = t.lock_for(failures, allowed);
        if lock > 0 {
            store::lock(db, key, now + lock).await?;
        }
        if failures == 1 {
            // A new counter: a good moment to drop the forgotten ones, so guessing at many
            // made-up emails does not grow the table without bound.
            store::prune_throttle(db, now - WINDOW_SECS, now).await?;
        }
    }
    Ok(())
}

/// A successful sign-in clears the account's failures. The client's are kept: an attacker
/// who owns one account must not reset their address's count by signing in with it.
pub async fn succeeded(db: &AnyPool, keys: &Keys) -> Result<()> {
    store::forget(db, &keys.account).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Throttle {
        Throttle {
            account_failures: 5,
            client_failures: 20,
            lock_secs: 1,
            max_lock_secs: 900,
        }
    }

    #[test]
    fn delays_double_after_the_allowance_and_are_capped() {
        let t = t();
        assert_eq!(t.lock_for(4, 5), 0);
        assert_eq!(t.lock_for(5, 5), 1);
        assert_eq!(t.lock_for(6, 5), 2);
        assert_eq!(t.lock_for(9, 5), 16);
        assert_eq!(t.lock_for(15, 5), 900);
        assert_eq!(t.lock_for(i64::MAX, 5), 900);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(Some(a)), client_key(Some(b)));
        assert_eq!(client_key(Some(a)), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(Some(mapped)), "10.0.0.1");
    }
}
