//! Rate limit of the verify endpoints, per client address: codes cannot be enumerated.
//!
//! A keyed GCRA limiter (governor): `verify_rate_per_minute` requests, refilled evenly. IPv6
//! clients are keyed by their /64, since one host can draw addresses from its whole prefix.
//! The state lives in the process: behind a load balancer each process limits on its own,
//! which still bounds a guesser to N x rate; a shared limit belongs in the proxy.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::request::{FromRequest, Outcome, Request};

pub struct VerifyLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl VerifyLimiter {
    pub fn new(per_minute: u32) -> VerifyLimiter {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        VerifyLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when this client has used its allowance.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        // Forget idle clients now and then so the map does not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        let key = key_of(ip);
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
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
        let result = match req.rocket().state::<VerifyLimiter>() {
            Some(limiter) => limiter.check(crate::net::client_addr(req)),
            None => Ok(()),
        };
        Outcome::Success(VerifyQuota(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_per_v6_prefix() {
        let l = VerifyLimiter::new(3);
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "203.0.113.8".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(Some(a)).is_ok());
        }
        let wait = l.check(Some(a)).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            l.check(Some(b)).is_ok(),
            "another address has its own allowance"
        );

        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let v6c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(Some(v6a)).is_ok());
        }
        assert!(l.check(Some(v6b)).is_err(), "same /64 shares the allowance");
        assert!(l.check(Some(v6c)).is_ok());
        // An IPv4-mapped IPv6 address is the IPv4 client.
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert!(l.check(Some(mapped)).is_err());
    }
}
