//! The exported C functions called with raw pointers, as PHP calls them.

mod common;

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::Once;
use std::time::Duration;

use common::*;
use multisite_webhooks::ffi::*;

static INIT: Once = Once::new();

fn init() {
    INIT.call_once(|| {
        let s = settings(&spool_dir("ffi"), r#""max_payload_bytes":4096"#);
        assert_eq!(hooks_init(s.as_ptr().cast(), s.len()), HOOKS_OK, "{}", last_error());
        // Same bytes again: a cheap no-op.
        assert_eq!(hooks_init(s.as_ptr().cast(), s.len()), HOOKS_OK);
    });
}

fn last_error() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error()) }.to_string_lossy().into_owned()
}

fn last_kind() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error_kind()) }.to_string_lossy().into_owned()
}

/// An owned string returned through `out`/`len` by `f`: the status and the text (freed here).
/// Checks that nothing is written on failure.
fn owned(f: impl FnOnce(*mut *mut c_char, *mut usize) -> i32) -> (i32, Option<String>) {
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = usize::MAX;
    let s = f(&mut out, &mut len);
    if s != HOOKS_OK {
        assert!(out.is_null() && len == usize::MAX, "out-params untouched on status {s}");
        return (s, None);
    }
    assert!(!out.is_null());
    // SAFETY: a string returned by the library with its length, NUL-terminated.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    assert_eq!(text.len(), len);
    hooks_string_free(out);
    (s, Some(text))
}

fn emit(ev: &[u8], pl: &[u8]) -> (i32, Option<String>) {
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    let s = hooks_emit(ev.as_ptr().cast(), ev.len(), pl.as_ptr().cast(), pl.len(), &mut out, &mut len);
    if out.is_null() {
        assert_eq!(len, 0, "length untouched when no string is returned");
        return (s, None);
    }
    // SAFETY: a string returned by the library with its length.
    let id = unsafe { std::str::from_utf8(std::slice::from_raw_parts(out.cast::<u8>(), len)).unwrap().to_string() };
    hooks_string_free(out);
    (s, Some(id))
}

/// `hooks_check_url` on `url`: the status and, on success, the result JSON (freed here).
fn check_url(url: &[u8]) -> (i32, Option<serde_json::Value>) {
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    let s = hooks_check_url(url.as_ptr().cast(), url.len(), &mut out, &mut len);
    if out.is_null() {
        assert_eq!(len, 0, "length untouched when no string is returned");
        return (s, None);
    }
    // SAFETY: a string returned by the library with its length.
    let v = serde_json::from_slice(unsafe { std::slice::from_raw_parts(out.cast::<u8>(), len) }).unwrap();
    hooks_string_free(out);
    (s, Some(v))
}

/// `hooks_configure`: the status and the answer JSON.
fn configure(json: &str) -> (i32, Option<serde_json::Value>) {
    let (s, text) = owned(|out, len| hooks_configure(json.as_ptr().cast(), json.len(), out, len));
    (s, text.map(|t| serde_json::from_str(&t).unwrap()))
}

/// `hooks_take_results`: the status and the answer JSON.
fn take(max: u32, max_bytes: u32) -> (i32, Option<serde_json::Value>) {
    let (s, text) = owned(|out, len| hooks_take_results(max, max_bytes, out, len));
    (s, text.map(|t| serde_json::from_str(&t).unwrap()))
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(hooks_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

fn status_name(code: i32) -> String {
    // SAFETY: never NULL; static.
    unsafe { CStr::from_ptr(hooks_status_name(code)) }.to_string_lossy().into_owned()
}

#[test]
fn every_status_has_its_name_and_others_are_unknown() {
    let named: Vec<(i32, String)> = (-1..=256).map(|c| (c, status_name(c))).filter(|(_, n)| n != "unknown").collect();
    let table: Vec<(i32, String)> = STATUSES.iter().map(|(c, n, _)| (*c, n.to_string_lossy().into_owned())).collect();
    assert_eq!(named, table);
    assert_eq!(status_name(HOOKS_ERR_NOT_FOUND), "not_found");
    assert_eq!(status_name(HOOKS_OK), "ok");
    // The name is the kind the status's failures carry (when they have only one).
    init();
    assert_eq!(hooks_emit(ptr::null(), 0, ptr::null(), 0, ptr::null_mut(), ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(last_kind(), status_name(HOOKS_ERR_NULL));
    assert_eq!(emit(b"bad slug!", b"{}").0, HOOKS_ERR_EVENT);
    assert_eq!(last_kind(), status_name(HOOKS_ERR_EVENT));
}

#[test]
fn the_readme_status_table_is_the_engines() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<(i32, String)> = readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?.parse().ok()?;
            let first_kind = cells.get(2)?.split(',').next()?.trim().trim_matches('`');
            Some((code, if code == 0 { "ok".to_string() } else { first_kind.to_string() }))
        })
        .collect();
    let table: Vec<(i32, String)> = STATUSES.iter().map(|(c, n, _)| (*c, n.to_string_lossy().into_owned())).collect();
    assert_eq!(rows, table, "README.md's table of statuses and kinds lists every status, its name first");
}

#[test]
fn null_pointers_are_refused_and_out_params_untouched() {
    init();
    let pl = "{}";
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 99usize;
    assert_eq!(hooks_emit(ptr::null(), 3, pl.as_ptr().cast(), pl.len(), &mut out, &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: event is NULL");
    assert_eq!(hooks_emit("e".as_ptr().cast(), 1, ptr::null(), 0, &mut out, &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: payload is NULL");
    assert_eq!(hooks_emit("e".as_ptr().cast(), 1, pl.as_ptr().cast(), 2, &mut out, ptr::null_mut()), HOOKS_ERR_NULL);
    assert!(out.is_null() && len == 99);
    assert_eq!(last_kind(), "null_argument");
    let id = "msg_01M8T687KAP89K6PGEEXQJNCES";
    assert_eq!(hooks_emit_as("e".as_ptr().cast(), 1, ptr::null(), 0, pl.as_ptr().cast(), pl.len()), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: id is NULL");
    assert_eq!(hooks_emit_as("e".as_ptr().cast(), 1, id.as_ptr().cast(), id.len(), ptr::null(), 0), HOOKS_ERR_NULL);
    assert_eq!(
        hooks_emit_as("e".as_ptr().cast(), 1, "msg_x".as_ptr().cast(), 5, pl.as_ptr().cast(), pl.len()),
        HOOKS_ERR_JSON
    );
    assert_eq!(hooks_init(ptr::null(), 0), HOOKS_ERR_NULL);
    assert_eq!(hooks_configure(ptr::null(), 0, &mut out, &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: snapshot is NULL");
    let snap = snapshot(1, &[(1, "http://127.0.0.1:9/", &["e"])]);
    assert_eq!(hooks_configure(snap.as_ptr().cast(), snap.len(), ptr::null_mut(), &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: result_out or result_len_out is NULL");
    assert_eq!(hooks_configure(snap.as_ptr().cast(), snap.len(), &mut out, ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(hooks_configured_version(ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(hooks_stats(ptr::null_mut(), &mut len), HOOKS_ERR_NULL);
    assert_eq!(hooks_take_results(1, 0, &mut out, ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(hooks_take_results(1, 0, ptr::null_mut(), &mut len), HOOKS_ERR_NULL);
    assert_eq!(hooks_ack_results(ptr::null(), 0), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: token is NULL");
    assert_eq!(last_kind(), "null_argument");
    assert_eq!(hooks_send_test(ptr::null(), 0, &mut out, &mut len), HOOKS_ERR_NULL);
    assert_eq!(hooks_redeliver(ptr::null(), 0), HOOKS_ERR_NULL);
    assert_eq!(hooks_check_url(ptr::null(), 0, &mut out, &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: url is NULL");
    let url = "http://93.184.216.34/";
    assert_eq!(hooks_check_url(url.as_ptr().cast(), url.len(), ptr::null_mut(), &mut len), HOOKS_ERR_NULL);
    assert_eq!(last_error(), "argument: result_out or result_len_out is NULL");
    assert!(out.is_null() && len == 99, "out-params untouched on error");
    hooks_string_free(ptr::null_mut());
}

#[test]
fn bad_input_gets_its_own_status_and_a_readable_message() {
    init();
    let (s, _) = configure(&snapshot(1, &[(1, "http://127.0.0.1:9/", &["e"])]));
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    /// (event, payload, status, kind, message start)
    type Case = (&'static [u8], Vec<u8>, i32, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (
            b"e",
            b"{\"a\":\"\xff\"}".to_vec(),
            HOOKS_ERR_UTF8,
            "invalid_utf8",
            "utf-8: payload is not valid UTF-8 (at byte 6)",
        ),
        (b"e\xc3", b"{}".to_vec(), HOOKS_ERR_UTF8, "invalid_utf8", "utf-8: event is not valid UTF-8"),
        (
            b"e",
            b"{\"a\":".to_vec(),
            HOOKS_ERR_JSON,
            "invalid_json",
            "json: the payload is not valid JSON: EOF while parsing",
        ),
        (b"e", b"[1,2]".to_vec(), HOOKS_ERR_JSON, "not_object", "json: the payload must be a JSON object"),
        (
            b"e",
            format!("{{\"a\":\"{}\"}}", "x".repeat(5000)).into_bytes(),
            HOOKS_ERR_TOO_LARGE,
            "too_large",
            "too large: the payload is 5008 bytes, the limit is 4096 bytes",
        ),
        (b"", b"{}".to_vec(), HOOKS_ERR_EVENT, "invalid_event", "event: the event slug is empty"),
        (
            b"site created",
            b"{}".to_vec(),
            HOOKS_ERR_EVENT,
            "invalid_event",
            "event: the event slug \"site created\" has ' '",
        ),
        (
            b"e",
            format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            HOOKS_ERR_JSON,
            "not_object",
            "json: the payload must be a JSON object",
        ),
        (
            b"e",
            format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            HOOKS_ERR_JSON,
            "too_deep",
            "json: the payload nests 201 levels deep, the limit is 64",
        ),
        (
            b"e",
            br#"{"a":"\ud83d"}"#.to_vec(),
            HOOKS_ERR_JSON,
            "lone_surrogate",
            "json: the payload has \\ud83d at byte 6, half of a UTF-16 surrogate pair without the other half",
        ),
    ];
    for (ev, pl, want, kind, msg) in cases {
        let (got, id) = emit(ev, &pl);
        assert_eq!(got, want, "{:?}: {}", String::from_utf8_lossy(ev), last_error());
        assert!(id.is_none());
        assert!(last_error().starts_with(msg), "{:?} should start with {msg:?}", last_error());
        assert_eq!(last_kind(), kind, "{msg}");
    }
    let (s, id) = emit(b"e", b"{\"ok\":true}");
    assert_eq!(s, HOOKS_OK);
    assert!(id.unwrap().starts_with("msg_"));
    assert_eq!(last_error(), "", "a success clears the message");
    assert_eq!(last_kind(), "", "and the kind");
}

#[test]
fn redeliver_and_send_test_refuse_oversized_and_deeply_nested_payloads() {
    init();
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(5000));
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    let cases = [
        (&big, HOOKS_ERR_TOO_LARGE, "too large: the payload is 5008 bytes, the limit is 4096 bytes"),
        (&deep, HOOKS_ERR_JSON, "json: the payload nests 201 levels deep, the limit is 64"),
    ];
    for (payload, want, msg) in cases {
        let req = format!(r#"{{"event_id":"msg_X","endpoint_id":1,"event":"e","payload":{payload}}}"#);
        assert_eq!(hooks_redeliver(req.as_ptr().cast(), req.len()), want, "{}", last_error());
        assert_eq!(last_error(), msg);
        // Refused before any request is made (nothing listens on port 9 anyway).
        let req = format!(
            r#"{{"endpoint":{{"id":5,"url":"http://127.0.0.1:9/","events":["e"]}},"event":"e","payload":{payload}}}"#
        );
        let mut out: *mut c_char = ptr::null_mut();
        let mut len = 7usize;
        assert_eq!(hooks_send_test(req.as_ptr().cast(), req.len(), &mut out, &mut len), want, "{}", last_error());
        assert_eq!(last_error(), msg);
        assert!(out.is_null() && len == 7, "out-params untouched on error");
    }
}

#[test]
fn settings_and_snapshot_errors_name_the_field() {
    init();
    let bad = r#"{"spool_dir":"/tmp/x","retries":3}"#;
    assert_eq!(hooks_init(bad.as_ptr().cast(), bad.len()), HOOKS_ERR_SETTINGS);
    assert!(last_error().starts_with("settings: unknown field `retries`"), "{}", last_error());
    assert_eq!(last_kind(), "invalid_settings");
    // A bad endpoint is not a failure: it is left out and named in the answer.
    let (s, answer) = configure(r#"{"version":1,"endpoints":[{"id":1,"url":"ftp://x","events":["e"]}]}"#);
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    let answer = answer.unwrap();
    assert_eq!((&answer["endpoints"], &answer["version"]), (&serde_json::json!(0), &serde_json::json!(1)), "{answer}");
    assert_eq!(
        answer["rejected"],
        serde_json::json!([{"id": 1, "index": 0, "kind": "invalid_url", "code": "scheme",
        "field": "url", "detail": "url: the URL must start with http:// or https://"}])
    );
    // Only a document of the wrong shape fails, and nothing is written then.
    for doc in ["{\"version\":", r#"{"version":1}"#, r#"{"version":1,"endpoints":[],"extra":1}"#, "[1,[]]"] {
        let (s, answer) = configure(doc);
        assert_eq!((s, answer), (HOOKS_ERR_CONFIG, None), "{doc}");
        assert!(last_error().starts_with("config: "), "{}", last_error());
        assert_eq!(last_kind(), "invalid_config");
    }
    let bad = b"{\"version\":1,\"endpoints\":[\"\xff\"]}";
    let (s, _) = owned(|out, len| hooks_configure(bad.as_ptr().cast(), bad.len(), out, len));
    assert_eq!((s, last_kind().as_str()), (HOOKS_ERR_UTF8, "invalid_utf8"));
    // The engine survived the bad settings: it still accepts events.
    assert_eq!(emit(b"e", b"{}").0, HOOKS_OK);
}

#[test]
fn an_older_snapshot_is_not_applied() {
    init();
    let (s, answer) = configure(&snapshot(100, &[(1, "http://127.0.0.1:9/", &["e"])]));
    assert_eq!(
        (s, answer),
        (HOOKS_OK, Some(serde_json::json!({"applied": true, "version": 100, "endpoints": 1, "rejected": []})))
    );
    let (s, answer) = configure(&snapshot(50, &[(2, "http://127.0.0.1:9/", &["x"])]));
    assert_eq!(
        (s, answer),
        (HOOKS_OK, Some(serde_json::json!({"applied": false, "version": 50, "endpoints": 1, "rejected": []})))
    );
    let mut v = 0u64;
    assert_eq!(hooks_configured_version(&mut v), HOOKS_OK);
    assert!(v >= 100);
}

#[test]
fn owned_strings_come_back_as_json_and_free_cleanly() {
    init();
    for _ in 0..1000 {
        let mut out: *mut c_char = ptr::null_mut();
        let mut len = 0usize;
        assert_eq!(hooks_stats(&mut out, &mut len), HOOKS_OK);
        // SAFETY: returned by the library with its length; NUL-terminated as well.
        let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap();
        assert_eq!(s.len(), len);
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        hooks_string_free(out);
    }
}

#[test]
fn send_test_and_redeliver_through_the_c_api() {
    init();
    let server = Server::start(|_, _| Reply::Status(204, vec![], vec![]));
    let req = serde_json::json!({"endpoint": {"id": 5, "url": server.url("/t"), "events": ["e"], "secrets": [SECRET]},
        "event": "e", "payload": {"hello": "world"}})
    .to_string();
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    assert_eq!(hooks_send_test(req.as_ptr().cast(), req.len(), &mut out, &mut len), HOOKS_OK, "{}", last_error());
    // SAFETY: returned by the library.
    let r: serde_json::Value = serde_json::from_str(unsafe { CStr::from_ptr(out) }.to_str().unwrap()).unwrap();
    hooks_string_free(out);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["status"], 204);
    assert_eq!(r["reason"], "No Content");
    assert_eq!(server.count(), 1);
    assert_eq!(server.requests()[0].json()["hello"], "world");

    assert_eq!(r["error_kind"], serde_json::Value::Null);

    let unknown = r#"{"event_id":"msg_X","endpoint_id":424242,"event":"e","payload":{}}"#;
    assert_eq!(hooks_redeliver(unknown.as_ptr().cast(), unknown.len()), HOOKS_ERR_NOT_FOUND);
    assert_eq!(last_error(), "not found: endpoint 424242 is not in the configured snapshot");
    assert_eq!(last_kind(), "not_found");
    let bad = r#"{"event_id":"msg_X","endpoint_id":1}"#;
    assert_eq!(hooks_redeliver(bad.as_ptr().cast(), bad.len()), HOOKS_ERR_JSON);
    assert!(last_error().starts_with("json: missing field `event`"), "{}", last_error());
    assert_eq!(last_kind(), "invalid_json");
    // A URL breaking the rule in a test send is an invalid_url, the code in the message.
    let req = serde_json::json!({"endpoint": {"id": 5, "url": "http://a.example:0/", "events": ["e"]}, "event": "e", "payload": {}}).to_string();
    let (s, _) = owned(|out, len| hooks_send_test(req.as_ptr().cast(), req.len(), out, len));
    assert_eq!((s, last_kind().as_str()), (HOOKS_ERR_CONFIG, "invalid_url"));
    assert!(last_error().starts_with("config: endpoint.url: bad_port: "), "{}", last_error());
    assert_eq!(hooks_flush(5_000), HOOKS_OK);
    std::thread::sleep(Duration::from_millis(1));
}

#[test]
fn check_url_says_what_the_ssrf_guard_would_do() {
    init();
    // These settings allow 127.0.0.1, and nothing else that is not public.
    let (s, v) = check_url(b"http://127.0.0.1:8080/hook");
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    assert_eq!(v.unwrap(), serde_json::json!({"ok": true, "kind": "ok", "addresses": ["127.0.0.1"]}));
    assert_eq!(last_error(), "");
    let (s, v) = check_url(b"https://93.184.216.34/hook");
    assert_eq!(
        (s, v.unwrap()),
        (HOOKS_OK, serde_json::json!({"ok": true, "kind": "ok", "addresses": ["93.184.216.34"]}))
    );

    let metadata = "http://169.254.169.254/latest/meta-data/";
    let (s, v) = check_url(metadata.as_bytes());
    assert_eq!(s, HOOKS_OK, "a refusal is an answer, not a failure");
    let v = v.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"ok": false, "kind": "ssrf_refused", "address": "169.254.169.254",
        "range": "link-local, where cloud metadata lives", "addresses": ["169.254.169.254"],
        "reason": "ssrf: refused 169.254.169.254 (link-local, where cloud metadata lives); add it to ssrf_allow to permit it"})
    );
    let (s, loopback) = check_url(b"http://[::1]:8080/");
    assert_eq!(
        (s, loopback.unwrap()),
        (
            HOOKS_OK,
            serde_json::json!({"ok": false, "kind": "ssrf_refused", "address": "::1",
        "range": "loopback", "addresses": ["::1"], "reason": "ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it"})
        )
    );
    // Only 127.0.0.1 is allowed: the rest of 127/8 is not, and a decimal IPv4 is read as one.
    let (s, decimal) = check_url(b"http://2130706434/");
    assert_eq!(
        (s, decimal.unwrap()),
        (
            HOOKS_OK,
            serde_json::json!({"ok": false, "kind": "ssrf_refused", "address": "127.0.0.2",
        "range": "loopback", "addresses": ["127.0.0.2"], "reason": "ssrf: refused 127.0.0.2 (loopback); add it to ssrf_allow to permit it"})
        )
    );

    // Delivery refuses the same URL with the same words.
    let req = serde_json::json!({"endpoint": {"id": 9, "url": metadata, "events": ["e"]}, "event": "e", "payload": {}})
        .to_string();
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    assert_eq!(hooks_send_test(req.as_ptr().cast(), req.len(), &mut out, &mut len), HOOKS_OK, "{}", last_error());
    // SAFETY: returned by the library.
    let sent: serde_json::Value = serde_json::from_str(unsafe { CStr::from_ptr(out) }.to_str().unwrap()).unwrap();
    hooks_string_free(out);
    assert_eq!(sent["error"], v["reason"], "{sent}");
    assert_eq!(sent["error_kind"], "ssrf_refused", "{sent}");

    let (s, v) = check_url(b"http://no-such-host.invalid/hook");
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    let v = v.unwrap();
    assert_eq!(v["ok"], serde_json::Value::Null, "{v}");
    assert_eq!(v["kind"], "dns", "{v}");
    assert!(v["reason"].as_str().unwrap().starts_with("could not resolve no-such-host.invalid: "), "{v}");
    assert!(v.get("addresses").is_none(), "{v}");
}

#[test]
fn check_url_refuses_what_is_not_an_http_url() {
    init();
    let cases: Vec<(&[u8], i32, &str, &str)> = vec![
        (
            b"ftp://example.org/hook",
            HOOKS_ERR_CONFIG,
            "invalid_url",
            "config: url: scheme: the URL must start with http:// or https://",
        ),
        (b"example.org/hook", HOOKS_ERR_CONFIG, "invalid_url", "config: url: scheme: "),
        (b"", HOOKS_ERR_CONFIG, "invalid_url", "config: url: empty: the URL is empty"),
        (b"javascript:alert(1)", HOOKS_ERR_CONFIG, "invalid_url", "config: url: scheme: "),
        (b"http://user:pw@127.0.0.1/", HOOKS_ERR_CONFIG, "invalid_url", "config: url: userinfo: "),
        (b"http://%31%32%37.0.0.1/", HOOKS_ERR_CONFIG, "invalid_url", "config: url: bad_host: "),
        (b"http://[fe80::1%25eth0]/", HOOKS_ERR_CONFIG, "invalid_url", "config: url: bad_host: "),
        (b"http://127.0.0.1:8080:80/", HOOKS_ERR_CONFIG, "invalid_url", "config: url: bad_port: "),
        (b"http://h\xff.example/", HOOKS_ERR_UTF8, "invalid_utf8", "utf-8: url is not valid UTF-8 (at byte 8)"),
    ];
    for (url, want, kind, msg) in cases {
        let (got, v) = check_url(url);
        assert_eq!(got, want, "{:?}: {}", String::from_utf8_lossy(url), last_error());
        assert!(v.is_none(), "out-params untouched on error");
        assert!(last_error().starts_with(msg), "{:?} should start with {msg:?}", last_error());
        assert_eq!(last_kind(), kind);
    }
    let long = format!("https://example.org/{}", "a".repeat(2048));
    assert_eq!(check_url(long.as_bytes()).0, HOOKS_ERR_CONFIG);
    assert_eq!(last_error(), "config: url: too_long: the URL is 2068 bytes long, the limit is 2048");
    assert_eq!(last_kind(), "invalid_url");
}

#[test]
fn take_and_ack_through_the_c_api() {
    init();
    let (s, v) = take(0, 0);
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    let v = v.unwrap();
    for k in ["events", "attempts"] {
        assert!(v[k].is_array(), "{v}");
    }
    assert!(v["more"].is_boolean() && v["dropped"].is_u64(), "{v}");
    let token = v["ack"].as_str().unwrap().to_string();
    assert_eq!(hooks_ack_results(token.as_ptr().cast(), token.len()), HOOKS_OK, "{}", last_error());
    assert_eq!((last_error().as_str(), last_kind().as_str()), ("", ""));
    // The same token again is an old one: a no-op success.
    assert_eq!(hooks_ack_results(token.as_ptr().cast(), token.len()), HOOKS_OK);
    for bad in [&b"nope"[..], b"", b"1.2.deadbeef", token.replace('.', "-").as_bytes()] {
        assert_eq!(
            hooks_ack_results(bad.as_ptr().cast(), bad.len()),
            HOOKS_ERR_JSON,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
        assert!(last_error().starts_with("json: the ack token "), "{}", last_error());
        assert_eq!(last_kind(), "invalid_json");
    }
    let bad = b"1.\xff";
    assert_eq!(hooks_ack_results(bad.as_ptr().cast(), bad.len()), HOOKS_ERR_UTF8);
    assert_eq!(
        (last_error().as_str(), last_kind().as_str()),
        ("utf-8: token is not valid UTF-8 (at byte 2)", "invalid_utf8")
    );
}

#[test]
fn the_error_kind_is_per_thread_and_follows_the_last_call() {
    init();
    let url = "http://a.example:99999/";
    assert_eq!(check_url(url.as_bytes()).0, HOOKS_ERR_CONFIG);
    assert_eq!(last_kind(), "invalid_url");
    assert!(last_error().contains("bad_port"), "the message has the code: {}", last_error());
    std::thread::spawn(|| {
        assert_eq!(last_kind(), "", "another thread has its own");
        assert_eq!(hooks_redeliver(ptr::null(), 0), HOOKS_ERR_NULL);
        assert_eq!(last_kind(), "null_argument");
    })
    .join()
    .unwrap();
    assert_eq!(last_kind(), "invalid_url", "untouched by the other thread");
    let mut v = 0u64;
    assert_eq!(hooks_configured_version(&mut v), HOOKS_OK);
    assert_eq!(last_kind(), "", "cleared by a success");
}
