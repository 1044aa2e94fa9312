#!/usr/bin/env bash
# A short coverage-guided run of every fuzz target (fuzz/README.md).
#
#   scripts/fuzz-smoke.sh                 # 60 s per target
#   FUZZ_SECONDS=600 scripts/fuzz-smoke.sh token
#   FUZZ_FEATURES= scripts/fuzz-smoke.sh token claims jwks cli_inspect   # without the C ABI
#
# Installs what it needs when missing (a C++ compiler, a nightly toolchain,
# cargo-fuzz at a pinned version), builds the targets with AddressSanitizer, runs each one on
# a temporary copy of its committed corpus (so runs never grow fuzz/corpus/),
# and fails on any crash, timeout, leak or out-of-memory. Crashing inputs are
# kept in fuzz/artifacts/<target>/ (git-ignored). Prints one line per target:
#   fuzz token: 1234567 execs, 2345 exec/s, cov 1234, ft 5678, 0 crashes
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CARGO_FUZZ_VERSION=0.13.2
# The `ffi` target links the C ABI crate (ffi-c/); FUZZ_FEATURES= leaves it
# out (for example while that crate does not build).
FUZZ_FEATURES=${FUZZ_FEATURES-ffi}
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
elif [ -n "$FUZZ_FEATURES" ]; then
    TARGETS=(token claims jwks cli_inspect ffi)
else
    TARGETS=(token claims jwks cli_inspect)
fi
features=()
if [ -n "$FUZZ_FEATURES" ]; then features=(--features "$FUZZ_FEATURES"); fi

run() {
    echo "+ $*" >&2
    "$@"
}

case $FUZZ_SECONDS in
    '' | *[!0-9]*) echo "FUZZ_SECONDS must be a whole number of seconds, not '$FUZZ_SECONDS'" >&2; exit 2 ;;
esac

# libfuzzer-sys compiles libFuzzer (C++) in its build script.
if ! command -v c++ >/dev/null 2>&1; then
    run apt-get update
    run apt-get install -y g++
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    run rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    run cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

run cargo +nightly fuzz build -O "${features[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenlane-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
summary=()
for target in "${TARGETS[@]}"; do
    corpus="$work/corpus-$target"
    mkdir -p "$corpus"
    cp -R "fuzz/corpus/$target/." "$corpus/"
    log="$work/$target.log"
    set +e
    run cargo +nightly fuzz run -O "${features[@]}" "$target" "$corpus" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
        -dict="$ROOT/fuzz/jose.dict" -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -n1 | cut -d' ' -f2)
    ft=$( (grep -o 'ft: [0-9]*' "$log" || true) | tail -n1 | cut -d' ' -f2)
    crashes=$(grep -c -E '^==[0-9]+== ?ERROR|^(Crash|Timeout|Leak|OOM)|deadly signal|ERROR: libFuzzer' "$log" || true)
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    line="fuzz $target: ${execs:-0} execs, ${speed:-0} exec/s, cov ${cov:-0}, ft ${ft:-0}, $crashes crashes"
    summary+=("$line")
    echo "$line"
    if [ "$status" -ne 0 ]; then
        failed=1
        echo "---- fuzz $target failed (exit $status); end of its log:" >&2
        tail -n 60 "$log" >&2
        grep -h 'Test unit written to' "$log" >&2 || true
    fi
done

echo "---- fuzz summary (${FUZZ_SECONDS}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
