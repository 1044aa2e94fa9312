#!/usr/bin/env python3
"""Generate the sample keys and tokens that `tokenlane demo` embeds.

    python3 cli/samples/generate.py          # rewrites cli/samples/*
    python3 cli/samples/generate.py --check  # exit 1 if a committed file differs

Every token here is minted with Python's `cryptography` package and the
standard library (json, base64, hashlib, hmac): the independent minting
library. tokenlane never mints these tokens, it only judges them.

The output is deterministic, so a rerun writes the same bytes:
  * the P-256 signing key is derived from a fixed, public scalar (it is a
    sample key: anyone can recompute the private half, never use it for
    anything real); only the public half is written;
  * ES256 uses RFC 6979 deterministic ECDSA (`deterministic_signing=True`);
  * times are fixed relative to NOW; `tokenlane demo` passes NOW as its clock.

Files written (one token per file, a trailing newline after each):
  settings.json           issuer, audience, client_id, nonce, kid, now
  jwks.json               the public key as a JWKS (kid demo-ec-1, ES256)
  ec-public.pem           the same public key as SPKI PEM
  access.jwt              access token (typ at+jwt) for https://api.example
  id.jwt                  ID token from the same login (typ JWT, nonce, at_hash)
  expired-access.jwt      yesterday's access token, signed, expired
  alg-none.jwt            access token with scope "admin" added and alg none
                          (the original signature segment kept)
  hs256-pem-forgery.jwt   access token with scope "admin", HS256-signed with
                          the bytes of ec-public.pem as the HMAC secret (the
                          RSA/EC public-key key-confusion attack)
  hs256.secret            a 64-byte HMAC secret (hex text, no newline) for
                          `verify --secret-file`
  hs256-access.jwt        access token HS256-signed with hs256.secret (kid demo-hs-1)
  id-control-chars.jwt    a valid ID token (same login, properly signed) whose
                          name and email carry terminal escape sequences, a
                          newline, a C1 CSI and a bidi override: the CLI must
                          print them escaped, never raw
"""

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))

NOW = 1767225600  # 2026-01-01T00:00:00Z, the demo's fixed clock
LOGIN = NOW - 120  # the user logged in two minutes earlier
ISSUER = "https://issuer.example/"
API = "https://api.example"
CLIENT = "client-app"
NONCE = "n-0S6_WzA2Mj"
KID = "demo-ec-1"
HS_KID = "demo-hs-1"
HS_SECRET = hashlib.sha256(b"tokenlane cli sample hs256 secret").hexdigest().encode()  # 64 bytes
SCOPE = "read:appointments write:appointments"

# A public, fixed scalar: the sample key is reproducible by design.
SCALAR_SEED = b"tokenlane cli sample key demo-ec-1"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact_json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def signing_key() -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(SCALAR_SEED).digest(), "big") % P256_N
    return ec.derive_private_key(scalar, ec.SECP256R1())


def es256(key, signing_input: bytes) -> bytes:
    der = key.sign(signing_input, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def token_es256(key, header, claims) -> str:
    signing_input = b64u(compact_json(header)) + "." + b64u(compact_json(claims))
    sig = es256(key, signing_input.encode())
    return signing_input + "." + b64u(sig)


def at_hash(access_token: str) -> str:
    # OIDC Core 3.1.3.6: left half of SHA-256 of the ASCII access token.
    return b64u(hashlib.sha256(access_token.encode()).digest()[:16])


def check_es256(pub, tok: str) -> None:
    """Independent check with `cryptography` that a sample verifies."""
    h, p, s = tok.split(".")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    r, s_ = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    try:
        pub.verify(encode_dss_signature(r, s_), f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as e:  # pragma: no cover - a generator bug
        raise SystemExit(f"sample does not verify: {tok[:40]}...") from e


OUTPUT: dict = {}


def write(name: str, text: str) -> None:
    OUTPUT[name] = text


def flush(check: bool) -> int:
    stale = []
    for name, text in OUTPUT.items():
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="ascii", newline="") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                stale.append(name)
        else:
            with open(path, "w", encoding="ascii", newline="\n") as f:
                f.write(text)
    for name in stale:
        print(f"cli/samples/{name} differs from a fresh generation", file=sys.stderr)
    return 1 if stale else 0


def main() -> None:
    key = signing_key()
    pub = key.public_key()
    nums = pub.public_numbers()
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "kid": KID,
        "use": "sig",
        "alg": "ES256",
        "x": b64u(nums.x.to_bytes(32, "big")),
        "y": b64u(nums.y.to_bytes(32, "big")),
    }

    access_claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": API,
        "client_id": CLIENT,
        "scope": SCOPE,
        "iat": LOGIN,
        "exp": LOGIN + 3600,
        "jti": "at-2b1c9e",
        "auth_time": LOGIN,
    }
    access = token_es256(key, {"alg": "ES256", "typ": "at+jwt", "kid": KID}, access_claims)

    id_claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": CLIENT,
        "iat": LOGIN,
        "exp": LOGIN + 3600,
        "auth_time": LOGIN,
        "nonce": NONCE,
        "at_hash": at_hash(access),
        "name": "Alice Example",
        "email": "alice@example.com",
    }
    id_token = token_es256(key, {"alg": "ES256", "typ": "JWT", "kid": KID}, id_claims)

    yesterday = LOGIN - 86400
    expired_claims = dict(access_claims, iat=yesterday, exp=yesterday + 3600,
                          auth_time=yesterday, jti="at-7f03aa")
    expired = token_es256(key, {"alg": "ES256", "typ": "at+jwt", "kid": KID}, expired_claims)

    # Tampered claims: the attacker adds "admin" to the scopes.
    admin_claims = dict(access_claims, scope=SCOPE + " admin")

    # alg none, the original (now meaningless) signature segment kept, so
    # the header alone decides.
    none_input = b64u(compact_json({"alg": "none", "typ": "at+jwt"})) + "." + b64u(compact_json(admin_claims))
    alg_none = none_input + "." + access.split(".")[2]

    # HMAC keyed with the public key's PEM bytes (what a library that picks
    # the algorithm from the token would verify with).
    forge_input = (b64u(compact_json({"alg": "HS256", "typ": "at+jwt", "kid": KID})) + "."
                   + b64u(compact_json(admin_claims)))
    forged = forge_input + "." + b64u(hmac.new(pem, forge_input.encode(), hashlib.sha256).digest())

    hs_input = (b64u(compact_json({"alg": "HS256", "typ": "at+jwt", "kid": HS_KID})) + "."
                + b64u(compact_json(dict(access_claims, jti="at-5d20c4"))))
    hs_access = hs_input + "." + b64u(hmac.new(HS_SECRET, hs_input.encode(), hashlib.sha256).digest())

    # A hostile but validly signed ID token: the claims are JSON-escaped by
    # json.dumps (ensure_ascii), so the file stays ASCII; decoded, they hold
    # an OSC retitle + BEL + clear-screen, a newline that would forge a line
    # of the report, a right-to-left override and an 8-bit CSI.
    hostile_claims = dict(id_claims,
                          name="\u001b]0;pwned\u0007\u001b[2J",
                          email="eve@example.com\nvalid access token\u202e\u009b2J")
    hostile_id = token_es256(key, {"alg": "ES256", "typ": "JWT", "kid": KID}, hostile_claims)

    for tok in (access, id_token, expired, hostile_id):
        check_es256(pub, tok)

    settings = {
        "note": "Sample settings for `tokenlane demo`; written by generate.py. "
                "The sample key is derived from a public seed: never use it for anything real.",
        "now": NOW,
        "issuer": ISSUER,
        "audience": API,
        "client_id": CLIENT,
        "nonce": NONCE,
        "kid": KID,
        "scopes": SCOPE.split(" "),
    }
    write("settings.json", json.dumps(settings, indent=2) + "\n")
    write("jwks.json", json.dumps({"keys": [jwk]}, indent=2) + "\n")
    write("ec-public.pem", pem.decode())
    write("access.jwt", access + "\n")
    write("id.jwt", id_token + "\n")
    write("expired-access.jwt", expired + "\n")
    write("alg-none.jwt", alg_none + "\n")
    write("hs256-pem-forgery.jwt", forged + "\n")
    write("hs256.secret", HS_SECRET.decode())
    write("hs256-access.jwt", hs_access + "\n")
    write("id-control-chars.jwt", hostile_id + "\n")


if __name__ == "__main__":
    main()
    sys.exit(flush(check="--check" in sys.argv[1:]))
