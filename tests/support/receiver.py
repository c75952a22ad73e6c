#!/usr/bin/env python3
"""A local webhook receiver for tests and demos.

Listens on 127.0.0.1 only, records every request in memory, and checks the
`webhook-signature` of each one with the `standardwebhooks` library (an
independent verifier: none of our own signing code is used).

Behaviour of a POST by path:

    /status/<code>           answers <code>
    /seq/<c1>,<c2>,...       the n-th request to that exact path gets the n-th
                             code; the last one repeats
    /sleep/<ms>              waits <ms> milliseconds, then 200
    /retry-after/<secs>      429 with `Retry-After: <secs>`
    /redirect                302 to /status/200
    /headers/<n>/<len>       200 with <n> headers X-Big-<i> of <len> "é" each
                             (sent as Latin-1: one byte each, not UTF-8)
    anything else            200 with body `ok`

Control:

    GET /_requests           JSON array of the recorded requests, oldest first
    DELETE /_requests        forgets them
    POST /_secrets           {"secret": "whsec_..."}: also verify with this secret
    GET /                    an HTML page listing them, newest first

Usage:

    receiver.py --port 0 --port-file /tmp/port --secret whsec_... [--log requests.jsonl]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
except ImportError:  # checked in main() when a secret is given
    Webhook = None
    WebhookVerificationError = Exception

MAX_BODY = 64 << 20
MAX_SLEEP_MS = 120_000


class Recorder:
    """Every request seen, plus the per-path counters of /seq/."""

    def __init__(self, secrets: list[str], log_path: str | None):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.seq_counts: dict[str, int] = {}
        self.verifiers = [Webhook(s) for s in secrets] if secrets else []
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None

    def add_secret(self, secret: str) -> None:
        with self.lock:
            self.verifiers.append(Webhook(secret))

    def verify(self, body: bytes, headers: dict[str, str]) -> bool | None:
        if not self.verifiers:
            return None
        if "webhook-signature" not in headers:
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        for wh in self.verifiers:
            try:
                wh.verify(text, headers, json_parse=False)
                return True
            except (WebhookVerificationError, ValueError, TypeError):
                continue
            except Exception:  # a malformed header must not kill the handler
                continue
        return False

    def record(self, method: str, path: str, headers: dict[str, str], body: bytes) -> dict:
        entry = {
            "time": time.time(),
            "method": method,
            "path": path,
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "signature_valid": self.verify(body, headers) if method == "POST" else None,
        }
        with self.lock:
            self.requests.append(entry)
            if self.log:
                self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.log.flush()
        return entry

    def next_seq(self, path: str) -> int:
        with self.lock:
            n = self.seq_counts.get(path, 0)
            self.seq_counts[path] = n + 1
            return n

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.seq_counts.clear()


def render_page(requests: list[dict]) -> str:
    """The HTML listing: newest first, every value escaped."""
    e = html.escape
    rows = []
    for r in reversed(requests):
        valid = r["signature_valid"]
        if valid is True:
            badge = '<span class="badge ok">signature verified</span>'
        elif valid is False:
            badge = '<span class="badge bad">signature INVALID</span>'
        else:
            badge = '<span class="badge none">no secret configured</span>'
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["time"]))
        headers = "".join(
            f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in sorted(r["headers"].items())
        )
        body = r["body"]
        try:
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        rows.append(
            '<section class="request">'
            f"<h2>{e(r['method'])} {e(r['path'])} {badge}</h2>"
            f'<p class="when">{e(when)} &middot; event {e(r["headers"].get("x-webhook-event", "-"))}'
            f' &middot; id {e(r["headers"].get("webhook-id", "-"))}</p>'
            f'<table class="headers">{headers}</table>'
            f"<pre>{e(body)}</pre>"
            "</section>"
        )
    listing = "\n".join(rows) if rows else "<p>No requests received yet.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Webhook receiver</title>
<meta http-equiv="refresh" content="5">
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1d2327; }}
.request {{ border: 1px solid #c3c4c7; border-radius: 4px; padding: 0 1em 1em; margin-bottom: 1em; }}
.badge {{ font-size: 12px; padding: 2px 8px; border-radius: 10px; margin-left: .5em; vertical-align: middle; }}
.ok {{ background: #d1f0d6; color: #0a5c1a; }}
.bad {{ background: #fbd5d5; color: #8a1010; }}
.none {{ background: #eee; color: #555; }}
.when {{ color: #646970; }}
table.headers th {{ text-align: left; padding-right: 1em; font-weight: 600; }}
pre {{ background: #f6f7f7; padding: .75em; overflow: auto; }}
</style></head>
<body><h1>Webhook receiver</h1>
<p>{len(requests)} request(s) received.</p>
{listing}
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server_version = "TestReceiver/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    recorder: Recorder  # set on the class by make_server()
    verbose = False

    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.verbose:
            super().log_message(fmt, *args)

    def _read_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def _headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.headers.items():
            k = k.lower()
            out[k] = f"{out[k]}, {v}" if k in out else v
        return out

    def _send(self, code: int, body: bytes = b"", ctype: str = "text/plain; charset=utf-8", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/_requests":
            data = json.dumps(self.recorder.snapshot(), ensure_ascii=False).encode()
            return self._send(200, data, "application/json")
        if path == "/":
            page = render_page(self.recorder.snapshot()).encode()
            return self._send(200, page, "text/html; charset=utf-8")
        return self._send(404, b"not found")

    def do_DELETE(self):
        if self.path.split("?", 1)[0] == "/_requests":
            self.recorder.clear()
            return self._send(204)
        return self._send(404, b"not found")

    def do_POST(self):
        try:
            body = self._read_body()
        except ValueError:
            return self._send(413, b"too large")
        path = self.path.split("?", 1)[0]
        if path == "/_secrets":
            try:
                self.recorder.add_secret(json.loads(body)["secret"])
            except Exception as e:  # noqa: BLE001 - report any bad control request
                return self._send(400, str(e).encode())
            return self._send(204)
        self.recorder.record("POST", self.path, self._headers(), body)

        m = re.fullmatch(r"/status/(\d{3})", path)
        if m:
            code = int(m.group(1))
            return self._send(code, f"status {code}".encode())
        m = re.fullmatch(r"/seq/(\d{3}(?:,\d{3})*)", path)
        if m:
            codes = [int(c) for c in m.group(1).split(",")]
            n = self.recorder.next_seq(path)
            code = codes[min(n, len(codes) - 1)]
            return self._send(code, f"status {code}".encode())
        m = re.fullmatch(r"/sleep/(\d+)", path)
        if m:
            time.sleep(min(int(m.group(1)), MAX_SLEEP_MS) / 1000)
            return self._send(200, b"ok")
        m = re.fullmatch(r"/retry-after/(\d+)", path)
        if m:
            return self._send(429, b"slow down", extra=[("Retry-After", m.group(1))])
        if path == "/redirect":
            return self._send(302, b"moved", extra=[("Location", "/status/200")])
        m = re.fullmatch(r"/headers/(\d{1,4})/(\d{1,6})", path)
        if m:
            n, size = int(m.group(1)), max(1, int(m.group(2)))
            value = "\u00e9" * size  # http.server writes header text as Latin-1
            return self._send(200, b"ok", extra=[(f"X-Big-{i}", value) for i in range(n)])
        return self._send(200, b"ok")

    # Any other method is recorded and answered 405, so a test sees what arrived.
    def _other(self):
        try:
            body = self._read_body()
        except ValueError:
            body = b""
        self.recorder.record(self.command, self.path, self._headers(), body)
        self._send(405, b"method not allowed")

    do_PUT = do_PATCH = _other


class Server(ThreadingHTTPServer):
    daemon_threads = True
    verbose = False

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a sender that gave up or exited) is normal here.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError) and not self.verbose:
            return
        print(f"receiver: error handling a request from {client_address[0]}: {exc!r}", file=sys.stderr)


def make_server(port: int, secrets: list[str], log_path: str | None, verbose: bool = False) -> ThreadingHTTPServer:
    recorder = Recorder(secrets, log_path)
    handler = type("BoundHandler", (Handler,), {"recorder": recorder, "verbose": verbose})
    server = Server(("127.0.0.1", port), handler)
    server.verbose = verbose
    return server


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Local webhook receiver (127.0.0.1 only).")
    p.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    p.add_argument("--port-file", help="write the bound port to this file once listening")
    p.add_argument("--secret", action="append", default=[], help="whsec_... secret to verify signatures with (repeatable)")
    p.add_argument("--log", help="append each request as a JSON line to this file")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = p.parse_args(argv)

    if args.secret and Webhook is None:
        print("receiver: the standardwebhooks package is needed to verify signatures (pip install standardwebhooks)",
              file=sys.stderr)
        return 2
    try:
        server = make_server(args.port, args.secret, args.log, args.verbose)
    except Exception as exc:  # bad secret, port in use
        print(f"receiver: cannot start: {exc}", file=sys.stderr)
        return 2

    port = server.server_address[1]
    if args.port_file:
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)  # readers never see a half-written file
    if args.verbose:
        print(f"receiver: listening on http://127.0.0.1:{port}/", file=sys.stderr)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
