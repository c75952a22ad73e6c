//! The receiver-fault matrix: for each way a receiver can misbehave, a real engine (short
//! timeouts, a 1 s retry schedule without jitter) delivers to a misbehaving receiver on
//! 127.0.0.1 and, beside it, to a healthy endpoint hearing the same event plus a steady stream
//! of ticks. Each fault asserts what the engine did with the bad receiver and that the healthy
//! neighbour's deliveries did not wait. One test runs the matrix and prints a table; the memory
//! fault runs alone first, so the process's RSS is its own.
//!
//! Timeouts are real here (a receiver that hangs can only be timed out by the wall clock), so
//! this file runs on the system clock; schedule logic with a driven clock is in tests/delivery.rs.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use multisite_webhooks::Engine;
use serde_json::Value;

/// The engine's total timeout per attempt in this file.
const TIMEOUT_MS: i64 = 2_000;
/// Short timeouts, three attempts one second apart, no jitter, `Retry-After` clamped at 3 s.
const FAST: &str = r#""connect_timeout_ms":500,"request_timeout_ms":2000,"retry_schedule_s":[1,1],"retry_jitter":0,"retry_after_max_s":3"#;
/// The healthy neighbour's slowest delivery must stay under this (a faulty attempt that held it
/// up would cost at least the 2 s timeout).
const NEIGHBOUR_MAX: Duration = Duration::from_secs(1);
/// How often the neighbour hears a tick while the fault plays out.
const TICK: Duration = Duration::from_millis(25);
const FAULTY: u64 = 1;
const HEALTHY: u64 = 2;
const T: Duration = Duration::from_secs(20);
/// Events larger than this (fault 8's 8 MB) take their own transfer time to the neighbour too,
/// so their delay is bounded apart, at twice [`NEIGHBOUR_MAX`]; the ticks around them still
/// show whether the fault held anything up.
const BIG_EVENT: usize = 1 << 20;

/// The healthy neighbour's figures for one fault.
#[derive(Debug, Clone)]
struct Neighbour {
    deliveries: usize,
    p99: Duration,
    max: Duration,
    /// The event of the slowest delivery (`order` or `tick`).
    slowest: String,
    /// How long the neighbour's copy of an event over [`BIG_EVENT`] took, if one was sent.
    big: Option<Duration>,
}

/// What one fault did.
struct Report {
    happened: String,
    attempts: usize,
    neighbour: Neighbour,
}

/// An engine with a faulty endpoint (hears `order`) and a healthy one (hears `order` and
/// `tick`), ticks emitted every [`TICK`] until [`Run::finish`].
struct Run {
    engine: Arc<Engine>,
    healthy: Server,
    /// When each numbered event the neighbour hears was emitted (index = `n` in its payload).
    sent: Arc<Mutex<Vec<Instant>>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
    faulty: Vec<Value>,
    neighbour: Vec<Value>,
}

impl Run {
    fn start(name: &str, faulty_url: &str, extra: &str) -> Run {
        let healthy = Server::start(|_, _| ok());
        let mut s = FAST.to_string();
        if !extra.is_empty() {
            s.push(',');
            s.push_str(extra);
        }
        let engine = Engine::start(settings(&spool_dir(&format!("fault-{name}")), &s).as_bytes()).unwrap();
        let healthy_url = healthy.url("/healthy");
        engine
            .configure(
                snapshot(1, &[(FAULTY, faulty_url, &["order"]), (HEALTHY, &healthy_url, &["order", "tick"])])
                    .as_bytes(),
            )
            .unwrap();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (e, s2, st) = (engine.clone(), sent.clone(), stop.clone());
        let ticker = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                emit_numbered(&e, &s2, "tick", 0);
                std::thread::sleep(TICK);
            }
        });
        // A few ticks first, so connections and threads are warm before the fault.
        let run = Run { engine, healthy, sent, stop, ticker: Some(ticker), faulty: Vec::new(), neighbour: Vec::new() };
        run.healthy.wait_for(3, T);
        run
    }

    /// Emits `order` (both endpoints hear it), padded with `pad` bytes; returns its id.
    fn order(&self, pad: usize) -> String {
        emit_numbered(&self.engine, &self.sent, "order", pad)
    }

    /// Takes (and acknowledges) the results written so far, sorting them by endpoint.
    fn collect(&mut self) {
        let (batch, _) = take_once(&self.engine);
        for r in batch.attempts {
            if r["endpoint_id"] == FAULTY {
                self.faulty.push(r);
            } else {
                self.neighbour.push(r);
            }
        }
    }

    /// The faulty endpoint's results once the last one is final (not `retrying`).
    fn until_final(&mut self) -> Vec<Value> {
        let end = Instant::now() + T;
        loop {
            self.collect();
            if self.faulty.last().is_some_and(|r| r["outcome"] != "retrying") || Instant::now() >= end {
                return self.faulty.clone();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the ticks and checks the neighbour: every event it hears arrived once, at its first
    /// attempt, and none waited [`NEIGHBOUR_MAX`] or more.
    fn finish(&mut self) -> Neighbour {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.ticker.take() {
            t.join().unwrap();
        }
        let sent = self.sent.lock().unwrap().clone();
        let got = self.healthy.wait_for(sent.len(), T);
        let end = Instant::now() + T;
        while self.neighbour.len() < sent.len() && Instant::now() < end {
            self.collect();
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut times = vec![0usize; sent.len()];
        let mut delays = Vec::with_capacity(got.len());
        let mut slowest = (Duration::ZERO, String::new());
        let mut big = None;
        for r in &got {
            let n = r.json()["n"].as_u64().expect("numbered payload") as usize;
            times[n] += 1;
            let d = r.at.saturating_duration_since(sent[n]);
            if r.body.len() > BIG_EVENT {
                // Its own transfer is what it waits for, not the fault: bounded apart.
                big = Some(d);
                continue;
            }
            if d >= slowest.0 {
                slowest = (d, r.header("x-webhook-event").to_string());
            }
            delays.push(d);
        }
        let missing: Vec<usize> = (0..sent.len()).filter(|n| times[*n] != 1).collect();
        assert!(
            missing.is_empty(),
            "the neighbour must get each of its {} events once; wrong count for {missing:?}",
            sent.len()
        );
        let retried: Vec<&Value> =
            self.neighbour.iter().filter(|r| r["outcome"] != "delivered" || r["attempt"] != 1).collect();
        assert!(
            retried.is_empty(),
            "the neighbour's deliveries all succeed at once: {}",
            brief(&retried.into_iter().cloned().collect::<Vec<_>>())
        );
        assert_eq!(self.neighbour.len(), sent.len(), "one result per neighbour delivery");
        delays.sort();
        let max = *delays.last().unwrap();
        let p99 = delays[(delays.len() * 99).div_ceil(100) - 1];
        assert!(
            max < NEIGHBOUR_MAX,
            "the neighbour waited {max:?} for a {} (p99 {p99:?}) while the fault played out",
            slowest.1
        );
        if let Some(b) = big {
            assert!(b < 2 * NEIGHBOUR_MAX, "the neighbour's copy of the big event took {b:?}");
        }
        Neighbour { deliveries: sent.len(), p99, max, slowest: slowest.1, big }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        let _ = self.engine.shutdown(Duration::ZERO);
    }
}

/// Emits `event` with a payload numbered by its index in `sent`, recording when it was emitted.
fn emit_numbered(engine: &Engine, sent: &Mutex<Vec<Instant>>, event: &str, pad: usize) -> String {
    let n = {
        let mut s = sent.lock().unwrap();
        s.push(Instant::now());
        s.len() - 1
    };
    let payload =
        if pad == 0 { format!(r#"{{"n":{n}}}"#) } else { format!(r#"{{"n":{n},"pad":"{}"}}"#, "x".repeat(pad)) };
    sent.lock().unwrap()[n] = Instant::now();
    engine.emit(event, payload.as_bytes()).unwrap()
}

fn outcomes(r: &[Value]) -> Vec<&str> {
    r.iter().map(|x| x["outcome"].as_str().unwrap_or("?")).collect()
}

/// The results in one line each, without headers and payloads (for assertion messages).
fn brief(r: &[Value]) -> String {
    r.iter()
        .map(|x| {
            format!(
                "[#{} {} status={} error={} kind={} {}ms next={}]",
                x["attempt"],
                x["outcome"],
                x["status"],
                x["error"],
                x["error_kind"],
                x["duration_ms"],
                x["next_attempt_at"]
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How long the engine decided to wait after an attempt: next_attempt_at − its end.
fn wait_ms(r: &Value) -> i64 {
    r["next_attempt_at"].as_i64().unwrap() - r["started_at"].as_i64().unwrap() - r["duration_ms"].as_i64().unwrap()
}

/// Seconds between consecutive instants.
fn gaps(at: &[Instant]) -> Vec<f64> {
    at.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect()
}

fn fmt_gaps(g: &[f64]) -> String {
    g.iter().map(|s| format!("{s:.2}s")).collect::<Vec<_>>().join(",")
}

/// Asserts `r` is attempts 1..=n of one delivery, all `retrying` but the last, `last`.
fn assert_retried_then(r: &[Value], n: usize, last: &str) {
    let mut want = vec!["retrying"; n - 1];
    want.push(last);
    assert_eq!(outcomes(r), want, "{}", brief(r));
    for (i, x) in r.iter().enumerate() {
        assert_eq!(x["attempt"], i + 1, "{}", brief(r));
        assert_eq!(x["event_id"], r[0]["event_id"], "one event");
    }
    assert!(r[n - 1]["next_attempt_at"].is_null(), "nothing after the last attempt: {}", brief(r));
}

/// Checks that no further attempt is coming: once the leader's figures, written after the last
/// result was read, show nothing retrying or parked (the neighbour's ticks are delivered at
/// once), no attempt or result came after the last.
fn assert_no_more(run: &mut Run, count: impl Fn() -> usize, n: usize) {
    let seen_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let end = Instant::now() + T;
    loop {
        let stats: Value = serde_json::from_str(&run.engine.stats()).unwrap();
        if stats["stats_updated_at"].as_i64().unwrap_or(0) > seen_at && stats["retrying"] == 0 && stats["parked"] == 0 {
            break;
        }
        assert!(Instant::now() < end, "the faulty endpoint still has deliveries waiting: {stats}");
        std::thread::sleep(Duration::from_millis(10));
    }
    run.collect();
    assert_eq!(count(), n, "no attempt after the last");
    assert_eq!(run.faulty.len(), n, "no result after the last: {}", brief(&run.faulty));
}

// ---------------------------------------------------------------------------------------------

/// Fault 1: 500 every time: retried on the schedule, then failed when attempts run out.
fn f1_always_500() -> Report {
    let server = Server::start(|_, _| status(500));
    let mut run = Run::start("500", &server.url("/"), "");
    let id = run.order(0);
    let r = run.until_final();
    assert_retried_then(&r, 3, "failed");
    assert_eq!(r[0]["event_id"], id.as_str());
    for x in &r {
        assert_eq!(x["status"], 500, "{}", brief(&r));
        assert_eq!(x["error_kind"], "http_status", "{}", brief(&r));
        assert_eq!(x["response_excerpt"], "status 500");
    }
    for x in &r[..2] {
        let w = wait_ms(x);
        assert!((1_000..1_500).contains(&w), "the schedule says 1 s, no jitter: waited {w} ms");
    }
    let got = server.requests();
    assert_eq!(got.len(), 3);
    let attempts: Vec<&str> = got.iter().map(|s| s.header("x-webhook-attempt")).collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    assert!(got.iter().all(|s| s.header("webhook-id") == id), "one webhook-id across retries");
    let g = gaps(&got.iter().map(|s| s.at).collect::<Vec<_>>());
    assert!(g.iter().all(|s| (0.95..1.6).contains(s)), "attempts 1 s apart: {g:?}");
    assert_no_more(&mut run, || server.count(), 3);
    let stats: Value = serde_json::from_str(&run.engine.stats()).unwrap();
    assert_eq!(stats["failed"], 1, "{stats}");
    let neighbour = run.finish();
    Report {
        happened: format!("500,500,500 → {}; gaps {}", outcomes(&r).join(","), fmt_gaps(&g)),
        attempts: r.len(),
        neighbour,
    }
}

/// Fault 2: 429 (then 503) with Retry-After: the next attempt waits Retry-After instead of the
/// schedule's 1 s, in seconds or as an HTTP date, clamped to retry_after_max_s (3 s here).
fn f2_429_retry_after() -> Report {
    let server = Server::start(|_, n| match n {
        0 => Reply::Status(429, vec![("Retry-After".into(), "2".into())], vec![]),
        // An HTTP date 100 s ahead, on a 503 this time.
        1 => Reply::Status(
            503,
            vec![(
                "Retry-After".into(),
                httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(100)),
            )],
            vec![],
        ),
        _ => ok(),
    });
    let mut run = Run::start("429", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_eq!(outcomes(&r), ["retrying", "retrying", "delivered"], "{}", brief(&r));
    assert_eq!(
        (r[0]["status"].as_u64(), r[1]["status"].as_u64(), r[2]["status"].as_u64()),
        (Some(429), Some(503), Some(200))
    );
    assert_eq!(r[0]["response_headers"]["retry-after"], "2");
    let (w1, w2) = (wait_ms(&r[0]), wait_ms(&r[1]));
    assert!((2_000..2_500).contains(&w1), "Retry-After: 2 replaces the 1 s schedule: waited {w1} ms");
    assert!(
        (3_000..3_500).contains(&w2),
        "Retry-After: <date in 100 s> is clamped to retry_after_max_s = 3: waited {w2} ms"
    );
    let g = gaps(&server.requests().iter().map(|s| s.at).collect::<Vec<_>>());
    assert_eq!(g.len(), 2);
    assert!((1.95..2.6).contains(&g[0]) && (2.95..3.6).contains(&g[1]), "receiver saw attempts {g:?} apart");
    let neighbour = run.finish();
    Report {
        happened: format!(
            "429 RA 2 → next after {:.2}s; 503 RA date+100s → {:.2}s (clamp 3); 200 delivered",
            g[0], g[1]
        ),
        attempts: r.len(),
        neighbour,
    }
}

/// Fault 3: 410 Gone: the endpoint is disabled (the result says why) and gets nothing more.
fn f3_gone() -> Report {
    let server = Server::start(|_, _| status(410));
    let mut run = Run::start("410", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_eq!(outcomes(&r), ["failed"], "{}", brief(&r));
    assert_eq!(r[0]["status"], 410);
    let why = r[0]["endpoint_disabled"].as_str().unwrap_or("").to_string();
    assert!(why.contains("410 Gone"), "the result says why: {why:?}");
    // A later event is not sent to it (the neighbour still gets it).
    run.order(0);
    assert_no_more(&mut run, || server.count(), 1);
    let stats: Value = serde_json::from_str(&run.engine.stats()).unwrap();
    assert!(stats["endpoints_disabled"]["1"].as_str().unwrap_or("").contains("410"), "{stats}");
    let neighbour = run.finish();
    Report { happened: format!("failed, disabled: {:.45}…; 2nd event not sent", why), attempts: r.len(), neighbour }
}

/// Reads the first bytes of a request and closes with the rest unread: the kernel answers with
/// a RST, not a FIN.
fn reset_mid_request(mut conn: TcpStream) {
    let mut b = [0u8; 16];
    let _ = conn.read_exact(&mut b);
    // Make sure more of the request has arrived (and stays unread) before closing.
    let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = conn.peek(&mut b);
}

/// Fault 4: The connection reset mid-request (RST with the request half read) or closed before any
/// response (FIN after reading it): a network error, retried.
fn f4_reset() -> Report {
    let server = RawServer::start(|conn, n, _| {
        if n % 2 == 0 {
            reset_mid_request(conn);
        } else {
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let _ = read_request(&mut r);
        }
    });
    let mut run = Run::start("reset", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_retried_then(&r, 3, "failed");
    let errors: Vec<&str> = r.iter().map(|x| x["error"].as_str().unwrap_or("")).collect();
    assert!(r.iter().all(|x| x["status"].is_null()), "{}", brief(&r));
    assert!(errors.iter().all(|e| e.starts_with("network:")), "{errors:?}");
    assert!(r.iter().all(|x| x["error_kind"] == "network"), "{}", brief(&r));
    assert!(r.iter().all(|x| x["duration_ms"].as_i64().unwrap() < 1_000), "fails fast: {}", brief(&r));
    let g = gaps(&server.accepted());
    assert!(g.iter().all(|s| (0.95..1.6).contains(s)), "{g:?}");
    assert_no_more(&mut run, || server.count(), 3);
    let neighbour = run.finish();
    let mut distinct: Vec<&str> = Vec::new();
    for e in &errors {
        if !distinct.contains(e) {
            distinct.push(e);
        }
    }
    Report {
        happened: format!("{} → {}", distinct.join(" / "), outcomes(&r).join(",")), attempts: r.len(), neighbour
    }
}

/// Fault 5: The receiver answers 200 only after the total timeout: a timeout error, retried; the
/// late 200 never counts.
fn f5_late_answer() -> Report {
    let server = Server::start(|_, _| Reply::After(Duration::from_millis(3_000), Box::new(ok())));
    let mut run = Run::start("late", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_retried_then(&r, 3, "failed");
    for x in &r {
        assert!(x["status"].is_null(), "{}", brief(&r));
        assert!(x["error"].as_str().unwrap_or("").starts_with("timeout:"), "{}", brief(&r));
        assert_eq!(x["error_kind"], "timeout", "{}", brief(&r));
        let d = x["duration_ms"].as_i64().unwrap();
        assert!((TIMEOUT_MS - 100..TIMEOUT_MS + 800).contains(&d), "ends at the total timeout: {d} ms");
    }
    let g = gaps(&server.requests().iter().map(|s| s.at).collect::<Vec<_>>());
    assert!(g.iter().all(|s| (2.9..3.8).contains(s)), "timeout + 1 s apart: {g:?}");
    assert_no_more(&mut run, || server.count(), 3);
    let neighbour = run.finish();
    let d: Vec<String> = r.iter().map(|x| format!("{}ms", x["duration_ms"])).collect();
    Report {
        happened: format!(
            "{} after {} → {}",
            r[0]["error"].as_str().unwrap_or(""),
            d.join(","),
            outcomes(&r).join(",")
        ),
        attempts: r.len(),
        neighbour,
    }
}

/// 6a. 200 and a chunked body that never ends: the engine keeps 20 KB, drains a bounded amount
/// and hangs up; the status line was 2xx, so the event is delivered.
fn f6a_endless_chunked() -> Report {
    let server = Server::start(|_, _| Reply::EndlessBody);
    let mut run = Run::start("endless", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_eq!(outcomes(&r), ["delivered"], "{}", brief(&r));
    let x = &r[0];
    assert_eq!(x["status"], 200);
    assert!(x["error"].is_null(), "{}", brief(&r));
    assert_eq!(x["response_excerpt"].as_str().unwrap().len(), 20 * 1024);
    assert_eq!(x["response_truncated"], true);
    let d = x["duration_ms"].as_i64().unwrap();
    assert!(d < TIMEOUT_MS, "ends before the total timeout: {d} ms");
    assert_no_more(&mut run, || server.count(), 1);
    let neighbour = run.finish();
    Report { happened: format!("delivered in {d}ms; excerpt 20480 B, truncated"), attempts: r.len(), neighbour }
}

/// 6b. 200 with a Content-Length far larger than what comes, the rest trickling a byte every
/// 50 ms (so no single read times out): the attempt ends at the total timeout; the status line
/// was 2xx, so it is delivered, with the body error noted and the excerpt bounded.
fn f6b_short_body_trickle() -> Report {
    let server = RawServer::start(|conn, _, stop| {
        let mut r = BufReader::new(conn.try_clone().unwrap());
        if read_request(&mut r).is_none() {
            return;
        }
        let mut w = conn;
        let _ = w.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000000\r\n\r\n");
        let _ = w.write_all(&[b'a'; 1000]);
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
            if w.write_all(b"a").is_err() {
                return;
            }
        }
    });
    let mut run = Run::start("trickle", &server.url("/"), "");
    run.order(0);
    let r = run.until_final();
    assert_eq!(outcomes(&r), ["delivered"], "{}", brief(&r));
    let x = &r[0];
    assert_eq!(x["status"], 200);
    let d = x["duration_ms"].as_i64().unwrap();
    assert!((TIMEOUT_MS - 100..TIMEOUT_MS + 800).contains(&d), "ends at the total timeout: {d} ms");
    let err = x["error"].as_str().unwrap_or("");
    assert!(err.starts_with("response body:") && err.contains("imeout"), "the body error is noted: {err:?}");
    assert_eq!(x["error_kind"], "response_body", "a 2xx whose body failed: still delivered, and said so");
    let excerpt = x["response_excerpt"].as_str().unwrap().len();
    assert!((1_000..1_100).contains(&excerpt), "what came, and no more: {excerpt} B");
    assert_no_more(&mut run, || server.count(), 1);
    let neighbour = run.finish();
    Report {
        happened: format!("delivered, error {err:?} after {d}ms; excerpt {excerpt} B"),
        attempts: r.len(),
        neighbour,
    }
}

const BIG: u64 = 50 << 20;

/// The figure `field` (kB) of /proc/self/status, in bytes.
fn proc_status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line[field.len()..].trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
}

/// Fault 7: A 50 MB response body: the engine keeps its 20 KB excerpt, reads a bounded amount more,
/// hangs up, and the process's memory does not grow by anything like 50 MB.
fn f7_50mb_body() -> Report {
    let written = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (w2, d2) = (written.clone(), done.clone());
    let server = RawServer::start(move |conn, _, _| {
        let mut r = BufReader::new(conn.try_clone().unwrap());
        if read_request(&mut r).is_some() {
            let mut w = conn;
            let head =
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {BIG}\r\n\r\n");
            if w.write_all(head.as_bytes()).is_ok() {
                // Streamed from one small buffer: the receiver's memory is not the engine's.
                let chunk = vec![b'z'; 64 * 1024];
                let mut sent = 0u64;
                while sent < BIG {
                    match w.write(&chunk[..chunk.len().min((BIG - sent) as usize)]) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => sent += n as u64,
                    }
                    w2.store(sent, Ordering::SeqCst);
                }
            }
        }
        d2.store(true, Ordering::SeqCst);
    });
    let mut run = Run::start("50mb", &server.url("/"), "");
    // Not a wait for the engine: the baseline is taken once the first ticks' buffers and
    // connections exist, so only the fault's own memory is measured after it.
    std::thread::sleep(Duration::from_millis(200));
    let before = proc_status("VmRSS:");
    // Peak RSS from here on: the kernel's high-water mark, reset now if allowed, and samples.
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(before));
    let sampler = {
        let (s, p) = (sampling.clone(), peak.clone());
        std::thread::spawn(move || {
            while s.load(Ordering::SeqCst) {
                p.fetch_max(proc_status("VmRSS:"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    run.order(0);
    let r = run.until_final();
    let end = Instant::now() + Duration::from_secs(5);
    while !done.load(Ordering::SeqCst) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    sampling.store(false, Ordering::SeqCst);
    sampler.join().unwrap();
    let mut top = peak.load(Ordering::SeqCst);
    if hwm_reset {
        top = top.max(proc_status("VmHWM:"));
    }
    let growth = top.saturating_sub(before);
    assert!(growth < 20 << 20, "RSS grew {} MB reading a 50 MB body", growth >> 20);
    assert_eq!(outcomes(&r), ["delivered"], "{}", brief(&r));
    let x = &r[0];
    assert_eq!(x["status"], 200);
    assert!(x["error"].is_null(), "{}", brief(&r));
    assert_eq!(x["response_excerpt"].as_str().unwrap().len(), 20 * 1024);
    assert_eq!(x["response_truncated"], true);
    let d = x["duration_ms"].as_i64().unwrap();
    assert!(d < TIMEOUT_MS, "ends before the total timeout: {d} ms");
    assert!(done.load(Ordering::SeqCst), "the engine hung up: the receiver's writes ended");
    let pushed = written.load(Ordering::SeqCst);
    assert!(
        pushed < BIG,
        "the engine stopped reading long before 50 MB (the receiver pushed {pushed} B, kernel buffers included)"
    );
    assert_no_more(&mut run, || server.count(), 1);
    let neighbour = run.finish();
    Report {
        happened: format!(
            "delivered in {d}ms; excerpt 20480 B; receiver pushed {:.1}/50 MB; RSS +{:.1} MB ({})",
            pushed as f64 / 1048576.0,
            growth as f64 / 1048576.0,
            if hwm_reset { "VmHWM" } else { "VmRSS samples" }
        ),
        attempts: r.len(),
        neighbour,
    }
}

/// Fault 8: The receiver accepts the connection and never reads or answers, with a payload (8 MB)
/// larger than the socket buffers absorb, so the engine's write itself stalls: a timeout,
/// retried. Once the engine gave up, the receiver reads what reached it, to show the request
/// never went out whole.
fn f8_never_reads() -> Report {
    const PAD: usize = 8 << 20;
    let drain = Arc::new(AtomicBool::new(false));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (dr, rc) = (drain.clone(), received.clone());
    let server = RawServer::start(move |mut conn, _, stop| {
        while !stop.load(Ordering::SeqCst) && !dr.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
        let (mut total, mut buf) = (0usize, vec![0u8; 64 * 1024]);
        while let Ok(n @ 1..) = conn.read(&mut buf) {
            total += n;
        }
        rc.lock().unwrap().push(total);
    });
    let mut run = Run::start("noread", &server.url("/"), r#""max_payload_bytes":16777216"#);
    run.order(PAD);
    let r = run.until_final();
    assert_retried_then(&r, 3, "failed");
    for x in &r {
        assert!(x["status"].is_null(), "{}", brief(&r));
        assert!(x["error"].as_str().unwrap_or("").starts_with("timeout:"), "{}", brief(&r));
        let d = x["duration_ms"].as_i64().unwrap();
        assert!((TIMEOUT_MS - 100..TIMEOUT_MS + 800).contains(&d), "ends at the total timeout: {d} ms");
    }
    let g = gaps(&server.accepted());
    assert!(g.iter().all(|s| (2.9..3.8).contains(s)), "timeout + 1 s apart: {g:?}");
    assert_no_more(&mut run, || server.count(), 3);
    drain.store(true, Ordering::SeqCst);
    let end = Instant::now() + Duration::from_secs(5);
    while received.lock().unwrap().len() < 3 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "three connections drained");
    assert!(
        got.iter().all(|n| *n > 0 && *n < PAD),
        "each attempt stalled part-way through the body: {got:?} bytes reached the receiver"
    );
    let neighbour = run.finish();
    let own = neighbour.big.expect("the neighbour got the 8 MB event too").as_millis();
    let mb: Vec<String> = got.iter().map(|n| format!("{:.1}", *n as f64 / 1048576.0)).collect();
    Report {
        happened: format!(
            "{} → {}; wrote {}/8 MB before stalling; neighbour's own 8 MB copy {own}ms",
            r[0]["error"].as_str().unwrap_or(""),
            outcomes(&r).join(","),
            mb.join(",")
        ),
        attempts: r.len(),
        neighbour,
    }
}

// ---------------------------------------------------------------------------------------------

struct Fault {
    id: &'static str,
    name: &'static str,
    expected: &'static str,
    run: fn() -> Report,
}

const FAULTS: &[Fault] = &[
    Fault { id: "1", name: "500 every time", expected: "retried 1 s apart, then failed", run: f1_always_500 },
    Fault {
        id: "2",
        name: "429 / 503 Retry-After",
        expected: "waits RA 2 s; RA date +100 s → 3 s max",
        run: f2_429_retry_after,
    },
    Fault { id: "3", name: "410 Gone", expected: "failed, endpoint disabled, no more sent", run: f3_gone },
    Fault { id: "4", name: "reset mid-request / close", expected: "network error, retried, failed", run: f4_reset },
    Fault {
        id: "5",
        name: "answers after the timeout",
        expected: "timeout at 2 s, retried, failed",
        run: f5_late_answer,
    },
    Fault {
        id: "6a",
        name: "200 + endless chunked body",
        expected: "delivered, 20 KB excerpt, < 2 s",
        run: f6a_endless_chunked,
    },
    Fault {
        id: "6b",
        name: "200 + short body, trickle",
        expected: "ends at 2 s, delivered, error noted",
        run: f6b_short_body_trickle,
    },
    Fault { id: "7", name: "200 + 50 MB body", expected: "20 KB kept, RSS +< 20 MB", run: f7_50mb_body },
    Fault { id: "8", name: "accepts, never reads", expected: "timeout at 2 s, retried, failed", run: f8_never_reads },
];

fn run_one(f: &Fault) -> (Result<Report, String>, Duration) {
    let t = Instant::now();
    let res = std::panic::catch_unwind(f.run).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    });
    (res, t.elapsed())
}

#[test]
fn receiver_fault_matrix() {
    let started = Instant::now();
    // The memory fault alone first: the process's RSS must be its own.
    let (alone, rest): (Vec<&Fault>, Vec<&Fault>) = FAULTS.iter().partition(|f| f.id == "7");
    let mut done: Vec<(&Fault, Result<Report, String>, Duration)> = alone
        .into_iter()
        .map(|f| {
            let (r, d) = run_one(f);
            (f, r, d)
        })
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = rest.iter().map(|f| (*f, s.spawn(move || run_one(f)))).collect();
        for (f, h) in handles {
            let (r, d) = h.join().unwrap();
            done.push((f, r, d));
        }
    });
    done.sort_by_key(|(f, _, _)| FAULTS.iter().position(|g| g.id == f.id));

    let mut table = String::new();
    table.push_str(&format!(
        "\nreceiver-fault matrix ({:.1} s wall; neighbour bound {:?})\n",
        started.elapsed().as_secs_f64(),
        NEIGHBOUR_MAX
    ));
    table.push_str(&format!(
        "{:<3} {:<27} {:<40} {:<4} {:<27} {:>5} {}\n",
        "#", "fault", "expected", "att", "neighbour max / p99 (n)", "time", "what happened"
    ));
    for (f, r, d) in &done {
        match r {
            Ok(rep) => table.push_str(&format!(
                "{:<3} {:<27} {:<40} {:<4} {:<27} {:>4.1}s {}\n",
                f.id,
                f.name,
                f.expected,
                rep.attempts,
                format!(
                    "{}ms {} / {}ms ({})",
                    rep.neighbour.max.as_millis(),
                    rep.neighbour.slowest,
                    rep.neighbour.p99.as_millis(),
                    rep.neighbour.deliveries
                ),
                d.as_secs_f64(),
                rep.happened
            )),
            Err(e) => table.push_str(&format!(
                "{:<3} {:<27} {:<40} {:<4} {:<27} {:>4.1}s FAILED: {}\n",
                f.id,
                f.name,
                f.expected,
                "-",
                "-",
                d.as_secs_f64(),
                e.replace('\n', " ")
            )),
        }
    }
    eprintln!("{table}");
    let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-matrix.txt"), &table);
    let failed: Vec<&str> = done.iter().filter(|(_, r, _)| r.is_err()).map(|(f, _, _)| f.id).collect();
    assert!(failed.is_empty(), "faults {failed:?} did not behave as expected (table above)");
}

#[test]
fn rst_mid_request_really_is_a_reset() {
    // The fixture of fault 4 must produce what it claims: a client sees ECONNRESET, not EOF.
    let server = RawServer::start(|conn, _, _| reset_mid_request(conn));
    let mut c = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    c.write_all(
        b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 8\r\n\r\n{\"n\":12}",
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    let err = c.read(&mut buf).map(|n| format!("read {n} bytes")).unwrap_or_else(|e| format!("{:?}", e.kind()));
    assert_eq!(err, "ConnectionReset");
}
