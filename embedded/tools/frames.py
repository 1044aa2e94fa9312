#!/usr/bin/env python3
"""Static stack frame sizes of an ARM Thumb ELF, from its disassembly.

For each function: bytes pushed by `push`/`stmdb sp!`/`vpush` plus every
`sub sp` in its body (prologue and any later adjustment). Prints the
largest frames. Usage: frames.py ELF [N]
"""
import re
import subprocess
import sys

elf = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
dis = subprocess.run(["arm-none-eabi-objdump", "-d", "-C", "--no-show-raw-insn", elf],
                     capture_output=True, text=True, check=True).stdout
frames = {}
cur = None


def regs(spec: str) -> int:
    n = 0
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"([rdsRDS])(\d+)-[rdsRDS]?(\d+)", part)
        if m:
            n += (int(m.group(3)) - int(m.group(2)) + 1) * (8 if m.group(1) in "dD" else 4)
        elif part:
            n += 8 if part[0] in "dD" else 4
    return n


for line in dis.splitlines():
    m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if m:
        cur = m.group(1)
        frames.setdefault(cur, 0)
        continue
    if cur is None or "\t" not in line:
        continue
    ins = line.split("\t", 2)[1:]
    if not ins:
        continue
    op = ins[0].strip()
    args = ins[1] if len(ins) > 1 else ""
    if op in ("push", "push.w", "stmdb") and ("sp!" in args or op.startswith("push")):
        m = re.search(r"\{(.*)\}", args)
        if m:
            frames[cur] += regs(m.group(1))
    elif op in ("vpush", "vstmdb"):
        m = re.search(r"\{(.*)\}", args)
        if m:
            frames[cur] += regs(m.group(1))
    elif op in ("sub", "sub.w", "subw") and re.match(r"sp,\s*(sp,\s*)?#\d+", args):
        frames[cur] += int(re.search(r"#(\d+)", args).group(1))
for name, size in sorted(frames.items(), key=lambda kv: -kv[1])[:top]:
    print(f"{size:6d}  {name[:120]}")
