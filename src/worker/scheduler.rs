//! The delivery scheduler: which endpoint gets which event, and when. It owns fan-out (who
//! hears an event, `since_ms`), the queues, the retry timing, the circuit breaker, the
//! disable after days of failure, and cancellation. It is pure: it is handed events, outcomes
//! and the time, and answers with [`Effect`]s and [`Verdict`]s that the shell (the leader in
//! [`super`]) carries out. It owns no file, thread, socket or clock.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::{rfc3339, Random};
use crate::config::{Endpoint, Snapshot};
use crate::retry::Schedule;

/// One delivery of one event to one endpoint. 32 bytes: a million of them fit in 32 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// When the next attempt is due (ms).
    pub due: i64,
    /// The endpoint's id.
    pub endpoint: u64,
    /// The event's record: its offset in its segment.
    pub off: u32,
    /// The event's record: the segment's number in this leader.
    pub seg: u32,
    /// Attempts already made.
    pub attempts: u16,
}

impl Ord for Job {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seg, self.off, self.endpoint).cmp(&(o.due, o.seg, o.off, o.endpoint))
    }
}
impl PartialOrd for Job {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// The last known state of one (record, endpoint), as the state log keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// Waiting for a retry.
    Retrying = 1,
    /// Answered 2xx.
    Delivered = 2,
    /// Out of attempts, or refused for good.
    Failed = 3,
    /// Dropped: its endpoint was turned off, disabled or removed.
    Cancelled = 4,
}

/// What a state log knows of one (record, endpoint): attempts made, state, due time.
pub type Known = (u16, StateKind, i64);

/// An event read from the spool, as far as scheduling needs it.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// Where its record is.
    pub seg: u32,
    /// Where its record is.
    pub off: u32,
    /// Its slug.
    pub event: &'a str,
    /// When it was accepted (ms).
    pub timestamp_ms: i64,
    /// `Some(endpoint)` for a redelivery to one endpoint; `None` for a new event.
    pub target: Option<u64>,
}

/// What an attempt's answer means for scheduling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, if a response came back.
    pub status: Option<u16>,
    /// `Retry-After` in seconds (429, 503).
    pub retry_after_s: Option<u64>,
}

impl Answer {
    /// 2xx and nothing else.
    pub fn delivered(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }

    /// No answer, 429 or 5xx: the endpoint is not taking deliveries (its breaker counts it).
    /// Any other answer means it is reachable.
    fn unreachable(&self) -> bool {
        !self.delivered() && matches!(self.status, None | Some(429) | Some(500..=599))
    }
}

/// Something the shell must do, in the order given.
#[derive(Debug)]
pub enum Effect {
    /// Journal the event itself (before any result of its attempts).
    JournalEvent {
        /// Where its record is.
        seg: u32,
        /// Where its record is.
        off: u32,
    },
    /// Start an attempt of `job` to `endpoint`; report it with [`Scheduler::finish`], or
    /// with [`Scheduler::not_started`] if it could not be started.
    Start(Job, Box<Endpoint>),
    /// The job is dropped: write its state `Cancelled` and journal `why`.
    Cancel(Job, Cow<'static, str>),
}

/// What became of a finished attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Answered 2xx: done.
    Delivered,
    /// Retried at `due` (ms).
    Retrying(i64),
    /// Failed for good; with the reason when this also disabled the endpoint.
    Failed(Option<String>),
}

/// Consecutive failures (network error, 429, 5xx) that open an endpoint's breaker.
pub const TRIP_AFTER: u32 = 3;
/// The first wait before a probe of an unreachable endpoint (doubling with each failed probe).
pub const FIRST_PROBE_INTERVAL_MS: i64 = 5_000;
/// Longest wait between probes of an unreachable endpoint.
pub const MAX_PROBE_INTERVAL_MS: i64 = 10 * 60 * 1000;

/// Per-endpoint circuit breaker: after repeated failures, jobs are parked instead of
/// attempted, and one probe at a time tests whether the endpoint is back. A dead endpoint
/// then costs one request per probe interval instead of one per waiting event.
#[derive(Debug, Default, Clone, Copy)]
struct Breaker {
    failures: u32,
    open_until: Option<i64>,
    since: i64,
}

#[derive(Debug, PartialEq, Eq)]
enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl Breaker {
    fn state(&self, now: i64) -> BreakerState {
        match self.open_until {
            None => BreakerState::Closed,
            Some(t) if now < t => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Records a failure; opens (or re-opens) the breaker from the `TRIP_AFTER`th on.
    fn fail(&mut self, now: i64) {
        if self.failures == 0 {
            self.since = now;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures < TRIP_AFTER {
            return;
        }
        let k = (self.failures - TRIP_AFTER).min(10);
        self.open_until = Some(now + (FIRST_PROBE_INTERVAL_MS << k).min(MAX_PROBE_INTERVAL_MS));
    }
}

/// What stats.json says of an endpoint whose breaker is open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreachable {
    /// Consecutive failed attempts.
    pub failures: u32,
    /// First failure of the streak (ms).
    pub since_ms: i64,
    /// When the next probe is due (ms).
    pub next_probe_ms: i64,
    /// Deliveries waiting for it.
    pub waiting: u64,
}

/// Per-endpoint health, kept across leaders in `health.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    revision: u64,
    failing_since_ms: Option<i64>,
    disabled: Option<String>,
    disabled_at_ms: Option<i64>,
}

/// Cumulative counters, kept across leaders in `stats.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Attempts answered 2xx.
    pub delivered: u64,
    /// Deliveries that ran out of attempts or were refused for good (410).
    pub failed: u64,
    /// Deliveries dropped because their endpoint was turned off or removed.
    pub cancelled: u64,
    /// Attempts made in all.
    pub attempts: u64,
}

#[derive(Debug, Default)]
struct EpQueue {
    ready: VecDeque<Job>,
    in_flight: usize,
    /// Jobs held while the endpoint's breaker is open (they keep their attempt count).
    parked: Vec<Parked>,
}

/// A job waiting for its endpoint to come back: 12 bytes.
#[derive(Debug, Clone, Copy)]
struct Parked {
    seg: u32,
    off: u32,
    attempts: u16,
}

impl Parked {
    fn job(self, endpoint: u64, due: i64) -> Job {
        Job { due, endpoint, off: self.off, seg: self.seg, attempts: self.attempts }
    }
}

/// The rules the scheduler applies.
#[derive(Debug, Clone)]
pub struct Rules {
    /// When retries are due.
    pub schedule: Schedule,
    /// Attempts in flight to one endpoint at most.
    pub per_endpoint: usize,
    /// An endpoint failing for this long is disabled (ms).
    pub disable_after_ms: i64,
}

const GONE: &str = "the webhook was turned off, disabled or deleted";

/// The scheduler of one leader. See the module documentation.
#[derive(Debug)]
pub struct Scheduler {
    rules: Rules,
    rng: Arc<dyn Random>,
    snapshot: Arc<Snapshot>,
    queues: HashMap<u64, EpQueue>,
    queued: usize,
    in_flight: usize,
    retry: BinaryHeap<Reverse<Job>>,
    rr: usize,
    breakers: HashMap<u64, Breaker>,
    health: HashMap<u64, Health>,
    health_dirty: bool,
    counters: Counters,
}

impl Scheduler {
    /// A scheduler with nothing queued, carrying on from the health and counters a previous
    /// leader left.
    pub fn new(rules: Rules, rng: Arc<dyn Random>, health: HashMap<u64, Health>, counters: Counters) -> Self {
        Scheduler {
            rules,
            rng,
            snapshot: Arc::new(Snapshot::default()),
            queues: HashMap::new(),
            queued: 0,
            in_flight: 0,
            retry: BinaryHeap::new(),
            rr: 0,
            breakers: HashMap::new(),
            health,
            health_dirty: false,
            counters,
        }
    }

    /// The endpoints in force.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// Puts a new endpoint snapshot in force; jobs of endpoints now off, removed or disabled
    /// are cancelled.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>, out: &mut Vec<Effect>) {
        self.snapshot = snapshot;
        self.sweep(out);
    }

    /// Whether `endpoint` may be delivered to now. A new revision of an endpoint starts with
    /// a clean bill of health.
    fn deliverable(&mut self, endpoint: u64) -> Option<&Endpoint> {
        let ep = self.snapshot.endpoints.get(&endpoint)?;
        if !ep.spec.active {
            return None;
        }
        if let Some(h) = self.health.get_mut(&endpoint) {
            if h.revision != ep.spec.revision {
                *h = Health { revision: ep.spec.revision, ..Health::default() };
                self.health_dirty = true;
            } else if h.disabled.is_some() {
                return None;
            }
        }
        Some(ep)
    }

    /// Cancels waiting jobs whose endpoint was turned off, removed or disabled.
    fn sweep(&mut self, out: &mut Vec<Effect>) {
        let ids: Vec<u64> = self.queues.keys().copied().chain(self.retry.iter().map(|Reverse(j)| j.endpoint)).collect();
        let mut gone: Vec<u64> = Vec::new();
        for id in ids {
            if !gone.contains(&id) && self.deliverable(id).is_none() {
                gone.push(id);
            }
        }
        if gone.is_empty() {
            return;
        }
        let before = out.len();
        for id in &gone {
            if let Some(q) = self.queues.get_mut(id) {
                self.queued -= q.ready.len();
                out.extend(q.ready.drain(..).map(|j| Effect::Cancel(j, GONE.into())));
                out.extend(q.parked.drain(..).map(|p| Effect::Cancel(p.job(*id, 0), GONE.into())));
            }
        }
        let (dead, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.retry).into_iter().partition(|Reverse(j)| gone.contains(&j.endpoint));
        self.retry = keep.into_iter().collect();
        out.extend(dead.into_iter().map(|Reverse(j)| Effect::Cancel(j, GONE.into())));
        self.counters.cancelled += (out.len() - before) as u64;
    }

    /// Fans an event read from the spool out to the endpoints that hear it: only those that
    /// existed and were on when it was accepted (`since_ms`), so a leader reading an older
    /// segment again never hands its events to newer webhooks. `known` is what the segment's
    /// state log says of (this record, an endpoint). Returns how many jobs the record now has
    /// open (cancellations included: each ends with a final state).
    pub fn fan_out(
        &mut self, a: Arrival<'_>, known: impl Fn(u64) -> Option<Known>, now: i64, out: &mut Vec<Effect>,
    ) -> u64 {
        let targets: Vec<u64> = match a.target {
            Some(t) => vec![t],
            None => {
                let mut t: Vec<u64> = self
                    .snapshot
                    .endpoints
                    .values()
                    .filter(|e| e.hears(a.event) && e.spec.since_ms <= a.timestamp_ms)
                    .map(|e| e.spec.id)
                    .collect();
                t.sort_unstable();
                t
            }
        };
        // Decide first, then act: the event's entry in the journal comes before any result of
        // its attempts (a cancellation here is one).
        let mut jobs: Vec<(Job, bool)> = Vec::with_capacity(targets.len());
        for endpoint in targets {
            let k = known(endpoint);
            let job = match k {
                Some((_, StateKind::Delivered | StateKind::Failed | StateKind::Cancelled, _)) => continue,
                Some((attempts, StateKind::Retrying, due)) => Job { due, endpoint, off: a.off, seg: a.seg, attempts },
                None => Job { due: now, endpoint, off: a.off, seg: a.seg, attempts: 0 },
            };
            let deliverable = self.deliverable(endpoint).is_some();
            if !deliverable && a.target.is_none() && k.is_none() {
                continue; // an inactive webhook simply does not hear new events
            }
            jobs.push((job, deliverable));
        }
        if jobs.is_empty() {
            return 0;
        }
        if a.target.is_none() {
            out.push(Effect::JournalEvent { seg: a.seg, off: a.off });
        }
        let opened = jobs.len() as u64;
        for (job, deliverable) in jobs {
            if !deliverable {
                self.counters.cancelled += 1;
                out.push(Effect::Cancel(job, "the webhook is turned off, disabled or deleted".into()));
            } else if job.due > now {
                self.retry.push(Reverse(job));
            } else {
                self.queues.entry(job.endpoint).or_default().ready.push_back(job);
                self.queued += 1;
            }
        }
        opened
    }

    /// Moves retries that are due into their endpoint's queue.
    pub fn promote(&mut self, now: i64) {
        while let Some(Reverse(j)) = self.retry.peek().copied() {
            if j.due > now {
                break;
            }
            self.retry.pop();
            self.queues.entry(j.endpoint).or_default().ready.push_back(j);
            self.queued += 1;
        }
    }

    /// Starts at most `free` attempts, endpoints taking turns (round robin), each endpoint at
    /// most `per_endpoint` at a time, or one probe while its breaker is half open; while it is
    /// open, its jobs are parked.
    pub fn dispatch(&mut self, now: i64, mut free: usize, out: &mut Vec<Effect>) {
        if free == 0 {
            return;
        }
        let mut ids: Vec<u64> = Vec::new();
        for (id, q) in self.queues.iter_mut() {
            match self.breakers.get(id).map_or(BreakerState::Closed, |b| b.state(now)) {
                BreakerState::Open => {
                    // Hold everything until the next probe.
                    self.queued -= q.ready.len();
                    q.parked.extend(q.ready.drain(..).map(|j| Parked { seg: j.seg, off: j.off, attempts: j.attempts }));
                }
                BreakerState::HalfOpen => {
                    if q.in_flight == 0 && (!q.ready.is_empty() || !q.parked.is_empty()) {
                        if q.ready.is_empty() {
                            if let Some(p) = q.parked.pop() {
                                q.ready.push_back(p.job(*id, now));
                                self.queued += 1;
                            }
                        }
                        ids.push(*id);
                    }
                }
                BreakerState::Closed => {
                    if !q.ready.is_empty() {
                        ids.push(*id);
                    }
                }
            }
        }
        if ids.is_empty() {
            return;
        }
        ids.sort_unstable();
        self.rr = self.rr.wrapping_add(1);
        let start = self.rr % ids.len();
        ids.rotate_left(start);
        let mut progress = true;
        while progress && free > 0 {
            progress = false;
            for id in &ids {
                if free == 0 {
                    break;
                }
                let limit = match self.breakers.get(id).map(|b| b.state(now)) {
                    Some(BreakerState::HalfOpen) => 1,
                    _ => self.rules.per_endpoint,
                };
                let Some(q) = self.queues.get_mut(id) else { continue };
                if q.in_flight >= limit {
                    continue;
                }
                let Some(job) = q.ready.pop_front() else { continue };
                self.queued -= 1;
                progress = true;
                let Some(endpoint) = self.deliverable(*id).cloned() else {
                    self.counters.cancelled += 1;
                    out.push(Effect::Cancel(job, GONE.into()));
                    continue;
                };
                if let Some(q) = self.queues.get_mut(id) {
                    q.in_flight += 1;
                }
                self.in_flight += 1;
                free -= 1;
                out.push(Effect::Start(job, Box::new(endpoint)));
            }
        }
        self.queues.retain(|_, q| !q.ready.is_empty() || q.in_flight > 0 || !q.parked.is_empty());
    }

    /// A started job could not be sent: with `Some(why)` it is dropped for good (its record
    /// is unreadable), with `None` it goes back to the front of its queue (no thread took it).
    pub fn not_started(&mut self, job: Job, why: Option<String>, out: &mut Vec<Effect>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let q = self.queues.entry(job.endpoint).or_default();
        q.in_flight = q.in_flight.saturating_sub(1);
        match why {
            Some(why) => {
                self.counters.cancelled += 1;
                out.push(Effect::Cancel(job, why.into()));
            }
            None => {
                q.ready.push_front(job);
                self.queued += 1;
            }
        }
    }

    /// An attempt of `job` started at `started_at` was answered with `answer`, and it is now
    /// `now`. Returns the job with its attempt counted and what became of it; effects that
    /// follow (cancellations when the endpoint was disabled) go to `out`.
    pub fn finish(
        &mut self, mut job: Job, answer: Answer, started_at: i64, now: i64, out: &mut Vec<Effect>,
    ) -> (Job, Verdict) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(q) = self.queues.get_mut(&job.endpoint) {
            q.in_flight = q.in_flight.saturating_sub(1);
        }
        job.attempts = job.attempts.saturating_add(1);
        let attempt = job.attempts as u32;
        self.counters.attempts += 1;
        let revision = self.snapshot.endpoints.get(&job.endpoint).map_or(0, |e| e.spec.revision);
        if answer.unreachable() {
            self.breakers.entry(job.endpoint).or_default().fail(now);
        } else if self.breakers.remove(&job.endpoint).is_some_and(|b| b.open_until.is_some()) {
            self.unpark(job.endpoint, now);
        }
        let health = self.health.entry(job.endpoint).or_insert_with(|| Health { revision, ..Health::default() });
        if answer.delivered() {
            if health.failing_since_ms.take().is_some() {
                self.health_dirty = true;
            }
            self.counters.delivered += 1;
            return (job, Verdict::Delivered);
        }
        let since = *health.failing_since_ms.get_or_insert(started_at);
        self.health_dirty = true;
        let disable = if answer.status == Some(410) {
            Some("the receiver answered 410 Gone: it asked not to be sent any more events".to_string())
        } else if now - since >= self.rules.disable_after_ms {
            Some(format!(
                "every delivery failed since {} ({} days)",
                rfc3339(since),
                self.rules.disable_after_ms / 86_400_000
            ))
        } else {
            None
        };
        if let Some(why) = disable {
            health.disabled = Some(why.clone());
            health.disabled_at_ms = Some(now);
            health.revision = revision;
            self.counters.failed += 1;
            self.sweep(out);
            return (job, Verdict::Failed(Some(why)));
        }
        match self.rules.schedule.next_due(attempt, now, answer.retry_after_s, self.rng.as_ref()) {
            Some(due) => {
                job.due = due;
                self.retry.push(Reverse(job));
                (job, Verdict::Retrying(due))
            }
            None => {
                self.counters.failed += 1;
                (job, Verdict::Failed(None))
            }
        }
    }

    /// The endpoint is back: its parked jobs go first in line.
    fn unpark(&mut self, endpoint: u64, now: i64) {
        let Some(q) = self.queues.get_mut(&endpoint) else { return };
        let parked = std::mem::take(&mut q.parked);
        self.queued += parked.len();
        for p in parked.into_iter().rev() {
            q.ready.push_front(p.job(endpoint, now));
        }
    }

    /// When the earliest probe of an unreachable endpoint with waiting jobs is due.
    pub fn next_probe(&self) -> Option<i64> {
        self.queues
            .iter()
            .filter(|(_, q)| !q.parked.is_empty())
            .filter_map(|(id, _)| self.breakers.get(id).and_then(|b| b.open_until))
            .min()
    }

    /// When the scheduler next has something to do without being told (a retry or a probe).
    pub fn next_wake(&self) -> Option<i64> {
        let retry = self.retry.peek().map(|Reverse(j)| j.due);
        match (retry, self.next_probe()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Nothing queued, nothing in flight, no retry or probe due at `now`.
    pub fn is_idle(&self, now: i64) -> bool {
        self.queued == 0 && self.in_flight == 0 && self.next_wake().is_none_or(|t| t > now)
    }

    /// Jobs waiting for a first attempt or a due retry.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Attempts running.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Jobs waiting for a retry.
    pub fn retrying(&self) -> usize {
        self.retry.len()
    }

    /// Jobs parked behind an open breaker.
    pub fn parked(&self) -> usize {
        self.queues.values().map(|q| q.parked.len()).sum()
    }

    /// The cumulative counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Endpoints disabled, with the reason.
    pub fn disabled(&self) -> HashMap<String, String> {
        self.health.iter().filter_map(|(id, h)| Some((id.to_string(), h.disabled.clone()?))).collect()
    }

    /// Endpoints whose breaker is open.
    pub fn unreachable(&self) -> HashMap<String, Unreachable> {
        self.breakers
            .iter()
            .filter_map(|(id, b)| {
                let waiting = self.queues.get(id).map_or(0, |q| q.parked.len() as u64);
                Some((
                    id.to_string(),
                    Unreachable { failures: b.failures, since_ms: b.since, next_probe_ms: b.open_until?, waiting },
                ))
            })
            .collect()
    }

    /// The health to save, once after each change.
    pub fn take_health(&mut self) -> Option<&HashMap<u64, Health>> {
        std::mem::take(&mut self.health_dirty).then_some(&self.health)
    }
}

#[cfg(test)]
mod tests {
    //! Every rule of the scheduler, with the time given by the test (a driven clock): no
    //! thread, file or socket is involved, so "nothing happens before X" is checked exactly.
    use super::*;
    use crate::clock::SplitMix;

    const T0: i64 = 1_700_000_000_000;
    const DAY: i64 = 86_400_000;
    const OK: Answer = Answer { status: Some(200), retry_after_s: None };
    const DOWN: Answer = Answer { status: None, retry_after_s: None };
    const E500: Answer = Answer { status: Some(500), retry_after_s: None };

    fn rules() -> Rules {
        Rules {
            schedule: Schedule {
                delays_s: vec![5, 300, 1_800, 7_200, 18_000, 36_000, 36_000],
                jitter: 0.2,
                retry_after_max_s: 3_600,
            },
            per_endpoint: 2,
            disable_after_ms: 5 * DAY,
        }
    }

    /// A snapshot from `(id, events, active, since_ms, revision)`.
    fn snapshot(eps: &[(u64, &[&str], bool, i64, u64)]) -> Arc<Snapshot> {
        let eps: Vec<serde_json::Value> = eps
            .iter()
            .map(|(id, events, active, since, rev)| {
                serde_json::json!({
                    "id": id, "url": format!("http://127.0.0.1:9/{id}"), "events": events, "active": active,
                    "since_ms": since, "revision": rev,
                })
            })
            .collect();
        let s =
            Snapshot::from_json(serde_json::json!({"version": 1, "endpoints": eps}).to_string().as_bytes()).unwrap();
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        Arc::new(s)
    }

    fn scheduler(eps: &[(u64, &[&str], bool, i64, u64)]) -> Scheduler {
        let mut s = Scheduler::new(rules(), Arc::new(SplitMix::seeded(7)), HashMap::new(), Counters::default());
        let mut out = Vec::new();
        s.set_snapshot(snapshot(eps), &mut out);
        assert!(out.is_empty());
        s
    }

    fn event(seg: u32, off: u32, slug: &str, at: i64) -> Arrival<'_> {
        Arrival { seg, off, event: slug, timestamp_ms: at, target: None }
    }

    fn none(_: u64) -> Option<Known> {
        None
    }

    /// Emits one event and returns the effects.
    fn emit(s: &mut Scheduler, off: u32, slug: &str, now: i64) -> Vec<Effect> {
        let mut out = Vec::new();
        s.fan_out(event(0, off, slug, now), none, now, &mut out);
        out
    }

    /// Promotes what is due at `now` and starts up to `free` attempts: the jobs started.
    fn run(s: &mut Scheduler, now: i64, free: usize) -> Vec<Job> {
        let mut out = Vec::new();
        s.promote(now);
        s.dispatch(now, free, &mut out);
        out.into_iter()
            .map(|e| match e {
                Effect::Start(j, _) => j,
                other => panic!("only starts expected, got {other:?}"),
            })
            .collect()
    }

    fn finish(s: &mut Scheduler, job: Job, a: Answer, now: i64) -> (Job, Verdict, Vec<Effect>) {
        let mut out = Vec::new();
        let (j, v) = s.finish(job, a, now, now, &mut out);
        (j, v, out)
    }

    fn cancels(out: &[Effect]) -> Vec<(u64, u32, String)> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Cancel(j, why) => Some((j.endpoint, j.off, why.to_string())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_event_goes_to_every_active_endpoint_that_hears_it_and_existed_when_it_was_raised() {
        let mut s = scheduler(&[
            (1, &["a"], true, 0, 0),
            (2, &["*"], true, 0, 0),
            (3, &["b"], true, 0, 0),
            (4, &["a"], false, 0, 0),
            (5, &["a"], true, T0 + 1, 0),
        ]);
        let out = emit(&mut s, 0, "a", T0);
        assert!(matches!(out[..], [Effect::JournalEvent { seg: 0, off: 0 }]), "{out:?}");
        let mut started: Vec<u64> = run(&mut s, T0, 10).iter().map(|j| j.endpoint).collect();
        started.sort_unstable();
        assert_eq!(started, [1, 2], "3 does not hear it, 4 is off, 5 was created after it");
        assert!(run(&mut s, T0, 10).is_empty());
        // An event nobody hears is not journalled at all.
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        let mut out = Vec::new();
        assert_eq!(s.fan_out(event(0, 1, "c", T0), none, T0, &mut out), 0);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_redelivery_goes_to_its_endpoint_only_and_is_not_journalled_as_a_new_event() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, T0 + 1, 0)]);
        let mut out = Vec::new();
        let n =
            s.fan_out(Arrival { seg: 0, off: 0, event: "a", timestamp_ms: T0, target: Some(2) }, none, T0, &mut out);
        assert_eq!(n, 1);
        assert!(out.is_empty(), "{out:?}");
        let started = run(&mut s, T0, 10);
        assert_eq!(
            started.iter().map(|j| j.endpoint).collect::<Vec<_>>(),
            [2],
            "its target, even if newer than the event"
        );
    }

    #[test]
    fn what_the_state_log_knows_is_resumed_not_repeated() {
        let mut s = scheduler(&[
            (1, &["a"], true, 0, 0),
            (2, &["a"], true, 0, 0),
            (3, &["a"], true, 0, 0),
            (4, &["a"], true, 0, 0),
        ]);
        let known = |ep: u64| match ep {
            1 => Some((1, StateKind::Delivered, 0)),
            2 => Some((7, StateKind::Failed, 0)),
            3 => Some((2, StateKind::Retrying, T0 + 60_000)),
            _ => None,
        };
        let mut out = Vec::new();
        assert_eq!(s.fan_out(event(0, 0, "a", T0), known, T0, &mut out), 2, "3 resumes, 4 starts");
        assert_eq!(run(&mut s, T0, 10).iter().map(|j| (j.endpoint, j.attempts)).collect::<Vec<_>>(), [(4, 0)]);
        assert_eq!(s.next_wake(), Some(T0 + 60_000));
        assert!(run(&mut s, T0 + 59_999, 10).is_empty(), "not before its due time");
        assert_eq!(run(&mut s, T0 + 60_000, 10).iter().map(|j| (j.endpoint, j.attempts)).collect::<Vec<_>>(), [(3, 2)]);
    }

    #[test]
    fn a_failure_is_retried_on_the_schedule_with_jitter_and_not_a_moment_before() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        emit(&mut s, 0, "a", T0);
        let mut now = T0;
        let mut job = run(&mut s, now, 1)[0];
        let delays = rules().schedule.delays_s;
        for (i, delay_s) in delays.iter().enumerate() {
            let (j, v, out) = finish(&mut s, job, Answer { status: Some(400), retry_after_s: None }, now);
            assert!(out.is_empty());
            assert_eq!(j.attempts as usize, i + 1);
            let Verdict::Retrying(due) = v else { panic!("attempt {} is retried: {v:?}", i + 1) };
            let d = due - now;
            let base = *delay_s as i64 * 1000;
            assert!((base * 8 / 10..=base * 12 / 10).contains(&d), "retry {} after {delay_s} s ± 20 %: {d} ms", i + 1);
            assert!(s.is_idle(due - 1) && run(&mut s, due - 1, 1).is_empty(), "nothing before {due}");
            assert!(!s.is_idle(due));
            now = due;
            job = run(&mut s, now, 1)[0];
        }
        let (_, v, _) = finish(&mut s, job, Answer { status: Some(400), retry_after_s: None }, now);
        assert_eq!(v, Verdict::Failed(None), "8 attempts in all");
        assert!(s.is_idle(now + 10 * DAY) && s.next_wake().is_none());
        assert_eq!(s.counters(), &Counters { delivered: 0, failed: 1, cancelled: 0, attempts: 8 });
    }

    #[test]
    fn retry_after_replaces_the_scheduled_delay_exactly_and_is_clamped() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        emit(&mut s, 0, "a", T0);
        emit(&mut s, 1, "a", T0);
        let jobs = run(&mut s, T0, 2);
        let (_, v, _) = finish(&mut s, jobs[0], Answer { status: Some(429), retry_after_s: Some(30) }, T0);
        assert_eq!(v, Verdict::Retrying(T0 + 30_000));
        let (_, v, _) = finish(&mut s, jobs[1], Answer { status: Some(503), retry_after_s: Some(86_400) }, T0);
        assert_eq!(v, Verdict::Retrying(T0 + 3_600_000), "at most retry_after_max_s");
    }

    #[test]
    fn a_410_disables_the_endpoint_and_cancels_what_waits_for_it_but_not_for_others() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, 0, 0)]);
        s.rules.per_endpoint = 1;
        for off in 0..3 {
            emit(&mut s, off, "a", T0);
        }
        let jobs = run(&mut s, T0, 10);
        assert_eq!(jobs.len(), 2, "one at a time per endpoint");
        let gone = jobs.iter().find(|j| j.endpoint == 1).copied().unwrap();
        let (_, v, out) = finish(&mut s, gone, Answer { status: Some(410), retry_after_s: None }, T0 + 10);
        let Verdict::Failed(Some(why)) = v else { panic!("{v:?}") };
        assert!(why.contains("410 Gone"), "{why}");
        assert_eq!(cancels(&out).iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(), [(1, 1), (1, 2)]);
        assert_eq!(s.disabled().get("1").map(String::as_str), Some(why.as_str()));
        // A new event does not go to it; the other endpoint still gets everything.
        emit(&mut s, 3, "a", T0 + 20);
        let other = jobs.iter().find(|j| j.endpoint == 2).copied().unwrap();
        finish(&mut s, other, OK, T0 + 20);
        let mut rest = Vec::new();
        for _ in 0..4 {
            let started = run(&mut s, T0 + 30, 10);
            for j in started {
                assert_eq!(j.endpoint, 2);
                rest.push(j.off);
                finish(&mut s, j, OK, T0 + 30);
            }
        }
        assert_eq!(rest, [1, 2, 3]);
        assert_eq!(s.counters(), &Counters { delivered: 4, failed: 1, cancelled: 2, attempts: 5 });
        // Edited in the admin (a new revision): it is delivered to again.
        let mut out = Vec::new();
        s.set_snapshot(snapshot(&[(1, &["a"], true, 0, 1), (2, &["a"], true, 0, 0)]), &mut out);
        emit(&mut s, 4, "a", T0 + 40);
        let mut eps: Vec<u64> = run(&mut s, T0 + 40, 10).iter().map(|j| j.endpoint).collect();
        eps.sort_unstable();
        assert_eq!(eps, [1, 2]);
        assert!(s.disabled().is_empty());
    }

    #[test]
    fn an_endpoint_failing_for_five_days_is_disabled_and_a_success_resets_the_count() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        s.rules.schedule.delays_s = vec![3_600; 1_000];
        s.rules.schedule.jitter = 0.0;
        emit(&mut s, 0, "a", T0);
        let mut now = T0;
        let mut job = run(&mut s, now, 1)[0];
        // Failing for 4 days, then one success: the streak starts again.
        while now < T0 + 4 * DAY {
            let (_, v, _) = finish(&mut s, job, E500, now);
            let Verdict::Retrying(due) = v else { panic!("{v:?}") };
            now = due;
            // The breaker holds the job until its probe; the probe is the retry.
            let started = run(&mut s, now, 1);
            job = match started.first() {
                Some(j) => *j,
                None => {
                    now = s.next_wake().unwrap();
                    run(&mut s, now, 1)[0]
                }
            };
        }
        finish(&mut s, job, OK, now);
        let restart = now;
        emit(&mut s, 1, "a", now);
        job = run(&mut s, now, 1)[0];
        let verdict = loop {
            let (_, v, out) = finish(&mut s, job, DOWN, now);
            if let Verdict::Failed(_) = v {
                assert!(out.is_empty());
                break v;
            }
            now = s.next_wake().unwrap();
            job = run(&mut s, now, 1)[0];
        };
        assert!(
            now - restart >= 5 * DAY && now - restart < 5 * DAY + 3_700_000,
            "disabled 5 days after the streak began: {}",
            now - restart
        );
        let Verdict::Failed(Some(why)) = verdict else { panic!("{verdict:?}") };
        assert_eq!(why, format!("every delivery failed since {} (5 days)", rfc3339(restart)));
    }

    #[test]
    fn three_failures_open_the_breaker_then_one_probe_at_a_time_with_a_growing_interval() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, 0, 0)]);
        s.rules.per_endpoint = 20;
        for off in 0..10 {
            emit(&mut s, off, "a", T0);
        }
        let jobs: Vec<Job> = run(&mut s, T0, 40).into_iter().filter(|j| j.endpoint == 1).collect();
        assert_eq!(jobs.len(), 10);
        // The first three failures open it; the other seven in flight fail too.
        for (i, j) in jobs.iter().enumerate() {
            finish(&mut s, *j, if i % 2 == 0 { DOWN } else { E500 }, T0 + 100);
            assert_eq!(s.unreachable().contains_key("1"), i + 1 >= TRIP_AFTER as usize, "after {} failures", i + 1);
        }
        let u = s.unreachable();
        let u = u.get("1").expect("endpoint 1 is unreachable");
        assert_eq!((u.failures, u.since_ms), (10, T0 + 100));
        let probe_at = u.next_probe_ms;
        assert_eq!(probe_at, T0 + 100 + (FIRST_PROBE_INTERVAL_MS << 7).min(MAX_PROBE_INTERVAL_MS));
        // The retries come due, but while the breaker is open they are parked, not attempted.
        let first_retry = T0 + 100 + 6_000;
        assert!(run(&mut s, first_retry, 40).is_empty());
        assert_eq!(s.parked(), 10);
        assert_eq!(s.unreachable()["1"].waiting, 10);
        assert_eq!(s.next_wake(), Some(probe_at));
        assert!(run(&mut s, probe_at - 1, 40).is_empty());
        // Half open: exactly one probe, even with new events ready for it.
        emit(&mut s, 10, "a", probe_at);
        emit(&mut s, 11, "a", probe_at);
        let probe: Vec<Job> = run(&mut s, probe_at, 40).into_iter().filter(|j| j.endpoint == 1).collect();
        assert_eq!(probe.len(), 1, "one probe: {probe:?}");
        assert!(run(&mut s, probe_at, 40).is_empty(), "no second request while the probe runs");
        // The probe fails: open again, for twice as long (up to 10 minutes).
        let (_, v, _) = finish(&mut s, probe[0], DOWN, probe_at + 50);
        assert!(matches!(v, Verdict::Retrying(_)), "the probe's own job keeps its schedule: {v:?}");
        let next = s.unreachable()["1"].next_probe_ms;
        assert_eq!(next, probe_at + 50 + MAX_PROBE_INTERVAL_MS);
        assert!(run(&mut s, next - 1, 40).is_empty());
        // It is back: the probe succeeds and the parked jobs go out, first in line.
        let probe = run(&mut s, next, 40);
        assert_eq!(probe.len(), 1);
        finish(&mut s, probe[0], OK, next + 10);
        assert!(s.unreachable().is_empty());
        let drained = run(&mut s, next + 10, 40);
        assert_eq!(drained.len(), 11, "the other parked jobs and the new events, at once: {drained:?}");
        assert!(drained.iter().all(|j| j.endpoint == 1));
        assert!(drained[..10].iter().all(|j| j.attempts == 1), "the jobs parked first go first: {drained:?}");
        assert_eq!((drained[10].off, drained[10].attempts), (11, 0));
        assert_eq!(s.parked(), 0);
    }

    #[test]
    fn an_answer_that_is_not_429_or_5xx_means_the_endpoint_is_reachable() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        s.rules.per_endpoint = 10;
        for off in 0..6 {
            emit(&mut s, off, "a", T0);
        }
        for j in run(&mut s, T0, 10) {
            finish(&mut s, j, Answer { status: Some(404), retry_after_s: None }, T0);
        }
        assert!(s.unreachable().is_empty(), "a 404 is a failure, but not of reachability");
        assert_eq!(s.retrying(), 6);
    }

    #[test]
    fn turning_a_webhook_off_cancels_its_queued_parked_and_retrying_jobs() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, 0, 0)]);
        s.rules.per_endpoint = 1;
        for off in 0..3 {
            emit(&mut s, off, "a", T0);
        }
        let jobs = run(&mut s, T0, 10);
        let one = jobs.iter().find(|j| j.endpoint == 1).copied().unwrap();
        finish(&mut s, one, E500, T0); // retrying; offsets 1 and 2 still queued
        let mut out = Vec::new();
        s.set_snapshot(snapshot(&[(1, &["a"], false, 0, 0), (2, &["a"], true, 0, 0)]), &mut out);
        let mut c = cancels(&out);
        c.sort();
        assert_eq!(c.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(), [(1, 0), (1, 1), (1, 2)]);
        assert!(c.iter().all(|c| c.2 == "the webhook was turned off, disabled or deleted"));
        assert_eq!(s.counters().cancelled, 3);
        // Deleted while an attempt runs: its queued jobs are cancelled, the attempt is let
        // finish, and its retry is cancelled when it comes up instead of being made.
        let two = jobs.iter().find(|j| j.endpoint == 2).copied().unwrap();
        let mut out = Vec::new();
        s.set_snapshot(snapshot(&[]), &mut out);
        assert_eq!(cancels(&out).iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(), [(2, 1), (2, 2)]);
        let (_, v, _) = finish(&mut s, two, E500, T0 + 1);
        let Verdict::Retrying(due) = v else { panic!("{v:?}") };
        let mut out = Vec::new();
        s.promote(due);
        s.dispatch(due, 10, &mut out);
        assert_eq!(cancels(&out), [(2, 0, GONE.to_string())]);
        assert!(s.is_idle(due));
        assert_eq!(s.counters().cancelled, 6);
    }

    #[test]
    fn a_job_whose_endpoint_goes_away_before_its_turn_is_cancelled_when_it_comes_up() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        emit(&mut s, 0, "a", T0);
        // A new event for an endpoint the snapshot says is off: cancelled only if the state
        // log already knew it (here: not known, so simply not heard).
        s.snapshot = snapshot(&[(1, &["a"], false, 0, 0)]);
        let mut out = Vec::new();
        s.promote(T0);
        s.dispatch(T0, 1, &mut out);
        assert_eq!(cancels(&out), [(1, 0, GONE.to_string())]);
        let mut out = Vec::new();
        let known = |_| Some((1, StateKind::Retrying, T0));
        assert_eq!(s.fan_out(event(0, 1, "a", T0), known, T0, &mut out), 1);
        assert!(matches!(out[0], Effect::JournalEvent { .. }), "the event is journalled before its cancellation");
        assert_eq!(cancels(&out), [(1, 1, "the webhook is turned off, disabled or deleted".to_string())]);
    }

    #[test]
    fn endpoints_take_turns_and_each_is_held_to_its_concurrency() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, 0, 0), (3, &["a"], true, 0, 0)]);
        for off in 0..10 {
            emit(&mut s, off, "a", T0);
        }
        let started = run(&mut s, T0, 4);
        let per = |ep| started.iter().filter(|j| j.endpoint == ep).count();
        assert_eq!(started.len(), 4);
        assert!((1..=2).contains(&per(1)) && (1..=2).contains(&per(2)) && (1..=2).contains(&per(3)), "{started:?}");
        let more = run(&mut s, T0, 10);
        assert_eq!(more.len(), 2, "at most 2 per endpoint in flight: {more:?}");
        assert_eq!(s.in_flight(), 6);
        // Over many rounds of one free thread, no endpoint is starved.
        let mut s = scheduler(&[(1, &["a"], true, 0, 0), (2, &["a"], true, 0, 0), (3, &["a"], true, 0, 0)]);
        for off in 0..30 {
            emit(&mut s, off, "a", T0);
        }
        let mut counts = [0usize; 4];
        for _ in 0..30 {
            let j = run(&mut s, T0, 1)[0];
            counts[j.endpoint as usize] += 1;
            finish(&mut s, j, OK, T0);
        }
        assert!(counts[1..].iter().all(|c| (8..=12).contains(c)), "round robin: {counts:?}");
    }

    #[test]
    fn a_job_not_started_goes_back_first_in_line_or_is_cancelled_with_its_reason() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        emit(&mut s, 0, "a", T0);
        emit(&mut s, 1, "a", T0);
        let jobs = run(&mut s, T0, 2);
        let mut out = Vec::new();
        s.not_started(jobs[0], None, &mut out);
        assert!(out.is_empty());
        s.not_started(jobs[1], Some("spool: damaged record".into()), &mut out);
        assert_eq!(cancels(&out), [(1, 1, "spool: damaged record".to_string())]);
        assert_eq!(s.in_flight(), 0);
        assert_eq!(run(&mut s, T0, 2), [jobs[0]]);
    }

    #[test]
    fn idle_means_nothing_queued_running_or_due() {
        let mut s = scheduler(&[(1, &["a"], true, 0, 0)]);
        assert!(s.is_idle(T0) && s.next_wake().is_none());
        emit(&mut s, 0, "a", T0);
        assert!(!s.is_idle(T0));
        let j = run(&mut s, T0, 1)[0];
        assert!(!s.is_idle(T0), "an attempt in flight");
        let (_, v, _) = finish(&mut s, j, Answer { status: Some(400), retry_after_s: None }, T0);
        let Verdict::Retrying(due) = v else { panic!() };
        assert!(s.is_idle(due - 1));
        assert!(!s.is_idle(due));
        assert_eq!((s.queued(), s.retrying()), (0, 1));
    }
}
