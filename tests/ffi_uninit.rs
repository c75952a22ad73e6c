//! The C functions before `hooks_init`: a binary of its own, since the engine is per process.

use std::ffi::{c_char, CStr};
use std::ptr;

use multisite_webhooks::ffi::*;

fn last_error() -> String {
    // SAFETY: never NULL; valid until the next call on this thread.
    unsafe { CStr::from_ptr(hooks_last_error()) }.to_string_lossy().into_owned()
}

#[test]
fn every_call_before_init_says_so() {
    let ev = "site_created";
    let pl = "{}";
    let url = "http://127.0.0.1/";
    let mut out: *mut c_char = ptr::null_mut();
    let mut len = 0usize;
    let mut v = 7u64;
    let statuses = [
        hooks_emit(ev.as_ptr().cast(), ev.len(), pl.as_ptr().cast(), pl.len(), &mut out, &mut len),
        hooks_configure(pl.as_ptr().cast(), pl.len(), ptr::null_mut()),
        hooks_configured_version(&mut v),
        hooks_flush(10),
        hooks_stats(&mut out, &mut len),
        hooks_take_results(10, &mut out, &mut len),
        hooks_redeliver(pl.as_ptr().cast(), pl.len()),
        hooks_send_test(pl.as_ptr().cast(), pl.len(), &mut out, &mut len),
        hooks_check_url(url.as_ptr().cast(), url.len(), &mut out, &mut len),
        hooks_shutdown(0),
    ];
    for (i, s) in statuses.iter().enumerate() {
        assert_eq!(*s, HOOKS_ERR_NOT_INITIALIZED, "call {i}");
    }
    assert!(out.is_null() && len == 0 && v == 7, "out-params untouched");
    assert!(last_error().contains("not initialized; call hooks_init"), "{}", last_error());
}
