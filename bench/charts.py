#!/usr/bin/env python3
"""Draws the benchmark charts from the tables in BENCHMARKS.md.

    python bench/charts.py BENCHMARKS.md charts/          # what scripts/bench.sh runs
    python bench/charts.py BENCHMARKS.md target/bench/charts   # the --quick smoke

The charts are drawn from the generated blocks of BENCHMARKS.md (between
`<!-- BEGIN name -->` and `<!-- END name -->`), so a chart never shows a
number the tables do not: `scripts/bench.sh` rewrites the tables, then
redraws every chart. Charts (SVG, deterministic: no date, fixed ids):

- `python.svg`: µs per validation, tokenlane against each Python peer
  (the `python` block's first table);
- `rust.svg`: µs per validation, tokenlane on each backend against
  jsonwebtoken and the raw verify (the `rust` block), one panel per
  algorithm family so RSA's, ECDSA's and HMAC's scales stay readable;
- `scaling.svg`: time ÷ baseline as the key set, the token, the scopes
  and the audiences grow (the `scaling` block).

Fails (exit status 1, with the reason) when a block or a column it needs is
missing: a renamed column must not silently draw an empty chart.
"""

import os
import re
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# Deterministic SVG: fixed element ids, no creation date.
plt.rcParams["svg.hashsalt"] = "tokenlane"
plt.rcParams["svg.fonttype"] = "none"
plt.rcParams["font.size"] = 9
METADATA = {"Date": None, "Creator": "bench/charts.py"}


def block(text: str, name: str) -> str:
    m = re.search(rf"<!-- BEGIN {re.escape(name)} -->\n(.*?)<!-- END {re.escape(name)} -->", text, re.S)
    if not m:
        sys.exit(f"charts: no <!-- BEGIN {name} --> block")
    return m.group(1)


def tables(body: str) -> list[list[dict[str, str]]]:
    """Every markdown table of a block, as rows keyed by header."""
    out: list[list[dict[str, str]]] = []
    lines = [line.strip() for line in body.splitlines()]
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            head = [c.strip() for c in lines[i].strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip("|").split("|")]
                rows.append(dict(zip(head, cells)))
                i += 1
            out.append(rows)
        else:
            i += 1
    if not out:
        sys.exit("charts: a block holds no table")
    return out


def num(cell: str) -> float | None:
    """The leading number of a cell (`2.35`, `1.021×`, `**0.70**`), None for n/a."""
    m = re.search(r"[-+]?\d+(?:\.\d+)?", cell.replace("*", ""))
    return float(m.group(0)) if m else None


def need(rows: list[dict[str, str]], *cols: str) -> None:
    for c in cols:
        if not rows or c not in rows[0]:
            sys.exit(f"charts: no column {c!r} (have {list(rows[0]) if rows else []})")


def bars(ax, groups: list[str], series: dict[str, list[float | None]], unit: str) -> None:
    """Grouped bars: one group per entry of `groups`, one bar per series."""
    n = len(series)
    width = 0.8 / max(n, 1)
    for k, (label, values) in enumerate(series.items()):
        xs = [g + (k - (n - 1) / 2) * width for g in range(len(groups))]
        pts = [(x, v) for x, v in zip(xs, values) if v is not None]
        ax.bar([p[0] for p in pts], [p[1] for p in pts], width, label=label)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(unit)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.tick_params(axis="y", which="minor", labelsize=6)
    lows = [v for vs in series.values() for v in vs if v]
    if lows:
        ax.set_ylim(bottom=min(lows) / 1.6)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def python_chart(text: str, out: str) -> None:
    rows = tables(block(text, "python"))[0]
    peers = [c[:-3] for c in rows[0] if c.endswith(" µs")]
    need(rows, "alg", *[f"{p} µs" for p in peers])
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    bars(ax, [r["alg"] for r in rows], {p: [num(r[f"{p} µs"]) for r in rows] for p in peers},
         "µs per validation, log scale (lower is better)")
    ax.set_title("Python: full access-token validation, tokenlane vs Python JWT libraries")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "python.svg"), metadata=METADATA)
    plt.close(fig)


def rust_chart(text: str, out: str) -> None:
    rows = tables(block(text, "rust"))[0]
    need(rows, "alg", "backend", "validate µs")
    # Every "… µs" column other than the JWS layer is a contender; tokenlane's
    # validate is one per backend row, the others are shared by the alg.
    extra = [c for c in rows[0] if c.endswith(" µs") and c not in ("validate µs", "JWS layer µs")]
    algs: list[str] = []
    for r in rows:
        if r["alg"] not in algs:
            algs.append(r["alg"])
    backends: list[str] = []
    for r in rows:
        if r["backend"] not in backends:
            backends.append(r["backend"])
    families = [
        ("RSA", [a for a in algs if a[:2] in ("RS", "PS")]),
        ("ECDSA / EdDSA", [a for a in algs if a[:2] == "ES" or a.startswith("Ed")]),
        ("HMAC", [a for a in algs if a.startswith("HS")]),
    ]
    families = [(name, a) for name, a in families if a]
    fig, axes = plt.subplots(len(families), 1, figsize=(9.5, 2.9 * len(families)))
    if len(families) == 1:
        axes = [axes]
    for ax, (name, fam) in zip(axes, families):
        series: dict[str, list[float | None]] = {}
        for b in backends:
            series[f"tokenlane [{b}]"] = [
                next((num(r["validate µs"]) for r in rows if r["alg"] == a and r["backend"] == b), None)
                for a in fam
            ]
        for c in extra:
            label = c[:-3]
            vals = []
            for a in fam:
                ar = [r for r in rows if r["alg"] == a]
                # A per-backend column (raw verify): the fastest backend's.
                vs = [v for v in (num(r[c]) for r in ar) if v is not None]
                vals.append(min(vs) if vs else None)
            series[label if "raw" not in label else f"{label} (fastest backend)"] = vals
        bars(ax, fam, series, "µs per validation, log scale")
        ax.set_title(f"Rust: {name}")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "rust.svg"), metadata=METADATA)
    plt.close(fig)


def scaling_chart(text: str, out: str) -> None:
    rows = tables(block(text, "scaling"))[0]
    need(rows, "alg", "grows", "n", "÷ baseline")
    dims = []
    for r in rows:
        if r["grows"] not in dims:
            dims.append(r["grows"])
    algs = []
    for r in rows:
        if r["alg"] not in algs:
            algs.append(r["alg"])
    fig, axes = plt.subplots(1, len(dims), figsize=(3.0 * len(dims), 3.0))
    if len(dims) == 1:
        axes = [axes]
    for ax, d in zip(axes, dims):
        for a in algs:
            pts = [(num(r["n"]), num(r["÷ baseline"])) for r in rows if r["alg"] == a and r["grows"] == d]
            pts = [p for p in pts if p[0] is not None and p[1] is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=a)
        ax.set_title(f"{d} grows")
        ax.set_xlabel({"size": "KiB of extra claims"}.get(d, f"number of {d}"))
        ax.set_ylabel("time ÷ baseline")
        if d == "keys":
            ax.axhline(1.05, color="grey", linestyle="--", linewidth=0.8, label="aim 1.05×")
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "scaling.svg"), metadata=METADATA)
    plt.close(fig)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: charts.py BENCHMARKS.md OUT_DIR")
    md, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    text = open(md, encoding="utf-8").read()
    python_chart(text, out)
    rust_chart(text, out)
    scaling_chart(text, out)
    print(f"charts: python.svg rust.svg scaling.svg in {out}")


if __name__ == "__main__":
    main()
