#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (fuzz/README.md) from the
conformance cases and the public vectors. Standard library only; the output
is deterministic, so a rerun changes nothing:

    python3 fuzz/make_corpus.py            # from the repository root

It reads tests/conformance/cases.json (--cases to point elsewhere) and
../shared/vectors (--vectors), and rewrites only the files whose names start
with one of PREFIXES in fuzz/corpus/<target>/; seeds added by hand (for
example `found-*` inputs a fuzzer run found) are left alone.

Seed names say where the seed comes from and which case it is:
  conf-<case>            a conformance case's token (or its claims/keys)
  cookbook-<section>     RFC 7520 (jose-cookbook) JWS or JWK
  wp-<file>-<id>         a Wycheproof test
  hand-<what>            written here, for a path the others do not reach
The `ffi` corpus is the conformance tokens and JWKS documents behind the
`ffi` target's mode byte; the `cli_inspect` corpus is the conformance tokens
and the CLI samples behind its mode byte 0, plus hand seeds for times past
year 9999 and claims full of terminal escapes (fuzz/src/cli.rs).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREFIXES = ("conf-", "cookbook-", "wp-", "hand-")
# fuzz/src/lib.rs HEADERS: mode byte 0 = at+jwt, 1 = JWT, 2 = alg only,
# 3 = the header is the input up to the first NUL.
MODE_AT, MODE_JWT, MODE_BARE, MODE_CUSTOM = b"\x00", b"\x01", b"\x02", b"\x03"
# fuzz/src/fixtures.rs
NOW, ISSUER, API, CLIENT, NONCE = 1767225600, "https://issuer.example/", "https://api.example", "client-app", "n-0S6_WzA2Mj"
ACCESS_TOKEN = b"tokenlane-fuzz-access-token"
MAX_SEEDS_PER_WYCHEPROOF_GROUP = 12


def b64u_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


class Corpus:
    def __init__(self, target: str):
        self.dir = os.path.join(HERE, "corpus", target)
        self.files = {}

    def add(self, name: str, data: bytes) -> None:
        name = safe(name)
        if name in self.files and self.files[name] != data:
            i = 2
            while f"{name}-{i}" in self.files:
                i += 1
            name = f"{name}-{i}"
        if data not in self.files.values():
            self.files[name] = data

    def write(self) -> None:
        os.makedirs(self.dir, exist_ok=True)
        for old in os.listdir(self.dir):
            if old.startswith(PREFIXES) and old not in self.files:
                os.remove(os.path.join(self.dir, old))
        for name, data in sorted(self.files.items()):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    if f.read() == data:
                        continue
            with open(path, "wb") as f:
                f.write(data)
        print(f"{self.dir}: {len(self.files)} generated seeds", file=sys.stderr)


def split_token(token: str):
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        return b64u_decode(parts[0]), b64u_decode(parts[1])
    except ValueError:
        return None


def key_source_seeds(jwks: Corpus, name: str, src: dict) -> None:
    kind, data = src["kind"], src["data"]
    if kind in ("jwks", "pem"):
        jwks.add(name, data.encode())
    elif kind == "der":
        try:
            jwks.add(name, b64u_decode(data))
        except ValueError:  # a key case about bad base64: seed the text
            jwks.add(name, data.encode())


def from_cases(path: str, token: Corpus, claims: Corpus, jwks: Corpus) -> None:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for case in doc["cases"]:
        name = "conf-" + case["name"]
        tok = case["token"]
        token.add(name, tok.encode())
        parts = split_token(tok)
        if parts is None:
            continue
        header, payload = parts
        mode = MODE_AT if case["lane"] == "access" else MODE_JWT
        claims.add(name, mode + payload)
        if b"\x00" not in header:
            claims.add(name + "-header", MODE_CUSTOM + header + b"\x00" + payload)
    for ks_name, sources in doc["keysets"].items():
        for i, src in enumerate(sources):
            key_source_seeds(jwks, f"conf-keyset-{ks_name}-{i}", src)
    for case in doc["key_cases"]:
        key_source_seeds(jwks, "conf-key-" + case["name"], case["source"])


def public_jwk(jwk: dict) -> dict:
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}


def from_vectors(vectors: str, token: Corpus, claims: Corpus, jwks: Corpus) -> None:
    cookbook = os.path.join(vectors, "jose-cookbook")
    for file in sorted(os.listdir(cookbook)):
        if not file.endswith(".json"):
            continue
        with open(os.path.join(cookbook, file), encoding="utf-8") as f:
            doc = json.load(f)
        section = file.split(".")[0]
        compact = doc.get("output", {}).get("compact")
        if compact:
            token.add(f"cookbook-{section}", compact.encode())
            parts = split_token(compact)
            if parts:
                claims.add(f"cookbook-{section}-header", MODE_CUSTOM + parts[0] + b"\x00" + parts[1])
        key = doc.get("input", {}).get("key") if "input" in doc else doc
        if isinstance(key, dict) and "kty" in key:
            jwks.add(f"cookbook-{section}-jwk", json.dumps(public_jwk(key)).encode())
            jwks.add(f"cookbook-{section}-jwks", json.dumps({"keys": [public_jwk(key)]}).encode())

    wp = os.path.join(vectors, "wycheproof")
    with open(os.path.join(wp, "json_web_signature_test.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for g, group in enumerate(doc["testGroups"]):
        for t in group["tests"][:MAX_SEEDS_PER_WYCHEPROOF_GROUP]:
            if isinstance(t["jws"], str):
                token.add(f"wp-jws-{t['tcId']}-{t['comment']}", t["jws"].encode())
        for which in ("public", "private"):
            if which in group:
                jwks.add(f"wp-jws-group{g}-{group.get('comment', '')}-{which}", json.dumps(group[which]).encode())
    with open(os.path.join(wp, "json_web_key_test.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for g, group in enumerate(doc["testGroups"]):
        for which in ("public", "private"):
            if which in group:
                jwks.add(f"wp-jwk-group{g}-{group.get('comment', '')}-{which}", json.dumps(group[which]).encode())
    for file in ("ecdsa_secp256r1_sha256_p1363_test.json", "rsa_signature_2048_sha256_test.json",
                 "rsa_pss_2048_sha256_mgf1_32_test.json"):
        with open(os.path.join(wp, file), encoding="utf-8") as f:
            doc = json.load(f)
        stem = file.split("_test")[0]
        for g, group in enumerate(doc["testGroups"][:4]):
            if "publicKeyPem" in group:
                jwks.add(f"wp-{stem}-group{g}-pem", group["publicKeyPem"].encode())
            if "publicKeyDer" in group:
                jwks.add(f"wp-{stem}-group{g}-der", bytes.fromhex(group["publicKeyDer"]))


def hand_seeds(claims: Corpus) -> None:
    """Claims the conformance cases do not combine: every ID-lane check of
    the fuzz policies passing at once (nonce, max_age, at_hash of the
    harness's fixed access token), and a kid-less HS256 header."""
    digest = hashlib.sha256(ACCESS_TOKEN).digest()
    id_claims = {
        "iss": ISSUER, "sub": "user-123", "aud": CLIENT, "iat": NOW - 10, "exp": NOW + 3600,
        "nonce": NONCE, "auth_time": NOW - 100, "at_hash": b64u(digest[:16]), "azp": CLIENT,
        "name": "Ada", "email": "ada@example.com",
    }
    claims.add("hand-id-every-check-passes", MODE_JWT + json.dumps(id_claims, separators=(",", ":")).encode())
    at_claims = {
        "iss": ISSUER, "sub": "user-123", "aud": [API, "https://other.example"], "client_id": CLIENT,
        "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3600, "jti": "j-1", "scope": "read:appointments write:x",
    }
    claims.add("hand-access-strict-passes", MODE_AT + json.dumps(at_claims, separators=(",", ":")).encode())
    compat = {"iss": ISSUER, "aud": API, "exp": NOW + 60, "scp": ["read:appointments"]}
    claims.add("hand-access-compat-kidless-passes", MODE_BARE + json.dumps(compat).encode())


def cli_seeds(token: Corpus, cli: Corpus) -> None:
    """fuzz/src/cli.rs: mode 0 = the rest is a token; 1 = claims under an
    at+jwt header; 3 = header NUL claims; mode | 4 = 8 bytes of `now` first."""
    for name, data in token.files.items():
        if name.startswith("conf-"):
            cli.add(name, b"\x00" + data)
    samples = os.path.join(ROOT, "cli", "samples")
    for file in sorted(os.listdir(samples)):
        if file.endswith(".jwt"):
            with open(os.path.join(samples, file), "rb") as f:
                cli.add("hand-sample-" + file, b"\x00" + f.read().strip())
    u64_max = b"\xff" * 8
    late = {"iss": ISSUER, "exp": 2**64 - 1, "iat": 0, "nbf": 2**64 - 1, "auth_time": 253402300800}
    cli.add("hand-times-after-9999", b"\x01" + json.dumps(late).encode())
    cli.add("hand-now-after-9999", b"\x05" + u64_max + json.dumps({"exp": 5, "iat": 1.5e300}).encode())
    hostile = {"name": "\u001b]0;pwned\u0007\u001b[2J", "email": "e\n\u202e\u009b2J", "client_id": "\u2066x",
               "aud": ["\u2066x"], "typ": "ID\u0000", "token_use": "id"}
    header = {"alg": "\u001b[31mHS256", "typ": "at+jwt\u202e", "kid": "../\u009bk", "crit": ["\u0007"]}
    cli.add("hand-terminal-escapes", b"\x03" + json.dumps(header).encode() + b"\x00" + json.dumps(hostile).encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=os.path.join(ROOT, "tests", "conformance", "cases.json"))
    ap.add_argument("--vectors", default=os.path.join(ROOT, "..", "shared", "vectors"))
    args = ap.parse_args()
    token, claims, jwks = Corpus("token"), Corpus("claims"), Corpus("jwks")
    from_cases(args.cases, token, claims, jwks)
    from_vectors(args.vectors, token, claims, jwks)
    hand_seeds(claims)
    # ffi: mode byte 0 = the rest is a token, 1 = the rest is a JWKS
    # (fuzz/src/ffi.rs); conformance seeds only.
    ffi = Corpus("ffi")
    for name, data in token.files.items():
        if name.startswith("conf-"):
            ffi.add(name, b"\x00" + data)
    for name, data in jwks.files.items():
        if name.startswith("conf-") and data.lstrip().startswith(b"{"):
            ffi.add(name, b"\x01" + data)
    cli = Corpus("cli_inspect")
    cli_seeds(token, cli)
    for c in (token, claims, jwks, ffi, cli):
        c.write()


if __name__ == "__main__":
    main()
