#!/usr/bin/env bash
# The gateway tests: real nginx on 127.0.0.1 -> auth_request -> two
# `tokenlane serve` instances sharing a real redis-server -> an upstream echo
# server (tests/gateway/), and Envoy's gRPC ext_authz called with grpcio +
# Google's Envoy protos (tests/gateway/test_grpc.py). Then a few-second wrk
# smoke of the benchmark (numbers are not pass/fail; the full run is
# scripts/bench-gateway.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-gateway.sh
echo "+ cargo build --release -p tokenlane-cli"
cargo build --release -p tokenlane-cli
echo "+ cargo test --release -p tokenlane-serve"
cargo test --release -p tokenlane-serve
echo "+ pytest tests/gateway"
TOKENLANE_BIN="$PWD/target/release/tokenlane" \
    timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider tests/gateway
echo "+ scripts/bench-gateway.sh --quick"
timeout 120 bash scripts/bench-gateway.sh --quick
