//! A webhook's own request headers against their vectors, `tests/fixtures/header-rule.json` —
//! the same file the plugin's own check (php-bridge/src/HeaderRule.php) is tested with, so
//! headers the plugin saves are headers the engine sends, and those it refuses the engine
//! refuses with the same code, naming the same header.

use multisite_webhooks::config::Snapshot;
use serde_json::{json, Value};

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/header-rule.json");
    let text = std::fs::read_to_string(path).expect("tests/fixtures/header-rule.json");
    let v: Value = serde_json::from_str(&text).expect("the vector file is JSON");
    v["vectors"].as_array().expect("a list of vectors").clone()
}

#[test]
fn every_vector_gets_its_verdict_code_and_header() {
    let all = vectors();
    assert!(all.len() >= 50, "{} vectors", all.len());
    let mut wrong = Vec::new();
    for v in &all {
        let doc = json!({"version": 1, "endpoints": [
            {"id": 1, "url": "http://a.example/", "events": ["e"], "headers": v["headers"]}]});
        let snap = Snapshot::from_json(doc.to_string().as_bytes()).expect("a snapshot with one endpoint parses");
        let note = v["note"].as_str().unwrap_or("");
        match (v["ok"].as_bool().expect("ok is a boolean"), snap.rejected.first()) {
            (true, None) if snap.endpoints.len() == 1 => {}
            (false, Some(r)) => {
                let name = v["name"].as_str().unwrap();
                let at = if v["why"] == "too_many" {
                    "headers".to_string()
                } else {
                    format!("headers.{}", name.escape_default())
                };
                if r.code != v["code"].as_str().unwrap() || !r.detail.starts_with(&format!("{at}: ")) {
                    wrong.push(format!("{note}: want {} at {at}, got {} ({})", v["code"], r.code, r.detail));
                }
            }
            (ok, r) => wrong.push(format!("{note}: want ok={ok}, got {r:?}")),
        }
    }
    assert!(wrong.is_empty(), "{} of {} vectors disagree:\n{}", wrong.len(), all.len(), wrong.join("\n"));
}
