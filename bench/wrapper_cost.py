#!/usr/bin/env python3
"""The Python wrapper's own cost (issue 24, item 3): tokenlane's
`AccessTokenValidator.validate(token, now=...).sub` from Python, the call
bench_python.py times, against the same validation in Rust.

    python bench/wrapper_cost.py [--quick]            # µs per call (thread CPU time)
    python bench/wrapper_cost.py --calls ALG N        # N calls, for callgrind

Time: median of 15 rounds of ~100 ms, per algorithm. Subtract the Rust
`validate` µs of the same backend (ring) from `cargo bench -p tokenlane
--features ring --bench validate -- ALG`, run right after.

Instructions (exact, load-free): run `--calls ALG N` under `valgrind
--tool=callgrind` for two N and divide the difference of the totals by
the difference of N (start-up cancels out); subtract the Rust validate
instructions per call (bench/callgrind.py, ring). Tokens and keys:
bench/tokens.json (Python `cryptography`).
"""

import json
import os
import statistics
import sys
import time

import tokenlane

HERE = os.path.dirname(os.path.abspath(__file__))


def setup(alg):
    with open(os.path.join(HERE, "tokens.json"), encoding="ascii") as f:
        doc = json.load(f)
    keys = tokenlane.KeySet.from_jwks(doc["jwks"])
    v = tokenlane.AccessTokenValidator(
        keys, issuer=doc["issuer"], audience=doc["audience"], algorithms=[alg],
        leeway=60, required_scopes=[doc["scope"]])
    return v, doc["tokens"][alg], doc["now"]


def main():
    args = sys.argv[1:]
    if args[:1] == ["--calls"]:
        alg, n = args[1], int(args[2])
        v, token, now = setup(alg)
        for _ in range(n):
            v.validate(token, now=now).sub
        return
    quick = "--quick" in args
    rounds, budget = (1, 0.005) if quick else (15, 0.1)
    print("| alg | tokenlane Python µs / call (validate + .sub) |")
    print("|---|---:|")
    for alg in ["HS256", "ES256", "RS256"]:
        v, token, now = setup(alg)
        assert v.validate(token, now=now).sub
        per = []
        for _ in range(rounds):
            n, t0 = 0, time.thread_time()
            while time.thread_time() - t0 < budget:
                for _ in range(100):
                    v.validate(token, now=now).sub
                n += 100
            per.append((time.thread_time() - t0) * 1e6 / n)
        print(f"| {alg} | {statistics.median(per):.2f} |")


if __name__ == "__main__":
    main()
