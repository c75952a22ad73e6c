//! The C ABI: a thin membrane over [`crate::engine`].
//!
//! Every export checks its pointers, converts its arguments, calls one engine function inside
//! `catch_unwind`, and maps the result to an `int32_t` status (0 = OK). Out-parameters are
//! written only on success. The message of the last failure on the calling thread is read
//! with `hooks_last_error`, its machine kind ([`Error::kind`]) with `hooks_last_error_kind`.
//!
//! The statuses are in `status.rs`, their one source (the header cannot carry constants PHP's
//! FFI reads, so `hooks_status_name` names them); README.md lists them with the kinds each
//! comes with, and the tests below and in tests/ffi.rs hold that list to the code.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::engine;
use crate::error::Error;

mod status;
pub mod sys;
pub use status::*;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static LAST_KIND: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(msg: &str, kind: &str) {
    let c = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
    let k = CString::new(kind).unwrap_or_default();
    LAST_KIND.with(|e| *e.borrow_mut() = k);
}

/// The status a failure returns: one status per family of [`Error`] kinds.
fn status_of(e: &Error) -> i32 {
    match e {
        Error::Null(_) => HOOKS_ERR_NULL,
        Error::Utf8(_) => HOOKS_ERR_UTF8,
        Error::Json(_) | Error::NotObject(_) | Error::TooDeep { .. } | Error::LoneSurrogate { .. } => HOOKS_ERR_JSON,
        Error::TooLarge { .. } => HOOKS_ERR_TOO_LARGE,
        Error::Settings(_) => HOOKS_ERR_SETTINGS,
        Error::Config(_) | Error::Url { .. } => HOOKS_ERR_CONFIG,
        Error::NotInitialized => HOOKS_ERR_NOT_INITIALIZED,
        Error::Event(_) => HOOKS_ERR_EVENT,
        Error::Spool(_) => HOOKS_ERR_SPOOL,
        Error::Timeout(_) => HOOKS_ERR_TIMEOUT,
        Error::NotFound(_) => HOOKS_ERR_NOT_FOUND,
        Error::Internal(_) => HOOKS_ERR_PANIC,
    }
}

/// Runs `f`, catching panics, recording the message and kind of a failure (or clearing them
/// after a success), and returning the status.
fn guard(f: impl FnOnce() -> Result<(), Error>) -> i32 {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_last_error("", "");
            return HOOKS_OK;
        }
        Ok(Err(e)) => e,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Error::Internal(format!("a panic was caught ({what}); the process is unharmed, please report it"))
        }
    };
    set_last_error(&failure.to_string(), failure.kind());
    status_of(&failure)
}

fn null(name: &str) -> Error {
    Error::Null(name.to_string())
}

/// Borrows `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid for the call.
unsafe fn bytes_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes for the call's duration.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Borrows `len` bytes at `ptr` as UTF-8.
///
/// # Safety
/// As [`bytes_arg`].
unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str, Error> {
    // SAFETY: forwarded from the caller.
    let b = unsafe { bytes_arg(ptr, len, name) }?;
    std::str::from_utf8(b).map_err(|e| Error::Utf8(format!("{name} is not valid UTF-8 (at byte {})", e.valid_up_to())))
}

/// Checks that both out-pointers are non-NULL before any work is done.
fn check_out(out: *mut *mut c_char, out_len: *mut usize, name: &str) -> Result<(), Error> {
    if out.is_null() || out_len.is_null() {
        return Err(null(name));
    }
    Ok(())
}

/// Hands `s` to the caller as an owned, NUL-terminated string.
///
/// # Safety
/// `out` and `out_len` must be valid for writes (checked non-NULL by [`check_out`]).
unsafe fn write_out(out: *mut *mut c_char, out_len: *mut usize, s: String) -> Result<(), Error> {
    let len = s.len();
    let c = CString::new(s).map_err(|_| Error::Internal("the output contains a NUL byte".into()))?;
    // SAFETY: both pointers were checked non-NULL and the caller promises they are writable.
    unsafe {
        *out = c.into_raw();
        *out_len = len;
    }
    Ok(())
}

/// The library version, e.g. `"0.1.0"`.
///
/// Ownership: returns borrowed; a static string, never freed.
/// NULL and bad input: none; never NULL.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_version() -> *const c_char {
    static V: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"",
    };
    V.as_ptr()
}

/// Starts the engine of this process with engine settings JSON (`spool_dir` required; see
/// README.md for every field). Calling it again with the same bytes is a cheap no-op; with
/// other bytes the engine restarts with them. Delivery threads start here.
///
/// Ownership: borrows `settings` for the call.
/// NULL and bad input: NULL → 1; invalid UTF-8 → 2; invalid JSON, unknown field or value out
/// of range → 5; spool directory not creatable or writable → 9.
/// Statuses: 0, 1, 2, 5, 9, 99.
/// Thread safety: any thread; serialised internally.
#[no_mangle]
pub extern "C" fn hooks_init(settings: *const c_char, settings_len: usize) -> i32 {
    guard(|| {
        // SAFETY: the caller passes `settings_len` readable bytes.
        let s = unsafe { str_arg(settings, settings_len, "settings") }?;
        engine::init_global(s.as_bytes())?;
        install_exit_hook();
        Ok(())
    })
}

extern "C" fn at_process_exit() {
    let _ = catch_unwind(engine::stop_at_exit);
}

/// Makes a normal process exit (a PHP-FPM worker reaching pm.max_requests, a CLI script
/// ending) hand delivery over gracefully: attempts in flight are recorded, not repeated by
/// the next leader. Installed once per process by `hooks_init`.
pub fn install_exit_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `at_process_exit` is a plain function that lives as long as the process
        // (the library is linked with -z nodelete, so it is never unmapped) and catches panics.
        unsafe {
            libc::atexit(at_process_exit);
        }
    });
}

/// Gives the engine the endpoint snapshot JSON `{"version":N,"endpoints":[…]}`, applied
/// endpoint by endpoint: each element of `endpoints` is validated on its own, and one that
/// fails (not an object, no positive integer `id`, an unknown field, a URL breaking the URL
/// rule, no events, a bad event slug or secret, an `id` an earlier element has) is left out and
/// reported; all the others are applied. The snapshot is applied (and stored in the spool for
/// every process, with its rejections) only if `version` is newer than the newest known. The
/// answer is JSON: `{"applied":true|false,"version":N,"endpoints":<how many passed>,
/// "rejected":[{"id":3|null,"index":2,"kind":"invalid_url"|"invalid_config","code":"bad_port",
/// "field":"url","detail":"url: …"}]}` (see README.md for the codes).
///
/// Ownership: borrows `snapshot`; returns owned `*result_out` (free with `hooks_string_free`).
/// NULL and bad input: NULL snapshot or out-pointer → 1; invalid UTF-8 → 2; a document that
/// is not JSON or not `{"version":u64,"endpoints":[…]}` → 6 (kind `invalid_config`); a bad
/// endpoint is not a failure (it is in `rejected`); before init → 7; spool → 9. The
/// out-pointers are written only on success.
/// Statuses: 0, 1, 2, 6, 7, 9, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_configure(
    snapshot: *const c_char, snapshot_len: usize, result_out: *mut *mut c_char, result_len_out: *mut usize,
) -> i32 {
    guard(|| {
        check_out(result_out, result_len_out, "result_out or result_len_out")?;
        // SAFETY: the caller passes `snapshot_len` readable bytes.
        let s = unsafe { str_arg(snapshot, snapshot_len, "snapshot") }?;
        let report = engine::global()?.configure(s.as_bytes())?;
        // SAFETY: checked by check_out above.
        unsafe { write_out(result_out, result_len_out, report.to_json()) }
    })
}

/// Writes the version of the newest endpoint snapshot known to `*version_out` (0 = none).
///
/// Ownership: writes to caller memory.
/// NULL and bad input: NULL → 1; before init → 7.
/// Statuses: 0, 1, 7, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_configured_version(version_out: *mut u64) -> i32 {
    guard(|| {
        if version_out.is_null() {
            return Err(null("version_out"));
        }
        let v = engine::global()?.configured_version();
        // SAFETY: checked non-NULL; writable by the caller's promise.
        unsafe { *version_out = v };
        Ok(())
    })
}

/// Accepts an event: `event` is the slug, `payload` a JSON object. Returns once the event is
/// in the spool (never touches the network). The event id (`msg_…`, 30 bytes) is returned in
/// `*id_out`/`*id_len_out` unless both are NULL.
///
/// Ownership: borrows `event` and `payload`; returns owned `*id_out`, to be freed with
/// `hooks_string_free`.
/// NULL and bad input: NULL event/payload, or only one of the out-pointers → 1; invalid
/// UTF-8 → 2; payload not a JSON object → 3; over `max_payload_bytes` → 4; bad slug → 8;
/// before init → 7; spool full or unwritable → 9 (nothing is half-written).
/// Statuses: 0, 1, 2, 3, 4, 7, 8, 9, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_emit(
    event: *const c_char, event_len: usize, payload: *const c_char, payload_len: usize, id_out: *mut *mut c_char,
    id_len_out: *mut usize,
) -> i32 {
    guard(|| {
        let want_id = !(id_out.is_null() && id_len_out.is_null());
        if want_id {
            check_out(id_out, id_len_out, "id_out or id_len_out")?;
        }
        // SAFETY: the caller passes `event_len` / `payload_len` readable bytes.
        let ev = unsafe { str_arg(event, event_len, "event") }?;
        // SAFETY: as above.
        let pl = unsafe { str_arg(payload, payload_len, "payload") }?;
        let id = engine::global()?.emit(ev, pl.as_bytes())?;
        if want_id {
            // SAFETY: checked by check_out above.
            unsafe { write_out(id_out, id_len_out, id) }?;
        }
        Ok(())
    })
}

/// Accepts an event under the id it got when it was raised, `id` (`msg_` and 26 Crockford
/// base-32 characters, as `hooks_emit` hands out): for an event kept elsewhere first — the
/// plugin's database outbox, where PHP could not reach the engine — so that receivers see
/// the `webhook-id` already reported for it. Otherwise as `hooks_emit`.
///
/// Ownership: borrows `event`, `id` and `payload`.
/// NULL and bad input: NULL event, id or payload → 1; invalid UTF-8 → 2; a malformed id, or a
/// payload that is not a JSON object → 3; over `max_payload_bytes` → 4; bad slug → 8; before
/// init → 7; spool full or unwritable → 9 (nothing is half-written).
/// Statuses: 0, 1, 2, 3, 4, 7, 8, 9, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_emit_as(
    event: *const c_char, event_len: usize, id: *const c_char, id_len: usize, payload: *const c_char,
    payload_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller passes `event_len` / `id_len` / `payload_len` readable bytes.
        let ev = unsafe { str_arg(event, event_len, "event") }?;
        // SAFETY: as above.
        let id = unsafe { str_arg(id, id_len, "id") }?;
        // SAFETY: as above.
        let pl = unsafe { str_arg(payload, payload_len, "payload") }?;
        engine::global()?.emit_as(id, ev, pl.as_bytes())
    })
}

/// Sends one real, signed test request now and waits for it:
/// `{"endpoint":{"id","url","events","secrets","format"},"event":"…","payload":{…}}`.
/// The result JSON has `ok`, `status`, `reason`, `error`, `error_kind` (as in attempt results:
/// null for a 2xx whose body was read, else `connect_refused`, `timeout`, `ssrf_refused`,
/// `http_status`, …), `duration_ms`, `request_headers`, `response_headers`,
/// `response_excerpt`, `body`. A refused or failed request is status 0 with `ok: false`.
///
/// Ownership: borrows `request`; returns owned `*result_out` (free with `hooks_string_free`).
/// NULL and bad input: NULL → 1; invalid UTF-8 → 2; bad JSON, payload not an object, too deep
/// or with half a surrogate pair → 3; a URL breaking the URL rule → 6 (kind `invalid_url`);
/// another bad endpoint field → 6 (kind `invalid_config`); bad slug → 8; payload too large →
/// 4; before init → 7.
/// Statuses: 0, 1, 2, 3, 4, 6, 7, 8, 99.
/// Thread safety: any thread; blocks the caller for at most the request timeout.
#[no_mangle]
pub extern "C" fn hooks_send_test(
    request: *const c_char, request_len: usize, result_out: *mut *mut c_char, result_len_out: *mut usize,
) -> i32 {
    guard(|| {
        check_out(result_out, result_len_out, "result_out or result_len_out")?;
        // SAFETY: the caller passes `request_len` readable bytes.
        let r = unsafe { str_arg(request, request_len, "request") }?;
        let out = engine::global()?.send_test(r.as_bytes())?;
        // SAFETY: checked by check_out above.
        unsafe { write_out(result_out, result_len_out, out) }
    })
}

/// Says whether a webhook URL passes the URL rule and the SSRF guard would let it through,
/// judged as delivery judges it: the host is resolved (an IP literal as it is; a name with the
/// system resolver, waiting at most `connect_timeout_ms`) and every address is checked with
/// the engine's guard and its `ssrf_allow`. Nothing is sent. The result JSON is one of:
/// `{"ok":true,"kind":"ok","addresses":["93.184.216.34"]}` when at least one address passes
/// (delivery connects to those); `{"ok":false,"kind":"ssrf_refused","address":"127.0.0.1",
/// "range":"loopback","reason":"ssrf: refused 127.0.0.1 (loopback); add it to ssrf_allow to
/// permit it","addresses":["127.0.0.1"]}` when every address is refused (`address` and `range`
/// name the first one refused); `{"ok":null,"kind":"dns","reason":"could not resolve <host>:
/// <error>"}` when the name does not resolve (not a refusal: DNS may be down for a moment). A
/// refused or unresolved URL is status 0.
///
/// Ownership: borrows `url`; returns owned `*result_out` (free with `hooks_string_free`).
/// NULL and bad input: NULL url or out-pointer → 1; invalid UTF-8 → 2; a URL breaking the URL
/// rule → 6 with kind `invalid_url` and the rule's code in the message
/// (`config: url: bad_port: …`); before init → 7.
/// Statuses: 0, 1, 2, 6, 7, 99.
/// Thread safety: any thread; blocks the caller while a name is looked up.
#[no_mangle]
pub extern "C" fn hooks_check_url(
    url: *const c_char, url_len: usize, result_out: *mut *mut c_char, result_len_out: *mut usize,
) -> i32 {
    guard(|| {
        check_out(result_out, result_len_out, "result_out or result_len_out")?;
        // SAFETY: the caller passes `url_len` readable bytes.
        let u = unsafe { str_arg(url, url_len, "url") }?;
        let out = engine::global()?.check_url(u)?;
        // SAFETY: checked by check_out above.
        unsafe { write_out(result_out, result_len_out, out) }
    })
}

/// Waits until nothing is due and nothing is in flight, at most `timeout_ms`. If no process
/// is delivering, this one becomes the leader and delivers. For CLI and cron processes before
/// they exit.
///
/// Ownership: none.
/// NULL and bad input: none; before init → 7.
/// Statuses: 0, 7, 10 (still pending at the deadline; nothing is lost), 99.
/// Thread safety: any thread; blocks the caller.
#[no_mangle]
pub extern "C" fn hooks_flush(timeout_ms: u32) -> i32 {
    guard(|| engine::global()?.flush(Duration::from_millis(timeout_ms as u64)))
}

/// Queue and delivery figures as JSON: `queue_depth`, `queued`, `in_flight`, `retrying`,
/// `delivered`, `failed`, `leader_pid`, `is_leader`, `snapshot_version`, `rejected_endpoints`
/// (the endpoints the newest snapshot left out, as in the `hooks_configure` answer),
/// `results_dropped` (journal entries dropped untaken at the cap, ever), `last_error`, …
///
/// Ownership: returns owned `*stats_out` (free with `hooks_string_free`).
/// NULL and bad input: NULL out-pointer → 1; before init → 7.
/// Statuses: 0, 1, 7, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_stats(stats_out: *mut *mut c_char, stats_len_out: *mut usize) -> i32 {
    guard(|| {
        check_out(stats_out, stats_len_out, "stats_out or stats_len_out")?;
        let s = engine::global()?.stats();
        // SAFETY: checked by check_out above.
        unsafe { write_out(stats_out, stats_len_out, s) }
    })
}

/// Hands out the journal entries not acknowledged yet, by any process, without moving the
/// cursor, as JSON: `{"events":[…],"attempts":[…],"ack":"<token>","more":true|false,
/// "dropped":N}`. `events` are one entry per event fanned out
/// (`{"event_id","event","timestamp","payload"}`, `payload` the accepted bytes as a JSON
/// string); `attempts` are attempt results (see README.md); both in journal order. At most
/// `max_results` entries (0 means 1000; clamped to 1–10000), stopping before the entry that
/// would take the answer over `max_bytes` (0 means 4 MiB; clamped to 64 KiB–64 MiB), but
/// always at least one when any is waiting. `more` says whether entries remain after these;
/// `dropped` counts the entries ever dropped untaken at `results_max_bytes`. Taking again
/// without `hooks_ack_results` hands out the same entries: at-least-once, so use `attempt_id`
/// and `event_id` to ignore an entry seen before.
///
/// Ownership: returns owned `*results_out` (free with `hooks_string_free`).
/// NULL and bad input: NULL out-pointer → 1; before init → 7; spool → 9.
/// Statuses: 0, 1, 7, 9, 99.
/// Thread safety: any thread; serialised across processes.
#[no_mangle]
pub extern "C" fn hooks_take_results(
    max_results: u32, max_bytes: u32, results_out: *mut *mut c_char, results_len_out: *mut usize,
) -> i32 {
    guard(|| {
        check_out(results_out, results_len_out, "results_out or results_len_out")?;
        let s = engine::global()?.take_results(max_results as usize, max_bytes as usize)?;
        // SAFETY: checked by check_out above.
        unsafe { write_out(results_out, results_len_out, s) }
    })
}

/// Acknowledges the entries a `hooks_take_results` answer handed out, once they are stored:
/// moves the cursor to the position of its `ack` token if that is ahead of the cursor (never
/// backwards; an old token is a no-op success) and removes results files read to their end.
///
/// Ownership: borrows `token`.
/// NULL and bad input: NULL → 1; invalid UTF-8 → 2; a token `hooks_take_results` did not give
/// → 3 (kind `invalid_json`); before init → 7; spool → 9.
/// Statuses: 0, 1, 2, 3, 7, 9, 99.
/// Thread safety: any thread; serialised across processes with the takers.
#[no_mangle]
pub extern "C" fn hooks_ack_results(token: *const c_char, token_len: usize) -> i32 {
    guard(|| {
        // SAFETY: the caller passes `token_len` readable bytes.
        let t = unsafe { str_arg(token, token_len, "token") }?;
        engine::global()?.ack_results(t)
    })
}

/// Queues an event for delivery again to one endpoint, with the same `webhook-id`:
/// `{"event_id":"msg_…","endpoint_id":N,"event":"…","payload":{…},"timestamp":ms?,"redelivery":bool?}`
/// (`"redelivery":false`: a new event that this endpoint alone gets, with its own payload; it
/// is delivered the same way and its results say `"redelivery":false`).
///
/// Ownership: borrows `request`.
/// NULL and bad input: NULL → 1; invalid UTF-8 → 2; bad JSON → 3; payload too large → 4;
/// payload not an object, too deep or with half a surrogate pair → 3; bad slug → 8; endpoint
/// not in the snapshot → 11; before init → 7; spool → 9.
/// Statuses: 0, 1, 2, 3, 4, 7, 8, 9, 11, 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_redeliver(request: *const c_char, request_len: usize) -> i32 {
    guard(|| {
        // SAFETY: the caller passes `request_len` readable bytes.
        let r = unsafe { str_arg(request, request_len, "request") }?;
        engine::global()?.redeliver(r.as_bytes())
    })
}

/// The message of the last failed call on this thread (empty after a success).
///
/// Ownership: returns borrowed; valid until the next `hooks_*` call on this thread. Never NULL.
/// NULL and bad input: none.
/// Thread safety: per thread.
#[no_mangle]
pub extern "C" fn hooks_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// The machine kind of the last failed call on this thread, set together with
/// `hooks_last_error` (empty after a success): `null_argument`, `invalid_utf8`,
/// `invalid_json`, `not_object`, `too_large`, `too_deep`, `lone_surrogate`,
/// `invalid_settings`, `invalid_config`, `invalid_url`, `invalid_event`, `not_initialized`,
/// `spool`, `timeout`, `not_found` or `internal` (a caught panic). Translate by kind; the
/// status says the family, the message the detail.
///
/// Ownership: returns borrowed; valid until the next `hooks_*` call on this thread. Never NULL.
/// NULL and bad input: none.
/// Thread safety: per thread.
#[no_mangle]
pub extern "C" fn hooks_last_error_kind() -> *const c_char {
    LAST_KIND.with(|e| e.borrow().as_ptr())
}

/// The name of a status: `"not_found"` for 11, `"ok"` for 0 (each the first kind
/// `hooks_last_error_kind()` gives with that status), `"unknown"` for a status this version
/// never returns.
///
/// Ownership: returns borrowed; static, valid for the life of the library. Never NULL.
/// NULL and bad input: any value is accepted.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_status_name(status: i32) -> *const c_char {
    STATUSES.iter().find(|(code, _, _)| *code == status).map_or(c"unknown", |(_, name, _)| name).as_ptr()
}

/// Frees a string returned by this library. NULL is fine.
///
/// Ownership: takes `s`; it must come from this library and not be freed twice.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(|| {
        // SAFETY: `s` was produced by CString::into_raw in write_out and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}

/// Flushes for at most `timeout_ms`, then stops this process's engine and releases delivery
/// leadership. `hooks_init` may be called again afterwards.
///
/// Ownership: none.
/// NULL and bad input: none; before init → 7.
/// Statuses: 0, 7, 10 (stopped, but deliveries were still pending; nothing is lost), 99.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hooks_shutdown(timeout_ms: u32) -> i32 {
    guard(|| engine::shutdown_global(Duration::from_millis(timeout_ms as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> (String, String) {
        // SAFETY: neither returns NULL, and the strings live until the next call.
        let (m, k) = unsafe { (CStr::from_ptr(hooks_last_error()), CStr::from_ptr(hooks_last_error_kind())) };
        (m.to_string_lossy().into_owned(), k.to_string_lossy().into_owned())
    }

    #[test]
    fn a_panic_becomes_a_status() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, HOOKS_ERR_PANIC);
        let (msg, kind) = last_error();
        assert!(msg.starts_with("internal: a panic was caught (boom)"), "{msg}");
        assert_eq!(kind, "internal");
        assert_eq!(guard(|| Ok(())), HOOKS_OK);
        assert_eq!(last_error(), (String::new(), String::new()));
    }

    #[test]
    fn every_error_kind_has_its_documented_status() {
        // README.md's table: "| `3` | `invalid_json`, `not_object`, … | when |".
        let readme = include_str!("../../README.md");
        let want: Vec<(String, i32)> = readme
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code: i32 = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?.parse().ok()?;
                Some(cells.get(2)?.split(',').map(move |k| (k.trim().trim_matches('`').to_string(), code)))
            })
            .flatten()
            .filter(|(_, code)| *code != HOOKS_OK)
            .collect();
        let all = Error::every_variant();
        assert_eq!(all.len(), want.len());
        for e in all {
            let status = want.iter().find(|(k, _)| k == e.kind()).map(|(_, s)| *s);
            assert_eq!(Some(status_of(&e)), status, "README.md gives {} its status", e.kind());
            let code = guard(|| Err(e.clone()));
            assert_eq!(code, status_of(&e));
            assert_eq!(
                last_error(),
                (e.to_string(), e.kind().to_string()),
                "guard records the message and kind together"
            );
        }
    }
}
