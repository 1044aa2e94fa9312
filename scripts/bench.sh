#!/usr/bin/env bash
# Regenerates every benchmark in BENCHMARKS.md:
#
#   bash scripts/bench.sh           # full run (~10 min on 2 cores), rewrites
#                                   # the tables in BENCHMARKS.md
#   bash scripts/bench.sh --quick   # seconds-long smoke of each benchmark so
#                                   # none can rot; leaves BENCHMARKS.md alone
#   bash scripts/bench.sh --only frameworks   # only step 6 (~1 min): the
#                                   # web integrations' block, nothing else
#   bash scripts/bench.sh --only python   # only step 5 (~1 min): rewrites the
#                                   # python block and the machine block's
#                                   # "Python:" line, nothing else
#                                   # (combines with --quick)
#   bash scripts/bench.sh --only request  # only step 2d (~1 min): rewrites
#                                   # the request block, nothing else
#
# Steps: (1) bench/tokens.json is what bench/gen_tokens.py writes (Python
# `cryptography`; the full run rewrites it, --quick checks it is current);
# (2) the Rust bench `cargo bench -p tokenlane --features ring --bench
# validate` (thread CPU time), (2b) `cargo bench -p tokenlane-remote
# --bench keysource` (a warm KeySource vs a static KeySet), and (2c) `cargo
# bench -p tokenlane --features ring --bench parse_cost` (hostile ÷ flat JSON
# of the same size); (2d) `cargo bench -p tokenlane --features ring
# --bench request` (a DPoP-bound ES256 request ÷ a bearer ES256
# validation); (2e) `cargo bench -p tokenlane --features ring --bench
# scaling` (keys in the set, token size, scopes, audiences; tokens from
# bench/gen_scaling.py); (3) the validate bench binary under callgrind
# (bench/callgrind.py: instructions per call, immune to machine load);
# (4) the C ABI against Debian's libjwt (bench/bench_c.c), with its
# instruction counts next to the Rust ones for the C ABI's overhead;
# (5) the Python package against PyJWT, joserfc, python-jose and authlib
# (bench/bench_python.py), in a venv of its own (target/bench/venv:
# scripts/requirements-test.txt + bench/requirements-bench.txt) with the
# wheel built by maturin; (6) the web integrations (bench/bench_frameworks.py:
# req/s through FastAPI, Starlette, Flask, DRF with tokenlane ÷ the same app
# with a no-op auth dependency) in that venv plus scripts/requirements-frameworks.txt;
# (7) the charts (bench/charts.py, matplotlib in that venv): charts/*.svg
# redrawn from the tables just written to BENCHMARKS.md.
# Outputs go to target/bench/; Debian packages (valgrind, libjwt-dev, gcc)
# are installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=
ONLY=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=--quick ;;
    --only)
        case "${2:-}" in
        python | request | frameworks) ONLY=$2 ;;
        *) echo "bench.sh: --only takes: python, request, frameworks" >&2; exit 2 ;;
        esac
        shift
        ;;
    *) echo "usage: bash scripts/bench.sh [--quick] [--only python|request|frameworks]" >&2; exit 2 ;;
    esac
    shift
done
OUT=$ROOT/target/bench
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$OUT"
# load.txt belongs to the full run (machine block); --only python keeps its own.
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load${ONLY:+-$ONLY}.txt"
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
run() { printf '+ %s\n' "$*" >&2; "$@"; }
passed=0
pass() { passed=$((passed + 1)); echo "bench: $1 ok"; }

# ---- tools ---------------------------------------------------------------
missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -f /usr/include/jwt.h ] || missing+=(libjwt-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${#missing[@]}" -gt 0 ] && [ -z "$ONLY" ]; then
    run apt-get update -qq
    DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
    run bash scripts/setup.sh
fi

# ---- 1. tokens -------------------------------------------------------------
if [ -n "$QUICK" ] || [ -n "$ONLY" ]; then
    run .venv/bin/python bench/gen_tokens.py --out "$OUT/tokens.json"
    if ! cmp -s "$OUT/tokens.json" bench/tokens.json; then
        echo "bench/tokens.json is not what bench/gen_tokens.py writes: rerun it" >&2
        exit 1
    fi
else
    run .venv/bin/python bench/gen_tokens.py
fi
pass tokens

# ---- 2d. Rust: a DPoP-bound request vs a bearer validation -----------------
if [ -z "$ONLY" ] || [ "$ONLY" = request ]; then
run cargo bench -p tokenlane --features ring --bench request -- $QUICK | tee "$OUT/request.txt"
grep -q '=== END REQUEST TABLE ===' "$OUT/request.txt"
pass request
fi

if [ -z "$ONLY" ]; then
# ---- 2. Rust: thread CPU time ------------------------------------------------
run cargo bench -p tokenlane --features ring,aws-lc --bench validate -- $QUICK | tee "$OUT/rust.txt"
grep -q '=== END RUST TABLE ===' "$OUT/rust.txt"
pass rust

# ---- 2b. Rust: a warm tokenlane-remote KeySource vs a static KeySet ---------
run cargo bench -p tokenlane-remote --bench keysource -- $QUICK | tee "$OUT/remote.txt"
grep -q '=== END REMOTE TABLE ===' "$OUT/remote.txt"
pass remote

# ---- 2c. Rust: parser cost on hostile JSON (thread CPU time) -----------------
run cargo bench -p tokenlane --features ring --bench parse_cost -- $QUICK | tee "$OUT/parse-cost.txt"
grep -q '=== END PARSE COST TABLE ===' "$OUT/parse-cost.txt"
pass parse-cost

# ---- 2e. Rust: cost as the work grows (keys, token size, scopes, audiences) --
run .venv/bin/python bench/gen_scaling.py "$OUT/scaling.json"
run cargo bench -p tokenlane --features ring --bench scaling -- "$OUT/scaling.json" $QUICK | tee "$OUT/scaling.txt"
grep -q '=== END SCALING TABLE ===' "$OUT/scaling.txt"
pass scaling

# ---- 3. Rust: callgrind instruction counts ----------------------------------
BENCH_BIN=$(cargo bench -p tokenlane --features ring,aws-lc --bench validate --no-run \
    --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "validate" and m.get("executable"):
        print(m["executable"])')
run python3 bench/callgrind.py "$BENCH_BIN" $QUICK | tee "$OUT/callgrind.txt"
grep -q '=== END CALLGRIND TABLE ===' "$OUT/callgrind.txt"
pass callgrind

# ---- 4. C ABI vs libjwt --------------------------------------------------------
run cargo build --release -p tokenlane-ffi
# The C library's default backend, as Backend::DEFAULT picks it: aws-lc
# over ring over rustcrypto.
C_BACKEND=rustcrypto
C_FEATURES=$(cargo tree -p tokenlane-ffi -e features -i tokenlane --prefix none 2>/dev/null || true)
if grep -q '^tokenlane feature "aws-lc"' <<<"$C_FEATURES"; then
    C_BACKEND=aws-lc
elif grep -q '^tokenlane feature "ring"' <<<"$C_FEATURES"; then
    C_BACKEND=ring
fi
CIN=$OUT/c-input
mkdir -p "$CIN"
python3 - "$CIN" <<'EOF'
import base64, json, os, sys
d = json.load(open("bench/tokens.json"))
out = sys.argv[1]
def w(name, data, mode="w"):
    with open(os.path.join(out, name), mode) as f:
        f.write(data)
for alg, tok in d["tokens"].items():
    w(f"{alg}.jwt", tok + "\n")
for alg, tok in d["typ_jwt_tokens"].items():
    w(f"{alg}.typ-jwt.jwt", tok + "\n")
w("jwks.json", d["jwks"])
w("rsa.pem", d["rsa"]["pem"])
w("ec.pem", d["ec"]["pem"])
s = d["hmac"]["secret"]
w("hs.secret", base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "wb")
for k in ("issuer", "audience", "scope", "now"):
    w(k, f"{d[k]}\n")
EOF
run gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$OUT/bench_c" bench/bench_c.c -I include \
    "$TARGET_DIR/release/libtokenlane.a" $(pkg-config --cflags --libs libjwt) -lpthread -ldl -lm
run "$OUT/bench_c" "$CIN" $QUICK | tee "$OUT/c.txt"
grep -q '=== END C TABLE ===' "$OUT/c.txt"
# The C ABI's cost over the core, in instructions (stable): the same
# validation through the C ABI and straight from Rust, same backend.
c_instr() {
    local tmp
    tmp=$(mktemp -d)
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --collect-atstart=no \
        --toggle-collect=measured_loop "$OUT/bench_c" "$CIN" --instr "$1" "$2" "$3" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    rm -rf "$tmp"
}
rust_instr() {
    local tmp
    tmp=$(mktemp -d)
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --collect-atstart=no \
        '--toggle-collect=*measured_loop*' "$BENCH_BIN" --instr "$1" "$2" "$3" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    rm -rf "$tmp"
}
{
    echo "=== BEGIN C ABI TABLE ==="
    echo "| alg | backend | C ABI instr / call | Rust AccessPolicy::validate instr / call | C ABI overhead | C ABI, typ JWT, compat instr / call | libjwt, typ JWT instr / call | tokenlane ÷ libjwt |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    if [ -n "$QUICK" ]; then algs="HS256"; else algs="RS256 ES256 HS256"; fi
    for alg in $algs; do
        case $alg in HS*) n=50 ;; *) n=5 ;; esac
        [ -n "$QUICK" ] && n=2
        c=$(c_instr "$alg" tokenlane "$n")
        r=$(rust_instr "$alg" "$C_BACKEND/validate" "$n")
        l=$(c_instr "$alg" libjwt "$n")
        tc=$(c_instr "$alg" tokenlane-compat "$n")
        python3 -c "import sys
a, c, r, l, tc, n = sys.argv[1], *map(int, sys.argv[2:6]), int(sys.argv[6])
print(f'| {a} | $C_BACKEND | {c / n / 1000:.1f}k | {r / n / 1000:.1f}k | +{(c - r) / n / 1000:.1f}k ({c / r:.3f}×) | {tc / n / 1000:.1f}k | {l / n / 1000:.1f}k | {tc / l:.3f} |')" \
            "$alg" "$c" "$r" "$l" "$tc" "$n"
    done
    echo "=== END C ABI TABLE ==="
} | tee "$OUT/c-abi.txt"
pass c
fi

if [ -z "$ONLY" ] || [ "$ONLY" = python ] || [ "$ONLY" = frameworks ]; then
# ---- 5. Python -----------------------------------------------------------------
VENV=$OUT/venv
WHEELS=$OUT/wheels
rm -rf "$WHEELS"
run .venv/bin/maturin build --release -m ffi-python/Cargo.toml -o "$WHEELS" >&2
[ -x "$VENV/bin/python" ] || run python3 -m venv "$VENV"
run "$VENV/bin/python" -m pip install -q -r scripts/requirements-test.txt \
    -r bench/requirements-bench.txt
run "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEELS"/tokenlane-*-abi3-*.whl
if [ "$ONLY" != frameworks ]; then
    (cd "$OUT" && run "$VENV/bin/python" "$ROOT/bench/bench_python.py" $QUICK) | tee "$OUT/python.txt"
    grep -q '=== END PYTHON TABLE ===' "$OUT/python.txt"
    pass python
fi

# ---- 6. Python web integrations ---------------------------------------------------
# req/s through each integration ÷ the same app with a no-op auth dependency
# (bench/bench_frameworks.py), in the same venv plus the pinned frameworks.
if [ -z "$ONLY" ] || [ "$ONLY" = frameworks ]; then
    run "$VENV/bin/python" -m pip install -q -r scripts/requirements-frameworks.txt
    (cd "$OUT" && run "$VENV/bin/python" "$ROOT/bench/bench_frameworks.py" $QUICK) | tee "$OUT/frameworks.txt"
    grep -q '=== END FRAMEWORKS TABLE ===' "$OUT/frameworks.txt"
    pass frameworks
fi
fi

# ---- BENCHMARKS.md -----------------------------------------------------------
# Extra blocks (steps 2b, 2d, 2e, 6), with update_benchmarks_md.py's own helpers.
replace_block() {
    run python3 -c 'import os, sys
sys.path.insert(0, "bench")
from update_benchmarks_md import replace_blocks, table
out, md, block, file, name = sys.argv[1:6]
text = replace_blocks(md, open(md, encoding="utf-8").read(), {block: table(os.path.join(out, file), name)})
open(md, "w", encoding="utf-8").write(text)' "$OUT" BENCHMARKS.md "$@"
}
if [ -z "$QUICK" ]; then
    if [ "$ONLY" != frameworks ] && [ "$ONLY" != request ]; then
        run python3 bench/update_benchmarks_md.py "$OUT" BENCHMARKS.md ${ONLY:+--only "$ONLY"}
    fi
    if [ -z "$ONLY" ]; then
        replace_block remote remote.txt "REMOTE TABLE"
        replace_block scaling scaling.txt "SCALING TABLE"
    fi
    if [ -z "$ONLY" ] || [ "$ONLY" = request ]; then
        replace_block request request.txt "REQUEST TABLE"
    fi
    if [ -z "$ONLY" ] || [ "$ONLY" = frameworks ]; then
        replace_block frameworks frameworks.txt "FRAMEWORKS TABLE"
    fi
fi

# ---- charts --------------------------------------------------------------------
# bench/charts.py draws charts/*.svg from the tables now in BENCHMARKS.md (the
# bench venv has matplotlib, bench/requirements-bench.txt); --quick draws them
# into target/bench/charts instead, so the drawing cannot rot unseen.
VENV=$OUT/venv
if [ -x "$VENV/bin/python" ]; then
    if [ -z "$QUICK" ]; then CHARTS=charts; else CHARTS=$OUT/charts; fi
    run "$VENV/bin/python" bench/charts.py BENCHMARKS.md "$CHARTS"
    pass charts
elif [ -z "$QUICK" ]; then
    echo "bench.sh: no bench venv ($VENV) to draw the charts with; run the python step first" >&2
    exit 1
fi
echo "bench smoke: $passed passed, 0 failed"
