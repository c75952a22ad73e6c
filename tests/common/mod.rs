//! Test fixtures: a real HTTP/1.1 server on 127.0.0.1:0 with scriptable faults, and helpers to
//! start an engine on a fresh spool.
#![allow(dead_code, reason = "each test binary uses its own part of these helpers")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, extra headers, body.
    Status(u16, Vec<(String, String)>, Vec<u8>),
    /// Wait, then answer.
    After(Duration, Box<Reply>),
    /// Close the connection without answering.
    Reset,
    /// Accept and never answer (until the client gives up).
    Hang,
    /// Send headers, then a body that never ends.
    EndlessBody,
}

pub fn ok() -> Reply {
    Reply::Status(200, vec![], b"ok".to_vec())
}
pub fn status(code: u16) -> Reply {
    Reply::Status(code, vec![], format!("status {code}").into_bytes())
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A local HTTP server recording every request.
pub struct Server {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server answering with `handler(request, n)` where n counts requests from 0.
    pub fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let count = Arc::new(AtomicUsize::new(0));
        let (s2, st2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st2.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (h, s, c, st) = (handler.clone(), s2.clone(), count.clone(), st2.clone());
                std::thread::spawn(move || serve(conn, h, s, c, st));
            }
        });
        Server { port, seen, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Waits until at least `n` requests arrived, or `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Seen> {
        let end = Instant::now() + timeout;
        while self.count() < n && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.requests()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    conn: TcpStream, handler: Arc<Handler>, seen: Arc<Mutex<Vec<Seen>>>, count: Arc<AtomicUsize>, stop: Arc<AtomicBool>,
) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let req = Seen { method, path, headers, body, at: Instant::now() };
        let n = count.fetch_add(1, Ordering::SeqCst);
        seen.lock().unwrap().push(req.clone());
        let mut reply = handler(&req, n);
        loop {
            match reply {
                Reply::After(d, r) => {
                    std::thread::sleep(d);
                    reply = *r;
                }
                Reply::Reset => return,
                Reply::Hang => {
                    while !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                        if conn.write(b"").is_err() {
                            return;
                        }
                        // End when the client hung up.
                        conn.set_nonblocking(true).ok();
                        let mut b = [0u8; 1];
                        if let Ok(0) = reader.get_mut().peek(&mut b) {
                            return;
                        }
                        conn.set_nonblocking(false).ok();
                    }
                    return;
                }
                Reply::EndlessBody => {
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
                    );
                    let chunk = format!("{:x}\r\n{}\r\n", 1024, "x".repeat(1024));
                    let end = Instant::now() + Duration::from_secs(60);
                    while Instant::now() < end && !stop.load(Ordering::SeqCst) {
                        if conn.write_all(chunk.as_bytes()).is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    return;
                }
                Reply::Status(code, extra, body) => {
                    let mut head = format!("HTTP/1.1 {code} X\r\ncontent-length: {}\r\n", body.len());
                    for (k, v) in extra {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let mut all = head.into_bytes();
                    all.extend_from_slice(&body);
                    if conn.write_all(&all).is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// A fresh spool directory under the target dir.
pub fn spool_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("spool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Settings JSON for tests: fast polling, loopback allowed, short schedule unless given.
pub fn settings(spool: &std::path::Path, extra: &str) -> String {
    let mut s = format!(
        r#"{{"spool_dir":{},"ssrf_allow":["127.0.0.1"],"poll_interval_ms":10"#,
        serde_json::to_string(spool).unwrap()
    );
    if !extra.is_empty() {
        s.push(',');
        s.push_str(extra);
    }
    s.push('}');
    s
}

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A snapshot JSON with endpoints (id, url, events).
pub fn snapshot(version: u64, endpoints: &[(u64, &str, &[&str])]) -> String {
    let eps: Vec<serde_json::Value> = endpoints
        .iter()
        .map(|(id, url, events)| {
            serde_json::json!({
                "id": id, "url": url, "events": events, "secrets": [SECRET]
            })
        })
        .collect();
    serde_json::json!({"version": version, "endpoints": eps}).to_string()
}

/// What takes handed out: event entries and attempt results, in journal order.
#[derive(Debug, Default)]
pub struct Taken {
    pub events: Vec<serde_json::Value>,
    pub attempts: Vec<serde_json::Value>,
}

/// One take with the default limits, acknowledged: (the answer's events and attempts, `more`).
pub fn take_once(engine: &multisite_webhooks::Engine) -> (Taken, bool) {
    let answer: serde_json::Value = serde_json::from_str(&engine.take_results(0, 0).unwrap()).unwrap();
    engine.ack_results(answer["ack"].as_str().expect("an ack token")).unwrap();
    let list = |k: &str| answer[k].as_array().unwrap_or_else(|| panic!("{k} is a list: {answer}")).clone();
    (Taken { events: list("events"), attempts: list("attempts") }, answer["more"] == true)
}

/// Takes (and acknowledges) until at least `n` attempt results arrived (or `timeout`),
/// returning every event entry and attempt result taken.
pub fn take_all_until(engine: &multisite_webhooks::Engine, n: usize, timeout: Duration) -> Taken {
    let end = Instant::now() + timeout;
    let mut all = Taken::default();
    loop {
        let (batch, more) = take_once(engine);
        all.events.extend(batch.events);
        all.attempts.extend(batch.attempts);
        if more {
            continue;
        }
        if all.attempts.len() >= n || Instant::now() >= end {
            return all;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Takes results until at least `n` attempt results arrived (or `timeout`), returning the
/// attempt results taken.
pub fn take_until(engine: &multisite_webhooks::Engine, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
    take_all_until(engine, n, timeout).attempts
}

/// A port on 127.0.0.1 where nothing listens (the discard port; checked, not assumed).
pub fn closed_port() -> u16 {
    let refused = TcpStream::connect_timeout(&"127.0.0.1:9".parse().unwrap(), Duration::from_secs(1))
        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
    assert!(refused, "something listens on 127.0.0.1:9; these tests need it closed");
    9
}

/// A TCP server on 127.0.0.1:0 that hands each accepted connection, unparsed, to a script: for
/// faults below HTTP (resets mid-request, stalls, bodies streamed without holding them in memory).
pub struct RawServer {
    pub port: u16,
    accepted: Arc<Mutex<Vec<Instant>>>,
    stop: Arc<AtomicBool>,
}

/// What a [`RawServer`] runs for each connection: `(connection, n, stop)`.
type RawScript = dyn Fn(TcpStream, usize, &AtomicBool) + Send + Sync;

impl RawServer {
    /// Starts a server running `script(connection, n, stop)` on a thread of its own for each
    /// connection, n counting connections from 0. `stop` turns true when the server is dropped,
    /// so a script that stalls can end.
    pub fn start(script: impl Fn(TcpStream, usize, &AtomicBool) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<RawScript> = Arc::new(script);
        let (acc, st) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let n = {
                    let mut a = acc.lock().unwrap();
                    a.push(Instant::now());
                    a.len() - 1
                };
                let (script, st) = (script.clone(), st.clone());
                std::thread::spawn(move || script(conn, n, &st));
            }
        });
        RawServer { port, accepted, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// When each connection was accepted.
    pub fn accepted(&self) -> Vec<Instant> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one request (request line, headers, `Content-Length` body) from `r`; `None` when the
/// peer hung up or sent something else.
pub fn read_request(r: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen { method, path, headers, body, at: Instant::now() })
}
