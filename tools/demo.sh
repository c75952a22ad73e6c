#!/usr/bin/env bash
# make demo: builds the engine, brings up a local WordPress multisite (http://localhost/) with
# the plugin network-activated, starts a receiver page on http://127.0.0.1:8090/, creates a
# webhook to it, fires a real WordPress event and shows that it arrived signed.
# Safe to re-run. `make demo-stop` (tools/demo.sh stop) stops what it started.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/wp/lib.sh"
cd "$MWH_REPO_ROOT"

RECEIVER_PORT="${MWH_DEMO_RECEIVER_PORT:-8090}"
RECEIVER_URL="http://127.0.0.1:$RECEIVER_PORT"
RECEIVER_PID="$MWH_RUN/receiver.pid"

receiver_alive() { [ -s "$RECEIVER_PID" ] && kill -0 "$(cat "$RECEIVER_PID")" 2>/dev/null; }

if [ "${1:-}" = "stop" ]; then
    if receiver_alive; then kill "$(cat "$RECEIVER_PID")" && mwh_log "receiver stopped"; fi
    rm -f "$RECEIVER_PID"
    exec "$MWH_TOOLS_DIR/down.sh"
fi

mwh_log "packages"
"$MWH_TOOLS_DIR/install-packages.sh"
mwh_python_package standardwebhooks standardwebhooks
command -v cargo >/dev/null || mwh_die "cargo (Rust) is needed to build the engine"

mwh_log "building the engine (cargo build --release)"
cargo build --release --locked
"$MWH_REPO_ROOT/tools/readable.sh"

mwh_log "WordPress multisite"
"$MWH_TOOLS_DIR/up.sh"

mkdir -p "$MWH_RUN" "$MWH_LOGS"
if ! receiver_alive; then
    mwh_log "receiver on $RECEIVER_URL"
    rm -f "$MWH_RUN/receiver.port"
    setsid python3 "$MWH_REPO_ROOT/tests/support/receiver.py" --port "$RECEIVER_PORT" --port-file "$MWH_RUN/receiver.port" \
        --log "$MWH_LOGS/receiver.jsonl" </dev/null >>"$MWH_LOGS/receiver.log" 2>&1 &
    echo $! >"$RECEIVER_PID"
    for _ in $(seq 100); do [ -s "$MWH_RUN/receiver.port" ] && break; sleep 0.1; done
    [ -s "$MWH_RUN/receiver.port" ] || mwh_die "the receiver did not start; see $MWH_LOGS/receiver.log"
fi

mwh_log "webhook 'Demo receiver' → $RECEIVER_URL/demo"
secret=$("$MWH_TOOLS_DIR/wp-php.sh" -r '
    $p = MultisiteWebhooks\Plugin::instance();
    $url = "'"$RECEIVER_URL"'/demo";
    foreach ($p->webhooks()->list(["search" => $url]) as $h) {
        if ($h["webhook_url"] === $url) { echo $p->webhooks()->get($h["id"], true)["secrets"][0]["secret"]; return; }
    }
    $f = $p->webhooks()->validate(["name" => "Demo receiver", "webhook_url" => $url,
        "events" => ["site_created", "user_registered", "user_added_to_site", "post_published"]], false, [$p->catalog(), "has"]);
    if (is_wp_error($f)) { fwrite(STDERR, implode("; ", $f->get_error_messages())); exit(1); }
    echo $p->webhooks()->create($f)["secret"];')
curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' --data "{\"secret\":\"$secret\"}" "$RECEIVER_URL/_secrets"

title="Hello from make demo at $(date -u +%H:%M:%S)"
mwh_log "firing a real event: publishing \"$title\" on http://localhost/site2/"
"$MWH_TOOLS_DIR/wp-php.sh" --url=http://localhost/site2/ -r '
    wp_insert_post(["post_title" => "'"$title"'", "post_content" => "Published by make demo.", "post_status" => "publish", "post_author" => 1]);'
verdict=""
for _ in $(seq 100); do
    verdict=$(curl -fsS "$RECEIVER_URL/_requests" | python3 -c '
import json, sys
title = sys.argv[1]
for r in json.load(sys.stdin):
    if title in r.get("body", ""):
        print("arrived: POST %s, event %s, webhook-id %s, signature %s" % (r["path"], r["headers"].get("x-webhook-event"),
              r["headers"].get("webhook-id"), "verified" if r.get("signature_valid") else "INVALID"))
' "$title")
    [ -n "$verdict" ] && break
    sleep 0.1
done
[ -n "$verdict" ] || mwh_die "the event did not reach the receiver; see $MWH_LOGS/wp-debug.log"
mwh_note "$verdict"
"$MWH_TOOLS_DIR/wp-php.sh" -r 'MultisiteWebhooks\Cron::tick(MultisiteWebhooks\Plugin::instance(), 5);' >/dev/null

cat <<EOT

  Multisite Webhooks demo is up.

  WordPress network   http://localhost/wp-admin/network/
  login               admin / $(cat "$MWH_STATE/admin-password")
  receiver page       $RECEIVER_URL/   (every request, its headers, and whether its signature verifies)

  Next: open Network Admin → Sites → Add New, create a site, and reload the receiver page:
  a signed site_created event is there. Publishing a post on any site sends post_published.
  Logs: $MWH_LOGS    Stop everything: make demo-stop
EOT
