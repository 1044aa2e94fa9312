#!/usr/bin/env python3
"""Mints the benchmark tokens with Python's `cryptography` (never tokenlane).

    python3 bench/gen_tokens.py            # writes bench/tokens.json
    python3 bench/gen_tokens.py --out F    # writes F (scripts/bench.sh --quick
                                           # checks the committed file is current)

One access token (RFC 9068, `typ: at+jwt`) per algorithm, signed with the
fixed conformance keys in `tests/conformance/keys/` (test material only):
rsa-1 (RSA-2048) for RS*/PS*, ec-1 (P-256) for ES256, ec-p384 for ES384,
ec-p521 for ES512, ed-1 (Ed25519) for EdDSA and Ed25519, hs-64 (a 64-byte
secret) for HS256/384/512. The output is deterministic, so a rerun writes
the same bytes: ES256 uses RFC 6979 deterministic ECDSA, RS* is
deterministic by construction, and PS* is EMSA-PSS-ENCODE with a fixed salt
(salt length = hash length), checked with `cryptography` before it is
written. Times are fixed: `iat` is just before `now`, and `exp` is in 2100
so libraries that read the wall clock (jsonwebtoken, PyJWT, joserfc,
libjwt) accept the same tokens as tokenlane does at the fixed `now`.
`typ_jwt_tokens` are the same tokens with `typ: JWT` instead of `at+jwt`,
for libjwt 1.10, which refuses any `typ` but `JWT` (tokenlane reads them in
its compat typ mode).
"""

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "tests", "conformance", "keys")
OUT = os.path.join(HERE, "tokens.json")

NOW = 1767225600  # 2026-01-01T00:00:00Z
EXP = 4102444800  # 2100-01-01T00:00:00Z
ISSUER = "https://issuer.example/"
AUDIENCE = "https://api.example"
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "HS256", "HS384", "HS512", "ES384", "ES512", "EdDSA", "Ed25519"]
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
HASHLIB = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
KIDS = {"RS": "rsa-1", "PS": "rsa-1", "ES": "ec-1", "HS": "hs-64"}
# issue 20: the algorithms whose key is not the family's first one.
KID_OF = {"ES384": "ec-384", "ES512": "ec-521", "EdDSA": "ed-1", "Ed25519": "ed-1"}
EC_SIZES = {"ES384": (hashes.SHA384, 48), "ES512": (hashes.SHA512, 66)}


def kid_of(alg: str) -> str:
    return KID_OF.get(alg) or KIDS[alg[:2]]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint_bytes(n: int, length: int = 0) -> bytes:
    return n.to_bytes(max(length, (n.bit_length() + 7) // 8, 1), "big")


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode()


def load_private(name: str):
    with open(os.path.join(KEYS, name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def mgf1(seed: bytes, length: int, hfun) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hfun(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def sign_ps(key, bits: str, message: bytes) -> bytes:
    """RSASSA-PSS with a fixed salt (RFC 8017 §9.1.1), checked by cryptography."""
    priv = key.private_numbers()
    n, d = priv.public_numbers.n, priv.d
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    hfun = HASHLIB[bits]
    m_hash = hfun(message).digest()
    salt = hfun(b"tokenlane bench PSS salt").digest()
    h = hfun(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - len(h) - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1(h, em_len - len(h) - 1, hfun)))
    masked = bytes([masked[0] & (0xFF >> (8 * em_len - em_bits))]) + masked[1:]
    em = masked + h + b"\xbc"
    sig = uint_bytes(pow(int.from_bytes(em, "big"), d, n), (n.bit_length() + 7) // 8)
    hh = HASHES[bits]()
    key.public_key().verify(
        sig, message, padding.PSS(mgf=padding.MGF1(hh), salt_length=hh.digest_size), hh
    )
    return sig


def sign(alg: str, rsa_key, ec_key, secret: bytes, message: bytes, new=None) -> bytes:
    if alg in ("EdDSA", "Ed25519"):
        return new["ed"].sign(message)  # deterministic (RFC 8032)
    if alg in EC_SIZES:
        h, size = EC_SIZES[alg]
        der = new[alg].sign(message, ec.ECDSA(h(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    family, bits = alg[:2], alg[2:]
    if family == "RS":
        return rsa_key.sign(message, padding.PKCS1v15(), HASHES[bits]())
    if family == "PS":
        return sign_ps(rsa_key, bits, message)
    if family == "ES":
        der = ec_key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if family == "HS":
        return hmac.new(secret, message, HASHLIB[bits]).digest()
    raise ValueError(alg)


def main() -> None:
    rsa_key = load_private("rsa-1.pem")
    ec_key = load_private("ec-1.pem")
    with open(os.path.join(KEYS, "hs-64.secret"), encoding="ascii") as f:
        secret = b64u_decode(f.read().strip())
    assert len(secret) == 64

    rsa_pub = rsa_key.public_key().public_numbers()
    ec_pub = ec_key.public_key().public_numbers()
    pem = lambda k: k.public_key().public_bytes(  # noqa: E731
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    rsa_jwk = {"kty": "RSA", "kid": "rsa-1", "n": b64u(uint_bytes(rsa_pub.n)),
               "e": b64u(uint_bytes(rsa_pub.e))}
    ec_jwk = {"kty": "EC", "kid": "ec-1", "crv": "P-256",
              "x": b64u(ec_pub.x.to_bytes(32, "big")),
              "y": b64u(ec_pub.y.to_bytes(32, "big"))}
    oct_jwk = {"kty": "oct", "kid": "hs-64", "k": b64u(secret)}
    new = {"ES384": load_private("ec-p384.pem"), "ES512": load_private("ec-p521.pem"),
           "ed": load_private("ed-1.pem")}

    def ec_new(alg, kid, crv):
        n = new[alg].public_key().public_numbers()
        size = EC_SIZES[alg][1]
        return {"kty": "EC", "kid": kid, "crv": crv, "x": b64u(n.x.to_bytes(size, "big")),
                "y": b64u(n.y.to_bytes(size, "big"))}
    ec384_jwk = ec_new("ES384", "ec-384", "P-384")
    ec521_jwk = ec_new("ES512", "ec-521", "P-521")
    ed_jwk = {"kty": "OKP", "kid": "ed-1", "crv": "Ed25519",
              "x": b64u(new["ed"].public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw))}

    claims = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "client_id": "client-app",
        "iat": NOW - 10,
        "exp": EXP,
        "jti": "at-7f3c2a",
        "scope": "read:appointments write:appointments",
    }
    tokens = {}
    for alg in ALGS:
        header = {"alg": alg, "typ": "at+jwt", "kid": kid_of(alg)}
        signing_input = (b64u(compact(header)) + "." + b64u(compact(claims))).encode()
        sig = sign(alg, rsa_key, ec_key, secret, signing_input, new)
        tokens[alg] = signing_input.decode() + "." + b64u(sig)

    # The same tokens with `typ: JWT`, for libraries that refuse RFC 9068's
    # `at+jwt` (libjwt 1.10 does); tokenlane reads them in compat typ mode.
    jwt_tokens = {}
    for alg in ALGS:
        header = {"alg": alg, "typ": "JWT", "kid": kid_of(alg)}
        signing_input = (b64u(compact(header)) + "." + b64u(compact(claims))).encode()
        sig = sign(alg, rsa_key, ec_key, secret, signing_input, new)
        jwt_tokens[alg] = signing_input.decode() + "." + b64u(sig)

    doc = {
        "about": "Benchmark tokens minted by bench/gen_tokens.py (Python cryptography). "
                 "Test keys only.",
        "now": NOW,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "scope": "read:appointments",
        "jwks": json.dumps({"keys": [rsa_jwk, ec_jwk, oct_jwk, ec384_jwk, ec521_jwk, ed_jwk]},
                           separators=(",", ":")),
        "rsa": {"kid": "rsa-1", "n": rsa_jwk["n"], "e": rsa_jwk["e"], "pem": pem(rsa_key)},
        "ec": {"kid": "ec-1", "x": ec_jwk["x"], "y": ec_jwk["y"], "pem": pem(ec_key)},
        "hmac": {"kid": "hs-64", "secret": oct_jwk["k"]},
        "ec384": {"kid": "ec-384", "x": ec384_jwk["x"], "y": ec384_jwk["y"], "pem": pem(new["ES384"])},
        "ec521": {"kid": "ec-521", "x": ec521_jwk["x"], "y": ec521_jwk["y"], "pem": pem(new["ES512"])},
        "ed25519": {"kid": "ed-1", "x": ed_jwk["x"], "pem": pem(new["ed"])},
        "tokens": tokens,
        "typ_jwt_tokens": jwt_tokens,
    }
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else OUT
    with open(out, "w", encoding="ascii") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(out)} ({len(tokens)} tokens)", file=sys.stderr)


if __name__ == "__main__":
    main()
