//! The SSRF guard: which addresses a webhook may connect to, decided on the resolved address.
//!
//! The guard sits inside the HTTP client's resolver, so the address checked is the address
//! connected to; a name that resolves to a private address is refused like the address itself
//! (no DNS rebinding between check and connect). Looked-up names are remembered for a short
//! while; the guard runs on every use of them, so a remembered address is checked as a fresh one.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

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
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = canonical(ip);
        if self.allow.iter().any(|(net, len)| in_network(ip, canonical(*net), *len)) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(range) => Err(Refusal { ip, range }),
        }
    }
}

/// Why the guard refuses an address: the address (IPv4-mapped forms as the IPv4 they carry)
/// and the name of its range. Displayed as `ssrf: refused <ip> (<range>); add it to ssrf_allow
/// to permit it`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The address refused.
    pub ip: IpAddr,
    /// Its range, as [`classify`] names it, e.g. `loopback`.
    pub range: &'static str,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ssrf: refused {} ({}); add it to ssrf_allow to permit it", self.ip, self.range)
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
        _ if ip.is_private() => "private network, RFC 1918",
        _ if ip.is_link_local() => "link-local, where cloud metadata lives",
        _ if net([100, 64, 0, 0], 10) => "carrier-grade NAT, RFC 6598",
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
    let embedded_v4 =
        |hi: usize| Ipv4Addr::new((s[hi] >> 8) as u8, s[hi] as u8, (s[hi + 1] >> 8) as u8, s[hi + 1] as u8);
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_multicast() => "multicast",
        _ if s[0] & 0xfe00 == 0xfc00 => "unique local, IPv6 ULA",
        _ if s[0] & 0xffc0 == 0xfe80 => "link-local",
        _ if s[0] & 0xffc0 == 0xfec0 => "site-local",
        // IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::a.b.c.d carry an IPv4
        // address that the network may route to: judge the IPv4 address.
        _ if s[..6] == [0; 6] => {
            return classify_v4(embedded_v4(6)).map(|_| "IPv4-compatible form of a non-public address")
        }
        _ if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
            return classify_v4(embedded_v4(6)).map(|_| "NAT64 form of a non-public address")
        }
        _ if s[0] == 0x2002 => return classify_v4(embedded_v4(1)).map(|_| "6to4 form of a non-public address"),
        _ if s[0] == 0x2001 && s[1] == 0x0db8 => "documentation",
        _ if s[0] == 0x2001 && s[1] == 0 => "Teredo",
        _ if s[0] == 0x0100 && s[1..4] == [0, 0, 0] => "discard-only",
        _ => return None,
    })
}

/// How long a looked-up name is reused before it is looked up again. The system resolver does
/// not say how long a record may be kept, so this is a short fixed window: long enough that a
/// busy endpoint costs one lookup per window instead of one per delivery, short enough that a
/// moved endpoint is followed soon.
pub const NAME_TTL: Duration = Duration::from_secs(30);

/// At most this many (name, port) pairs are remembered.
pub const NAME_CACHE_MAX: usize = 1024;

/// The HTTP client's resolver: an IP address in the URL is taken as it is, a name is looked up
/// with the system resolver (and remembered for [`NAME_TTL`]), and every address handed to the
/// connector passes the guard first, remembered or not.
///
/// Clones share the remembered names.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    guard: Arc<Guard>,
    names: Arc<NameCache>,
    lookup: Arc<dyn Resolver>,
}

impl GuardedResolver {
    /// Wraps the system resolver with `guard`.
    pub fn new(guard: Arc<Guard>) -> Self {
        GuardedResolver::with_lookup(guard, Arc::new(DefaultResolver::default()))
    }

    /// Wraps `lookup`, which names are resolved with, with `guard`.
    fn with_lookup(guard: Arc<Guard>, lookup: Arc<dyn Resolver>) -> Self {
        GuardedResolver { guard, names: Arc::new(NameCache::default()), lookup }
    }

    /// [`Resolver::resolve`] with the cache read at `now`.
    fn resolve_at(
        &self, uri: &Uri, config: &Config, timeout: NextTimeout, now: Instant,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = host_and_port(uri) else {
            // Not an http(s) URL with a host: the system resolver says what is wrong with it.
            let all = self.lookup.resolve(uri, config, timeout)?;
            return self.admit(all.iter().copied());
        };
        let all = self.addresses(uri, host, port, config, timeout, now)?;
        self.admit(all.iter().copied())
    }

    /// Every address `host:port` (of `uri`) stands for, before the guard: an IP literal as it
    /// is (if the configured IP family keeps it), a name as remembered, else as looked up (and
    /// then remembered).
    fn addresses(
        &self, uri: &Uri, host: &str, port: u16, config: &Config, timeout: NextTimeout, now: Instant,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut found = self.empty();
        if let Some(ip) = ip_literal(host) {
            let addr = SocketAddr::new(ip, port);
            if config.ip_family().keep_wanted(std::iter::once(addr)).next().is_none() {
                return Err(ureq::Error::HostNotFound);
            }
            found.push(addr);
            return Ok(found);
        }
        let remembered = self.names.get(host, port, now, |all| {
            // A remembered list is one lookup's answer, so it fits; `try_push` keeps that an
            // invariant rather than a panic.
            all.iter().for_each(|a| {
                let _ = found.try_push(*a);
            });
        });
        if remembered.is_some() {
            return Ok(found);
        }
        let all = self.lookup.resolve(uri, config, timeout)?;
        self.names.put(host, port, &all, now);
        Ok(all)
    }

    /// The addresses the guard lets through, or the first refusal if none is.
    fn admit(&self, all: impl Iterator<Item = SocketAddr>) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut kept = self.empty();
        let refusal = screen(&self.guard, all, |addr| kept.push(addr));
        if kept.is_empty() {
            let Some(why) = refusal else { return Err(ureq::Error::HostNotFound) };
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                Refused(why.to_string()),
            )));
        }
        Ok(kept)
    }

    /// What the guard makes of the host of `uri`, found exactly as an attempt finds it (an IP
    /// literal as it is; a name as remembered, else looked up with `timeout` and remembered)
    /// and judged exactly as an attempt judges it: admitted when at least one address passes.
    /// Nothing is connected to. `None` when `uri` is not an http(s) URL with a host.
    pub fn verdict(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Option<Verdict> {
        let (host, port) = host_and_port(uri)?;
        let all = match self.addresses(uri, host, port, config, timeout, Instant::now()) {
            Ok(all) => all,
            Err(e) => return Some(Verdict::Unresolved(format!("could not resolve {host}: {}", lookup_error(&e)))),
        };
        let mut passed = Vec::new();
        let refusal = screen(&self.guard, all.iter().copied(), |addr| passed.push(addr.ip()));
        if passed.is_empty() {
            let Some(refusal) = refusal else {
                return Some(Verdict::Unresolved(format!("could not resolve {host}: no address found")));
            };
            let addresses = distinct(all.iter().map(SocketAddr::ip));
            return Some(Verdict::Refused { refusal, addresses });
        }
        Some(Verdict::Admitted(distinct(passed.into_iter())))
    }
}

/// Runs each address of `all` through `guard`: hands the ones it lets through to `keep` and
/// returns the first refusal (the reason given when none passes).
fn screen(guard: &Guard, all: impl Iterator<Item = SocketAddr>, mut keep: impl FnMut(SocketAddr)) -> Option<Refusal> {
    let mut refusal = None;
    for addr in all {
        match guard.check(addr.ip()) {
            Ok(()) => keep(addr),
            Err(why) => refusal = refusal.or(Some(why)),
        }
    }
    refusal
}

/// `ips` in their first order, each once (a lookup may name an address once per port or family).
fn distinct(ips: impl Iterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for ip in ips {
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

/// A failed lookup in words, without the HTTP client's family prefix.
fn lookup_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(_) => "no answer in time".into(),
        ureq::Error::HostNotFound => "no address found".into(),
        other => other.to_string(),
    }
}

/// What the guard makes of a URL's host, before any request: what an admin is told when saving
/// a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// At least one address passes; these are the ones delivery connects to.
    Admitted(Vec<IpAddr>),
    /// Every address is refused.
    Refused {
        /// The guard's refusal of the first address refused (its text is the reason given,
        /// e.g. `ssrf: refused 127.0.0.1 (loopback); …`).
        refusal: Refusal,
        /// Every address the host stands for.
        addresses: Vec<IpAddr>,
    },
    /// The name did not resolve: `could not resolve <host>: <error>`. Not a refusal; DNS may
    /// be down for a moment.
    Unresolved(String),
}

impl Resolver for GuardedResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        self.resolve_at(uri, config, timeout, Instant::now())
    }
}

/// The host of an http(s) URL and its port (the scheme's default when none is given).
fn host_and_port(uri: &Uri) -> Option<(&str, u16)> {
    let default = match uri.scheme_str()? {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host().filter(|h| !h.is_empty())?;
    Some((host, uri.port_u16().unwrap_or(default)))
}

/// The address a host names literally: `127.0.0.1`, or `[::1]` with its brackets.
fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// Names looked up recently: (host, port) → every address the lookup gave, unguarded (the guard
/// runs on each use). Bounded by [`NAME_CACHE_MAX`]; entries live [`NAME_TTL`].
#[derive(Debug, Default)]
struct NameCache {
    entries: RwLock<HashMap<(String, u16), Remembered>>,
}

#[derive(Debug)]
struct Remembered {
    addrs: Vec<SocketAddr>,
    until: Instant,
}

impl NameCache {
    /// `use_addrs` applied to the addresses remembered for `host:port`, if they are still fresh.
    fn get<T>(&self, host: &str, port: u16, now: Instant, use_addrs: impl FnOnce(&[SocketAddr]) -> T) -> Option<T> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let hit = entries.get(&(host.to_string(), port)).filter(|r| now < r.until)?;
        Some(use_addrs(&hit.addrs))
    }

    /// Remembers `addrs` for `host:port` until `now + NAME_TTL`. When full, drops what has
    /// expired, then the entries that expire first.
    fn put(&self, host: &str, port: u16, addrs: &[SocketAddr], now: Instant) {
        if addrs.is_empty() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let key = (host.to_string(), port);
        if entries.len() >= NAME_CACHE_MAX && !entries.contains_key(&key) {
            entries.retain(|_, r| now < r.until);
            while entries.len() >= NAME_CACHE_MAX {
                let first = entries.iter().min_by_key(|(_, r)| r.until).map(|(k, _)| k.clone());
                match first {
                    Some(k) => entries.remove(&k),
                    None => break,
                };
            }
        }
        entries.insert(key, Remembered { addrs: addrs.to_vec(), until: now + NAME_TTL });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
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
        for a in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn lets_public_addresses_through() {
        for a in [
            "93.184.216.34",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::",
        ] {
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
        assert_eq!((e.ip, e.range), ("169.254.169.254".parse().unwrap(), "link-local, where cloud metadata lives"));
        assert_eq!(
            e.to_string(),
            "ssrf: refused 169.254.169.254 (link-local, where cloud metadata lives); add it to ssrf_allow to permit it"
        );
    }

    /// A lookup that answers every name with `addrs` (on the URL's port) and counts its calls.
    #[derive(Debug)]
    struct Fixed {
        addrs: Vec<IpAddr>,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl Fixed {
        fn new(addrs: &[&str]) -> Arc<Fixed> {
            Arc::new(Fixed { addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(), calls: Default::default() })
        }
        fn calls(&self) -> usize {
            self.calls.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl Resolver for Fixed {
        fn resolve(&self, uri: &Uri, _: &Config, _: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let port = host_and_port(uri).unwrap().1;
            let mut v = self.empty();
            self.addrs.iter().for_each(|ip| v.push(SocketAddr::new(*ip, port)));
            Ok(v)
        }
    }

    fn allowing(nets: &[&str]) -> Arc<Guard> {
        Arc::new(Guard::new(
            nets.iter()
                .map(|n| {
                    let ip: IpAddr = n.parse().unwrap();
                    (ip, if ip.is_ipv4() { 32 } else { 128 })
                })
                .collect(),
        ))
    }

    fn resolve_with(r: &GuardedResolver, url: &str, now: Instant) -> Result<Vec<String>, String> {
        let uri: Uri = url.parse().unwrap();
        r.resolve_at(&uri, &Config::default(), NextTimeout::default(), now)
            .map(|v| v.iter().map(|a| a.to_string()).collect())
            .map_err(|e| match &e {
                ureq::Error::Io(io) => io
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<Refused>())
                    .map(|r| r.0.clone())
                    .unwrap_or_else(|| e.to_string()),
                _ => e.to_string(),
            })
    }

    fn resolve(r: &GuardedResolver, url: &str) -> Result<Vec<String>, String> {
        resolve_with(r, url, Instant::now())
    }

    #[test]
    fn ip_literals_are_not_looked_up_and_take_the_default_port() {
        let lookup = Fixed::new(&["1.1.1.1"]);
        let r = GuardedResolver::with_lookup(allowing(&[]), lookup.clone());
        assert_eq!(resolve(&r, "http://93.184.216.34/hook").unwrap(), ["93.184.216.34:80"]);
        assert_eq!(resolve(&r, "https://93.184.216.34/hook").unwrap(), ["93.184.216.34:443"]);
        assert_eq!(resolve(&r, "http://93.184.216.34:8080/").unwrap(), ["93.184.216.34:8080"]);
        assert_eq!(resolve(&r, "http://[2606:4700::1111]/").unwrap(), ["[2606:4700::1111]:80"]);
        assert_eq!(resolve(&r, "https://[2606:4700::1111]:8443/x").unwrap(), ["[2606:4700::1111]:8443"]);
        assert_eq!(resolve(&r, "http://user:pw@93.184.216.34:81/").unwrap(), ["93.184.216.34:81"]);
        assert_eq!(lookup.calls(), 0, "no lookup for an address");
        assert_eq!(r.names.len(), 0, "addresses are not remembered");
    }

    #[test]
    fn ip_literals_still_pass_the_guard() {
        let r = GuardedResolver::with_lookup(allowing(&[]), Fixed::new(&["1.1.1.1"]));
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/").unwrap_err(),
            "ssrf: refused 127.0.0.1 (loopback); add it to ssrf_allow to permit it"
        );
        assert_eq!(
            resolve(&r, "http://[::1]/").unwrap_err(),
            "ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it"
        );
        assert_eq!(
            resolve(&r, "http://[::ffff:127.0.0.1]:9/").unwrap_err(),
            "ssrf: refused 127.0.0.1 (loopback); add it to ssrf_allow to permit it"
        );
        assert!(resolve(&r, "http://[::ffff:a9fe:a9fe]/").unwrap_err().contains("169.254.169.254 (link-local"));
        assert!(resolve(&r, "http://169.254.169.254/latest/").unwrap_err().contains("(link-local"));
        assert!(resolve(&r, "http://[fe80::1]/").unwrap_err().contains("(link-local)"));
        assert!(resolve(&r, "http://100.64.0.1:9/").unwrap_err().contains("carrier-grade NAT"));
        assert!(resolve(&r, "http://[64:ff9b::a9fe:a9fe]/").unwrap_err().contains("NAT64"));
        let allowed = GuardedResolver::with_lookup(allowing(&["127.0.0.1", "::1"]), Fixed::new(&[]));
        assert_eq!(resolve(&allowed, "http://127.0.0.1:8080/").unwrap(), ["127.0.0.1:8080"]);
        assert_eq!(resolve(&allowed, "http://[::1]:8080/").unwrap(), ["[::1]:8080"]);
        assert_eq!(resolve(&allowed, "http://[::ffff:127.0.0.1]:8080/").unwrap(), ["[::ffff:127.0.0.1]:8080"]);
        assert!(resolve(&allowed, "http://127.0.0.2/").is_err(), "only what the list names");
    }

    #[test]
    fn a_name_that_resolves_to_loopback_is_refused_unless_allowed() {
        // `localhost` comes from the hosts file: no query leaves the machine.
        let r = GuardedResolver::new(allowing(&[]));
        let e = resolve(&r, "http://localhost:8080/").unwrap_err();
        assert!(e.starts_with("ssrf: refused ") && e.contains("(loopback)"), "{e}");
        let e = resolve(&r, "http://localhost:8080/").unwrap_err();
        assert!(e.contains("(loopback)"), "refused again from the cache: {e}");

        let r = GuardedResolver::new(allowing(&["127.0.0.1", "::1"]));
        let got = resolve(&r, "http://localhost:8080/").unwrap();
        assert!(!got.is_empty() && got.iter().all(|a| a == "127.0.0.1:8080" || a == "[::1]:8080"), "{got:?}");
    }

    #[test]
    fn remembered_names_are_guarded_on_every_use() {
        let lookup = Fixed::new(&["127.0.0.1", "93.184.216.34", "10.0.0.1"]);
        let r = GuardedResolver::with_lookup(allowing(&[]), lookup.clone());
        let t0 = Instant::now();
        assert_eq!(resolve_with(&r, "http://hooks.example/", t0).unwrap(), ["93.184.216.34:80"]);
        assert_eq!(lookup.calls(), 1);
        let later = t0 + NAME_TTL - Duration::from_millis(1);
        assert_eq!(
            resolve_with(&r, "http://hooks.example/x", later).unwrap(),
            ["93.184.216.34:80"],
            "a hit still leaves out the private addresses"
        );
        assert_eq!(lookup.calls(), 1, "served from the cache");
        assert_eq!(resolve_with(&r, "http://hooks.example:8080/", later).unwrap(), ["93.184.216.34:8080"]);
        assert_eq!(lookup.calls(), 2, "another port is another entry");
        assert_eq!(resolve_with(&r, "http://hooks.example/", t0 + NAME_TTL).unwrap(), ["93.184.216.34:80"]);
        assert_eq!(lookup.calls(), 3, "looked up again once expired");
    }

    #[test]
    fn a_remembered_private_name_stays_refused() {
        let lookup = Fixed::new(&["169.254.169.254"]);
        let r = GuardedResolver::with_lookup(allowing(&[]), lookup.clone());
        let t0 = Instant::now();
        for _ in 0..3 {
            let e = resolve_with(&r, "http://metadata.example/", t0).unwrap_err();
            assert!(e.starts_with("ssrf: refused 169.254.169.254 (link-local"), "{e}");
        }
        assert_eq!(lookup.calls(), 1);
        let shared = r.clone();
        assert!(resolve_with(&shared, "http://metadata.example/", t0).is_err());
        assert_eq!(lookup.calls(), 1, "clones share the cache");
    }

    fn verdict(r: &GuardedResolver, url: &str) -> Verdict {
        let uri: Uri = url.parse().unwrap();
        r.verdict(&uri, &Config::default(), NextTimeout::default()).expect("an http(s) URL with a host")
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    /// The reason and addresses of a refusal.
    fn refusal_of(v: Verdict) -> (String, Vec<IpAddr>) {
        match v {
            Verdict::Refused { refusal, addresses } => (refusal.to_string(), addresses),
            other => panic!("not a refusal: {other:?}"),
        }
    }

    #[test]
    fn verdict_refuses_non_public_literals_with_the_guards_reason() {
        let lookup = Fixed::new(&["93.184.216.34"]);
        let r = GuardedResolver::with_lookup(allowing(&[]), lookup.clone());
        assert_eq!(
            refusal_of(verdict(&r, "http://127.0.0.1:8080/hook")),
            ("ssrf: refused 127.0.0.1 (loopback); add it to ssrf_allow to permit it".to_string(), ips(&["127.0.0.1"]))
        );
        assert_eq!(refusal_of(verdict(&r, "http://169.254.169.254/latest/meta-data/")), ("ssrf: refused 169.254.169.254 (link-local, where cloud metadata lives); add it to ssrf_allow to permit it".to_string(), ips(&["169.254.169.254"])));
        assert_eq!(
            refusal_of(verdict(&r, "https://[::1]:8443/")),
            ("ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it".to_string(), ips(&["::1"]))
        );
        match verdict(&r, "http://[::ffff:a9fe:a9fe]/") {
            Verdict::Refused { refusal, .. } => assert_eq!(
                (refusal.ip.to_string().as_str(), refusal.range),
                ("169.254.169.254", "link-local, where cloud metadata lives"),
                "the mapped form as the IPv4 it carries"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(lookup.calls(), 0, "no lookup for an address");
    }

    #[test]
    fn verdict_admits_what_ssrf_allow_names_and_public_literals() {
        let lookup = Fixed::new(&[]);
        let allowed = GuardedResolver::with_lookup(allowing(&["127.0.0.1", "::1"]), lookup.clone());
        assert_eq!(verdict(&allowed, "http://127.0.0.1:8080/"), Verdict::Admitted(ips(&["127.0.0.1"])));
        assert_eq!(verdict(&allowed, "http://[::1]/"), Verdict::Admitted(ips(&["::1"])));
        assert!(matches!(verdict(&allowed, "http://127.0.0.2/"), Verdict::Refused { .. }), "only what the list names");
        let r = GuardedResolver::with_lookup(allowing(&[]), lookup.clone());
        assert_eq!(verdict(&r, "https://93.184.216.34/hook"), Verdict::Admitted(ips(&["93.184.216.34"])));
        assert_eq!(verdict(&r, "http://[2606:4700::1111]:81/"), Verdict::Admitted(ips(&["2606:4700::1111"])));
        assert_eq!(lookup.calls(), 0, "an address needs no lookup, so no network");
    }

    #[test]
    fn verdict_judges_every_address_of_a_name_as_delivery_does() {
        let r = GuardedResolver::with_lookup(allowing(&[]), Fixed::new(&["127.0.0.1", "93.184.216.34", "10.0.0.1"]));
        assert_eq!(
            verdict(&r, "http://mixed.example/"),
            Verdict::Admitted(ips(&["93.184.216.34"])),
            "one public address is enough; delivery connects to it alone"
        );
        assert_eq!(resolve(&r, "http://mixed.example/").unwrap(), ["93.184.216.34:80"]);

        let r = GuardedResolver::with_lookup(allowing(&[]), Fixed::new(&["10.0.0.1", "127.0.0.1", "10.0.0.1"]));
        assert_eq!(
            refusal_of(verdict(&r, "http://inside.example/")),
            (
                "ssrf: refused 10.0.0.1 (private network, RFC 1918); add it to ssrf_allow to permit it".to_string(),
                ips(&["10.0.0.1", "127.0.0.1"])
            )
        );
        assert_eq!(
            resolve(&r, "http://inside.example/").unwrap_err(),
            "ssrf: refused 10.0.0.1 (private network, RFC 1918); add it to ssrf_allow to permit it",
            "delivery refuses with the same words"
        );
    }

    #[test]
    fn verdict_refuses_a_name_that_resolves_to_loopback() {
        // `localhost` comes from the hosts file: no query leaves the machine.
        let r = GuardedResolver::new(allowing(&[]));
        match verdict(&r, "http://localhost:8080/hook") {
            Verdict::Refused { refusal, addresses } => {
                assert_eq!(refusal.range, "loopback");
                assert!(addresses.contains(&refusal.ip), "the address refused is one of the host's");
                let reason = refusal.to_string();
                assert!(
                    reason.starts_with("ssrf: refused ")
                        && reason.ends_with("(loopback); add it to ssrf_allow to permit it"),
                    "{reason}"
                );
                assert!(!addresses.is_empty() && addresses.iter().all(IpAddr::is_loopback), "{addresses:?}");
            }
            other => panic!("localhost must be refused: {other:?}"),
        }
        let allowed = GuardedResolver::new(allowing(&["127.0.0.1", "::1"]));
        assert!(matches!(verdict(&allowed, "http://localhost:8080/"), Verdict::Admitted(a) if !a.is_empty()));
    }

    #[test]
    fn a_name_that_does_not_resolve_is_no_verdict() {
        // `.invalid` never resolves (RFC 2606); the local resolver says so at once.
        let r = GuardedResolver::new(allowing(&[]));
        match verdict(&r, "https://no-such-host.invalid/hook") {
            Verdict::Unresolved(why) => {
                assert!(why.starts_with("could not resolve no-such-host.invalid: ") && why.len() > 41, "{why}");
            }
            other => panic!("expected no verdict: {other:?}"),
        }
        assert_eq!(r.names.len(), 0, "a failed lookup is not remembered");
    }

    #[test]
    fn verdict_needs_an_http_url_with_a_host() {
        let r = GuardedResolver::with_lookup(allowing(&[]), Fixed::new(&["93.184.216.34"]));
        for url in ["ftp://93.184.216.34/", "/relative/path", "93.184.216.34:80"] {
            let uri: Uri = url.parse().unwrap();
            assert_eq!(r.verdict(&uri, &Config::default(), NextTimeout::default()), None, "{url}");
        }
    }

    #[test]
    fn the_cache_is_bounded() {
        let r = GuardedResolver::with_lookup(allowing(&[]), Fixed::new(&["93.184.216.34"]));
        let t0 = Instant::now();
        for i in 0..NAME_CACHE_MAX + 10 {
            let now = t0 + Duration::from_millis(i as u64);
            resolve_with(&r, &format!("http://h{i}.example/"), now).unwrap();
            assert!(r.names.len() <= NAME_CACHE_MAX);
        }
        assert_eq!(r.names.len(), NAME_CACHE_MAX);
        let now = t0 + Duration::from_millis(NAME_CACHE_MAX as u64 + 10);
        assert!(r.names.get(&format!("h{}.example", NAME_CACHE_MAX + 9), 80, now, |_| ()).is_some(), "newest kept");
        assert!(r.names.get("h0.example", 80, now, |_| ()).is_none(), "oldest dropped first");
    }

    #[test]
    fn range_names_read_inside_one_pair_of_brackets() {
        // The refusal says "refused <ip> (<range>)": a range name with brackets of its own
        // would nest them.
        let ips = [
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "0.0.0.1",
            "169.254.1.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "ff02::1",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "2001:db8::1",
            "2001::1",
        ];
        for ip in ips {
            let range = match ip.parse::<IpAddr>().unwrap() {
                IpAddr::V4(v4) => classify_v4(v4),
                IpAddr::V6(v6) => classify_v6(v6),
            };
            let range = range.unwrap_or_else(|| panic!("{ip} is not public"));
            assert!(!range.contains('(') && !range.contains(')'), "{ip}: {range}");
        }
    }
}
