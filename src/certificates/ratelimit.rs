//! Rate limit of the verify endpoints, per client address: codes cannot be enumerated.
//!
//! The counts live in the database (`rate_limits`), so every process behind the balancer
//! counts the same requests: `verify_rate_per_minute` is the limit of a client, not of a
//! client per process. A sliding window over two one-minute windows: the previous window's
//! count weighs by how much of it still overlaps the last minute. Refused requests count too,
//! so a client that keeps hammering stays refused. IPv6 clients are keyed by their /64, since
//! one host can draw addresses from its whole prefix. Should the database fail, the request is
//! let through (and logged): the limit protects codes, it must not take verification down.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rocket::request::{FromRequest, Outcome, Request};
use rocket_db_pools::Database;
use sqlx::AnyPool;

use crate::db::Db;
use crate::error::{Context, Result};

/// One window, in milliseconds.
const WINDOW_MS: i64 = 60_000;

pub struct VerifyLimiter {
    per_minute: i64,
    checks: AtomicU64,
}

impl VerifyLimiter {
    pub fn new(per_minute: u32) -> VerifyLimiter {
        VerifyLimiter {
            per_minute: i64::from(per_minute.max(1)),
            checks: AtomicU64::new(0),
        }
    }

    /// Count this request; `Err(wait)` when this client has used its allowance.
    pub async fn check(
        &self,
        db: &AnyPool,
        ip: Option<IpAddr>,
        now_ms: i64,
    ) -> Result<std::result::Result<(), Duration>> {
        let bucket = format!("verify:{}", key_of(ip));
        let window = now_ms.div_euclid(WINDOW_MS);
        let elapsed = now_ms.rem_euclid(WINDOW_MS);
        let (current,): (i64,) = sqlx::query_as(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
             RETURNING hits",
        )
        .bind(&bucket)
        .bind(window)
        .fetch_one(db)
        .await
        .context("counting a verification")?;
        let previous: Option<(i64,)> =
            sqlx::query_as("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
                .bind(&bucket)
                .bind(window - 1)
                .fetch_optional(db)
                .await
                .context("counting verifications")?;
        // Forget old windows now and then so the table does not grow without bound.
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024)
        {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(window - 1)
                .execute(db)
                .await
                .context("forgetting old verification counts")?;
        }
        let previous = previous.map_or(0, |(hits,)| hits);
        Ok(if over(previous, current, elapsed, self.per_minute) {
            Err(Duration::from_millis((WINDOW_MS - elapsed) as u64))
        } else {
            Ok(())
        })
    }
}

/// Whether `current` requests in this window, `elapsed` ms into it, after `previous` in the
/// window before, are more than `limit` per minute.
fn over(previous: i64, current: i64, elapsed: i64, limit: i64) -> bool {
    // previous * (WINDOW - elapsed) / WINDOW + current > limit, in integers.
    previous * (WINDOW_MS - elapsed) + current * WINDOW_MS > limit * WINDOW_MS
}

fn key_of(ip: Option<IpAddr>) -> IpAddr {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        Some(v4) => v4,
        // Rocket's local test client has no peer address: one shared bucket.
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// Request guard: the verify quota of the calling address. Never fails; handlers decide how
/// to answer (problem+json for the API, a localised page for the HTML route).
pub struct VerifyQuota(pub Result<(), Duration>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for VerifyQuota {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let (Some(limiter), Some(db)) = (
            req.rocket().state::<VerifyLimiter>(),
            Db::fetch(req.rocket()),
        ) else {
            return Outcome::Success(VerifyQuota(Ok(())));
        };
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let result = match limiter
            .check(&db.pool, crate::net::client_addr(req), now_ms)
            .await
        {
            Ok(result) => result,
            Err(e) => {
                tracing::warn!(error = %e, "verify rate limit unavailable: request let through");
                Ok(())
            }
        };
        Outcome::Success(VerifyQuota(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_window_weighs_by_its_overlap() {
        // Three allowed: the fourth in the same window is over.
        assert!(!over(0, 3, 10_000, 3));
        assert!(over(0, 4, 10_000, 3));
        // Just after a busy window, its requests still count nearly fully...
        assert!(over(3, 1, 1_000, 3));
        // ...half-way through the next, half of them.
        assert!(!over(3, 1, 40_000, 3));
    }

    #[test]
    fn clients_are_keyed_by_address_and_v6_prefix() {
        let key = |s: &str| key_of(Some(s.parse().unwrap()));
        assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        // An IPv4-mapped IPv6 address is the IPv4 client.
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
    }
}
