#!/usr/bin/env bash
# Measures the embedded firmware's footprint and rewrites the generated
# tables in EMBEDDED.md (between the `footprint:*` markers).
#
# For the bare harness, ES256 only (p256 and p256-cm4), HS256 only, both,
# and Ed25519 only, at opt-level "z", "s" and "3" (fat LTO,
# codegen-units = 1, panic = "abort", from embedded/Cargo.toml): flash = .vector_table + .text + .rodata + .data
# (from `arm-none-eabi-size -A`), static RAM = .data + .bss + .uninit, peak
# stack as the firmware itself measures it by painting (printed over
# semihosting when run under QEMU), heap 0 (there is no allocator), total
# RAM = static + stack, and instructions per validation (the `icount`
# twin of each image under `-icount shift=0`). Then symbol-size breakdowns
# of the "z" images (ES256 on p256, ES256 + HS256, ES256 on p256-cm4,
# Ed25519).
#
#   scripts/embedded-footprint.sh           # build, run, rewrite EMBEDDED.md
#   scripts/embedded-footprint.sh --print   # print the tables, leave the doc
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOC=$ROOT/EMBEDDED.md
OUT=$ROOT/embedded/target/footprint
PRINT_ONLY=0
[ "${1:-}" = "--print" ] && PRINT_ONLY=1

if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi
missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null || missing+=(binutils-arm-none-eabi)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$OUT"
ELF=$ROOT/embedded/target/thumbv7em-none-eabihf/release/tokenlane-embedded
RESULTS=$OUT/results.tsv
: >"$RESULTS"

# name|cargo feature arguments
VARIANTS=(
    "harness only|--no-default-features"
    "ES256 only|--no-default-features --features es256"
    "ES256 only, p256-cm4|--no-default-features --features cm4"
    "HS256 only|--no-default-features --features hs256"
    "ES256 + HS256|"
    "ES256 (p256-cm4) + HS256|--no-default-features --features cm4,hs256"
    "Ed25519 only|--no-default-features --features eddsa"
)
# Instructions per validation: the same image plus the `icount` feature
# (SysTick around each validate call, calibrated on a loop of known length
# inside the firmware), run with `-icount shift=0`.
icount_of() { # log name -> instruction count or "-"
    local v
    v=$(sed -n "s/^\[insns\] $2: \([0-9]*\)$/\1/p" "$1")
    echo "${v:--}"
}

for opt in z s 3; do
    for v in "${VARIANTS[@]}"; do
        name=${v%%|*}
        feats=${v#*|}
        tag=$(tr -c 'A-Za-z0-9\n' '-' <<<"$name-$opt")
        echo "+ $name, opt-level=$opt" >&2
        # shellcheck disable=SC2086 # feats is a list of cargo arguments
        (cd embedded && CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt \
            cargo build --release --locked --quiet $feats)
        cp "$ELF" "$OUT/$tag.elf"
        log=$OUT/$tag.log
        timeout 120 qemu-system-arm -M mps2-an386 -nographic \
            -semihosting-config enable=on,target=native -kernel "$OUT/$tag.elf" </dev/null >"$log" 2>&1 \
            || { cat "$log" >&2; echo "FAIL: $name at opt-level $opt did not run cleanly" >&2; exit 1; }
        stack=$(sed -n 's/^stack: peak \([0-9]*\) bytes.*/\1/p' "$log")
        job=$(sed -n 's/^stack: .*deepest job \([0-9]*\) .*/\1/p' "$log")
        [ -n "$stack" ] || { cat "$log" >&2; echo "FAIL: no stack line" >&2; exit 1; }
        # shellcheck disable=SC2086 # feats is a list of cargo arguments
        (cd embedded && CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt \
            cargo build --release --locked --quiet $feats --features icount)
        cp "$ELF" "$OUT/$tag-icount.elf"
        ilog=$OUT/$tag-icount.log
        timeout 300 qemu-system-arm -M mps2-an386 -nographic -icount shift=0 \
            -semihosting-config enable=on,target=native -kernel "$OUT/$tag-icount.elf" </dev/null >"$ilog" 2>&1 \
            || { cat "$ilog" >&2; echo "FAIL: $name at opt-level $opt (icount) did not run cleanly" >&2; exit 1; }
        grep -q '^\[icount\] calibration: .* (ok)$' "$ilog" \
            || { cat "$ilog" >&2; echo "FAIL: instruction counter calibration" >&2; exit 1; }
        ies=$(icount_of "$ilog" "ES256 access token")
        ihs=$(icount_of "$ilog" "HS256 access token")
        ied=$(icount_of "$ilog" "EdDSA access token")
        arm-none-eabi-size -A "$OUT/$tag.elf" >"$OUT/$tag.size"
        sec() { awk -v s="$1" '$1 == s { print $2; f=1 } END { if (!f) print 0 }' "$OUT/$tag.size"; }
        # .p256-cortex-m4: p256-cm4's assembly, in flash, counted with .text.
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$opt" \
            "$(sec .vector_table)" "$(( $(sec .text) + $(sec .p256-cortex-m4) ))" "$(sec .rodata)" "$(sec .data)" \
            "$(sec .bss)" "$(sec .uninit)" "$stack" "$job" "$ies" "$ihs" "$ied" >>"$RESULTS"
    done
done

arm-none-eabi-nm --size-sort -S -C "$OUT/ES256-only-z.elf" >"$OUT/ES256-only-z.nm"
arm-none-eabi-nm --size-sort -S -C "$OUT/ES256---HS256-z.elf" >"$OUT/ES256---HS256-z.nm"
arm-none-eabi-nm --size-sort -S -C "$OUT/ES256-only--p256-cm4-z.elf" >"$OUT/ES256-only--p256-cm4-z.nm"
arm-none-eabi-nm --size-sort -S -C "$OUT/Ed25519-only-z.elf" >"$OUT/Ed25519-only-z.nm"

python3 - "$RESULTS" "$OUT" "$DOC" "$PRINT_ONLY" <<'PY'
import collections
import re
import subprocess
import sys
from pathlib import Path

results, out, doc, print_only = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1"

def n(x: int) -> str:
    return f"{x:,}"

rows = []
for line in results.read_text().splitlines():
    name, opt, vt, text, ro, data, bss, uninit, stack, job, ies, ihs, ied = line.split("\t")
    vt, text, ro, data, bss, uninit, stack, job = map(int, (vt, text, ro, data, bss, uninit, stack, job))
    flash = vt + text + ro + data
    static = data + bss + uninit
    rows.append(dict(name=name, opt=opt, flash=flash, text=text, ro=ro, static=static,
                     stack=stack, job=job, total=static + stack,
                     ies=None if ies == "-" else int(ies), ihs=None if ihs == "-" else int(ihs),
                     ied=None if ied == "-" else int(ied)))
base = {r["opt"]: r for r in rows if r["name"] == "harness only"}

def m(x) -> str:
    return "—" if x is None else (f"{x / 1e6:.2f} M" if x >= 1_000_000 else f"{x / 1e3:.1f} k")

t = ["| firmware | opt | flash (B) | of which .text / .rodata | validator net flash | static RAM (.data+.bss) | peak stack | deepest job | heap | total RAM | instructions / ES256 validation | instructions / HS256 validation | instructions / Ed25519 validation |",
     "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
for r in rows:
    net = "—" if r["name"] == "harness only" else f"+{n(r['flash'] - base[r['opt']]['flash'])}"
    t.append(f"| {r['name']} | {r['opt']} | {n(r['flash'])} | {n(r['text'])} / {n(r['ro'])} | {net} | "
             f"{n(r['static'])} | {n(r['stack'])} | {n(r['job'])} | 0 | {n(r['total'])} | {m(r['ies'])} | {m(r['ihs'])} | {m(r['ied'])} |")
t += [
    "| *anchor:* l8w8jwt 2.5 + mbedTLS 3.6, footprint-tuned, -Os -flto | | 42,024 | | | 152 | 1,984 | | 3,168 | 5,304 | 168.7 M | | |",
    "| *anchor:* l8w8jwt 2.5 + mbedTLS 3.6, default (speed) settings | | 46,504 | | | | | | | 7,032 | 16.9 M | | |",
    "| *anchor:* jwt-compact 0.9 + embedded allocator | z | 69,196 | | | | | | | 6,876 | | | |",
    "| *anchor:* p256 0.13 + sha2 + base64ct + serde-json-core wired by hand | z | 26,392 | | | | 5,752 | | 0 | 5,752 | | | |",
]
# The aim (issue 23): one ES256 image at once under all three.
AIM_FLASH, AIM_RAM, AIM_INSNS = 30_000, 5_000, 16_900_000 // 3
es_rows = [r for r in rows if r["name"].startswith("ES256 only")]
def score(r):
    return (r["flash"] <= AIM_FLASH) + (r["total"] <= AIM_RAM) + (r["ies"] is not None and r["ies"] <= AIM_INSNS)
best = max(es_rows, key=lambda r: (score(r), -r["flash"]))
def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"
t.append(f"| *aim (ES256):* flash ≤ 30,000, total RAM ≤ 5,000, heap 0, ≤ 5.63 M instructions (a third of 16.9 M); "
         f"best row: {best['name']}, opt {best['opt']} | | {met(best['flash'] <= AIM_FLASH)} ({n(best['flash'])}) | | | | | | "
         f"**met** (0) | {met(best['total'] <= AIM_RAM)} ({n(best['total'])}) | "
         f"{met(best['ies'] is not None and best['ies'] <= AIM_INSNS)} ({m(best['ies'])}) | | |")
main_table = "\n".join(t)

# Symbol-size breakdown of an image: bytes per origin.
GROUPS = [
    ("P-256 on p256-cm4 (assembly, tables, glue)", r"^P256_|p256_cm4|^mul288x288$|^add_sub_helper$|^setzero$|backend::cm4_impl"),
    ("float parsing (core::num::dec2flt, soft-float)", r"dec2flt|POWER_OF_FIVE|compiler_builtins::float|__aeabi_[dfi]|__(mul|div|add|sub)[sd]f3|f64 as core::str"),
    ("Ed25519 (curve25519-dalek, ed25519-dalek)", r"curve25519|ed25519"),
    ("SHA-512 (HS384/HS512 states; Ed25519's hash)", r"sha512|Sha512|Sha384"),
    ("SHA-256", r"sha256|Sha256"),
    ("P-256 field/scalar/point arithmetic", r"^(p256|primeorder|elliptic_curve|ecdsa|crypto_bigint|<p256|<primeorder|<elliptic_curve|<ecdsa|<crypto_bigint)|p256::|primeorder::|elliptic_curve::|ecdsa::|crypto_bigint::"),
    ("HMAC / digest glue", r"hmac::|digest::|block_buffer::"),
    ("tokenlane (JSON, base64url, claims, lanes; its validate() is inlined into the firmware's `check`, key parsing into `ec_key`/`hs_key`/`ed_key`)", r"tokenlane::|tokenlane_embedded::validate::(check|build_keys|ec_key|hs_key|ed_key)$"),
    ("core::str, slices, panics (no core::fmt: the harness prints without it)", r"core::fmt|core::str|core::panicking|core::result|core::option|core::slice|<&T as core::fmt|<str as core::fmt|Formatter|pad_integral|as core::fmt::Display"),
    ("memcpy/memset/memmove (embedded/src/mem.s), memcmp", r"compiler_builtins::mem|memcpy|memset|memmove|memcmp|bcmp"),
    ("harness (cortex-m-rt, semihosting, firmware)", r"cortex_m|tokenlane_embedded|__INTERRUPTS|Reset|HardFault|DefaultHandler|__cortex_m_rt|__EXCEPTIONS|__RESET_VECTOR"),
    ("anonymous constants (strings, tables)", r"^\.Lanon|^anon\."),
]

def breakdown(nm_path: Path):
    totals = {g: 0 for g, _ in GROUPS}
    other = 0
    top = []
    for line in nm_path.read_text().splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[2].lower() not in "trd":
            continue
        size, sym = int(parts[1], 16), parts[3]
        top.append((size, sym))
        for g, pat in GROUPS:
            if re.search(pat, sym):
                totals[g] += size
                break
        else:
            other += size
    top.sort(reverse=True)
    return totals, other, top

def by_source(elf: Path) -> collections.Counter:
    """Code bytes by the source they were written in: every instruction of
    the disassembly, attributed through DWARF's inlining chain
    (`objdump -l --inlines`) to the innermost frame outside Rust's core
    library, so core-library helpers count for the crate that inlined them
    and a crate's code inlined into the firmware's functions counts for
    that crate."""
    out = subprocess.run(["arm-none-eabi-objdump", "-d", "-l", "--inlines", "--no-show-raw-insn", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    ins = re.compile(r"^\s+([0-9a-f]+):\t")
    loc = re.compile(r"^(/\S+|[A-Za-z0-9_.][^\s:]*):\d+")
    inl = re.compile(r"^inlined by (\S+):\d+")
    inner, outer, prev_ins, addrs = None, [], False, []
    for line in out.splitlines():
        m = ins.match(line)
        if m:
            addrs.append((int(m.group(1), 16), [inner] + outer if inner else []))
            prev_ins = True
            continue
        if re.match(r"^[0-9a-f]+ <.*>:$", line):
            inner, outer = None, []
        elif (m := inl.match(line)):
            if prev_ins:  # the chain is repeated before each instruction
                outer = []
            outer.append(m.group(1))
        elif (m := loc.match(line)):
            inner, outer = m.group(1), []
        prev_ins = False

    def origin(chain):
        for path in chain:
            if "/rustc/" in path:
                continue
            if "/embedded/vendor/p256-cm4/" in path:
                return "p256-cm4 (its Rust glue)"
            if "/embedded/" in path:
                return "firmware harness (embedded/src)"
            if "/core/src/" in path:
                return "**tokenlane (core/src)**"
            m = re.search(r"registry/src/[^/]+/([A-Za-z0-9_-]+?)-\d+\.", path)
            return m.group(1) if m else path
        return "Rust core library (not inlined)" if chain else "no line info (p256-cm4's assembly, mem.s, compiler_builtins)"

    sizes = collections.Counter()
    addrs.sort()
    for (a, chain), (b, _) in zip(addrs, addrs[1:] + [(addrs[-1][0] + 2, None)]):
        sizes[origin(chain)] += min(b - a, 4)
    return sizes

def source_table(elf: Path) -> str:
    sizes = by_source(elf)
    total = sum(sizes.values())
    lines = ["| code (.text) by the source it was written in | bytes | share |", "|---|--:|--:|"]
    for k, v in sizes.most_common():
        if v >= 64:
            lines.append(f"| {k} | {n(v)} | {100 * v / total:.0f}% |")
    rest = sum(v for v in sizes.values() if v < 64)
    if rest:
        lines.append(f"| other crates (under 64 B each) | {n(rest)} | {100 * rest / total:.0f}% |")
    return "\n".join(lines)

def breakdown_table(nm_path: Path, flash: int) -> str:
    totals, other, top = breakdown(nm_path)
    lines = ["| where the flash goes | bytes | share |", "|---|--:|--:|"]
    for g, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        if v:
            lines.append(f"| {g} | {n(v)} | {100 * v / flash:.0f}% |")
    lines.append(f"| other symbols | {n(other)} | {100 * other / flash:.0f}% |")
    lines.append("")
    lines.append("| largest symbols | bytes |")
    lines.append("|---|--:|")
    for size, sym in top[:15]:
        sym = sym.replace("|", "\\|")
        if len(sym) > 90:
            sym = sym[:87] + "..."
        lines.append(f"| `{sym}` | {n(size)} |")
    lines.append("")
    lines.append(source_table(nm_path.with_suffix(".elf")))
    return "\n".join(lines)

es_z = next(r for r in rows if r["name"] == "ES256 only" and r["opt"] == "z")
both_z = next(r for r in rows if r["name"] == "ES256 + HS256" and r["opt"] == "z")
bd_es = breakdown_table(out / "ES256-only-z.nm", es_z["flash"])
bd_both = breakdown_table(out / "ES256---HS256-z.nm", both_z["flash"])
cm4_z = next(r for r in rows if r["name"] == "ES256 only, p256-cm4" and r["opt"] == "z")
bd_cm4 = breakdown_table(out / "ES256-only--p256-cm4-z.nm", cm4_z["flash"])
ed_z = next(r for r in rows if r["name"] == "Ed25519 only" and r["opt"] == "z")
bd_ed = breakdown_table(out / "Ed25519-only-z.nm", ed_z["flash"])

blocks = {
    "table": main_table,
    "breakdown-es256": f"ES256 only, opt-level z ({n(es_z['flash'])} B flash):\n\n" + bd_es,
    "breakdown-both": f"ES256 + HS256, opt-level z ({n(both_z['flash'])} B flash):\n\n" + bd_both,
    "breakdown-cm4": f"ES256 only on p256-cm4, opt-level z ({n(cm4_z['flash'])} B flash):\n\n" + bd_cm4,
    "breakdown-eddsa": f"Ed25519 only, opt-level z ({n(ed_z['flash'])} B flash):\n\n" + bd_ed,
}
if print_only or not doc.exists():
    for k, v in blocks.items():
        print(f"<!-- footprint:{k} -->\n{v}\n")
    sys.exit(0)
text = doc.read_text()
for k, v in blocks.items():
    pat = re.compile(rf"(<!-- footprint:{k}:begin -->\n)(?:.*?\n)?(<!-- footprint:{k}:end -->)", re.S)
    if not pat.search(text):
        sys.exit(f"EMBEDDED.md lacks the footprint:{k} markers")
    text = pat.sub(lambda m: m.group(1) + v + "\n" + m.group(2), text)
doc.write_text(text)
print(main_table)
print(f"rewrote {doc}")
PY
