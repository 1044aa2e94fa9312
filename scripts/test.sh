#!/usr/bin/env bash
# Runs the tests of tokenlane: every part by default, or only the parts
# named on the command line, in the order given:
#
#   bash scripts/test.sh                 # everything (what CI runs)
#   bash scripts/test.sh rust c          # only the Rust suites, then the C ABI
#   bash scripts/test.sh --list          # the parts
#
# Installs what it needs first (Rust targets, a Python venv with the
# independent minting libraries) through scripts/setup.sh. Prints each step
# before running it and stops at the first failing one, with its exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
export CARGO_TERM_COLOR=never

PARTS=(lint generators rust nostd embedded fuzz bench c python oidc gateway)
describe() {
    case "$1" in
    lint) echo "cargo fmt --check, cargo clippy -D warnings" ;;
    generators) echo "conformance cases and CLI samples are reproducible from their generators" ;;
    rust) echo "cargo test --workspace (unit, Wycheproof, RFC 7520, conformance on every backend, zero allocations, CLI)" ;;
    nostd) echo "the core builds with no heap for thumbv7em-none-eabihf and x86_64-unknown-none" ;;
    embedded) echo "ES256 (p256 and p256-cm4), HS256 and Ed25519 firmware with no allocator, no core::fmt, under QEMU" ;;
    fuzz) echo "a short coverage-guided run of every fuzz target (FUZZ_SECONDS, default 30)" ;;
    bench) echo "benchmarks, quick smoke (they must run; numbers are not pass/fail)" ;;
    c) echo "C ABI: header drift, conformance (cases, introspection), misuse, C++, threads, key source + introspector on loopback, valgrind, ASan/UBSan, pkg-config" ;;
    python) echo "Python: wheel in a fresh venv, pytest (conformance, interop, differential), mypy, stubtest" ;;
    oidc) echo "a real OpenID Provider (node-oidc-provider, npm ci): CLI discovery, rotation, EdDSA/ES384, introspection, DPoP" ;;
    gateway) echo "tokenlane serve behind a real nginx (auth_request) with two instances sharing a real Redis: refusals as the client sees them, DPoP replay across instances, faults; Envoy gRPC ext_authz (grpcio client); wrk smoke" ;;
    esac
}

usage() {
    echo "usage: bash scripts/test.sh [PART...]   (no PART: all of them, in this order)"
    for p in "${PARTS[@]}"; do printf '  %-11s %s\n' "$p" "$(describe "$p")"; done
}

selected=()
for arg in "$@"; do
    case "$arg" in
    -h | --help | --list)
        usage
        exit 0
        ;;
    esac
    if ! printf '%s\n' "${PARTS[@]}" | grep -qx -- "$arg"; then
        echo "unknown part: $arg" >&2
        usage >&2
        exit 2
    fi
    selected+=("$arg")
done
[ "${#selected[@]}" -gt 0 ] || selected=("${PARTS[@]}")

part_lint() {
    step "format and lints"
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
}

part_generators() {
    step "conformance cases are reproducible from their generator"
    mkdir -p target
    .venv/bin/python tests/conformance/generate.py >target/cases.regen.json
    diff -q tests/conformance/cases.json target/cases.regen.json
    .venv/bin/python cli/samples/generate.py --check
}

part_rust() {
    step "Rust: core (unit, Wycheproof, RFC 7520, conformance on every backend, zero allocations), remote (key source: loopback faults, TLS), CLI"
    mkdir -p target
    rm -f target/conformance-summary.txt
    # cargo's own exit status decides; the log keeps everything, the screen
    # gets the per-binary lines and cargo's "test result:" summaries.
    local rc=0
    cargo test --workspace --release >target/cargo-test.log 2>&1 || rc=$?
    grep -E '^(test result|running|     Running|error|failures|---- )' target/cargo-test.log || true
    if [ "$rc" -ne 0 ]; then
        tail -60 target/cargo-test.log
        echo "cargo test failed (exit $rc); full log: target/cargo-test.log" >&2
        return "$rc"
    fi
    cat target/conformance-summary.txt
    step "vector counts (Wycheproof, RFC 7520), rerun with output shown"
    cargo test -p tokenlane --release --test wycheproof --test rfc7520 -- --nocapture --test-threads=1 \
        >target/cargo-vectors.log 2>&1 || rc=$?
    grep -E '^(wycheproof|rfc7520) ' target/cargo-vectors.log | sort || true
    if [ "$rc" -ne 0 ]; then
        tail -40 target/cargo-vectors.log
        return "$rc"
    fi
}

part_nostd() {
    step "no_std: builds with no heap for thumbv7em-none-eabihf, and for x86_64-unknown-none"
    cargo build -p tokenlane --release --no-default-features --features ecdsa,hmac --target thumbv7em-none-eabihf
    cargo build -p tokenlane --release --no-default-features --features ecdsa,hmac --target x86_64-unknown-none
    cargo build -p tokenlane --release --no-default-features --features alloc,rsa,ecdsa,hmac --target x86_64-unknown-none
    cargo build -p tokenlane --release --no-default-features --features ecdsa --target x86_64-unknown-none
    cargo build -p tokenlane --release --no-default-features --features hmac --target x86_64-unknown-none
    cargo build -p tokenlane --release --no-default-features --features ecdsa,hs256 --target thumbv7em-none-eabihf
    cargo build -p tokenlane --release --no-default-features --features eddsa --target thumbv7em-none-eabihf
    # eddsa is built for the firmware target only: on x86_64-unknown-none
    # curve25519-dalek picks its AVX2 backend, which that soft-float target cannot compile.
    cargo build -p tokenlane --release --no-default-features --features es384,es512,hmac --target x86_64-unknown-none
}

part_embedded() {
    step "embedded: ES256, HS256 and Ed25519 firmware with no allocator and no core::fmt, under QEMU (Cortex-M4, mps2-an386)"
    bash scripts/test-embedded.sh
}

part_fuzz() {
    step "fuzzing: a coverage-guided smoke run of every target (token, claims, jwks, ffi, cli_inspect), invariants asserted"
    FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash scripts/fuzz-smoke.sh
}

part_bench() {
    step "benchmarks, quick smoke (they must run; their numbers are not pass/fail — see BENCHMARKS.md)"
    bash scripts/bench.sh --quick
}

part_c() {
    step "C ABI: header drift, conformance, misuse, C++, threads + key rotation, valgrind, ASan/UBSan, pkg-config"
    bash scripts/test-c.sh
}

part_python() {
    step "Python: wheel built from the checkout, installed in a fresh venv, pytest + mypy --strict + stubtest"
    bash scripts/test-python.sh
}

part_oidc() {
    step "OpenID Provider: node-oidc-provider on loopback; the CLI and the key source against its real tokens"
    bash scripts/test-oidc.sh
}

part_gateway() {
    step "gateway: nginx -> auth_request -> tokenlane serve x2 + Redis -> upstream echo (nginx, redis-server, wrk from Debian)"
    bash scripts/test-gateway.sh
}

step "setup"
bash scripts/setup.sh

for p in "${selected[@]}"; do
    "part_$p"
done

step "passed: ${selected[*]}"
