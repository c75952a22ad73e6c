//! The SSRF guard: which addresses a webhook may connect to, decided on the resolved address.
//!
//! The guard sits inside the HTTP client's resolver, so the address checked is the address
//! connected to; a name that resolves to a private address is refused like the address itself
//! (no DNS rebinding between check and connect).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Refuses non-public addresses unless allow-listed.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: Vec<(IpAddr, u8)>,
}

impl Guard {
    /// A guard letting through these networks (address, prefix length).
    pub fn new(allow: Vec<(IpAddr, u8)>) -> Guard {
        Guard { allow }
    }

    /// `Ok` if `ip` may be connected to, else the reason it may not.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        let ip = canonical(ip);
        if self.allow.iter().any(|(net, len)| in_network(ip, canonical(*net), *len)) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(kind) => Err(format!("ssrf: refused {ip} ({kind}); add it to ssrf_allow to permit it")),
        }
    }
}

/// IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible addresses as the IPv4 they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len as u32) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len as u32) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Why an address is not public, or `None` if it is.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    let v = u32::from(ip);
    let net = |base: [u8; 4], len: u32| v >> (32 - len) == u32::from(Ipv4Addr::from(base)) >> (32 - len);
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() || o[0] == 0 => "unspecified / this network",
        _ if ip.is_private() => "private network (RFC 1918)",
        _ if ip.is_link_local() => "link-local, where cloud metadata lives",
        _ if net([100, 64, 0, 0], 10) => "carrier-grade NAT (RFC 6598)",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_broadcast() => "broadcast",
        _ if net([192, 0, 0, 0], 24) => "IETF protocol assignments",
        _ if net([192, 0, 2, 0], 24) || net([198, 51, 100, 0], 24) || net([203, 0, 113, 0], 24) => "documentation",
        _ if net([198, 18, 0, 0], 15) => "benchmarking",
        _ if o[0] >= 240 => "reserved",
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded_v4 = |hi: usize| Ipv4Addr::new((s[hi] >> 8) as u8, s[hi] as u8, (s[hi + 1] >> 8) as u8, s[hi + 1] as u8);
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_multicast() => "multicast",
        _ if s[0] & 0xfe00 == 0xfc00 => "unique local (IPv6 ULA)",
        _ if s[0] & 0xffc0 == 0xfe80 => "link-local",
        _ if s[0] & 0xffc0 == 0xfec0 => "site-local",
        // IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::a.b.c.d carry an IPv4
        // address that the network may route to: judge the IPv4 address.
        _ if s[..6] == [0; 6] => return classify_v4(embedded_v4(6)).map(|_| "IPv4-compatible form of a non-public address"),
        _ if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => return classify_v4(embedded_v4(6)).map(|_| "NAT64 form of a non-public address"),
        _ if s[0] == 0x2002 => return classify_v4(embedded_v4(1)).map(|_| "6to4 form of a non-public address"),
        _ if s[0] == 0x2001 && s[1] == 0x0db8 => "documentation",
        _ if s[0] == 0x2001 && s[1] == 0 => "Teredo",
        _ if s[0] == 0x0100 && s[1..4] == [0, 0, 0] => "discard-only",
        _ => return None,
    })
}

/// The HTTP client's resolver: the system resolver, then the guard on every address.
#[derive(Debug)]
pub struct GuardedResolver {
    guard: Arc<Guard>,
    inner: DefaultResolver,
}

impl GuardedResolver {
    /// Wraps the system resolver with `guard`.
    pub fn new(guard: Arc<Guard>) -> Self {
        GuardedResolver { guard, inner: DefaultResolver::default() }
    }
}

impl Resolver for GuardedResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = self.inner.resolve(uri, config, timeout)?;
        let mut kept = self.empty();
        let mut refusal = None;
        for addr in all.iter() {
            match self.guard.check(addr.ip()) {
                Ok(()) => kept.push(*addr),
                Err(why) => refusal = refusal.or(Some(why)),
            }
        }
        if kept.is_empty() {
            let why = refusal.unwrap_or_else(|| "ssrf: no address to connect to".into());
            return Err(ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::PermissionDenied, Refused(why))));
        }
        Ok(kept)
    }
}

/// The error a refused connection carries.
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        Guard::default().check(s.parse().unwrap()).is_err()
    }

    #[test]
    fn refuses_every_non_public_range() {
        for a in ["127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1", "255.255.255.255", "0.0.0.0",
            "240.0.0.1", "192.0.0.8", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
            "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
            "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:db8::1"] {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for a in ["93.184.216.34", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "2606:4700::1111",
            "::ffff:8.8.8.8", "2002:0808:0808::"] {
            assert!(!refused(a), "{a} must pass");
        }
    }

    #[test]
    fn allow_list_admits_exactly_what_it_names() {
        let g = Guard::new(vec![("127.0.0.1".parse().unwrap(), 32), ("10.0.0.0".parse().unwrap(), 8)]);
        assert!(g.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(g.check("::ffff:127.0.0.1".parse().unwrap()).is_ok(), "mapped form of an allowed address");
        assert!(g.check("10.9.9.9".parse().unwrap()).is_ok());
        assert!(g.check("127.0.0.2".parse().unwrap()).is_err());
        assert!(g.check("169.254.169.254".parse().unwrap()).is_err());
    }

    #[test]
    fn refusal_says_why() {
        let e = Guard::default().check("169.254.169.254".parse().unwrap()).unwrap_err();
        assert_eq!(e, "ssrf: refused 169.254.169.254 (link-local, where cloud metadata lives); add it to ssrf_allow to permit it");
    }
}
