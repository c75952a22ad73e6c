//! Several OS processes on one spool: one delivers at a time, leadership passes on, and a
//! leader killed with SIGKILL loses nothing.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_hooks-spool");

fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "hooks-spool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn candidate(settings: &str) -> Child {
    Command::new(BIN).args(["run", settings, "--timeout-ms", "120000"]).stdout(Stdio::null()).spawn().unwrap()
}

fn leader_pid(spool: &Path) -> Option<u32> {
    std::fs::read_to_string(spool.join("leader.lock")).ok()?.trim().parse().ok()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill9(child: &mut Child) {
    let _ = Command::new("kill").args(["-9", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// How many times each payload number arrived.
fn tally(server: &Server) -> HashMap<i64, usize> {
    let mut m = HashMap::new();
    for r in server.requests() {
        *m.entry(r.json()["n"].as_i64().unwrap()).or_default() += 1;
    }
    m
}

#[test]
fn two_processes_on_one_spool_deliver_each_event_once_and_hand_over_leadership() {
    let server = Server::start(|_, _| ok());
    let dir = spool_dir("two-procs");
    let s = settings(&dir, "");
    cli(&["configure", &s, &snapshot(1, &[(1, &server.url("/"), &["e"])])]);
    let mut a = candidate(&s);
    let mut b = candidate(&s);
    wait_until("a leader", Duration::from_secs(10), || leader_pid(&dir).is_some_and(|p| p == a.id() || p == b.id()));
    let first = leader_pid(&dir).unwrap();
    assert_eq!(cli(&["emit", &s, "e", "2000"]).trim(), "2000");
    wait_until("2000 deliveries", Duration::from_secs(60), || server.count() >= 2000);
    std::thread::sleep(Duration::from_millis(300));
    let t = tally(&server);
    assert_eq!(t.len(), 2000, "every event arrived");
    assert!(t.values().all(|c| *c == 1), "no event was delivered twice: {} requests", server.count());

    // The leader dies; the other candidate takes over and delivers what comes next.
    let (dead, alive) = if first == a.id() { (&mut a, &mut b) } else { (&mut b, &mut a) };
    kill9(dead);
    wait_until("the other candidate to lead", Duration::from_secs(10), || leader_pid(&dir) == Some(alive.id()));
    cli(&["emit", &s, "e", "1", r#"{"n":5000}"#]);
    wait_until("the event after the hand-over", Duration::from_secs(10), || tally(&server).contains_key(&5000));
    kill9(alive);
}

#[test]
fn a_leader_killed_mid_queue_loses_nothing() {
    const N: usize = 10_000;
    let server = Server::start(|_, _| ok());
    let dir = spool_dir("kill9");
    let s = settings(&dir, "");
    cli(&["configure", &s, &snapshot(1, &[(1, &server.url("/"), &["e"])])]);
    let mut leader = candidate(&s);
    wait_until("the leader", Duration::from_secs(10), || leader_pid(&dir) == Some(leader.id()));
    let emitter = std::thread::spawn({
        let s = s.clone();
        move || cli(&["emit", &s, "e", &N.to_string()])
    });
    wait_until("a third of the events", Duration::from_secs(60), || server.count() >= N / 3);
    kill9(&mut leader);
    let at_kill = server.count();
    assert_eq!(emitter.join().unwrap().trim(), N.to_string());
    assert!(at_kill < N, "the leader was killed before it finished ({at_kill} of {N})");
    // A new process takes over and delivers the rest, then stops once idle.
    let status = Command::new(BIN).args(["run", &s, "--until-idle", "--timeout-ms", "120000"]).status().unwrap();
    assert!(status.success());
    let t = tally(&server);
    let missing: Vec<i64> = (0..N as i64).filter(|n| !t.contains_key(n)).collect();
    assert!(missing.is_empty(), "{} events lost, e.g. {:?}", missing.len(), &missing[..missing.len().min(10)]);
    let duplicates: usize = t.values().map(|c| c - 1).sum();
    println!(
        "kill -9 at {at_kill}/{N} deliveries: {} requests, {} distinct, {duplicates} duplicates",
        server.count(),
        t.len()
    );
    // Only attempts on the wire at the moment of the kill may repeat.
    assert!(duplicates <= 16, "{duplicates} duplicates: more than the attempts in flight");
    let stats: serde_json::Value = serde_json::from_str(&cli(&["stats", &s])).unwrap();
    assert_eq!(stats["queue_depth"], 0, "{stats}");
    let left: Vec<_> = std::fs::read_dir(dir.join("queue")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "finished segments are removed: {left:?}");
}

#[test]
fn a_leader_that_exits_normally_hands_over_without_repeating_anything() {
    const N: usize = 2_000;
    // A receiver slow enough that attempts are on the wire when the leader exits.
    let server = Server::start(|_, _| Reply::After(Duration::from_millis(20), Box::new(ok())));
    let dir = spool_dir("exit-handover");
    let s = settings(&dir, r#""per_endpoint_concurrency":8"#);
    cli(&["configure", &s, &snapshot(1, &[(1, &server.url("/"), &["e"])])]);
    // The first leader exits on its own (like a PHP-FPM worker at pm.max_requests) mid-queue.
    let mut first = Command::new(BIN).args(["run", &s, "--timeout-ms", "400", "--exit"]).spawn().unwrap();
    wait_until("the first leader", Duration::from_secs(10), || leader_pid(&dir) == Some(first.id()));
    cli(&["emit", &s, "e", &N.to_string()]);
    assert!(first.wait().unwrap().success());
    let at_exit = server.count();
    assert!(at_exit > 0 && at_exit < N, "the first leader delivered part of the queue ({at_exit})");
    let status = Command::new(BIN).args(["run", &s, "--until-idle", "--timeout-ms", "120000"]).status().unwrap();
    assert!(status.success());
    let t = tally(&server);
    assert_eq!(t.len(), N, "every event delivered");
    let duplicates: usize = t.values().map(|c| c - 1).sum();
    println!("normal exit at {at_exit}/{N} deliveries: {duplicates} duplicates");
    assert_eq!(duplicates, 0, "attempts in flight at exit were recorded, not repeated");
}
