#!/usr/bin/env bash
# Smoke-check the running local network (after tools/wp/up.sh): pages of the three sites,
# login + network admin, the pool without FFI on port 8081, ffi.enable of each PHP-FPM pool
# (through a probe script placed in the document root only while the check runs), and
# tools/wp/wp-php.sh. Exit status 1 if anything fails.
#
# Usage: tools/wp/check.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mwh_require_root

passed=0; failed=0
ok()     { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
check()  { local name="$1"; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

tmp="$(mktemp -d /tmp/mwh-check.XXXXXX)"
probe="$WP_PATH/mwh-probe-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n').php"
cleanup() { rm -f "$probe"; rm -rf "$tmp"; }
trap cleanup EXIT

page_has() { # URL PATTERN
    curl -s --max-time 20 "$1" > "$tmp/page" && grep -i -- "$2" "$tmp/page" > /dev/null
}
status_is() { # URL CODE
    [ "$(curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$1")" = "$2" ]
}
logs_in() { "$MWH_TOOLS_DIR/login.sh" "$@" > /dev/null; }

check "main site shows the network title"    page_has http://localhost/ 'Multisite Webhooks Demo'
check "site2 answers"                        page_has http://localhost/site2/ '<title>Site 2'
check "site3 answers"                        page_has http://localhost/site3/ '<title>Site 3'
check "network admin needs a login"          status_is http://localhost/wp-admin/network/ 302
theme="$("$MWH_TOOLS_DIR/wp-php.sh" -r 'echo get_stylesheet();' 2>/dev/null || true)"
check "theme assets are served (wp-content)" status_is "http://localhost/wp-content/themes/$theme/style.css" 200
check "REST API under /wp-json/"             page_has http://localhost/site2/wp-json/ '"namespaces"'
check "login + network admin (port 80)"      logs_in "$tmp/jar80"
check "no-FFI port serves the network"       page_has "http://127.0.0.1:$MWH_NOFFI_PORT/site2/" '<title>Site 2'
check "login + network admin (port $MWH_NOFFI_PORT)" logs_in "$tmp/jar8081" --url="http://127.0.0.1:$MWH_NOFFI_PORT/"

cat > "$probe" <<'PHP'
<?php
header('Content-Type: text/plain');
try {
    $ffi = FFI::cdef('int abs(int);', 'libc.so.6');
    $call = $ffi->abs(-3) === 3 ? 'works' : 'wrong';
} catch (Throwable $e) {
    $call = 'refused';
}
echo 'ffi.enable=', ini_get('ffi.enable'), ' pool=', getenv('MWH_FPM_POOL'), ' FFI::cdef ', $call, "\n";
PHP
chmod 644 "$probe"
main="$(curl -s --max-time 20 "http://localhost/$(basename "$probe")")"
noffi="$(curl -s --max-time 20 "http://127.0.0.1:$MWH_NOFFI_PORT/$(basename "$probe")")"
rm -f "$probe"
echo "# port 80:   $main"
echo "# port $MWH_NOFFI_PORT: $noffi"
check "port 80 pool has ffi.enable=1 and FFI works" [ "$main" = "ffi.enable=1 pool=mwh FFI::cdef works" ]
check "port $MWH_NOFFI_PORT pool has ffi.enable=preload and FFI is refused" [ "$noffi" = "ffi.enable=preload pool=mwh-noffi FFI::cdef refused" ]
check "probe script removed" [ ! -e "$probe" ]

cli="$("$MWH_TOOLS_DIR/wp-php.sh" --url=http://localhost/site2/ -r 'echo get_bloginfo("name"), "|", posix_getpwuid(posix_geteuid())["name"], "|", class_exists("FFI") ? "ffi" : "no-ffi";' 2>&1 || true)"
echo "# wp-php.sh: $cli"
check "wp-php.sh runs as www-data in site2 with FFI" [ "$cli" = "Site 2|www-data|ffi" ]

plugin="$("$MWH_TOOLS_DIR/wp-php.sh" -r 'require_once ABSPATH . "wp-admin/includes/plugin.php"; echo is_plugin_active_for_network("multisite-webhooks/multisite-webhooks.php") ? "active" : "inactive";' 2>&1 || true)"
if [ -f "$WP_CONTENT_DIR/plugins/$MWH_PLUGIN_FILE" ]; then
    check "plugin network-active" [ "$plugin" = active ]
else
    echo "# plugin file not present: activation not checked"
fi

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
