#!/usr/bin/env bash
# Runs every test of tokenlane. Installs what it needs (Rust targets, a
# Python venv with the independent minting libraries) through the project's
# own scripts. Prints each step before running it.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
export CARGO_TERM_COLOR=never

step "setup"
bash scripts/setup.sh

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

step "conformance cases are reproducible from their generator"
.venv/bin/python tests/conformance/generate.py > target/cases.regen.json
diff -q tests/conformance/cases.json target/cases.regen.json
.venv/bin/python cli/samples/generate.py --check

step "Rust: core (unit, Wycheproof, RFC 7520, conformance on every backend, zero allocations), CLI"
cargo test --workspace --release 2>&1 | tee target/cargo-test.log | grep -E '^(test result|running|     Running|error|failures|---- )' || true
if grep -qE '^test result: FAILED|^error' target/cargo-test.log; then
    cat target/cargo-test.log | tail -60
    exit 1
fi
cat target/conformance-summary.txt
step "vector counts (Wycheproof, RFC 7520), rerun with output shown"
cargo test -p tokenlane --release --test wycheproof --test rfc7520 -- --nocapture --test-threads=1 2>&1 \
    | grep -E '^(wycheproof|rfc7520) ' | sort

step "no_std: builds with no heap for thumbv7em-none-eabihf, and for x86_64-unknown-none"
cargo build -p tokenlane --release --no-default-features --features ecdsa,hmac --target thumbv7em-none-eabihf
cargo build -p tokenlane --release --no-default-features --features ecdsa,hmac --target x86_64-unknown-none
cargo build -p tokenlane --release --no-default-features --features alloc,rsa,ecdsa,hmac --target x86_64-unknown-none
cargo build -p tokenlane --release --no-default-features --features ecdsa --target x86_64-unknown-none
cargo build -p tokenlane --release --no-default-features --features hmac --target x86_64-unknown-none
cargo build -p tokenlane --release --no-default-features --features ecdsa,hs256 --target thumbv7em-none-eabihf

step "embedded: ES256 and HS256 firmware with no allocator, under QEMU (Cortex-M4, mps2-an386)"
bash scripts/test-embedded.sh

step "fuzzing: a coverage-guided smoke run of every target (token, claims, jwks, ffi), invariants asserted"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash scripts/fuzz-smoke.sh

step "benchmarks, quick smoke (they must run; their numbers are not pass/fail — see BENCHMARKS.md)"
bash scripts/bench.sh --quick

step "C ABI: header drift, conformance, misuse, C++, threads + key rotation, valgrind, ASan/UBSan, pkg-config"
bash scripts/test-c.sh

step "Python: wheel built from the checkout, installed in a fresh venv, pytest + mypy --strict + stubtest"
bash scripts/test-python.sh

step "all tests passed"
