//! The engine: what one process holds — settings, the spool, the endpoint snapshot it knows,
//! its own queue segment, and the dispatcher thread — plus the process-wide handle the C API
//! uses, which restarts the engine in a child after `fork`.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use crate::clock::{id_time, is_id, new_id, Clock, Random, SplitMix, SystemClock};
use crate::config::{check_event, Endpoint, EndpointSpec, Rejected, Snapshot};
use crate::delivery::{Deliverer, Request};
use crate::error::{Error, Result};
use crate::results::{self, header_map};
use crate::settings::{Durability, Settings};
use crate::spool::frame;
use crate::spool::segment::{EventRecord, Kind, SegmentWriter, ROTATE_BYTES};
use crate::spool::{FileStamp, Spool};
use crate::ssrf::Verdict;
use crate::worker::{self, Msg, Shared};

/// How long stopping waits for attempts in flight.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// One process's engine.
#[derive(Debug)]
pub struct Engine {
    settings: Arc<Settings>,
    raw_settings: Vec<u8>,
    pid: u32,
    spool: Spool,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Random>,
    deliverer: Deliverer,
    snapshot: Mutex<(FileStamp, Arc<Snapshot>)>,
    writer: Mutex<Option<SegmentWriter>>,
    synced: Mutex<u64>,
    written: std::sync::atomic::AtomicU64,
    last_emit_ms: std::sync::atomic::AtomicI64,
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<Msg>>>,
}

/// What `configure` did with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigureReport {
    /// Whether it replaced the newest snapshot known (its version was newer).
    pub applied: bool,
    /// Its version.
    pub version: u64,
    /// How many of its endpoints passed validation: the ones in force when `applied`.
    pub endpoints: usize,
    /// The endpoints left out, and why.
    pub rejected: Vec<Rejected>,
}

impl ConfigureReport {
    /// `{"applied":…,"version":…,"endpoints":…,"rejected":[…]}`, the `hooks_configure` answer.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What `redeliver` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeliverSpec {
    event_id: String,
    endpoint_id: u64,
    event: String,
    payload: Box<RawValue>,
    #[serde(default)]
    timestamp: Option<i64>,
    /// False for a new event that one endpoint gets with a payload of its own (the plugin's
    /// payload filter): delivered to that endpoint only, and not logged as a redelivery.
    #[serde(default = "yes")]
    redelivery: bool,
}

fn yes() -> bool {
    true
}

/// What `send_test` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    endpoint: EndpointSpec,
    event: String,
    payload: Box<RawValue>,
}

impl Engine {
    /// Opens the spool and starts the dispatcher thread, with the system clock and OS randomness.
    pub fn start(settings_json: &[u8]) -> Result<Arc<Engine>> {
        Engine::start_with(settings_json, Arc::new(SystemClock), Arc::new(SplitMix::from_os()))
    }

    /// As `start`, with the clock and random source given (tests drive them).
    pub fn start_with(settings_json: &[u8], clock: Arc<dyn Clock>, rng: Arc<dyn Random>) -> Result<Arc<Engine>> {
        let settings = Arc::new(Settings::from_json(settings_json)?);
        let spool = Spool::open(&settings.spool_dir)?;
        let deliverer = Deliverer::new(&settings)?;
        let engine = Arc::new(Engine {
            raw_settings: settings_json.to_vec(),
            pid: std::process::id(),
            clock: clock.clone(),
            rng: rng.clone(),
            deliverer: deliverer.clone(),
            snapshot: Mutex::new((FileStamp::default(), Arc::new(Snapshot::default()))),
            writer: Mutex::new(None),
            synced: Mutex::new(0),
            written: Default::default(),
            last_emit_ms: Default::default(),
            shared: Arc::new(Shared::new()),
            tx: Mutex::new(None),
            settings: settings.clone(),
            spool: spool.clone(),
        });
        let (tx, _handle) = worker::spawn(settings, spool, engine.shared.clone(), deliverer, clock, rng)
            .map_err(|e| Error::Spool(format!("cannot start the delivery thread: {e}")))?;
        *lock(&engine.tx) = Some(tx);
        Ok(engine)
    }

    fn send(&self, m: Msg) {
        if let Some(tx) = lock(&self.tx).as_ref() {
            let _ = tx.send(m);
        }
    }

    fn wake(&self) {
        if !self.shared.wake_pending.swap(true, Ordering::SeqCst) {
            self.send(Msg::Wake);
        }
    }

    /// The newest snapshot known, re-reading the spool copy if another process changed it.
    fn snapshot(&self) -> Arc<Snapshot> {
        let stamp = self.spool.snapshot_stamp();
        let mut cur = lock(&self.snapshot);
        if stamp != cur.0 {
            if let Some(s) = self.spool.read_snapshot().and_then(|b| Snapshot::from_stored(&b).ok()) {
                if s.version >= cur.1.version {
                    cur.1 = Arc::new(s);
                }
            }
            cur.0 = stamp;
        }
        cur.1.clone()
    }

    /// Replaces the endpoint snapshot if `json` is newer than the newest known (in this process
    /// or in the spool), endpoint by endpoint: the endpoints that fail validation are left out
    /// and reported (in the answer, and in every process's stats while it is the newest). Only
    /// a document that is not `{"version":u64,"endpoints":[…]}` is an error.
    pub fn configure(&self, json: &[u8]) -> Result<ConfigureReport> {
        let snap = Snapshot::from_json(json)?;
        let version = snap.version;
        let report = ConfigureReport {
            applied: false,
            version,
            endpoints: snap.endpoints.len(),
            rejected: snap.rejected.clone(),
        };
        let stored = self.spool.store_snapshot(version, &snap.to_json(), |old| {
            serde_json::from_slice::<serde_json::Value>(old).ok().and_then(|v| v["version"].as_u64()).unwrap_or(0)
        })?;
        if stored {
            let mut cur = lock(&self.snapshot);
            *cur = (self.spool.snapshot_stamp(), Arc::new(snap));
            drop(cur);
            self.wake();
        }
        Ok(ConfigureReport { applied: stored, ..report })
    }

    /// The version of the newest snapshot known (0 = none).
    pub fn configured_version(&self) -> u64 {
        self.snapshot().version
    }

    /// Accepts an event: validates it, writes it to this process's segment, and returns its id.
    /// An event no active endpoint hears is accepted and not written.
    pub fn emit(&self, event: &str, payload: &[u8]) -> Result<String> {
        let id = new_id("msg_", self.clock.now_ms(), self.rng.as_ref());
        self.accept(id, event, payload, None)
    }

    /// Accepts an event under the id it got when it was raised (`msg_` and 26 Crockford
    /// base-32 characters): an event kept first where the engine was out of reach (the
    /// plugin's database outbox), so that receivers see the `webhook-id` that was already
    /// reported for it. Otherwise as [`Engine::emit`].
    pub fn emit_as(&self, id: &str, event: &str, payload: &[u8]) -> Result<()> {
        if !is_id(id, "msg_") {
            return Err(Error::Json(format!(
                "id: msg_ and 26 Crockford base-32 characters, got {:?}",
                id.chars().take(40).collect::<String>()
            )));
        }
        self.accept(id.to_string(), event, payload, id_time(id, "msg_")).map(|_| ())
    }

    /// Accepts an event raised at `raised_ms` (now when `None`; never later than now): the
    /// time webhooks' `since_ms` is compared with, so a webhook created after an event was
    /// raised does not hear it, however late the event reaches the engine.
    fn accept(&self, id: String, event: &str, payload: &[u8], raised_ms: Option<i64>) -> Result<String> {
        check_event(event)?;
        check_payload(payload, self.settings.max_payload_bytes)?;
        let now = raised_ms.map_or(self.clock.now_ms(), |t| t.min(self.clock.now_ms()));
        if self.snapshot().listeners(event) == 0 {
            self.shared.emitted.fetch_add(1, Ordering::SeqCst);
            return Ok(id);
        }
        let rec = EventRecord {
            kind: Kind::Event,
            id,
            timestamp_ms: now,
            event: event.to_string(),
            target: 0,
            payload: payload.to_vec(),
        };
        self.append(&rec)?;
        Ok(rec.id)
    }

    /// Queues `event_id` for delivery again to one endpoint (same id, same payload).
    pub fn redeliver(&self, json: &[u8]) -> Result<()> {
        let spec: RedeliverSpec = serde_json::from_slice(json).map_err(|e| Error::Json(e.to_string()))?;
        check_event(&spec.event)?;
        if spec.event_id.is_empty()
            || spec.event_id.len() > 64
            || !spec.event_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::Json("event_id: 1 to 64 characters of letters, digits, '_' and '-'".into()));
        }
        let payload = spec.payload.get().as_bytes();
        check_payload(payload, self.settings.max_payload_bytes)?;
        if !self.snapshot().endpoints.contains_key(&spec.endpoint_id) {
            return Err(Error::NotFound(format!("endpoint {} is not in the configured snapshot", spec.endpoint_id)));
        }
        let rec = EventRecord {
            kind: if spec.redelivery { Kind::Redeliver } else { Kind::Targeted },
            id: spec.event_id,
            timestamp_ms: spec.timestamp.unwrap_or_else(|| self.clock.now_ms()),
            event: spec.event,
            target: spec.endpoint_id,
            payload: payload.to_vec(),
        };
        self.append(&rec)
    }

    fn append(&self, rec: &EventRecord) -> Result<()> {
        let framed = frame::encode(&rec.encode());
        let seq;
        let sync_file;
        {
            let mut w = lock(&self.writer);
            let rotate = w.as_ref().is_none_or(|w| w.len() >= ROTATE_BYTES);
            if rotate {
                if let (Some(old), Durability::Power) = (w.as_ref(), self.settings.durability) {
                    old.sync()?;
                }
                let name = format!("{}-{}.seg", new_id("", self.clock.now_ms(), self.rng.as_ref()), self.pid);
                *w = Some(SegmentWriter::create(&self.spool.queue, &name)?);
                if self.settings.durability == Durability::Power {
                    sync_dir(&self.spool.queue)?;
                }
            }
            let Some(writer) = w.as_mut() else { return Err(Error::Spool("no queue segment open".into())) };
            if let Err(e) = writer.append(&framed) {
                *w = None; // start a fresh segment next time
                return Err(e);
            }
            seq = self.written.fetch_add(1, Ordering::SeqCst) + 1;
            sync_file = if self.settings.durability == Durability::Power { Some(writer.sync_handle()) } else { None };
        }
        if let Some(f) = sync_file {
            // Group commit: one fdatasync covers every record written before it started.
            let mut synced = lock(&self.synced);
            if *synced < seq {
                let upto = self.written.load(Ordering::SeqCst);
                f.sync_data().map_err(|e| Error::spool("syncing the queue segment", e))?;
                *synced = upto;
            }
        }
        self.last_emit_ms.store(self.clock.now_ms(), Ordering::SeqCst);
        self.shared.emitted.fetch_add(1, Ordering::SeqCst);
        self.wake();
        Ok(())
    }

    /// One synchronous attempt to the endpoint in `json` (`{"endpoint":{…},"event":…,"payload":{…}}`);
    /// returns the outcome as JSON. The spool is not touched.
    pub fn send_test(&self, json: &[u8]) -> Result<String> {
        let spec: TestSpec = serde_json::from_slice(json).map_err(|e| Error::Json(e.to_string()))?;
        check_event(&spec.event)?;
        let payload = spec.payload.get().as_bytes();
        check_payload(payload, self.settings.max_payload_bytes)?;
        let endpoint = Endpoint::from_spec(spec.endpoint, "endpoint")?;
        let now = self.clock.now_ms();
        let id = new_id("msg_", now, self.rng.as_ref());
        let o = self.deliverer.send(&Request {
            url: &endpoint.spec.url,
            event_id: &id,
            event: &spec.event,
            event_timestamp_ms: now,
            payload,
            format: endpoint.spec.format,
            secrets: &endpoint.secrets,
            attempt: 1,
            now_s: now.div_euclid(1000),
            headers: &endpoint.spec.headers,
        });
        let v = json!({
            "ok": o.delivered(), "event_id": id, "endpoint_id": endpoint.spec.id, "event": spec.event,
            "url": endpoint.spec.url, "started_at": now, "duration_ms": o.duration_ms, "status": o.status,
            "reason": o.reason, "error": o.error, "error_kind": o.error_kind, "request_headers": header_map(&o.request_headers),
            "response_headers": header_map(&o.response_headers), "response_excerpt": o.response_excerpt,
            "response_truncated": o.response_truncated,
            "body": String::from_utf8_lossy(&crate::delivery::body(endpoint.spec.format, &spec.event, now, payload)),
        });
        Ok(v.to_string())
    }

    /// Whether `url` passes the URL rule and the SSRF guard lets it through, judged as delivery
    /// judges it (same guard, same `ssrf_allow`, same resolver); nothing is sent. Returns JSON:
    /// `{"ok":true,"kind":"ok","addresses":[…]}` when at least one address passes (the ones
    /// delivery connects to); `{"ok":false,"kind":"ssrf_refused","address":…,"range":…,
    /// "reason":"ssrf: refused …","addresses":[…]}` when every address is refused (`address`
    /// and `range` name the first refused); `{"ok":null,"kind":"dns","reason":"could not
    /// resolve …"}` when the name does not resolve (not a refusal: DNS may be down for a
    /// moment). A URL breaking the rule is [`Error::Url`].
    pub fn check_url(&self, url: &str) -> Result<String> {
        let uri = crate::config::check_url(url).map_err(|e| Error::Url {
            field: "url".into(),
            code: e.code,
            detail: e.detail,
        })?;
        let verdict = self.deliverer.verdict(&uri).ok_or_else(|| Error::Url {
            field: "url".into(),
            code: "scheme",
            detail: "the URL must start with http:// or https://".into(),
        })?;
        Ok(verdict_json(&verdict).to_string())
    }

    /// Waits until nothing is due and nothing is in flight, or `timeout` passes: a pass of the
    /// leader that began after this call (so at this moment's clock) found it so. If no
    /// process is delivering, this one takes over; if another is, waits for it to have read
    /// this process's events and gone idle.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let target = self.shared.emitted.load(Ordering::SeqCst);
        let asked = self.shared.flushes.fetch_add(1, Ordering::SeqCst) + 1;
        let since = self.last_emit_ms.load(Ordering::SeqCst);
        self.send(Msg::TryLead);
        self.wake();
        let mut p = lock(&self.shared.progress);
        loop {
            if p.stopped {
                return Err(Error::NotInitialized);
            }
            if p.leader && p.idle && p.seen_emits >= target && p.seen_flushes >= asked {
                return Ok(());
            }
            if !p.leader {
                if let Some(s) = worker::read_stats(&self.spool) {
                    if s.idle && s.scanned_at_ms > since && s.leader_pid != self.pid && leader_alive(s.leader_pid) {
                        return Ok(());
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "flush: deliveries still pending after {} ms",
                    timeout.as_millis()
                )));
            }
            let step = (deadline - now).min(Duration::from_millis(20));
            p = self.shared.changed.wait_timeout(p, step).map(|(g, _)| g).unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Queue and delivery figures, as JSON.
    pub fn stats(&self) -> String {
        let snapshot = self.snapshot();
        let p = lock(&self.shared.progress).clone();
        let s = worker::read_stats(&self.spool).unwrap_or_default();
        let pid_in_lock = self.spool.leader_pid();
        let leader_pid = if p.leader { Some(self.pid) } else { pid_in_lock.filter(|pid| leader_alive(*pid)) };
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "pid": self.pid,
            "is_leader": p.leader,
            "leader_pid": leader_pid,
            "delivery_worker": self.settings.delivery_worker || self.spool.worker_present(self.clock.now_ms(), worker::WORKER_RESTART_GRACE_MS),
            "snapshot_version": snapshot.version,
            "rejected_endpoints": snapshot.rejected,
            "emitted_here": self.shared.emitted.load(Ordering::SeqCst),
            "queue_depth": s.queued + s.in_flight + s.retrying + s.parked,
            "queued": s.queued,
            "in_flight": s.in_flight,
            "retrying": s.retrying,
            "parked": s.parked,
            "unread_bytes": s.unread_bytes,
            "spool_bytes": self.spool.queue_bytes(),
            "segments": s.segments,
            "delivered": s.counters.delivered,
            "failed": s.counters.failed,
            "cancelled": s.counters.cancelled,
            "attempts": s.counters.attempts,
            "idle": s.idle,
            "stats_updated_at": s.updated_at_ms,
            "results_dropped": results::dropped(&self.spool),
            "endpoints_disabled": s.endpoints_disabled,
            "endpoints_unreachable": s.endpoints_unreachable,
            "last_error": s.last_error,
            "spool_dir": self.settings.spool_dir,
            "durability": match self.settings.durability { Durability::Process => "process", Durability::Power => "power" },
            "concurrency": self.settings.concurrency,
            "per_endpoint_concurrency": self.settings.per_endpoint_concurrency,
        })
        .to_string()
    }

    /// Hands out the journal entries not acknowledged yet (event entries and attempt results),
    /// without moving the cursor: at most `max_results` (0 = 1000; clamped to 1–10000) and at
    /// most `max_bytes` of answer (0 = 4 MiB; clamped to 64 KiB–64 MiB), yet always at least
    /// one entry when any is waiting. See [`results::take`] for the answer.
    pub fn take_results(&self, max_results: usize, max_bytes: usize) -> Result<String> {
        let max_results = match max_results {
            0 => results::DEFAULT_MAX_RESULTS,
            n => n.clamp(1, results::MAX_RESULTS),
        };
        let max_bytes = match max_bytes {
            0 => results::DEFAULT_MAX_BYTES,
            n => n.clamp(results::MIN_BYTES, results::MAX_BYTES),
        };
        results::take(&self.spool, max_results, max_bytes)
    }

    /// Acknowledges what a take handed out: moves the cursor to `token` if it is ahead (an old
    /// token is a no-op) and removes files read to their end. A made-up token is [`Error::Json`].
    pub fn ack_results(&self, token: &str) -> Result<()> {
        results::ack(&self.spool, token)
    }

    /// Flushes with a deadline, then stops the dispatcher and releases leadership.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        let flushed = if timeout.is_zero() { Ok(()) } else { self.flush(timeout) };
        // Attempts already on the wire get a moment to finish and be recorded.
        let deadline = Instant::now() + STOP_GRACE;
        self.send(Msg::Stop(deadline));
        let deadline = deadline + Duration::from_millis(500);
        let mut p = lock(&self.shared.progress);
        while !p.stopped && Instant::now() < deadline {
            p = self
                .shared
                .changed
                .wait_timeout(p, Duration::from_millis(20))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        drop(p);
        *lock(&self.tx) = None;
        flushed
    }

    /// In a child after `fork`: closes this process's copies of the parent's locked files
    /// (without touching threads that only exist in the parent).
    fn abandon_after_fork(&self) {
        if let Ok(mut l) = self.shared.leader_lock.try_lock() {
            l.take();
        }
        if let Ok(mut w) = self.writer.try_lock() {
            w.take();
        }
        if let Ok(mut tx) = self.tx.try_lock() {
            tx.take();
        }
    }
}

/// The JSON `check_url` returns for `v`.
fn verdict_json(v: &Verdict) -> serde_json::Value {
    let text = |ips: &[std::net::IpAddr]| ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>();
    match v {
        Verdict::Admitted(ips) => json!({"ok": true, "kind": "ok", "addresses": text(ips)}),
        Verdict::Refused { refusal, addresses } => {
            json!({"ok": false, "kind": "ssrf_refused", "address": refusal.ip.to_string(),
            "range": refusal.range, "reason": refusal.to_string(), "addresses": text(addresses)})
        }
        Verdict::Unresolved(reason) => json!({"ok": null, "kind": "dns", "reason": reason}),
    }
}

/// The checks every payload passes before it is accepted (emit, redeliver, test send): at most
/// `limit` bytes, a JSON object, valid JSON, nested at most [`MAX_DEPTH`] deep, every string
/// escape a character. Refusing here keeps an oversized or pathological payload out of the
/// spool, out of every retry and out of the results the plugin reads back.
pub(crate) fn check_payload(payload: &[u8], limit: usize) -> Result<()> {
    if payload.len() > limit {
        return Err(Error::TooLarge { what: "the payload", size: payload.len(), limit });
    }
    let first = payload.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Error::NotObject("the payload must be a JSON object ({…})".into()));
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(payload)
        .map_err(|e| Error::Json(format!("the payload is not valid JSON: {e}")))?;
    let depth = nesting_depth(payload);
    if depth > MAX_DEPTH {
        return Err(Error::TooDeep { depth, limit: MAX_DEPTH });
    }
    if let Some(at) = lone_surrogate(payload) {
        let escape = payload.get(at..at + 6).map(String::from_utf8_lossy).unwrap_or_default().into_owned();
        return Err(Error::LoneSurrogate { escape, at });
    }
    Ok(())
}

/// Where `json` (already known to be valid) has a `\uXXXX` escape that is half of a UTF-16
/// surrogate pair without the other half, if anywhere. JSON's grammar lets it through, but it
/// stands for no character: PHP's `json_decode` refuses the whole text holding it, so one such
/// payload would make every batch of results that carries it unreadable to the plugin.
fn lone_surrogate(json: &[u8]) -> Option<usize> {
    // Valid JSON has four hex digits after every `\u`.
    let unit = |at: usize| {
        json.get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u16::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    let (mut i, mut in_str) = (0usize, false);
    while i < json.len() {
        match json[i] {
            b'"' => {
                in_str = !in_str;
                i += 1;
            }
            b'\\' if in_str && json.get(i + 1) == Some(&b'u') => match unit(i + 2) {
                0xD800..=0xDBFF => {
                    let low_follows =
                        json.get(i + 6..i + 8) == Some(&b"\\u"[..]) && (0xDC00..=0xDFFF).contains(&unit(i + 8));
                    if !low_follows {
                        return Some(i);
                    }
                    i += 12;
                }
                0xDC00..=0xDFFF => return Some(i),
                _ => i += 6,
            },
            b'\\' if in_str => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Deepest nesting of objects and arrays accepted in a payload.
pub const MAX_DEPTH: usize = 64;

/// How deeply `json` (already known to be valid) nests objects and arrays.
fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn sync_dir(dir: &std::path::Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::spool(format!("syncing {}", dir.display()), e))
}

fn leader_alive(pid: u32) -> bool {
    pid != 0 && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The process-wide engine the C API uses.
static GLOBAL: Mutex<Option<Arc<Engine>>> = Mutex::new(None);

/// Starts the process-wide engine, or keeps the running one if `settings_json` is unchanged
/// (so calling it on every request is cheap). Different settings replace the engine.
pub fn init_global(settings_json: &[u8]) -> Result<()> {
    let mut g = lock(&GLOBAL);
    if let Some(e) = g.as_ref() {
        if e.pid == std::process::id() && e.raw_settings == settings_json {
            return Ok(());
        }
        // Refuse bad settings before stopping an engine that works.
        Settings::from_json(settings_json)?;
        if e.pid == std::process::id() {
            let _ = e.shutdown(Duration::ZERO);
        } else {
            e.abandon_after_fork();
        }
    }
    *g = None;
    *g = Some(Engine::start(settings_json)?);
    Ok(())
}

/// The process-wide engine; restarted in a forked child (new pid, no threads).
pub fn global() -> Result<Arc<Engine>> {
    let mut g = lock(&GLOBAL);
    let e = g.as_ref().ok_or(Error::NotInitialized)?.clone();
    if e.pid == std::process::id() {
        return Ok(e);
    }
    e.abandon_after_fork();
    let fresh = Engine::start(&e.raw_settings)?;
    *g = Some(fresh.clone());
    Ok(fresh)
}

/// At process exit: if this process is delivering, stop starting attempts, record the ones in
/// flight (briefly) and hand leadership over, so the next leader does not repeat them.
pub fn stop_at_exit() {
    let e = match GLOBAL.try_lock() {
        Ok(g) => g.clone(),
        Err(_) => return,
    };
    if let Some(e) = e.filter(|e| e.pid == std::process::id()) {
        let _ = e.shutdown(Duration::ZERO);
    }
}

/// Stops and forgets the process-wide engine.
pub fn shutdown_global(timeout: Duration) -> Result<()> {
    let e = lock(&GLOBAL).take();
    match e {
        Some(e) if e.pid == std::process::id() => e.shutdown(timeout),
        Some(e) => {
            e.abandon_after_fork();
            Ok(())
        }
        None => Err(Error::NotInitialized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_depth_ignores_brackets_in_strings() {
        assert_eq!(nesting_depth(br#"{"a":"[[[{{\"]]","b":[1,{"c":[]}]}"#), 4);
        assert_eq!(nesting_depth(b"{}"), 1);
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert!(check_payload(deep.as_bytes(), 1 << 20).unwrap_err().to_string().contains("nests 71 levels"));
    }

    #[test]
    fn payload_limits_hold_at_their_edges() {
        let sized = |n: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(n - 8)).into_bytes();
        assert_eq!(sized(100).len(), 100);
        assert!(check_payload(&sized(100), 100).is_ok(), "exactly the limit is accepted");
        assert_eq!(
            check_payload(&sized(101), 100).unwrap_err().to_string(),
            "too large: the payload is 101 bytes, the limit is 100 bytes"
        );
        let nested = |levels: usize| format!("{{\"a\":{}{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1));
        assert!(check_payload(nested(MAX_DEPTH).as_bytes(), 1 << 20).is_ok(), "exactly the depth limit is accepted");
        let too_deep = check_payload(nested(MAX_DEPTH + 1).as_bytes(), 1 << 20).unwrap_err();
        assert_eq!(
            (too_deep.kind(), too_deep.to_string().as_str()),
            ("too_deep", "json: the payload nests 65 levels deep, the limit is 64")
        );
        assert_eq!(check_payload(b" [1]", 1 << 20).unwrap_err().kind(), "not_object");
        assert_eq!(check_payload(b"{\"a\":", 1 << 20).unwrap_err().kind(), "invalid_json");
        // Far past any recursion limit, within the size limit: refused with the same words,
        // without exhausting the stack.
        let deep = nested(500_000);
        assert!(deep.len() < 1 << 20);
        assert_eq!(
            check_payload(deep.as_bytes(), 1 << 20).unwrap_err().to_string(),
            "json: the payload nests 500000 levels deep, the limit is 64"
        );
        // The size is checked first: a payload both too large and too deep is too large.
        assert!(
            matches!(check_payload(deep.as_bytes(), 1000), Err(Error::TooLarge { size, limit: 1000, .. }) if size == deep.len())
        );
    }

    #[test]
    fn lone_surrogate_escapes_are_refused_and_pairs_accepted() {
        let refused = [
            (r#"{"a":"\ud83d"}"#, 6),
            (r#"{"a":"x\ude00"}"#, 7),
            (r#"{"a":"\ud83d\u0041"}"#, 6),
            (r#"{"a":"\ude00\ud83d"}"#, 6),
            (r#"{"\ud83dk":1}"#, 2),
            (r#"{"a":"\ud83d\ude00\ud83d"}"#, 18),
        ];
        for (json, at) in refused {
            assert_eq!(lone_surrogate(json.as_bytes()), Some(at), "{json}");
            let err = check_payload(json.as_bytes(), 1 << 20).unwrap_err();
            assert_eq!(err.kind(), "lone_surrogate");
            let err = err.to_string();
            assert!(
                err.starts_with("json: the payload has \\u")
                    && err.contains(&format!("at byte {at}, half of a UTF-16")),
                "{err}"
            );
        }
        for json in [
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\\ud83d"}"#,
            r#"{"a":"\u00e9\uFFFF","\ud800\udc00":[]}"#,
            "{\"a\":\"\u{1F600}\"}",
        ] {
            assert_eq!(lone_surrogate(json.as_bytes()), None, "{json}");
            assert!(check_payload(json.as_bytes(), 1 << 20).is_ok(), "{json}");
        }
    }

    #[test]
    fn verdicts_become_the_documented_json() {
        let ips = |l: &[&str]| l.iter().map(|a| a.parse().unwrap()).collect::<Vec<_>>();
        assert_eq!(
            verdict_json(&Verdict::Admitted(ips(&["93.184.216.34", "2606:4700::1111"]))),
            json!({"ok": true, "kind": "ok", "addresses": ["93.184.216.34", "2606:4700::1111"]})
        );
        let refusal = crate::ssrf::Refusal { ip: "::1".parse().unwrap(), range: "loopback" };
        let refused = Verdict::Refused { refusal, addresses: ips(&["::1", "127.0.0.1"]) };
        assert_eq!(
            verdict_json(&refused),
            json!({"ok": false, "kind": "ssrf_refused", "address": "::1", "range": "loopback",
                "reason": "ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it", "addresses": ["::1", "127.0.0.1"]})
        );
        assert_eq!(
            verdict_json(&Verdict::Unresolved("could not resolve a.invalid: x".into())),
            json!({"ok": null, "kind": "dns", "reason": "could not resolve a.invalid: x"})
        );
    }
}
