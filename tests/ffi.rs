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

fn configure(json: &str) -> (i32, i32) {
    let mut applied = -1;
    let s = hooks_configure(json.as_ptr().cast(), json.len(), &mut applied);
    (s, applied)
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(hooks_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
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
    assert_eq!(hooks_init(ptr::null(), 0), HOOKS_ERR_NULL);
    assert_eq!(hooks_configure(ptr::null(), 0, ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(hooks_configured_version(ptr::null_mut()), HOOKS_ERR_NULL);
    assert_eq!(hooks_stats(ptr::null_mut(), &mut len), HOOKS_ERR_NULL);
    assert_eq!(hooks_take_results(1, &mut out, ptr::null_mut()), HOOKS_ERR_NULL);
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
    let cases: Vec<(&[u8], Vec<u8>, i32, &str)> = vec![
        (b"e", b"{\"a\":\"\xff\"}".to_vec(), HOOKS_ERR_UTF8, "utf-8: payload is not valid UTF-8 (at byte 6)"),
        (b"e\xc3", b"{}".to_vec(), HOOKS_ERR_UTF8, "utf-8: event is not valid UTF-8"),
        (b"e", b"{\"a\":".to_vec(), HOOKS_ERR_JSON, "json: the payload is not valid JSON: EOF while parsing"),
        (b"e", b"[1,2]".to_vec(), HOOKS_ERR_JSON, "json: the payload must be a JSON object"),
        (b"e", format!("{{\"a\":\"{}\"}}", "x".repeat(5000)).into_bytes(), HOOKS_ERR_TOO_LARGE, "too large: the payload is 5008 bytes, the limit is 4096 bytes"),
        (b"", b"{}".to_vec(), HOOKS_ERR_EVENT, "event: the event slug is empty"),
        (b"site created", b"{}".to_vec(), HOOKS_ERR_EVENT, "event: the event slug \"site created\" has ' '"),
        (b"e", format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes(), HOOKS_ERR_JSON, "json: the payload must be a JSON object"),
        (b"e", format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200)).into_bytes(), HOOKS_ERR_JSON, "json: the payload nests 201 levels deep, the limit is 64"),
        (b"e", br#"{"a":"\ud83d"}"#.to_vec(), HOOKS_ERR_JSON, "json: the payload has \\ud83d at byte 6, half of a UTF-16 surrogate pair without the other half"),
    ];
    for (ev, pl, want, msg) in cases {
        let (got, id) = emit(ev, &pl);
        assert_eq!(got, want, "{:?}: {}", String::from_utf8_lossy(ev), last_error());
        assert!(id.is_none());
        assert!(last_error().starts_with(msg), "{:?} should start with {msg:?}", last_error());
    }
    let (s, id) = emit(b"e", b"{\"ok\":true}");
    assert_eq!(s, HOOKS_OK);
    assert!(id.unwrap().starts_with("msg_"));
    assert_eq!(last_error(), "", "a success clears the message");
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
        let req = format!(r#"{{"endpoint":{{"id":5,"url":"http://127.0.0.1:9/","events":["e"]}},"event":"e","payload":{payload}}}"#);
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
    let (s, applied) = configure(r#"{"version":9,"endpoints":[{"id":1,"url":"ftp://x","events":["e"]}]}"#);
    assert_eq!((s, applied), (HOOKS_ERR_CONFIG, -1));
    assert_eq!(last_error(), "config: endpoints[0].url: not an http(s) URL: \"ftp://x\"");
    let (s, _) = configure("{\"version\":");
    assert_eq!(s, HOOKS_ERR_CONFIG);
    // The engine survived the bad settings: it still accepts events.
    assert_eq!(emit(b"e", b"{}").0, HOOKS_OK);
}

#[test]
fn an_older_snapshot_is_not_applied() {
    init();
    let (s, applied) = configure(&snapshot(100, &[(1, "http://127.0.0.1:9/", &["e"])]));
    assert_eq!((s, applied), (HOOKS_OK, 1));
    let (s, applied) = configure(&snapshot(50, &[(2, "http://127.0.0.1:9/", &["x"])]));
    assert_eq!((s, applied), (HOOKS_OK, 0));
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
        "event": "e", "payload": {"hello": "world"}}).to_string();
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

    let unknown = r#"{"event_id":"msg_X","endpoint_id":424242,"event":"e","payload":{}}"#;
    assert_eq!(hooks_redeliver(unknown.as_ptr().cast(), unknown.len()), HOOKS_ERR_NOT_FOUND);
    assert_eq!(last_error(), "not found: endpoint 424242 is not in the configured snapshot");
    let bad = r#"{"event_id":"msg_X","endpoint_id":1}"#;
    assert_eq!(hooks_redeliver(bad.as_ptr().cast(), bad.len()), HOOKS_ERR_JSON);
    assert!(last_error().starts_with("json: missing field `event`"), "{}", last_error());
    assert_eq!(hooks_flush(5_000), HOOKS_OK);
    std::thread::sleep(Duration::from_millis(1));
}

#[test]
fn check_url_says_what_the_ssrf_guard_would_do() {
    init();
    // These settings allow 127.0.0.1, and nothing else that is not public.
    let (s, v) = check_url(b"http://127.0.0.1:8080/hook");
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    assert_eq!(v.unwrap(), serde_json::json!({"ok": true, "addresses": ["127.0.0.1"]}));
    assert_eq!(last_error(), "");
    let (s, v) = check_url(b"https://93.184.216.34/hook");
    assert_eq!((s, v.unwrap()), (HOOKS_OK, serde_json::json!({"ok": true, "addresses": ["93.184.216.34"]})));

    let metadata = "http://169.254.169.254/latest/meta-data/";
    let (s, v) = check_url(metadata.as_bytes());
    assert_eq!(s, HOOKS_OK, "a refusal is an answer, not a failure");
    let v = v.unwrap();
    assert_eq!(v, serde_json::json!({"ok": false, "addresses": ["169.254.169.254"],
        "reason": "ssrf: refused 169.254.169.254 (link-local, where cloud metadata lives); add it to ssrf_allow to permit it"}));
    let (s, loopback) = check_url(b"http://[::1]:8080/");
    assert_eq!((s, loopback.unwrap()), (HOOKS_OK, serde_json::json!({"ok": false, "addresses": ["::1"],
        "reason": "ssrf: refused ::1 (loopback); add it to ssrf_allow to permit it"})));

    // Delivery refuses the same URL with the same words.
    let req = serde_json::json!({"endpoint": {"id": 9, "url": metadata, "events": ["e"]}, "event": "e", "payload": {}}).to_string();
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    assert_eq!(hooks_send_test(req.as_ptr().cast(), req.len(), &mut out, &mut len), HOOKS_OK, "{}", last_error());
    // SAFETY: returned by the library.
    let sent: serde_json::Value = serde_json::from_str(unsafe { CStr::from_ptr(out) }.to_str().unwrap()).unwrap();
    hooks_string_free(out);
    assert_eq!(sent["error"], v["reason"], "{sent}");

    let (s, v) = check_url(b"http://no-such-host.invalid/hook");
    assert_eq!(s, HOOKS_OK, "{}", last_error());
    let v = v.unwrap();
    assert_eq!(v["ok"], serde_json::Value::Null, "{v}");
    assert!(v["reason"].as_str().unwrap().starts_with("could not resolve no-such-host.invalid: "), "{v}");
    assert!(v.get("addresses").is_none(), "{v}");
}

#[test]
fn check_url_refuses_what_is_not_an_http_url() {
    init();
    let cases: Vec<(&[u8], i32, &str)> = vec![
        (b"ftp://example.org/hook", HOOKS_ERR_CONFIG, "config: url: not an http(s) URL: \"ftp://example.org/hook\""),
        (b"example.org/hook", HOOKS_ERR_CONFIG, "config: url: not an http(s) URL"),
        (b"", HOOKS_ERR_CONFIG, "config: url: not an http(s) URL: \"\""),
        (b"javascript:alert(1)", HOOKS_ERR_CONFIG, "config: url: not an http(s) URL"),
        (b"http://h\xff.example/", HOOKS_ERR_UTF8, "utf-8: url is not valid UTF-8 (at byte 8)"),
    ];
    for (url, want, msg) in cases {
        let (got, v) = check_url(url);
        assert_eq!(got, want, "{:?}: {}", String::from_utf8_lossy(url), last_error());
        assert!(v.is_none(), "out-params untouched on error");
        assert!(last_error().starts_with(msg), "{:?} should start with {msg:?}", last_error());
    }
    let long = format!("https://example.org/{}", "a".repeat(2048));
    assert_eq!(check_url(long.as_bytes()).0, HOOKS_ERR_CONFIG);
    assert_eq!(last_error(), "config: url: longer than 2048 characters");
}
