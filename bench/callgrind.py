#!/usr/bin/env python3
"""Instruction counts per call, from callgrind: stable where wall-clock is not.

    python3 bench/callgrind.py BENCH_BINARY [--quick] [--backends ring,rustcrypto]

BENCH_BINARY is the `validate` bench executable (scripts/bench.sh finds it
with `cargo bench --no-run --message-format=json`). For every algorithm
and backend it runs the binary's `--instr ALG WHO ITERS` mode under
`valgrind --tool=callgrind --collect-atstart=no
--toggle-collect=*measured_loop*`, so only the measured loop is counted
(keys, policy and token set up outside it, one warm-up call before it),
and divides by ITERS. Prints a Markdown table between
`=== BEGIN CALLGRIND TABLE ===` / `=== END CALLGRIND TABLE ===`.

Instructions are not time (ring's assembly retires more work per
instruction than parsing code does, and valgrind hides SHA-NI, so ring's
HMAC runs its AVX path here), but they do not move with machine load.
"""

import os
import re
import subprocess
import sys
import tempfile

ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "HS256", "HS384", "HS512"]


def instr(binary: str, alg: str, who: str, iters: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind",
             f"--callgrind-out-file={tmp}/cg.out",
             "--collect-atstart=no", "--toggle-collect=*measured_loop*",
             binary, "--instr", alg, who, str(iters)],
            capture_output=True, text=True, check=False)
    if proc.returncode != 0 or f"instr {alg} {who} {iters}" not in proc.stdout:
        sys.exit(f"callgrind run failed for {alg} {who}:\n{proc.stdout}\n{proc.stderr}")
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if not m:
        sys.exit(f"no 'Collected' line for {alg} {who}:\n{proc.stderr}")
    return int(m.group(1)) / iters


def k(n: float) -> str:
    return f"{n / 1000:.1f}k"


def main() -> None:
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    quick = "--quick" in args
    backends = ["rustcrypto", "ring", "aws-lc"]
    if "--backends" in args:
        backends = args[args.index("--backends") + 1].split(",")
    algs = ["ES256", "HS256"] if quick else ALGS
    if quick:
        backends = backends[-1:]
    rows = []
    for alg in algs:
        iters = (2 if quick else 50) if alg.startswith("HS") else (1 if quick else 5)
        jwt = instr(binary, alg, "jsonwebtoken[aws-lc]", iters)
        for b in backends:
            v = instr(binary, alg, f"{b}/validate", iters)
            j = instr(binary, alg, f"{b}/jws", iters)
            r = instr(binary, alg, f"{b}/raw", iters)
            rows.append((alg, b, v, j, r, jwt))
            print(f"{alg:<6} {b:<10} validate {k(v):>9}  jws {k(j):>9}  raw {k(r):>9}  "
                  f"ratio {v / r:.3f}  overhead {k(v - r)}  jsonwebtoken[aws-lc] {k(jwt):>9}  "
                  f"tokenlane/jsonwebtoken[aws-lc] {v / jwt:.3f}", flush=True)
    print()
    print("=== BEGIN CALLGRIND TABLE ===")
    print("| alg | backend | validate instr | JWS layer instr | raw verify instr "
          "| validate ÷ raw | overhead (validate − raw) | jsonwebtoken [aws-lc] instr "
          "| tokenlane ÷ jsonwebtoken [aws-lc] |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for alg, b, v, j, r, jwt in rows:
        print(f"| {alg} | {b} | {k(v)} | {k(j)} | {k(r)} | {v / r:.3f} | {k(v - r)} "
              f"| {k(jwt)} | {v / jwt:.2f} |")
    print("=== END CALLGRIND TABLE ===")


if __name__ == "__main__":
    main()
