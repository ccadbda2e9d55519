//! The client's address, and networks as configured (`ACADEMY_TRUSTED_PROXIES`,
//! `ACADEMY_METRICS_ALLOW`).
//!
//! The address is the TCP peer's. A proxy header (`X-Forwarded-For`, then `X-Real-IP`) is read
//! only when the peer is a configured trusted proxy: anyone else could write any address there.
//! Rocket's own `ip_header` is switched off in [`crate::app`], so `Request::client_ip` is the
//! peer too; code that needs the client's address uses [`ClientAddr`] or [`client_addr`].

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use rocket::request::{FromRequest, Outcome, Request};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// A list of IP networks: `10.0.0.0/8`, `2001:db8::/32`; a bare address is a single host
/// (`/32` or `/128`). Configured as a list, or as one string separated by commas or spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(pub Vec<IpNet>);

impl Networks {
    pub fn parse(items: &[&str]) -> Result<Networks, String> {
        items
            .iter()
            .map(|s| parse_network(s))
            .collect::<Result<_, _>>()
            .map(Networks)
    }

    /// Whether `ip` lies in one of the networks (an IPv4-mapped IPv6 address is its IPv4
    /// address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `10.0.0.0/8`, `::1/128`, or a bare address.
pub fn parse_network(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if s.contains('/') {
        let net: IpNet = s.parse().map_err(|_| {
            format!(
                "`{s}` is not an IP network (write it as an address or as CIDR, e.g. 10.0.0.0/8)"
            )
        })?;
        // `10.1.2.3/8` means `10.0.0.0/8`: drop the host bits.
        Ok(net.trunc())
    } else {
        let ip: IpAddr = s.parse().map_err(|_| {
            format!(
                "`{s}` is not an IP address (write it as an address or as CIDR, e.g. 10.0.0.0/8)"
            )
        })?;
        Ok(IpNet::from(ip.to_canonical()))
    }
}

impl<'de> Deserialize<'de> for Networks {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct NetworksVisitor;

        impl<'de> Visitor<'de> for NetworksVisitor {
            type Value = Networks;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of IP addresses or CIDR networks")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Networks, E> {
                let items: Vec<&str> = v
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .collect();
                Networks::parse(&items).map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Networks, A::Error> {
                let mut nets = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    nets.push(parse_network(&item).map_err(de::Error::custom)?);
                }
                Ok(Networks(nets))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Networks, E> {
                Ok(Networks::default())
            }
        }

        de.deserialize_any(NetworksVisitor)
    }
}

/// The client's address for this request (see the module documentation). `None` only for
/// requests without a peer address (Rocket's local test client).
pub fn client_addr(req: &Request<'_>) -> Option<IpAddr> {
    req.local_cache(|| {
        let trusted = req.rocket().state::<TrustedProxies>().map(|t| &t.0);
        let peer = req.remote().map(|a| a.ip());
        let forwarded: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
        CachedAddr(resolve(
            peer,
            trusted.unwrap_or(&Networks(Vec::new())),
            &forwarded,
            req.headers().get_one("X-Real-IP"),
        ))
    })
    .0
}

struct CachedAddr(Option<IpAddr>);

/// The proxies whose forwarding headers are believed (`ACADEMY_TRUSTED_PROXIES`), managed as
/// Rocket state by the app builder.
pub struct TrustedProxies(pub Networks);

/// The client behind `peer`: the peer itself unless it is a trusted proxy; then the nearest
/// untrusted hop of `X-Forwarded-For` (read from the right, as each proxy appends), or
/// `X-Real-IP`, or the peer when neither says anything usable.
pub fn resolve(
    peer: Option<IpAddr>,
    trusted: &Networks,
    forwarded_for: &[&str],
    real_ip: Option<&str>,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !hops.is_empty() {
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Unreadable: what the last trusted proxy saw is all we know.
                return Some(client);
            };
            client = ip;
            if !trusted.contains(ip) {
                break;
            }
        }
        return Some(client);
    }
    Some(real_ip.and_then(parse_hop).unwrap_or(peer))
}

/// `203.0.113.7`, `2001:db8::1`, `203.0.113.7:4711` or `[2001:db8::1]:4711`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// Request guard: the client's address ([`client_addr`]). Never fails.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddr {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(ClientAddr(client_addr(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_are_real_cidr_networks() {
        let nets = Networks::parse(&["127.0.0.1", "::1", "10.1.0.0/16"]).unwrap();
        assert!(nets.contains(ip("127.0.0.1")));
        assert!(!nets.contains(ip("127.0.0.10")), "not a string prefix");
        assert!(!nets.contains(ip("127.0.0.100")));
        assert!(nets.contains(ip("::1")));
        assert!(nets.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped");
        assert!(nets.contains(ip("10.1.255.3")));
        assert!(!nets.contains(ip("10.10.0.1")));
        assert!(!nets.contains(ip("10.2.0.1")));
        let host_bits = Networks::parse(&["192.168.7.9/24"]).unwrap();
        assert!(host_bits.contains(ip("192.168.7.200")));
        for bad in ["10.0.", "127.0.0.1/33", "localhost", "10.0.0.0/8x", ""] {
            assert!(Networks::parse(&[bad]).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn networks_deserialize_from_a_list_or_a_string() {
        let from_list: Networks = serde_json::from_str(r#"["10.0.0.0/8", "::1"]"#).unwrap();
        let from_str: Networks = serde_json::from_str(r#""10.0.0.0/8, ::1""#).unwrap();
        assert_eq!(from_list, from_str);
        assert_eq!(from_list.0.len(), 2);
        let err = serde_json::from_str::<Networks>(r#"["10.0."]"#).unwrap_err();
        assert!(
            err.to_string().contains("`10.0.` is not an IP address"),
            "{err}"
        );
    }

    #[test]
    fn headers_count_only_from_trusted_proxies() {
        let none = Networks::default();
        let proxies = Networks::parse(&["10.0.0.0/8"]).unwrap();
        let spoofer = Some(ip("198.51.100.9"));
        assert_eq!(
            resolve(spoofer, &none, &["127.0.0.1"], Some("127.0.0.1")),
            spoofer,
            "no trusted proxy: headers ignored"
        );
        assert_eq!(
            resolve(spoofer, &proxies, &["127.0.0.1"], Some("127.0.0.1")),
            spoofer,
            "an untrusted peer's headers are ignored"
        );
        let proxy = Some(ip("10.0.0.5"));
        assert_eq!(
            resolve(proxy, &proxies, &[], Some("203.0.113.7")),
            Some(ip("203.0.113.7"))
        );
        // The client wrote a fake first hop; the proxy appended the real one.
        assert_eq!(
            resolve(
                proxy,
                &proxies,
                &["127.0.0.1, 203.0.113.7"],
                Some("1.2.3.4")
            ),
            Some(ip("203.0.113.7"))
        );
        // Two proxies in a row.
        assert_eq!(
            resolve(proxy, &proxies, &["203.0.113.7", "10.0.0.9"], None),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            resolve(proxy, &proxies, &["[2001:db8::1]:4711"], None),
            Some(ip("2001:db8::1"))
        );
        // Junk stops the walk at the last trusted hop.
        assert_eq!(
            resolve(proxy, &proxies, &["203.0.113.7, junk"], None),
            proxy
        );
        assert_eq!(resolve(proxy, &proxies, &[], Some("junk")), proxy);
        assert_eq!(resolve(None, &proxies, &["203.0.113.7"], None), None);
    }
}
