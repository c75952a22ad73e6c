//! The C functions before `hooks_init`, and failures that need an engine of their own (an
//! unwritable spool, a flush deadline): a binary of its own, since the engine is per process.

mod common;

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use multisite_webhooks::ffi::*;

/// The tests here start and stop the one engine of the process: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn last_error() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error()) }.to_string_lossy().into_owned()
}

fn last_kind() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error_kind()) }.to_string_lossy().into_owned()
}

#[test]
fn every_call_before_init_says_so() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ev = "site_created";
    let pl = "{}";
    let url = "http://127.0.0.1/";
    let tok = "1.0.00000000";
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    let mut v = 7u64;
    let calls: [(&str, i32); 11] = [
        ("emit", hooks_emit(ev.as_ptr().cast(), ev.len(), pl.as_ptr().cast(), pl.len(), &mut out, &mut len)),
        ("configure", hooks_configure(pl.as_ptr().cast(), pl.len(), &mut out, &mut len)),
        ("configured_version", hooks_configured_version(&mut v)),
        ("flush", hooks_flush(10)),
        ("stats", hooks_stats(&mut out, &mut len)),
        ("take_results", hooks_take_results(10, 0, &mut out, &mut len)),
        ("ack_results", hooks_ack_results(tok.as_ptr().cast(), tok.len())),
        ("redeliver", hooks_redeliver(pl.as_ptr().cast(), pl.len())),
        ("send_test", hooks_send_test(pl.as_ptr().cast(), pl.len(), &mut out, &mut len)),
        ("check_url", hooks_check_url(url.as_ptr().cast(), url.len(), &mut out, &mut len)),
        ("shutdown", hooks_shutdown(0)),
    ];
    for (name, s) in calls {
        assert_eq!(s, HOOKS_ERR_NOT_INITIALIZED, "{name}");
    }
    assert!(out.is_null() && len == 0 && v == 7, "out-params untouched");
    assert!(last_error().contains("not initialized; call hooks_init"), "{}", last_error());
    assert_eq!(last_kind(), "not_initialized");
}

#[test]
fn a_spool_that_cannot_be_created_and_a_flush_past_its_deadline_have_their_kinds() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // /proc refuses new directories, even to root.
    let bad = r#"{"spool_dir":"/proc/multisite-webhooks-spool"}"#;
    assert_eq!(hooks_init(bad.as_ptr().cast(), bad.len()), HOOKS_ERR_SPOOL);
    assert!(last_error().starts_with("spool: "), "{}", last_error());
    assert_eq!(last_kind(), "spool");

    let slow = Server::start(|_, _| Reply::After(Duration::from_millis(400), Box::new(ok())));
    let s = settings(&spool_dir("uninit-timeout"), "");
    assert_eq!(hooks_init(s.as_ptr().cast(), s.len()), HOOKS_OK, "{}", last_error());
    let snap = snapshot(1, &[(1, &slow.url("/"), &["e"])]);
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    assert_eq!(hooks_configure(snap.as_ptr().cast(), snap.len(), &mut out, &mut len), HOOKS_OK, "{}", last_error());
    hooks_string_free(out);
    let (ev, pl) = ("e", "{}");
    assert_eq!(
        hooks_emit(ev.as_ptr().cast(), ev.len(), pl.as_ptr().cast(), pl.len(), ptr::null_mut(), ptr::null_mut()),
        HOOKS_OK
    );
    slow.wait_for(1, Duration::from_secs(10));
    assert_eq!(hooks_flush(1), HOOKS_ERR_TIMEOUT, "{}", last_error());
    assert!(last_error().starts_with("timeout: flush: "), "{}", last_error());
    assert_eq!(last_kind(), "timeout");
    assert_eq!(hooks_shutdown(5_000), HOOKS_OK, "{}", last_error());
    assert_eq!(last_kind(), "");
}
