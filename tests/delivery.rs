//! The engine against real HTTP servers on 127.0.0.1: the HTTP contract of DESIGN.md.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use multisite_webhooks::signing::{verify, Secret};
use multisite_webhooks::Engine;

fn start(name: &str, extra: &str) -> Arc<Engine> {
    Engine::start(settings(&spool_dir(name), extra).as_bytes()).unwrap()
}

#[test]
fn a_2xx_is_delivered_once_signed_and_with_the_contract_headers() {
    let server = Server::start(|_, _| ok());
    let engine = start("ok", "");
    engine.configure(snapshot(1, &[(1, &server.url("/hook"), &["site_created"])]).as_bytes()).unwrap();
    let id = engine.emit("site_created", br#"{"site_id":2,"site_title":"Two"}"#).unwrap();
    engine.flush(Duration::from_secs(10)).unwrap();
    let got = server.requests();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert_eq!(r.body, br#"{"site_id":2,"site_title":"Two"}"#);
    assert_eq!(r.header("content-type"), "application/json");
    assert!(r.header("user-agent").starts_with("MultisiteWebhooks/"), "{}", r.header("user-agent"));
    assert_eq!(r.header("webhook-id"), id);
    assert_eq!(r.header("x-webhook-event"), "site_created");
    assert_eq!(r.header("x-webhook-attempt"), "1");
    let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
    let secret = Secret::parse(SECRET).unwrap();
    assert!(verify(&secret, &id, ts, &r.body, r.header("webhook-signature")));
    let results: serde_json::Value = serde_json::from_str(&engine.take_results(100).unwrap()).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 1);
    assert_eq!(results[0]["outcome"], "delivered");
    assert_eq!(results[0]["status"], 200);
    assert_eq!(results[0]["event_id"], id.as_str());
    assert_eq!(results[0]["payload"]["site_id"], 2);
    engine.shutdown(Duration::ZERO).unwrap();
}
