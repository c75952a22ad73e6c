//! The exported C functions, called as PHP calls them, in any order, with arbitrary bytes,
//! invalid UTF-8, NULL pointers (with any length) and half-NULL out-parameters. Every call
//! must return a status its doc comment lists, leave out-parameters untouched on failure, and
//! leave a `hooks_last_error` message and `hooks_last_error_kind` that are empty after a
//! success and otherwise start with the failure's family and name one of its kinds. Where the engine's own checks say what the answer must be
//! (emit, configure, configured_version, check_url on an address), it must be exactly that.
//! 7 (not initialized) and 9 (spool I/O) count as failures: the engine is started and its
//! spool is on a healthy disk. A panic inside the engine aborts the run before `catch_unwind`
//! can turn it into status 99 (libFuzzer's panic hook), so it is reported as a crash.
//!
//! The engine is started once per process on a scratch spool. Nothing here reaches the
//! network: every endpoint it can be configured with is `127.0.0.1:1`, where nothing listens
//! (checked at start), `hooks_check_url` is only given URLs whose host is an IP literal (no
//! name lookups), and `hooks_init` is only given settings it refuses (valid ones would move
//! the spool anywhere at all).

#![no_main]

use std::ffi::{c_char, CStr};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::ptr;
use std::sync::{Mutex, Once};
use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use multisite_webhooks::config::{check_event, check_url, Snapshot};
use multisite_webhooks::ffi::*;
use multisite_webhooks::fuzzing::check_payload;
use multisite_webhooks::settings::Settings;
use serde_json::{json, Value};

/// The closed port every endpoint points at.
const CLOSED: &str = "127.0.0.1:1";
/// `max_payload_bytes` of the engine under test: small enough that inputs cross it.
const MAX_PAYLOAD: usize = 2048;
/// Slugs the endpoints of the first snapshot hear.
const EVENTS: [&str; 4] = ["site_created", "user_registered", "wu:payment.received-2", "nobody.hears-this"];
/// A valid signing secret.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The settings `hooks_init` got, and the newest snapshot version applied (None: none yet).
struct State {
    settings: String,
    version: Option<u64>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Starts the engine of this process on a scratch spool with the first snapshot, once.
fn start() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let addr: SocketAddr = CLOSED.parse().expect("a socket address");
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            other => panic!("something answers on {CLOSED} ({other:?}); these targets need it closed"),
        }
        let dir = std::env::temp_dir().join(format!("mwh-fuzz-ffi-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = json!({
            "spool_dir": dir, "ssrf_allow": ["127.0.0.1"], "max_payload_bytes": MAX_PAYLOAD,
            "retry_schedule_s": [1], "retry_jitter": 0.0, "connect_timeout_ms": 200, "request_timeout_ms": 1000,
            "concurrency": 4, "results_max_bytes": 1 << 20,
        })
        .to_string();
        assert_eq!(hooks_init(settings.as_ptr().cast(), settings.len()), HOOKS_OK, "{}", last_error());
        *STATE.lock().unwrap() = Some(State { settings, version: None });
        assert_eq!(configure(first_snapshot(1).as_bytes(), true), (HOOKS_OK, Some(true)));
    });
}

/// The snapshot the engine starts with: endpoints that hear three of `EVENTS`, one of them in
/// the envelope format and signed, one inactive.
fn first_snapshot(version: u64) -> String {
    json!({"version": version, "endpoints": [
        {"id": 1, "url": format!("http://{CLOSED}/hook"), "events": [EVENTS[0], EVENTS[1]], "secrets": [SECRET]},
        {"id": 2, "url": format!("https://{CLOSED}/"), "events": ["*"], "active": false},
        {"id": 3, "url": format!("http://{CLOSED}/env"), "events": [EVENTS[2]], "format": "envelope", "revision": 4},
    ]})
    .to_string()
}

/// The newest snapshot version applied so far (0 before the first).
fn version() -> u64 {
    STATE.lock().unwrap().as_ref().and_then(|s| s.version).unwrap_or(0)
}

/// Whether a snapshot numbered `v` keeps the engine configurable: one applied near `u64::MAX`
/// would leave no newer version for the rest of the run, so big jumps are not made.
fn modest(v: u64) -> bool {
    v <= version().saturating_add(1 << 32)
}

/// The message `hooks_last_error` holds now.
fn last_error() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error()) }.to_string_lossy().into_owned()
}

/// What `hooks_last_error` starts with after a failure with `status`.
fn family(status: i32) -> &'static str {
    match status {
        HOOKS_ERR_NULL => "argument: ",
        HOOKS_ERR_UTF8 => "utf-8: ",
        HOOKS_ERR_JSON => "json: ",
        HOOKS_ERR_TOO_LARGE => "too large: ",
        HOOKS_ERR_SETTINGS => "settings: ",
        HOOKS_ERR_CONFIG => "config: ",
        HOOKS_ERR_NOT_INITIALIZED => "engine: ",
        HOOKS_ERR_EVENT => "event: ",
        HOOKS_ERR_SPOOL => "spool: ",
        HOOKS_ERR_TIMEOUT => "timeout: ",
        HOOKS_ERR_NOT_FOUND => "not found: ",
        _ => panic!("status {status} is not a documented one"),
    }
}

/// The kind `hooks_last_error_kind` holds now.
fn last_kind() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error_kind()) }.to_string_lossy().into_owned()
}

/// The kinds a failure with `status` may have.
fn kinds(status: i32) -> &'static [&'static str] {
    match status {
        HOOKS_ERR_NULL => &["null_argument"],
        HOOKS_ERR_UTF8 => &["invalid_utf8"],
        HOOKS_ERR_JSON => &["invalid_json", "not_object", "too_deep", "lone_surrogate"],
        HOOKS_ERR_TOO_LARGE => &["too_large"],
        HOOKS_ERR_SETTINGS => &["invalid_settings"],
        HOOKS_ERR_CONFIG => &["invalid_config", "invalid_url"],
        HOOKS_ERR_NOT_INITIALIZED => &["not_initialized"],
        HOOKS_ERR_EVENT => &["invalid_event"],
        HOOKS_ERR_SPOOL => &["spool"],
        HOOKS_ERR_TIMEOUT => &["timeout"],
        HOOKS_ERR_NOT_FOUND => &["not_found"],
        _ => panic!("status {status} is not a documented one"),
    }
}

/// Checks `status` against `allowed` (the failures the export documents that can happen here)
/// and the message and kind the call left; returns `status`.
fn check(call: &str, status: i32, allowed: &[i32]) -> i32 {
    let (msg, kind) = (last_error(), last_kind());
    assert!(status == HOOKS_OK || allowed.contains(&status), "{call}: undocumented status {status}: {msg}");
    if status == HOOKS_OK {
        assert_eq!((msg.as_str(), kind.as_str()), ("", ""), "{call}: a success leaves no message and no kind");
    } else {
        assert!(msg.starts_with(family(status)), "{call}: status {status} with message {msg:?}");
        assert!(kinds(status).contains(&kind.as_str()), "{call}: status {status} with kind {kind:?}");
    }
    status
}

/// A string argument: pointer and length, or NULL with any length.
#[derive(Debug, Arbitrary)]
enum Arg {
    Bytes(Vec<u8>),
    Null(usize),
}

impl Arg {
    fn raw(&self) -> (*const c_char, usize) {
        match self {
            Arg::Bytes(b) => (b.as_ptr().cast(), b.len()),
            Arg::Null(len) => (ptr::null(), *len),
        }
    }
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Arg::Bytes(b) => Some(b),
            Arg::Null(_) => None,
        }
    }
}

/// Which out-pointers a call gets.
#[derive(Debug, Arbitrary, Clone, Copy, PartialEq)]
enum Out {
    Both,
    Neither,
    OnlyString,
    OnlyLength,
}

/// An owned string coming back: (status, text if returned). Checks that out-parameters are
/// written together and only on success, that the length matches and the string ends in NUL.
fn owned(
    call: &str, out: Out, allowed: &[i32], f: impl FnOnce(*mut *mut c_char, *mut usize) -> i32,
) -> (i32, Option<String>) {
    let mut s: *mut c_char = ptr::null_mut();
    let mut len = usize::MAX;
    let status = f(
        if matches!(out, Out::Both | Out::OnlyString) { &mut s } else { ptr::null_mut() },
        if matches!(out, Out::Both | Out::OnlyLength) { &mut len } else { ptr::null_mut() },
    );
    check(call, status, allowed);
    if status != HOOKS_OK || out == Out::Neither {
        assert!(s.is_null() && len == usize::MAX, "{call}: out-parameters written on status {status}");
        return (status, None);
    }
    assert!(!s.is_null(), "{call}: no string on success");
    // SAFETY: returned by the library, NUL-terminated, with its length.
    let text = unsafe { CStr::from_ptr(s) }.to_str().expect("UTF-8 out").to_string();
    assert_eq!(text.len(), len, "{call}: length and NUL disagree");
    hooks_string_free(s);
    (status, Some(text))
}

/// Whether an engine given `snapshot` could only ever deliver to the closed port: refused
/// snapshots qualify (the engine refuses them with the same parser, before anything else).
fn stays_local(snapshot: &[u8]) -> bool {
    match Snapshot::from_json(snapshot) {
        Err(_) => true,
        Ok(s) => s
            .endpoints
            .values()
            .all(|e| check_url(&e.spec.url).is_ok_and(|u| u.host() == Some("127.0.0.1") && u.port_u16() == Some(1))),
    }
}

/// `hooks_configure`, with the answer checked against the parser and the versions seen so far.
/// Without `with_out` the answer's out-pointers are NULL: refused, nothing applied.
fn configure(snapshot: &[u8], with_out: bool) -> (i32, Option<bool>) {
    assert!(stays_local(snapshot));
    if !with_out {
        let status = hooks_configure(snapshot.as_ptr().cast(), snapshot.len(), ptr::null_mut(), ptr::null_mut());
        assert_eq!(check("hooks_configure", status, &[HOOKS_ERR_NULL]), HOOKS_ERR_NULL);
        return (status, None);
    }
    let parsed = Snapshot::from_json(snapshot);
    let (status, text) = owned("hooks_configure", Out::Both, &[HOOKS_ERR_UTF8, HOOKS_ERR_CONFIG], |s, len| {
        hooks_configure(snapshot.as_ptr().cast(), snapshot.len(), s, len)
    });
    let mut st = STATE.lock().unwrap();
    let Some(st) = st.as_mut() else { return (status, None) };
    match parsed {
        Ok(s) => {
            assert_eq!(status, HOOKS_OK, "a snapshot the parser accepts: {}", last_error());
            let answer: Value = serde_json::from_str(&text.expect("an answer on success")).expect("the answer is JSON");
            let newer = st.version.is_none_or(|v| s.version > v);
            assert_eq!(answer["applied"], newer, "version {} after {:?}", s.version, st.version);
            assert_eq!(answer["version"], s.version);
            assert_eq!(answer["endpoints"], s.endpoints.len());
            assert_eq!(answer["rejected"].as_array().map(Vec::len), Some(s.rejected.len()), "{answer}");
            if newer {
                st.version = Some(s.version);
            }
            (status, Some(newer))
        }
        Err(_) => {
            // Only valid UTF-8 comes here: the parser's refusal is the engine's.
            assert_eq!(status, HOOKS_ERR_CONFIG);
            assert_eq!(last_kind(), "invalid_config");
            (status, None)
        }
    }
}

/// The host part of a URL for `ip`.
#[derive(Debug, Arbitrary)]
enum Ip {
    V4([u8; 4]),
    V6([u16; 8]),
}

/// One endpoint of a snapshot built from parts; its URL is on the closed port (or invalid).
#[derive(Debug, Arbitrary)]
struct Ep {
    id: u8,
    https: bool,
    path: String,
    events: Vec<EventName>,
    secrets: Vec<SecretText>,
    active: bool,
    envelope: bool,
    revision: u64,
}

/// An event slug: one the first snapshot hears, `*`, or any text.
#[derive(Debug, Arbitrary)]
enum EventName {
    Known(u8),
    Any,
    Other(String),
}

impl EventName {
    fn text(&self) -> String {
        match self {
            EventName::Known(i) => EVENTS[usize::from(*i) % EVENTS.len()].to_string(),
            EventName::Any => "*".into(),
            EventName::Other(s) => s.clone(),
        }
    }
}

/// A signing secret: a valid one, or any text.
#[derive(Debug, Arbitrary)]
enum SecretText {
    Good,
    Other(String),
}

/// A payload: any bytes, a flat object, or an object nesting arrays `n` deep.
#[derive(Debug, Arbitrary)]
enum Payload {
    Raw(Vec<u8>),
    Object(Vec<(String, String)>),
    Deep(u16),
}

impl Payload {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Payload::Raw(b) => b.clone(),
            Payload::Object(f) => Value::Object(f.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect())
                .to_string()
                .into_bytes(),
            Payload::Deep(n) => {
                let n = usize::from(*n) % 1100;
                format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n)).into_bytes()
            }
        }
    }
}

/// One call.
#[derive(Debug, Arbitrary)]
enum Op {
    /// Any bytes as a snapshot (left out when they would point an endpoint elsewhere), with or
    /// without the answer's out-pointers.
    Configure {
        snapshot: Arg,
        with_out: bool,
    },
    /// A snapshot this much newer than the newest (0: the same version, not applied).
    ConfigureParts {
        newer_by: u8,
        endpoints: Vec<Ep>,
    },
    /// The first snapshot again, as the newest.
    ConfigureFirst,
    /// Any event and payload.
    Emit {
        event: Arg,
        payload: Arg,
        out: Out,
    },
    /// An event an endpoint may hear, so that it is written to the spool.
    EmitHeard {
        event: u8,
        payload: Payload,
    },
    /// Any bytes as a redelivery request.
    Redeliver(Arg),
    /// A redelivery request built from parts.
    RedeliverParts {
        event_id: String,
        endpoint_id: u8,
        event: EventName,
        payload: Payload,
        timestamp: Option<i64>,
    },
    /// A test send built from parts, to the closed port.
    SendTestParts {
        endpoint: Ep,
        event: EventName,
        payload: Payload,
        out: Out,
    },
    /// A take, acknowledged or not.
    TakeResults {
        max: u32,
        max_bytes: u32,
        out: Out,
        ack: bool,
    },
    /// Any bytes as an ack token.
    Ack(Arg),
    Stats(Out),
    ConfiguredVersion {
        null: bool,
    },
    /// Any bytes as a URL (asked as a path on an address when its host is a name).
    CheckUrl {
        url: Arg,
        out: Out,
    },
    /// A URL whose host is an address.
    CheckUrlIp {
        ip: Ip,
        port: Option<u16>,
        https: bool,
        rest: String,
    },
    /// A flush of at most 7 ms.
    Flush {
        ms: u8,
    },
    /// Settings the engine refuses.
    Init(Arg),
    /// The settings it runs with again (a no-op).
    InitAgain,
    FreeNull,
}

/// The snapshot JSON of one endpoint built from parts.
fn endpoint_json(e: &Ep) -> Value {
    let scheme = if e.https { "https" } else { "http" };
    json!({
        "id": e.id, "url": format!("{scheme}://{CLOSED}/{}", e.path),
        "events": e.events.iter().map(EventName::text).collect::<Vec<_>>(),
        "secrets": e.secrets.iter().map(|s| match s { SecretText::Good => SECRET.to_string(), SecretText::Other(t) => t.clone() }).collect::<Vec<_>>(),
        "active": e.active, "format": if e.envelope { "envelope" } else { "flat" }, "revision": e.revision,
    })
}

/// The status `hooks_emit` must return, from the engine's own checks in the order it applies them.
fn emit_status(event: Option<&[u8]>, payload: Option<&[u8]>, out: Out) -> Option<i32> {
    if matches!(out, Out::OnlyString | Out::OnlyLength) {
        return Some(HOOKS_ERR_NULL);
    }
    let Ok(event) = std::str::from_utf8(event?) else { return Some(HOOKS_ERR_UTF8) };
    let Some(payload) = payload else { return Some(HOOKS_ERR_NULL) };
    if std::str::from_utf8(payload).is_err() {
        return Some(HOOKS_ERR_UTF8);
    }
    if check_event(event).is_err() {
        return Some(HOOKS_ERR_EVENT);
    }
    match check_payload(payload, MAX_PAYLOAD) {
        Err(multisite_webhooks::Error::TooLarge { .. }) => Some(HOOKS_ERR_TOO_LARGE),
        Err(_) => Some(HOOKS_ERR_JSON),
        Ok(()) => Some(HOOKS_OK),
    }
}

/// `hooks_emit`, with the status the engine's own checks predict and the id's shape checked.
fn emit(event: &Arg, payload: &Arg, out: Out) {
    let (ev, ev_len) = event.raw();
    let (pl, pl_len) = payload.raw();
    let (status, id) = owned(
        "hooks_emit",
        out,
        &[HOOKS_ERR_NULL, HOOKS_ERR_UTF8, HOOKS_ERR_JSON, HOOKS_ERR_TOO_LARGE, HOOKS_ERR_EVENT],
        |s, len| hooks_emit(ev, ev_len, pl, pl_len, s, len),
    );
    let want = emit_status(event.bytes(), payload.bytes(), out).unwrap_or(HOOKS_ERR_NULL);
    assert_eq!(status, want, "hooks_emit: {}", last_error());
    if let Some(id) = id {
        assert!(id.len() == 30 && id.starts_with("msg_"), "event id {id:?}");
    }
}

/// Makes one call and checks what came back.
fn run(op: &Op) {
    match op {
        Op::Configure { snapshot, with_out } => match snapshot.bytes() {
            Some(b) if !stays_local(b) || Snapshot::from_json(b).is_ok_and(|s| !modest(s.version)) => {}
            Some(b) if std::str::from_utf8(b).is_ok() => {
                configure(b, *with_out);
            }
            _ => {
                let (p, len) = snapshot.raw();
                let (status, _) = owned("hooks_configure", Out::Both, &[HOOKS_ERR_NULL, HOOKS_ERR_UTF8], |s, l| {
                    hooks_configure(p, len, s, l)
                });
                let want = if snapshot.bytes().is_none() { HOOKS_ERR_NULL } else { HOOKS_ERR_UTF8 };
                assert_eq!(status, want);
            }
        },
        Op::ConfigureParts { newer_by, endpoints } => {
            let v = version().saturating_add(u64::from(*newer_by));
            let s =
                json!({"version": v, "endpoints": endpoints.iter().map(endpoint_json).collect::<Vec<_>>()}).to_string();
            if stays_local(s.as_bytes()) {
                configure(s.as_bytes(), true);
            }
        }
        Op::ConfigureFirst => {
            configure(first_snapshot(version().saturating_add(1)).as_bytes(), true);
        }
        Op::Emit { event, payload, out } => emit(event, payload, *out),
        Op::EmitHeard { event, payload } => {
            let ev = Arg::Bytes(EVENTS[usize::from(*event) % EVENTS.len()].as_bytes().to_vec());
            emit(&ev, &Arg::Bytes(payload.bytes()), Out::Both);
        }
        Op::Redeliver(req) => {
            let (p, len) = req.raw();
            check(
                "hooks_redeliver",
                hooks_redeliver(p, len),
                &[
                    HOOKS_ERR_NULL,
                    HOOKS_ERR_UTF8,
                    HOOKS_ERR_JSON,
                    HOOKS_ERR_TOO_LARGE,
                    HOOKS_ERR_EVENT,
                    HOOKS_ERR_NOT_FOUND,
                ],
            );
        }
        Op::RedeliverParts { event_id, endpoint_id, event, payload, timestamp } => {
            let mut req = format!(
                r#"{{"event_id":{},"endpoint_id":{endpoint_id},"event":{},"payload":"#,
                Value::from(event_id.as_str()),
                Value::from(event.text())
            );
            req.push_str(&String::from_utf8_lossy(&payload.bytes()));
            if let Some(t) = timestamp {
                req.push_str(&format!(r#","timestamp":{t}"#));
            }
            req.push('}');
            check(
                "hooks_redeliver",
                hooks_redeliver(req.as_ptr().cast(), req.len()),
                &[HOOKS_ERR_JSON, HOOKS_ERR_TOO_LARGE, HOOKS_ERR_EVENT, HOOKS_ERR_NOT_FOUND],
            );
        }
        Op::SendTestParts { endpoint, event, payload, out } => {
            let ep = endpoint_json(endpoint);
            let on_closed_port = check_url(ep["url"].as_str().unwrap_or_default())
                .map_or(true, |u| u.host() == Some("127.0.0.1") && u.port_u16() == Some(1));
            if !on_closed_port {
                return;
            }
            let mut req = format!(r#"{{"endpoint":{ep},"event":{},"payload":"#, Value::from(event.text()));
            req.push_str(&String::from_utf8_lossy(&payload.bytes()));
            req.push('}');
            // The one endpoint is on the closed port (a second one is a duplicate field): a
            // refused connection at most.
            let (status, text) = owned(
                "hooks_send_test",
                *out,
                &[HOOKS_ERR_NULL, HOOKS_ERR_JSON, HOOKS_ERR_TOO_LARGE, HOOKS_ERR_CONFIG, HOOKS_ERR_EVENT],
                |s, len| hooks_send_test(req.as_ptr().cast(), req.len(), s, len),
            );
            if let Some(text) = text {
                let v: Value = serde_json::from_str(&text).expect("send_test returns JSON");
                assert_eq!(v["ok"], false, "nothing listens on {CLOSED}: {v}");
                assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
            }
            assert!(status != HOOKS_OK || matches!(out, Out::Both | Out::Neither));
        }
        Op::TakeResults { max, max_bytes, out, ack } => {
            let (_, text) = owned("hooks_take_results", *out, &[HOOKS_ERR_NULL], |s, len| {
                hooks_take_results(*max, *max_bytes, s, len)
            });
            if let Some(text) = text {
                let v: Value = serde_json::from_str(&text).expect("the take answer is JSON");
                let (events, attempts) =
                    (v["events"].as_array().expect("events"), v["attempts"].as_array().expect("attempts"));
                let cap = if *max == 0 { 1000 } else { (*max as usize).min(10_000) };
                let budget = if *max_bytes == 0 { 4 << 20 } else { (*max_bytes as usize).clamp(64 << 10, 64 << 20) };
                assert!(events.len() + attempts.len() <= cap);
                assert!(
                    text.len() <= budget || events.len() + attempts.len() == 1,
                    "{} bytes over {budget}",
                    text.len()
                );
                assert!(attempts.iter().all(|r| r["attempt_id"].is_string() && r.get("payload").is_none()), "{text}");
                assert!(events.iter().all(|e| e["event_id"].is_string() && e["payload"].is_string()), "{text}");
                assert!(v["more"].is_boolean() && v["dropped"].is_u64(), "{text}");
                let token = v["ack"].as_str().expect("an ack token");
                if *ack {
                    check("hooks_ack_results", hooks_ack_results(token.as_ptr().cast(), token.len()), &[]);
                }
            }
        }
        Op::Ack(token) => {
            let (p, len) = token.raw();
            check("hooks_ack_results", hooks_ack_results(p, len), &[HOOKS_ERR_NULL, HOOKS_ERR_UTF8, HOOKS_ERR_JSON]);
        }
        Op::Stats(out) => {
            let (_, text) = owned("hooks_stats", *out, &[HOOKS_ERR_NULL], |s, len| hooks_stats(s, len));
            if let Some(text) = text {
                let v: Value = serde_json::from_str(&text).expect("stats are JSON");
                // SAFETY: a static NUL-terminated string.
                let ours = unsafe { CStr::from_ptr(hooks_version()) }.to_str().expect("UTF-8 version");
                assert_eq!(v["version"], ours);
            }
        }
        Op::ConfiguredVersion { null } => {
            let mut v = u64::MAX;
            let status = hooks_configured_version(if *null { ptr::null_mut() } else { &mut v });
            check("hooks_configured_version", status, &[HOOKS_ERR_NULL]);
            if !*null {
                assert_eq!(v, version());
            }
        }
        Op::CheckUrl { url, out } => {
            let (p, len) = url.raw();
            let safe = match url.bytes().map(std::str::from_utf8) {
                None | Some(Err(_)) => true,
                Some(Ok(s)) => check_url(s).map_or(true, |u| u.host().is_some_and(|h| ip_literal(h).is_some())),
            };
            if safe {
                owned("hooks_check_url", *out, &[HOOKS_ERR_NULL, HOOKS_ERR_UTF8, HOOKS_ERR_CONFIG], |s, l| {
                    hooks_check_url(p, len, s, l)
                });
            } else {
                // A name would be looked up: ask about it as a path on a literal host instead.
                let url = format!("http://{CLOSED}/{}", String::from_utf8_lossy(url.bytes().unwrap_or_default()));
                if check_url(&url).map_or(true, |u| u.host() == Some("127.0.0.1")) {
                    owned("hooks_check_url", *out, &[HOOKS_ERR_NULL, HOOKS_ERR_CONFIG], |s, l| {
                        hooks_check_url(url.as_ptr().cast(), url.len(), s, l)
                    });
                }
            }
        }
        Op::CheckUrlIp { ip, port, https, rest } => {
            let addr = match ip {
                Ip::V4(o) => IpAddr::V4(Ipv4Addr::from(*o)),
                Ip::V6(s) => IpAddr::V6(Ipv6Addr::from(*s)),
            };
            let host = match addr {
                IpAddr::V4(a) => a.to_string(),
                IpAddr::V6(a) => format!("[{a}]"),
            };
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let url = format!("{}://{host}{port}/{rest}", if *https { "https" } else { "http" });
            if !check_url(&url).map_or(true, |u| u.host().is_some_and(|h| ip_literal(h).is_some())) {
                return;
            }
            let (status, text) = owned("hooks_check_url", Out::Both, &[HOOKS_ERR_CONFIG], |s, l| {
                hooks_check_url(url.as_ptr().cast(), url.len(), s, l)
            });
            if let Some(text) = text {
                let v: Value = serde_json::from_str(&text).expect("check_url returns JSON");
                assert!(v["ok"].is_boolean(), "an address needs no lookup, so the answer is yes or no: {v}");
                assert_eq!(v["addresses"], json!([addr.to_string()]), "{url}");
            }
            assert!(status == HOOKS_OK || check_url(&url).is_err(), "{url}: {}", last_error());
        }
        Op::Flush { ms } => {
            check("hooks_flush", hooks_flush(u32::from(*ms % 8)), &[HOOKS_ERR_TIMEOUT]);
        }
        Op::Init(settings) => {
            // Only settings the engine refuses: valid ones would move the spool anywhere at all.
            if settings.bytes().is_some_and(|b| Settings::from_json(b).is_ok()) {
                return;
            }
            let (p, len) = settings.raw();
            let want = match settings.bytes().map(std::str::from_utf8) {
                None => HOOKS_ERR_NULL,
                Some(Err(_)) => HOOKS_ERR_UTF8,
                Some(Ok(_)) => HOOKS_ERR_SETTINGS,
            };
            assert_eq!(check("hooks_init", hooks_init(p, len), &[want]), want);
        }
        Op::InitAgain => {
            let s = STATE.lock().unwrap().as_ref().expect("started").settings.clone();
            check("hooks_init", hooks_init(s.as_ptr().cast(), s.len()), &[]);
        }
        Op::FreeNull => hooks_string_free(ptr::null_mut()),
    }
}

/// The address a URL host names literally (`127.0.0.1`, `[::1]`), as the SSRF guard reads it.
fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

fuzz_target!(|ops: Vec<Op>| {
    start();
    for op in ops.iter().take(64) {
        run(op);
    }
});
