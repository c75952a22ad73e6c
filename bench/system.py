"""Whole-system rows of `make bench`: what a network admin gets, measured through nginx +
PHP-FPM + WordPress (the local multisite of tools/wp), side by side with what they would use
instead. Imported by bench.py; every row is appended to the same table.

4. Cost inside the page view: one event, 3 webhooks — this plugin, Ultimate Multisite's way
   (wp_remote_post inline, non-blocking, per webhook; over HTTP and HTTPS), and no webhooks.
5. Plugin overhead on a page that emits nothing (the front page), active against inactive.
6. End to end: events fired by concurrent PHP-FPM requests, delivered to a fast receiver —
   events/s and hooks_emit → arrival latency, 1 and 10 webhooks per event, beside wrk.
7. A slow receiver (200 ms per answer), 1,000 events: drain time against the ideal.
8. Backlog: a receiver down for 100,000 events, then back: drain time, peak RSS of PHP-FPM.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STATE = os.environ.get("MWH_STATE", "/var/lib/mwh-dev")

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


PAGE_S = env_int("BENCH_PAGE_SECONDS", 8)
FPM_EMIT_PAGES = env_int("BENCH_FPM_EMIT_PAGES", 200)
E2E_S = env_int("BENCH_E2E_SECONDS", 10)
E2E_CONNECTIONS = env_int("BENCH_E2E_CONNECTIONS", 8)
SLOW_EVENTS = env_int("BENCH_SLOW_EVENTS", 1000)
BACKLOG_EVENTS = env_int("BENCH_BACKLOG_EVENTS", 100_000)
DRAIN_MAX_S = env_int("BENCH_DRAIN_MAX_SECONDS", 900)


def ulid_ms(message_id):
    """The millisecond timestamp inside a `msg_` id (when hooks_emit accepted the event)."""
    v = 0
    for ch in message_id[4:14]:
        v = v * 32 + CROCKFORD.index(ch)
    return v


def ms(x):
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


class System:
    """The local multisite, prepared for the benchmark and put back afterwards."""

    def __init__(self, bench, log, fail, free_port):
        self.b = bench
        self.log = log
        self.fail = fail
        self.free_port = free_port
        with open(os.path.join(STATE, "env.json")) as f:
            self.env = json.load(f)
        self.base = self.env["MWH_URL"].rstrip("/")
        self.mu = os.path.join(self.env["WP_CONTENT_DIR"], "mu-plugins")
        self.tmp = os.path.join(bench.tmp, "system")
        os.makedirs(self.tmp, mode=0o755)
        self.nginx_pids = []
        self.paused = []
        # The TLS receiver's certificate, where PHP-FPM's user can read it (bench.tmp is 0700).
        self.public = tempfile.mkdtemp(prefix="mwh-bench-ca.")
        os.chmod(self.public, 0o755)

    # ---- WordPress -----------------------------------------------------------------------

    def php(self, code):
        r = subprocess.run([os.path.join(ROOT, "tools/wp/wp-php.sh"), f"--url={self.env['MWH_URL']}", "-r", code],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            self.fail(f"wp-php.sh: {r.stderr.strip()[-800:]}")
        return r.stdout.strip()

    def reload_fpm(self):
        with open(os.path.join(STATE, "run/php-fpm.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGUSR2)
        end = time.monotonic() + 30
        time.sleep(0.5)
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(self.base + "/?mwh_bench=none", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.fail("PHP-FPM did not come back after a reload")

    def setup(self):
        """Installs the benchmark page; pauses the network's own webhooks (restored in close())."""
        os.makedirs(self.mu, exist_ok=True)
        shutil.copy(os.path.join(HERE, "wp", "mwh-bench.php"), os.path.join(self.mu, "mwh-bench.php"))
        self.paused = json.loads(self.php(
            '$w = MultisiteWebhooks\\Plugin::instance()->webhooks(); $ids = [];'
            ' foreach ($w->list(["active" => "1"]) as $h) { $w->update($h["id"], ["active" => 0]); $ids[] = $h["id"]; }'
            ' echo json_encode($ids);'))
        self.reload_fpm()

    def close(self):
        for pid in self.nginx_pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.nginx_pids = []
        try:
            self.set_webhooks([])
            self.php('delete_site_option("mwh_bench_remote_urls"); delete_site_option("mwh_bench_ca_file");'
                     f' $w = MultisiteWebhooks\\Plugin::instance()->webhooks(); foreach ({json.dumps(self.paused)} as $id) {{ $w->update($id, ["active" => 1]); }}')
        finally:
            shutil.rmtree(self.public, ignore_errors=True)
            path = os.path.join(self.mu, "mwh-bench.php")
            if os.path.exists(path):
                os.unlink(path)
            self.set_plugin_active(True)

    def set_webhooks(self, urls):
        """Replaces the benchmark's webhooks with one per URL, hearing bench_ping."""
        self.php('$w = MultisiteWebhooks\\Plugin::instance()->webhooks();'
                 ' foreach ($w->list(["integration" => "bench"]) as $h) { $w->delete($h["id"]); }'
                 f' foreach (json_decode({json.dumps(json.dumps(urls))}, true) as $i => $u) {{'
                 '   $w->create(["name" => "bench " . $i, "webhook_url" => $u, "events" => ["bench_ping"], "active" => 1,'
                 '     "hidden" => 0, "integration" => "bench", "payload_format" => "flat"]); }')

    def set_plugin_active(self, active):
        self.php('$p = get_site_option("active_sitewide_plugins", []); $f = "multisite-webhooks/multisite-webhooks.php";'
                 + (' $p[$f] = time();' if active else ' unset($p[$f]);') + ' update_site_option("active_sitewide_plugins", $p);')

    def engine_stats(self):
        return json.loads(self.php('echo json_encode(MultisiteWebhooks\\Plugin::instance()->engine()->stats());'))

    def fpm_workers(self):
        """pid → VmHWM (kB) of every PHP-FPM worker."""
        out = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = f.read()
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            if cmd.startswith("php-fpm: pool"):
                m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
                out[int(pid)] = int(m.group(1)) if m else 0
        return out

    # ---- receivers -----------------------------------------------------------------------

    def start_receiver(self, name, ports, tls_port=None):
        """An nginx answering 204 on `ports` (and HTTPS on `tls_port`), logging arrivals."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        tls_port = tls_port or self.free_port()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", os.path.join(d, "tls.key"),
                        "-out", os.path.join(d, "tls.crt")], check=True, capture_output=True)
        os.chmod(os.path.join(d, "tls.crt"), 0o644)
        status_port = self.free_port()
        with open(os.path.join(HERE, "wp", "receiver.conf.in")) as f:
            conf = f.read()
        listen = "\n".join(f"        listen 127.0.0.1:{p};" for p in ports)
        conf = (conf.replace("@TMP@", d).replace("@LISTEN@", listen).replace("@TLS_PORT@", str(tls_port))
                .replace("@STATUS_PORT@", str(status_port)))
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        r = subprocess.run(["nginx", "-p", d + "/", "-c", path, "-e", os.path.join(d, "nginx-error.log")], capture_output=True, text=True)
        if r.returncode != 0:
            self.fail(f"receiver nginx did not start: {r.stderr.strip()}")
        for _ in range(100):
            if os.path.exists(os.path.join(d, "nginx.pid")) and open(os.path.join(d, "nginx.pid")).read().strip():
                break
            time.sleep(0.05)
        pid = int(open(os.path.join(d, "nginx.pid")).read().strip())
        self.nginx_pids.append(pid)
        return {"dir": d, "ports": ports, "tls_port": tls_port, "status_port": status_port, "pid": pid,
                "ca": os.path.join(d, "tls.crt"), "log": os.path.join(d, "arrivals.log")}

    def stop_receiver(self, rec):
        try:
            os.kill(rec["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
        if rec["pid"] in self.nginx_pids:
            self.nginx_pids.remove(rec["pid"])

    def received(self, rec):
        """Requests the receiver has answered, not counting these status requests themselves."""
        with urllib.request.urlopen(f"http://127.0.0.1:{rec['status_port']}/", timeout=5) as res:
            text = res.read().decode()
        rec["polls"] = rec.get("polls", 0) + 1
        m = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M)
        return int(m.group(3)) - rec["polls"]

    def arrivals(self, rec, since_ms=0):
        """(arrival ms, emitted ms, webhook-id, port) of every logged delivery (flushes nginx's
        log buffer first)."""
        os.kill(rec["pid"], signal.SIGUSR1)  # reopen logs: writes out the buffer
        time.sleep(0.3)
        out = []
        with open(rec["log"]) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1].startswith("msg_"):
                    arrived = float(parts[0]) * 1000
                    if arrived >= since_ms:
                        out.append((arrived, ulid_ms(parts[1]), parts[1], parts[2]))
        return out

    def wait_received(self, rec, target, max_s):
        t0 = time.monotonic()
        last, last_change = -1, time.monotonic()
        while time.monotonic() - t0 < max_s:
            n = self.received(rec)
            if n >= target:
                return n, time.monotonic()
            if n != last:
                last, last_change = n, time.monotonic()
            time.sleep(0.05)
        return self.received(rec), time.monotonic()

    # ---- load ------------------------------------------------------------------------------

    def wrk_get(self, path, seconds, connections=1, threads=1):
        url = self.base + path
        r = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", os.path.join(HERE, "wp", "get.lua"), url],
                           capture_output=True, text=True, timeout=seconds + 60)
        m = re.search(r"WRK_RESULT requests=(\d+) duration_us=(\d+) errors=(\d+) p50_us=(\d+) p99_us=(\d+)", r.stdout)
        if r.returncode != 0 or not m:
            self.fail(f"wrk {url}: {r.stderr.strip() or r.stdout.strip()}")
        n, dur, errors, p50, p99 = (int(x) for x in m.groups())
        if errors:
            self.fail(f"wrk saw {errors} errors (non-2xx or socket) on {url}")
        return {"n": n, "rate": n / (dur / 1e6), "p50": p50 / 1000, "p99": p99 / 1000, "mean": dur / n / 1000 * connections}

    def quiesce(self, rec=None, max_s=120):
        """Waits until the engine has nothing queued, in flight or waiting for a retry (its
        figures are a heartbeat, so also until `rec` has received nothing for 2 s)."""
        t0 = time.monotonic()
        last, still_since = None, time.monotonic()
        while time.monotonic() - t0 < max_s:
            s = self.engine_stats()
            n = self.received(rec) if rec else 0
            if n != last:
                last, still_since = n, time.monotonic()
            if s.get("queue_depth", 1) == 0 and s.get("unread_bytes", 1) == 0 and time.monotonic() - still_since >= 2:
                return
            time.sleep(0.5)
        self.log(f"   (the engine was still busy after {max_s} s)")

    # ---- 4. cost inside the page view ---------------------------------------------------------

    def row_page_cost(self, rec):
        http = [f"http://127.0.0.1:{p}/hook" for p in rec["ports"][:3]]
        https = [f"https://127.0.0.1:{rec['tls_port']}/hook{i}" for i in range(3)]
        ca = os.path.join(self.public, "receiver.crt")
        shutil.copy(rec["ca"], ca)
        os.chmod(ca, 0o644)
        self.php(f'update_site_option("mwh_bench_ca_file", {json.dumps(ca)});')
        self.set_webhooks(http)
        self.quiesce(rec)
        runs = {}
        for name, path, urls in [("none", "/?mwh_bench=none", None), ("plugin", "/?mwh_bench=emit&n=1", None),
                                 ("remote-http", "/?mwh_bench=remote", http), ("remote-https", "/?mwh_bench=remote", https)]:
            if urls is not None:
                self.php(f'update_site_option("mwh_bench_remote_urls", json_decode({json.dumps(json.dumps(urls))}, true));')
            self.log(f"4. page view raising one event, 3 webhooks: {name}, wrk -c1 {PAGE_S} s ...")
            before = self.received(rec)
            runs[name] = self.wrk_get(path, PAGE_S)
            if name.startswith("remote"):
                # Every page view sent its 3 requests.
                got, _ = self.wait_received(rec, before + 3 * runs[name]["n"], 30)
                runs[name]["sent"] = got - before
            if name == "plugin":
                got, _ = self.wait_received(rec, before + 3 * runs[name]["n"], 120)
                runs[name]["sent"] = got - before
                self.quiesce(rec)
        self.set_webhooks([])
        c = runs["none"]
        a = runs["plugin"]
        for label, r in [("HTTP", runs["remote-http"]), ("HTTPS", runs["remote-https"])]:
            da50, db50 = a["p50"] - c["p50"], r["p50"] - c["p50"]
            da99, db99 = a["p99"] - c["p99"], r["p99"] - c["p99"]
            self.b.rows.append((
                "4", f"page view raising 1 event for 3 webhooks: this plugin vs wp_remote_post ({label})",
                f"nginx + PHP-FPM + WordPress 6.8, GET answered at init; wrk -c1 {PAGE_S} s each; (a) hooks_emit: "
                f"{a['n']:,} views, {a.get('sent', 0):,} deliveries arrived; (b) 3 × wp_remote_post blocking=false, 45 s "
                f"timeout (Ultimate Multisite's way) to nginx over {label}: {r['n']:,} views, {r.get('sent', 0):,} arrived; "
                f"(c) no webhooks: {c['n']:,} views",
                f"p50/p99: (a) {ms(a['p50'])}/{ms(a['p99'])}; (b) {ms(r['p50'])}/{ms(r['p99'])}; (c) {ms(c['p50'])}/{ms(c['p99'])}; "
                f"(a)−(c) {ms(max(da50, 0))}/{ms(max(da99, 0))}; (b)−(c) {ms(db50)}/{ms(db99)}; "
                f"(b)−(c) ÷ (a)−(c) at p50: {db50 / max(da50, 0.01):.0f}×",
                "(a)−(c) ≪ (b)−(c); all sent", "yes" if da50 < db50 and a.get("sent", 0) >= 3 * a["n"] and r.get("sent", 0) >= 3 * r["n"] else "NO"))

    # ---- 4f. hooks_emit inside PHP-FPM: an FPM worker leads, or the delivery worker does -------

    def timed_emits(self, pages, per_page):
        """`pages` page views each timing `per_page` hooks_emit() calls: the times (ns) of the
        calls after each view's first, those of views served by a worker that led delivery, and
        each view's first call (which also starts the engine for the request and reads the
        configuration's version)."""
        every, leading, first = [], [], []
        for _ in range(pages):
            with urllib.request.urlopen(f"{self.base}/?mwh_bench=timed&n={per_page}", timeout=60) as r:
                page = json.loads(r.read())
            first.append(page["ns"][0])
            every += page["ns"][1:]
            if page["leader"]:
                leading += page["ns"][1:]
        return every, leading, first

    def start_worker(self):
        """`wp webhook worker` (its code, MultisiteWebhooks\\Worker) as the web user, until it leads."""
        code = '$r = (new MultisiteWebhooks\\Worker(MultisiteWebhooks\\Plugin::instance()))->run(900); echo json_encode($r);'
        proc = subprocess.Popen([os.path.join(ROOT, "tools/wp/wp-php.sh"), f"--url={self.env['MWH_URL']}", "-r", code],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            time.sleep(0.3)
            s = self.engine_stats()
            if s.get("delivery_worker") and s.get("leader_pid") not in (None, 0) and s.get("leader_pid") in self.children(proc.pid):
                return proc
        proc.terminate()
        self.fail("the delivery worker did not take delivery over within 30 s")

    @staticmethod
    def children(pid):
        """`pid` and its descendants (wp-php.sh runs PHP under sudo)."""
        out, todo = {pid}, [pid]
        while todo:
            p = todo.pop()
            try:
                with open(f"/proc/{p}/task/{p}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            out.update(kids)
            todo += kids
        return out

    def row_fpm_emit(self, rec):
        self.set_webhooks([f"http://127.0.0.1:{p}/hook" for p in rec["ports"][:3]])
        self.quiesce(rec)
        # The receiver stands for other machines: on this one it runs only when the CPU is
        # otherwise idle (SCHED_IDLE: it never preempts the PHP being measured).
        receiver = self.children(rec["pid"])
        for pid in receiver:
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        pages, per = FPM_EMIT_PAGES, 100
        results = {}
        for name in ("fpm", "worker"):
            worker = self.start_worker() if name == "worker" else None
            try:
                self.log(f"4f. hooks_emit inside PHP-FPM, {pages} page views × {per} emits, "
                         + ("the delivery worker delivering ..." if worker else "a PHP-FPM worker delivering ..."))
                before = self.received(rec)
                self.timed_emits(5, per)  # warm-up
                every, leading, first = self.timed_emits(pages, per)
                got, _ = self.wait_received(rec, before + 3 * (pages + 5) * per, 300)
                results[name] = (every, leading, first, got - before)
            finally:
                if worker:
                    for pid in self.children(worker.pid) - {worker.pid}:
                        os.kill(pid, signal.SIGTERM)  # the PHP process: it stops gracefully
                    worker.wait(timeout=60)
            self.quiesce(rec)
        self.set_webhooks([])
        for pid in receiver:
            try:
                os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
            except ProcessLookupError:
                pass

        def p(xs, q):
            return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] / 1000 if xs else float("nan")

        fe, fl, ff, fsent = results["fpm"]
        we, wl, wf, wsent = results["worker"]
        self.b.rows.append((
            "4f", "hooks_emit() p99 inside PHP-FPM: a page-serving worker delivers vs the delivery worker does",
            f"GET pages each timing {per} hooks_emit() calls (the plugin API, 1 KB, 3 webhooks → nginx 204 at SCHED_IDLE, standing "
            f"for other machines) with hrtime, {FPM_EMIT_PAGES} pages per side after 5 warm-up, 4 PHP-FPM workers on 2 cores; "
            f"figures leave out each view's first call (it also starts the request's engine: p50/p99 (a) {p(ff, .5):.0f}/"
            f"{p(ff, .99):.0f} µs, (b) {p(wf, .5):.0f}/{p(wf, .99):.0f} µs; row 4 has the whole view); (a) no worker: a PHP-FPM worker "
            f"leads ({len(fl):,} of {len(fe):,} emits in the leading worker), {fsent:,} deliveries arrived; (b) `wp webhook "
            f"worker` (nice 10; the engine's threads are SCHED_BATCH everywhere) leads (no PHP-FPM worker does: {len(wl)} emits in a leading one), {wsent:,} arrived",
            f"p50/p99/p99.9 µs: (a) all {p(fe, .5):.1f}/{p(fe, .99):.1f}/{p(fe, .999):.1f}, in the leading worker "
            f"{p(fl, .5):.1f}/{p(fl, .99):.1f}/{p(fl, .999):.1f}; (b) {p(we, .5):.1f}/{p(we, .99):.1f}/{p(we, .999):.1f}; "
            f"(a) leading p99 ÷ (b) p99: {p(fl, .99) / max(p(we, .99), 0.001):.1f}×",
            "(b) p99 ≤ 50 µs; no FPM worker leads in (b)", "yes" if p(we, .99) <= 50 and not wl else "NO"))

    # ---- 5. overhead on a page that emits nothing --------------------------------------------

    def row_idle_overhead(self):
        p50 = {True: [], False: []}
        means = {True: [], False: []}
        secs = max(2, PAGE_S // 2)
        for rnd in range(3):
            for active in (True, False):
                self.set_plugin_active(active)
                self.log(f"5. page emitting nothing, plugin {'active' if active else 'inactive'}, round {rnd + 1}/3, wrk -c1 {secs} s ...")
                self.wrk_get("/?mwh_bench=none", 1)  # warm the opcache for this configuration
                r = self.wrk_get("/?mwh_bench=none", secs)
                p50[active].append(r["p50"])
                means[active].append(r["mean"])
        self.set_plugin_active(True)
        on, off = statistics.median(p50[True]), statistics.median(p50[False])
        mon, moff = statistics.median(means[True]), statistics.median(means[False])
        sign = lambda d: f"+{ms(d)}" if d >= 0 else f"−{ms(-d)}"
        self.b.rows.append((
            "5", "plugin overhead on a page that emits nothing",
            f"a WordPress page view answered at init (every plugin loaded and booted, shutdown hooks run; no "
            f"theme), wrk -c1, 3 alternating rounds of {secs} s with the plugin network-active and inactive; "
            f"medians of the rounds",
            f"p50 active {ms(on)}, inactive {ms(off)}: {sign(on - off)}; mean {sign(mon - moff)}",
            "< 1 ms", "yes" if on - off < 1.0 and mon - moff < 1.0 else "NO"))

    # ---- 6. end to end -----------------------------------------------------------------------

    def row_end_to_end(self, rec):
        for hooks in (1, 10):
            self.set_webhooks([f"http://127.0.0.1:{p}/hook" for p in rec["ports"][:hooks]])
            self.quiesce(rec)
            before = self.received(rec)
            start_ms = time.time() * 1000
            self.log(f"6. end to end, {hooks} webhook(s) per event: wrk -t2 -c{E2E_CONNECTIONS} {E2E_S} s of page views emitting 1 event ...")
            t0 = time.monotonic()
            w = self.wrk_get("/?mwh_bench=emit&n=1", E2E_S, connections=E2E_CONNECTIONS, threads=2)
            expected = w["n"] * hooks
            got, t_end = self.wait_received(rec, before + expected, 300)
            got -= before
            elapsed = t_end - t0
            arr = self.arrivals(rec, start_ms)
            lat = sorted(a - e for a, e, _, _ in arr)
            pairs = {(i, port) for _, _, i, port in arr}
            events = {i for _, _, i, _ in arr}
            p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
            self.b.rows.append((
                "6", f"end to end, {hooks} webhook{'s' if hooks > 1 else ''} per event",
                f"wrk -t2 -c{E2E_CONNECTIONS} {E2E_S} s of page views each calling hooks_emit once (PHP-FPM, 4 workers); "
                f"delivered by the engine inside one FPM worker to nginx answering 204; latency = arrival ($msec) − "
                f"the id's emit timestamp (ms resolution)",
                f"{w['rate']:,.0f} events/s emitted; {got:,} deliveries (wrk counted {expected // hooks:,} page views "
                f"× {hooks}) in {elapsed:.1f} s = {got / elapsed:,.0f} deliveries/s; {len(events):,} events × {hooks} "
                f"endpoints = {len(pairs):,} distinct, {len(arr) - len(pairs)} repeated; emit→arrival p50 "
                f"{p(0.5):.0f} ms, p99 {p(0.99):.0f} ms",
                "all delivered, none twice", "yes" if got >= expected and len(arr) == len(pairs) == len(events) * hooks else "NO"))
        self.set_webhooks([])
        rate, _ = self.b.wrk(f"http://127.0.0.1:{rec['ports'][0]}/hook")
        self.b.rows.append(("6w", "reference: wrk POSTing to the same receiver", "wrk -t1 -c16, the 1 KB body and webhook headers",
                            f"{rate:,.0f} requests/s", "—", "—"))

    # ---- 7. slow receiver --------------------------------------------------------------------

    def row_slow_receiver(self):
        from_dir = os.path.join(self.tmp, "slow")
        os.makedirs(from_dir)
        port_file = os.path.join(from_dir, "port")
        rec = self.b.spawn(["python3", os.path.join(ROOT, "tests/support/receiver.py"), "--port", "0", "--port-file", port_file],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read().strip())
        self.set_webhooks([f"http://127.0.0.1:{port}/sleep/200"])
        self.quiesce()
        concurrency = int(self.engine_stats().get("per_endpoint_concurrency") or 0)
        if not concurrency:
            self.fail("the engine's stats do not say its per_endpoint_concurrency")
        self.log(f"7. slow receiver (200 ms per answer): {SLOW_EVENTS:,} events ...")
        t0 = time.monotonic()
        per = 100
        for _ in range(SLOW_EVENTS // per):
            urllib.request.urlopen(f"{self.base}/?mwh_bench=emit&n={per}", timeout=60).read()
        emitted_s = time.monotonic() - t0
        n = 0
        while time.monotonic() - t0 < 300:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests", timeout=30) as r:
                n = sum(1 for q in json.load(r) if q["method"] == "POST")
            if n >= SLOW_EVENTS:
                break
            time.sleep(0.25)
        drain = time.monotonic() - t0
        self.b.stop(rec)
        self.set_webhooks([])
        ideal = SLOW_EVENTS * 0.2 / concurrency
        self.b.rows.append((
            "7", f"slow receiver: {SLOW_EVENTS:,} events, 200 ms per answer",
            f"{SLOW_EVENTS // per} page views emitting {per} each ({emitted_s:.1f} s); one webhook; per-endpoint "
            f"concurrency {concurrency}; ideal = events × 0.2 s ÷ {concurrency} = {ideal:.1f} s",
            f"{n:,} delivered in {drain:.1f} s = {ideal / drain * 100:.0f} % of ideal",
            "≥ 80 % of ideal", "yes" if n >= SLOW_EVENTS and ideal / drain >= 0.8 else "NO"))

    # ---- 8. backlog ----------------------------------------------------------------------------

    def row_backlog(self):
        port = self.free_port()
        self.set_webhooks([f"http://127.0.0.1:{port}/hook"])
        self.quiesce()
        self.reload_fpm()  # fresh workers: VmHWM counts from here
        per = 1000
        self.log(f"8. backlog: {BACKLOG_EVENTS:,} events while the receiver is down ...")
        t0 = time.monotonic()
        hwm = 0
        for i in range(BACKLOG_EVENTS // per):
            urllib.request.urlopen(f"{self.base}/?mwh_bench=emit&n={per}", timeout=120).read()
            if i % 10 == 0:
                hwm = max([hwm] + list(self.fpm_workers().values()))
        down_s = time.monotonic() - t0
        stats = self.engine_stats()
        self.log(f"   emitted in {down_s:.0f} s; queue {stats.get('queue_depth')}, attempts {stats.get('attempts')}; receiver back")
        rec = self.start_receiver("backlog", [port])
        t_back = time.monotonic()
        first = None
        got = 0
        last_log = time.monotonic()
        while time.monotonic() - t_back < DRAIN_MAX_S:
            got = self.received(rec)
            if got and first is None:
                first = time.monotonic() - t_back
            if got >= BACKLOG_EVENTS:
                break
            hwm = max([hwm] + list(self.fpm_workers().values()))
            if time.monotonic() - last_log > 15:
                last_log = time.monotonic()
                self.log(f"   {time.monotonic() - t_back:4.0f} s after: {got:,} delivered")
            time.sleep(0.2)
        drain = time.monotonic() - t_back
        hwm = max([hwm] + list(self.fpm_workers().values()))
        self.stop_receiver(rec)
        self.set_webhooks([])
        self.b.rows.append((
            "8", f"backlog: receiver down for {BACKLOG_EVENTS:,} events, then back",
            f"{BACKLOG_EVENTS // per} page views emitting {per} each in {down_s:.0f} s to a webhook whose port is closed "
            f"(its circuit breaker opens; probes back off from 5 s); then nginx starts on that port",
            f"first delivery {first if first is not None else float('nan'):.1f} s after (the next probe), all "
            f"{got:,} in {drain:.1f} s ({got / max(drain - (first or 0), 0.001):,.0f}/s once flowing); peak RSS of any "
            f"PHP-FPM worker {hwm / 1024:.1f} MB",
            "all delivered; ≤ 128 MB", "yes" if got >= BACKLOG_EVENTS and hwm <= 128 * 1024 else "NO"))

    def ports(self, n):
        """`n` distinct free ports (a released port can be handed out again)."""
        out = []
        while len(out) < n:
            p = self.free_port()
            if p not in out:
                out.append(p)
        return out

    def run(self):
        *ports, tls = self.ports(11)
        rec = self.start_receiver("fast", ports, tls)
        self.row_page_cost(rec)
        self.row_fpm_emit(rec)
        self.row_idle_overhead()
        self.row_end_to_end(rec)
        self.stop_receiver(rec)
        self.row_slow_receiver()
        self.row_backlog()
