#!/usr/bin/env bash
# Gateway load benchmark (BENCHMARKS.md, "Gateway"): wrk -> nginx
# auth_request -> tokenlane serve, next to nginx auth_request to a static
# 200 (the ceiling), on 127.0.0.1, bounded in time.
#   bash scripts/bench-gateway.sh            # 10 s per scenario
#   bash scripts/bench-gateway.sh --quick    # 2 s per scenario (CI smoke)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
[ "${1:-}" = "--quick" ] && seconds=2
bash scripts/setup-gateway.sh
[ -x target/release/tokenlane ] || cargo build --release -p tokenlane-cli
echo "+ tests/gateway/bench.py --seconds $seconds"
.venv/bin/python tests/gateway/bench.py --binary target/release/tokenlane --seconds "$seconds"
