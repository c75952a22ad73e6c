//! Engine settings: what `hooks_init` accepts, with defaults and validation.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, Result};

/// How much an accepted event survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Written to the spool before `emit` returns: survives the death of any process.
    /// Defaults to this.
    #[default]
    Process,
    /// Also `fdatasync`ed before `emit` returns (grouped across concurrent emits):
    /// survives power loss.
    Power,
}

/// Engine settings, given once per process as JSON to `hooks_init`.
///
/// Unknown fields are refused, so a typo never silently falls back to a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The spool directory: the work queue of this server. Created (0700) if missing.
    /// Required; keep it outside the web root.
    pub spool_dir: PathBuf,
    /// Defaults to `process`.
    #[serde(default)]
    pub durability: Durability,
    /// Time to establish a connection. Defaults to 5000 ms.
    #[serde(default = "d_connect")]
    pub connect_timeout_ms: u64,
    /// Time for the whole request, response body included. Defaults to 15000 ms; at most 30000.
    #[serde(default = "d_request")]
    pub request_timeout_ms: u64,
    /// Delays between attempts, in seconds: after the first try, wait the first delay, and so
    /// on. Defaults to 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over ≈ 27 h).
    #[serde(default = "d_schedule")]
    pub retry_schedule_s: Vec<u64>,
    /// Each delay is multiplied by a random factor in `[1 - jitter, 1 + jitter]`.
    /// Defaults to 0.2; at most 0.5.
    #[serde(default = "d_jitter")]
    pub retry_jitter: f64,
    /// A `Retry-After` from a 429 or 503 is honoured up to this many seconds. Defaults to 3600.
    #[serde(default = "d_retry_after_max")]
    pub retry_after_max_s: u64,
    /// Deliveries in flight at once, in total. Defaults to 16.
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// Deliveries in flight at once to one endpoint. Defaults to 4.
    #[serde(default = "d_per_endpoint")]
    pub per_endpoint_concurrency: usize,
    /// Addresses or CIDR networks the SSRF guard lets through (e.g. `127.0.0.1`,
    /// `10.0.0.0/8`). Defaults to none.
    #[serde(default)]
    pub ssrf_allow: Vec<String>,
    /// Largest accepted payload. Defaults to 1 MiB.
    #[serde(default = "d_max_payload")]
    pub max_payload_bytes: usize,
    /// How much of a response body is kept. Defaults to 20480 bytes; at most 20480.
    #[serde(default = "d_excerpt")]
    pub response_excerpt_bytes: usize,
    /// An endpoint failing continuously this long is disabled. Defaults to 5 days.
    #[serde(default = "d_disable_after")]
    pub disable_after_s: u64,
    /// Untaken results kept at most; the oldest are dropped past it. Defaults to 256 MiB.
    #[serde(default = "d_results_max")]
    pub results_max_bytes: u64,
    /// How often a process looks for work written by other processes. Defaults to 50 ms.
    #[serde(default = "d_poll")]
    pub poll_interval_ms: u64,
    /// Added to the `User-Agent` after `MultisiteWebhooks/<version>` (e.g. the network URL).
    /// Defaults to nothing.
    #[serde(default)]
    pub user_agent_suffix: String,
    /// A PEM file of CA certificates to trust instead of the built-in web roots.
    /// Defaults to none (the Mozilla root set).
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// This process is the server's delivery worker (`wp webhook worker`): it holds
    /// `worker.lock` and always leads; the other processes leave delivery to it while it runs
    /// (a leader among them steps down when it starts). Defaults to false.
    #[serde(default)]
    pub delivery_worker: bool,
}

fn d_connect() -> u64 {
    5_000
}
fn d_request() -> u64 {
    15_000
}
fn d_schedule() -> Vec<u64> {
    vec![5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
}
fn d_jitter() -> f64 {
    0.2
}
fn d_retry_after_max() -> u64 {
    3_600
}
fn d_concurrency() -> usize {
    16
}
fn d_per_endpoint() -> usize {
    4
}
fn d_max_payload() -> usize {
    1 << 20
}
fn d_excerpt() -> usize {
    20 * 1024
}
fn d_disable_after() -> u64 {
    5 * 86_400
}
fn d_results_max() -> u64 {
    256 << 20
}
fn d_poll() -> u64 {
    50
}

/// The most attempts a schedule may describe (first try + retries).
pub const MAX_RETRIES: usize = 32;

impl Settings {
    /// Parses and validates settings JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Settings> {
        let s: Settings = serde_json::from_slice(bytes).map_err(|e| Error::Settings(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Settings(m));
        if self.spool_dir.as_os_str().is_empty() || !self.spool_dir.is_absolute() {
            return bad(format!("spool_dir: must be an absolute path, got {:?}", self.spool_dir));
        }
        if !(100..=60_000).contains(&self.connect_timeout_ms) {
            return bad(format!("connect_timeout_ms: must be 100..=60000, got {}", self.connect_timeout_ms));
        }
        if !(100..=30_000).contains(&self.request_timeout_ms) {
            return bad(format!("request_timeout_ms: must be 100..=30000, got {}", self.request_timeout_ms));
        }
        if self.retry_schedule_s.len() > MAX_RETRIES {
            return bad(format!(
                "retry_schedule_s: at most {MAX_RETRIES} retries, got {}",
                self.retry_schedule_s.len()
            ));
        }
        if let Some(d) = self.retry_schedule_s.iter().find(|d| **d == 0 || **d > 7 * 86_400) {
            return bad(format!("retry_schedule_s: each delay must be 1..=604800 seconds, got {d}"));
        }
        if !(0.0..=0.5).contains(&self.retry_jitter) {
            return bad(format!("retry_jitter: must be 0.0..=0.5, got {}", self.retry_jitter));
        }
        if !(1..=256).contains(&self.concurrency) {
            return bad(format!("concurrency: must be 1..=256, got {}", self.concurrency));
        }
        if !(1..=64).contains(&self.per_endpoint_concurrency) {
            return bad(format!("per_endpoint_concurrency: must be 1..=64, got {}", self.per_endpoint_concurrency));
        }
        if !(1..=64 << 20).contains(&self.max_payload_bytes) {
            return bad(format!("max_payload_bytes: must be 1..=67108864, got {}", self.max_payload_bytes));
        }
        if self.response_excerpt_bytes > 20 * 1024 {
            return bad(format!("response_excerpt_bytes: at most 20480, got {}", self.response_excerpt_bytes));
        }
        if !(1..=10_000).contains(&self.poll_interval_ms) {
            return bad(format!("poll_interval_ms: must be 1..=10000, got {}", self.poll_interval_ms));
        }
        if self.user_agent_suffix.chars().any(|c| c.is_control()) {
            return bad("user_agent_suffix: must not contain control characters".into());
        }
        for (i, a) in self.ssrf_allow.iter().enumerate() {
            parse_cidr(a).map_err(|m| Error::Settings(format!("ssrf_allow[{i}]: {m}")))?;
        }
        Ok(())
    }

    /// The allow-list as parsed networks.
    pub fn allow_networks(&self) -> Vec<(IpAddr, u8)> {
        self.ssrf_allow.iter().filter_map(|a| parse_cidr(a).ok()).collect()
    }
}

/// Parses `1.2.3.4`, `1.2.3.0/24`, `::1` or `fc00::/7`.
pub fn parse_cidr(s: &str) -> std::result::Result<(IpAddr, u8), String> {
    let (ip, len) = match s.split_once('/') {
        Some((ip, len)) => (ip, Some(len)),
        None => (s, None),
    };
    let ip: IpAddr = ip.trim().parse().map_err(|_| format!("not an IP address or CIDR network: {s:?}"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => {
            l.trim().parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(|| format!("bad prefix length in {s:?}"))?
        }
        None => max,
    };
    Ok((ip, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let s = Settings::from_json(br#"{"spool_dir":"/tmp/x"}"#).unwrap();
        assert_eq!(s.connect_timeout_ms, 5_000);
        assert_eq!(s.request_timeout_ms, 15_000);
        assert_eq!(s.retry_schedule_s.iter().sum::<u64>(), 99_305); // ≈ 27.6 h
        assert_eq!(s.durability, Durability::Process);
        assert_eq!(s.response_excerpt_bytes, 20_480);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"spool_dir":"/tmp/x","spool":1}"#, "settings: unknown field `spool`"),
            (br#"{"spool_dir":"relative"}"#, "settings: spool_dir: must be an absolute path"),
            (br#"{"spool_dir":"/x","request_timeout_ms":45000}"#, "settings: request_timeout_ms: must be 100..=30000"),
            (br#"{"spool_dir":"/x","ssrf_allow":["127.0.0.1","nope"]}"#, "settings: ssrf_allow[1]: not an IP address"),
            (br#"{"spool_dir":"/x","durability":"disk"}"#, "settings: unknown variant `disk`"),
            (br#"{"spool_dir":"/x","retry_schedule_s":[5,0]}"#, "settings: retry_schedule_s: each delay"),
            (br#"{}"#, "settings: missing field `spool_dir`"),
            (br#"[1"#, "settings: "),
        ];
        for (json, want) in cases {
            let got = Settings::from_json(json).unwrap_err().to_string();
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(parse_cidr("127.0.0.1").unwrap().1, 32);
        assert_eq!(parse_cidr("10.0.0.0/8").unwrap().1, 8);
        assert_eq!(parse_cidr("::1").unwrap().1, 128);
        assert!(parse_cidr("10.0.0.0/33").is_err());
    }
}
