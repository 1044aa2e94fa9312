#!/usr/bin/env python3
"""Puts the tables of a full `scripts/bench.sh` run into BENCHMARKS.md.

    python3 bench/update_benchmarks_md.py target/bench BENCHMARKS.md [--only python]

Each generated block sits between `<!-- BEGIN name -->` and
`<!-- END name -->` markers; the prose around them is left alone. Blocks:
machine (CPU, cores, load, versions, date), rust, parse-cost, callgrind,
c, c-abi, python. With `--only python` (after `scripts/bench.sh --only python`) only
the python block and the machine block's "- Python:" line are rewritten
(that line then carries the Python run's own date and load), so the other
tables keep the full run's numbers even if a --quick run has since
overwritten their outputs in target/bench.
"""

import datetime
import os
import platform
import re
import subprocess
import sys


def table(path: str, name: str) -> str:
    text = open(path, encoding="utf-8").read()
    m = re.search(rf"=== BEGIN {name} ===\n(.*?)=== END {name} ===", text, re.S)
    if not m:
        sys.exit(f"no {name} in {path}")
    return m.group(1).rstrip("\n")


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def lock_version(name: str) -> str:
    lock = open("Cargo.lock", encoding="utf-8").read()
    m = re.search(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', lock)
    return m.group(1) if m else "?"


def lock_versions(name: str) -> list:
    """Every version of `name` in Cargo.lock (a crate may be locked twice)."""
    lock = open("Cargo.lock", encoding="utf-8").read()
    return re.findall(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', lock) or ["?"]


def machine(out: str) -> str:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = open(os.path.join(out, "load.txt"), encoding="utf-8").read().strip() \
        if os.path.exists(os.path.join(out, "load.txt")) else sh("cat", "/proc/loadavg")
    py = open(os.path.join(out, "python.txt"), encoding="utf-8").readline().strip()
    rust = open(os.path.join(out, "rust.txt"), encoding="utf-8").readline().strip()
    lines = [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}; `nproc` = {sh('nproc')}; {platform.system()} {platform.release()}",
        f"- load average when the run started (1/5/15 min): {load}",
        f"- {sh('rustc', '--version')}; crates: ring {lock_version('ring')}, "
        f"rsa {lock_version('rsa')}, p256 {lock_version('p256')}, hmac {lock_version('hmac')}, "
        f"sha2 {lock_version('sha2')}, aws-lc-rs {lock_version('aws-lc-rs')} "
        f"(aws-lc-sys {lock_version('aws-lc-sys')}), jsonwebtoken "
        + " and ".join(lock_versions('jsonwebtoken'))
        + " (10 as `jsonwebtoken_rc` on `rust_crypto`, 11 on its default `aws_lc_rs`)",
        f"- Rust bench: {rust}",
        f"- Python: {py}",
        f"- C: {sh('gcc', '--version').splitlines()[0] if sh('gcc', '--version') else '?'}; "
        f"libjwt {sh('dpkg-query', '-W', '-f=${Version}', 'libjwt-dev')} (Debian)",
        f"- valgrind: {sh('valgrind', '--version')}",
    ]
    return "\n".join(lines)


def replace_blocks(md: str, text: str, blocks: dict) -> str:
    for name, body in blocks.items():
        pat = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.S)
        if not pat.search(text):
            sys.exit(f"{md}: no <!-- BEGIN {name} --> block")
        text = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def python_only(out: str, text: str) -> str:
    """Rewrites the python block and the machine block's Python line."""
    load_path = os.path.join(out, "load-python.txt")
    load = open(load_path, encoding="utf-8").read().strip() \
        if os.path.exists(load_path) else "?"
    py = open(os.path.join(out, "python.txt"), encoding="utf-8").readline().strip()
    line = (f"- Python: {py} (Python table refreshed on its own "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"load average at its start {load})")
    m = re.search(r"(<!-- BEGIN machine -->\n)(.*?)(<!-- END machine -->)", text, re.S)
    if not m:
        sys.exit("no <!-- BEGIN machine --> block")
    body, n = re.subn(r"^- Python: .*$", lambda _: line, m.group(2), count=1, flags=re.M)
    if n != 1:
        sys.exit("no '- Python:' line in the machine block")
    return text[:m.start(2)] + body + text[m.end(2):]


def main() -> None:
    out, md = sys.argv[1], sys.argv[2]
    only = None
    if len(sys.argv) > 3:
        if sys.argv[3:] != ["--only", "python"]:
            sys.exit("usage: update_benchmarks_md.py OUT_DIR BENCHMARKS.md [--only python]")
        only = "python"
    if only == "python":
        text = open(md, encoding="utf-8").read()
        text = replace_blocks(md, python_only(out, text), {
            "python": table(os.path.join(out, "python.txt"), "PYTHON TABLE")})
        open(md, "w", encoding="utf-8").write(text)
        print(f"updated {md} (python block only)")
        return
    blocks = {
        "machine": machine(out),
        "rust": table(os.path.join(out, "rust.txt"), "RUST TABLE"),
        "rust-aims": table(os.path.join(out, "rust.txt"), "RUST AIMS"),
        "parse-cost": table(os.path.join(out, "parse-cost.txt"), "PARSE COST TABLE"),
        "callgrind": table(os.path.join(out, "callgrind.txt"), "CALLGRIND TABLE"),
        "c": table(os.path.join(out, "c.txt"), "C TABLE"),
        "c-abi": table(os.path.join(out, "c-abi.txt"), "C ABI TABLE"),
        "python": table(os.path.join(out, "python.txt"), "PYTHON TABLE"),
    }
    text = replace_blocks(md, open(md, encoding="utf-8").read(), blocks)
    open(md, "w", encoding="utf-8").write(text)
    print(f"updated {md}")


if __name__ == "__main__":
    main()
