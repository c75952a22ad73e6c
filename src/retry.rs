//! The retry schedule: when the next attempt is due, with jitter, and what `Retry-After` does.

use crate::clock::Random;

/// Delays between attempts, with jitter.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Delay after attempt 1, 2, … in seconds.
    pub delays_s: Vec<u64>,
    /// Random factor range: each delay × `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
    /// Longest honoured `Retry-After`, in seconds.
    pub retry_after_max_s: u64,
}

impl Schedule {
    /// When attempt `attempt + 1` is due after attempt `attempt` (1-based) failed at `now_ms`,
    /// or `None` if that was the last one. A `Retry-After` (seconds) replaces the scheduled
    /// delay, clamped to `[1, retry_after_max_s]`.
    pub fn next_due(&self, attempt: u32, now_ms: i64, retry_after_s: Option<u64>, rng: &dyn Random) -> Option<i64> {
        let base = *self.delays_s.get(attempt.checked_sub(1)? as usize)?;
        let delay_ms = match retry_after_s {
            Some(s) => s.clamp(1, self.retry_after_max_s.max(1)) as f64 * 1000.0,
            None => {
                let factor = 1.0 + self.jitter * (2.0 * rng.next_f64() - 1.0);
                base as f64 * 1000.0 * factor
            }
        };
        Some(now_ms + delay_ms.round() as i64)
    }
}

/// Parses a `Retry-After` value (seconds, or an HTTP date) into seconds from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let v = value.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(s);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    let when_ms = when.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as i64;
    Some(((when_ms - now_ms).max(0) / 1000) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock, SplitMix};

    fn default_schedule() -> Schedule {
        Schedule { delays_s: vec![5, 300, 1_800, 7_200, 18_000, 36_000, 36_000], jitter: 0.2, retry_after_max_s: 3_600 }
    }

    #[test]
    fn walks_the_schedule_with_a_driven_clock() {
        let s = default_schedule();
        let rng = SplitMix::seeded(42);
        let clock = ManualClock::new(1_700_000_000_000);
        let start = clock.now_ms();
        let mut attempt = 1;
        while let Some(due) = s.next_due(attempt, clock.now_ms(), None, &rng) {
            let base = s.delays_s[attempt as usize - 1] as i64 * 1000;
            let delay = due - clock.now_ms();
            assert!(delay >= base * 8 / 10 && delay <= base * 12 / 10, "attempt {attempt}: {delay} vs {base}");
            clock.advance(delay);
            attempt += 1;
        }
        assert_eq!(attempt, 8, "eight attempts in all");
        let total_h = (clock.now_ms() - start) as f64 / 3_600_000.0;
        assert!((22.0..33.2).contains(&total_h), "{total_h} h");
    }

    #[test]
    fn jitter_spreads_delays() {
        let s = default_schedule();
        let rng = SplitMix::seeded(1);
        let delays: Vec<i64> = (0..200).map(|_| s.next_due(2, 0, None, &rng).unwrap()).collect();
        let (min, max) = (*delays.iter().min().unwrap(), *delays.iter().max().unwrap());
        assert!(min >= 240_000 && max <= 360_000);
        assert!(max - min > 60_000, "jitter must actually vary: {min}..{max}");
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        let s = default_schedule();
        let rng = SplitMix::seeded(1);
        assert_eq!(s.next_due(1, 0, Some(30), &rng), Some(30_000));
        assert_eq!(s.next_due(1, 0, Some(0), &rng), Some(1_000));
        assert_eq!(s.next_due(1, 0, Some(999_999), &rng), Some(3_600_000));
        assert_eq!(s.next_due(8, 0, Some(30), &rng), None, "no attempts left");
    }

    #[test]
    fn retry_after_formats() {
        assert_eq!(parse_retry_after(" 120 ", 0), Some(120));
        let now = 1_445_412_480_000; // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now), Some(60));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
