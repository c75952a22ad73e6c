#!/usr/bin/env bash
# Lets the web server's user (www-data) read this checkout: PHP-FPM loads the plugin and the
# engine library from it. Adds o+x to each parent folder and o+rX inside the checkout, only
# where missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dir="$root"
while [ "$dir" != "/" ]; do
    [ "$(( 0$(stat -c '%a' "$dir") & 01 ))" -ne 0 ] || chmod o+x "$dir"
    dir="$(dirname "$dir")"
done
chmod -R o+rX "$root/php-bridge" "$root/include" "$root/tools" "$root/tests"
[ -d "$root/target/release" ] && chmod o+rx "$root/target" "$root/target/release" && chmod o+r "$root"/target/release/libmultisite_webhooks.so 2>/dev/null || true
