//! The delivery leader: one process at a time holds `leader.lock`, reads every segment of the
//! spool, runs attempts on a bounded pool of threads and records each outcome. Other
//! processes only enqueue. What is attempted when is decided by the [`scheduler`]; this
//! module is the shell around it that reads the spool, runs the threads and writes the files.

mod scheduler;
mod state_log;

use std::collections::HashMap;
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
use crate::spool::segment::{open_append, EventRecord, Kind, SegmentReader};
use crate::spool::{self, FileStamp, Spool};
use scheduler::{Answer, Arrival, Effect, Health, Job, Known, Rules, Scheduler, StateKind, Verdict};
pub use scheduler::{Counters, Unreachable};

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
    /// The flush request count seen at the start of the last pass.
    pub seen_flushes: u64,
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
    /// Flushes asked for in this process: a flush waits for a pass that began after it asked.
    pub flushes: AtomicU64,
    /// A wake-up is already queued.
    pub wake_pending: AtomicBool,
    /// The held leader lock (kept here so a forked child can close its copy).
    pub leader_lock: Mutex<Option<File>>,
}

impl Shared {
    /// Fresh state.
    pub fn new() -> Shared {
        Shared {
            progress: Mutex::new(Progress::default()),
            changed: Condvar::new(),
            emitted: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            wake_pending: AtomicBool::new(false),
            leader_lock: Mutex::new(None),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

/// How many (record, endpoint) states the log at `path` holds, as the delivering process
/// loads them when it opens a segment.
#[cfg(feature = "fuzzing")]
pub(crate) fn state_count(path: &std::path::Path) -> usize {
    state_log::load(path).len()
}

struct Seg {
    reader: SegmentReader,
    state: Option<File>,
    /// State records not yet written (flushed after each batch of outcomes).
    state_buf: Vec<u8>,
    /// Until the segment is fully read: the state log as loaded at start.
    states: HashMap<(u32, u64), Known>,
    /// Jobs of this segment not in a final state yet.
    outstanding: u64,
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
    settings: Arc<Settings>, spool: Spool, shared: Arc<Shared>, deliverer: Deliverer, clock: Arc<dyn Clock>,
    rng: Arc<dyn Random>,
) -> std::io::Result<(Sender<Msg>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    let handle = std::thread::Builder::new().name("hooks-dispatch".into()).spawn(move || {
        crate::ffi::sys::background_thread();
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
    self_tx: Sender<Msg>,
    // Leader state (empty while not leader).
    leader: bool,
    /// What to attempt when; rebuilt from the spool by each new leader.
    sched: Scheduler,
    /// Effects the scheduler asked for, not carried out yet.
    effects: Vec<Effect>,
    /// One channel per delivery thread, and the threads free for work.
    workers: Vec<Sender<Work>>,
    idle_workers: Vec<usize>,
    snapshot_stamp: FileStamp,
    segs: HashMap<u32, Seg>,
    seg_ids: HashMap<String, u32>,
    next_seg: u32,
    results: Option<ResultsWriter>,
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
    fn new(
        settings: Arc<Settings>, spool: Spool, shared: Arc<Shared>, deliverer: Deliverer, clock: Arc<dyn Clock>,
        rng: Arc<dyn Random>, self_tx: Sender<Msg>,
    ) -> Self {
        let sched = Scheduler::new(rules(&settings), rng.clone(), HashMap::new(), Counters::default());
        Dispatcher {
            settings,
            spool,
            shared,
            deliverer,
            clock,
            rng,
            self_tx,
            leader: false,
            sched,
            effects: Vec::new(),
            workers: Vec::new(),
            idle_workers: Vec::new(),
            snapshot_stamp: FileStamp::default(),
            segs: HashMap::new(),
            seg_ids: HashMap::new(),
            next_seg: 0,
            results: None,
            stats: SpoolStats::default(),
            last_stats_write: 0,
            last_stats_fingerprint: Default::default(),
            last_dir_scan: 0,
            last_emits: 0,
            worker_lock: None,
            worker_checked_at: i64::MIN / 2,
            worker_seen: false,
        }
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
                let stop = self.drain(
                    &rx,
                    std::time::Instant::now() + Duration::from_millis(self.settings.request_timeout_ms + 1_000),
                );
                self.step_down();
                if stop {
                    return;
                }
                continue;
            }
            self.shared.wake_pending.store(false, Ordering::SeqCst);
            let emits = self.shared.emitted.load(Ordering::SeqCst);
            let flushes = self.shared.flushes.load(Ordering::SeqCst);
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
                p.seen_flushes = flushes;
            }
            self.shared.changed.notify_all();

            let now = self.clock.now_ms();
            let mut wait = poll;
            if let Some(t) = self.sched.next_wake() {
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
        self.effects.clear();
        self.snapshot_stamp = FileStamp::default();
        self.stats =
            self.spool.read_file("stats.json").and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        self.stats.last_error = None;
        let health: HashMap<u64, Health> =
            self.spool.read_file("health.json").and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        self.sched = Scheduler::new(rules(&self.settings), self.rng.clone(), health, self.stats.counters.clone());
        match ResultsWriter::open(&self.spool, self.settings.results_max_bytes) {
            Ok(w) => self.results = Some(w),
            Err(e) => {
                self.stats.last_error = Some(e.to_string());
                return self.step_down();
            }
        }
        self.workers.clear();
        self.idle_workers.clear();
        for i in 0..self.settings.concurrency {
            let (wtx, wrx) = mpsc::channel::<Work>();
            let (done, deliverer, clock) = (self.self_tx.clone(), self.deliverer.clone(), self.clock.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("hooks-deliver-{i}"))
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
        while self.sched.in_flight() > 0 {
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
        self.sched.promote(now);
        if !self.workers.is_empty() {
            self.sched.dispatch(now, self.idle_workers.len(), &mut self.effects);
            self.perform();
        }
        self.cleanup_segments();
        let saved = self.sched.take_health().map(serde_json::to_vec);
        if let Some(Ok(b)) = saved {
            if let Err(e) = self.spool.write_file("health.json", &b) {
                self.note_error(e);
            }
        }
    }

    /// Carries out the effects the scheduler asked for, in order (and those they lead to).
    fn perform(&mut self) {
        while !self.effects.is_empty() {
            let mut batch = std::mem::take(&mut self.effects);
            for effect in batch.drain(..) {
                match effect {
                    Effect::JournalEvent { seg, off } => {
                        if let Some(Ok(rec)) = self.segs.get(&seg).map(|s| s.reader.read_at(off as u64)) {
                            self.journal_event(&rec);
                        }
                    }
                    Effect::Cancel(job, why) => self.cancel(job, &why),
                    Effect::Start(job, endpoint) => self.start(job, *endpoint),
                }
            }
            if self.effects.is_empty() {
                self.effects = batch; // keep the allocation
            }
        }
    }

    /// Hands an attempt to a free delivery thread.
    fn start(&mut self, job: Job, endpoint: Endpoint) {
        let record = match self.segs.get(&job.seg).map(|s| s.reader.read_at(job.off as u64)) {
            Some(Ok(r)) => Arc::new(r),
            Some(Err(e)) => {
                self.note_error(&e);
                return self.sched.not_started(job, Some(e.to_string()), &mut self.effects);
            }
            None => return self.sched.not_started(job, Some("its spool segment is gone".into()), &mut self.effects),
        };
        let Some(worker) = self.idle_workers.pop() else { return self.sched.not_started(job, None, &mut self.effects) };
        if self.workers[worker].send(Work { job, record, endpoint }).is_err() {
            // That thread is gone; put the job back and use the others.
            self.sched.not_started(job, None, &mut self.effects);
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
                self.sched.set_snapshot(Arc::new(s), &mut self.effects);
                self.perform();
            }
            Err(e) => self.note_error(format!("spool: endpoints.json: {e}")),
        }
    }

    fn scan_dir(&mut self) {
        self.last_dir_scan = self.clock.now_ms();
        let rd = match fs::read_dir(&self.spool.queue) {
            Ok(rd) => rd,
            Err(e) => return self.note_error(format!("spool: reading queue/: {e}")),
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".seg") && !self.seg_ids.contains_key(n))
            .collect();
        names.sort();
        for name in names {
            let path = self.spool.queue.join(&name);
            let reader = match SegmentReader::open(&path, &name) {
                Ok(r) => r,
                Err(_) => continue, // deleted meanwhile
            };
            let state_path = path.with_extension("state");
            let states = state_log::load(&state_path);
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
                if self.sched.queued() >= READ_AHEAD_JOBS {
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
        let target = rec.kind.is_targeted().then_some(rec.target);
        let arrival = Arrival { seg, off, event: &rec.event, timestamp_ms: rec.timestamp_ms, target };
        let states = self.segs.get(&seg).map(|s| &s.states);
        let known = |endpoint: u64| states.and_then(|m| m.get(&(off, endpoint)).copied());
        let opened = self.sched.fan_out(arrival, known, self.clock.now_ms(), &mut self.effects);
        if let Some(s) = self.segs.get_mut(&seg) {
            s.outstanding += opened;
        }
        self.perform();
    }

    fn is_idle(&self) -> bool {
        self.sched.is_idle(self.clock.now_ms()) && self.segs.values().all(|s| s.reader.caught_up())
    }

    fn log_state(&mut self, job: &Job, kind: StateKind, due: i64) {
        let Some(seg) = self.segs.get_mut(&job.seg) else { return };
        seg.state_buf.extend_from_slice(&state_log::encode(job, kind, due));
        if kind != StateKind::Retrying {
            seg.outstanding = seg.outstanding.saturating_sub(1);
        }
    }

    fn cancel(&mut self, job: Job, why: &str) {
        self.log_state(&job, StateKind::Cancelled, 0);
        let rec = self.segs.get(&job.seg).and_then(|s| s.reader.read_at(job.off as u64).ok());
        let Some(rec) = rec else { return };
        let url = self.sched.snapshot().endpoints.get(&job.endpoint).map(|e| e.spec.url.clone()).unwrap_or_default();
        let now = self.clock.now_ms();
        self.journal(
            &job,
            &rec,
            url,
            now,
            &Outcome { error: Some(format!("cancelled: {why}")), error_kind: Some("cancelled"), ..Outcome::default() },
            "cancelled",
            None,
            None,
            0,
        );
    }

    /// Journals the event itself, once per fan-out: its id, slug, time and exact payload.
    fn journal_event(&mut self, rec: &EventRecord) {
        let payload = String::from_utf8_lossy(&rec.payload);
        let entry = EventEntry { event_id: &rec.id, event: &rec.event, timestamp: rec.timestamp_ms, payload: &payload };
        if let Some(Err(e)) = self.results.as_mut().map(|w| w.append_event(&entry)) {
            self.stats.last_error = Some(e.to_string());
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one journal entry has this many facts; a struct for them would be built once, here"
    )]
    fn journal(
        &mut self, job: &Job, rec: &EventRecord, url: String, started_at: i64, o: &Outcome, outcome: &str,
        next: Option<i64>, disabled: Option<String>, attempt: u32,
    ) {
        let r = AttemptResult {
            attempt_id: new_id("att_", started_at, self.rng.as_ref()),
            event_id: rec.id.clone(),
            endpoint_id: job.endpoint,
            event: rec.event.clone(),
            attempt,
            redelivery: rec.kind == Kind::Redeliver,
            test: false,
            url,
            event_timestamp: rec.timestamp_ms,
            started_at,
            duration_ms: o.duration_ms,
            outcome: outcome.to_string(),
            status: o.status,
            reason: o.reason.clone(),
            error: o.error.clone(),
            error_kind: o.error_kind.map(str::to_string),
            next_attempt_at: next,
            endpoint_disabled: disabled,
            request_headers: header_map(&o.request_headers),
            response_headers: header_map(&o.response_headers),
            response_excerpt: o.response_excerpt.clone(),
            response_truncated: o.response_truncated,
        };
        if let Some(Err(e)) = self.results.as_mut().map(|w| w.append(&r)) {
            self.stats.last_error = Some(e.to_string());
        }
    }

    fn finish(&mut self, d: Done) {
        let Done { worker, job, record, url, started_at, outcome } = d;
        self.idle_workers.push(worker);
        let answer = Answer { status: outcome.status, retry_after_s: outcome.retry_after_s };
        let (job, verdict) = self.sched.finish(job, answer, started_at, self.clock.now_ms(), &mut self.effects);
        let attempt = job.attempts as u32;
        match verdict {
            Verdict::Delivered => {
                self.log_state(&job, StateKind::Delivered, 0);
                self.journal(&job, &record, url, started_at, &outcome, "delivered", None, None, attempt);
            }
            Verdict::Retrying(due) => {
                self.log_state(&job, StateKind::Retrying, due);
                self.journal(&job, &record, url, started_at, &outcome, "retrying", Some(due), None, attempt);
            }
            Verdict::Failed(disabled) => {
                self.log_state(&job, StateKind::Failed, 0);
                self.journal(&job, &record, url, started_at, &outcome, "failed", None, disabled, attempt);
            }
        }
        self.perform();
    }

    fn cleanup_segments(&mut self) {
        let done: Vec<u32> = self
            .segs
            .iter()
            .filter(|(_, s)| s.outstanding == 0 && s.reader.sealed && s.reader.caught_up())
            .map(|(id, _)| *id)
            .collect();
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
        let c = self.sched.counters();
        let fingerprint = (
            idle,
            self.sched.queued() + self.sched.parked(),
            self.sched.in_flight(),
            self.sched.retrying(),
            c.delivered,
            c.failed,
            c.cancelled,
            c.attempts,
        );
        let changed = fingerprint != self.last_stats_fingerprint;
        let since = now - self.last_stats_write;
        // Changes are written at once when the queue goes idle, at most 4 times a second while
        // busy; a heartbeat every 10 s tells flushing processes the leader is alive.
        if !(changed && (idle || since >= 250) || !(0..10_000).contains(&since)) {
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
        s.queued = self.sched.queued() as u64;
        s.in_flight = self.sched.in_flight() as u64;
        s.retrying = self.sched.retrying() as u64;
        s.unread_bytes = unread;
        s.segments = self.segs.len() as u64;
        s.endpoints_disabled = self.sched.disabled();
        s.endpoints_unreachable = self.sched.unreachable();
        s.parked = self.sched.parked() as u64;
        s.counters = self.sched.counters().clone();
        if let Ok(b) = serde_json::to_vec(&self.stats) {
            let _ = self.spool.write_file("stats.json", &b);
        }
    }
}

fn deliver_loop(worker: usize, rx: Receiver<Work>, done: Sender<Msg>, deliverer: Deliverer, clock: Arc<dyn Clock>) {
    crate::ffi::sys::background_thread();
    while let Ok(Work { job, record, endpoint }) = rx.recv() {
        let started_at = clock.now_ms();
        let outcome = deliverer.send(&Request {
            url: &endpoint.spec.url,
            event_id: &record.id,
            event: &record.event,
            event_timestamp_ms: record.timestamp_ms,
            payload: &record.payload,
            format: endpoint.spec.format,
            secrets: &endpoint.secrets,
            attempt: job.attempts as u32 + 1,
            now_s: started_at.div_euclid(1000),
            headers: &endpoint.spec.headers,
        });
        let url = endpoint.spec.url;
        if done.send(Msg::Done(Box::new(Done { worker, job, record, url, started_at, outcome }))).is_err() {
            return;
        }
    }
}

/// The scheduling rules the settings ask for.
fn rules(settings: &Settings) -> Rules {
    Rules {
        schedule: Schedule {
            delays_s: settings.retry_schedule_s.clone(),
            jitter: settings.retry_jitter,
            retry_after_max_s: settings.retry_after_max_s,
        },
        per_endpoint: settings.per_endpoint_concurrency,
        disable_after_ms: settings.disable_after_s as i64 * 1000,
    }
}

/// Reads the leader's `stats.json`.
pub fn read_stats(spool: &Spool) -> Option<SpoolStats> {
    spool.read_file("stats.json").and_then(|b| serde_json::from_slice(&b).ok())
}
