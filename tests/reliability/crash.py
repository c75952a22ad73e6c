#!/usr/bin/env python3
"""Crash test: events keep being delivered when the delivering PHP-FPM worker is killed.

Against the local multisite of tools/wp (as root): a webhook to a recording receiver; N events
raised by concurrent page views (`?mwh_e2e_emit=<n>`, the end-to-end fixtures); meanwhile the
process holding the spool's leader lock — a PHP-FPM worker delivering in the background — is
killed with SIGKILL at random moments, R times, and PHP-FPM is restarted once in the middle.

Passes when every event whose page view returned its id was delivered at least once and the
spool holds nothing afterwards. Prints the counts: accepted, delivered, duplicates (repeated
deliveries of one id), kills.

    tests/reliability/crash.py [--events 10000] [--rounds 5] [--concurrency 8] [--timeout 180]
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.environ.get("MWH_STATE", "/var/lib/mwh-dev")


def log(msg):
    print(f"crash: {msg}", flush=True)


class Network:
    def __init__(self):
        with open(os.path.join(STATE, "env.json")) as f:
            self.env = json.load(f)
        self.base = self.env["MWH_URL"].rstrip("/")
        self.mu = os.path.join(self.env["WP_CONTENT_DIR"], "mu-plugins")
        self.spool = self.env["MWH_SPOOL_DIR"]

    def php(self, code):
        r = subprocess.run([os.path.join(ROOT, "tools/wp/wp-php.sh"), f"--url={self.env['MWH_URL']}", "-r", code],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"crash: wp-php.sh failed: {r.stderr.strip()[-600:]}")
        return r.stdout.strip()

    def fpm_master(self):
        with open(os.path.join(STATE, "run/php-fpm.pid")) as f:
            return int(f.read().strip())

    def reload_fpm(self):
        os.kill(self.fpm_master(), signal.SIGUSR2)
        end = time.monotonic() + 30
        time.sleep(0.3)
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("crash: PHP-FPM did not come back")

    def install_fixtures(self):
        os.makedirs(self.mu, exist_ok=True)
        shutil.copy(os.path.join(ROOT, "tests/wp/fixtures/mwh-e2e-fixtures.php"), os.path.join(self.mu, "mwh-e2e-fixtures.php"))
        shutil.copy(os.path.join(ROOT, "tests/wp/fixtures/ultimate-multisite-events.json"), os.path.join(self.mu, "mwh-e2e-um-catalog.json"))
        self.reload_fpm()

    def remove_fixtures(self):
        for f in ("mwh-e2e-fixtures.php", "mwh-e2e-um-catalog.json"):
            p = os.path.join(self.mu, f)
            if os.path.exists(p):
                os.unlink(p)
        self.reload_fpm()

    def leader_pid(self):
        try:
            with open(os.path.join(self.spool, "leader.lock")) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0


def is_fpm_worker(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().startswith(b"php-fpm: pool")
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5, help="how many times the delivering worker is killed")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--timeout", type=int, default=180, help="seconds to wait for every delivery after the last event")
    args = ap.parse_args()

    net = Network()
    tmp = tempfile.mkdtemp(prefix="mwh-crash.")
    port_file = os.path.join(tmp, "port")
    requests_log = os.path.join(tmp, "requests.jsonl")
    receiver = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/support/receiver.py"), "--port", "0",
                                 "--port-file", port_file, "--log", requests_log],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read().strip())
        net.install_fixtures()
        net.php('$w = MultisiteWebhooks\\Plugin::instance()->webhooks(); foreach ($w->list() as $h) { $w->delete($h["id"]); }'
                f' $w->create(["name" => "crash test", "webhook_url" => "http://127.0.0.1:{port}/crash", "events" => ["test_ping"],'
                ' "active" => 1, "hidden" => 0, "integration" => "manual", "payload_format" => "flat"]);')
        log(f"{args.events:,} events by {args.concurrency} concurrent page views; the delivering worker killed "
            f"{args.rounds} times; PHP-FPM restarted once")

        accepted = {}
        lock = threading.Lock()
        failures = [0]
        todo = list(range(args.events))
        done = [0]

        def emitter(ns):
            for n in ns:
                for _ in range(20):
                    try:
                        with urllib.request.urlopen(f"{net.base}/?mwh_e2e_emit={n}", timeout=30) as r:
                            body = json.loads(r.read())
                        if "id" in body:
                            with lock:
                                accepted[body["id"]] = n
                                done[0] += 1
                            break
                    except (OSError, ValueError, urllib.error.HTTPError):
                        pass
                    with lock:
                        failures[0] += 1
                    time.sleep(0.05)
                else:
                    raise SystemExit(f"crash: the page view for event {n} failed 20 times")

        threads = [threading.Thread(target=emitter, args=(todo[i::args.concurrency],)) for i in range(args.concurrency)]
        t0 = time.monotonic()
        for t in threads:
            t.start()

        kills = []
        restarted = False
        # Spread the kills (and the restart) over the emission.
        marks = sorted(random.uniform(0.05, 0.95) for _ in range(args.rounds))
        restart_at = 0.5
        while any(t.is_alive() for t in threads):
            progress = done[0] / args.events
            if marks and progress >= marks[0]:
                marks.pop(0)
                pid = net.leader_pid()
                if pid and is_fpm_worker(pid):
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                    log(f"  at {progress:4.0%} of the events: SIGKILL to the delivering worker {pid}")
                else:
                    marks.insert(0, progress + 0.01)  # no FPM worker leads right now: try again soon
            if not restarted and progress >= restart_at:
                restarted = True
                os.kill(net.fpm_master(), signal.SIGUSR2)
                log(f"  at {progress:4.0%} of the events: PHP-FPM restarted (SIGUSR2)")
            time.sleep(0.01)
        for t in threads:
            t.join()
        emit_s = time.monotonic() - t0
        log(f"{len(accepted):,} events accepted in {emit_s:.1f} s ({failures[0]} page views failed and were repeated)")

        # Page views keep coming, as on a live network: each one can take over delivery.
        deadline = time.monotonic() + args.timeout
        delivered = {}
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(net.base + "/", timeout=10).read()
            except OSError:
                pass
            delivered = {}
            with open(requests_log) as f:
                for line in f:
                    r = json.loads(line)
                    if r.get("method") == "POST" and r.get("path") == "/crash":
                        wid = r["headers"].get("webhook-id")
                        delivered[wid] = delivered.get(wid, 0) + 1
            if all(i in delivered for i in accepted):
                break
            time.sleep(0.5)
        missing = [i for i in accepted if i not in delivered]
        total = sum(delivered.values())
        duplicates = total - len(delivered)
        extra = len([i for i in delivered if i not in accepted])
        time.sleep(2)
        stats = json.loads(net.php('echo json_encode(MultisiteWebhooks\\Plugin::instance()->engine()->stats());'))
        left = {k: stats.get(k) for k in ("queue_depth", "queued", "in_flight", "retrying", "parked", "unread_bytes")}
        log(f"accepted {len(accepted):,}; delivered {len(delivered) - extra:,} of them "
            f"({len(missing)} missing); {total:,} deliveries, {duplicates} duplicates; "
            f"{extra} events accepted by page views that were killed before answering (delivered too); "
            f"{len(kills)} kills, PHP-FPM restarted {1 if restarted else 0}×; spool afterwards {left}")
        ok = not missing and not any(left.values()) and len(kills) == args.rounds
        if not ok:
            log("FAILED: " + ("; ".join(filter(None, [
                f"{len(missing)} events never delivered, e.g. {missing[:3]}" if missing else "",
                f"spool not empty: {left}" if any(left.values()) else "",
                f"only {len(kills)} of {args.rounds} kills happened" if len(kills) != args.rounds else "",
            ]))))
        return 0 if ok else 1
    finally:
        receiver.terminate()
        try:
            net.php('$w = MultisiteWebhooks\\Plugin::instance()->webhooks(); foreach ($w->list() as $h) { $w->delete($h["id"]); }')
        finally:
            net.remove_fixtures()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
