//! The delivery leader: one process at a time holds `leader.lock`, reads every segment of the
//! spool, fans events out to endpoints, runs attempts on a bounded pool of threads, records
//! each outcome, and schedules retries. Other processes only enqueue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fs::{self, File};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{new_id, Clock, Random};
use crate::config::{Endpoint, Snapshot};
use crate::delivery::{Deliverer, Outcome, Request};
use crate::results::{header_map, AttemptResult, EventEntry, ResultsWriter};
use crate::retry::Schedule;
use crate::settings::Settings;
use crate::spool::frame::{self, Cursor};
use crate::spool::segment::{open_append, EventRecord, Kind, SegmentReader};
use crate::spool::{self, FileStamp, Spool};

/// At most this many jobs wait in memory for a first attempt; the rest stay on disk.
const READ_AHEAD_JOBS: usize = 200_000;
/// Bytes read from one segment per scan step.
const SCAN_CHUNK: usize = 1 << 20;

/// Messages to the dispatcher thread.
pub enum Msg {
    /// An attempt finished.
    Done(Box<Done>),
    /// New work may be in the spool, or a flush waits: look now.
    Wake,
    /// Try to become the leader now (a flush waits).
    TryLead,
    /// Stop: start no new attempt, record the ones in flight until the deadline, then
    /// release leadership and end the thread.
    Stop(std::time::Instant),
}

/// A finished attempt, from a delivery thread.
pub struct Done {
    worker: usize,
    job: Job,
    record: Arc<EventRecord>,
    url: String,
    started_at: i64,
    outcome: Outcome,
}

/// What the dispatcher tells the rest of the process.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    /// This process is the leader.
    pub leader: bool,
    /// Nothing is due now, nothing in flight, every segment read.
    pub idle: bool,
    /// The local emit count seen at the start of the last pass.
    pub seen_emits: u64,
    /// The dispatcher thread has stopped.
    pub stopped: bool,
}

/// State shared between the API side of the engine and the dispatcher thread.
#[derive(Debug)]
pub struct Shared {
    /// Progress, with `changed` signalled on every pass.
    pub progress: Mutex<Progress>,
    /// Signalled when `progress` changes.
    pub changed: Condvar,
    /// Events emitted by this process.
    pub emitted: AtomicU64,
    /// A wake-up is already queued.
    pub wake_pending: AtomicBool,
    /// The held leader lock (kept here so a forked child can close its copy).
    pub leader_lock: Mutex<Option<File>>,
}

impl Shared {
    /// Fresh state.
    pub fn new() -> Shared {
        Shared { progress: Mutex::new(Progress::default()), changed: Condvar::new(), emitted: AtomicU64::new(0),
            wake_pending: AtomicBool::new(false), leader_lock: Mutex::new(None) }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

/// One delivery of one event to one endpoint. 32 bytes: a million of them fit in 32 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Job {
    due: i64,
    endpoint: u64,
    off: u32,
    seg: u32,
    /// Attempts already made.
    attempts: u16,
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

/// A state-log entry: the last known state of (record, endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateKind {
    Retrying = 1,
    Delivered = 2,
    Failed = 3,
    Cancelled = 4,
}

fn encode_state(off: u32, endpoint: u64, attempts: u16, kind: StateKind, due: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(23);
    b.extend_from_slice(&off.to_le_bytes());
    b.extend_from_slice(&endpoint.to_le_bytes());
    b.extend_from_slice(&attempts.to_le_bytes());
    b.push(kind as u8);
    b.extend_from_slice(&due.to_le_bytes());
    frame::encode(&b)
}

/// Reads a segment's state log: the last known state of each (record, endpoint). Stops at the
/// first torn or damaged entry; what follows it is delivered again (at least once).
fn load_states(path: &std::path::Path) -> HashMap<(u32, u64), (u16, StateKind, i64)> {
    let mut m = HashMap::new();
    let Some(buf) = spool::read_opt(path) else { return m };
    let mut pos = 0;
    while let frame::Next::Record(body, used) = frame::next(&buf[pos..]) {
        pos += used;
        let mut c = Cursor::new(body);
        let (Some(off), Some(ep), Some(att), Some(kind), Some(due)) = (c.u32(), c.u64(), c.u16(), c.u8(), c.i64()) else { continue };
        let kind = match kind {
            1 => StateKind::Retrying,
            2 => StateKind::Delivered,
            3 => StateKind::Failed,
            _ => StateKind::Cancelled,
        };
        m.insert((off, ep), (att, kind, due));
    }
    m
}

/// How many (record, endpoint) states the log at `path` holds, as the delivering process
/// loads them when it opens a segment.
#[cfg(feature = "fuzzing")]
pub(crate) fn state_count(path: &std::path::Path) -> usize {
    load_states(path).len()
}

struct Seg {
    reader: SegmentReader,
    state: Option<File>,
    /// State records not yet written (flushed after each batch of outcomes).
    state_buf: Vec<u8>,
    /// Until the segment is fully read: the state log as loaded at start.
    states: HashMap<(u32, u64), (u16, StateKind, i64)>,
    outstanding: u64,
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

/// Consecutive failures (network error, 429, 5xx) that open an endpoint's breaker.
const TRIP_AFTER: u32 = 3;
/// Longest wait between probes of an unreachable endpoint.
const MAX_PROBE_INTERVAL_MS: i64 = 10 * 60 * 1000;

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

    /// Records a failure; returns true if this opened (or re-opened) the breaker.
    fn fail(&mut self, now: i64) -> bool {
        if self.failures == 0 {
            self.since = now;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures < TRIP_AFTER {
            return false;
        }
        let k = (self.failures - TRIP_AFTER).min(10);
        self.open_until = Some(now + (5_000i64 << k).min(MAX_PROBE_INTERVAL_MS));
        true
    }
}

/// What stats.json says of an endpoint whose breaker is open.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Health {
    revision: u64,
    failing_since_ms: Option<i64>,
    disabled: Option<String>,
    disabled_at_ms: Option<i64>,
}

/// Cumulative counters, kept across leaders in `stats.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

/// What the leader writes to `stats.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SpoolStats {
    /// The leader's pid.
    pub leader_pid: u32,
    /// When this was written (ms).
    pub updated_at_ms: i64,
    /// When the pass that produced it started reading the spool (ms).
    pub scanned_at_ms: i64,
    /// Nothing due now, nothing in flight, everything read.
    pub idle: bool,
    /// Deliveries waiting for their first attempt (in memory).
    pub queued: u64,
    /// Attempts running.
    pub in_flight: u64,
    /// Deliveries waiting for a retry.
    pub retrying: u64,
    /// Queue bytes on disk not read yet.
    pub unread_bytes: u64,
    /// Queue segments on disk.
    pub segments: u64,
    /// Endpoints the engine disabled, with the reason.
    pub endpoints_disabled: HashMap<String, String>,
    /// Endpoints failing right now (breaker open): deliveries wait, one probe at a time.
    pub endpoints_unreachable: HashMap<String, Unreachable>,
    /// Deliveries waiting for an unreachable endpoint.
    pub parked: u64,
    /// The last spool error the leader met.
    pub last_error: Option<String>,
    /// Cumulative counters.
    pub counters: Counters,
}

/// Starts the dispatcher thread.
pub fn spawn(
    settings: Arc<Settings>, spool: Spool, shared: Arc<Shared>, deliverer: Deliverer,
    clock: Arc<dyn Clock>, rng: Arc<dyn Random>,
) -> std::io::Result<(Sender<Msg>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let handle = std::thread::Builder::new().name("hooks-dispatch".into()).spawn(move || {
        crate::ffi::background_thread();
        let mut d = Dispatcher::new(settings, spool, shared.clone(), deliverer, clock, rng, tx2);
        d.run(rx);
        let mut p = shared.progress.lock().unwrap_or_else(|e| e.into_inner());
        p.stopped = true;
        p.leader = false;
        shared.changed.notify_all();
    })?;
    Ok((tx, handle))
}

struct Dispatcher {
    settings: Arc<Settings>,
    spool: Spool,
    shared: Arc<Shared>,
    deliverer: Deliverer,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Random>,
    schedule: Schedule,
    self_tx: Sender<Msg>,
    // Leader state (empty while not leader).
    leader: bool,
    /// One channel per delivery thread, and the threads free for work.
    workers: Vec<Sender<Work>>,
    idle_workers: Vec<usize>,
    breakers: HashMap<u64, Breaker>,
    snapshot: Arc<Snapshot>,
    snapshot_stamp: FileStamp,
    segs: HashMap<u32, Seg>,
    seg_ids: HashMap<String, u32>,
    next_seg: u32,
    queues: HashMap<u64, EpQueue>,
    queued: usize,
    in_flight: usize,
    retry: BinaryHeap<Reverse<Job>>,
    rr: usize,
    results: Option<ResultsWriter>,
    health: HashMap<u64, Health>,
    health_dirty: bool,
    stats: SpoolStats,
    last_stats_write: i64,
    last_stats_fingerprint: (bool, usize, usize, usize, u64, u64, u64, u64),
    last_dir_scan: i64,
    last_emits: u64,
    /// The held `worker.lock` (delivery worker only).
    worker_lock: Option<File>,
    /// When another process's worker was last looked for, and whether it was there.
    worker_checked_at: i64,
    worker_seen: bool,
}

/// How long after a delivery worker stops the others still leave delivery to it (its
/// supervisor's restart), before one of them takes over.
pub const WORKER_RESTART_GRACE_MS: i64 = 5_000;

struct Work {
    job: Job,
    record: Arc<EventRecord>,
    endpoint: Endpoint,
}

impl Dispatcher {
    fn new(settings: Arc<Settings>, spool: Spool, shared: Arc<Shared>, deliverer: Deliverer, clock: Arc<dyn Clock>,
        rng: Arc<dyn Random>, self_tx: Sender<Msg>) -> Self {
        let schedule = Schedule { delays_s: settings.retry_schedule_s.clone(), jitter: settings.retry_jitter,
            retry_after_max_s: settings.retry_after_max_s };
        Dispatcher { settings, spool, shared, deliverer, clock, rng, schedule, self_tx, leader: false, workers: Vec::new(), idle_workers: Vec::new(), breakers: HashMap::new(),
            snapshot: Arc::new(Snapshot::default()), snapshot_stamp: FileStamp::default(), segs: HashMap::new(),
            seg_ids: HashMap::new(), next_seg: 0, queues: HashMap::new(), queued: 0, in_flight: 0,
            retry: BinaryHeap::new(), rr: 0, results: None, health: HashMap::new(), health_dirty: false,
            stats: SpoolStats::default(), last_stats_write: 0, last_stats_fingerprint: Default::default(), last_dir_scan: 0, last_emits: 0,
            worker_lock: None, worker_checked_at: i64::MIN / 2, worker_seen: false }
    }

    fn run(&mut self, rx: Receiver<Msg>) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let lead_every = Duration::from_millis((self.settings.poll_interval_ms * 10).clamp(200, 1000));
        let mut force_scan = true;
        loop {
            if !self.leader {
                if self.settings.delivery_worker {
                    self.hold_worker_lock();
                }
                if self.settings.delivery_worker || !self.worker_elsewhere() {
                    self.try_lead();
                }
                if !self.leader {
                    match rx.recv_timeout(lead_every) {
                        Ok(Msg::Stop(_)) | Err(RecvTimeoutError::Disconnected) => return self.release_worker_lock(),
                        _ => continue,
                    }
                }
                force_scan = true;
            }
            if !self.settings.delivery_worker && self.worker_elsewhere() {
                // The delivery worker has started: hand delivery over to it, attempts in
                // flight recorded first (so it does not repeat them).
                let stop = self.drain(&rx, std::time::Instant::now() + Duration::from_millis(self.settings.request_timeout_ms + 1_000));
                self.step_down();
                if stop {
                    return;
                }
                continue;
            }
            self.shared.wake_pending.store(false, Ordering::SeqCst);
            let emits = self.shared.emitted.load(Ordering::SeqCst);
            // A local emit may have created a segment this pass must see before it can say
            // that everything this process emitted was read.
            force_scan |= emits != self.last_emits;
            self.last_emits = emits;
            let scan_start = self.clock.now_ms();
            self.pass(force_scan || scan_start - self.last_dir_scan >= self.settings.poll_interval_ms as i64);
            self.flush_logs();
            force_scan = false;
            let idle = self.is_idle();
            // Stats first, so whoever wakes on `changed` reads figures at least this fresh.
            self.write_stats(scan_start, idle);
            {
                let mut p = self.shared.progress.lock().unwrap_or_else(|e| e.into_inner());
                p.leader = true;
                p.idle = idle;
                p.seen_emits = emits;
            }
            self.shared.changed.notify_all();

            let now = self.clock.now_ms();
            let mut wait = poll;
            if let Some(Reverse(j)) = self.retry.peek() {
                wait = wait.min(Duration::from_millis((j.due - now).max(0) as u64));
            }
            if let Some(t) = self.next_probe() {
                wait = wait.min(Duration::from_millis((t - now).max(0) as u64));
            }
            let first = match rx.recv_timeout(wait) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut next = first;
            while let Some(m) = next {
                match m {
                    Msg::Done(d) => self.finish(*d),
                    Msg::Wake => force_scan = true,
                    Msg::TryLead => {}
                    Msg::Stop(deadline) => {
                        self.drain(&rx, deadline);
                        self.step_down();
                        return self.release_worker_lock();
                    }
                }
                next = rx.try_recv().ok();
            }
            // One write per file for the whole batch of outcomes.
            self.flush_logs();
        }
    }

    /// When the earliest probe of an unreachable endpoint with waiting jobs is due.
    fn next_probe(&self) -> Option<i64> {
        self.queues.iter().filter(|(_, q)| !q.parked.is_empty())
            .filter_map(|(id, _)| self.breakers.get(id).and_then(|b| b.open_until)).min()
    }

    /// Writes buffered state records and results.
    fn flush_logs(&mut self) {
        let mut errors = Vec::new();
        for seg in self.segs.values_mut().filter(|s| !s.state_buf.is_empty()) {
            if seg.state.is_none() {
                let path = self.spool.queue.join(&seg.reader.name).with_extension("state");
                match open_append(&path, false) {
                    Ok(f) => seg.state = Some(f),
                    Err(e) => {
                        errors.push(format!("spool: opening {}: {e}", path.display()));
                        continue;
                    }
                }
            }
            if let Some(Err(e)) = seg.state.as_mut().map(|f| f.write_all(&seg.state_buf)) {
                errors.push(format!("spool: writing the state of {}: {e}", seg.reader.name));
            }
            seg.state_buf.clear();
        }
        if let Some(Err(e)) = self.results.as_mut().map(|w| w.flush()) {
            errors.push(e.to_string());
        }
        if let Some(e) = errors.pop() {
            self.note_error(e);
        }
    }

    fn try_lead(&mut self) {
        let Ok(mut lock) = self.spool.open_leader_lock() else { return };
        if lock.try_lock().is_err() {
            return;
        }
        spool::write_pid(&mut lock);
        *self.shared.leader_lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(lock);
        // Fresh leader state: everything is rebuilt from the spool.
        self.segs.clear();
        self.seg_ids.clear();
        self.queues.clear();
        self.retry.clear();
        self.queued = 0;
        self.in_flight = 0;
        self.snapshot_stamp = FileStamp::default();
        self.stats = self.spool.read_file("stats.json").and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        self.stats.last_error = None;
        self.health = self.spool.read_file("health.json").and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        match ResultsWriter::open(&self.spool, self.settings.results_max_bytes) {
            Ok(w) => self.results = Some(w),
            Err(e) => {
                self.stats.last_error = Some(e.to_string());
                return self.step_down();
            }
        }
        self.breakers.clear();
        self.workers.clear();
        self.idle_workers.clear();
        for i in 0..self.settings.concurrency {
            let (wtx, wrx) = mpsc::channel::<Work>();
            let (done, deliverer, clock) = (self.self_tx.clone(), self.deliverer.clone(), self.clock.clone());
            let spawned = std::thread::Builder::new().name(format!("hooks-deliver-{i}"))
                .spawn(move || deliver_loop(i, wrx, done, deliverer, clock));
            if let Err(e) = spawned {
                self.stats.last_error = Some(format!("worker: cannot start a delivery thread: {e}"));
                if i == 0 {
                    return self.step_down();
                }
                break;
            }
            self.workers.push(wtx);
            self.idle_workers.push(i);
        }
        self.leader = true;
    }

    /// Records attempts still in flight (so the next leader does not repeat them), until
    /// `deadline`. Returns whether a stop was asked for meanwhile.
    fn drain(&mut self, rx: &Receiver<Msg>, deadline: std::time::Instant) -> bool {
        self.workers.clear();
        let mut stop = false;
        while self.in_flight > 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(Msg::Done(d)) => self.finish(*d),
                Ok(Msg::Stop(_)) => stop = true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        self.flush_logs();
        let idle = self.is_idle();
        self.last_stats_write = i64::MIN / 2;
        self.write_stats(self.clock.now_ms(), idle);
        stop
    }

    /// Whether another process is this spool's delivery worker (looked up at most twice a
    /// second: a shared-lock probe of `worker.lock`).
    fn worker_elsewhere(&mut self) -> bool {
        let now = self.clock.now_ms();
        if !(0..500).contains(&(now - self.worker_checked_at)) {
            self.worker_checked_at = now;
            self.worker_seen = self.spool.worker_present(now, WORKER_RESTART_GRACE_MS);
        }
        self.worker_seen
    }

    /// Takes `worker.lock` (this process is the delivery worker) if not held yet.
    fn hold_worker_lock(&mut self) {
        if self.worker_lock.is_some() {
            return;
        }
        let Ok(mut lock) = self.spool.open_worker_lock() else { return };
        if lock.try_lock().is_ok() {
            spool::write_pid(&mut lock);
            self.worker_lock = Some(lock);
        }
    }

    /// Releases `worker.lock`, noting when, so the others wait for the next worker briefly.
    fn release_worker_lock(&mut self) {
        if let Some(mut lock) = self.worker_lock.take() {
            spool::replace_text(&mut lock, &format!("stopped {}", self.clock.now_ms()));
        }
    }

    fn step_down(&mut self) {
        self.workers.clear();
        self.idle_workers.clear();
        self.leader = false;
        if let Some(w) = self.results.as_mut() {
            let _ = w.flush();
        }
        self.results = None;
        // Clear the pid first, so nobody takes this live process for the leader.
        if let Some(lock) = self.shared.leader_lock.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = lock.set_len(0);
        }
        self.shared.progress.lock().unwrap_or_else(|e| e.into_inner()).leader = false;
        self.shared.changed.notify_all();
    }

    fn note_error(&mut self, e: impl std::fmt::Display) {
        self.stats.last_error = Some(e.to_string());
    }

    /// One pass: refresh the snapshot, read new events, promote due retries, dispatch.
    fn pass(&mut self, scan_dir: bool) {
        self.refresh_snapshot();
        if scan_dir {
            self.scan_dir();
        }
        self.read_segments();
        let now = self.clock.now_ms();
        while let Some(Reverse(j)) = self.retry.peek().copied() {
            if j.due > now {
                break;
            }
            self.retry.pop();
            self.queues.entry(j.endpoint).or_default().ready.push_back(j);
            self.queued += 1;
        }
        self.dispatch();
        self.cleanup_segments();
        if self.health_dirty {
            self.health_dirty = false;
            if let Ok(b) = serde_json::to_vec(&self.health) {
                if let Err(e) = self.spool.write_file("health.json", &b) {
                    self.note_error(e);
                }
            }
        }
    }

    fn refresh_snapshot(&mut self) {
        let stamp = self.spool.snapshot_stamp();
        if stamp == self.snapshot_stamp {
            return;
        }
        self.snapshot_stamp = stamp;
        let Some(bytes) = self.spool.read_snapshot() else { return };
        match Snapshot::from_stored(&bytes) {
            Ok(s) => {
                self.snapshot = Arc::new(s);
                self.sweep();
            }
            Err(e) => self.note_error(format!("spool: endpoints.json: {e}")),
        }
    }

    /// Whether `endpoint` may be delivered to now.
    fn deliverable(&mut self, endpoint: u64) -> Option<Endpoint> {
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
        Some(ep.clone())
    }

    /// Cancels waiting jobs whose endpoint was turned off, removed or disabled.
    fn sweep(&mut self) {
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
        let mut cancel = Vec::new();
        for id in &gone {
            if let Some(q) = self.queues.get_mut(id) {
                self.queued -= q.ready.len();
                cancel.extend(q.ready.drain(..));
                cancel.extend(q.parked.drain(..).map(|p| Job { due: 0, endpoint: *id, off: p.off, seg: p.seg, attempts: p.attempts }));
            }
        }
        let (dead, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retry).into_iter().partition(|Reverse(j)| gone.contains(&j.endpoint));
        self.retry = keep.into_iter().collect();
        cancel.extend(dead.into_iter().map(|Reverse(j)| j));
        for j in cancel {
            self.cancel(j, "the webhook was turned off, disabled or deleted");
        }
    }

    fn scan_dir(&mut self) {
        self.last_dir_scan = self.clock.now_ms();
        let rd = match fs::read_dir(&self.spool.queue) {
            Ok(rd) => rd,
            Err(e) => return self.note_error(format!("spool: reading queue/: {e}")),
        };
        let mut names: Vec<String> = rd.flatten().filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".seg") && !self.seg_ids.contains_key(n)).collect();
        names.sort();
        for name in names {
            let path = self.spool.queue.join(&name);
            let reader = match SegmentReader::open(&path, &name) {
                Ok(r) => r,
                Err(_) => continue, // deleted meanwhile
            };
            let state_path = path.with_extension("state");
            let states = load_states(&state_path);
            let id = self.next_seg;
            self.next_seg = self.next_seg.wrapping_add(1);
            self.seg_ids.insert(name, id);
            self.segs.insert(id, Seg { reader, state: None, state_buf: Vec::new(), states, outstanding: 0 });
        }
    }

    fn read_segments(&mut self) {
        let mut ids: Vec<u32> = self.segs.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            loop {
                if self.queued >= READ_AHEAD_JOBS {
                    return;
                }
                let Some(seg) = self.segs.get_mut(&id) else { break };
                if seg.reader.scanned >= seg.reader.size() {
                    seg.reader.check_sealed();
                    // The writer may have appended between the size check and sealing.
                    if seg.reader.scanned >= seg.reader.size() {
                        break;
                    }
                }
                let recs = match seg.reader.read_new(SCAN_CHUNK) {
                    Ok(r) => r,
                    Err(e) => {
                        self.note_error(e);
                        break;
                    }
                };
                if recs.is_empty() {
                    break;
                }
                // A snapshot stored before these records were written must be the one they
                // are matched against: look again now that they are read.
                self.refresh_snapshot();
                for (off, rec) in recs {
                    self.fan_out(id, off as u32, &rec);
                }
            }
            if let Some(seg) = self.segs.get_mut(&id) {
                if seg.reader.sealed && seg.reader.caught_up() {
                    seg.states = HashMap::new();
                }
            }
        }
    }

    fn fan_out(&mut self, seg: u32, off: u32, rec: &EventRecord) {
        let targets: Vec<u64> = match rec.kind {
            Kind::Redeliver => vec![rec.target],
            Kind::Event => {
                // Only webhooks that existed (and were on) when the event was accepted: a leader
                // reading an older segment again must not hand its events to newer webhooks.
                let mut t: Vec<u64> = self.snapshot.endpoints.values()
                    .filter(|e| e.hears(&rec.event) && e.spec.since_ms <= rec.timestamp_ms)
                    .map(|e| e.spec.id).collect();
                t.sort_unstable();
                t
            }
        };
        let now = self.clock.now_ms();
        // Decide first, then act: the event's entry in the journal comes before any result of
        // its attempts (a cancellation here is one).
        let mut jobs: Vec<(Job, bool)> = Vec::with_capacity(targets.len());
        for endpoint in targets {
            let known = self.segs.get(&seg).and_then(|s| s.states.get(&(off, endpoint)).copied());
            let job = match known {
                Some((_, StateKind::Delivered | StateKind::Failed | StateKind::Cancelled, _)) => continue,
                Some((attempts, StateKind::Retrying, due)) => Job { due, endpoint, off, seg, attempts },
                None => Job { due: now, endpoint, off, seg, attempts: 0 },
            };
            let deliverable = self.deliverable(endpoint).is_some();
            if !deliverable && rec.kind == Kind::Event && known.is_none() {
                continue; // an inactive webhook simply does not hear new events
            }
            jobs.push((job, deliverable));
        }
        if jobs.is_empty() {
            return;
        }
        if rec.kind == Kind::Event {
            self.journal_event(rec);
        }
        for (job, deliverable) in jobs {
            if let Some(s) = self.segs.get_mut(&seg) {
                s.outstanding += 1;
            }
            if !deliverable {
                self.cancel(job, "the webhook is turned off, disabled or deleted");
                continue;
            }
            if job.due > now {
                self.retry.push(Reverse(job));
            } else {
                self.queues.entry(job.endpoint).or_default().ready.push_back(job);
                self.queued += 1;
            }
        }
    }

    fn dispatch(&mut self) {
        if self.workers.is_empty() {
            return;
        }
        let now = self.clock.now_ms();
        let mut ids: Vec<u64> = Vec::new();
        for (id, q) in self.queues.iter_mut() {
            let state = self.breakers.get(id).map_or(BreakerState::Closed, |b| b.state(now));
            match state {
                BreakerState::Open => {
                    // Hold everything until the next probe.
                    self.queued -= q.ready.len();
                    q.parked.extend(q.ready.drain(..).map(|j| Parked { seg: j.seg, off: j.off, attempts: j.attempts }));
                }
                BreakerState::HalfOpen => {
                    if q.in_flight == 0 && (!q.ready.is_empty() || !q.parked.is_empty()) {
                        if q.ready.is_empty() {
                            if let Some(p) = q.parked.pop() {
                                q.ready.push_back(Job { due: now, endpoint: *id, off: p.off, seg: p.seg, attempts: p.attempts });
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
        let per = self.settings.per_endpoint_concurrency;
        let mut progress = true;
        while progress && !self.idle_workers.is_empty() {
            progress = false;
            for id in &ids {
                if self.idle_workers.is_empty() {
                    break;
                }
                let limit = match self.breakers.get(id).map(|b| b.state(now)) {
                    Some(BreakerState::HalfOpen) => 1,
                    _ => per,
                };
                let Some(q) = self.queues.get_mut(id) else { continue };
                if q.in_flight >= limit {
                    continue;
                }
                let Some(job) = q.ready.pop_front() else { continue };
                self.queued -= 1;
                let Some(endpoint) = self.deliverable(*id) else {
                    self.cancel(job, "the webhook was turned off, disabled or deleted");
                    progress = true;
                    continue;
                };
                let record = match self.segs.get(&job.seg).map(|s| s.reader.read_at(job.off as u64)) {
                    Some(Ok(r)) => Arc::new(r),
                    Some(Err(e)) => {
                        self.note_error(&e);
                        self.cancel(job, &e.to_string());
                        continue;
                    }
                    None => continue,
                };
                let Some(worker) = self.idle_workers.pop() else { break };
                if self.workers[worker].send(Work { job, record, endpoint }).is_err() {
                    // That thread is gone; put the job back and use the others.
                    if let Some(q) = self.queues.get_mut(id) {
                        q.ready.push_front(job);
                    }
                    self.queued += 1;
                    continue;
                }
                if let Some(q) = self.queues.get_mut(id) {
                    q.in_flight += 1;
                }
                self.in_flight += 1;
                progress = true;
            }
        }
        self.queues.retain(|_, q| !q.ready.is_empty() || q.in_flight > 0 || !q.parked.is_empty());
    }

    fn is_idle(&self) -> bool {
        let now = self.clock.now_ms();
        self.queued == 0 && self.in_flight == 0
            && self.next_probe().is_none_or(|t| t > now)
            && self.retry.peek().is_none_or(|Reverse(j)| j.due > self.clock.now_ms())
            && self.segs.values().all(|s| s.reader.caught_up())
    }

    fn log_state(&mut self, job: &Job, kind: StateKind, due: i64) {
        let Some(seg) = self.segs.get_mut(&job.seg) else { return };
        seg.state_buf.extend_from_slice(&encode_state(job.off, job.endpoint, job.attempts, kind, due));
        if kind != StateKind::Retrying {
            seg.outstanding = seg.outstanding.saturating_sub(1);
        }
    }

    fn cancel(&mut self, job: Job, why: &str) {
        self.log_state(&job, StateKind::Cancelled, 0);
        self.stats.counters.cancelled += 1;
        let rec = self.segs.get(&job.seg).and_then(|s| s.reader.read_at(job.off as u64).ok());
        let Some(rec) = rec else { return };
        let url = self.snapshot.endpoints.get(&job.endpoint).map(|e| e.spec.url.clone()).unwrap_or_default();
        let now = self.clock.now_ms();
        self.journal(&job, &rec, url, now,
            &Outcome { error: Some(format!("cancelled: {why}")), error_kind: Some("cancelled"), ..Outcome::default() },
            "cancelled", None, None, 0);
    }

    /// Journals the event itself, once per fan-out: its id, slug, time and exact payload.
    fn journal_event(&mut self, rec: &EventRecord) {
        let payload = String::from_utf8_lossy(&rec.payload);
        let entry = EventEntry { event_id: &rec.id, event: &rec.event, timestamp: rec.timestamp_ms, payload: &payload };
        if let Some(Err(e)) = self.results.as_mut().map(|w| w.append_event(&entry)) {
            self.stats.last_error = Some(e.to_string());
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn journal(&mut self, job: &Job, rec: &EventRecord, url: String, started_at: i64, o: &Outcome, outcome: &str,
        next: Option<i64>, disabled: Option<String>, attempt: u32) {
        let r = AttemptResult {
            attempt_id: new_id("att_", started_at, self.rng.as_ref()),
            event_id: rec.id.clone(), endpoint_id: job.endpoint, event: rec.event.clone(), attempt,
            redelivery: rec.kind == Kind::Redeliver, test: false, url, event_timestamp: rec.timestamp_ms,
            started_at, duration_ms: o.duration_ms, outcome: outcome.to_string(), status: o.status,
            reason: o.reason.clone(), error: o.error.clone(), error_kind: o.error_kind.map(str::to_string),
            next_attempt_at: next, endpoint_disabled: disabled,
            request_headers: header_map(&o.request_headers), response_headers: header_map(&o.response_headers),
            response_excerpt: o.response_excerpt.clone(), response_truncated: o.response_truncated,
        };
        if let Some(Err(e)) = self.results.as_mut().map(|w| w.append(&r)) {
            self.stats.last_error = Some(e.to_string());
        }
    }

    fn finish(&mut self, d: Done) {
        let Done { worker, mut job, record, url, started_at, outcome } = d;
        self.idle_workers.push(worker);
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(q) = self.queues.get_mut(&job.endpoint) {
            q.in_flight = q.in_flight.saturating_sub(1);
        }
        job.attempts = job.attempts.saturating_add(1);
        let attempt = job.attempts as u32;
        let now = self.clock.now_ms();
        self.stats.counters.attempts += 1;
        let revision = self.snapshot.endpoints.get(&job.endpoint).map_or(0, |e| e.spec.revision);
        // The endpoint answered (anything but 429/5xx): it is reachable again.
        let trips = !outcome.delivered() && matches!(outcome.status, None | Some(429) | Some(500..=599));
        if trips {
            self.breakers.entry(job.endpoint).or_default().fail(now);
        } else if self.breakers.remove(&job.endpoint).is_some_and(|b| b.open_until.is_some()) {
            self.unpark(job.endpoint, now);
        }
        let health = self.health.entry(job.endpoint).or_insert_with(|| Health { revision, ..Health::default() });
        if outcome.delivered() {
            if health.failing_since_ms.take().is_some() {
                self.health_dirty = true;
            }
            self.log_state(&job, StateKind::Delivered, 0);
            self.stats.counters.delivered += 1;
            self.journal(&job, &record, url, started_at, &outcome, "delivered", None, None, attempt);
            return;
        }
        let since = *health.failing_since_ms.get_or_insert(started_at);
        self.health_dirty = true;
        let mut disable = None;
        if outcome.status == Some(410) {
            disable = Some("the receiver answered 410 Gone: it asked not to be sent any more events".to_string());
        } else if now - since >= self.settings.disable_after_s as i64 * 1000 {
            disable = Some(format!("every delivery failed since {} ({} days)", crate::delivery::rfc3339(since),
                self.settings.disable_after_s / 86_400));
        }
        if let Some(why) = &disable {
            let h = self.health.entry(job.endpoint).or_default();
            h.disabled = Some(why.clone());
            h.disabled_at_ms = Some(now);
            h.revision = revision;
            self.stats.endpoints_disabled.insert(job.endpoint.to_string(), why.clone());
            self.log_state(&job, StateKind::Failed, 0);
            self.stats.counters.failed += 1;
            self.journal(&job, &record, url, started_at, &outcome, "failed", None, disable.clone(), attempt);
            self.sweep();
            return;
        }
        match self.schedule.next_due(attempt, now, outcome.retry_after_s, self.rng.as_ref()) {
            Some(due) => {
                job.due = due;
                self.log_state(&job, StateKind::Retrying, due);
                self.retry.push(Reverse(job));
                self.journal(&job, &record, url, started_at, &outcome, "retrying", Some(due), None, attempt);
            }
            None => {
                self.log_state(&job, StateKind::Failed, 0);
                self.stats.counters.failed += 1;
                self.journal(&job, &record, url, started_at, &outcome, "failed", None, None, attempt);
            }
        }
    }

    /// The endpoint is back: its parked jobs go first in line.
    fn unpark(&mut self, endpoint: u64, now: i64) {
        let Some(q) = self.queues.get_mut(&endpoint) else { return };
        let parked = std::mem::take(&mut q.parked);
        self.queued += parked.len();
        for p in parked.into_iter().rev() {
            q.ready.push_front(Job { due: now, endpoint, off: p.off, seg: p.seg, attempts: p.attempts });
        }
    }

    fn cleanup_segments(&mut self) {
        let done: Vec<u32> = self.segs.iter()
            .filter(|(_, s)| s.outstanding == 0 && s.reader.sealed && s.reader.caught_up())
            .map(|(id, _)| *id).collect();
        for id in done {
            if let Some(s) = self.segs.remove(&id) {
                let path = self.spool.queue.join(&s.reader.name);
                let _ = fs::remove_file(path.with_extension("state"));
                if let Err(e) = fs::remove_file(&path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        self.note_error(format!("spool: removing {}: {e}", path.display()));
                    }
                }
                // Keep the name known so a concurrent directory listing does not reopen it.
                self.seg_ids.insert(s.reader.name, u32::MAX);
            }
        }
        if self.seg_ids.len() > self.segs.len() + 10_000 {
            let live: std::collections::HashSet<u32> = self.segs.keys().copied().collect();
            self.seg_ids.retain(|_, id| live.contains(id));
        }
    }

    fn write_stats(&mut self, scanned_at: i64, idle: bool) {
        let now = self.clock.now_ms();
        let c = &self.stats.counters;
        let parked: usize = self.queues.values().map(|q| q.parked.len()).sum();
        let fingerprint = (idle, self.queued + parked, self.in_flight, self.retry.len(), c.delivered, c.failed, c.cancelled, c.attempts);
        let changed = fingerprint != self.last_stats_fingerprint;
        let since = now - self.last_stats_write;
        // Changes are written at once when the queue goes idle, at most 4 times a second while
        // busy; a heartbeat every 10 s tells flushing processes the leader is alive.
        if !(changed && (idle || since >= 250) || since >= 10_000 || since < 0) {
            return;
        }
        self.last_stats_fingerprint = fingerprint;
        self.last_stats_write = now;
        let unread: u64 = self.segs.values().map(|s| s.reader.known_size().saturating_sub(s.reader.scanned)).sum();
        let s = &mut self.stats;
        s.leader_pid = std::process::id();
        s.updated_at_ms = now;
        s.scanned_at_ms = scanned_at;
        s.idle = idle;
        s.queued = self.queued as u64;
        s.in_flight = self.in_flight as u64;
        s.retrying = self.retry.len() as u64;
        s.unread_bytes = unread;
        s.segments = self.segs.len() as u64;
        s.endpoints_disabled = self.health.iter().filter_map(|(id, h)| Some((id.to_string(), h.disabled.clone()?))).collect();
        s.endpoints_unreachable = self.breakers.iter().filter_map(|(id, b)| {
            let waiting = self.queues.get(id).map_or(0, |q| q.parked.len() as u64);
            Some((id.to_string(), Unreachable { failures: b.failures, since_ms: b.since, next_probe_ms: b.open_until?, waiting }))
        }).collect();
        s.parked = self.queues.values().map(|q| q.parked.len() as u64).sum();
        if let Ok(b) = serde_json::to_vec(&self.stats) {
            let _ = self.spool.write_file("stats.json", &b);
        }
    }
}

fn deliver_loop(worker: usize, rx: Receiver<Work>, done: Sender<Msg>, deliverer: Deliverer, clock: Arc<dyn Clock>) {
    crate::ffi::background_thread();
    while let Ok(Work { job, record, endpoint }) = rx.recv() {
        let started_at = clock.now_ms();
        let outcome = deliverer.send(&Request {
            url: &endpoint.spec.url, event_id: &record.id, event: &record.event, event_timestamp_ms: record.timestamp_ms,
            payload: &record.payload, format: endpoint.spec.format, secrets: &endpoint.secrets,
            attempt: job.attempts as u32 + 1, now_s: started_at.div_euclid(1000),
        });
        let url = endpoint.spec.url;
        if done.send(Msg::Done(Box::new(Done { worker, job, record, url, started_at, outcome }))).is_err() {
            return;
        }
    }
}

/// Reads the leader's `stats.json`.
pub fn read_stats(spool: &Spool) -> Option<SpoolStats> {
    spool.read_file("stats.json").and_then(|b| serde_json::from_slice(&b).ok())
}

