#!/usr/bin/env python3
"""Mints the firmware's test tokens with an independent library.

Writes embedded/src/tokens.rs: the fixed keys (P-256 public point, HMAC
secret, Ed25519 public key), the fixed `now`, the policy's issuer/audience,
and twelve compact JWS tokens (four ES256, four HS256, four EdDSA) signed by
Python `cryptography`, never by tokenlane. Signing is deterministic (RFC 6979
ECDSA, HMAC, Ed25519) and all times are fixed, so a rerun writes the same
bytes:

    .venv/bin/python embedded/gen_tokens.py          # rewrite src/tokens.rs
    .venv/bin/python embedded/gen_tokens.py --check  # fail if it would change

Keys are the conformance suite's (tests/conformance/keys/ec-1.pem,
hs-32.secret and ed-1.pem, read-only here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = Path(__file__).resolve().parent
KEYS = HERE.parent / "tests" / "conformance" / "keys"
OUT = HERE / "src" / "tokens.rs"

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ISSUER = "https://issuer.example/"
AUDIENCE = "https://api.example"
CLIENT_ID = "embedded-gateway"
EC_KID = "ec-1"
HS_KID = "hs-32"
ED_KID = "ed-1"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def load_keys() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    pem = (KEYS / "ec-1.pem").read_bytes()
    ec_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    assert isinstance(ec_key.curve, ec.SECP256R1)
    secret = b64u_decode((KEYS / "hs-32.secret").read_text().strip())
    assert len(secret) == 32, "hs-32.secret must hold a 32-byte secret"
    return ec_key, secret


def load_ed_key() -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key((KEYS / "ed-1.pem").read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def sign_es256(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    der = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_hs256(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def mint(alg: str, kid: str, typ: str, claims: dict, sign) -> tuple[str, bytes]:
    header = {"alg": alg, "typ": typ, "kid": kid}
    signing_input = (b64u(compact_json(header)) + "." + b64u(compact_json(claims))).encode("ascii")
    return signing_input.decode("ascii"), sign(signing_input)


def access_claims(jti: str, iat: int, exp: int) -> dict:
    return {
        "iss": ISSUER,
        "sub": "device-42",
        "aud": AUDIENCE,
        "client_id": CLIENT_ID,
        "scope": "telemetry:write",
        "iat": iat,
        "exp": exp,
        "jti": jti,
    }


def id_claims() -> dict:
    # A well-signed OIDC ID token: right issuer, but meant for a client app.
    return {
        "iss": ISSUER,
        "sub": "device-42",
        "aud": CLIENT_ID,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "auth_time": NOW - 120,
        "nonce": "n-0S6_WzA2Mj",
    }


def tokens_for(prefix: str, alg: str, kid: str, sign) -> tuple[list[tuple[str, str, str]], bytes]:
    """(const name, token, doc) for one algorithm's four cases, and the raw
    signature of the valid access token."""
    out = []
    si, sig = mint(alg, kid, "at+jwt", access_claims(f"{prefix}-ok", NOW - 60, NOW + 3600), sign)
    access_sig = sig
    out.append((f"{prefix}_ACCESS", f"{si}.{b64u(sig)}", f"A valid {alg} access token (typ at+jwt)."))
    si, sig = mint(alg, kid, "JWT", id_claims(), sign)
    out.append((f"{prefix}_ID_TOKEN", f"{si}.{b64u(sig)}", f"A valid {alg} OIDC ID token: wrong lane."))
    si, sig = mint(alg, kid, "at+jwt", access_claims(f"{prefix}-tampered", NOW - 60, NOW + 3600), sign)
    # Flip one bit of the signature, then re-encode so base64url stays canonical.
    bad = bytearray(sig)
    bad[len(bad) // 2] ^= 0x01
    out.append((f"{prefix}_TAMPERED", f"{si}.{b64u(bytes(bad))}", f"An {alg} access token whose signature has one bit flipped."))
    si, sig = mint(alg, kid, "at+jwt", access_claims(f"{prefix}-expired", NOW - 7200, NOW - 3600), sign)
    out.append((f"{prefix}_EXPIRED", f"{si}.{b64u(sig)}", f"A well-signed {alg} access token that expired an hour before NOW."))
    return out, access_sig


def rust_bytes(data: bytes) -> str:
    return "[" + ", ".join(f"0x{b:02x}" for b in data) + "]"


def render() -> str:
    ec_key, secret = load_keys()
    nums = ec_key.public_key().public_numbers()
    x, y = nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")
    es, es_sig = tokens_for("ES256", "ES256", EC_KID, lambda m: sign_es256(ec_key, m))
    hs, hs_sig = tokens_for("HS256", "HS256", HS_KID, lambda m: sign_hs256(secret, m))
    ed_key = load_ed_key()
    ed_x = ed_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ed, ed_sig = tokens_for("EDDSA", "EdDSA", ED_KID, ed_key.sign)
    lines = [
        "//! Test tokens and keys, minted by `embedded/gen_tokens.py` with Python",
        "//! `cryptography` (never by tokenlane). Generated: do not edit.",
        "",
        "/// The fixed validation time, 2026-01-01T00:00:00Z.",
        f"pub(crate) const NOW: u64 = {NOW};",
        "/// The policy's issuer.",
        f"pub(crate) const ISSUER: &str = {json.dumps(ISSUER)};",
        "/// The policy's audience (this API).",
        f"pub(crate) const AUDIENCE: &str = {json.dumps(AUDIENCE)};",
        "/// The `sub` of every accepted token.",
        'pub(crate) const SUBJECT: &str = "device-42";',
        "",
        "/// `kid` of the P-256 key (tests/conformance/keys/ec-1.pem).",
        '#[cfg(any(feature = "es256", feature = "cm4"))]',
        f"pub(crate) const EC_KID: &str = {json.dumps(EC_KID)};",
        "/// P-256 public key, affine x.",
        '#[cfg(any(feature = "es256", feature = "cm4"))]',
        f"pub(crate) const EC_X: [u8; 32] = {rust_bytes(x)};",
        "/// P-256 public key, affine y.",
        '#[cfg(any(feature = "es256", feature = "cm4"))]',
        f"pub(crate) const EC_Y: [u8; 32] = {rust_bytes(y)};",
        "/// `kid` of the HMAC secret (tests/conformance/keys/hs-32.secret).",
        '#[cfg(feature = "hs256")]',
        f"pub(crate) const HS_KID: &str = {json.dumps(HS_KID)};",
        "/// The 32-byte HMAC secret.",
        '#[cfg(feature = "hs256")]',
        f"pub(crate) const HS_SECRET: [u8; 32] = {rust_bytes(secret)};",
        "/// `kid` of the Ed25519 key (tests/conformance/keys/ed-1.pem).",
        '#[cfg(feature = "eddsa")]',
        f"pub(crate) const ED_KID: &str = {json.dumps(ED_KID)};",
        "/// The Ed25519 public key (RFC 8032 encoding, the JWK `x`).",
        '#[cfg(feature = "eddsa")]',
        f"pub(crate) const ED_X: [u8; 32] = {rust_bytes(ed_x)};",
        "",
    ]
    # ES256 cases exist with either ES256 implementation (`es256`: p256,
    # `cm4`: p256-cm4).
    gate = {
        "es256": 'any(feature = "es256", feature = "cm4")',
        "hs256": 'feature = "hs256"',
        "eddsa": 'feature = "eddsa"',
    }
    for feature, group in (("es256", es), ("hs256", hs), ("eddsa", ed)):
        for name, token, doc in group:
            lines.append(f"/// {doc}")
            lines.append(f"#[cfg({gate[feature]})]")
            lines.append(f"pub(crate) const {name}: &[u8] = b{json.dumps(token)};")
    for feature, name, sig in (("es256", "ES256", es_sig), ("hs256", "HS256", hs_sig), ("eddsa", "EDDSA", ed_sig)):
        lines.append(f"/// The raw signature of `{name}_ACCESS` (for the `steps` diagnostics).")
        lines.append(f'#[cfg(all({gate[feature]}, feature = "steps"))]')
        lines.append(f"pub(crate) const {name}_ACCESS_SIG: [u8; {len(sig)}] = {rust_bytes(sig)};")
    longest = max(len(t) for _, t, _ in es + hs + ed)
    lines += [
        "",
        "/// The longest token above, in bytes (sizes the static scratch buffer).",
        f"pub(crate) const MAX_TOKEN_LEN: usize = {longest};",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: rerun embedded/gen_tokens.py", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
