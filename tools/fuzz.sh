#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo-fuzz, libFuzzer) for a fixed time and says, one line
# per target, how many inputs it ran and whether any crashed, hung or ran out of memory.
# Exits non-zero if one did; the input that did it is in fuzz/artifacts/<target>/ and the
# libFuzzer output in fuzz/target/logs/<target>.log.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 30 seconds, every target)
#
# Needs rustup's nightly toolchain (installed if missing) and cargo-fuzz (installed with
# `cargo install` if missing). New inputs that reach new code are kept in fuzz/corpus/<target>/, so
# later runs start from them; fuzz/seeds/<target>/ holds the committed starting points.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

seconds="${1:-30}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
shift || true

say() { printf 'fuzz: %s\n' "$*"; }

if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (libFuzzer's sanitizer flags need it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if (($#)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

logs="$root/fuzz/target/logs"
mkdir -p "$logs"
started=$SECONDS
say "building ${#targets[@]} target(s) (log: fuzz/target/logs/build.log)"
build=(cargo +nightly fuzz build)
(($# == 1)) && build+=("$1")
if ! "${build[@]}" >"$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log" >&2
    say "the build failed"
    exit 1
fi
say "built in $((SECONDS - started)) s; running each target for $seconds s"

# The targets write spool files on every input: on tmpfs that costs nothing, on a disk it
# turns into real writes and slows them down thirty times.
scratch_parent="$root/fuzz/target"
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_parent=/dev/shm
scratch="$(mktemp -d "$scratch_parent/mwh-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

failed=0
for t in "${targets[@]}"; do
    corpus="$root/fuzz/corpus/$t"
    artifacts="$root/fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    seeds=()
    [ -d "$root/fuzz/seeds/$t" ] && seeds=("$root/fuzz/seeds/$t")
    log="$logs/$t.log"
    status=0
    # -timeout: one input running longer is a hang; -rss_limit_mb: memory past it is a leak.
    # The outer timeout catches a run that does not stop by itself.
    TMPDIR="$scratch" timeout -k 10 $((seconds + 120)) \
        cargo +nightly fuzz run "$t" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$artifacts/" \
        >"$log" 2>&1 || status=$?
    execs="$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -n 1 || true)"
    [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)"
    unit="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/^Test unit written to //' || true)"
    if ((status == 0)) && [ -z "$unit" ]; then
        verdict="ok, no crash"
    else
        failed=1
        if [ -n "$unit" ]; then
            kind="$(basename "$unit")"; kind="${kind%%-*}"
            verdict="FAILED: $kind, input in ${unit#"$root/"}"
        elif ((status == 124 || status == 137)); then
            verdict="FAILED: did not stop after $((seconds + 120)) s"
        else
            verdict="FAILED: exit status $status"
        fi
        verdict="$verdict (log: ${log#"$root/"})"
    fi
    printf '%-14s %10s executions in %s s  %s\n' "$t" "${execs:-0}" "$seconds" "$verdict"
done
say "done in $((SECONDS - started)) s"
exit "$failed"
