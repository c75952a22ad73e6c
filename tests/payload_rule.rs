//! The payload rule against its vectors, `tests/fixtures/payload-rule.json` — the same file the
//! plugin's outbox pre-check is tested with, so a payload the plugin keeps for later is one the
//! engine accepts, and one it refuses is refused with the same kind.

mod common;

use multisite_webhooks::Engine;
use serde_json::Value;

#[test]
fn every_vector_gets_its_kind() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload-rule.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the vector file")).expect("JSON");
    let default_limit = doc["default_limit"].as_u64().expect("default_limit");
    let vectors = doc["vectors"].as_array().expect("vectors");
    assert!(vectors.len() >= 15);
    let mut engines = std::collections::HashMap::new();
    let mut wrong = Vec::new();
    for v in vectors {
        let limit = v["limit"].as_u64().unwrap_or(default_limit);
        let engine = engines.entry(limit).or_insert_with(|| {
            let spool = common::spool_dir(&format!("payload-rule-{limit}"));
            let e =
                Engine::start(common::settings(&spool, &format!(r#""max_payload_bytes":{limit}"#)).as_bytes()).unwrap();
            // Heard by an endpoint, so every event is kept (and checked in full).
            e.configure(common::snapshot(1, &[(1, "http://127.0.0.1:9/", &["e"])]).as_bytes()).unwrap();
            e
        });
        let payload = v["payload"].as_str().expect("payload");
        let want = if v["ok"].as_bool() == Some(true) { None } else { v["kind"].as_str() };
        let got = engine.emit("e", payload.as_bytes()).err();
        if got.as_ref().map(|e| e.kind()) != want {
            wrong.push(format!("{:.60}: want {want:?}, got {:?}", payload, got.map(|e| e.to_string())));
        }
    }
    for e in engines.values() {
        let _ = e.shutdown(std::time::Duration::ZERO);
    }
    assert!(wrong.is_empty(), "{} vectors disagree:\n{}", wrong.len(), wrong.join("\n"));
}
