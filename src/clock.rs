//! Time and randomness, injected so tests can drive them.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }
    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A source of random 64-bit numbers, shareable between threads.
pub trait Random: Send + Sync + std::fmt::Debug {
    /// The next random number.
    fn next_u64(&self) -> u64;

    /// A number uniformly distributed in `[0, 1)`.
    fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64 over an atomic counter: lock-free, seeded from the OS.
///
/// Not for secrets (the plugin generates those); used for ids and jitter.
#[derive(Debug)]
pub struct SplitMix(AtomicU64);

impl SplitMix {
    /// Seeded from the operating system's random source (falls back to time and pid).
    pub fn from_os() -> Self {
        let mut b = [0u8; 8];
        let seed = match getrandom::getrandom(&mut b) {
            Ok(()) => u64::from_le_bytes(b),
            Err(_) => (SystemClock.now_ms() as u64) ^ ((std::process::id() as u64) << 32),
        };
        SplitMix(AtomicU64::new(seed))
    }
    /// A fixed seed; for tests.
    pub fn seeded(seed: u64) -> Self {
        SplitMix(AtomicU64::new(seed))
    }
}

impl Random for SplitMix {
    fn next_u64(&self) -> u64 {
        let mut z = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID-style id: `prefix` + 26 characters (48-bit milliseconds + 80 random bits, Crockford
/// base32), so ids sort by creation time and never collide in practice.
pub fn new_id(prefix: &str, now_ms: i64, rng: &dyn Random) -> String {
    let value: u128 = ((now_ms as u128 & 0xFFFF_FFFF_FFFF) << 80)
        | ((rng.next_u64() as u128 & 0xFFFF) << 64)
        | rng.next_u64() as u128;
    let mut s = String::with_capacity(prefix.len() + 26);
    s.push_str(prefix);
    for i in (0..26).rev() {
        s.push(CROCKFORD[((value >> (i * 5)) & 31) as usize] as char);
    }
    s
}

/// Whether `id` has the form [`new_id`] gives with `prefix`: the prefix and 26 characters of
/// Crockford's base32.
pub fn is_id(id: &str, prefix: &str) -> bool {
    id.len() == prefix.len() + 26
        && id.starts_with(prefix)
        && id.bytes().skip(prefix.len()).all(|b| CROCKFORD.contains(&b))
}

/// When an id [`new_id`] gave with `prefix` was made (ms since the epoch), read back from its
/// first ten characters; `None` if `id` is not such an id.
pub fn id_time(id: &str, prefix: &str) -> Option<i64> {
    if !is_id(id, prefix) {
        return None;
    }
    let ms = id.bytes().skip(prefix.len()).take(10).try_fold(0u64, |acc, b| {
        let digit = CROCKFORD.iter().position(|&c| c == b)? as u64;
        Some((acc << 5) | digit)
    })?;
    // Ten characters hold 50 bits; the time is the low 48 (the top two are always zero).
    Some((ms & 0xFFFF_FFFF_FFFF) as i64)
}

/// `2024-01-02T03:04:05.678Z` for milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_614_265_330_000), "2021-02-25T15:02:10.000Z");
    }

    #[test]
    fn an_ids_time_is_read_back() {
        let rng = SplitMix::seeded(3);
        for t in [0, 1, 1_700_000_000_123, 0xFFFF_FFFF_FFFF] {
            assert_eq!(id_time(&new_id("msg_", t, &rng), "msg_"), Some(t));
        }
        assert_eq!(id_time("msg_short", "msg_"), None);
        assert_eq!(id_time(&new_id("att_", 5, &rng), "msg_"), None);
    }

    #[test]
    fn ids_sort_by_time_and_differ() {
        let rng = SplitMix::seeded(1);
        let a = new_id("msg_", 1_700_000_000_000, &rng);
        let b = new_id("msg_", 1_700_000_000_001, &rng);
        let c = new_id("msg_", 1_700_000_000_001, &rng);
        assert_eq!(a.len(), 30);
        assert!(
            is_id(&a, "msg_") && !is_id(&a, "evt_") && !is_id(&a[..29], "msg_") && !is_id(&a.to_lowercase(), "msg_")
        );
        assert!(a < b);
        assert_ne!(b, c);
        assert!(a.starts_with("msg_01"));
    }

    #[test]
    fn uniform_floats_stay_in_range() {
        let rng = SplitMix::seeded(7);
        for _ in 0..10_000 {
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1000);
        assert_eq!(c.now_ms(), 1000);
        c.advance(5000);
        assert_eq!(c.now_ms(), 6000);
    }
}
