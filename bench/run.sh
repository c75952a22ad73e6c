#!/usr/bin/env bash
# The body of `make bench`: measures the release build already in target/release (it builds
# nothing) and prints one table. Starts its own nginx on 127.0.0.1 with its own config and pid
# file in a temporary directory, and stops only what it started. The whole-system rows run
# against the local multisite of tools/wp (make bench brings it up). Takes about 10 minutes.
# Sizes and limits: BENCH_* variables, see bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${BENCH_TARGET_DIR:-$root/target/release}"

missing=()
for f in "$target/libmultisite_webhooks.so" "$target/hooks-spool" "$root/include/multisite_webhooks.h"; do
    [[ -f "$f" ]] || missing+=("$f")
done
if ((${#missing[@]})); then
    printf 'bench: missing %s\n' "${missing[@]}" >&2
    echo "bench: build it first: cargo build --release" >&2
    exit 1
fi
for tool in php nginx wrk python3 du openssl; do
    command -v "$tool" >/dev/null || { echo "bench: '$tool' is not installed" >&2; exit 1; }
done
php -r 'exit(extension_loaded("ffi") ? 0 : 1);' || { echo "bench: PHP has no FFI extension" >&2; exit 1; }

export BENCH_TARGET_DIR="$target"
exec python3 "$root/bench/bench.py"
