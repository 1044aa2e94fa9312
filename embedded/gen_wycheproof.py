#!/usr/bin/env python3
"""Packs Wycheproof's ecdsa_secp256r1_sha256_p1363_test.json (a published
vector file, read from ../shared/vectors/wycheproof/ as core/tests/wycheproof.rs
does) into target/wycheproof-p256.bin, which the firmware's `wycheproof`
feature includes and runs through every backend compiled in.

Record (little-endian): tcId u16, result u8 (1 valid, 0 invalid), x[32],
y[32], msg_len u16, msg, sig_len u16, sig. The file has no `acceptable` case;
any would stop this script.

    python3 embedded/gen_wycheproof.py [vector-dir]
"""
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
src_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "vectors" / "wycheproof"
data = json.loads((src_dir / "ecdsa_secp256r1_sha256_p1363_test.json").read_text())
out = bytearray()
count = 0
for group in data["testGroups"]:
    point = bytes.fromhex(group["publicKey"]["uncompressed"])
    if len(point) != 65 or point[0] != 4:
        sys.exit("unexpected public key encoding")
    for t in group["tests"]:
        if t["result"] not in ("valid", "invalid"):
            sys.exit(f"tcId {t['tcId']}: result {t['result']} not handled")
        msg, sig = bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"])
        out += struct.pack("<HB", t["tcId"], 1 if t["result"] == "valid" else 0)
        out += point[1:33] + point[33:65]
        out += struct.pack("<H", len(msg)) + msg + struct.pack("<H", len(sig)) + sig
        count += 1
if count != data["numberOfTests"]:
    sys.exit(f"packed {count} of {data['numberOfTests']} tests")
dest = HERE / "target" / "wycheproof-p256.bin"
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_bytes(bytes(out))
print(f"gen_wycheproof: {count} cases, {len(out)} bytes -> {dest}")
