//! Engine settings (what `hooks_init` parses) from arbitrary bytes: refused with a `settings:`
//! error, or accepted only when every documented range holds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use multisite_webhooks::settings::{parse_cidr, Settings, MAX_RETRIES};
use multisite_webhooks::Error;

fuzz_target!(|data: &[u8]| {
    match Settings::from_json(data) {
        Ok(s) => {
            assert!(s.spool_dir.is_absolute(), "{:?}", s.spool_dir);
            assert!((100..=60_000).contains(&s.connect_timeout_ms));
            assert!((100..=30_000).contains(&s.request_timeout_ms));
            assert!(s.retry_schedule_s.len() <= MAX_RETRIES);
            assert!(s.retry_schedule_s.iter().all(|d| (1..=604_800).contains(d)));
            assert!((0.0..=0.5).contains(&s.retry_jitter));
            assert!((1..=256).contains(&s.concurrency));
            assert!((1..=64).contains(&s.per_endpoint_concurrency));
            assert!((1..=64 << 20).contains(&s.max_payload_bytes));
            assert!(s.response_excerpt_bytes <= 20 * 1024);
            assert!((1..=10_000).contains(&s.poll_interval_ms));
            assert!(!s.user_agent_suffix.chars().any(char::is_control));
            // Every allow-list entry was validated, so none is lost when the guard reads them.
            assert_eq!(s.allow_networks().len(), s.ssrf_allow.len());
        }
        Err(Error::Settings(m)) => assert!(!m.is_empty()),
        Err(other) => panic!("settings refused with the wrong family: {other}"),
    }
    // The allow-list parser on its own, as the admin types an entry.
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok((ip, len)) = parse_cidr(s) {
            assert!(len <= if ip.is_ipv4() { 32 } else { 128 });
        }
    }
});
