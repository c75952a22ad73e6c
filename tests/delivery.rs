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

fn start_in(dir: &std::path::Path, extra: &str) -> Arc<Engine> {
    Engine::start(settings(dir, extra).as_bytes()).unwrap()
}

/// An engine whose clock only moves when the test says so (retries without sleeping).
fn start_driven(name: &str, extra: &str) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let e =
        Engine::start_with(settings(&spool_dir(name), extra).as_bytes(), clock.clone(), Arc::new(SplitMix::seeded(9)))
            .unwrap();
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
    let taken = take_all_until(&engine, 1, T);
    let results = &taken.attempts;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["outcome"], "delivered");
    assert_eq!(results[0]["status"], 200);
    assert_eq!(results[0]["attempt"], 1);
    assert_eq!(results[0]["event_id"], id.as_str());
    assert_eq!(results[0]["error_kind"], serde_json::Value::Null);
    assert!(results[0].get("payload").is_none(), "the payload travels in the event entry");
    assert_eq!(taken.events.len(), 1);
    assert_eq!(taken.events[0]["event_id"], id.as_str());
    assert_eq!(taken.events[0]["event"], "site_created");
    assert_eq!(taken.events[0]["payload"], r#"{"site_id":2,"site_title":"Two"}"#);
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
    let taken = take_all_until(&engine, 1, T);
    assert_eq!(taken.events.len(), 1, "one event entry, when the event is fanned out");
    let first = taken.attempts;
    assert_eq!(first[0]["outcome"], "retrying");
    assert_eq!(first[0]["status"], 500);
    assert_eq!(first[0]["error_kind"], "http_status");
    assert!(first[0]["error"].is_null(), "{}", first[0]);
    assert_eq!(first[0]["response_excerpt"], "status 500");
    let next = first[0]["next_attempt_at"].as_i64().unwrap();
    let delay = next - first[0]["started_at"].as_i64().unwrap();
    assert!((4_000..=6_000).contains(&delay), "first retry after 5 s ± 20 %, got {delay} ms");
    // Nothing happens until the clock reaches the retry: a whole pass of the leader at 1 ms
    // before it makes no attempt.
    clock.advance(delay - 1);
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 1, "not a moment before the retry is due");
    clock.advance(2);
    let taken = take_all_until(&engine, 1, T);
    let second = taken.attempts;
    assert_eq!(second[0]["outcome"], "delivered");
    assert_eq!(second[0]["attempt"], 2);
    assert_eq!(second[0]["error_kind"], serde_json::Value::Null);
    assert!(taken.events.is_empty(), "a retry journals no event entry again");
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
    clock.advance(86_400_000);
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 3, "no attempt after the last, a day later");
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
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 1, "no attempt after 410, a day later");
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
    let server = Server::start(|_, n| {
        if n == 0 {
            Reply::Status(429, vec![("Retry-After".into(), "30".into())], vec![])
        } else {
            ok()
        }
    });
    let (engine, clock) = start_driven("429", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["status"], 429);
    assert_eq!(r[0]["next_attempt_at"].as_i64().unwrap() - clock.now_ms(), 30_000, "exactly Retry-After, no jitter");
    clock.advance(29_999);
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 1, "not before Retry-After");
    clock.advance(1);
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
    assert_eq!(r[0]["error_kind"], "timeout");
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
    assert_eq!(r[0]["error_kind"], "network");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_redirect_is_a_failure_and_is_not_followed() {
    let server = Server::start(|req, _| {
        if req.path == "/moved" {
            ok()
        } else {
            Reply::Status(302, vec![("Location".into(), "/moved".into())], vec![])
        }
    });
    let engine = start("redirect", "");
    engine.configure(snapshot(1, &[(1, &server.url("/old"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 1, T);
    assert_eq!(r[0]["outcome"], "retrying");
    assert_eq!(r[0]["status"], 302);
    assert_eq!(r[0]["error"], "redirect not followed (302 to /moved)");
    assert_eq!(r[0]["error_kind"], "redirect");
    // The attempt is over (its result is in): a redirect followed would have been part of it.
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
    assert_eq!(r[0]["error_kind"], serde_json::Value::Null);
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
    let engine = Engine::start(
        format!(r#"{{"spool_dir":{},"poll_interval_ms":10}}"#, serde_json::to_string(&spool_dir("ssrf")).unwrap())
            .as_bytes(),
    )
    .unwrap();
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
        assert_eq!(res["error_kind"], "ssrf_refused", "endpoint {}", res["endpoint_id"]);
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
    assert_eq!(r[0]["error_kind"], "cancelled");
    clock.advance(3_600_000);
    engine.emit("e", b"{}").unwrap();
    engine.flush(T).unwrap();
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
    // The one timed wait left here: a process without the lock makes no pass that could be
    // waited for, so it gets many times a leader's poll interval to (wrongly) deliver.
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
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 3, "three failures open the breaker; the other events wait");
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert_eq!(stats["endpoints_unreachable"]["1"]["waiting"], 17, "{stats}");
    assert_eq!(
        take_until(&engine, 23, Duration::from_millis(500)).len(),
        23,
        "20 deliveries + 3 failed attempts, no more"
    );
    // Still down at the first probe: one request, then the breaker waits longer.
    clock.advance(5_001);
    server.wait_for(4, T);
    engine.flush(T).unwrap();
    assert_eq!(server.count(), 4, "one probe at a time");
    // Back up: the next probe succeeds and everything drains.
    up.store(true, Ordering::SeqCst);
    clock.advance(10_001);
    server.wait_for(4 + 19, T);
    // The event whose probe failed keeps its own schedule: its next attempt is 5 min later.
    engine.flush(T).unwrap();
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
    let now_ms = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let since = now_ms() + 1;
    while now_ms() <= since {
        std::thread::yield_now(); // the next event is raised after the webhook was created
    }
    a.configure(format!(r#"{{"version":2,"endpoints":[{{"id":1,"url":"{}","events":["e"]}},{{"id":2,"url":"{}","events":["e"],"since_ms":{since}}}]}}"#,
        old.url("/"), newer.url("/")).as_bytes()).unwrap();
    a.shutdown(Duration::ZERO).unwrap();
    // Another process takes over and reads the first one's segment again.
    let b = Engine::start(s.as_bytes()).unwrap();
    b.emit("e", br#"{"n":5}"#).unwrap();
    let got = newer.wait_for(1, T);
    b.flush(T).unwrap(); // every segment read, nothing due or in flight
    assert_eq!(
        newer.count(),
        1,
        "the newer webhook got only the event raised after it was created: {:?}",
        newer.requests().iter().map(|r| r.json()["n"].clone()).collect::<Vec<_>>()
    );
    assert_eq!(got[0].json()["n"], 5);
    assert_eq!(old.count(), 6, "the older webhook got each event once");
    b.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_refused_connection_and_a_500_have_their_error_kinds_in_results_and_test_sends() {
    let port = closed_port();
    let server = Server::start(|_, _| status(500));
    let (engine, _clock) = start_driven("kinds", "");
    let refused = format!("http://127.0.0.1:{port}/");
    engine.configure(snapshot(1, &[(1, &refused, &["e"]), (2, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    engine.emit("e", b"{}").unwrap();
    let r = take_until(&engine, 2, T);
    let by_id = |id: u64| r.iter().find(|x| x["endpoint_id"] == id).unwrap().clone();
    assert_eq!(by_id(1)["error_kind"], "connect_refused", "{}", by_id(1));
    assert!(by_id(1)["error"].as_str().unwrap().starts_with("network: "), "{}", by_id(1));
    assert_eq!((by_id(2)["status"].as_u64(), by_id(2)["error_kind"].as_str()), (Some(500), Some("http_status")));
    // Send Test says the same.
    for (url, kind) in [
        (refused.as_str(), "connect_refused"),
        (&server.url("/t")[..], "http_status"),
        ("http://10.0.0.1:9/", "ssrf_refused"),
    ] {
        let req = serde_json::json!({"endpoint": {"id": 5, "url": url, "events": ["e"]}, "event": "e", "payload": {}});
        let out: serde_json::Value =
            serde_json::from_str(&engine.send_test(req.to_string().as_bytes()).unwrap()).unwrap();
        assert_eq!((out["ok"].as_bool(), out["error_kind"].as_str()), (Some(false), Some(kind)), "{out}");
    }
    let ok = Server::start(|_, _| ok());
    let req =
        serde_json::json!({"endpoint": {"id": 5, "url": ok.url("/"), "events": ["e"]}, "event": "e", "payload": {}});
    let out: serde_json::Value = serde_json::from_str(&engine.send_test(req.to_string().as_bytes()).unwrap()).unwrap();
    assert_eq!((out["ok"].as_bool(), &out["error_kind"]), (Some(true), &serde_json::Value::Null), "{out}");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn an_endpoints_own_headers_are_sent_on_every_attempt_and_never_recorded() {
    let server = Server::start(|_, n| if n == 0 { status(500) } else { ok() });
    let (engine, clock) = start_driven("headers", "");
    let headers = serde_json::json!({"Authorization": "Bearer tok-5ecret", "X-API-Key": "key-5ecret"});
    let snap = serde_json::json!({"version": 1, "endpoints": [
        {"id": 1, "url": server.url("/"), "events": ["e"], "secrets": [SECRET], "headers": headers}]});
    let answer = engine.configure(snap.to_string().as_bytes()).unwrap().to_json();
    assert!(!answer.contains("5ecret"), "{answer}");
    engine.emit("e", b"{}").unwrap();
    let first = take_until(&engine, 1, T);
    clock.advance(6_001);
    let second = take_until(&engine, 1, T);
    let got = server.requests();
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(r.header("authorization"), "Bearer tok-5ecret");
        assert_eq!(r.header("x-api-key"), "key-5ecret");
        assert!(r.header("webhook-signature").starts_with("v1,"), "signed as ever");
    }
    for r in first.iter().chain(&second) {
        assert_eq!(r["request_headers"]["authorization"], "(hidden)", "{r}");
        assert_eq!(r["request_headers"]["x-api-key"], "(hidden)", "{r}");
        assert!(!r.to_string().contains("5ecret"), "no result carries a credential: {r}");
    }
    assert!(!engine.stats().contains("5ecret"));
    // Send Test sends them too, and does not show them either.
    let req = serde_json::json!({"endpoint": {"id": 1, "url": server.url("/t"), "events": ["e"], "headers": headers},
        "event": "e", "payload": {}});
    let out = engine.send_test(req.to_string().as_bytes()).unwrap();
    assert_eq!(server.requests()[2].header("authorization"), "Bearer tok-5ecret");
    assert!(!out.contains("5ecret") && out.contains("(hidden)"), "{out}");
    // A header the engine owns is refused with the endpoint, its value never echoed.
    let snap = serde_json::json!({"version": 2, "endpoints": [
        {"id": 1, "url": server.url("/"), "events": ["e"], "headers": {"Webhook-Signature": "v1,forged"}}]});
    let answer: serde_json::Value =
        serde_json::from_str(&engine.configure(snap.to_string().as_bytes()).unwrap().to_json()).unwrap();
    assert_eq!(answer["rejected"][0]["code"], "owned_header", "{answer}");
    assert!(!answer.to_string().contains("forged"), "{answer}");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn one_bad_endpoint_is_left_out_and_reported_while_the_good_ones_deliver() {
    let good = Server::start(|_, _| ok());
    let other = Server::start(|_, _| ok());
    let dir = spool_dir("rejected");
    let s = settings(&dir, "");
    let engine = Engine::start(s.as_bytes()).unwrap();
    let bad_port = format!("http://127.0.0.1:{}:80/", good.port);
    let snap = serde_json::json!({"version": 7, "endpoints": [
        {"id": 1, "url": good.url("/a"), "events": ["e"], "secrets": [SECRET]},
        {"id": 2, "url": bad_port, "events": ["e"]},
        {"id": 3, "url": other.url("/b"), "events": ["e"], "secrets": ["whsec_nope"]},
        {"id": 4, "url": other.url("/c"), "events": ["e"]},
        "not an endpoint",
    ]});
    let report = engine.configure(snap.to_string().as_bytes()).unwrap();
    let answer: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(answer["applied"], true);
    assert_eq!(answer["version"], 7);
    assert_eq!(answer["endpoints"], 2);
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{answer}");
    assert_eq!(rejected[0]["id"], 2);
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["kind"], "invalid_url");
    assert_eq!(rejected[0]["code"], "bad_port");
    assert_eq!(rejected[0]["field"], "url");
    assert!(rejected[0]["detail"].as_str().unwrap().starts_with("url: "), "{answer}");
    assert_eq!(
        (
            rejected[1]["id"].as_u64(),
            rejected[1]["kind"].as_str(),
            rejected[1]["code"].as_str(),
            rejected[1]["field"].as_str()
        ),
        (Some(3), Some("invalid_config"), Some("bad_secret"), Some("secrets"))
    );
    assert_eq!(
        (&rejected[2]["id"], rejected[2]["index"].as_u64(), rejected[2]["code"].as_str()),
        (&serde_json::Value::Null, Some(4), Some("not_object"))
    );
    // The good ones still deliver.
    engine.emit("e", br#"{"n":1}"#).unwrap();
    engine.flush(T).unwrap();
    assert_eq!(good.wait_for(1, T).len(), 1);
    assert_eq!(other.wait_for(1, T).iter().map(|r| r.path.clone()).collect::<Vec<_>>(), ["/c"]);
    // Every process on the spool reports the rejections of the newest snapshot.
    let second = Engine::start(s.as_bytes()).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&second.stats()).unwrap();
    assert_eq!(stats["snapshot_version"], 7);
    assert_eq!(&stats["rejected_endpoints"], &answer["rejected"], "{stats}");
    // A newer snapshot without them clears the list everywhere.
    engine.configure(snapshot(8, &[(1, &good.url("/a"), &["e"])]).as_bytes()).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&second.stats()).unwrap();
    assert_eq!((stats["snapshot_version"].as_u64(), &stats["rejected_endpoints"]), (Some(8), &serde_json::json!([])));
    // Only a document of the wrong shape is refused as a whole.
    let e = engine.configure(br#"{"version":9,"endpoints":{}}"#).unwrap_err();
    assert_eq!(e.kind(), "invalid_config");
    second.shutdown(Duration::ZERO).unwrap();
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn the_event_entry_holds_the_emitted_bytes_exactly_as_a_string() {
    let server = Server::start(|_, _| ok());
    let engine = start("exact", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"]), (2, &server.url("/2"), &["e"])]).as_bytes()).unwrap();
    // Numbers a float would round, a float written with its zero, empty containers, a
    // non-ASCII letter, an escaped slash-free `\u2028` and the raw character itself.
    let payloads = [
        r#"{"a":{},"b":[],"c":12345678901234567890,"d":49.0,"e":"é/\u2028"}"#.to_string(),
        "{\"a\":{},\"b\":[],\"c\":12345678901234567890,\"d\":49.0,\"e\":\"é/\u{2028}\"}".to_string(),
        "{ \"spaced\" : [ 1 , 2 ] ,\n\t\"z\":\"\\\"q\\\"\" }".to_string(),
    ];
    let mut ids = Vec::new();
    for p in &payloads {
        ids.push(engine.emit("e", p.as_bytes()).unwrap());
    }
    engine.flush(T).unwrap();
    let taken = take_all_until(&engine, 2 * payloads.len(), T);
    assert_eq!(taken.events.len(), payloads.len(), "one event entry per event, not per endpoint");
    for (i, p) in payloads.iter().enumerate() {
        let entry = taken.events.iter().find(|e| e["event_id"] == ids[i].as_str()).unwrap();
        assert_eq!(
            entry["payload"].as_str(),
            Some(p.as_str()),
            "event {i}: the payload is a string holding the accepted bytes"
        );
        assert_eq!(entry["event"], "e");
        assert!(entry["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
        assert!(
            server.requests().iter().filter(|r| r.header("webhook-id") == ids[i]).all(|r| r.body == p.as_bytes()),
            "and the receiver got those bytes"
        );
    }
    let first_attempt = taken.attempts.iter().position(|a| a["event_id"] == ids[0].as_str()).unwrap();
    let entry = taken.events.iter().position(|e| e["event_id"] == ids[0].as_str()).unwrap();
    assert!(entry <= first_attempt, "the event entry comes before its attempts");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_small_byte_budget_takes_one_entry_at_a_time_and_nothing_is_lost_without_an_ack() {
    // 62,000-byte payloads fill most of a 64 KiB answer; a 4 KB response excerpt makes each
    // attempt result too big to share an answer with an event entry.
    let server = Server::start(|_, _| Reply::Status(200, vec![], vec![b'r'; 4096]));
    let engine = start("budget", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    const N: usize = 3;
    let mut ids = Vec::new();
    for i in 0..N {
        // One at a time, so the journal interleaves them: event, its attempt, next event, …
        ids.push(engine.emit("e", format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(62_000)).as_bytes()).unwrap());
        engine.flush(T).unwrap();
    }
    let budget = 64 << 10;
    let mut order = Vec::new();
    loop {
        let text = engine.take_results(0, 1).unwrap();
        assert_eq!(text, engine.take_results(0, budget).unwrap(), "the budget is clamped to 64 KiB");
        assert_eq!(
            text,
            engine.take_results(100, budget).unwrap(),
            "taking again without an ack hands out the same entries"
        );
        assert!(text.len() <= budget, "{} bytes", text.len());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (events, attempts) = (v["events"].as_array().unwrap(), v["attempts"].as_array().unwrap());
        if events.is_empty() && attempts.is_empty() {
            assert_eq!(v["more"], false);
            break;
        }
        assert_eq!(events.len() + attempts.len(), 1, "one entry at a time: {} + {}", events.len(), attempts.len());
        order.extend(events.iter().map(|e| format!("event {}", e["event_id"].as_str().unwrap())));
        order.extend(attempts.iter().map(|a| format!("attempt {}", a["event_id"].as_str().unwrap())));
        engine.ack_results(v["ack"].as_str().unwrap()).unwrap();
        // An old token is a no-op, never a step back.
        engine.ack_results(v["ack"].as_str().unwrap()).unwrap();
    }
    let want: Vec<String> = ids.iter().flat_map(|id| [format!("event {id}"), format!("attempt {id}")]).collect();
    assert_eq!(order, want, "every entry, once, in journal order");
    let e = engine.ack_results("not-a-token").unwrap_err();
    assert_eq!(e.kind(), "invalid_json");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn entries_dropped_at_the_results_cap_are_counted_and_the_count_survives_a_restart() {
    let server = Server::start(|_, _| ok());
    let dir = spool_dir("dropped");
    // A 1-byte cap: the first results file is dropped untaken as soon as the journal rotates
    // (past 4 MiB).
    let s = settings(&dir, r#""results_max_bytes":1"#);
    let engine = Engine::start(s.as_bytes()).unwrap();
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    const N: usize = 80;
    for i in 0..N {
        engine.emit("e", format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(60_000)).as_bytes()).unwrap();
    }
    engine.flush(T).unwrap();
    let answer: serde_json::Value = serde_json::from_str(&engine.take_results(0, 0).unwrap()).unwrap();
    let dropped = answer["dropped"].as_u64().unwrap();
    assert!(dropped > 0, "{}", answer["dropped"]);
    let taken = take_all_until(&engine, 0, T);
    assert_eq!(
        dropped as usize + taken.events.len() + taken.attempts.len(),
        2 * N,
        "every entry (an event and an attempt per event) was either taken or counted as dropped"
    );
    let stats: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
    assert_eq!(stats["results_dropped"], dropped);
    assert!(stats.get("results_dropped_files").is_none());
    engine.shutdown(Duration::ZERO).unwrap();
    let again = Engine::start(s.as_bytes()).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&again.stats()).unwrap();
    assert_eq!(stats["results_dropped"], dropped, "the count survives a restart");
    again.shutdown(Duration::ZERO).unwrap();
}

/// Polls `engine`'s stats until `want(stats)` or `timeout`; returns whether it held.
fn stats_until(engine: &Engine, timeout: Duration, want: impl Fn(&serde_json::Value) -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        let s: serde_json::Value = serde_json::from_str(&engine.stats()).unwrap();
        if want(&s) {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_delivery_worker_takes_delivery_over_and_the_others_leave_it_to_it() {
    let dir = spool_dir("worker");
    let server = Server::start(|_, _| ok());
    let web = start_in(&dir, "");
    web.configure(snapshot(1, &[(1, &server.url("/"), &["e"])]).as_bytes()).unwrap();
    web.emit("e", br#"{"n":1}"#).unwrap();
    server.wait_for(1, T);
    assert!(stats_until(&web, T, |s| s["is_leader"] == true), "with no worker, a web process leads");

    // The worker starts: the leading web process steps down, the worker leads.
    let worker = start_in(&dir, r#""delivery_worker":true"#);
    assert!(stats_until(&worker, T, |s| s["is_leader"] == true), "the worker takes delivery over");
    let web_stats: serde_json::Value = serde_json::from_str(&web.stats()).unwrap();
    assert_eq!(web_stats["is_leader"], false, "the web process left delivery to the worker");
    assert_eq!(web_stats["delivery_worker"], true, "the web process sees the worker");
    web.emit("e", br#"{"n":2}"#).unwrap();
    let got = server.wait_for(2, T);
    assert_eq!(got[1].json()["n"], 2, "the web process's event is delivered by the worker");
    worker.flush(T).unwrap();
    assert_eq!(server.count(), 2);

    // The worker stops: its supervisor gets a moment to start the next; then a web process
    // takes over, so nothing waits for a worker that is gone.
    worker.shutdown(Duration::from_secs(2)).unwrap();
    let stopped = Instant::now();
    assert!(stats_until(&web, T, |s| s["is_leader"] == true), "a web process leads again once the worker is gone");
    assert!(
        stopped.elapsed() >= Duration::from_millis(multisite_webhooks::WORKER_RESTART_GRACE_MS as u64 - 500),
        "not before the restart grace ({:?})",
        stopped.elapsed()
    );
    web.emit("e", br#"{"n":3}"#).unwrap();
    server.wait_for(3, T);
    web.shutdown(Duration::ZERO).unwrap();
}

#[cfg(target_os = "linux")]
const SCHED_BATCH: u32 = 3;

/// The scheduling policy of each of this process's engine threads (`hooks-*`), from
/// /proc/self/task/<tid>/stat (field 41: 0 normal, 3 batch).
#[cfg(target_os = "linux")]
fn engine_thread_policies() -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_string();
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        if comm.starts_with("hooks-") {
            out.push((comm, rest.split_whitespace().nth(38).and_then(|p| p.parse().ok()).unwrap_or(u32::MAX)));
        }
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn the_engines_threads_never_preempt_a_page_when_they_wake() {
    let server = Server::start(|_, _| ok());
    let engine = start("batch", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["site_created"])]).as_bytes()).unwrap();
    engine.emit("site_created", b"{}").unwrap();
    engine.flush(T).unwrap();
    assert_eq!(server.requests().len(), 1);
    let threads = engine_thread_policies();
    assert!(
        threads.iter().any(|(n, _)| n == "hooks-dispatch")
            && threads.iter().any(|(n, _)| n.starts_with("hooks-deliver-")),
        "{threads:?}"
    );
    assert!(threads.iter().all(|&(_, p)| p == SCHED_BATCH), "every engine thread is SCHED_BATCH: {threads:?}");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn an_event_kept_elsewhere_first_is_delivered_under_the_id_it_was_given() {
    let server = Server::start(|_, _| ok());
    let engine = start("emit-as", "");
    engine.configure(snapshot(1, &[(1, &server.url("/"), &["site_created"])]).as_bytes()).unwrap();
    let id = "msg_01M8T687KAP89K6PGEEXQJNCES";
    engine.emit_as(id, "site_created", br#"{"site_id":3}"#).unwrap();
    engine.flush(T).unwrap();
    assert_eq!(server.requests()[0].header("webhook-id"), id);
    assert_eq!(take_all_until(&engine, 1, T).attempts[0]["event_id"], id);
    for bad in [
        "msg_01M8T687KAP89K6PGEEXQJNCE",
        "msg_01M8T687KAP89K6PGEEXQJNCEU",
        "evt_01M8T687KAP89K6PGEEXQJNCES",
        "msg_01m8t687kap89k6pgeexqjnces",
        "",
    ] {
        let e = engine.emit_as(bad, "site_created", b"{}").unwrap_err();
        assert!(e.to_string().contains("id: msg_ and 26 Crockford base-32 characters"), "{bad}: {e}");
    }
    assert_eq!(server.requests().len(), 1, "a malformed id queues nothing");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn an_event_kept_elsewhere_first_is_not_heard_by_a_webhook_created_after_it_was_raised() {
    let old = Server::start(|_, _| ok());
    let newer = Server::start(|_, _| ok());
    let engine = start("emit-as-since", "");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    // Raised a minute ago and kept in the outbox; a webhook was created since; now it reaches the engine.
    let id = multisite_webhooks::clock::new_id("msg_", now - 60_000, &SplitMix::seeded(9));
    let snap = serde_json::json!({"version": 1, "endpoints": [
        {"id": 1, "url": old.url("/"), "events": ["site_created"], "secrets": [SECRET]},
        {"id": 2, "url": newer.url("/"), "events": ["site_created"], "secrets": [SECRET], "since_ms": now - 1_000}]});
    engine.configure(snap.to_string().as_bytes()).unwrap();
    engine.emit_as(&id, "site_created", br#"{"site_id":4}"#).unwrap();
    engine.flush(T).unwrap();
    assert_eq!(old.requests().len(), 1);
    assert_eq!(newer.requests().len(), 0, "the newer webhook did not exist when the event was raised");
    let attempts = take_all_until(&engine, 1, T);
    assert_eq!(attempts.events[0]["timestamp"], now - 60_000, "the event keeps the time it was raised");
    engine.shutdown(Duration::ZERO).unwrap();
}

#[test]
fn a_redelivery_and_a_targeted_event_go_to_one_endpoint_and_say_which_they_are() {
    let one = Server::start(|_, _| ok());
    let two = Server::start(|_, _| ok());
    let engine = start("targeted", "");
    let snap = serde_json::json!({"version": 1, "endpoints": [
        {"id": 1, "url": one.url("/"), "events": ["e"], "secrets": [SECRET]},
        {"id": 2, "url": two.url("/"), "events": ["e"], "secrets": [SECRET]}]});
    engine.configure(snap.to_string().as_bytes()).unwrap();
    let again = br#"{"event_id":"msg_again","endpoint_id":2,"event":"e","payload":{"n":1}}"#;
    engine.redeliver(again).unwrap();
    let own = br#"{"event_id":"msg_own","endpoint_id":2,"event":"e","payload":{"n":2},"redelivery":false}"#;
    engine.redeliver(own).unwrap();
    engine.flush(T).unwrap();
    assert_eq!((one.requests().len(), two.requests().len()), (0, 2), "each goes to endpoint 2 alone");
    let taken = take_all_until(&engine, 2, T);
    let flag = |id: &str| taken.attempts.iter().find(|a| a["event_id"] == id).map(|a| a["redelivery"].clone());
    assert_eq!(flag("msg_again"), Some(serde_json::json!(true)), "{:?}", taken.attempts);
    assert_eq!(flag("msg_own"), Some(serde_json::json!(false)), "a new event with its own payload is not a redelivery");
    engine.shutdown(Duration::ZERO).unwrap();
}
