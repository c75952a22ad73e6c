//! The engine against real HTTP servers on 127.0.0.1: the HTTP contract of DESIGN.md.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use multisite_webhooks::clock::{Clock, ManualClock, SplitMix};
use multisite_webhooks::signing::{verify, Secret};
use multisite_webhooks::Engine;

const T: Duration = Duration::from_secs(10);

fn start(name: &str, extra: &str) -> Arc<Engine> {
    Engine::start(settings(&spool_dir(name), extra).as_bytes()).unwrap()
}

/// An engine whose clock only moves when the test says so (retries without sleeping).
fn start_driven(name: &str, extra: &str) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let e = Engine::start_with(settings(&spool_dir(name), extra).as_bytes(), clock.clone(), Arc::new(SplitMix::seeded(9))).unwrap();
    (e, clock)
}

#[test]
fn a_2xx_is_delivered_once_signed_and_with_the_contract_headers() {
    let server = Server::start(|_, _| ok());
    let engine = start("ok", "");
    engine.configure(snapshot(1, &[(1, &server.url("/hook"), &["site_created"])]).as_bytes()).unwrap();
    let id = engine.emit("site_created", br#"{"site_id":2,"site_title":"Two"}"#).unwrap();
    engine.flush(T).unwrap();
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
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - ts).abs() < 60);
    let secret = Secret::parse(SECRET).unwrap();
    assert!(verify(&secret, &id, ts, &r.body, r.header("webhook-signature")));
    let results = take_until(&engine, 1, T);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["outcome"], "delivered");
    assert_eq!(results[0]["status"], 200);
    assert_eq!(results[0]["attempt"], 1);
    assert_eq!(results[0]["event_id"], id.as_str());
    assert_eq!(results[0]["payload"]["site_id"], 2);
    assert_eq!(results[0]["response_excerpt"], "ok");
    assert!(results[0]["request_headers"]["webhook-signature"].as_str().unwrap().starts_with("v1,"));
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_500_is_retried_on_schedule_with_the_same_webhook_id() {
    let server = Server::start(|_, n| if n == 0 { status(500) } else { status(204) });
    let (engine, clock) = start_driven("retry", "");
    engine.configure(snapshot(1, &[(7, &server.url("/"), &["payment_received"])]).as_bytes()).unwrap();
    let id = engine.emit("payment_received", br#"{"payment_id":1}"#).unwrap();
    let first = take_until(&engine, 1, T);
    assert_eq!(first[0]["outcome"], "retrying");
    assert_eq!(first[0]["status"], 500);
    assert_eq!(first[0]["response_excerpt"], "status 500");
    let next = first[0]["next_attempt_at"].as_i64().unwrap();
    let delay = next - first[0]["started_at"].as_i64().unwrap();
    assert!((4_000..=6_000).contains(&delay), "first retry after 5 s ± 20 %, got {delay} ms");
    // Nothing happens until the clock reaches the retry.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 1);
    clock.advance(delay + 1);
    let second = take_until(&engine, 1, T);
    assert_eq!(second[0]["outcome"], "delivered");
    assert_eq!(second[0]["attempt"], 2);
    assert!(second[0].get("payload").is_none(), "the payload travels with attempt 1 only");
    let got = server.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), id);
    assert_eq!(got[1].header("webhook-id"), id, "webhook-id is stable across retries");
    assert_eq!(got[1].header("x-webhook-attempt"), "2");
    assert_eq!(got[0].body, got[1].body);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn attempts_run_out_after_the_schedule() {
    let server = Server::start(|_, _| status(502));
    let (engine, clock) = start_driven("exhaust", r#""retry_schedule_s":[5,300]"#);
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let r = take_until(&engine, 1, T);
        assert_eq!(r.len(), 1);
        outcomes.push(r[0]["outcome"].as_str().unwrap().to_string());
        clock.advance(400_000);
    }
    assert_eq!(outcomes, ["retrying", "retrying", "failed"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 3);
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert_eq!(stats["failed"], 1);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn gone_410_disables_the_endpoint() {
    let server = Server::start(|_, _| status(410));
    let other = Server::start(|_, _| ok());
    let (engine, clock) = start_driven("gone", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"]), (2, &other.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 2, T);
    let gone = r.iter().find(|r| r["endpoint_id"] == 1).unwrap();
    assert_eq!(gone["outcome"], "failed");
    assert!(gone["endpoint_disabled"].as_str().unwrap().contains("410"));
    engine.emit("e", b"{}").unwrap();
    engine.flush(T).unwrap();
    clock.advance(86_400_000);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 1, "no attempt after 410");
    assert_eq!(other.count(), 2);
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert!(stats["endpoints_disabled"]["1"].as_str().unwrap().contains("410"), "{stats}");
    // Re-enabling it in the admin (a new revision) lets events through again.
    let mut snap: serde_json::Value = serde_json::from_str(&snapshot(2, &[(1, &server.url("/"), &["e"])])).unwrap();
    snap["endpoints"][0]["revision"] = 2.into();
    engine.configure(snap.to_string().as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    server.wait_for(2, T);
    assert_eq!(server.count(), 2);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_429_honours_retry_after() {
    let server = Server::start(|_, n| if n == 0 { Reply::Status(429, vec![("Retry-After".into(), "30".into())], vec![]) } else { ok() });
    let (engine, clock) = start_driven("429", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["status"], 429);
    assert_eq!(r[0]["next_attempt_at"].as_i64().unwrap() - clock.now_ms(), 30_000, "exactly Retry-After, no jitter");
    clock.advance(29_000);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 1, "not before Retry-After");
    clock.advance(1_001);
    assert_eq!(take_until(&engine, 1, T)[0]["outcome"], "delivered");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_hanging_receiver_times_out() {
    let server = Server::start(|_, _| Reply::Hang);
    let engine = start("timeout", r#""request_timeout_ms":500,"connect_timeout_ms":200"#);
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    let t = Instant::now();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(r[0]["outcome"], "retrying");
    assert!(r[0]["status"].is_null());
    assert!(r[0]["error"].as_str().unwrap().starts_with("timeout:"), "{}", r[0]["error"]);
    assert!(r[0]["duration_ms"].as_u64().unwrap() >= 450);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_reset_connection_is_a_network_error() {
    let server = Server::start(|_, _| Reply::Reset);
    let engine = start("reset", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["outcome"], "retrying");
    assert!(r[0]["error"].as_str().unwrap().starts_with("network:"), "{}", r[0]["error"]);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_redirect_is_a_failure_and_is_not_followed() {
    let server = Server::start(|req, _| if req.path == "/moved" { ok() } else { Reply::Status(302, vec![("Location".into(), "/moved".into())], vec![]) });
    let engine = start("redirect", "");
    engine.configure(snapshot(1, &[(1, &server.url("/old"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["outcome"], "retrying");
    assert_eq!(r[0]["status"], 302);
    assert_eq!(r[0]["error"], "redirect not followed (302 to /moved)");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.requests().iter().filter(|r| r.path == "/moved").count(), 0);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_body_that_never_ends_is_cut_at_20_kb() {
    let server = Server::start(|_, _| Reply::EndlessBody);
    let engine = start("endless", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["outcome"], "delivered");
    assert_eq!(r[0]["response_excerpt"].as_str().unwrap().len(), 20 * 1024);
    assert_eq!(r[0]["response_truncated"], true);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_slow_endpoint_does_not_delay_a_fast_one() {
    let slow = Server::start(|_, _| Reply::After(Duration::from_secs(2), Box::new(ok())));
    let fast = Server::start(|_, _| ok());
    let engine = start("slowfast", r#""concurrency":8,"per_endpoint_concurrency":2"#);
    engine.configure(snapshot(1, &[(1, &slow.url("/"), &["e"]), (2, &fast.url("/"), &["e"])]).as_bytes()).unwrap();
    let t = Instant::now();
    for i in 0..40 {
        engine.emit("e", format!(r#"{{"n":{i}}}"#).as_bytes()).unwrap();
    }
    let got = fast.wait_for(40, T);
    let fast_done = t.elapsed();
    assert_eq!(got.len(), 40);
    assert!(fast_done < Duration::from_millis(1500), "the fast endpoint took {fast_done:?}");
    assert!(slow.count() <= 4, "the slow one is held to its own concurrency: {}", slow.count());
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn the_ssrf_guard_refuses_private_addresses_and_names_that_resolve_to_them() {
    let server = Server::start(|_, _| ok());
    let engine = Engine::start(format!(r#"{{"spool_dir":{},"poll_interval_ms":10}}"#,
        serde_json::to_string(&spool_dir("ssrf")).unwrap()).as_bytes()).unwrap();
    let urls = [
        (1, server.url("/")),
        (2, format!("http://localhost:{}/", server.port)),
        (3, format!("http://[::ffff:127.0.0.1]:{}/", server.port)),
        (4, "http://169.254.169.254/latest/meta-data/".to_string()),
        (5, "http://10.0.0.1:9/".to_string()),
        (6, "http://[::1]:9/".to_string()),
        (7, "http://100.64.0.1:9/".to_string()),
    ];
    let eps: Vec<(u64, &str, &[&str])> = urls.iter().map(|(id, u)| (*id, u.as_str(), &["e"][..])).collect();
    engine.configure(snapshot(1, &eps).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, urls.len(), T);
    assert_eq!(r.len(), urls.len());
    for res in &r {
        let err = res["error"].as_str().unwrap_or("");
        assert!(err.starts_with("ssrf: refused "), "endpoint {}: {err}", res["endpoint_id"]);
        assert!(res["status"].is_null());
    }
    let by_id = |id: u64| r.iter().find(|x| x["endpoint_id"] == id).unwrap()["error"].as_str().unwrap().to_string();
    assert!(by_id(2).contains("loopback"), "{}", by_id(2));
    assert!(by_id(4).contains("169.254.169.254 (link-local"), "{}", by_id(4));
    assert!(by_id(7).contains("carrier-grade NAT"), "{}", by_id(7));
    assert_eq!(server.count(), 0, "nothing reached the loopback server");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn turning_an_endpoint_off_cancels_its_retries() {
    let server = Server::start(|_, _| status(500));
    let (engine, clock) = start_driven("off", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    assert_eq!(take_until(&engine, 1, T)[0]["outcome"], "retrying");
    let mut snap: serde_json::Value = serde_json::from_str(&snapshot(2, &[(1, &server.url("/"), &["e"])])).unwrap();
    snap["endpoints"][0]["active"] = false.into();
    engine.configure(snap.to_string().as_bytes()).unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["outcome"], "cancelled");
    clock.advance(3_600_000);
    engine.emit("e", b"{}").unwrap();
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(server.count(), 1, "no attempt after the webhook was turned off");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn envelope_format_and_rotating_secrets() {
    let server = Server::start(|_, _| ok());
    let engine = start("envelope", "");
    let second = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let snap = serde_json::json!({"version": 1, "endpoints": [{"id": 1, "url": server.url("/"), "events": ["*"],
        "secrets": [second, SECRET], "format": "envelope"}]});
    engine.configure(snap.to_string().as_bytes()).unwrap();
    let id = engine.emit("user_registered", br#"{"user_id":5}"#).unwrap();
    let r = &server.wait_for(1, T)[0];
    let body = r.json();
    assert_eq!(body["type"], "user_registered");
    assert_eq!(body["data"]["user_id"], 5);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
    let sig = r.header("webhook-signature");
    assert_eq!(sig.split(' ').count(), 2);
    for s in [second, SECRET] {
        assert!(verify(&Secret::parse(s).unwrap(), &id, ts, &r.body, sig));
    }
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn an_event_nobody_hears_is_accepted_and_not_written() {
    let engine = start("nobody", "");
    engine.configure(snapshot(1, &[(1, "http://127.0.0.1:9/", &["site_created"])]).as_bytes()).unwrap();
    let id = engine.emit("user_deleted", b"{}").unwrap();
    assert!(id.starts_with("msg_"));
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert_eq!(stats["spool_bytes"], 0);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn power_durability_delivers_too() {
    let server = Server::start(|_, _| ok());
    let engine = start("power", r#""durability":"power""#);
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    for _ in 0..20 {
        engine.emit("e", b"{}").unwrap();
    }
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 20);
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_restarted_engine_resumes_the_spool() {
    let dir = spool_dir("resume");
    let s = settings(&dir, "");
    let server = Server::start(|_, _| ok());
    // Another process leads (the test holds the lock), so this engine only enqueues.
    multisite_webhooks::spool::Spool::open(&dir).unwrap();
    let lock = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("leader.lock")).unwrap();
    lock.lock().unwrap();
    let a = Engine::start(s.as_bytes()).unwrap();
    a.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    for i in 0..5 {
        a.emit("e", format!(r#"{{"n":{i}}}"#).as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.count(), 0, "a process that is not the leader does not deliver");
    a.shutdown(Duration::ZERO).unwrap();
    drop(lock);
    // A fresh engine on the same spool delivers what the first one accepted.
    let b = Engine::start(s.as_bytes()).unwrap();
    let got = server.wait_for(5, T);
    let mut ns: Vec<i64> = got.iter().map(|r| r.json()["n"].as_i64().unwrap()).collect();
    ns.sort();
    assert_eq!(ns, vec![0, 1, 2, 3, 4]);
    b.flush(T).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&b.stats()).unwrap();
    assert_eq!(stats["delivered"], 5);
    b.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn an_unreachable_endpoint_is_probed_not_flooded_and_drains_when_back() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    let server = Server::start(move |_, _| if flag.load(Ordering::SeqCst) { ok() } else { status(503) });
    let healthy = Server::start(|_, _| ok());
    let (engine, clock) = start_driven("breaker", r#""per_endpoint_concurrency":1"#);
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"]), (2, &healthy.url("/"), &["e"])]).as_bytes()).unwrap();
    for i in 0..20 {
        engine.emit("e", format!(r#"{{"n":{i}}}"#).as_bytes()).unwrap();
    }
    healthy.wait_for(20, T);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.count(), 3, "three failures open the breaker; the other events wait");
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert_eq!(stats["endpoints_unreachable"]["1"]["waiting"], 17, "{stats}");
    assert_eq!(take_until(&engine, 23, Duration::from_millis(500)).len(), 23, "20 deliveries + 3 failed attempts, no more");
    // Still down at the first probe: one request, then the breaker waits longer.
    clock.advance(5_001);
    server.wait_for(4, T);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.count(), 4, "one probe at a time");
    // Back up: the next probe succeeds and everything drains.
    up.store(true, Ordering::SeqCst);
    clock.advance(10_001);
    server.wait_for(4 + 19, T);
    // The event whose probe failed keeps its own schedule: its next attempt is 5 min later.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.count(), 23);
    clock.advance(360_000);
    let got = server.wait_for(4 + 20, T);
    let mut ns: Vec<i64> = got.iter().map(|r| r.json()["n"].as_i64().unwrap()).collect();
    ns.sort();
    ns.dedup();
    assert_eq!(ns, (0..20).collect::<Vec<i64>>(), "every event delivered once the endpoint is back");
    assert_eq!(server.count(), 24, "3 failures + 1 failed probe + 20 deliveries");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn the_spool_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(|_, _| ok());
    let dir = spool_dir("private");
    let engine = Engine::start(settings(&dir, "").as_bytes()).unwrap();
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    engine.flush(T).unwrap();
    let mut seen = 0;
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is {mode:o}", d.display());
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode & 0o077, 0, "{} is readable by others ({mode:o})", path.display());
                seen += 1;
            }
        }
    }
    assert!(seen >= 4, "the spool holds the lock, snapshot, segment and results ({seen} files)");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_new_leader_does_not_hand_older_events_to_newer_webhooks() {
    let dir = spool_dir("since");
    let s = settings(&dir, "");
    let old = Server::start(|_, _| ok());
    let newer = Server::start(|_, _| ok());
    let a = Engine::start(s.as_bytes()).unwrap();
    a.configure(snapshot(1, &[(1, &old.url("/"), &["e"])]).as_bytes()).unwrap();
    for i in 0..5 {
        a.emit("e", format!(r#"{{"n":{i}}}"#).as_bytes()).unwrap();
    }
    old.wait_for(5, T);
    a.flush(T).unwrap();
    // A webhook created now hears the same event.
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 + 1;
    std::thread::sleep(Duration::from_millis(5));
    a.configure(format!(r#"{{"version":2,"endpoints":[{{"id":1,"url":"{}","events":["e"]}},{{"id":2,"url":"{}","events":["e"],"since_ms":{since}}}]}}"#,
        old.url("/"), newer.url("/")).as_bytes()).unwrap();
    a.shutdown(Duration::ZERO).unwrap();
    // Another process takes over and reads the first one's segment again.
    let b = Engine::start(s.as_bytes()).unwrap();
    b.emit("e", br#"{"n":5}"#).unwrap();
    let got = newer.wait_for(1, T);
    b.flush(T).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(newer.count(), 1, "the newer webhook got only the event raised after it was created: {:?}",
        newer.requests().iter().map(|r| r.json()["n"].clone()).collect::<Vec<_>>());
    assert_eq!(got[0].json()["n"], 5);
    assert_eq!(old.count(), 6, "the older webhook got each event once");
    b.shutdown(Duration::ZERO).unwrap();
}
