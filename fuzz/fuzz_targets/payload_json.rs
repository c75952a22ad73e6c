//! The payload checks `emit`, `redeliver` and `send_test` apply, over arbitrary JSON-ish bytes,
//! checked against serde_json's own reading: a payload (as text, which is all the engine ever
//! checks) is accepted exactly when it fits the size limit, is one JSON object and nests at
//! most `MAX_DEPTH` deep; every refusal says which.

#![no_main]

use libfuzzer_sys::fuzz_target;
use multisite_webhooks::engine::MAX_DEPTH;
use multisite_webhooks::fuzzing::check_payload;
use multisite_webhooks::Error;
use serde_json::Value;

/// A limit small enough that inputs of libFuzzer's usual length cross it.
const SMALL: usize = 2048;
/// The default `max_payload_bytes`.
const DEFAULT: usize = 1 << 20;

/// How deeply `v` nests objects and arrays (a scalar is 0, `{}` is 1).
fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let big = check_payload(data, DEFAULT);
    let small = check_payload(data, SMALL);
    if data.len() <= SMALL {
        assert_eq!(big, small, "the limit matters only to payloads over it");
    } else {
        match &small {
            Err(Error::TooLarge { size, limit, .. }) => assert_eq!((*size, *limit), (data.len(), SMALL)),
            other => panic!("{} bytes over a {SMALL}-byte limit: {other:?}", data.len()),
        }
    }
    // Every caller holds the payload as text already (the C API refuses invalid UTF-8 first),
    // so the verdict is compared on text only: on other bytes it need only not panic.
    let Ok(text) = std::str::from_utf8(data) else { return };
    // serde_json's reader (recursion limit 128, above MAX_DEPTH) is the reference.
    let reference = serde_json::from_str::<Value>(text);
    match big {
        Ok(()) => match reference {
            Ok(v) => {
                assert!(v.is_object(), "an accepted payload is an object");
                assert!(depth(&v) <= MAX_DEPTH, "accepted at depth {}", depth(&v));
            }
            // JSON has no range for numbers; serde_json's `Value` has f64's (1e400). The payload
            // is sent as it was given, so the receiver decides.
            Err(e) if e.to_string().starts_with("number out of range") => {}
            Err(e) => panic!("an accepted payload is not valid JSON: {e}"),
        },
        Err(e @ (Error::Json(_) | Error::NotObject(_) | Error::TooDeep { .. } | Error::LoneSurrogate { .. })) => {
            assert!(e.to_string().starts_with("json: "), "{e}");
            if let Ok(v) = &reference {
                match &e {
                    Error::NotObject(_) => assert!(!v.is_object(), "an object was refused as not one"),
                    Error::TooDeep { depth: d, limit } => {
                        assert_eq!((*d, *limit), (depth(v), MAX_DEPTH), "the depth reported is the depth");
                        assert!(depth(v) > MAX_DEPTH);
                    }
                    // Half a surrogate pair: whatever serde_json makes of it, the engine refuses it.
                    Error::LoneSurrogate { .. } => {}
                    _ => assert!(!v.is_object() || depth(v) > MAX_DEPTH, "a valid object was refused: {e}"),
                }
            }
        }
        Err(other) => panic!("payload refused with the wrong family: {other}"),
    }
});
