#!/usr/bin/env python3
"""The measurements behind `make bench`, run by bench/run.sh; prints one table.

1. hooks_emit latency from PHP through FFI (both durability settings).
2. Deliveries per second to a local nginx answering 204, against wrk at the same concurrency.
3. Peak RSS of the delivering process with 1,000,000 events queued for a dead endpoint.
4–8. The whole system through nginx + PHP-FPM + WordPress: see system.py.

Everything listens on and connects to 127.0.0.1 only. Every process started here is stopped
here by its own pid; nginx runs with its own config and pid file in the temporary directory.
Sizes and time limits come from BENCH_* environment variables (see bench/README.md).
"""

import base64
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


TARGET = os.environ.get("BENCH_TARGET_DIR", os.path.join(ROOT, "target", "release"))
LIB = os.path.join(TARGET, "libmultisite_webhooks.so")
SPOOL_BIN = os.path.join(TARGET, "hooks-spool")
HEADER = os.path.join(ROOT, "include", "multisite_webhooks.h")
PAYLOAD = os.path.join(HERE, "payload.json")
EVENT = "payment_received"

EMITS = env_int("BENCH_EMITS", 20_000)
EMIT_WARMUP = env_int("BENCH_EMIT_WARMUP", 2_000)
EMIT_MAX_S = env_int("BENCH_EMIT_MAX_SECONDS", 30)
DELIVERIES = env_int("BENCH_DELIVERIES", 40_000)
CONCURRENCY = env_int("BENCH_CONCURRENCY", 16)
DELIVERY_MAX_S = env_int("BENCH_DELIVERY_MAX_SECONDS", 90)
WRK_S = env_int("BENCH_WRK_SECONDS", 5)
QUEUE_EVENTS = env_int("BENCH_QUEUE_EVENTS", 1_000_000)
QUEUE_MAX_S = env_int("BENCH_QUEUE_MAX_SECONDS", 300)
EMIT_PROCS = max(1, os.cpu_count() or 1)

STARTED = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {msg}", file=sys.stderr, flush=True)


def fail(msg):
    raise SystemExit(f"bench: {msg}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)
    return path


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def us(ns):
    if ns < 100_000:
        return f"{ns / 1000:.1f} µs"
    return f"{ns / 1000:.0f} µs" if ns < 1_000_000 else f"{ns / 1e6:.2f} ms"


def fmt_int(n):
    return f"{n:,}"


class Bench:
    def __init__(self, tmp):
        self.tmp = tmp
        self.children = []  # Popen objects started here, stopped in close()
        self.nginx_pid = None
        self.rows = []
        self.notes = []

    # ---- processes -------------------------------------------------------------------------

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.children.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.children:
            self.children.remove(p)

    def close(self):
        for p in list(self.children):
            self.stop(p)
        if self.nginx_pid:
            try:
                os.kill(self.nginx_pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(self.nginx_pid, 0)
                    time.sleep(0.05)
            except ProcessLookupError:
                pass
            self.nginx_pid = None

    # ---- nginx -------------------------------------------------------------------------------

    def start_nginx(self, n_ports):
        self.ports = [free_port() for _ in range(n_ports)]
        self.status_port = free_port()
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            conf = f.read()
        listen = "\n".join(f"        listen 127.0.0.1:{p};" for p in self.ports)
        conf = conf.replace("@TMP@", self.tmp).replace("@LISTEN@", listen).replace("@STATUS_PORT@", str(self.status_port))
        path = os.path.join(self.tmp, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        err = os.path.join(self.tmp, "nginx-error.log")
        r = subprocess.run(["nginx", "-p", self.tmp + "/", "-c", path, "-e", err], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"nginx did not start: {r.stderr.strip()}")
        pid_file = os.path.join(self.tmp, "nginx.pid")
        for _ in range(100):
            if os.path.exists(pid_file) and open(pid_file).read().strip():
                break
            time.sleep(0.05)
        self.nginx_pid = int(open(pid_file).read().strip())
        for port in self.ports:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=b"{}", method="POST")
            with urllib.request.urlopen(req, timeout=5) as res:
                if res.status != 204:
                    fail(f"nginx on port {port} answered {res.status}, not 204")
        log(f"nginx (pid {self.nginx_pid}) answers 204 on 127.0.0.1, ports {', '.join(map(str, self.ports))}")

    def nginx_counts(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.status_port}/", timeout=5) as res:
            text = res.read().decode()
        m = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M)
        # Subtract this status request itself (one connection, one request).
        return {"accepts": int(m.group(1)) - 1, "requests": int(m.group(3)) - 1}

    # ---- spool helpers -------------------------------------------------------------------

    def fresh_spool(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, mode=0o700)
        return d

    def settings(self, spool, **extra):
        s = {"spool_dir": spool, "ssrf_allow": ["127.0.0.1"]}
        s.update(extra)
        return write_json(os.path.join(self.tmp, os.path.basename(spool) + "-settings.json"), s)

    def snapshot(self, spool, urls):
        eps = [{"id": i + 1, "url": u, "events": [EVENT], "secrets": [new_secret()]} for i, u in enumerate(urls)]
        return write_json(os.path.join(self.tmp, os.path.basename(spool) + "-snapshot.json"), {"version": 1, "endpoints": eps})

    def hold_leadership(self, spool):
        """Keeps every engine on `spool` from delivering: holds its leader lock."""
        p = self.spawn([sys.executable, os.path.join(HERE, "hold_lock.py"), os.path.join(spool, "leader.lock")],
                       stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "held":
            fail("could not take the leader lock")
        return p

    def hooks_spool(self, *args):
        r = subprocess.run([SPOOL_BIN, *args], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"hooks-spool {args[0]}: {r.stderr.strip()}")
        return r.stdout

    def emit_bulk(self, settings, n):
        """Enqueues n events with one `hooks-spool emit` per core; returns seconds taken."""
        payload = open(PAYLOAD).read()
        share = [n // EMIT_PROCS + (1 if i < n % EMIT_PROCS else 0) for i in range(EMIT_PROCS)]
        t0 = time.monotonic()
        procs = [self.spawn([SPOOL_BIN, "emit", settings, EVENT, str(k), payload], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True) for k in share if k]
        for p in procs:
            _, err = p.communicate()
            self.children.remove(p)
            if p.returncode != 0:
                fail(f"hooks-spool emit: {err.strip()}")
        return time.monotonic() - t0

    @staticmethod
    def spool_stats(spool):
        try:
            with open(os.path.join(spool, "stats.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    # ---- 0. machine -------------------------------------------------------------------------

    def machine(self):
        model = "unknown CPU"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        php = ("$f = FFI::cdef(file_get_contents($argv[1]), $argv[2]); echo $f->hooks_version();")
        r = subprocess.run(["php", "-r", php, HEADER, LIB], capture_output=True, text=True)
        if r.returncode != 0 or not r.stdout:
            fail(f"the header does not load in PHP's FFI::cdef: {r.stderr.strip()}")
        fs = subprocess.run(["df", "--output=fstype,source", self.tmp], capture_output=True, text=True).stdout.split("\n")[1].split()
        self.version = r.stdout.strip()
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        return [
            f"Multisite Webhooks engine {self.version} ({LIB})",
            f"machine: {nproc} CPUs (nproc), {model}, {mem_kb / 1048576:.0f} GiB RAM, Linux {platform.release()}",
            f"spool filesystem: {fs[0]} on {fs[1]} ({self.tmp})",
        ]

    # ---- 1. emit latency -------------------------------------------------------------------

    def fsync_reference(self, count=2000):
        """write()+fdatasync() of 1 KB appends on the spool's filesystem: the floor of `power`."""
        path = os.path.join(self.tmp, "fsync-probe")
        data = open(PAYLOAD, "rb").read()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        samples = []
        deadline = time.monotonic() + 10
        try:
            for _ in range(count):
                t0 = time.perf_counter_ns()
                os.write(fd, data)
                os.fdatasync(fd)
                samples.append(time.perf_counter_ns() - t0)
                if time.monotonic() > deadline:
                    break
        finally:
            os.close(fd)
            os.unlink(path)
        samples.sort()
        n = len(samples)
        return {"n": n, "p50_ns": samples[(n + 1) // 2 - 1], "p99_ns": samples[-(-99 * n // 100) - 1], "max_ns": samples[-1]}

    def emit_latency(self, durability, delivering):
        name = f"emit-{durability}-{'delivering' if delivering else 'enqueue-only'}"
        spool = self.fresh_spool(name)
        settings = self.settings(spool, durability=durability)
        snap = self.snapshot(spool, [f"http://127.0.0.1:{p}/hook" for p in self.ports[:3]])
        holder = None if delivering else self.hold_leadership(spool)
        before = self.nginx_counts()
        r = subprocess.run(["php", os.path.join(HERE, "emit_latency.php"), LIB, HEADER, settings, snap, PAYLOAD,
                            str(EMIT_WARMUP), str(EMITS), str(EMIT_MAX_S)], capture_output=True, text=True)
        after = self.nginx_counts()
        if holder:
            self.stop(holder)
        if r.returncode != 0:
            fail(f"emit_latency.php ({name}): {r.stderr.strip()}")
        res = json.loads(r.stdout)
        res["delivered_meanwhile"] = after["requests"] - before["requests"]
        if res["errors"]:
            fail(f"{name}: {res['errors']} emits failed")
        if delivering and res["delivered_meanwhile"] == 0:
            fail(f"{name}: the PHP process was meant to deliver while emitting, but nginx got nothing")
        return res

    def row_emit(self):
        for durability in ("process", "power"):
            for delivering in (False, True):
                log(f"1. hooks_emit from PHP, durability {durability}, "
                    f"{'this process delivering meanwhile' if delivering else 'enqueue only'} ...")
                r = self.emit_latency(durability, delivering)
                who = (f"this PHP process is the leader and sent {fmt_int(r['delivered_meanwhile'])} deliveries meanwhile"
                       if delivering else "leader lock held elsewhere: no delivery meanwhile")
                ok = r["p99_ns"] <= 50_000
                self.rows.append((
                    "1", f"hooks_emit from PHP FFI, durability={durability}",
                    f"{fmt_int(r['n'])} emits after {fmt_int(EMIT_WARMUP)} warm-up; 1 KB; 3 endpoints; {who}",
                    f"p50 {us(r['p50_ns'])}; p99 {us(r['p99_ns'])}; p99.9 {us(r['p999_ns'])}; max {us(r['max_ns'])}",
                    "p99 ≤ 50 µs", "yes" if ok else "NO"))
        log("1r. write+fdatasync of 1 KB appends on the spool filesystem (the floor under durability=power) ...")
        f = self.fsync_reference()
        self.rows.append(("1r", "reference: 1 KB append + fdatasync, no engine",
                          f"{fmt_int(f['n'])} appends to one file on the spool filesystem",
                          f"p50 {us(f['p50_ns'])}; p99 {us(f['p99_ns'])}; max {us(f['max_ns'])}", "—", "—"))

    # ---- 2. deliveries per second ------------------------------------------------------------

    def wrk(self, url):
        env = dict(os.environ, BENCH_BODY=PAYLOAD)
        r = subprocess.run(["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{WRK_S}s", "-s", os.path.join(HERE, "post.lua"), url],
                           capture_output=True, text=True, env=env, timeout=WRK_S + 30)
        m = re.search(r"WRK_RESULT requests=(\d+) duration_us=(\d+) errors=(\d+)", r.stdout)
        if r.returncode != 0 or not m:
            fail(f"wrk: {r.stderr.strip() or r.stdout.strip()}")
        requests, duration_us, errors = (int(x) for x in m.groups())
        if errors:
            fail(f"wrk saw {errors} errors against {url}")
        return requests / (duration_us / 1e6), requests

    def delivery_rate(self, n_endpoints):
        events = max(1, DELIVERIES // n_endpoints)
        expected = events * n_endpoints
        spool = self.fresh_spool(f"deliver-{n_endpoints}")
        settings = self.settings(spool, concurrency=CONCURRENCY, per_endpoint_concurrency=min(CONCURRENCY, 64))
        snap = self.snapshot(spool, [f"http://127.0.0.1:{p}/hook" for p in self.ports[:n_endpoints]])
        holder = self.hold_leadership(spool)
        self.hooks_spool("configure", settings, snap)
        self.emit_bulk(settings, events)
        self.stop(holder)
        before = self.nginx_counts()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = subprocess.run([SPOOL_BIN, "run", settings, "--until-idle", "--timeout-ms", str(DELIVERY_MAX_S * 1000)],
                           capture_output=True, text=True)
        elapsed = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        after = self.nginx_counts()
        stats = self.spool_stats(spool)
        delivered = stats.get("counters", {}).get("delivered", 0)
        failed = stats.get("counters", {}).get("failed", 0) + stats.get("counters", {}).get("cancelled", 0)
        timed_out = r.returncode != 0
        if timed_out and "still pending" not in r.stderr:
            fail(f"hooks-spool run: {r.stderr.strip()}")
        return {"events": events, "expected": expected, "delivered": delivered, "failed": failed, "elapsed": elapsed,
                "rate": delivered / elapsed, "timed_out": timed_out, "cpu": cpu,
                "conns": after["accepts"] - before["accepts"], "requests": after["requests"] - before["requests"]}

    def row_delivery(self):
        for n in (1, 10):
            log(f"2. deliveries/s to nginx, {n} endpoint(s), concurrency {CONCURRENCY} ...")
            e = self.delivery_rate(n)
            log(f"   engine: {fmt_int(e['delivered'])} delivered in {e['elapsed']:.2f} s; wrk {WRK_S} s at -c{CONCURRENCY} ...")
            w, _ = self.wrk(f"http://127.0.0.1:{self.ports[0]}/hook")
            ratio = e["rate"] / w
            check = "" if e["delivered"] == e["expected"] and not e["timed_out"] else \
                f"; ONLY {fmt_int(e['delivered'])} of {fmt_int(e['expected'])} delivered in the {DELIVERY_MAX_S} s limit"
            per_ep = min(CONCURRENCY, 64)
            self.rows.append((
                "2", f"deliveries/s to nginx 204, {n} endpoint{'s' if n > 1 else ''}",
                f"{fmt_int(e['events'])} events × {n} = {fmt_int(e['expected'])} deliveries queued first; "
                f"concurrency={CONCURRENCY}, per_endpoint_concurrency={per_ep}; wrk -t1 -c{CONCURRENCY} -d{WRK_S}s, 1 KB POST; "
                f"engine used {fmt_int(e['conns'])} TCP connections and "
                f"{e['cpu'] * 1e6 / max(1, e['delivered']):.0f} µs CPU per delivery ({e['cpu'] / e['elapsed']:.2f} cores){check}",
                f"engine {fmt_int(round(e['rate']))}/s ({fmt_int(e['delivered'])} in {e['elapsed']:.2f} s); "
                f"wrk {fmt_int(round(w))}/s; ratio {ratio:.2f}",
                "ratio ≥ 0.5", "yes" if ratio >= 0.5 and not check else "NO"))

    # ---- 3. memory with a million events waiting ----------------------------------------------

    def row_memory(self):
        n = QUEUE_EVENTS
        spool = self.fresh_spool("dead-endpoint")
        dead = free_port()  # nothing listens here
        settings = self.settings(spool, concurrency=CONCURRENCY, per_endpoint_concurrency=min(CONCURRENCY, 64))
        snap = self.snapshot(spool, [f"http://127.0.0.1:{dead}/hook"])
        holder = self.hold_leadership(spool)
        self.hooks_spool("configure", settings, snap)
        log(f"3. enqueueing {fmt_int(n)} events for a dead endpoint (127.0.0.1:{dead}) with {EMIT_PROCS} hooks-spool emit ...")
        enqueue_s = self.emit_bulk(settings, n)
        queue_dir = os.path.join(spool, "queue")
        du = int(subprocess.run(["du", "-sB1", queue_dir], capture_output=True, text=True).stdout.split()[0])
        self.stop(holder)
        log(f"   {fmt_int(n)} enqueued in {enqueue_s:.1f} s, queue/ is {du / 1e6:.0f} MB; starting the leader ...")
        leader = self.spawn([SPOOL_BIN, "run", settings, "--timeout-ms", str((QUEUE_MAX_S + 60) * 1000)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        status = f"/proc/{leader.pid}/status"

        def vm(field):
            m = re.search(rf"^{field}:\s+(\d+) kB", open(status).read(), re.M)
            return int(m.group(1)) if m else 0

        t0 = time.monotonic()
        reached = False
        last_log = 0
        stats = {}
        hwm = 0
        while time.monotonic() - t0 < QUEUE_MAX_S:
            time.sleep(0.5)
            if leader.poll() is not None:
                fail(f"the delivering process exited: {leader.stderr.read().decode().strip()}")
            hwm = max(hwm, vm("VmHWM"))
            stats = self.spool_stats(spool)
            c = stats.get("counters", {})
            held = stats.get("queued", 0) + stats.get("retrying", 0) + stats.get("parked", 0) + stats.get("in_flight", 0)
            if stats.get("leader_pid") == leader.pid and stats.get("unread_bytes", 1) == 0 and held >= n:
                reached = True
                break
            if time.monotonic() - last_log >= 15:
                last_log = time.monotonic()
                log(f"   {time.monotonic() - t0:5.0f} s: VmHWM {hwm / 1024:.1f} MB, attempts {fmt_int(c.get('attempts', 0))}, "
                    f"in memory {fmt_int(stats.get('queued', 0) + stats.get('retrying', 0) + stats.get('parked', 0))}, unread {stats.get('unread_bytes', 0) / 1e6:.0f} MB")
        time.sleep(1)  # one more pass with everything loaded
        hwm = max(hwm, vm("VmHWM"))
        rss = vm("VmRSS")
        elapsed = time.monotonic() - t0
        self.stop(leader)
        results_du = int(subprocess.run(["du", "-sB1", os.path.join(spool, "results")], capture_output=True,
                                        text=True).stdout.split()[0])
        c = stats.get("counters", {})
        parked = stats.get("parked", 0)
        waiting = stats.get("queued", 0) + stats.get("retrying", 0) + stats.get("in_flight", 0) + parked
        state = (f"all {fmt_int(n)} read in {elapsed:.0f} s and held in memory ({fmt_int(parked)} parked behind the "
                 f"endpoint's circuit breaker, {fmt_int(waiting - parked)} waiting for a retry)"
                 if reached else
                 f"time limit {QUEUE_MAX_S} s hit: {fmt_int(c.get('attempts', 0))} attempts made, "
                 f"{stats.get('unread_bytes', 0) / 1e6:.0f} MB still unread — peak may be higher")
        self.rows.append((
            "3", f"peak RSS of the delivering process, {fmt_int(n)} events for a dead endpoint",
            f"{fmt_int(n)} × 1 KB events enqueued by {EMIT_PROCS} hooks-spool emit in {enqueue_s:.1f} s; "
            f"leader = hooks-spool run (concurrency {CONCURRENCY}, default retry schedule); {state}; "
            f"{fmt_int(c.get('attempts', 0))} attempts made (probes); results journal {results_du / 1e6:,.0f} MB, "
            f"{fmt_int(stats.get('results_dropped', 0))} untaken results dropped at the cap",
            f"VmHWM {hwm / 1024:.1f} MB (VmRSS at end {rss / 1024:.1f} MB); spool on disk {du / n:,.0f} B/event ({du / 1e6:,.0f} MB for {fmt_int(n)})",
            "≤ 64 MB", "yes" if hwm <= 64 * 1024 and reached else "NO"))

    # ---- table -------------------------------------------------------------------------------

    def table(self, header):
        cols = ("#", "measure", "setup", "result", "target", "met")
        rows = [cols] + self.rows
        # Wrap the long setup column so the table stays readable in a terminal.
        width = {0: 2, 1: 28, 2: 56, 3: 40, 4: 11, 5: 3}
        def wrap(text, w):
            words, lines, cur = str(text).split(" "), [], ""
            for word in words:
                if cur and len(cur) + 1 + len(word) > w:
                    lines.append(cur)
                    cur = word
                else:
                    cur = f"{cur} {word}" if cur else word
            lines.append(cur)
            return lines
        out = list(header) + [""]
        sep = "+" + "+".join("-" * (width[i] + 2) for i in range(len(cols))) + "+"
        out.append(sep)
        for k, row in enumerate(rows):
            cells = [wrap(v, width[i]) for i, v in enumerate(row)]
            for j in range(max(len(c) for c in cells)):
                out.append("| " + " | ".join((c[j] if j < len(c) else "").ljust(width[i]) for i, c in enumerate(cells)) + " |")
            out.append(sep)
        return "\n".join(out)


def main():
    tmp = tempfile.mkdtemp(prefix="mwh-bench.", dir=os.environ.get("BENCH_TMPDIR"))
    os.chmod(tmp, 0o700)
    b = Bench(tmp)

    def on_signal(signum, _frame):
        raise SystemExit(f"bench: interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        header = b.machine()
        for line in header:
            log(line)
        only = os.environ.get("BENCH_ONLY", "")
        if only != "system":
            b.start_nginx(10)
            b.row_emit()
            b.row_delivery()
            b.row_memory()
        if only != "library":
            # What a network admin gets: through nginx + PHP-FPM + WordPress (tools/wp).
            from system import System
            s = System(b, log, fail, free_port)
            try:
                s.setup()
                s.run()
            finally:
                s.close()
        header.append(f"whole run: {time.monotonic() - STARTED:.0f} s; all traffic on 127.0.0.1")
        print(b.table(header), flush=True)
    finally:
        b.close()
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
