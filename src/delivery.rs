//! One HTTP attempt: build the signed request, send it with ureq, and record what came back.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::time::Duration as TimeoutAfter;
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Timeout};

use crate::clock::rfc3339;
use crate::config::{Format, ATTEMPT_HEADER, EVENT_HEADER};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::signing::{signature_header, Secret};
use crate::ssrf::{Guard, GuardedResolver, Refused, Verdict};

/// What to send in one attempt.
#[derive(Debug)]
pub struct Request<'a> {
    /// Target URL.
    pub url: &'a str,
    /// `webhook-id`: the event id, the same on every attempt.
    pub event_id: &'a str,
    /// Event slug.
    pub event: &'a str,
    /// When the event was accepted (ms), used by the envelope format.
    pub event_timestamp_ms: i64,
    /// The payload JSON as given.
    pub payload: &'a [u8],
    /// Body format.
    pub format: Format,
    /// Signing secrets (none: unsigned).
    pub secrets: &'a [Secret],
    /// 1-based attempt number.
    pub attempt: u32,
    /// `webhook-timestamp` of this attempt, seconds since the epoch.
    pub now_s: i64,
    /// The endpoint's own headers (credentials): sent, recorded as [`HIDDEN`].
    pub headers: &'a BTreeMap<String, String>,
}

/// What the results show for the value of an endpoint's own header.
pub const HIDDEN: &str = "(hidden)";

/// What happened in one attempt.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Outcome {
    /// HTTP status code, if a response came back.
    pub status: Option<u16>,
    /// The status code's standard reason phrase.
    pub reason: Option<String>,
    /// The network error, if no response came back (or why a response is a failure).
    pub error: Option<String>,
    /// What went wrong, as a machine name: `None` for a 2xx whose body was read; else
    /// `connect_refused`, `connect_failed`, `timeout`, `tls`, `dns`, `ssrf_refused`,
    /// `redirect`, `http_status` (any other non-2xx answer), `response_body` (a 2xx whose
    /// body failed to arrive: still delivered), `network` (other I/O) or `cancelled`.
    pub error_kind: Option<&'static str>,
    /// Wall time of the attempt.
    pub duration_ms: u64,
    /// The request headers sent (signature included; secrets never are).
    pub request_headers: Vec<(String, String)>,
    /// Response headers as [`kept_headers`] keeps them: bounded, with a `(cut)` entry saying
    /// what was left out.
    pub response_headers: Vec<(String, String)>,
    /// The response body, cut at the configured excerpt size (lossy UTF-8).
    pub response_excerpt: String,
    /// Whether the body was longer than the excerpt.
    pub response_truncated: bool,
    /// `Retry-After` in seconds, from a 429 or 503.
    #[serde(skip)]
    pub retry_after_s: Option<u64>,
}

impl Outcome {
    /// 2xx and nothing else.
    pub fn delivered(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

/// The request body for `format`.
pub fn body(format: Format, event: &str, event_timestamp_ms: i64, payload: &[u8]) -> Vec<u8> {
    match format {
        Format::Flat => payload.to_vec(),
        Format::Envelope => {
            let mut b = Vec::with_capacity(payload.len() + event.len() + 64);
            b.extend_from_slice(b"{\"type\":");
            b.extend_from_slice(serde_json::to_string(event).unwrap_or_default().as_bytes());
            b.extend_from_slice(b",\"timestamp\":\"");
            b.extend_from_slice(rfc3339(event_timestamp_ms).as_bytes());
            b.extend_from_slice(b"\",\"data\":");
            b.extend_from_slice(payload);
            b.push(b'}');
            b
        }
    }
}

/// Connection pools per deliverer. An HTTP agent keeps its idle connections in one list under
/// one lock, which every attempt takes twice (check-out and return) and walks once per host in
/// the list; endpoints are spread over this many agents by their scheme and authority, so each
/// list holds few hosts and few threads share a lock.
const POOLS: usize = 8;

/// Sends attempts. One per engine; shared by the delivery threads (connections are pooled).
#[derive(Debug, Clone)]
pub struct Deliverer {
    agents: Arc<[Agent]>,
    resolver: GuardedResolver,
    config: Arc<Config>,
    lookup_timeout: Duration,
    excerpt: usize,
}

impl Deliverer {
    /// A deliverer with the timeouts, guard, TLS roots and User-Agent of `settings`.
    pub fn new(settings: &Settings) -> Result<Deliverer> {
        let mut ua = format!("MultisiteWebhooks/{}", env!("CARGO_PKG_VERSION"));
        if !settings.user_agent_suffix.is_empty() {
            ua.push_str(" (");
            ua.push_str(&settings.user_agent_suffix);
            ua.push(')');
        }
        let mut tls = TlsConfig::builder();
        if let Some(ca) = &settings.tls_ca_file {
            let pem = std::fs::read(ca).map_err(|e| Error::Settings(format!("tls_ca_file: {}: {e}", ca.display())))?;
            let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::Settings(format!("tls_ca_file: {}: no PEM certificate in it", ca.display())));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .user_agent(ua)
            .timeout_connect(Some(Duration::from_millis(settings.connect_timeout_ms)))
            .timeout_global(Some(Duration::from_millis(settings.request_timeout_ms)))
            .max_idle_connections(idle_per_pool(settings.concurrency, settings.per_endpoint_concurrency))
            .max_idle_connections_per_host(settings.per_endpoint_concurrency.min(settings.concurrency))
            .max_idle_age(Duration::from_secs(30))
            .tls_config(tls.build())
            .build();
        // One resolver for all pools: clones share its remembered names.
        let resolver = GuardedResolver::new(Arc::new(Guard::new(settings.allow_networks())));
        let agents = (0..POOLS)
            .map(|_| Agent::with_parts(config.clone(), DefaultConnector::default(), resolver.clone()))
            .collect();
        Ok(Deliverer {
            agents,
            resolver,
            config: Arc::new(config),
            lookup_timeout: Duration::from_millis(settings.connect_timeout_ms),
            excerpt: settings.response_excerpt_bytes,
        })
    }

    /// What the SSRF guard makes of the host of `uri`, with the resolver, guard and remembered
    /// names the attempts use; nothing is sent. A lookup waits at most the connect timeout: one
    /// that takes longer is reported as unresolved, never as refused. `None` when `uri` is not
    /// an http(s) URL with a host.
    pub fn verdict(&self, uri: &Uri) -> Option<Verdict> {
        let timeout = NextTimeout {
            after: TimeoutAfter::Exact(self.lookup_timeout),
            reason: Timeout::Resolve,
            ..NextTimeout::default()
        };
        self.resolver.verdict(uri, &self.config, timeout)
    }

    /// Sends one attempt and reports what happened. Never panics on any response.
    pub fn send(&self, req: &Request<'_>) -> Outcome {
        let body = body(req.format, req.event, req.event_timestamp_ms, req.payload);
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/json".into()),
            ("webhook-id".into(), req.event_id.into()),
            ("webhook-timestamp".into(), req.now_s.to_string()),
        ];
        if !req.secrets.is_empty() {
            headers.push(("webhook-signature".into(), signature_header(req.secrets, req.event_id, req.now_s, &body)));
        }
        headers.push((EVENT_HEADER.into(), req.event.into()));
        headers.push((ATTEMPT_HEADER.into(), req.attempt.to_string()));

        let started = Instant::now();
        let agent = &self.agents[pool_of(req.url, self.agents.len())];
        let mut builder = agent.post(req.url);
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        for (k, v) in req.headers {
            builder = builder.header(k.as_str(), v.as_str());
            headers.push((k.to_ascii_lowercase(), HIDDEN.into()));
        }
        let mut out = Outcome { request_headers: headers, ..Outcome::default() };
        match builder.send(&body[..]) {
            Ok(mut res) => {
                let status = res.status();
                out.status = Some(status.as_u16());
                out.reason = status.canonical_reason().map(str::to_string);
                out.response_headers = kept_headers(res.headers().iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
                if matches!(status.as_u16(), 429 | 503) {
                    out.retry_after_s = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| {
                        crate::retry::parse_retry_after(v, crate::clock::Clock::now_ms(&crate::clock::SystemClock))
                    });
                }
                let (excerpt, truncated, read_err) = read_excerpt(res.body_mut().as_reader(), self.excerpt);
                out.response_excerpt = excerpt;
                out.response_truncated = truncated;
                if status.is_redirection() {
                    let to = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("");
                    out.error = Some(format!("redirect not followed ({} to {})", status.as_u16(), cut(to, 256)));
                    out.error_kind = Some("redirect");
                } else if !status.is_success() {
                    out.error_kind = Some("http_status");
                } else if let Some(e) = read_err {
                    out.error = Some(format!("response body: {e}"));
                    out.error_kind = Some("response_body");
                }
            }
            Err(e) => {
                out.error = Some(describe(&e));
                out.error_kind = Some(error_kind(&e));
            }
        }
        out.duration_ms = started.elapsed().as_millis() as u64;
        out
    }
}

/// Idle connections one pool keeps: in all, about four per delivery thread (several endpoints
/// take turns on the threads, and each keeps the connections it last needed), and at least one
/// endpoint's whole concurrency, so a busy endpoint never reconnects for want of room.
fn idle_per_pool(concurrency: usize, per_endpoint: usize) -> usize {
    (concurrency * 4).div_ceil(POOLS).max(per_endpoint.min(concurrency))
}

/// Which of `pools` pools serves `url`: a hash of its scheme and authority (case-insensitive),
/// so every attempt to one endpoint host uses the same pool.
fn pool_of(url: &str, pools: usize) -> usize {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    // FNV-1a: small, stable, and enough to spread a handful of hosts.
    let hash = url.as_bytes()[..end]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3));
    (hash % pools.max(1) as u64) as usize
}

/// Reads at most `cap` bytes to keep, then drains at most 256 KiB more so the connection can
/// be reused; a longer body is dropped with its connection. Returns the excerpt, whether it
/// was cut, and a read error (e.g. a timeout while the body trickles).
fn read_excerpt(mut r: impl Read, cap: usize) -> (String, bool, Option<String>) {
    let mut kept = Vec::with_capacity(cap.min(4096));
    let mut buf = [0u8; 8192];
    let mut extra = 0usize;
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                extra += n.saturating_sub(room);
                if extra > 256 * 1024 {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (String::from_utf8_lossy(&kept).into_owned(), extra > 0, Some(e.to_string())),
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), extra > 0, None)
}

/// Response headers kept per attempt, at most.
pub const KEPT_HEADERS: usize = 64;
/// Bytes of one response header's value kept, at most.
pub const KEPT_HEADER_VALUE: usize = 512;
/// Bytes of response header names and values kept per attempt, at most.
pub const KEPT_HEADER_BYTES: usize = 8 * 1024;
/// The entry that says what was left out; no header is named so (`(` is not a token character).
pub const CUT_ENTRY: &str = "(cut)";

/// The response headers a result keeps, in the order received: at most [`KEPT_HEADERS`] of
/// them and [`KEPT_HEADER_BYTES`] in all, each value cut at [`KEPT_HEADER_VALUE`] bytes
/// (lossy UTF-8). When anything is left out, a last [`CUT_ENTRY`] entry says what, so a
/// receiver that answers with huge headers still leaves a bounded, truthful record.
pub fn kept_headers<'h>(headers: impl Iterator<Item = (&'h str, &'h [u8])>) -> Vec<(String, String)> {
    let (mut kept, mut bytes, mut dropped, mut shortened) = (Vec::new(), 0usize, 0usize, 0usize);
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value);
        let value = if value.len() > KEPT_HEADER_VALUE {
            shortened += 1;
            cut(&value, KEPT_HEADER_VALUE)
        } else {
            value.into_owned()
        };
        if kept.len() == KEPT_HEADERS || bytes + name.len() + value.len() > KEPT_HEADER_BYTES {
            dropped += 1;
            continue;
        }
        bytes += name.len() + value.len();
        kept.push((name.to_string(), value));
    }
    let mut why = Vec::new();
    if dropped > 0 {
        why.push(format!(
            "{dropped} of {} headers not kept (at most {KEPT_HEADERS} and {KEPT_HEADER_BYTES} bytes are)",
            kept.len() + dropped
        ));
    }
    if shortened > 0 {
        why.push(format!("{shortened} values cut at {KEPT_HEADER_VALUE} bytes"));
    }
    if !why.is_empty() {
        kept.push((CUT_ENTRY.to_string(), why.join("; ")));
    }
    kept
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The machine name of a failed attempt's error (see [`Outcome::error_kind`]).
fn error_kind(e: &ureq::Error) -> &'static str {
    use std::io::ErrorKind as Io;
    match e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<Refused>()) => "ssrf_refused",
        ureq::Error::Io(io) => match io.kind() {
            Io::ConnectionRefused => "connect_refused",
            Io::HostUnreachable | Io::NetworkUnreachable | Io::NetworkDown | Io::AddrNotAvailable => "connect_failed",
            Io::TimedOut => "timeout",
            _ => "network",
        },
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::HostNotFound => "dns",
        ureq::Error::ConnectionFailed => "connect_failed",
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => "tls",
        ureq::Error::RedirectFailed | ureq::Error::TooManyRedirects => "redirect",
        _ => "network",
    }
}

/// A network error in words a network admin can act on.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<Refused>()) {
            Some(refused) => refused.0.clone(),
            None => format!("network: {io}"),
        },
        ureq::Error::Timeout(t) => format!("timeout: no answer in time ({t})"),
        ureq::Error::HostNotFound => "dns: host not found".into(),
        ureq::Error::ConnectionFailed => "network: connection failed".into(),
        ureq::Error::BadUri(u) => format!("url: {u}"),
        other => format!("network: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_headers_are_kept_within_bounds_and_say_what_was_cut() {
        let few = [("a", &b"1"[..]), ("b", b"\xff2")];
        assert_eq!(kept_headers(few.into_iter()), [("a".into(), "1".into()), ("b".into(), "\u{fffd}2".into())]);

        let long = "é".repeat(400); // 800 bytes: cut at a character boundary, at most 512
        let names: Vec<String> = (0..100).map(|i| format!("x-h{i}")).collect();
        let kept = kept_headers(names.iter().map(|n| (n.as_str(), long.as_bytes())));
        let (last, rest) = kept.split_last().unwrap();
        assert_eq!(last.0, CUT_ENTRY);
        assert!(rest.iter().all(|(_, v)| v.len() <= KEPT_HEADER_VALUE && v.len() >= KEPT_HEADER_VALUE - 1));
        assert!(rest.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= KEPT_HEADER_BYTES);
        assert_eq!(
            last.1,
            format!(
                "{} of 100 headers not kept (at most 64 and 8192 bytes are); 100 values cut at 512 bytes",
                100 - rest.len()
            )
        );

        let many: Vec<String> = (0..70).map(|i| format!("h{i}")).collect();
        let kept = kept_headers(many.iter().map(|n| (n.as_str(), &b"v"[..])));
        assert_eq!(kept.len(), KEPT_HEADERS + 1);
        assert_eq!(kept[KEPT_HEADERS].1, "6 of 70 headers not kept (at most 64 and 8192 bytes are)");
    }

    #[test]
    fn envelope_wraps_the_payload_verbatim() {
        let b = body(Format::Envelope, "site_created", 1_700_000_000_123, br#"{"site_id":2}"#);
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"type":"site_created","timestamp":"2023-11-14T22:13:20.123Z","data":{"site_id":2}}"#
        );
        assert_eq!(body(Format::Flat, "x", 0, b"{}"), b"{}");
    }

    #[test]
    fn excerpt_is_capped() {
        let big = vec![b'a'; 100_000];
        let (e, cut, err) = read_excerpt(&big[..], 20_480);
        assert_eq!((e.len(), cut, err), (20_480, true, None));
        let (e, cut, _) = read_excerpt(&b"ok"[..], 20_480);
        assert_eq!((e.as_str(), cut), ("ok", false));
    }

    #[test]
    fn one_host_always_uses_one_pool() {
        let p = pool_of("http://Hooks.Example:8080/a?b", POOLS);
        assert!(p < POOLS);
        for u in ["http://hooks.example:8080/other", "http://HOOKS.EXAMPLE:8080", "http://hooks.example:8080?x#y"] {
            assert_eq!(pool_of(u, POOLS), p, "{u}");
        }
        assert_eq!(pool_of("no scheme at all", 1), 0);
        assert_eq!(pool_of("", 0), 0);
    }

    #[test]
    fn several_hosts_spread_over_the_pools() {
        let used: std::collections::HashSet<usize> =
            (0..10).map(|i| pool_of(&format!("http://127.0.0.1:{}/hook", 40_000 + i * 977), POOLS)).collect();
        assert!(used.len() >= 4, "10 hosts in {} pools", used.len());
    }

    #[test]
    fn idle_connections_are_bounded_by_the_concurrency() {
        // Defaults: 16 threads, 4 per endpoint: 8 per pool, 64 in all.
        assert_eq!(idle_per_pool(16, 4), 8);
        // One endpoint may use every thread: its pool keeps them all.
        assert_eq!(idle_per_pool(16, 16), 16);
        assert_eq!(idle_per_pool(1, 64), 1);
        assert_eq!(idle_per_pool(256, 64), 128);
    }
}
