#!/usr/bin/env python3
"""Generate the tokenlane conformance cases (format: README.md in this folder).

    python3 tests/conformance/generate.py > tests/conformance/cases.json
    python3 tests/conformance/generate.py --make-keys   # once; never overwrites

Every token here is minted with Python's `cryptography` package and the
standard library (json, base64, hashlib, hmac): it is the independent
minting library, tokenlane never mints these tokens.

The output is deterministic, so a rerun writes the same bytes:
  * keys are read from keys/ (generated once with --make-keys, committed);
  * times are fixed (NOW below);
  * ES256 uses RFC 6979 deterministic ECDSA;
  * RS* (PKCS#1 v1.5) is deterministic by construction;
  * PS* is EMSA-PSS-ENCODE implemented here with a fixed salt (salt length =
    hash length, MGF1 with the same hash) and the raw RSA private operation,
    and every PSS signature is checked with `cryptography` before use.

Before writing, the generator checks that every accepted case verifies with
`cryptography` against its key set, and that every `invalid_signature` case
does not verify with any key the rules would select. A summary (cases per
expected code) goes to stderr.

Expected codes follow the ordered rules of README.md: the first failing
check is the code. Decisions on points the README leaves open or states
inconsistently (each also said in the `rule` of the cases that pin it):

- exp: the formula `exp + leeway <= now` (README rule 12 and DESIGN.md) wins
  over the README's parenthetical "exp == now + leeway is expired", which
  contradicts it: exp == now - leeway is expired, exp == now - leeway + 1
  and exp == now + leeway are valid.
- nesting depth counts the top-level object as depth 1: {"x":[[...]]} with
  15 arrays has depth 16 (accepted), with 16 arrays depth 17 (malformed).
- an accepted access token without client_id or sub (compat) expects
  "client_id": null / "sub": null; a token with neither scope nor scp
  expects "scopes": [].
- scopes are split on single spaces only (RFC 6749 scope-token delimiter);
  a tab is part of a scope token.
- ECDSA signatures with a high s (n - s) are mathematically valid and JOSE
  does not require low-s: accepted.
- a kid in the token never matches a key loaded without a kid.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
from collections import Counter

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID


HERE = os.path.dirname(os.path.abspath(__file__))
KEYDIR = os.path.join(HERE, "keys")

NOW = 1767225600  # 2026-01-01T00:00:00Z
LEEWAY = 60
ISSUER = "https://issuer.example/"
API = "https://api.example"
CLIENT = "client-app"
NONCE = "n-0S6_WzA2Mj"
SCOPE = "read:appointments write:appointments"
MAX_DATE = 253402300799  # 9999-12-31T23:59:59Z
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

DROP = object()  # claim/header override meaning "leave this member out"

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
HASHLIB = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


# --------------------------------------------------------------------------
# encoding helpers


def b64u(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint_bytes(n: int, length: int = 0) -> bytes:
    return n.to_bytes(max(length, (n.bit_length() + 7) // 8, 1), "big")


def compact(obj) -> bytes:
    """Compact JSON, as most JWT libraries write it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode()


def sub1(raw: bytes, old: bytes, new: bytes) -> bytes:
    """Replace exactly one occurrence of `old` (hand-made JSON edits)."""
    assert raw.count(old) == 1, (raw, old)
    return raw.replace(old, new)


def with_trailing_bits(segment: str) -> str:
    """Set a non-zero unused trailing bit in the last character of a
    base64url segment. Lenient decoders ignore those bits and decode the
    same bytes; strict (canonical) decoding must refuse the segment."""
    assert len(segment) % 4 in (2, 3), "segment has no unused bits"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = alphabet.index(segment[-1])
    assert value & 1 == 0
    return segment[:-1] + alphabet[value | 1]


def to_std_alphabet(segment: str) -> str:
    return segment.replace("-", "+").replace("_", "/")


def padded(segment: str) -> str:
    assert len(segment) % 4 != 0, "segment needs no padding"
    return segment + "=" * (-len(segment) % 4)


# --------------------------------------------------------------------------
# keys (generated once by --make-keys, then only read)

KEY_SPECS = {
    "rsa-1": ("rsa", 2048),
    "rsa-2": ("rsa", 2048),
    "rsa-1024": ("rsa", 1024),
    "ec-1": ("p256", None),
    "ec-2": ("p256", None),
    "attacker-ec": ("p256", None),
    "ec-p384": ("p384", None),
    "ec-p521": ("p521", None),
    "ed-1": ("ed25519", None),
    "hs-32": ("secret", 32),
    "hs-64": ("secret", 64),
}


def key_path(name: str) -> str:
    kind = KEY_SPECS[name][0]
    return os.path.join(KEYDIR, name + (".secret" if kind == "secret" else ".pem"))


def make_keys() -> None:
    os.makedirs(KEYDIR, exist_ok=True)
    for name, (kind, size) in KEY_SPECS.items():
        path = key_path(name)
        if os.path.exists(path):
            print(f"keep  {path}", file=sys.stderr)
            continue
        if kind == "secret":
            data = (b64u(os.urandom(size)) + "\n").encode()
        else:
            if kind == "rsa":
                key = rsa.generate_private_key(public_exponent=65537, key_size=size)
            elif kind == "p256":
                key = ec.generate_private_key(ec.SECP256R1())
            elif kind == "p384":
                key = ec.generate_private_key(ec.SECP384R1())
            elif kind == "p521":
                key = ec.generate_private_key(ec.SECP521R1())
            else:
                key = ed25519.Ed25519PrivateKey.generate()
            data = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path}", file=sys.stderr)


def load_key(name: str):
    path = key_path(name)
    if not os.path.exists(path):
        sys.exit(f"missing {path}: run generate.py --make-keys once and commit keys/")
    with open(path, "rb") as f:
        data = f.read()
    if KEY_SPECS[name][0] == "secret":
        return b64u_decode(data.decode().strip())
    return serialization.load_pem_private_key(data, password=None)


class K:
    """The fixed keys (private halves; the key sets only hold public parts)."""


def load_all_keys() -> None:
    for name in KEY_SPECS:
        setattr(K, name.replace("-", "_"), load_key(name))
    # a secret that is in no key set (signature by the wrong secret)
    K.hs_wrong = hashlib.sha256(b"tokenlane: a secret in no key set").digest()


def pem_of(pub) -> bytes:
    return pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def der_of(pub) -> bytes:
    return pub.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --------------------------------------------------------------------------
# signing


def mgf1(seed: bytes, length: int, hfun) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hfun(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def pss_salt(bits: str) -> bytes:
    """The fixed PSS salt: hash-length bytes derived from a label."""
    return HASHLIB[bits](b"tokenlane conformance PSS salt").digest()


def emsa_pss_encode(message: bytes, em_bits: int, bits: str) -> bytes:
    """EMSA-PSS-ENCODE (RFC 8017 §9.1.1), salt length = hash length."""
    hfun = HASHLIB[bits]
    m_hash = hfun(message).digest()
    h_len = len(m_hash)
    salt = pss_salt(bits)
    em_len = (em_bits + 7) // 8
    assert em_len >= h_len + len(salt) + 2
    h = hfun(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - h_len - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1(h, em_len - h_len - 1, hfun)))
    masked = bytes([masked[0] & (0xFF >> (8 * em_len - em_bits))]) + masked[1:]
    return masked + h + b"\xbc"


def sign_ps(key, bits: str, message: bytes) -> bytes:
    priv = key.private_numbers()
    n, d = priv.public_numbers.n, priv.d
    k = (n.bit_length() + 7) // 8
    em = emsa_pss_encode(message, n.bit_length() - 1, bits)
    sig = uint_bytes(pow(int.from_bytes(em, "big"), d, n), k)
    h = HASHES[bits]()
    key.public_key().verify(
        sig, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h
    )
    return sig


def sign_rs(key, bits: str, message: bytes) -> bytes:
    return key.sign(message, padding.PKCS1v15(), HASHES[bits]())


def es256_rs(key, message: bytes):
    der = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return decode_dss_signature(der)


def sign_es256(key, message: bytes) -> bytes:
    r, s = es256_rs(key, message)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# ES384 / ES512 / EdDSA (issue 20): curve, hash and R||S half-length per alg.
EC_ALGS = {"ES256": (ec.SECP256R1, hashes.SHA256, 32),
           "ES384": (ec.SECP384R1, hashes.SHA384, 48),
           "ES512": (ec.SECP521R1, hashes.SHA512, 66)}
EDDSA_ALGS = ("EdDSA", "Ed25519")


def sign_ecdsa(alg: str, key, message: bytes) -> bytes:
    """Deterministic ECDSA (RFC 6979) as the raw JWS R||S of the curve's size."""
    _, h, size = EC_ALGS[alg]
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(h(), deterministic_signing=True)))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_hs(secret: bytes, bits: str, message: bytes) -> bytes:
    return hmac.new(secret, message, HASHLIB[bits]).digest()


def sign(alg: str, key, message: bytes) -> bytes:
    if alg in EDDSA_ALGS:
        return key.sign(message)  # Ed25519 is deterministic (RFC 8032)
    family, bits = alg[:2], alg[2:]
    if family == "ES" and bits != "256":
        return sign_ecdsa(alg, key, message)
    if family == "ES":
        return sign_es256(key, message)
    if family == "RS":
        return sign_rs(key, bits, message)
    if family == "PS":
        return sign_ps(key, bits, message)
    if family == "HS":
        return sign_hs(key, bits, message)
    raise ValueError(alg)


def signer(alg, key):
    """A signer: signing input bytes -> signature bytes."""
    return lambda message: sign(alg, key, message)


def fixed_sig(sig: bytes):
    """A 'signer' that ignores the input and returns these bytes."""
    return lambda message: sig


def token(header, claims, sign_with, *, h64=None, p64=None, s64=None) -> str:
    """Compact JWS. `header`/`claims` are dicts (compact JSON) or raw bytes.
    `h64`/`p64` override the transmitted segments (the signature is computed
    over what is transmitted); `s64` overrides the signature segment."""
    if h64 is None:
        h64 = b64u(header if isinstance(header, bytes) else compact(header))
    if p64 is None:
        p64 = b64u(claims if isinstance(claims, bytes) else compact(claims))
    if s64 is None:
        s64 = b64u(sign_with(f"{h64}.{p64}".encode("ascii")))
    return f"{h64}.{p64}.{s64}"


def segments(tok: str):
    return tok.split(".")


def at_hash(access_token: str, alg: str) -> str:
    """OIDC at_hash: left half of the hash named by the ID token's alg
    (EdDSA/Ed25519 with an Ed25519 key: SHA-512, openid/connect issue 1125)."""
    bits = "512" if alg in EDDSA_ALGS else alg[2:]
    digest = HASHLIB[bits](access_token.encode("ascii")).digest()
    return b64u(digest[: len(digest) // 2])


# --------------------------------------------------------------------------
# key sources and key sets


def jwk_rsa(pub, kid=None, **extra) -> dict:
    nums = pub.public_numbers()
    jwk = {"kty": "RSA"}
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    jwk["n"] = b64u(uint_bytes(nums.n))
    jwk["e"] = b64u(uint_bytes(nums.e))
    return jwk


def jwk_ec(pub, kid=None, **extra) -> dict:
    nums = pub.public_numbers()
    size = (pub.curve.key_size + 7) // 8
    jwk = {"kty": "EC"}
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    jwk["crv"] = {256: "P-256", 384: "P-384", 521: "P-521"}[pub.curve.key_size]
    jwk["x"] = b64u(uint_bytes(nums.x, size))
    jwk["y"] = b64u(uint_bytes(nums.y, size))
    return jwk


def jwk_oct(secret: bytes, kid=None, **extra) -> dict:
    jwk = {"kty": "oct"}
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    jwk["k"] = b64u(secret)
    return jwk


def jwk_okp(pub, kid=None, **extra) -> dict:
    jwk = {"kty": "OKP"}
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    jwk["crv"] = "Ed25519"
    jwk["x"] = b64u(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return jwk


def src_jwks(*jwks) -> dict:
    return {"kind": "jwks", "data": compact({"keys": list(jwks)}).decode()}


def src_pem(pub, kid=None, alg=None) -> dict:
    return {"kind": "pem", "data": pem_of(pub).decode(), "kid": kid, "alg": alg}


def src_der(pub, kid=None, alg=None) -> dict:
    return {"kind": "der", "data": b64u(der_of(pub)), "kid": kid, "alg": alg}


def src_secret(secret: bytes, kid=None, alg=None) -> dict:
    return {"kind": "secret", "data": b64u(secret), "kid": kid, "alg": alg}


class Entry:
    """What the generator knows a key set holds (for its own checks)."""

    def __init__(self, kid, key, alg=None):
        self.kid, self.key, self.alg = kid, key, alg

    def fits(self, alg: str) -> bool:
        if self.alg is not None and self.alg != alg:
            return False
        family = alg[:2]
        if isinstance(self.key, bytes):
            return family == "HS" and len(self.key) >= int(alg[2:]) // 8
        if isinstance(self.key, rsa.RSAPublicKey):
            return family in ("RS", "PS")
        if isinstance(self.key, ec.EllipticCurvePublicKey):
            return alg in EC_ALGS and self.key.curve.name == EC_ALGS[alg][0].name
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return alg in EDDSA_ALGS
        return False

    def verifies(self, alg: str, message: bytes, sig: bytes) -> bool:
        bits = alg[2:]
        try:
            if alg.startswith("HS"):
                return hmac.compare_digest(sign_hs(self.key, bits, message), sig)
            if alg.startswith("RS"):
                self.key.verify(sig, message, padding.PKCS1v15(), HASHES[bits]())
            elif alg.startswith("PS"):
                h = HASHES[bits]()
                pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
                self.key.verify(sig, message, pss, h)
            elif alg == "ES256":
                if len(sig) != 64:
                    return False
                r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                if not (0 < r < P256_N and 0 < s < P256_N):
                    return False
                self.key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
            elif alg in EC_ALGS:
                _, h, size = EC_ALGS[alg]
                if len(sig) != 2 * size:
                    return False
                r, s = int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")
                if r == 0 or s == 0:
                    return False
                self.key.verify(encode_dss_signature(r, s), message, ec.ECDSA(h()))
            elif alg in EDDSA_ALGS:
                if len(sig) != 64:
                    return False
                self.key.verify(sig, message)
            else:
                return False
            return True
        except (InvalidSignature, ValueError):
            return False


# An OKP Ed448 public JWK (RFC 8037): a key kind tokenlane does not implement,
# so a key set skips it. x is any 57 bytes: the key is skipped before decoding.
ED448_JWK = {"kty": "OKP", "kid": "ed448", "crv": "Ed448",
             "x": b64u(hashlib.shake_256(b"tokenlane Ed448").digest(57))}

KEYSETS = {}  # name -> list of key sources (written to cases.json)
ENTRIES = {}  # name -> list of Entry (the generator's own view)


def keyset(name, sources, entries):
    KEYSETS[name] = sources
    ENTRIES[name] = entries


def build_keysets() -> None:
    rsa1, rsa2 = K.rsa_1.public_key(), K.rsa_2.public_key()
    ec1, ec2 = K.ec_1.public_key(), K.ec_2.public_key()

    keyset("main",
           [src_jwks(jwk_rsa(rsa1, "rsa-1", use="sig"), jwk_ec(ec1, "ec-1", use="sig"))],
           [Entry("rsa-1", rsa1), Entry("ec-1", ec1)])
    keyset("all",
           [src_jwks(jwk_rsa(rsa1, "rsa-1"), jwk_rsa(rsa2, "rsa-2"),
                     jwk_ec(ec1, "ec-1"), jwk_ec(ec2, "ec-2"),
                     jwk_oct(K.hs_32, "hs-32"), jwk_oct(K.hs_64, "hs-64"))],
           [Entry("rsa-1", rsa1), Entry("rsa-2", rsa2), Entry("ec-1", ec1),
            Entry("ec-2", ec2), Entry("hs-32", K.hs_32), Entry("hs-64", K.hs_64)])
    keyset("pinned",
           [src_jwks(jwk_rsa(rsa1, "rsa-1", use="sig", alg="RS256"),
                     jwk_ec(ec1, "ec-1", use="sig", alg="ES256"))],
           [Entry("rsa-1", rsa1, "RS256"), Entry("ec-1", ec1, "ES256")])
    keyset("rsa_pinned_ps256",
           [src_jwks(jwk_rsa(rsa1, "rsa-1", use="sig", alg="PS256"))],
           [Entry("rsa-1", rsa1, "PS256")])
    keyset("hmac32", [src_secret(K.hs_32, "hs-32")], [Entry("hs-32", K.hs_32)])
    keyset("hmac64", [src_secret(K.hs_64, "hs-64")], [Entry("hs-64", K.hs_64)])
    keyset("rsa_pem", [src_pem(rsa1)], [Entry(None, rsa1)])
    keyset("ec_der", [src_der(ec1)], [Entry(None, ec1)])
    keyset("mixed_with_enc",
           [src_jwks(jwk_ec(ec1, "ec-1", use="sig"),
                     jwk_rsa(rsa2, "rsa-enc", use="enc"),
                     ED448_JWK)],
           [Entry("ec-1", ec1)])  # rsa-enc (use enc) and ed448 (OKP Ed448) are skipped
    keyset("shared_kid",
           [src_jwks(jwk_rsa(rsa1, "shared"), jwk_ec(ec1, "shared"))],
           [Entry("shared", rsa1), Entry("shared", ec1)])
    build_new_alg_keysets()
    keyset("pem_and_secret",
           [src_pem(rsa1, kid="rsa-1", alg="RS256"),
            src_secret(K.hs_64, kid="hs-64", alg="HS512")],
           [Entry("rsa-1", rsa1, "RS256"), Entry("hs-64", K.hs_64, "HS512")])


# --------------------------------------------------------------------------
# claims, headers, policies, expectations


def override(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def at_claims(**over) -> dict:
    """A good access token's claims (RFC 9068)."""
    return override({
        "iss": ISSUER,
        "sub": "user-123",
        "aud": API,
        "client_id": CLIENT,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "jti": "at-7f3c2a",
        "scope": SCOPE,
    }, over)


def at_header(alg="ES256", kid="ec-1", typ="at+jwt", **over) -> dict:
    h = {"alg": alg}
    if typ is not DROP:
        h["typ"] = typ
    if kid is not DROP:
        h["kid"] = kid
    return override(h, over)


def compat_header(alg="ES256", kid="ec-1", **over) -> dict:
    """An access token header from a provider that does not set typ."""
    return at_header(alg, kid, DROP, **over)


def id_claims(**over) -> dict:
    """A good ID token's claims (OIDC Core §2); at_hash of GOOD_AT for RS256."""
    return override({
        "iss": ISSUER,
        "sub": "user-123",
        "aud": CLIENT,
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "nonce": NONCE,
        "auth_time": NOW - 600,
        "at_hash": at_hash(GOOD_AT, "RS256"),
        "name": "Ada Lovelace",
    }, over)


def id_header(alg="RS256", kid="rsa-1", **over) -> dict:
    h = {"alg": alg}
    if kid is not DROP:
        h["kid"] = kid
    return override(h, over)


def access_policy(algorithms=("ES256",), typ="strict", scopes=("read:appointments",),
                  audience=(API,), **extra) -> dict:
    p = {"issuer": ISSUER, "audience": list(audience), "algorithms": list(algorithms),
         "leeway": LEEWAY}
    if scopes is not None:
        p["required_scopes"] = list(scopes)
    p["typ"] = typ
    p.update(extra)
    return p


def id_policy(algorithms=("RS256",), nonce=NONCE, **extra) -> dict:
    p = {"issuer": ISSUER, "client_id": CLIENT, "algorithms": list(algorithms),
         "leeway": LEEWAY}
    if nonce is not None:
        p["nonce"] = nonce
    p.update(extra)
    return p


def err(code: str) -> dict:
    return {"error": code}


def scopes_of(claims: dict) -> list:
    if "scope" in claims:
        return [s for s in claims["scope"].split(" ") if s]
    scp = claims.get("scp")
    if isinstance(scp, str):
        return [s for s in scp.split(" ") if s]
    return list(scp or [])


def ok_access(claims: dict) -> dict:
    return {"ok": True, "sub": claims.get("sub"), "client_id": claims.get("client_id"),
            "scopes": scopes_of(claims)}


def ok_id(sub="user-123") -> dict:
    return {"ok": True, "sub": sub}


CASES = []


def case(name, rule, keyset_name, lane, policy, tok, expect, now=NOW):
    assert keyset_name in KEYSETS, keyset_name
    assert lane in ("access", "id")
    assert name not in {c["name"] for c in CASES}, name
    CASES.append({"name": name, "rule": rule, "keyset": keyset_name, "lane": lane,
                  "policy": policy, "now": now, "token": tok, "expect": expect})


def acc(name, rule, tok, expect, keyset_name="main", **policy_kw):
    case(name, rule, keyset_name, "access", access_policy(**policy_kw), tok, expect)


def idl(name, rule, tok, expect, keyset_name="main", **policy_kw):
    case(name, rule, keyset_name, "id", id_policy(**policy_kw), tok, expect)


ES1 = None  # signer with ec-1, set in main()
GOOD_AT = None  # the good access token (also the at_hash target)


# --------------------------------------------------------------------------
# the cases


def accepted_access_cases():
    claims = at_claims()
    acc("access_es256_strict_at_jwt_is_accepted",
        "A well-formed RFC 9068 access token (typ at+jwt, ES256, kid ec-1) passes every check.",
        GOOD_AT, ok_access(claims))
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        acc(f"access_{alg.lower()}_strict_is_accepted",
            f"{alg} signed by rsa-1 (JWK without alg) is accepted when the policy allows {alg}.",
            token(at_header(alg, "rsa-1"), claims, signer(alg, K.rsa_1)),
            ok_access(claims), algorithms=[alg])
    acc("access_hs256_with_32_byte_secret_is_accepted",
        "HS256 with a 32-byte secret (as long as the hash) is accepted.",
        token(at_header("HS256", "hs-32"), claims, signer("HS256", K.hs_32)),
        ok_access(claims), keyset_name="hmac32", algorithms=["HS256"])
    for alg in ("HS256", "HS384", "HS512"):
        acc(f"access_{alg.lower()}_with_64_byte_secret_is_accepted",
            f"{alg} with a 64-byte secret (at least the hash length) is accepted.",
            token(at_header(alg, "hs-64"), claims, signer(alg, K.hs_64)),
            ok_access(claims), keyset_name="hmac64", algorithms=[alg])

    for label, typ in (("application_at_jwt", "application/at+jwt"),
                       ("uppercase_at_jwt", "AT+JWT")):
        acc(f"access_strict_typ_{label}_is_accepted",
            f"typ {typ!r} names the at+jwt media type; it is compared case-insensitively.",
            token(at_header(typ=typ), claims, ES1), ok_access(claims))

    for label, hdr in (("absent", compat_header()),
                       ("jwt", at_header(typ="JWT")),
                       ("application_jwt", at_header(typ="application/jwt")),
                       ("at_jwt", at_header())):
        acc(f"access_compat_typ_{label}_is_accepted",
            "In compat mode an access token may have typ absent, JWT, application/jwt or at+jwt.",
            token(hdr, claims, ES1), ok_access(claims), typ="compat")

    c = at_claims(scope=DROP, scp=["read:appointments", "write:appointments"])
    acc("access_scp_array_is_accepted",
        "Without scope, the scp array carries the scopes; the required scope is in it.",
        token(at_header(), c, ES1), ok_access(c))
    c = at_claims(scope=DROP, scp="read:appointments write:appointments")
    acc("access_scp_string_is_accepted",
        "Without scope, a space-delimited scp string carries the scopes.",
        token(at_header(), c, ES1), ok_access(c))
    c = at_claims(scope="profile write:appointments read:appointments")
    acc("access_required_scope_not_first_is_accepted",
        "The required scope may appear anywhere in the space-delimited scope string.",
        token(at_header(), c, ES1), ok_access(c))
    c = at_claims(aud=["https://other.example", API])
    acc("access_aud_array_containing_api_is_accepted",
        "aud as an array passes when one of its values is the configured audience.",
        token(at_header(), c, ES1), ok_access(c))
    c = at_claims(aud="https://second-api.example")
    acc("access_aud_matching_second_configured_audience_is_accepted",
        "A policy with several audiences accepts aud equal to any of them.",
        token(at_header(), c, ES1), ok_access(c),
        audience=[API, "https://second-api.example"])
    c = at_claims(aud=[f"https://aud{i}.example" for i in range(63)] + [API])
    acc("access_aud_with_64_values_is_accepted",
        "aud may hold up to 64 values; here the 64th is the API.",
        token(at_header(), c, ES1), ok_access(c))

    raw = sub1(compact(claims), b'"iss":"https://issuer.example/"',
               b'"iss":"https:\\/\\/issuer.example\\/"')  # JSON escape \/ for /
    acc("access_iss_with_escaped_slashes_is_accepted",
        'iss written "https:\\/\\/issuer.example\\/" equals the issuer after JSON unescaping.',
        token(at_header(), raw, ES1), ok_access(claims))
    raw = sub1(compact(claims), b'"iss":"https://issuer.example/"',
               b'"iss":"https:\\u002f\\u002fissuer.example\\u002F"')  # \u escapes for /
    acc("access_iss_with_unicode_escapes_is_accepted",
        "iss written with \\u002f escapes equals the issuer after JSON unescaping.",
        token(at_header(), raw, ES1), ok_access(claims))
    pretty = json.dumps(claims, indent=2).encode()  # whitespace is valid JSON
    acc("access_pretty_printed_json_is_accepted",
        "JSON whitespace (newlines, indentation) in the payload is valid JSON.",
        token(at_header(), pretty, ES1), ok_access(claims))

    acc("access_kidless_es256_with_one_fitting_key_is_accepted",
        "Without kid, the only key that fits ES256 in the key set (ec-1) is used.",
        token(at_header(kid=DROP), claims, ES1), ok_access(claims))
    acc("access_kidless_rs256_with_one_fitting_key_is_accepted",
        "Without kid, the only key that fits RS256 in the key set (rsa-1) is used.",
        token(at_header("RS256", DROP), claims, signer("RS256", K.rsa_1)),
        ok_access(claims), algorithms=["RS256"])
    acc("access_kidless_es256_tries_every_fitting_key",
        "Without kid every key that fits ES256 is tried; ec-2 (second of two) verifies.",
        token(at_header(kid=DROP), claims, signer("ES256", K.ec_2)),
        ok_access(claims), keyset_name="all")
    acc("access_kidless_hs256_tries_every_fitting_secret",
        "Without kid every secret long enough for HS256 is tried; hs-64 verifies.",
        token(at_header("HS256", DROP), claims, signer("HS256", K.hs_64)),
        ok_access(claims), keyset_name="all", algorithms=["HS256"])
    acc("access_rs256_with_pem_key_without_kid_is_accepted",
        "A key loaded from SPKI PEM without kid serves a token without kid.",
        token(at_header("RS256", DROP), claims, signer("RS256", K.rsa_1)),
        ok_access(claims), keyset_name="rsa_pem", algorithms=["RS256"])
    acc("access_es256_with_der_key_without_kid_is_accepted",
        "A P-256 key loaded from SPKI DER without kid serves an ES256 token without kid.",
        token(at_header(kid=DROP), claims, ES1), ok_access(claims), keyset_name="ec_der")
    acc("access_es256_with_jwk_alg_pinned_to_es256_is_accepted",
        "A JWK whose alg is ES256 serves an ES256 token.",
        GOOD_AT, ok_access(claims), keyset_name="pinned")
    acc("access_rs256_with_pem_source_alg_rs256_is_accepted",
        "A PEM source with kid rsa-1 and alg RS256 serves an RS256 token with that kid.",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        ok_access(claims), keyset_name="pem_and_secret", algorithms=["RS256"])
    acc("access_shared_kid_picks_the_key_that_fits",
        "Two keys share kid 'shared'; the P-256 one is the one that fits ES256.",
        token(at_header(kid="shared"), claims, ES1), ok_access(claims), keyset_name="shared_kid")
    acc("access_jwks_with_skipped_keys_still_serves_its_sig_key",
        "A JWKS that also holds an enc key and an OKP key serves tokens for its sig key.",
        GOOD_AT, ok_access(claims), keyset_name="mixed_with_enc")
    acc("access_policy_with_several_algorithms_is_accepted",
        "ES256 is one of several algorithms the policy allows.",
        GOOD_AT, ok_access(claims), algorithms=["RS256", "PS256", "ES256"])
    acc("access_unknown_header_members_are_ignored",
        "Header members the core does not know (and does not list in crit) are ignored.",
        token(at_header(**{"x-trace": "abc"}), claims, ES1), ok_access(claims))
    acc("access_x5u_header_is_ignored_when_signed_by_configured_key",
        "x5u is never fetched or used; the token verifies with the configured key ec-1.",
        token(at_header(x5u="https://attacker.example/cert.pem"), claims, ES1),
        ok_access(claims))
    c = at_claims(typ="Bearer")
    acc("access_keycloak_payload_typ_bearer_is_accepted",
        "A Keycloak access token (payload typ Bearer) is an access token.",
        token(compat_header(), c, ES1), ok_access(c), typ="compat")
    c = at_claims(token_use="access")
    acc("access_cognito_token_use_access_is_accepted",
        "An Amazon Cognito access token (token_use access) is an access token.",
        token(compat_header(), c, ES1), ok_access(c), typ="compat")
    c = at_claims(scope=DROP)
    acc("access_without_scopes_passes_when_none_required",
        "With no required scopes, a token without scope or scp passes.",
        token(at_header(), c, ES1), ok_access(c), scopes=None)
    c = at_claims(exp=MAX_DATE)
    acc("access_exp_at_year_9999_limit_is_accepted",
        "exp = 253402300799 (9999-12-31T23:59:59Z) is the largest accepted date.",
        token(at_header(), c, ES1), ok_access(c))


def alg_cases():
    claims = at_claims()
    good_sig = segments(GOOD_AT)[2]
    for casing, label in (("none", "none"), ("None", "none_capitalized"),
                          ("NONE", "none_uppercase"), ("nOnE", "none_mixed_case")):
        h = at_header(casing, DROP)
        acc(f"alg_{label}_with_empty_signature_is_unsupported",
            f"alg {casing!r} with an empty signature segment (the classic alg:none token): refused for its alg (rule 3), before any signature is looked at.",
            token(h, claims, None, s64=""), err("unsupported_algorithm"))
        acc(f"alg_{label}_with_signature_is_unsupported",
            f"alg {casing!r} (none in any casing) is never accepted, whatever the signature.",
            token(h, claims, None, s64=good_sig), err("unsupported_algorithm"))
    for alg in ("hs256", "ES521", "HS1", "Ed448", "eddsa", ""):
        acc(f"alg_{alg.lower() or 'empty'}{'_lowercase' if alg.islower() else ''}_is_unsupported",
            f"alg {alg!r} is not an implemented algorithm name (names are case-sensitive).",
            token(at_header(alg), claims, None, s64=good_sig), err("unsupported_algorithm"))
    raw_headers = [
        ("alg_missing_is_malformed", {"typ": "at+jwt", "kid": "ec-1"}, "The header has no alg."),
        ("alg_number_is_malformed", at_header(256), "alg is a number, not a string."),
        ("alg_null_is_malformed", at_header(None), "alg is null, not a string."),
        ("alg_array_is_malformed", at_header(["ES256"]), "alg is an array, not a string."),
        ("typ_number_is_malformed", at_header(typ=1), "typ is a number, not a string."),
        ("kid_number_is_malformed", at_header(kid=5), "kid is a number, not a string."),
        ("kid_null_is_malformed", at_header(kid=None), "kid is null, not a string."),
    ]
    for name, h, rule in raw_headers:
        acc(name, rule, token(h, claims, ES1), err("malformed"))
    acc("alg_not_in_policy_is_not_allowed",
        "An ES256 token against a policy that allows only RS256.",
        GOOD_AT, err("algorithm_not_allowed"), algorithms=["RS256"])
    acc("alg_rs256_when_policy_allows_only_es256_is_not_allowed",
        "An RS256 token (valid signature by rsa-1) against a policy that allows only ES256.",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"))


def key_selection_cases():
    claims = at_claims()
    acc("es256_token_with_kid_of_rsa_key_is_not_allowed",
        "kid rsa-1 names an RSA key, which does not fit ES256.",
        token(at_header(kid="rsa-1"), claims, ES1), err("algorithm_not_allowed"),
        algorithms=["ES256", "RS256"])
    acc("rs256_token_with_kid_of_ec_key_is_not_allowed",
        "kid ec-1 names a P-256 key, which does not fit RS256.",
        token(at_header("RS256", "ec-1"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"), algorithms=["ES256", "RS256"])
    acc("ps256_token_with_jwk_pinned_to_rs256_is_not_allowed",
        "rsa-1's JWK alg RS256 pins it: a PS256 token with kid rsa-1 does not fit.",
        token(at_header("PS256", "rsa-1"), claims, signer("PS256", K.rsa_1)),
        err("algorithm_not_allowed"), keyset_name="pinned", algorithms=["RS256", "PS256"])
    acc("rs256_token_with_jwk_pinned_to_ps256_is_not_allowed",
        "rsa-1's JWK alg PS256 pins it: an RS256 token with kid rsa-1 does not fit.",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"), keyset_name="rsa_pinned_ps256",
        algorithms=["RS256", "PS256"])
    acc("ps256_token_with_jwk_pinned_to_ps256_is_accepted",
        "rsa-1's JWK alg PS256 serves a PS256 token.",
        token(at_header("PS256", "rsa-1"), claims, signer("PS256", K.rsa_1)),
        ok_access(claims), keyset_name="rsa_pinned_ps256", algorithms=["PS256"])
    acc("rs384_kidless_with_only_pinned_keys_has_no_key",
        "Without kid, no key fits RS384: rsa-1 is pinned to RS256, ec-1 is EC.",
        token(at_header("RS384", DROP), claims, signer("RS384", K.rsa_1)),
        err("key_not_found"), keyset_name="pinned", algorithms=["RS384"])
    acc("hs256_with_secret_pinned_to_hs512_is_not_allowed",
        "The secret source hs-64 has alg HS512, so an HS256 token with kid hs-64 does not fit.",
        token(at_header("HS256", "hs-64"), claims, signer("HS256", K.hs_64)),
        err("algorithm_not_allowed"), keyset_name="pem_and_secret", algorithms=["HS256"])
    acc("hs384_with_32_byte_secret_by_kid_is_not_allowed",
        "HS384 needs a secret of at least 48 bytes; kid hs-32 names a 32-byte secret.",
        token(at_header("HS384", "hs-32"), claims, signer("HS384", K.hs_32)),
        err("algorithm_not_allowed"), keyset_name="hmac32", algorithms=["HS384"])
    acc("hs512_with_32_byte_secret_without_kid_has_no_key",
        "HS512 needs a secret of at least 64 bytes; without kid no key fits.",
        token(at_header("HS512", DROP), claims, signer("HS512", K.hs_32)),
        err("key_not_found"), keyset_name="hmac32", algorithms=["HS512"])
    acc("unknown_kid_has_no_key",
        "No key in the set has kid ec-9.",
        token(at_header(kid="ec-9"), claims, ES1), err("key_not_found"))
    acc("kid_differing_in_case_has_no_key",
        "kid is compared exactly: EC-1 is not ec-1.",
        token(at_header(kid="EC-1"), claims, ES1), err("key_not_found"))
    acc("kid_against_keys_loaded_without_kid_has_no_key",
        "A token kid never matches a key loaded without kid (PEM source, kid null).",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("key_not_found"), keyset_name="rsa_pem", algorithms=["RS256"])
    acc("kid_of_skipped_enc_key_has_no_key",
        "rsa-enc (use enc) was skipped when loading, so its kid finds no key.",
        token(at_header("RS256", "rsa-enc"), claims, signer("RS256", K.rsa_2)),
        err("key_not_found"), keyset_name="mixed_with_enc", algorithms=["RS256"])
    acc("es256_without_kid_against_hmac_keyset_has_no_key",
        "Without kid, no key in a secrets-only key set fits ES256.",
        token(at_header(kid=DROP), claims, ES1), err("key_not_found"), keyset_name="hmac32")


def hmac_with_public_key_cases():
    """Algorithm confusion: HS256 keyed with the bytes of a public key."""
    claims = at_claims()
    for kty, pub, kid, asym_alg, nokid_set in (
            ("rsa", K.rsa_1.public_key(), "rsa-1", "RS256", "rsa_pem"),
            ("ec", K.ec_1.public_key(), "ec-1", "ES256", "ec_der")):
        pem = pem_of(pub)
        jwk = jwk_rsa(pub, kid, use="sig") if kty == "rsa" else jwk_ec(pub, kid, use="sig")
        encodings = {
            "pem": pem,
            "pem_crlf_extra_newlines": b"\r\n" + pem.replace(b"\n", b"\r\n") + b"\r\n\n",
            "der": der_of(pub),
            "jwk_json": compact(jwk),
        }
        for enc, secret in encodings.items():
            hs = signer("HS256", secret)
            acc(f"hs256_keyed_with_{kty}_public_{enc}_is_refused_by_policy",
                f"HS256 signed with the {kty.upper()} public key ({enc}) as secret; the policy allows only {asym_alg}.",
                token(at_header("HS256", kid), claims, hs), err("algorithm_not_allowed"),
                algorithms=[asym_alg])
            acc(f"hs256_keyed_with_{kty}_public_{enc}_and_its_kid_does_not_fit",
                f"Policy wrongly allows {asym_alg} and HS256; kid {kid} names a {kty.upper()} key, which never fits HS256.",
                token(at_header("HS256", kid), claims, hs), err("algorithm_not_allowed"),
                algorithms=[asym_alg, "HS256"])
            acc(f"hs256_keyed_with_{kty}_public_{enc}_without_kid_has_no_key",
                f"Policy wrongly allows {asym_alg} and HS256; without kid no key in the set is a secret.",
                token(at_header("HS256", DROP), claims, hs), err("key_not_found"),
                keyset_name=nokid_set, algorithms=[asym_alg, "HS256"])


def signature_cases():
    claims = at_claims()
    h64, p64, s64 = segments(GOOD_AT)
    r, s = es256_rs(K.ec_1, f"{h64}.{p64}".encode())
    n = P256_N

    def es(rv, sv, length=32):
        return b64u(rv.to_bytes(length, "big") + sv.to_bytes(length, "big"))

    psychic = [
        ("r_and_s_zero", 0, 0, "r = s = 0 (CVE-2022-21449, 'psychic signatures')"),
        ("r_zero", 0, s, "r = 0 with the genuine s"),
        ("s_zero", r, 0, "s = 0 with the genuine r"),
        ("r_equal_to_order", n, s, "r = n, the P-256 group order"),
        ("s_equal_to_order", r, n, "s = n, the P-256 group order"),
        ("r_order_plus_one", n + 1, s, "r = n + 1 (out of range; equals 1 mod n)"),
        ("s_order_plus_s", r, n + s, "s replaced by n + s (out of range; equal to s mod n)"),
        ("r_and_s_all_ones", 2**256 - 1, 2**256 - 1, "r = s = 2^256 - 1"),
    ]
    for label, rv, sv, what in psychic:
        if sv >= 2**256:
            continue
        acc(f"es256_signature_{label}_is_invalid",
            f"ES256 signature with {what} does not verify.",
            token(None, None, None, h64=h64, p64=p64, s64=es(rv, sv)), err("invalid_signature"))
    acc("es256_high_s_signature_is_accepted",
        "(r, n - s) is as valid as (r, s) for ECDSA and JOSE requires no low-s form.",
        token(None, None, None, h64=h64, p64=p64, s64=es(r, n - s)), ok_access(claims))
    der = encode_dss_signature(r, s)
    acc("es256_der_encoded_signature_is_invalid",
        "ES256 needs raw 64-byte R||S; the same signature DER-encoded does not verify.",
        token(None, None, None, h64=h64, p64=p64, s64=b64u(der)), err("invalid_signature"))
    raw = b64u_decode(s64)
    acc("es256_signature_63_bytes_is_invalid",
        "The ES256 signature is cut to 63 bytes.",
        token(None, None, None, h64=h64, p64=p64, s64=b64u(raw[:63])), err("invalid_signature"))
    acc("es256_signature_65_bytes_is_invalid",
        "The ES256 signature has a 65th byte appended.",
        token(None, None, None, h64=h64, p64=p64, s64=b64u(raw + b"\x00")), err("invalid_signature"))
    acc("es256_signature_with_33_byte_halves_is_invalid",
        "R and S each left-padded to 33 bytes (66 bytes in all) do not form an ES256 signature.",
        token(None, None, None, h64=h64, p64=p64, s64=es(r, s, 33)), err("invalid_signature"))
    acc("es256_signed_by_other_key_is_invalid",
        "kid ec-1 but the signature is by ec-2.",
        token(at_header(), claims, signer("ES256", K.ec_2)), err("invalid_signature"))
    flipped = bytearray(raw)
    flipped[10] ^= 0x01
    acc("es256_signature_with_flipped_bit_is_invalid",
        "One bit of the genuine ES256 signature is flipped.",
        token(None, None, None, h64=h64, p64=p64, s64=b64u(bytes(flipped))), err("invalid_signature"))
    tampered = b64u(compact(at_claims(sub="admin")))
    acc("es256_payload_changed_after_signing_is_invalid",
        "The payload (sub) was changed after signing; the old signature is kept.",
        token(None, None, None, h64=h64, p64=tampered, s64=s64), err("invalid_signature"))
    acc("es256_header_changed_after_signing_is_invalid",
        "A member (x-trace) was added to the header after signing; the old signature is kept.",
        token(None, None, None, h64=b64u(compact(at_header(**{"x-trace": "abc"}))), p64=p64, s64=s64),
        err("invalid_signature"))

    rs_h = at_header("RS256", "rsa-1")
    rs_tok = token(rs_h, claims, signer("RS256", K.rsa_1))
    rh, rp, rsig = segments(rs_tok)
    rraw = b64u_decode(rsig)
    acc("rs256_signature_one_byte_short_is_invalid",
        "The RS256 signature has 255 bytes for a 256-byte modulus (last byte cut).",
        token(None, None, None, h64=rh, p64=rp, s64=b64u(rraw[:-1])), err("invalid_signature"),
        algorithms=["RS256"])
    acc("rs256_signature_with_leading_zero_byte_is_invalid",
        "The RS256 signature is 257 bytes: a zero byte prepended to the genuine one.",
        token(None, None, None, h64=rh, p64=rp, s64=b64u(b"\x00" + rraw)), err("invalid_signature"),
        algorithms=["RS256"])
    acc("rs256_signature_all_zero_is_invalid",
        "An RS256 signature of 256 zero bytes.",
        token(None, None, None, h64=rh, p64=rp, s64=b64u(bytes(256))), err("invalid_signature"),
        algorithms=["RS256"])
    nbytes = uint_bytes(K.rsa_1.public_key().public_numbers().n, 256)
    acc("rs256_signature_equal_to_modulus_is_invalid",
        "An RS256 signature equal to the modulus n (out of range).",
        token(None, None, None, h64=rh, p64=rp, s64=b64u(nbytes)), err("invalid_signature"),
        algorithms=["RS256"])
    acc("rs256_signed_by_other_key_is_invalid",
        "kid rsa-1 but the signature is by rsa-2.",
        token(rs_h, claims, signer("RS256", K.rsa_2)), err("invalid_signature"),
        algorithms=["RS256"])
    acc("rs256_header_with_pss_signature_is_invalid",
        "alg RS256 but the signature is PS256 (PSS padding) by the right key.",
        token(rs_h, claims, signer("PS256", K.rsa_1)), err("invalid_signature"),
        algorithms=["RS256"])
    acc("ps256_header_with_pkcs1_signature_is_invalid",
        "alg PS256 but the signature is RS256 (PKCS#1 v1.5 padding) by the right key.",
        token(at_header("PS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("invalid_signature"), algorithms=["PS256"])
    acc("rs384_header_with_rs256_signature_is_invalid",
        "alg RS384 but the signature uses SHA-256.",
        token(at_header("RS384", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("invalid_signature"), algorithms=["RS384"])

    hs_h = at_header("HS256", "hs-32")
    hs_tok = token(hs_h, claims, signer("HS256", K.hs_32))
    hh, hp, hsig = segments(hs_tok)
    acc("hs256_truncated_tag_is_invalid",
        "The HS256 tag is cut to 16 bytes (JWS never truncates).",
        token(None, None, None, h64=hh, p64=hp, s64=b64u(b64u_decode(hsig)[:16])),
        err("invalid_signature"), keyset_name="hmac32", algorithms=["HS256"])
    acc("hs256_signed_with_other_secret_is_invalid",
        "kid hs-32 but the tag is computed with a secret not in the key set.",
        token(hs_h, claims, signer("HS256", K.hs_wrong)), err("invalid_signature"),
        keyset_name="hmac32", algorithms=["HS256"])


def embedded_key_cases():
    """Keys never come from the token: jwk, jku, x5u, x5c are ignored."""
    claims = at_claims()
    evil = K.attacker_ec
    evil_sign = signer("ES256", evil)
    evil_jwk = jwk_ec(evil.public_key())
    acc("jwk_header_with_attacker_key_without_kid_is_invalid",
        "Signed by the attacker's key embedded as jwk; without kid ec-1 (the one fitting key) is used.",
        token(at_header(kid=DROP, jwk=evil_jwk), claims, evil_sign), err("invalid_signature"))
    acc("jwk_header_with_attacker_key_and_real_kid_is_invalid",
        "Signed by the attacker's embedded jwk, with kid ec-1: ec-1 is used and does not verify.",
        token(at_header(jwk=evil_jwk), claims, evil_sign), err("invalid_signature"))
    acc("jwk_header_with_attacker_kid_has_no_key",
        "Signed by the attacker's embedded jwk with its own kid, which the key set lacks.",
        token(at_header(kid="attacker-1", jwk=dict(evil_jwk, kid="attacker-1")), claims, evil_sign),
        err("key_not_found"))
    acc("jwk_header_with_embedded_hmac_secret_has_no_key",
        "An embedded oct jwk and an HS256 tag made with it; the key set holds no secret.",
        token(at_header("HS256", DROP, jwk=jwk_oct(K.hs_wrong)), claims, signer("HS256", K.hs_wrong)),
        err("key_not_found"), algorithms=["ES256", "HS256"])
    acc("jku_header_with_real_kid_is_invalid",
        "jku points at the attacker's JWKS and the token is signed by the attacker; kid ec-1 is used.",
        token(at_header(jku="https://attacker.example/jwks.json"), claims, evil_sign),
        err("invalid_signature"))
    acc("jku_header_with_attacker_kid_has_no_key",
        "jku points at the attacker's JWKS holding kid attacker-1; the key set lacks that kid.",
        token(at_header(kid="attacker-1", jku="https://attacker.example/jwks.json"), claims, evil_sign),
        err("key_not_found"))
    acc("x5u_header_without_kid_is_invalid",
        "x5u points at the attacker's certificate; without kid ec-1 is used.",
        token(at_header(kid=DROP, x5u="https://attacker.example/cert.pem"), claims, evil_sign),
        err("invalid_signature"))
    cert_b64 = base64.b64encode(attacker_cert().public_bytes(serialization.Encoding.DER)).decode()
    acc("x5c_header_with_attacker_cert_without_kid_is_invalid",
        "x5c carries the attacker's self-signed certificate; without kid ec-1 is used.",
        token(at_header(kid=DROP, x5c=[cert_b64]), claims, evil_sign), err("invalid_signature"))
    acc("x5c_header_with_attacker_kid_has_no_key",
        "x5c carries the attacker's certificate and kid attacker-1, which the key set lacks.",
        token(at_header(kid="attacker-1", x5c=[cert_b64]), claims, evil_sign), err("key_not_found"))


def attacker_cert():
    key = K.attacker_ec
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer.example")])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(0x7E57)
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True))


def crit_cases():
    claims = at_claims()
    forms = [
        ("exp", {"crit": ["exp"]}, 'crit ["exp"] names a claim, not a header the core implements'),
        ("b64_false", {"b64": False, "crit": ["b64"]}, 'crit ["b64"] with b64 false (RFC 7797 unencoded payload) is not implemented'),
        ("empty_array", {"crit": []}, "crit [] is itself invalid (RFC 7515 §4.1.11) and refused"),
        ("string", {"crit": "exp"}, 'crit "exp" is a string, not an array'),
        ("number_member", {"crit": [7]}, "crit [7] lists a number"),
        ("absent_header", {"crit": ["x-absent"]}, 'crit ["x-absent"] names a header that is not present'),
        ("null", {"crit": None}, "crit null is still a crit member"),
    ]
    for label, extra, why in forms:
        # b64:false is signed as RFC 7797 would sign it; the payload segment is
        # kept base64url text, so the token is syntactically a normal JWS.
        acc(f"crit_{label}_is_unsupported",
            f"{why}: any crit member is refused.",
            token(at_header(**extra), claims, ES1), err("unsupported_critical_header"))


def duplicate_cases():
    claims = at_claims()
    # header: {"alg":"none","alg":"ES256",...}; a last-wins parser would see ES256
    raw_h = b'{"alg":"none","alg":"ES256","typ":"at+jwt","kid":"ec-1"}'
    acc("duplicate_alg_in_header_is_malformed",
        "The header holds alg twice (none, then ES256).",
        token(raw_h, claims, ES1), err("malformed"))
    raw_h = b'{"alg":"ES256","typ":"at+jwt","kid":"ec-9","kid":"ec-1"}'
    acc("duplicate_kid_in_header_is_malformed",
        "The header holds kid twice.", token(raw_h, claims, ES1), err("malformed"))
    raw_h = b'{"alg":"ES256","typ":"at+jwt","kid":"ec-1","\\u0061lg":"none"}'
    acc("duplicate_alg_via_unicode_escape_in_header_is_malformed",
        'The header holds "alg" and "\\u0061lg", the same name after unescaping.',
        token(raw_h, claims, ES1), err("malformed"))
    # payload: exp twice, expired first and valid second
    raw = sub1(compact(claims), b'"exp":%d' % (NOW + 3600),
               b'"exp":%d,"exp":%d' % (NOW - 3600, NOW + 3600))
    acc("duplicate_exp_in_claims_is_malformed",
        "The claims hold exp twice (an expired value, then a valid one); signed properly.",
        token(at_header(), raw, ES1), err("malformed"))
    raw = sub1(compact(claims), b'"aud":"https://api.example"',
               b'"aud":"https://other.example","aud":"https://api.example"')
    acc("duplicate_aud_in_claims_is_malformed",
        "The claims hold aud twice; signed properly.", token(at_header(), raw, ES1), err("malformed"))
    raw = compact(claims)[:-1] + b',"ext":{"role":"user","role":"admin"}}'
    acc("duplicate_member_in_nested_ignored_claim_is_malformed",
        "An ignored claim holds an object with a duplicate member; duplicates are refused anywhere.",
        token(at_header(), raw, ES1), err("malformed"))
    raw = compact(claims)[:-1] + b',"ex\\u0070":%d}' % (NOW - 3600)
    acc("duplicate_exp_via_unicode_escape_is_malformed",
        'The claims hold "exp" and "ex\\u0070", the same name after unescaping.',
        token(at_header(), raw, ES1), err("malformed"))


def claims_with_unused_bits() -> dict:
    """Good access-token claims whose JSON length is not a multiple of 3, so
    the payload segment has unused trailing bits (and would need padding)."""
    for i in range(3):
        c = at_claims(jti="at-7f3c2a" + "x" * i)
        if len(compact(c)) % 3:
            return c
    raise AssertionError


def base64_cases():
    claims = at_claims()
    h64, p64, s64 = segments(GOOD_AT)
    assert len(h64) % 4 == 2 and len(s64) % 4 == 2  # 43-byte header, 64-byte signature

    def resigned(hh, pp):  # sign over exactly what is transmitted
        return token(None, None, ES1, h64=hh, p64=pp)

    acc("header_segment_with_padding_is_malformed",
        "The header segment ends in '==' padding (signed over the padded text).",
        resigned(padded(h64), p64), err("malformed"))
    cp = b64u(compact(claims_with_unused_bits()))
    acc("payload_segment_with_padding_is_malformed",
        "The payload segment ends in '=' padding (signed over the padded text).",
        resigned(h64, padded(cp)), err("malformed"))
    acc("signature_segment_with_padding_is_malformed",
        "The signature segment ends in '==' padding.",
        token(None, None, None, h64=h64, p64=p64, s64=padded(s64)), err("malformed"))
    # a jti holding "~~~" at an offset of 0 mod 3 encodes as "fn5-"
    for i in range(3):
        cp = b64u(compact(at_claims(jti="at-" + "x" * i + "~~~")))
        if "-" in cp or "_" in cp:
            break
    assert "-" in cp or "_" in cp
    acc("payload_segment_in_standard_base64_alphabet_is_malformed",
        "The payload segment uses '+'/'/' (standard base64) instead of '-'/'_' (signed over it).",
        resigned(h64, to_std_alphabet(cp)), err("malformed"))
    assert "-" in s64 or "_" in s64
    acc("signature_segment_in_standard_base64_alphabet_is_malformed",
        "The signature segment uses '+'/'/' instead of '-'/'_'.",
        token(None, None, None, h64=h64, p64=p64, s64=to_std_alphabet(s64)), err("malformed"))
    mid = len(p64) // 2
    acc("payload_segment_with_space_is_malformed",
        "A space is inserted in the middle of the payload segment (signed over it).",
        resigned(h64, p64[:mid] + " " + p64[mid:]), err("malformed"))
    acc("header_segment_with_line_break_is_malformed",
        "A CRLF is inserted in the header segment (signed over it).",
        resigned(h64[:20] + "\r\n" + h64[20:], p64), err("malformed"))
    acc("token_with_trailing_newline_is_malformed",
        "The token ends in a newline (whitespace in the signature segment).",
        GOOD_AT + "\n", err("malformed"))
    acc("token_with_leading_space_is_malformed",
        "The token starts with a space (whitespace in the header segment).",
        " " + GOOD_AT, err("malformed"))
    acc("token_with_bearer_prefix_is_malformed",
        "The token still carries the 'Bearer ' prefix of the Authorization header.",
        "Bearer " + GOOD_AT, err("malformed"))
    acc("header_segment_with_nonzero_trailing_bits_is_malformed",
        "The header segment's last character has non-zero unused bits (decodes the same leniently; signed over it).",
        resigned(with_trailing_bits(h64), p64), err("malformed"))
    acc("payload_segment_with_nonzero_trailing_bits_is_malformed",
        "The payload segment's last character has non-zero unused bits (signed over it).",
        resigned(h64, with_trailing_bits(cp)), err("malformed"))
    acc("signature_segment_with_nonzero_trailing_bits_is_malformed",
        "The signature segment's last character has non-zero unused bits.",
        token(None, None, None, h64=h64, p64=p64, s64=with_trailing_bits(s64)), err("malformed"))
    assert (len(s64) + 3) % 4 == 1
    acc("signature_segment_of_impossible_length_is_malformed",
        "Three characters appended to the signature segment make its length 1 mod 4, which no base64 has.",
        token(None, None, None, h64=h64, p64=p64, s64=s64 + "AAA"), err("malformed"))
    acc("signature_segment_with_invalid_character_is_malformed",
        "The signature segment holds '*', which is not in the base64url alphabet.",
        token(None, None, None, h64=h64, p64=p64, s64=s64[:-2] + "*" + s64[-1]), err("malformed"))
    acc("token_with_non_ascii_character_is_malformed",
        "The payload segment holds a non-ASCII character.",
        token(None, None, None, h64=h64, p64=p64[:5] + "\u00e9" + p64[5:], s64=s64), err("malformed"))

    acc("token_with_two_segments_is_malformed",
        "Only header and payload, no signature segment.", f"{h64}.{p64}", err("malformed"))
    acc("token_with_four_segments_is_malformed",
        "A fourth segment follows the signature.", f"{GOOD_AT}.{s64}", err("malformed"))
    acc("token_with_five_segments_jwe_shape_is_malformed",
        "Five segments (JWE compact shape) are not a JWS.",
        f"{h64}.{b64u(b'key')}.{b64u(b'iv-iv-iv-iv')}.{p64}.{b64u(b'tag')}", err("malformed"))
    acc("token_with_trailing_dot_is_malformed",
        "A trailing '.' makes a fourth, empty segment.", GOOD_AT + ".", err("malformed"))
    acc("empty_token_is_malformed", "The token is the empty string.", "", err("malformed"))
    acc("empty_header_segment_is_malformed",
        "The header segment is empty (not a JSON object).",
        token(None, None, ES1, h64="", p64=p64), err("malformed"))
    acc("empty_signature_segment_for_es256_is_invalid_signature",
        "A genuine ES256 token with the signature segment emptied: zero bytes are not a 64-byte ES256 signature (rule 5).",
        f"{h64}.{p64}.", err("invalid_signature"))


def json_cases():
    claims = at_claims()
    good_h = compact(at_header())
    header_cases = [
        ("header_json_array_is_malformed", b'["ES256"]', "The header is a JSON array, not an object."),
        ("header_json_null_is_malformed", b"null", "The header is JSON null."),
        ("header_with_trailing_comma_is_malformed", good_h[:-1] + b",}", "The header JSON has a trailing comma."),
        ("header_with_trailing_garbage_is_malformed", good_h + b"x", "Bytes follow the header's JSON object."),
        ("header_with_invalid_utf8_is_malformed", good_h[:-1] + b',"x":"\xff"}', "A header string holds the byte 0xFF (invalid UTF-8)."),
    ]
    for name, raw_h, rule in header_cases:
        acc(name, rule[:-1] + "; signed over as transmitted.", token(raw_h, claims, ES1), err("malformed"))
    deep_h = good_h[:-1] + b',"x":' + b"[" * 16 + b"]" * 16 + b"}"
    acc("header_nested_17_deep_is_malformed",
        "The header nests 17 levels (object + 16 arrays) in an ignored member; the limit is 16.",
        token(deep_h, claims, ES1), err("malformed"))

    body = compact(claims)
    payload_cases = [
        ("payload_json_array_is_malformed", b"[]", "The payload is a JSON array, not an object."),
        ("payload_empty_is_malformed", b"", "The payload segment is empty (no JSON)."),
        ("payload_truncated_json_is_malformed", body[:-1], "The payload JSON is cut before its closing brace."),
        ("payload_with_trailing_garbage_is_malformed", body + b"\x00", "A NUL byte follows the payload's JSON object."),
        ("payload_with_invalid_utf8_is_malformed", body[:-1] + b',"name":"\xc3\x28"}', "A payload string holds an invalid UTF-8 sequence."),
        ("payload_with_nan_is_malformed", body[:-1] + b',"score":NaN}', "NaN is not JSON."),
        ("payload_with_unescaped_control_char_is_malformed", body[:-1] + b',"name":"a\x01b"}', "A raw control character inside a JSON string."),
        ("exp_with_leading_zero_is_malformed", sub1(body, b'"exp":%d' % (NOW + 3600), b'"exp":0%d' % (NOW + 3600)), "exp 01767229200: leading zeros are not JSON."),
        ("exp_with_plus_sign_is_malformed", sub1(body, b'"exp":%d' % (NOW + 3600), b'"exp":+%d' % (NOW + 3600)), "exp +1767229200: a leading '+' is not JSON."),
        ("exp_with_trailing_dot_is_malformed", sub1(body, b'"exp":%d' % (NOW + 3600), b'"exp":%d.' % (NOW + 3600)), "exp 1767229200. : a dot without digits is not JSON."),
    ]
    for name, raw, rule in payload_cases:
        acc(name, rule[:-1] + "; signed properly, so the payload is reached.",
            token(at_header(), raw, ES1), err("malformed"))

    deep = body[:-1] + b',"ext":' + b"[" * 10000 + b"]" * 10000 + b"}"
    tok = token(at_header(), deep, ES1)
    acc("payload_nested_10000_deep_in_ignored_claim_is_malformed",
        "An ignored claim nests 10,000 arrays; the limit is 16 (size limit raised so the payload is reached).",
        tok, err("malformed"), max_token_bytes=65536)
    c16 = body[:-1] + b',"ext":' + b"[" * 15 + b"]" * 15 + b"}"
    acc("payload_nested_16_deep_is_accepted",
        "Depth 16 (the top-level object + 15 arrays) is at the limit and accepted.",
        token(at_header(), c16, ES1), ok_access(claims))
    c17 = body[:-1] + b',"ext":' + b"[" * 16 + b"]" * 16 + b"}"
    acc("payload_nested_17_deep_is_malformed",
        "Depth 17 (the top-level object + 16 arrays) is deeper than 16.",
        token(at_header(), c17, ES1), err("malformed"))

    for label, text in (("exponent", b"1.7672292E+9"), ("decimal_point", b"1767229200.0")):
        raw = sub1(body, b'"exp":%d' % (NOW + 3600), b'"exp":' + text)
        acc(f"exp_written_with_{label}_is_accepted",
            f"exp {text.decode()} is the JSON number 1767229200 (now + 3600).",
            token(at_header(), raw, ES1), ok_access(claims))


def sized_token(total: int, claims: dict) -> str:
    """A valid ES256 access token of exactly `total` characters, padded with
    an ignored claim (and, when needed, an ignored header member: a base64url
    segment is never 1 mod 4 characters long)."""
    base = len(compact(dict(claims, pad="")))
    for hpad in range(4):
        h = at_header(**({"x": "y" * hpad} if hpad else {}))
        need = total - len(b64u(compact(h))) - 2 - 86  # 86: ES256 signature segment
        for m in range(base, 3 * need // 4 + 4):
            if (4 * m + 2) // 3 == need:
                tok = token(h, dict(claims, pad="p" * (m - base)), ES1)
                assert len(tok) == total
                return tok
    raise AssertionError(total)


def size_cases():
    claims = at_claims()
    acc("token_over_16384_bytes_is_too_large",
        "A token of 16385 bytes with a valid signature exceeds the default limit.",
        sized_token(16385, claims), err("token_too_large"))
    acc("token_of_exactly_16384_bytes_is_accepted",
        "A token of exactly 16384 bytes is at the default limit and accepted.",
        sized_token(16384, claims), ok_access(claims))
    acc("junk_over_16384_bytes_is_too_large_before_malformed",
        "20,000 bytes of non-token text: the size check comes first.",
        "A" * 20000, err("token_too_large"))
    acc("token_of_1200_bytes_over_policy_limit_1000_is_too_large",
        "An otherwise valid 1200-byte token against max_token_bytes 1000.",
        sized_token(1200, claims), err("token_too_large"), max_token_bytes=1000)
    acc("token_of_1001_bytes_over_policy_limit_1000_is_too_large",
        "One byte over max_token_bytes 1000.",
        sized_token(1001, claims), err("token_too_large"), max_token_bytes=1000)
    acc("token_of_exactly_1000_bytes_at_policy_limit_is_accepted",
        "Exactly max_token_bytes 1000 is accepted.",
        sized_token(1000, claims), ok_access(claims), max_token_bytes=1000)


def time_cases():
    def t(name, rule, claims, expect, **kw):
        acc(name, rule, token(at_header(), claims, ES1),
            ok_access(claims) if expect == "ok" else err(expect), **kw)

    t("exp_equal_to_now_minus_leeway_is_expired",
      "exp + leeway <= now: exp = now - 60 with leeway 60 is expired.",
      at_claims(exp=NOW - LEEWAY, iat=NOW - 3600), "expired")
    t("exp_one_second_after_now_minus_leeway_is_valid",
      "exp = now - 59 with leeway 60: exp + leeway > now.",
      at_claims(exp=NOW - LEEWAY + 1, iat=NOW - 3600), "ok")
    t("exp_equal_to_now_plus_leeway_is_valid",
      "exp = now + 60: exp + leeway > now (the formula exp + leeway <= now decides, not the README's parenthetical).",
      at_claims(exp=NOW + LEEWAY), "ok")
    t("exp_zero_is_expired", "exp = 0 is a valid date (1970) and long past.",
      at_claims(exp=0), "expired")
    t("exp_fraction_is_floored_before_comparing",
      "exp = now - 60 + 0.9 floors to now - 60, which is expired with leeway 60.",
      at_claims(exp=NOW - LEEWAY + 0.9, iat=NOW - 3600), "expired")
    t("exp_with_fraction_is_accepted",
      "exp = now + 3600.5 is a valid fractional date.", at_claims(exp=NOW + 3600.5), "ok")
    t("exp_equal_to_now_with_zero_leeway_is_expired",
      "Leeway 0: exp = now is expired.", at_claims(exp=NOW, iat=NOW - 3600), "expired", leeway=0)
    t("exp_one_second_after_now_with_zero_leeway_is_valid",
      "Leeway 0: exp = now + 1 is valid.", at_claims(exp=NOW + 1, iat=NOW - 3600), "ok", leeway=0)

    t("nbf_equal_to_now_plus_leeway_is_valid",
      "nbf - leeway > now is false for nbf = now + 60.", at_claims(nbf=NOW + LEEWAY), "ok")
    t("nbf_one_second_after_now_plus_leeway_is_not_yet_valid",
      "nbf = now + 61: nbf - leeway > now.", at_claims(nbf=NOW + LEEWAY + 1), "not_yet_valid")
    t("nbf_fraction_is_floored_before_comparing",
      "nbf = now + 60.7 floors to now + 60, which is valid with leeway 60.",
      at_claims(nbf=NOW + LEEWAY + 0.7), "ok")
    t("iat_equal_to_now_plus_leeway_is_valid",
      "iat = now + 60 is within the leeway.", at_claims(iat=NOW + LEEWAY), "ok")
    t("iat_beyond_leeway_in_future_is_not_yet_valid",
      "iat = now + 61: iat - leeway > now.", at_claims(iat=NOW + LEEWAY + 1), "not_yet_valid")
    t("iat_fraction_is_floored_before_comparing",
      "iat = now + 60.9 floors to now + 60, which is valid.", at_claims(iat=NOW + LEEWAY + 0.9), "ok")

    bad_dates = [
        ("exp_negative", "exp", -1, "exp = -1 is negative"),
        ("exp_2_pow_63", "exp", 2**63, "exp = 2^63 is past year 9999"),
        ("exp_2_pow_64", "exp", 2**64, "exp = 2^64 is past year 9999 (and u64)"),
        ("exp_1e19", "exp", 1e19, "exp = 1e19 is past year 9999"),
        ("exp_1e308", "exp", 1e308, "exp = 1e308 is past year 9999"),
        ("exp_one_past_year_9999", "exp", MAX_DATE + 1, "exp = 253402300800 is past 9999-12-31T23:59:59Z"),
        ("exp_numeric_string", "exp", "1767229200", 'exp = "1767229200" is a string'),
        ("exp_true", "exp", True, "exp = true is a boolean"),
        ("exp_null", "exp", None, "exp = null is not a number"),
        ("nbf_string", "nbf", "now", 'nbf = "now" is a string'),
        ("iat_negative", "iat", -1, "iat = -1 is negative"),
        ("iat_1e308", "iat", 1e308, "iat = 1e308 is past year 9999"),
    ]
    for label, claim, value, why in bad_dates:
        t(f"{label}_is_invalid_claim", why + ".", at_claims(**{claim: value}), "invalid_claim")


def type_confusion_cases():
    many = [f"https://aud{i}.example" for i in range(64)] + [API]
    bad = [
        ("aud_number", {"aud": 7}, "aud is a number"),
        ("aud_array_of_number", {"aud": [7]}, "aud is an array holding a number"),
        ("aud_array_mixed", {"aud": [API, 7]}, "aud is an array holding a string and a number"),
        ("aud_object", {"aud": {}}, "aud is an object"),
        ("aud_null", {"aud": None}, "aud is null"),
        ("aud_65_values", {"aud": many}, "aud holds 65 values (limit 64), even though one is the API"),
        ("iss_number", {"iss": 5}, "iss is a number"),
        ("sub_array", {"sub": ["a"]}, "sub is an array"),
        ("client_id_number", {"client_id": 5}, "client_id is a number"),
        ("jti_number", {"jti": 5}, "jti is a number"),
        ("scope_array", {"scope": ["read:appointments"]}, "scope is an array (scp may be; scope may not)"),
        ("scp_number", {"scope": DROP, "scp": 5}, "scp is a number"),
        ("scp_array_of_number", {"scope": DROP, "scp": [1]}, "scp is an array holding a number"),
        ("nonce_number_in_access_token", {"nonce": 5}, "nonce is a number (type checks come before lane marks)"),
    ]
    for label, over, why in bad:
        acc(f"{label}_is_invalid_claim", why + ".",
            token(at_header(), at_claims(**over), ES1), err("invalid_claim"))


def missing_claim_cases():
    for claim in ("jti", "client_id", "iat", "sub", "iss", "exp", "aud"):
        c = at_claims(**{claim: DROP})
        acc(f"strict_access_without_{claim}_is_missing_claim",
            f"Strict access tokens require {claim} (RFC 9068 §2.2).",
            token(at_header(), c, ES1), err("missing_claim"))
    for claim in ("jti", "client_id", "iat", "sub"):
        c = at_claims(**{claim: DROP})
        acc(f"compat_access_without_{claim}_is_accepted",
            f"Compat access tokens require only iss, exp and aud; {claim} may be absent.",
            token(compat_header(), c, ES1), ok_access(c), typ="compat")
    c = at_claims(jti=DROP, client_id=DROP, iat=DROP, sub=DROP)
    acc("compat_access_with_only_iss_exp_aud_and_scope_is_accepted",
        "Compat: iss, exp, aud (and the required scope) are enough.",
        token(compat_header(), c, ES1), ok_access(c), typ="compat")
    for claim in ("exp", "iss", "aud"):
        c = at_claims(**{claim: DROP})
        acc(f"compat_access_without_{claim}_is_missing_claim",
            f"Compat access tokens still require {claim}.",
            token(compat_header(), c, ES1), err("missing_claim"), typ="compat")


def issuer_audience_cases():
    for label, iss, why in (
            ("without_trailing_slash", "https://issuer.example", "iss lacks the trailing slash"),
            ("with_uppercase_host", "https://ISSUER.example/", "iss differs in case (exact comparison)"),
            ("of_other_issuer", "https://attacker.example/", "iss names another issuer"),
            ("http_scheme", "http://issuer.example/", "iss uses http instead of https")):
        acc(f"iss_{label}_is_issuer_mismatch", why + ".",
            token(at_header(), at_claims(iss=iss), ES1), err("issuer_mismatch"))
    for label, aud, why in (
            ("other_api", "https://other.example", "aud names another API"),
            ("with_trailing_slash", "https://api.example/", "aud has a trailing slash the configured audience lacks"),
            ("empty_array", [], "aud is an empty array"),
            ("array_without_api", ["https://other.example", "client-app"], "no value of the aud array is the API")):
        acc(f"aud_{label}_is_audience_mismatch", why + ".",
            token(at_header(), at_claims(aud=aud), ES1), err("audience_mismatch"))
    c = id_claims(nonce=DROP, at_hash=DROP, auth_time=DROP)
    acc("id_token_without_marks_at_api_in_compat_is_audience_mismatch",
        "An ID token with no ID marks (no nonce/at_hash) passes compat typ checks but its aud is the client, not the API.",
        token(id_header(), c, signer("RS256", K.rsa_1)), err("audience_mismatch"),
        typ="compat", algorithms=["RS256"])


def id_token_at_api_cases():
    rs1 = signer("RS256", K.rsa_1)
    pol = dict(algorithms=["RS256"])
    acc("id_token_at_api_strict_typ_absent_is_wrong_type",
        "An ID token (typ absent) at the API in strict mode: typ must be at+jwt.",
        token(id_header(), id_claims(), rs1), err("wrong_token_type"), **pol)
    acc("id_token_at_api_strict_typ_jwt_is_wrong_type",
        "An ID token with typ JWT at the API in strict mode.",
        token(id_header(typ="JWT"), id_claims(), rs1), err("wrong_token_type"), **pol)
    acc("id_token_with_api_audience_at_api_strict_is_wrong_type",
        "An ID token whose aud is the API is still refused in strict mode (typ absent).",
        token(id_header(), id_claims(aud=API), rs1), err("wrong_token_type"), **pol)
    acc("id_token_with_api_audience_at_api_compat_is_wrong_type",
        "An ID token whose aud is the API, in compat mode: its nonce marks it as an ID token.",
        token(id_header(), id_claims(aud=API, at_hash=DROP), rs1), err("wrong_token_type"),
        typ="compat", **pol)
    marks = [
        ("nonce", {"nonce": NONCE, "at_hash": DROP}, "payload nonce"),
        ("at_hash", {"nonce": DROP}, "payload at_hash"),
        ("c_hash", {"nonce": DROP, "at_hash": DROP, "c_hash": "LDktKdoQak3Pk0cnXxCltA"}, "payload c_hash"),
        ("keycloak_typ_id", {"nonce": DROP, "at_hash": DROP, "typ": "ID"}, "Keycloak payload typ ID"),
        ("keycloak_typ_id_lowercase", {"nonce": DROP, "at_hash": DROP, "typ": "id"}, "payload typ id (case-insensitive)"),
        ("cognito_token_use_id", {"nonce": DROP, "at_hash": DROP, "token_use": "id"}, "Cognito token_use id"),
    ]
    for label, over, what in marks:
        c = id_claims(aud=API, **over)
        acc(f"id_token_at_api_compat_with_{label}_is_wrong_type",
            f"Compat mode, typ absent, aud the API, but the {what} marks an ID token.",
            token(id_header(), c, rs1), err("wrong_token_type"), typ="compat", **pol)
    # token_type (RFC 7662 / RFC 6749 §5.1) is a lane mark in the access
    # lane: the introspection rule, and a JWT naming another kind is not an
    # access token either. Access-token names pass, any ASCII case.
    for tt, label in (("refresh_token", "refresh_token"), ("Refresh", "refresh"), ("", "empty")):
        c = at_claims(token_type=tt)
        acc(f"access_token_with_token_type_{label}_is_wrong_type",
            f"A JWT whose token_type is {tt!r} names no access token.",
            token(at_header(), c, ES1), err("wrong_token_type"))
    c = at_claims(token_use="refresh_token")
    acc("access_token_with_token_use_refresh_token_is_wrong_type",
        "A JWT whose token_use is refresh_token (Ory Hydra's name) is not an access token.",
        token(at_header(), c, ES1), err("wrong_token_type"))
    for tt in ("Bearer", "dpop"):
        c = at_claims(token_type=tt)
        acc(f"access_token_with_token_type_{tt.lower()}_is_accepted",
            f"A JWT whose token_type is {tt!r} (an access token, case ignored) passes.",
            token(at_header(), c, ES1), ok_access(c))
    c = at_claims(nonce=NONCE)
    acc("access_token_at_jwt_with_nonce_is_wrong_type",
        "Even with typ at+jwt (strict), a payload nonce marks an ID token.",
        token(at_header(), c, ES1), err("wrong_token_type"))
    for typ in ("dpop+jwt", "logout+jwt", "token-introspection+jwt", "secevent+jwt"):
        label = typ.split("+")[0].replace("-", "_")
        for mode in ("strict", "compat"):
            acc(f"header_typ_{label}_at_api_{mode}_is_wrong_type",
                f"typ {typ} names another JWT kind; refused in {mode} mode.",
                token(at_header(typ=typ), at_claims(), ES1), err("wrong_token_type"), typ=mode)


def access_token_at_id_lane_cases():
    es = ES1
    for label, typ in (("at_jwt", "at+jwt"), ("application_at_jwt", "application/at+jwt"),
                       ("uppercase_at_jwt", "AT+JWT"), ("dpop_jwt", "dpop+jwt")):
        idl(f"id_lane_header_typ_{label}_is_wrong_type",
            f"The ID-token lane refuses header typ {typ}.",
            token(id_header("ES256", "ec-1", typ=typ), id_claims(), es), err("wrong_token_type"),
            algorithms=["ES256"])
    idl("id_lane_access_token_is_wrong_type",
        "The good RFC 9068 access token (typ at+jwt) presented to the client app.",
        GOOD_AT, err("wrong_token_type"), algorithms=["ES256"])
    for label, over, what in (
            ("cognito_token_use_access", {"token_use": "access"}, "Cognito token_use access"),
            ("keycloak_typ_bearer", {"typ": "Bearer"}, "Keycloak payload typ Bearer"),
            ("keycloak_typ_bearer_lowercase", {"typ": "bearer"}, "payload typ bearer (case-insensitive)")):
        idl(f"id_lane_{label}_is_wrong_type",
            f"typ absent, aud the client, but the {what} marks an access token.",
            token(id_header(), id_claims(**over), signer("RS256", K.rsa_1)), err("wrong_token_type"))


def id_lane_cases():
    rs1 = signer("RS256", K.rsa_1)

    def tok(**over):
        return token(id_header(), id_claims(**over), rs1)

    full = dict(max_age=3600, access_token=GOOD_AT)
    idl("id_token_rs256_with_all_checks_is_accepted",
        "nonce, auth_time within max_age and at_hash of the access token all match.",
        tok(), ok_id(), **full)
    idl("id_token_typ_jwt_is_accepted", "typ JWT is allowed in the ID lane.",
        token(id_header(typ="JWT"), id_claims(), rs1), ok_id())
    idl("id_token_typ_application_jwt_is_accepted", "typ application/jwt is allowed in the ID lane.",
        token(id_header(typ="application/jwt"), id_claims(), rs1), ok_id())
    for alg, key, ks in (("ES256", K.ec_1, "main"), ("PS256", K.rsa_1, "main"),
                         ("RS384", K.rsa_1, "main"), ("PS384", K.rsa_1, "main"),
                         ("HS512", K.hs_64, "hmac64")):
        kid = {"ES256": "ec-1", "HS512": "hs-64"}.get(alg, "rsa-1")
        bits = alg[2:]
        idl(f"id_token_{alg.lower()}_with_sha{bits}_at_hash_is_accepted",
            f"at_hash of a {alg} ID token is the left half of SHA-{bits} of the access token.",
            token(id_header(alg, kid), id_claims(at_hash=at_hash(GOOD_AT, alg)), signer(alg, key)),
            ok_id(), keyset_name=ks, algorithms=[alg], access_token=GOOD_AT)
    idl("id_token_rs384_with_sha256_at_hash_is_at_hash_mismatch",
        "An RS384 ID token whose at_hash was computed with SHA-256 instead of SHA-384.",
        token(id_header("RS384"), id_claims(at_hash=at_hash(GOOD_AT, "RS256")), signer("RS384", K.rsa_1)),
        err("at_hash_mismatch"), algorithms=["RS384"], access_token=GOOD_AT)
    idl("id_token_at_hash_of_other_access_token_is_at_hash_mismatch",
        "at_hash is of a different access token than the one given.",
        tok(at_hash=at_hash(token(at_header(), at_claims(jti="other"), ES1), "RS256")),
        err("at_hash_mismatch"), access_token=GOOD_AT)
    idl("id_token_without_at_hash_when_access_token_given_is_missing_claim",
        "An access token is given, so at_hash is required.",
        tok(at_hash=DROP), err("missing_claim"), access_token=GOOD_AT)
    idl("id_token_at_hash_ignored_without_access_token",
        "No access token is given, so a wrong at_hash is not checked.",
        tok(at_hash="AAAAAAAAAAAAAAAAAAAAAA"), ok_id())
    idl("id_token_nonce_mismatch", "nonce differs from the expected one.",
        tok(nonce="n-attacker"), err("nonce_mismatch"))
    idl("id_token_without_nonce_when_expected_is_missing_claim",
        "A nonce is expected but the token has none.", tok(nonce=DROP), err("missing_claim"))
    idl("id_token_nonce_not_checked_when_not_expected",
        "No nonce is expected; the token's nonce is not compared.",
        tok(nonce="anything"), ok_id(), nonce=None)
    idl("id_token_azp_mismatch", "azp is present and is not the client_id.",
        tok(azp="other-client"), err("azp_mismatch"))
    idl("id_token_azp_equal_to_client_is_accepted", "azp equals the client_id.",
        tok(azp=CLIENT), ok_id())
    idl("id_token_multiple_aud_without_azp_is_missing_claim",
        "aud has several values and azp is absent.",
        tok(aud=[CLIENT, "https://api.example"]), err("missing_claim"))
    idl("id_token_multiple_aud_with_azp_is_accepted",
        "aud has several values and azp is the client_id.",
        tok(aud=[CLIENT, "https://api.example"], azp=CLIENT), ok_id())
    idl("id_token_single_element_aud_array_without_azp_is_accepted",
        "aud is an array of one value (the client); azp is not required.",
        tok(aud=[CLIENT]), ok_id())
    idl("id_token_aud_without_client_is_audience_mismatch",
        "aud does not contain the client_id.", tok(aud="other-client"), err("audience_mismatch"))
    idl("id_token_auth_time_too_old", "auth_time + max_age + leeway < now.",
        tok(auth_time=NOW - 3600 - LEEWAY - 1), err("auth_too_old"), max_age=3600)
    idl("id_token_auth_time_at_max_age_plus_leeway_is_accepted",
        "auth_time + max_age + leeway == now is not older than allowed.",
        tok(auth_time=NOW - 3600 - LEEWAY), ok_id(), max_age=3600)
    idl("id_token_without_auth_time_when_max_age_given_is_missing_claim",
        "max_age is given, so auth_time is required.", tok(auth_time=DROP), err("missing_claim"),
        max_age=3600)
    idl("id_token_auth_time_string_is_invalid_claim", "auth_time is a string.",
        tok(auth_time="yesterday"), err("invalid_claim"))
    idl("id_token_nonce_number_is_invalid_claim", "nonce is a number.",
        tok(nonce=12345), err("invalid_claim"))
    idl("id_token_azp_array_is_invalid_claim", "azp is an array.",
        tok(azp=[CLIENT]), err("invalid_claim"))
    idl("id_token_at_hash_number_is_invalid_claim", "at_hash is a number.",
        tok(at_hash=1), err("invalid_claim"))
    for claim in ("iss", "sub", "aud", "exp", "iat"):
        idl(f"id_token_without_{claim}_is_missing_claim",
            f"ID tokens require {claim} (OIDC Core §2).", tok(**{claim: DROP}), err("missing_claim"))
    idl("id_token_expired", "exp + leeway <= now.",
        tok(exp=NOW - 3600, iat=NOW - 7200), err("expired"))
    idl("id_token_iss_mismatch", "iss names another issuer.",
        tok(iss="https://attacker.example/"), err("issuer_mismatch"))
    idl("id_token_with_client_id_and_scope_claims_is_wrong_type",
        "scope marks an access token: no major provider's ID tokens carry it (crate docs), "
        "so the ID lane refuses it even beside client_id (issue 16 item 4; this case accepted it before).",
        tok(client_id=CLIENT, scope="openid profile"), err("wrong_token_type"))


def scope_cases():
    def t(name, rule, claims, expect, scopes=("read:appointments",)):
        acc(name, rule, token(at_header(), claims, ES1),
            ok_access(claims) if expect == "ok" else err(expect), scopes=scopes)

    t("missing_required_scope_is_insufficient",
      "write:patients is required; the token has read/write:appointments.",
      at_claims(), "insufficient_scope", scopes=("write:patients",))
    t("one_of_two_required_scopes_missing_is_insufficient",
      "Every required scope must be present; admin is not.",
      at_claims(), "insufficient_scope", scopes=("read:appointments", "admin"))
    t("two_required_scopes_present_is_accepted",
      "Both required scopes are present.", at_claims(), "ok",
      scopes=("write:appointments", "read:appointments"))
    t("scope_prefix_is_not_whole_word_match",
      '"read" is required; "read:appointments" is not the whole word "read".',
      at_claims(), "insufficient_scope", scopes=("read",))
    t("scope_superstring_is_not_whole_word_match",
      '"read:appointments" is required; the token has only "xread:appointments".',
      at_claims(scope="xread:appointments"), "insufficient_scope")
    t("scope_tab_is_not_a_delimiter",
      "scope is space-delimited; 'profile<TAB>read:appointments' is one scope token.",
      at_claims(scope="profile\tread:appointments"), "insufficient_scope")
    t("no_scope_or_scp_is_insufficient", "Neither scope nor scp is present.",
      at_claims(scope=DROP), "insufficient_scope")
    t("scp_ignored_when_scope_present",
      "scope is present (without the required scope), so scp is not consulted.",
      at_claims(scope="profile", scp=["read:appointments"]), "insufficient_scope")
    t("scp_array_without_required_scope_is_insufficient",
      "scp array lacks the required scope.",
      at_claims(scope=DROP, scp=["write:appointments"]), "insufficient_scope")


def ordering_cases():
    """When several checks fail, the first in README order decides."""
    claims = at_claims()
    good_sig = segments(GOOD_AT)[2]
    acc("order_two_segments_with_alg_none_is_malformed",
        "Two segments (rule 2) come before the alg check (rule 3).",
        b64u(compact({"alg": "none"})) + "." + b64u(compact(claims)), err("malformed"))
    acc("order_alg_none_before_crit",
        "alg none (unsupported) is checked before crit.",
        token(at_header("none", DROP, crit=["exp"]), claims, None, s64=good_sig),
        err("unsupported_algorithm"))
    acc("order_crit_before_algorithm_not_allowed",
        "crit is refused before the policy's algorithm list is consulted.",
        token(at_header("RS256", "rsa-1", crit=["exp"]), claims, signer("RS256", K.rsa_1)),
        err("unsupported_critical_header"))
    acc("order_algorithm_not_allowed_before_malformed_typ",
        "alg outside the policy is decided before typ's type is checked.",
        token(at_header("RS256", "rsa-1", typ=5), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"))
    acc("order_algorithm_not_allowed_before_wrong_typ",
        "alg outside the policy is decided before typ's value.",
        token(at_header("RS256", "rsa-1", typ="JWT"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"))
    acc("order_malformed_kid_before_wrong_typ",
        "kid not a string (malformed) is checked before typ's value.",
        token(at_header(typ="JWT", kid=5), claims, ES1), err("malformed"))
    acc("order_wrong_typ_before_key_not_found",
        "typ JWT in strict mode is refused before the unknown kid is looked up.",
        token(at_header(typ="JWT", kid="ec-9"), claims, ES1), err("wrong_token_type"))
    acc("order_key_not_found_before_bad_signature",
        "An unknown kid is reported even though the signature is also bad.",
        token(at_header(kid="ec-9"), claims, fixed_sig(bytes(64))), err("key_not_found"))
    acc("order_invalid_signature_before_malformed_payload",
        "A payload that is not JSON is never parsed when the signature fails.",
        token(at_header(), b"not json", signer("ES256", K.ec_2)), err("invalid_signature"))
    acc("order_invalid_signature_before_invalid_claim",
        "Claims are not read before the signature verifies.",
        token(at_header(), at_claims(exp="soon"), signer("ES256", K.ec_2)), err("invalid_signature"))
    acc("order_malformed_payload_before_expired",
        "A duplicate member (malformed) is found before claims are judged.",
        token(at_header(), sub1(compact(at_claims(exp=NOW - 3600)), b'"jti":', b'"sub":"x","jti":'), ES1),
        err("malformed"))
    acc("order_invalid_claim_before_missing_claim",
        "exp is a string (invalid) while jti is missing.",
        token(at_header(), at_claims(exp="soon", jti=DROP), ES1), err("invalid_claim"))
    acc("order_invalid_claim_before_wrong_type",
        "exp is a string (invalid) in a token that also carries nonce.",
        token(at_header(), at_claims(exp="soon", nonce=NONCE), ES1), err("invalid_claim"))
    acc("order_wrong_type_before_missing_claim",
        "A nonce (ID mark) is found before the missing jti.",
        token(at_header(), at_claims(nonce=NONCE, jti=DROP), ES1), err("wrong_token_type"))
    acc("order_missing_claim_before_issuer_mismatch",
        "jti is missing and iss is wrong.",
        token(at_header(), at_claims(jti=DROP, iss="https://attacker.example/"), ES1),
        err("missing_claim"))
    acc("order_issuer_mismatch_before_audience_mismatch",
        "iss and aud are both wrong.",
        token(at_header(), at_claims(iss="https://attacker.example/", aud="https://other.example"), ES1),
        err("issuer_mismatch"))
    acc("order_audience_mismatch_before_expired",
        "aud is wrong and the token is expired.",
        token(at_header(), at_claims(aud="https://other.example", exp=NOW - 3600, iat=NOW - 7200), ES1),
        err("audience_mismatch"))
    acc("order_expired_before_not_yet_valid",
        "exp is past and nbf is in the future.",
        token(at_header(), at_claims(exp=NOW - 3600, nbf=NOW + 3600), ES1), err("expired"))
    acc("order_not_yet_valid_before_insufficient_scope",
        "nbf is in the future and the required scope is missing.",
        token(at_header(), at_claims(nbf=NOW + 3600, scope="profile"), ES1), err("not_yet_valid"))
    rs1 = signer("RS256", K.rsa_1)
    idl("order_id_expired_before_nonce_mismatch",
        "An expired ID token with the wrong nonce.",
        token(id_header(), id_claims(exp=NOW - 3600, iat=NOW - 7200, nonce="x"), rs1), err("expired"))
    idl("order_id_multiple_aud_without_azp_before_nonce_mismatch",
        "aud has several values without azp, and the nonce is wrong.",
        token(id_header(), id_claims(aud=[CLIENT, API], nonce="x"), rs1), err("missing_claim"))
    idl("order_id_azp_mismatch_before_nonce_mismatch",
        "azp is wrong and so is the nonce.",
        token(id_header(), id_claims(azp="other-client", nonce="x"), rs1), err("azp_mismatch"))
    idl("order_id_nonce_mismatch_before_auth_too_old",
        "The nonce is wrong and auth_time is too old.",
        token(id_header(), id_claims(nonce="x", auth_time=NOW - 86400), rs1), err("nonce_mismatch"),
        max_age=3600)
    idl("order_id_auth_too_old_before_at_hash_mismatch",
        "auth_time is too old and at_hash is wrong.",
        token(id_header(), id_claims(auth_time=NOW - 86400, at_hash="AAAAAAAAAAAAAAAAAAAAAA"), rs1),
        err("auth_too_old"), max_age=3600, access_token=GOOD_AT)


# --------------------------------------------------------------------------
# key loading cases


KEY_CASES = []


def key_case(name, rule, source, expect):
    assert name not in {c["name"] for c in KEY_CASES}, name
    KEY_CASES.append({"name": name, "rule": rule, "source": source, "expect": expect})


def loaded(n, skipped=0):
    return {"loaded": n, "skipped": skipped}


def fake_rsa_jwk(bits, e=65537, kid="rsa-x"):
    """An RSA public JWK with an odd modulus of exactly `bits` bits. Loading
    checks sizes and the exponent, not primality, so no private key is needed."""
    n = (1 << (bits - 1)) | int.from_bytes(hashlib.shake_256(b"tokenlane modulus").digest(bits // 8 + 1), "big") % (1 << (bits - 1)) | 1
    assert n.bit_length() == bits
    return {"kty": "RSA", "kid": kid, "use": "sig", "n": b64u(uint_bytes(n)), "e": b64u(uint_bytes(e))}


def build_key_cases():
    rsa1 = K.rsa_1.public_key()
    ec1 = K.ec_1.public_key()
    good_rsa = jwk_rsa(rsa1, "rsa-1", use="sig")
    good_ec = jwk_ec(ec1, "ec-1", use="sig")
    key_case("rsa_2048_jwk_loads", "An RSA-2048 signing JWK loads.", src_jwks(good_rsa), loaded(1))
    key_case("ec_p256_jwk_loads", "A P-256 signing JWK loads.", src_jwks(good_ec), loaded(1))
    key_case("oct_32_byte_jwk_loads", "A 32-byte oct JWK loads.", src_jwks(jwk_oct(K.hs_32, "hs-32")), loaded(1))
    key_case("rsa_spki_pem_loads", "An RSA-2048 SPKI PEM loads.", src_pem(rsa1), loaded(1))
    key_case("rsa_spki_der_loads", "An RSA-2048 SPKI DER loads.", src_der(rsa1, "rsa-1", "RS256"), loaded(1))
    key_case("ec_spki_pem_loads", "A P-256 SPKI PEM loads.", src_pem(ec1, "ec-1"), loaded(1))
    key_case("secret_32_bytes_loads", "A 32-byte HMAC secret loads.", src_secret(K.hs_32, "hs-32"), loaded(1))
    key_case("secret_64_bytes_loads", "A 64-byte HMAC secret loads.", src_secret(K.hs_64, "hs-64", "HS512"), loaded(1))
    key_case("rsa_8192_bit_modulus_loads", "An 8192-bit modulus is at the upper bound.",
             src_jwks(fake_rsa_jwk(8192)), loaded(1))
    key_case("rsa_exponent_3_loads", "e = 3 is odd and at least 3.",
             src_jwks(dict(good_rsa, e=b64u(b"\x03"))), loaded(1))

    key_case("rsa_1024_jwk_is_invalid", "A 1024-bit RSA modulus is under 2048 bits.",
             src_jwks(jwk_rsa(K.rsa_1024.public_key(), "rsa-1024", use="sig")), {"error": "invalid_key"})
    key_case("rsa_1024_pem_is_invalid", "A 1024-bit RSA modulus in SPKI PEM is under 2048 bits.",
             src_pem(K.rsa_1024.public_key()), {"error": "invalid_key"})
    key_case("rsa_2047_bit_modulus_is_invalid", "A 2047-bit modulus is under 2048 bits.",
             src_jwks(fake_rsa_jwk(2047)), {"error": "invalid_key"})
    key_case("rsa_8193_bit_modulus_is_invalid", "An 8193-bit modulus is over 8192 bits.",
             src_jwks(fake_rsa_jwk(8193)), {"error": "invalid_key"})
    for label, e, why in (("1", 1, "e = 1 makes the signature equal the message"),
                          ("2", 2, "e = 2 is even"),
                          ("65536", 65536, "e = 65536 is even"),
                          ("2_pow_32_plus_1", 2**32 + 1, "e = 2^32 + 1 is over 2^32")):
        key_case(f"rsa_exponent_{label}_is_invalid", why + ".",
                 src_jwks(dict(good_rsa, e=b64u(uint_bytes(e)))), {"error": "invalid_key"})
    nums = ec1.public_numbers()
    off = dict(good_ec, y=b64u(uint_bytes((nums.y + 1) % (2**256), 32)))
    key_case("ec_point_off_curve_is_invalid", "y + 1: the point is not on P-256.",
             src_jwks(off), {"error": "invalid_key"})
    key_case("ec_point_zero_is_invalid", "x = y = 0 is not a point on P-256.",
             src_jwks(dict(good_ec, x=b64u(bytes(32)), y=b64u(bytes(32)))), {"error": "invalid_key"})
    key_case("ec_p384_jwk_loads", "A P-384 signing JWK loads (ES384, issue 20).",
             src_jwks(jwk_ec(K.ec_p384.public_key(), "ec-384", use="sig")), loaded(1))
    key_case("ec_p384_pem_loads", "A P-384 SPKI PEM loads (ES384, issue 20).",
             src_pem(K.ec_p384.public_key()), loaded(1))
    key_case("secret_31_bytes_is_invalid", "An HMAC secret of 31 bytes is under 32.",
             src_secret(K.hs_32[:31], "hs-31"), {"error": "invalid_key"})
    key_case("oct_jwk_31_bytes_is_invalid", "An oct JWK of 31 bytes is under 32.",
             src_jwks(jwk_oct(K.hs_32[:31], "hs-31")), {"error": "invalid_key"})
    key_case("rsa_n_with_padding_is_invalid", "n ends in '=' padding (not strict base64url).",
             src_jwks(dict(good_rsa, n=padded(good_rsa["n"]))), {"error": "invalid_key"})
    key_case("rsa_n_with_standard_alphabet_is_invalid", "n uses '+' and '/' (standard base64, not base64url).",
             src_jwks(dict(good_rsa, n="+/" + good_rsa["n"][2:])), {"error": "invalid_key"})
    key_case("ec_x_with_invalid_character_is_invalid", "x holds '!', outside the base64url alphabet.",
             src_jwks(dict(good_ec, x="!" + good_ec["x"][1:])), {"error": "invalid_key"})
    # (the base64url of "der"/"secret" sources is only the file's transport
    # encoding: the core is handed the decoded bytes, so bad DER is tested,
    # not bad base64)
    key_case("der_truncated_is_invalid", "The SPKI DER is cut short by 10 bytes.",
             {"kind": "der", "data": b64u(der_of(ec1)[:-10]), "kid": None, "alg": None}, {"error": "invalid_key"})
    key_case("pem_truncated_is_invalid", "The PEM body is cut in half.",
             {"kind": "pem", "data": pem_of(rsa1).decode()[:200], "kid": None, "alg": None}, {"error": "invalid_key"})
    no_e = {k: v for k, v in good_rsa.items() if k != "e"}
    key_case("rsa_jwk_without_e_is_invalid", "The RSA JWK lacks e.", src_jwks(no_e), {"error": "invalid_key"})
    no_y = {k: v for k, v in good_ec.items() if k != "y"}
    key_case("ec_jwk_without_y_is_invalid", "The EC JWK lacks y.", src_jwks(no_y), {"error": "invalid_key"})
    key_case("oct_jwk_without_k_is_invalid", "The oct JWK lacks k.",
             src_jwks({"kty": "oct", "kid": "hs-x"}), {"error": "invalid_key"})
    key_case("jwks_without_keys_member_is_invalid", "The JWKS document has no keys member.",
             {"kind": "jwks", "data": compact(good_rsa).decode()}, {"error": "invalid_key"})
    key_case("jwks_with_empty_keys_is_invalid", "The JWKS holds no key at all.",
             src_jwks(), {"error": "invalid_key"})

    rsa_enc = jwk_rsa(K.rsa_2.public_key(), "rsa-enc", use="enc")
    ed448 = ED448_JWK
    key_case("jwks_with_sig_enc_and_unknown_kty_loads_one_skips_two",
             "The sig key loads; the use=enc key and the OKP Ed448 key (not implemented) are skipped and reported.",
             src_jwks(good_ec, rsa_enc, ed448), loaded(1, 2))
    key_case("jwks_of_only_enc_keys_is_invalid", "Every key has use enc: no usable key.",
             src_jwks(rsa_enc, jwk_ec(ec1, "ec-enc", use="enc")), {"error": "invalid_key"})
    key_case("jwks_key_ops_encrypt_is_skipped", "A key whose key_ops lack verify is skipped.",
             src_jwks(good_ec, jwk_rsa(K.rsa_2.public_key(), "rsa-ops", key_ops=["encrypt"])), loaded(1, 1))
    key_case("jwks_key_ops_verify_loads", "key_ops containing verify is usable.",
             src_jwks(jwk_ec(ec1, "ec-1", key_ops=["verify"])), loaded(1))
    key_case("jwks_unimplemented_alg_is_skipped", "A key whose alg is not implemented (RSA-OAEP) is skipped.",
             src_jwks(good_ec, jwk_rsa(K.rsa_2.public_key(), "rsa-oaep", alg="RSA-OAEP")), loaded(1, 1))
    key_case("jwks_es512_alg_is_skipped", "A P-256 JWK pinned to alg ES512 (which needs a P-521 key) does not fit its alg: skipped.",
             src_jwks(good_rsa, jwk_ec(ec1, "ec-512", alg="ES512")), loaded(1, 1))
    key_case("jwks_of_only_ed448_keys_is_invalid", "OKP Ed448 is not implemented (issue 20: Ed448 stays unsupported): no usable key.",
             src_jwks(ed448), {"error": "invalid_key"})
    key_case("jwks_all_keys_loads_six", "The 'all' key set's JWKS: two RSA, two P-256, two secrets.",
             KEYSETS["all"][0], loaded(6))


# --------------------------------------------------------------------------
# ES384, ES512, EdDSA / Ed25519 (issue 20). Kept in their own block.

# (JWS alg, kid, key name) of each new algorithm's signing key.
NEW_ALGS = (("ES384", "ec-384", "ec_p384"), ("ES512", "ec-521", "ec_p521"),
            ("EdDSA", "ed-1", "ed_1"), ("Ed25519", "ed-1", "ed_1"))


def build_new_alg_keysets() -> None:
    p384, p521, ed1 = K.ec_p384.public_key(), K.ec_p521.public_key(), K.ed_1.public_key()
    keyset("new_algs",
           [src_jwks(jwk_ec(p384, "ec-384", use="sig"), jwk_ec(p521, "ec-521", use="sig"),
                     jwk_okp(ed1, "ed-1", use="sig"))],
           [Entry("ec-384", p384), Entry("ec-521", p521), Entry("ed-1", ed1)])
    keyset("new_algs_pinned",
           [src_jwks(jwk_ec(p384, "ec-384", alg="ES384"), jwk_ec(p521, "ec-521", alg="ES512"),
                     jwk_okp(ed1, "ed-1", alg="Ed25519"))],
           [Entry("ec-384", p384, "ES384"), Entry("ec-521", p521, "ES512"),
            Entry("ed-1", ed1, "Ed25519")])
    keyset("p384_der", [src_der(p384)], [Entry(None, p384)])
    keyset("p521_pem", [src_pem(p521)], [Entry(None, p521)])
    keyset("ed25519_pem", [src_pem(ed1)], [Entry(None, ed1)])
    keyset("ed25519_der", [src_der(ed1)], [Entry(None, ed1)])


def new_alg_cases():
    claims = at_claims()
    for alg, kid, key in NEW_ALGS:
        sk = getattr(K, key)
        a = alg.lower()
        acc(f"access_{a}_strict_is_accepted",
            f"An {alg} access token (kid {kid}, minted by cryptography) verifies with its JWKS key.",
            token(at_header(alg, kid), claims, signer(alg, sk)), ok_access(claims),
            keyset_name="new_algs", algorithms=[alg])
        good = token(at_header(alg, kid), claims, signer(alg, sk))
        h64, p64, s64 = segments(good)
        sig = b64u_decode(s64)
        for label, bad in (("one_byte_short", sig[:-1]), ("one_byte_long", sig + b"\x00")):
            acc(f"access_{a}_signature_{label}_is_invalid_signature",
                f"{alg} signatures have exactly {len(sig)} bytes (raw R||S / RFC 8032); {len(bad)} is refused.",
                f"{h64}.{p64}.{b64u(bad)}", err("invalid_signature"),
                keyset_name="new_algs", algorithms=[alg])
        acc(f"access_{a}_not_in_policy_is_not_allowed",
            f"A valid {alg} token against a policy allowing only ES256.",
            good, err("algorithm_not_allowed"), keyset_name="new_algs")
    # each SPKI encoding, without kid
    for alg, key, ks in (("ES384", "ec_p384", "p384_der"), ("ES512", "ec_p521", "p521_pem"),
                         ("EdDSA", "ed_1", "ed25519_pem"), ("Ed25519", "ed_1", "ed25519_der")):
        acc(f"access_{alg.lower()}_with_{ks}_key_is_accepted",
            f"An {alg} token without kid verifies with the key loaded as {ks.replace('_', ' ')}.",
            token(at_header(alg, DROP), claims, signer(alg, getattr(K, key))), ok_access(claims),
            keyset_name=ks, algorithms=[alg])
    # the ES256 signature length under ES512
    es512 = token(at_header("ES512", "ec-521"), claims, signer("ES512", K.ec_p521))
    h64, p64, s64 = segments(es512)
    acc("access_es512_with_96_byte_signature_is_invalid_signature",
        "An ES512 signature cut to 96 bytes (the ES384 length) is refused.",
        f"{h64}.{p64}.{b64u(b64u_decode(s64)[:96])}", err("invalid_signature"),
        keyset_name="new_algs", algorithms=["ES512"])
    # strict alg/key binding
    acc("es512_token_with_kid_of_p384_key_is_not_allowed",
        "kid ec-384 names a P-384 key, which verifies ES384 only; the token says ES512.",
        token(at_header("ES512", "ec-384"), claims, signer("ES384", K.ec_p384)),
        err("algorithm_not_allowed"), keyset_name="new_algs", algorithms=["ES384", "ES512"])
    acc("es384_token_with_kid_of_p521_key_is_not_allowed",
        "kid ec-521 names a P-521 key, which verifies ES512 only; the token says ES384.",
        token(at_header("ES384", "ec-521"), claims, signer("ES512", K.ec_p521)),
        err("algorithm_not_allowed"), keyset_name="new_algs", algorithms=["ES384", "ES512"])
    acc("es256_token_with_kid_of_ed25519_key_is_not_allowed",
        "kid ed-1 names an Ed25519 key, which never verifies ES256.",
        token(at_header("ES256", "ed-1"), claims, fixed_sig(b"\x01" * 64)),
        err("algorithm_not_allowed"), keyset_name="new_algs", algorithms=["ES256", "EdDSA"])
    acc("eddsa_token_with_kid_of_p384_key_is_not_allowed",
        "kid ec-384 names a P-384 key, which never verifies EdDSA.",
        token(at_header("EdDSA", "ec-384"), claims, signer("EdDSA", K.ed_1)),
        err("algorithm_not_allowed"), keyset_name="new_algs", algorithms=["ES384", "EdDSA"])
    acc("eddsa_token_without_kid_and_only_p384_key_has_no_key",
        "No kid; the only key is P-384, which does not fit EdDSA.",
        token(at_header("EdDSA", DROP), claims, signer("EdDSA", K.ed_1)),
        err("key_not_found"), keyset_name="p384_der", algorithms=["ES384", "EdDSA"])
    acc("eddsa_token_with_key_pinned_to_ed25519_is_not_allowed",
        "The JWK pins alg Ed25519 (RFC 9864); a pin is exact, so an EdDSA token does not fit.",
        token(at_header("EdDSA", "ed-1"), claims, signer("EdDSA", K.ed_1)),
        err("algorithm_not_allowed"), keyset_name="new_algs_pinned", algorithms=["EdDSA", "Ed25519"])
    acc("ed25519_token_with_key_pinned_to_ed25519_is_accepted",
        "The JWK pins alg Ed25519 and the token says Ed25519.",
        token(at_header("Ed25519", "ed-1"), claims, signer("Ed25519", K.ed_1)), ok_access(claims),
        keyset_name="new_algs_pinned", algorithms=["EdDSA", "Ed25519"])
    acc("ed25519_name_not_in_policy_allowing_eddsa_is_not_allowed",
        "The policy allows EdDSA only; Ed25519 is a name of its own in the policy.",
        token(at_header("Ed25519", "ed-1"), claims, signer("Ed25519", K.ed_1)),
        err("algorithm_not_allowed"), keyset_name="new_algs", algorithms=["EdDSA"])
    acc("eddsa_signature_by_other_key_is_invalid_signature",
        "An EdDSA token for kid ed-1 signed by a different Ed25519 key.",
        token(at_header("EdDSA", "ed-1"), claims,
              signer("EdDSA", ed25519.Ed25519PrivateKey.from_private_bytes(
                  hashlib.sha256(b"tokenlane: an Ed25519 key in no key set").digest()))),
        err("invalid_signature"), keyset_name="new_algs", algorithms=["EdDSA"])
    # HS256 keyed with the new public keys in each encoding
    for kty, pub, kid, asym_alg, nokid_set in (
            ("p384", K.ec_p384.public_key(), "ec-384", "ES384", "p384_der"),
            ("p521", K.ec_p521.public_key(), "ec-521", "ES512", "p521_pem"),
            ("ed25519", K.ed_1.public_key(), "ed-1", "EdDSA", "ed25519_pem")):
        jwk = jwk_okp(pub, kid, use="sig") if kty == "ed25519" else jwk_ec(pub, kid, use="sig")
        for enc, secret in {"pem": pem_of(pub), "der": der_of(pub), "jwk_json": compact(jwk)}.items():
            hs = signer("HS256", secret)
            acc(f"hs256_keyed_with_{kty}_public_{enc}_and_its_kid_does_not_fit",
                f"Policy wrongly allows {asym_alg} and HS256; kid {kid} names a {kty} key, which never fits HS256.",
                token(at_header("HS256", kid), claims, hs), err("algorithm_not_allowed"),
                keyset_name="new_algs", algorithms=[asym_alg, "HS256"])
            acc(f"hs256_keyed_with_{kty}_public_{enc}_without_kid_has_no_key",
                f"Policy wrongly allows {asym_alg} and HS256; without kid no key in the set is a secret.",
                token(at_header("HS256", DROP), claims, hs), err("key_not_found"),
                keyset_name=nokid_set, algorithms=[asym_alg, "HS256"])
    # at_hash per algorithm (SHA-384, SHA-512, SHA-512 for Ed25519)
    for alg, kid, key in NEW_ALGS:
        sk = getattr(K, key)
        bits = "512" if alg in EDDSA_ALGS else alg[2:]
        idl(f"id_token_{alg.lower()}_with_sha{bits}_at_hash_is_accepted",
            f"at_hash of a {alg} ID token is the left half of SHA-{bits} of the access token"
            + (" (Ed25519: SHA-512, openid/connect issue 1125)." if alg in EDDSA_ALGS else "."),
            token(id_header(alg, kid), id_claims(at_hash=at_hash(GOOD_AT, alg)), signer(alg, sk)),
            ok_id(), keyset_name="new_algs", algorithms=[alg], access_token=GOOD_AT)
        idl(f"id_token_{alg.lower()}_with_sha256_at_hash_is_at_hash_mismatch",
            f"A {alg} ID token whose at_hash was computed with SHA-256 instead of SHA-{bits}.",
            token(id_header(alg, kid), id_claims(at_hash=at_hash(GOOD_AT, "RS256")), signer(alg, sk)),
            err("at_hash_mismatch"), keyset_name="new_algs", algorithms=[alg], access_token=GOOD_AT)


ED25519_P = 2**255 - 19


def new_alg_key_cases():
    p384, p521, ed1 = K.ec_p384.public_key(), K.ec_p521.public_key(), K.ed_1.public_key()
    ec1 = K.ec_1.public_key()
    j384, j521, jed = jwk_ec(p384, "ec-384", use="sig"), jwk_ec(p521, "ec-521", use="sig"), jwk_okp(ed1, "ed-1", use="sig")
    j256 = jwk_ec(ec1, "ec-1", use="sig")
    key_case("ec_p521_jwk_loads", "A P-521 signing JWK (66-byte coordinates) loads.", src_jwks(j521), loaded(1))
    key_case("ec_p521_pem_loads", "A P-521 SPKI PEM loads.", src_pem(p521), loaded(1))
    key_case("ec_p384_der_loads", "A P-384 SPKI DER loads.", src_der(p384, "ec-384", "ES384"), loaded(1))
    key_case("okp_ed25519_jwk_loads", "An OKP Ed25519 JWK (RFC 8037) loads.", src_jwks(jed), loaded(1))
    key_case("ed25519_pem_loads", "An Ed25519 SPKI PEM (RFC 8410) loads.", src_pem(ed1), loaded(1))
    key_case("ed25519_der_loads", "An Ed25519 SPKI DER loads, pinned to EdDSA.", src_der(ed1, "ed-1", "EdDSA"), loaded(1))
    key_case("okp_ed25519_jwk_pinned_to_es256_is_skipped",
             "An Ed25519 JWK whose alg is ES256 does not fit its alg: skipped, the other key loads.",
             src_jwks(j256, dict(jed, alg="ES256")), loaded(1, 1))
    # crv mismatches
    key_case("ec_jwk_crv_p384_with_p256_coordinates_is_invalid",
             "crv P-384 but 32-byte (P-256) coordinates: the coordinates do not have the curve's length.",
             src_jwks(dict(j256, crv="P-384")), {"error": "invalid_key"})
    key_case("ec_jwk_crv_p256_with_p384_coordinates_is_invalid",
             "crv P-256 but 48-byte (P-384) coordinates.",
             src_jwks(dict(j384, crv="P-256")), {"error": "invalid_key"})
    key_case("ec_jwk_crv_p521_with_p384_coordinates_is_invalid",
             "crv P-521 but 48-byte (P-384) coordinates.",
             src_jwks(dict(j384, crv="P-521")), {"error": "invalid_key"})
    key_case("ec_jwk_crv_p384_with_p521_coordinates_is_invalid",
             "crv P-384 but 66-byte (P-521) coordinates.",
             src_jwks(dict(j521, crv="P-384")), {"error": "invalid_key"})
    key_case("okp_jwk_with_y_is_invalid",
             "kty OKP crv Ed25519 carrying a y member (an EC key relabelled): refused, not guessed.",
             src_jwks(dict(jed, y=j256["y"])), {"error": "invalid_key"})
    key_case("okp_ed25519_x_not_on_curve_is_invalid",
             "x encodes y = 2, for which no x satisfies the edwards25519 equation: not a point.",
             src_jwks({"kty": "OKP", "kid": "ed-x", "crv": "Ed25519", "x": b64u(b"\x02" + bytes(31))}),
             {"error": "invalid_key"})
    key_case("ec_jwk_with_crv_ed25519_is_invalid",
             "kty EC with crv Ed25519 is no EC curve tokenlane knows: skipped, so no usable key.",
             src_jwks(dict(j256, crv="Ed25519")), {"error": "invalid_key"})
    key_case("okp_jwk_with_crv_p256_is_invalid",
             "kty OKP with crv P-256 is not an OKP curve: skipped, so no usable key.",
             src_jwks(dict(jed, crv="P-256")), {"error": "invalid_key"})
    key_case("okp_jwk_escaped_crv_value_loads",
             "crv \"Ed\\u00325519\" is Ed25519: crv compares by its unescaped value, like kty and alg.",
             raw_jwks(sub1(compact(jed), b'"Ed25519"', b'"Ed\\u00325519"')), loaded(1))
    key_case("ec_jwk_escaped_crv_value_loads",
             "crv \"P\\u002d384\" is P-384.",
             raw_jwks(sub1(compact(j384), b'"P-384"', b'"P\\u002d384"')), loaded(1))
    key_case("okp_x25519_jwk_is_skipped",
             "OKP X25519 is a key-agreement key, never a verification key: skipped.",
             src_jwks(j256, dict(jed, kid="x25519", crv="X25519")), loaded(1, 1))
    # Ed25519 point validation
    key_case("okp_ed25519_x_of_31_bytes_is_invalid", "x must be 32 bytes.",
             src_jwks(dict(jed, x=b64u(b64u_decode(jed["x"])[:31]))), {"error": "invalid_key"})
    key_case("okp_ed25519_identity_point_is_invalid",
             "x encodes the identity (y = 1): a small-order key, refused at load.",
             src_jwks(dict(jed, x=b64u(b"\x01" + bytes(31)))), {"error": "invalid_key"})
    key_case("okp_ed25519_order_2_point_is_invalid",
             "x encodes (0, -1), the point of order 2: small order, refused at load.",
             src_jwks(dict(jed, x=b64u((ED25519_P - 1).to_bytes(32, "little")))), {"error": "invalid_key"})
    key_case("okp_ed25519_non_canonical_identity_is_invalid",
             "x encodes y = p + 1 (non-canonical, reduces to the identity): refused at load.",
             src_jwks(dict(jed, x=b64u((ED25519_P + 1).to_bytes(32, "little")))), {"error": "invalid_key"})
    key_case("okp_ed25519_negative_zero_x_is_invalid",
             "y = 1 with the sign bit set: x = 0 has no negative, a non-canonical encoding.",
             src_jwks(dict(jed, x=b64u(b"\x01" + bytes(30) + b"\x80"))), {"error": "invalid_key"})
    key_case("ed25519_spki_small_order_is_invalid",
             "An Ed25519 SPKI DER whose key is the identity point.",
             {"kind": "der", "data": b64u(der_of(ed1)[:-32] + b"\x01" + bytes(31)), "kid": None, "alg": None},
             {"error": "invalid_key"})
    key_case("ed448_spki_is_invalid",
             "An Ed448 SPKI (OID 1.3.101.113): Ed448 is not implemented.",
             {"kind": "der", "data": b64u(bytes.fromhex("3043300506032b6571033a00") + hashlib.shake_256(b"ed448").digest(57)),
              "kid": None, "alg": None}, {"error": "invalid_key"})
    # the new public keys handed over as HMAC secrets
    for kty, pub, jwk in (("p384", p384, j384), ("p521", p521, j521), ("ed25519", ed1, jed)):
        body = b"".join(line for line in pem_of(pub).splitlines() if not line.startswith(b"-----"))
        for enc, secret in (("spki_pem", pem_of(pub)), ("spki_der", der_of(pub)),
                            ("jwk_json", compact(jwk)), ("spki_base64_body", body)):
            assert len(secret) >= 32
            key_case(f"secret_that_is_{kty}_{enc}_is_invalid",
                     f"An HMAC secret that is the {kty} public key ({enc}): refused at load.",
                     src_secret(secret, "hs-x"), {"error": "invalid_key"})


# --------------------------------------------------------------------------
# key documents: escaped member names, private members, minimal integers,
# public keys handed over as HMAC secrets, kid-less fan-out (issue 16 items
# 1, 3, 10, 11, 12)


def raw_jwks(*jwk_texts: bytes) -> dict:
    """A JWKS source from JWK texts written by hand (escaped member names)."""
    return {"kind": "jwks", "data": (b'{"keys":[' + b",".join(jwk_texts) + b"]}").decode()}


def private_jwk_rsa(priv, kid) -> dict:
    nums = priv.private_numbers()
    jwk = jwk_rsa(priv.public_key(), kid, use="sig")
    for name, val in (("d", nums.d), ("p", nums.p), ("q", nums.q), ("dp", nums.dmp1),
                      ("dq", nums.dmq1), ("qi", nums.iqmp)):
        jwk[name] = b64u(uint_bytes(val))
    return jwk


def parse_keys_keysets():
    rsa1 = K.rsa_1.public_key()
    # rsa-1 pinned to PS256 by an escaped member name ("\u0061lg" is "alg").
    pinned = sub1(compact(jwk_rsa(rsa1, "rsa-1", use="sig", alg="PS256")), b'"alg"', b'"\\u0061lg"')
    keyset("rsa_escaped_alg_ps256", [raw_jwks(pinned)], [Entry("rsa-1", rsa1, "PS256")])
    pinned_value = sub1(compact(jwk_rsa(rsa1, "rsa-1", use="sig", alg="PS256")), b'"PS256"', b'"P\\u0053256"')
    keyset("rsa_escaped_alg_value_ps256", [raw_jwks(pinned_value)], [Entry("rsa-1", rsa1, "PS256")])
    # Kid-less HMAC secrets: three may be tried, a fourth refuses the token.
    secrets = [hashlib.sha256(b"tokenlane kidless %d" % i).digest() for i in range(4)]
    keyset("hmac_three_kidless", [src_secret(x) for x in secrets[:3]],
           [Entry(None, x) for x in secrets[:3]])
    keyset("hmac_four_kidless", [src_secret(x) for x in secrets],
           [Entry(None, x) for x in secrets])
    return secrets


def parse_keys_cases(secrets):
    claims = at_claims()
    acc("rs256_with_jwk_pinned_to_ps256_by_escaped_alg_is_not_allowed",
        "rsa-1's JWK writes its member name as \"\\u0061lg\" (= alg) with PS256: the pin applies, so an RS256 token does not fit.",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"), keyset_name="rsa_escaped_alg_ps256",
        algorithms=["RS256", "PS256"])
    acc("ps256_with_jwk_pinned_to_ps256_by_escaped_alg_is_accepted",
        "The escaped alg pin PS256 serves a PS256 token.",
        token(at_header("PS256", "rsa-1"), claims, signer("PS256", K.rsa_1)),
        ok_access(claims), keyset_name="rsa_escaped_alg_ps256", algorithms=["PS256"])
    acc("rs256_with_jwk_alg_value_escaped_ps256_is_not_allowed",
        "rsa-1's JWK alg value is \"P\\u0053256\" (= PS256): the pin applies to the unescaped value.",
        token(at_header("RS256", "rsa-1"), claims, signer("RS256", K.rsa_1)),
        err("algorithm_not_allowed"), keyset_name="rsa_escaped_alg_value_ps256",
        algorithms=["RS256", "PS256"])
    acc("ps256_with_jwk_alg_value_escaped_ps256_is_accepted",
        "The escaped alg value PS256 serves a PS256 token.",
        token(at_header("PS256", "rsa-1"), claims, signer("PS256", K.rsa_1)),
        ok_access(claims), keyset_name="rsa_escaped_alg_value_ps256", algorithms=["PS256"])
    acc("hs256_without_kid_against_three_fitting_secrets_is_accepted",
        "Without kid, up to MAX_KIDLESS_CANDIDATES (3) fitting keys are tried; the third verifies.",
        token(at_header("HS256", DROP), claims, signer("HS256", secrets[2])),
        ok_access(claims), keyset_name="hmac_three_kidless", algorithms=["HS256"])
    acc("hs256_without_kid_against_four_fitting_secrets_has_no_key",
        "Without kid and with four fitting keys (over MAX_KIDLESS_CANDIDATES = 3), the token is refused before any signature work, even though the first key signed it.",
        token(at_header("HS256", DROP), claims, signer("HS256", secrets[0])),
        err("key_not_found"), keyset_name="hmac_four_kidless", algorithms=["HS256"])
    acc("hs256_with_kid_against_four_secrets_is_not_bounded",
        "The kid-less bound does not apply to a token with kid: no key has kid hs-x, so key_not_found, as for any unknown kid.",
        token(at_header("HS256", "hs-x"), claims, signer("HS256", secrets[0])),
        err("key_not_found"), keyset_name="hmac_four_kidless", algorithms=["HS256"])

    rsa1, rsa2 = K.rsa_1.public_key(), K.rsa_2.public_key()
    ec1 = K.ec_1.public_key()
    good_ec = jwk_ec(ec1, "ec-1", use="sig")
    good_rsa = jwk_rsa(rsa1, "rsa-1", use="sig")
    # 1. escaped member names
    enc = sub1(compact(jwk_rsa(rsa2, "rsa-enc", use="enc")), b'"use"', b'"\\u0075se"')
    key_case("jwk_escaped_use_enc_is_skipped",
             "\"\\u0075se\":\"enc\" is use=enc: the key is skipped, not loaded with its use ignored.",
             raw_jwks(compact(good_ec), enc), loaded(1, 1))
    ops = sub1(compact(jwk_rsa(rsa2, "rsa-ops", key_ops=["encrypt"])), b'"key_ops"', b'"key\\u005fops"')
    key_case("jwk_escaped_key_ops_encrypt_is_skipped",
             "\"key\\u005fops\":[\"encrypt\"] lacks verify: the key is skipped.",
             raw_jwks(compact(good_ec), ops), loaded(1, 1))
    only_enc = sub1(compact(jwk_ec(ec1, "ec-enc", use="enc")), b'"use"', b'"\\u0075se"')
    key_case("jwks_of_only_escaped_use_enc_key_is_invalid",
             "The only key is use=enc written with an escaped name: no usable key.",
             raw_jwks(only_enc), {"error": "invalid_key"})
    kty = sub1(compact(good_ec), b'"kty"', b'"\\u006bty"')
    key_case("jwk_escaped_kty_loads",
             "\"\\u006bty\" is kty: the key loads like its plain twin.",
             raw_jwks(kty), loaded(1))
    key_case("jwk_escaped_kty_value_loads",
             "kty written as \"\\u0045C\" (= EC) is EC: values compare unescaped, like names.",
             raw_jwks(sub1(compact(good_ec), b'"EC"', b'"\\u0045C"')), loaded(1))
    # 10. private members
    key_case("jwks_rsa_private_key_is_skipped",
             "An RSA JWK with d, p, q, dp, dq, qi is a leaked private key: skipped (private_key), the public EC key loads.",
             src_jwks(good_ec, private_jwk_rsa(K.rsa_2, "rsa-priv")), loaded(1, 1))
    ec_priv = dict(jwk_ec(ec1, "ec-priv", use="sig"),
                   d=b64u(uint_bytes(K.ec_1.private_numbers().private_value, 32)))
    key_case("jwks_of_only_ec_private_key_is_invalid",
             "The only key is an EC JWK with d: skipped as a private key, so no usable key.",
             src_jwks(ec_priv), {"error": "invalid_key"})
    key_case("jwks_rsa_key_with_k_member_is_skipped",
             "An RSA JWK carrying a k (secret) member is treated as private material and skipped.",
             src_jwks(good_ec, dict(jwk_rsa(rsa2, "rsa-k", use="sig"), k=b64u(K.hs_32))), loaded(1, 1))
    key_case("jwks_rsa_key_with_escaped_d_is_skipped",
             "\"\\u0064\" is d: the private member is found by its unescaped name.",
             raw_jwks(compact(good_ec),
                      sub1(compact(private_jwk_rsa(K.rsa_2, "rsa-priv")), b'"d"', b'"\\u0064"')),
             loaded(1, 1))
    # 12. minimal integers
    key_case("rsa_n_with_leading_zero_byte_is_invalid",
             "n has a leading zero byte; RFC 7518 6.3.1.1 requires the minimal encoding.",
             src_jwks(dict(good_rsa, n=b64u(b"\x00" + uint_bytes(rsa1.public_numbers().n)))),
             {"error": "invalid_key"})
    key_case("rsa_e_with_leading_zero_byte_is_invalid",
             "e is 00 01 00 01 (AQAB with a leading zero byte): not minimal.",
             src_jwks(dict(good_rsa, e=b64u(b"\x00\x01\x00\x01"))), {"error": "invalid_key"})
    for label, e in (("65539", 65539), ("2_pow_32_minus_1", 2**32 - 1)):
        key_case(f"rsa_exponent_{label}_is_invalid",
                 f"e = {e} is over RSA_MAX_EXPONENT (65537): no issuer uses it and it only costs verify time.",
                 src_jwks(dict(good_rsa, e=b64u(uint_bytes(e)))), {"error": "invalid_key"})
    # 11. public keys as HMAC secrets
    pem = pem_of(rsa1)
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    disguises = {
        "rsa_spki_pem": pem,
        "ec_spki_pem": pem_of(ec1),
        "rsa_spki_pem_with_leading_newlines": b"\n\n" + pem,
        "rsa_spki_der": der_of(rsa1),
        "ec_spki_der": der_of(ec1),
        "rsa_pkcs1_der": rsa1.public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.PKCS1),
        "rsa_jwk_json": compact(good_rsa),
        "rsa_jwks_json": compact({"keys": [good_rsa]}),
        "rsa_spki_base64_body": body,
        "ec_spki_base64_body": b"".join(
            line for line in pem_of(ec1).splitlines() if not line.startswith(b"-----")),
    }
    for label, secret in disguises.items():
        assert len(secret) >= 32, label
        key_case(f"secret_that_is_{label}_is_invalid",
                 f"An HMAC secret that is a public key ({label}) is the key-confusion setup: refused at load.",
                 src_secret(secret, "hs-x"), {"error": "invalid_key"})
    key_case("oct_jwk_k_that_is_rsa_spki_pem_is_invalid",
             "An oct JWK whose k decodes to SPKI PEM text is a public key posing as a secret.",
             src_jwks(jwk_oct(pem, "hs-pem")), {"error": "invalid_key"})
    key_case("secret_starting_with_brace_that_is_not_a_key_loads",
             "A secret that merely starts with '{' (not a JWK document) is a secret.",
             src_secret(b"{" + K.hs_32, "hs-brace"), loaded(1))


def parse_cost_cases():
    """The parser's member-name bound and a deeply nested, name-heavy header
    (issue 16 item 2: the duplicate check no longer re-reads values)."""
    claims = at_claims()
    level = {f"k{i}": i for i in range(16)}
    nested = "x" * 2000
    for _ in range(12):
        nested = dict({"a": nested}, **level)
    acc("header_with_twelve_nested_objects_of_seventeen_names_is_accepted",
        "A signed header nesting 12 objects, each a large first member then 16 names, parses (and is cheap: names are sorted, values never re-read).",
        token(at_header(x=nested), claims, ES1), ok_access(claims))
    many = dict(claims, **{f"c{i}": i for i in range(240)})
    many["n"] = {f"m{i}": i for i in range(20)}
    acc("claims_with_over_256_member_names_open_at_once_is_malformed",
        "240 extra claims, then an object of 20 names inside the claims: 269 names open at once, over MAX_OBJECT_MEMBERS (256), which bounds the names of all open objects.",
        token(at_header(), many, ES1), err("malformed"))
    fine = dict(claims, **{f"c{i}": {"a": 1, "b": 2, "c": 3} for i in range(200)})
    acc("claims_with_200_sibling_objects_of_three_names_are_accepted",
        "Sibling objects do not add up: each one's names leave the bound when it closes.",
        token(at_header(), fine, ES1), ok_access(fine))


# --------------------------------------------------------------------------
# self-checks


def header_of(tok):
    try:
        return json.loads(b64u_decode(tok.split(".")[0]))
    except Exception:
        return None


def signature_verifies(keyset_name, tok) -> bool:
    """Whether any key the selection rule would pick verifies the signature."""
    h64, p64, s64 = tok.split(".")
    hdr = header_of(tok)
    alg, kid = hdr["alg"], hdr.get("kid")
    entries = [e for e in ENTRIES[keyset_name] if kid is None or e.kid == kid]
    message, sig = f"{h64}.{p64}".encode(), b64u_decode(s64)
    return any(e.fits(alg) and e.verifies(alg, message, sig) for e in entries)


def self_check():
    for c in CASES:
        tok = c["token"]
        if c["expect"].get("ok"):
            assert signature_verifies(c["keyset"], tok), c["name"]
            assert len(tok) <= c["policy"].get("max_token_bytes", 16384), c["name"]
            assert c["expect"]["sub"] is not None or c["policy"].get("typ") == "compat", c["name"]
        elif c["expect"]["error"] == "invalid_signature":
            assert not signature_verifies(c["keyset"], tok), c["name"]
    # the access token given for at_hash checks is itself a good token
    assert signature_verifies("main", GOOD_AT)


# --------------------------------------------------------------------------
# lane marks and ID-lane checks added for issue 16 (items 4-7, 9)


def id_lane_scope_mark_cases():
    """Item 4: access-token-shaped tokens without typ at+jwt in the ID lane."""
    rs1 = signer("RS256", K.rsa_1)
    idl("id_token_with_client_id_claim_is_accepted",
        "client_id alone is not a lane mark; some providers put it in ID tokens.",
        token(id_header(), id_claims(client_id=CLIENT), rs1), ok_id())
    rfc9068 = {"iss": ISSUER, "sub": "user-123", "aud": CLIENT, "client_id": CLIENT,
               "iat": NOW - 10, "exp": NOW + 3600, "jti": "at-1", "scope": "openid profile"}
    idl("id_lane_rfc9068_claims_with_typ_jwt_is_wrong_type",
        "typ JWT, aud the client, client_id + scope (RFC 9068 claims): an access token, refused for scope.",
        token(id_header(typ="JWT"), rfc9068, rs1), err("wrong_token_type"), nonce=None)
    azure = {"iss": ISSUER, "sub": "user-123", "aud": CLIENT, "iat": NOW - 10,
             "exp": NOW + 3600, "scp": "User.Read", "ver": "2.0"}
    idl("id_lane_azure_style_scp_and_ver_is_wrong_type",
        "typ JWT, aud the client, scp + ver (Entra ID access-token shape): refused for scp.",
        token(id_header(typ="JWT"), azure, rs1), err("wrong_token_type"), nonce=None)
    idl("id_lane_scp_array_is_wrong_type",
        "scp as an array (Okta's access-token shape) in an otherwise good ID token.",
        token(id_header(), id_claims(scp=["openid", "profile"]), rs1), err("wrong_token_type"))


def other_token_kind_cases():
    """Item 5: refresh, offline, logout tokens and security events are no lane's tokens."""
    rs1 = signer("RS256", K.rsa_1)
    logout_event = {"http://schemas.openid.net/event/backchannel-logout": {}}
    kinds = [
        ("payload_typ_array_id", {"typ": ["ID"]}, 'payload typ given as the array ["ID"]'),
        ("keycloak_payload_typ_refresh", {"typ": "Refresh"}, "Keycloak refresh token (payload typ Refresh)"),
        ("keycloak_payload_typ_offline", {"typ": "Offline"}, "Keycloak offline token (payload typ Offline)"),
        ("keycloak_payload_typ_logout", {"typ": "Logout"}, "Keycloak logout token (payload typ Logout)"),
        ("events_claim", {"events": logout_event}, "an events claim (RFC 8417 security event / back-channel logout)"),
    ]
    for label, over, what in kinds:
        acc(f"access_lane_{label}_strict_is_wrong_type",
            f"typ at+jwt and good access claims, but {what}: another kind of token.",
            token(at_header(), at_claims(**over), ES1), err("wrong_token_type"))
        acc(f"access_lane_{label}_compat_is_wrong_type",
            f"Compat mode, typ absent, but {what}: another kind of token.",
            token(compat_header(), at_claims(**over), ES1), err("wrong_token_type"), typ="compat")
        idl(f"id_lane_{label}_is_wrong_type",
            f"A good ID token apart from {what}.",
            token(id_header(), id_claims(**over), rs1), err("wrong_token_type"))
    idl("id_lane_payload_typ_unknown_is_wrong_type",
        "In the ID lane a payload typ, when present, must be ID; Foo names something else.",
        token(id_header(), id_claims(typ="Foo"), rs1), err("wrong_token_type"))
    idl("id_token_keycloak_payload_typ_id_is_accepted",
        "Keycloak's ID token carries payload typ ID.",
        token(id_header(), id_claims(typ="ID"), rs1), ok_id())
    c = at_claims(typ="Bearer")
    acc("access_token_keycloak_payload_typ_bearer_is_accepted",
        "Keycloak's access token carries payload typ Bearer.",
        token(at_header(), c, ES1), ok_access(c))
    logout = {"iss": ISSUER, "sub": "user-123", "aud": CLIENT, "iat": NOW - 10,
              "exp": NOW + 120, "jti": "lo-1", "sid": "s-1", "events": logout_event}
    idl("id_lane_backchannel_logout_token_is_wrong_type",
        "An OIDC back-channel logout token (typ absent, events, no nonce) is not an ID token.",
        token(id_header(), logout, rs1), err("wrong_token_type"), nonce=None)


def auth_time_future_cases():
    """Item 6: a future auth_time must not satisfy max_age."""
    rs1 = signer("RS256", K.rsa_1)

    def tok(**over):
        return token(id_header(), id_claims(**over), rs1)

    idl("id_token_future_auth_time_with_max_age_is_not_yet_valid",
        "max_age given and auth_time - leeway > now: the authentication has not happened yet.",
        tok(auth_time=NOW + LEEWAY + 1), err("not_yet_valid"), max_age=3600)
    idl("id_token_auth_time_at_now_plus_leeway_with_max_age_is_accepted",
        "auth_time - leeway == now is within the clock-skew leeway.",
        tok(auth_time=NOW + LEEWAY), ok_id(), max_age=3600)
    idl("id_token_future_auth_time_without_max_age_is_accepted",
        "Without max_age the ID lane does not read auth_time beyond its type.",
        tok(auth_time=NOW + 7200), ok_id())


def scope_bound_cases():
    """Item 7: MAX_SCOPES (256) bounds every form of the granted scopes."""
    many = ["s%d" % i for i in range(257)]
    enough = ["s%d" % i for i in range(255)] + ["read:appointments"]

    def escaped_scope(words):
        raw = compact(at_claims(scope=" ".join(words)))
        old = b'"scope":"' + " ".join(words).encode() + b'"'
        return sub1(raw, old, b'"scope":"' + "\\u0020".join(words).encode() + b'"')

    acc("scope_with_257_scopes_split_by_escaped_spaces_is_invalid_claim",
        "scope holds 257 scopes separated by \\u0020 escapes: over MAX_SCOPES after unescaping.",
        token(at_header(), escaped_scope(many), ES1), err("invalid_claim"))
    c = at_claims(scope=" ".join(enough))
    acc("scope_with_256_scopes_split_by_escaped_spaces_is_accepted",
        "scope holds exactly MAX_SCOPES scopes separated by \\u0020 escapes.",
        token(at_header(), escaped_scope(enough), ES1), ok_access(c))
    acc("scp_string_with_257_scopes_is_invalid_claim",
        "scp is a space-delimited string of 257 scopes: over MAX_SCOPES.",
        token(at_header(), at_claims(scope=DROP, scp=" ".join(many)), ES1), err("invalid_claim"))
    acc("scp_array_with_257_scopes_is_invalid_claim",
        "scp is an array of 257 scopes: over MAX_SCOPES.",
        token(at_header(), at_claims(scope=DROP, scp=many), ES1), err("invalid_claim"))
    c = at_claims(scope=DROP, scp=enough)
    acc("scp_array_with_256_scopes_is_accepted",
        "scp is an array of exactly MAX_SCOPES scopes.",
        token(at_header(), c, ES1), ok_access(c))


def escaped_at_hash_cases():
    """Item 9: at_hash is compared by its unescaped value."""
    want = at_hash(GOOD_AT, "RS256")
    raw = compact(id_claims())
    escaped = "".join("\\u%04x" % ord(ch) for ch in want[:4]) + want[4:]
    raw = sub1(raw, b'"at_hash":"' + want.encode() + b'"',
               b'"at_hash":"' + escaped.encode() + b'"')
    idl("id_token_at_hash_written_with_escapes_is_accepted",
        "at_hash matches once its \\u escapes are read (JSON strings compare by value).",
        token(id_header(), raw, signer("RS256", K.rsa_1)), ok_id(), access_token=GOOD_AT)


def empty_identity_cases():
    """An empty sub, client_id or jti names nobody: invalid_claim in every lane and typ mode
    (found by the differential check: joserfc refuses blank essential claims)."""
    for claim in ("sub", "client_id", "jti"):
        acc(f"access_token_empty_{claim}_is_invalid_claim",
            f"{claim} is the empty string: it identifies nothing.",
            token(at_header(), at_claims(**{claim: ""}), ES1), err("invalid_claim"))
    acc("compat_access_token_empty_sub_is_invalid_claim",
        "sub is optional in compat mode, but a present empty sub is still invalid.",
        token(compat_header(), at_claims(sub=""), ES1), err("invalid_claim"), typ="compat")
    idl("id_token_empty_sub_is_invalid_claim",
        "The ID token's sub is the empty string: it identifies no end-user.",
        token(id_header(), id_claims(sub=""), signer("RS256", K.rsa_1)), err("invalid_claim"))


# --------------------------------------------------------------------------


AUTHORIZATION_CASES = []


def authorization_cases():
    """RFC 6750 §2.1 `Authorization` header parsing (tokenlane::request::bearer_token).

    `header` is the header's value (null: the request has none); a value that
    is not UTF-8 travels as `header_hex` instead. `expect` is the token found,
    or the error code: `missing_token` (no Bearer credential: 401 and a
    challenge without error) or `invalid_request` (400)."""
    tok = GOOD_AT

    def hc(name, rule, header, expect, header_hex=None):
        c = {"name": name, "rule": rule, "header": header}
        if header_hex is not None:
            c["header_hex"] = header_hex
        c["expect"] = expect
        AUTHORIZATION_CASES.append(c)

    found = lambda t: {"token": t}  # noqa: E731
    hc("auth_bearer_token", "the Bearer scheme, one space, a JWT", f"Bearer {tok}", found(tok))
    hc("auth_scheme_lowercase", "the scheme is case-insensitive (RFC 9110 §11.1)", f"bearer {tok}", found(tok))
    hc("auth_scheme_uppercase", "the scheme is case-insensitive", f"BEARER {tok}", found(tok))
    hc("auth_scheme_mixed_case", "the scheme is case-insensitive", f"bEaReR {tok}", found(tok))
    hc("auth_several_spaces", "1*SP between scheme and credential", f"Bearer   {tok}", found(tok))
    hc("auth_surrounding_whitespace", "leading/trailing SP and HTAB are not part of the value (RFC 9110 §5.5)",
       f" \tBearer {tok}\t ", found(tok))
    hc("auth_rfc6750_example", "RFC 6750 §2.1's example credential", "Bearer mF_9.B5f-4.1JqM", found("mF_9.B5f-4.1JqM"))
    hc("auth_token68_full_charset", "every token68 character, with trailing '=' padding",
       "Bearer AZaz09-._~+/==", found("AZaz09-._~+/=="))

    missing = {"error": "missing_token"}
    hc("auth_no_header", "no Authorization header at all", None, missing)
    hc("auth_empty", "an empty header value", "", missing)
    hc("auth_only_whitespace", "a value of spaces and tabs only", " \t ", missing)
    hc("auth_basic_scheme", "another scheme carries no Bearer credential (RFC 6750 §3.1)", "Basic dXNlcjpwYXNz", missing)
    hc("auth_digest_scheme", "another scheme, with auth-params", 'Digest username="x", realm="y"', missing)
    hc("auth_scheme_glued_to_token", "'Bearerabc' is a scheme of its own, not Bearer", "Bearerabc", missing)
    hc("auth_dpop_scheme", "DPoP is another scheme for the Bearer parser (the request lane decides DPoP)",
       f"DPoP {tok}", missing)

    bad = {"error": "invalid_request"}
    hc("auth_bearer_without_credential", "the Bearer scheme and nothing after it", "Bearer", bad)
    hc("auth_bearer_space_only", "the Bearer scheme, a space, nothing (trailing space trimmed)", "Bearer ", bad)
    hc("auth_tab_after_scheme", "only SP separates scheme and credential", f"Bearer\t{tok}", bad)
    hc("auth_two_credentials", "exactly one credential", f"Bearer {tok} {tok}", bad)
    hc("auth_two_headers_joined", "two Authorization headers joined by a proxy with a comma",
       f"Bearer {tok}, Bearer {tok}", bad)
    hc("auth_trailing_comma", "a comma after the credential", f"Bearer {tok},", bad)
    hc("auth_padding_inside", "'=' only at the end of token68", "Bearer a=b", bad)
    hc("auth_padding_only", "token68 needs a character before its padding", "Bearer =abc", bad)
    hc("auth_percent", "'%' is not a token68 character", "Bearer ab%cd", bad)
    hc("auth_quoted_credential", "a quoted string is not token68", f'Bearer "{tok}"', bad)
    hc("auth_auth_param", "auth-params are not a Bearer credential", 'Bearer token="abc"', bad)
    hc("auth_non_ascii", "non-ASCII is not token68", "Bearer \u00e9", bad)
    hc("auth_not_utf8", "a byte that is not UTF-8 (as some servers hand headers over)", None, bad,
       header_hex=b"Bearer \xff".hex())
    hc("auth_header_injection", "CR LF inside the value", f"Bearer {tok}\r\nX-Evil: 1", bad)
    hc("auth_quoted_scheme", "the scheme must be an RFC 9110 token", f'"Bearer" {tok}', bad)


# --------------------------------------------------------------------------
# issue 19: the request lane (DPoP proofs, RFC 9449; certificate binding, RFC 8705)


REQUEST_CASES = []
DPOP_URI = "https://api.example/appointments"
DPOP_NONCE = "srv-nonce-1"
CERT_SHA256 = hashlib.sha256(b"the client certificate's DER (a fixed stand-in)").digest()


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, no spaces."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"),
                "OKP": ("crv", "kty", "x")}[jwk["kty"]]  # OKP: RFC 8037 §2
    canon = json.dumps({k: jwk[k] for k in required}, sort_keys=True, separators=(",", ":"))
    return b64u(hashlib.sha256(canon.encode()).digest())


def ath_of(access_token: str) -> str:
    return b64u(hashlib.sha256(access_token.encode("ascii")).digest())


def dpop_client_jwk(**extra) -> dict:
    jwk = jwk_ec(K.ec_2.public_key())
    jwk.update(extra)
    return jwk


def dpop_proof(access_token=None, *, alg="ES256", key=None, jwk=None, typ="dpop+jwt",
               htm="GET", htu=DPOP_URI, iat=NOW, jti="proof-1", ath=None, nonce=None,
               sign_with=None, **extra_claims) -> str:
    """A DPoP proof (RFC 9449 §4.2) by the client key ec-2 unless told otherwise."""
    key = K.ec_2 if key is None else key
    header = {"alg": alg}
    if typ is not DROP:
        header["typ"] = typ
    if jwk is None:
        jwk = dpop_client_jwk() if key is K.ec_2 else (
            jwk_ec(key.public_key()) if alg.startswith("ES") else
            jwk_okp(key.public_key()) if alg in EDDSA_ALGS else jwk_rsa(key.public_key()))
    if jwk is not DROP:
        header["jwk"] = jwk
    claims = {}
    for name, value in (("jti", jti), ("htm", htm), ("htu", htu), ("iat", iat), ("nonce", nonce)):
        if value is not DROP and value is not None:
            claims[name] = value
    if ath is None and access_token is not None:
        ath = ath_of(access_token)
    if ath is not DROP and ath is not None:
        claims["ath"] = ath
    claims.update(extra_claims)
    return token(header, claims, sign_with or signer(alg, key))


# Stateless server nonces (the core's tokenlane::nonce::NonceIssuer): the
# nonce of time bucket b = floor(now / bucket) under a server key is
# base64url(HMAC-SHA256(key, "tokenlane-dpop-nonce-v1" || be64(bucket) || be64(b))),
# computed here with `cryptography`'s HMAC.
NONCE_KEY = hashlib.sha256(b"tokenlane conformance: the replicas' DPoP nonce key").digest()
NONCE_BUCKET = 300


def issued_nonce(now=NOW, *, key=NONCE_KEY, bucket=NONCE_BUCKET, shift=0) -> str:
    """The nonce an issuer with `key` and `bucket` hands out `shift` buckets from now's."""
    from cryptography.hazmat.primitives import hmac as chmac
    b = now // bucket + shift
    mac = chmac.HMAC(key, hashes.SHA256())
    mac.update(b"tokenlane-dpop-nonce-v1" + bucket.to_bytes(8, "big") + b.to_bytes(8, "big"))
    return b64u(mac.finalize())


def request_case(name, rule, expect, *, authorization, dpop=(), method="GET", uri=DPOP_URI,
                 certificate=None, mode="allowed", proof_algorithms=("ES256", "RS256", "PS256"),
                 nonce_required=False, nonce_issuer=False, seen_jti=(), iat_window=60, now=NOW,
                 keyset_name="main"):
    assert name not in {c["name"] for c in REQUEST_CASES}, name
    policy = access_policy()
    policy.update({"dpop": mode, "proof_algorithms": list(proof_algorithms),
                   "iat_window": iat_window, "seen_jti": list(seen_jti)})
    if nonce_required:
        policy["dpop_nonce"] = DPOP_NONCE
    if nonce_issuer:
        policy["dpop_nonce_key"] = b64u(NONCE_KEY)
        policy["dpop_nonce_bucket"] = NONCE_BUCKET
    REQUEST_CASES.append({
        "name": name, "rule": rule, "keyset": keyset_name, "policy": policy, "now": now,
        "request": {"method": method, "uri": uri, "authorization": list(authorization),
                    "dpop": list(dpop),
                    "certificate_sha256": certificate.hex() if certificate else None},
        "expect": expect})


def request_cases():
    """The request lane: one entry point deciding Authorization + DPoP + certificate.

    `policy.dpop` is bearer_only / allowed / required; `proof_algorithms`
    the proof algorithms; `seen_jti` pre-fills the replay store;
    `dpop_nonce`, when present, is the one nonce the server accepts (and
    requires). `expect` is {"ok", "scheme", "jkt", "certificate"} or
    {"error": code[, "detail": the core's fault]}."""
    jkt = jwk_thumbprint(dpop_client_jwk())
    bound = token(at_header(), at_claims(cnf={"jkt": jkt}), ES1)
    other_jkt = jwk_thumbprint(jwk_ec(K.ec_1.public_key()))
    bound_other = token(at_header(), at_claims(cnf={"jkt": other_jkt}), ES1)
    cert_bound = token(at_header(), at_claims(cnf={"x5t#S256": b64u(CERT_SHA256)}), ES1)
    proof = dpop_proof(bound)
    ok_dpop = {"ok": True, "scheme": "dpop", "jkt": jkt, "certificate": False}
    ok_bearer = {"ok": True, "scheme": "bearer", "jkt": None, "certificate": False}
    # `detail` names the exact check (the Rust core's fault variant); the
    # other front ends compare `error` only.
    def proof_fault(f):
        return {"error": "invalid_dpop_proof", "detail": f"InvalidDpopProof({f})"}

    def binding(f):
        return {"error": "token_binding_mismatch", "detail": f"TokenBindingMismatch({f})"}

    rc = request_case

    # accepted
    rc("dpop_bound_token_with_valid_proof", "RFC 9449: DPoP scheme, cnf.jkt = the proof key's thumbprint, ath, htm, htu, iat",
       ok_dpop, authorization=[f"DPoP {bound}"], dpop=[proof])
    rc("dpop_scheme_is_case_insensitive", "RFC 9110 §11.1: the scheme 'dpop' is DPoP",
       ok_dpop, authorization=[f"dpop {bound}"], dpop=[proof])
    rc("dpop_htu_normalised_scheme_host_port", "RFC 3986 §6.2.2-6.2.3: scheme/host case and the default port",
       ok_dpop, authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, htu="HTTPS://API.example:443/appointments")])
    rc("dpop_request_query_is_ignored", "the request URI's query is not part of htu (RFC 9449 §4.3 step 9)",
       ok_dpop, authorization=[f"DPoP {bound}"], dpop=[proof], uri=DPOP_URI + "?day=monday")
    rc("dpop_iat_at_window_edges", "iat exactly window seconds old is still accepted",
       ok_dpop, authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, iat=NOW - 60)])
    rsa_jwk = jwk_rsa(K.rsa_2.public_key())
    rsa_bound = token(at_header(), at_claims(cnf={"jkt": jwk_thumbprint(rsa_jwk)}), ES1)
    rc("dpop_rsa_proof_key", "an RS256 proof with an RSA jwk",
       {"ok": True, "scheme": "dpop", "jkt": jwk_thumbprint(rsa_jwk), "certificate": False},
       authorization=[f"DPoP {rsa_bound}"],
       dpop=[dpop_proof(rsa_bound, alg="RS256", key=K.rsa_2, jwk=rsa_jwk)])
    rc("dpop_nonce_valid", "the server requires a nonce and the proof carries it",
       ok_dpop, authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, nonce=DPOP_NONCE)],
       nonce_required=True)
    rc("bearer_unbound_token", "an unbound token with the Bearer scheme and no DPoP header",
       ok_bearer, authorization=[f"Bearer {GOOD_AT}"])
    rc("certificate_bound_token_matches", "RFC 8705 §3: cnf.x5t#S256 = SHA-256 of the client certificate",
       {"ok": True, "scheme": "bearer", "jkt": None, "certificate": True},
       authorization=[f"Bearer {cert_bound}"], certificate=CERT_SHA256)

    # proof faults
    rc("dpop_wrong_typ", "typ must be exactly dpop+jwt", proof_fault("Typ"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, typ="JWT")])
    rc("dpop_typ_absent", "typ is required", proof_fault("Typ"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, typ=DROP)])
    rc("dpop_alg_hs256", "a proof is never symmetric (RFC 9449 §4.3 step 5)", proof_fault("Alg"),
       authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, alg="HS256", key=K.hs_32, jwk=dpop_client_jwk())],
       proof_algorithms=("ES256", "HS256"))
    rc("dpop_alg_none", "alg none", proof_fault("Alg"), authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, alg="none", jwk=dpop_client_jwk(), sign_with=fixed_sig(b""))])
    rc("dpop_alg_not_in_policy", "RS256 proof when only ES256 proofs are allowed", proof_fault("Alg"),
       authorization=[f"DPoP {rsa_bound}"],
       dpop=[dpop_proof(rsa_bound, alg="RS256", key=K.rsa_2, jwk=rsa_jwk)], proof_algorithms=("ES256",))
    rc("dpop_private_jwk", "the jwk holds the private scalar d", proof_fault("PrivateJwk"),
       authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, jwk=dpop_client_jwk(
           d=b64u(uint_bytes(K.ec_2.private_numbers().private_value, 32))))])
    rc("dpop_jwk_absent", "no jwk in the header", proof_fault("Jwk"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, jwk=DROP)])
    rc("dpop_signed_by_another_key", "the jwk is the client's, the signature another key's", proof_fault("Signature"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, sign_with=signer("ES256", K.attacker_ec))])
    rc("dpop_wrong_htm", "htm POST on a GET", proof_fault("Htm"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, htm="POST")])
    rc("dpop_htm_lowercase", "methods are case-sensitive (RFC 9110 §9.1)", proof_fault("Htm"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, htm="get")])
    rc("dpop_wrong_htu", "htu of another resource", proof_fault("Htu"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, htu="https://api.example/admin")])
    rc("dpop_htu_with_query", "htu carries no query (RFC 9449 §4.2)", proof_fault("Htu"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, htu=DPOP_URI + "?day=monday")],
       uri=DPOP_URI + "?day=monday")
    rc("dpop_htu_other_port", "a non-default port is part of the URI", proof_fault("Htu"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, htu="https://api.example:8443/appointments")])
    rc("dpop_iat_stale", "iat one second older than the window", proof_fault("IatTooOld"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, iat=NOW - 61)])
    rc("dpop_iat_future", "iat one second further ahead than the window", proof_fault("IatInFuture"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, iat=NOW + 61)])
    rc("dpop_missing_jti", "jti is required", proof_fault("Jti"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, jti=DROP)])
    rc("dpop_wrong_ath", "ath of another token", proof_fault("Ath"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, ath=ath_of(GOOD_AT))])
    rc("dpop_missing_ath", "ath is required with an access token", proof_fault("Ath"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, ath=DROP)])
    rc("dpop_replayed_jti", "the replay store has seen this jti", proof_fault("Replayed"),
       authorization=[f"DPoP {bound}"], dpop=[proof], seen_jti=("proof-1",))
    rc("dpop_replay_checked_after_the_token", "the replay store is consulted last: a seen proof "
       "sent with another key's token is refused for the binding, and never recorded",
       binding("JktMismatch"), authorization=[f"DPoP {bound_other}"], dpop=[dpop_proof(bound_other)],
       seen_jti=("proof-1",))
    rc("dpop_two_headers", "exactly one DPoP header (RFC 9449 §4.3 step 1)", proof_fault("HeaderCount"),
       authorization=[f"DPoP {bound}"], dpop=[proof, proof])
    rc("dpop_scheme_without_proof", "the DPoP scheme needs a DPoP header", proof_fault("HeaderCount"),
       authorization=[f"DPoP {bound}"])
    rc("dpop_nonce_missing", "the server requires a nonce", err("use_dpop_nonce"),
       authorization=[f"DPoP {bound}"], dpop=[proof], nonce_required=True)
    rc("dpop_nonce_stale", "a nonce the server does not accept", err("use_dpop_nonce"),
       authorization=[f"DPoP {bound}"], dpop=[dpop_proof(bound, nonce="srv-nonce-0")],
       nonce_required=True)

    # binding and lanes
    rc("dpop_jkt_mismatch", "cnf.jkt names another key", binding("JktMismatch"),
       authorization=[f"DPoP {bound_other}"], dpop=[dpop_proof(bound_other)])
    rc("dpop_unbound_token_with_proof", "decision: the DPoP scheme with a token lacking cnf.jkt is refused",
       binding("UnboundTokenWithProof"), authorization=[f"DPoP {GOOD_AT}"], dpop=[dpop_proof(GOOD_AT)])
    rc("dpop_bound_token_as_bearer", "RFC 9449 §7.2: a DPoP-bound token with the Bearer scheme", binding("BoundTokenWithoutProof"),
       authorization=[f"Bearer {bound}"])
    rc("bearer_with_dpop_header", "decision: a DPoP header with a Bearer credential is refused (no downgrade)",
       err("invalid_request"), authorization=[f"Bearer {GOOD_AT}"], dpop=[dpop_proof(GOOD_AT)])
    rc("dpop_proof_as_access_token", "a proof is never an access token (typ dpop+jwt is a lane mark)",
       err("wrong_token_type"), authorization=[f"Bearer {proof}"])
    rc("dpop_access_token_as_proof", "an access token is not a proof (typ at+jwt)", proof_fault("Typ"),
       authorization=[f"DPoP {bound}"], dpop=[bound])
    rc("dpop_scheme_in_bearer_only_mode", "DPoP not enabled: another scheme", err("missing_token"),
       authorization=[f"DPoP {bound}"], dpop=[proof], mode="bearer_only")
    rc("bearer_scheme_in_dpop_required_mode", "DPoP required: Bearer is another scheme", err("missing_token"),
       authorization=[f"Bearer {GOOD_AT}"], mode="required")
    rc("two_authorization_headers", "exactly one Authorization header", err("invalid_request"),
       authorization=[f"Bearer {GOOD_AT}", f"Bearer {GOOD_AT}"])
    rc("certificate_bound_token_mismatch", "RFC 8705 §3: another certificate", binding("CertificateMismatch"),
       authorization=[f"Bearer {cert_bound}"], certificate=hashlib.sha256(b"another").digest())
    rc("certificate_bound_token_without_certificate", "RFC 8705 §3: no certificate presented", binding("NoCertificate"),
       authorization=[f"Bearer {cert_bound}"])

    # Proof algorithms beyond ES256 and RSA (issue 19 item 2): ES384, ES512,
    # EdDSA and its RFC 9864 name Ed25519, each with its own key type.
    for alg, key, label in (("ES384", K.ec_p384, "P-384"), ("ES512", K.ec_p521, "P-521"),
                            ("EdDSA", K.ed_1, "Ed25519"), ("Ed25519", K.ed_1, "Ed25519 (RFC 9864 name)")):
        pjwk = jwk_okp(key.public_key()) if alg in EDDSA_ALGS else jwk_ec(key.public_key())
        pbound = token(at_header(), at_claims(cnf={"jkt": jwk_thumbprint(pjwk)}), ES1)
        rc(f"dpop_{alg.lower()}_proof_key", f"an {alg} proof with an {label} jwk",
           {"ok": True, "scheme": "dpop", "jkt": jwk_thumbprint(pjwk), "certificate": False},
           authorization=[f"DPoP {pbound}"], dpop=[dpop_proof(pbound, alg=alg, key=key)],
           proof_algorithms=("ES256", alg))
        rc(f"dpop_{alg.lower()}_proof_not_in_policy", f"an {alg} proof when only ES256 proofs are allowed",
           proof_fault("Alg"), authorization=[f"DPoP {pbound}"], dpop=[dpop_proof(pbound, alg=alg, key=key)],
           proof_algorithms=("ES256",))
    p384_jwk = jwk_ec(K.ec_p384.public_key())
    p384_bound = token(at_header(), at_claims(cnf={"jkt": jwk_thumbprint(p384_jwk)}), ES1)
    rc("dpop_es256_alg_with_p384_jwk", "ES256 needs a P-256 jwk; a P-384 one is refused", proof_fault("Jwk"),
       authorization=[f"DPoP {p384_bound}"],
       dpop=[dpop_proof(p384_bound, alg="ES256", key=K.ec_p384, sign_with=signer("ES384", K.ec_p384))],
       proof_algorithms=("ES256", "ES384"))
    rc("dpop_es384_alg_with_p256_jwk", "ES384 needs a P-384 jwk; the client's P-256 one is refused",
       proof_fault("Jwk"), authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, alg="ES384", jwk=dpop_client_jwk(), sign_with=signer("ES256", K.ec_2))],
       proof_algorithms=("ES256", "ES384"))
    ed_jwk = jwk_okp(K.ed_1.public_key())
    ed_bound = token(at_header(), at_claims(cnf={"jkt": jwk_thumbprint(ed_jwk)}), ES1)
    rc("dpop_eddsa_jwk_with_y", "RFC 8037 §2: an OKP jwk has no y", proof_fault("Jwk"),
       authorization=[f"DPoP {ed_bound}"],
       dpop=[dpop_proof(ed_bound, alg="EdDSA", key=K.ed_1, jwk=dict(ed_jwk, y=ed_jwk["x"]))],
       proof_algorithms=("EdDSA",))
    rc("dpop_eddsa_proof_with_private_d", "an OKP jwk holding the private d", proof_fault("PrivateJwk"),
       authorization=[f"DPoP {ed_bound}"],
       dpop=[dpop_proof(ed_bound, alg="EdDSA", key=K.ed_1, jwk=dict(ed_jwk, d=b64u(
           K.ed_1.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption()))))],
       proof_algorithms=("EdDSA",))
    rc("dpop_es512_signed_by_another_key", "an ES512 proof whose signature is another P-521 key's",
       proof_fault("Signature"), authorization=[f"DPoP {bound}"],
       dpop=[dpop_proof(bound, alg="ES512", key=K.ec_p521,
                        sign_with=signer("ES512", ec.derive_private_key(7, ec.SECP521R1())))],
       proof_algorithms=("ES512",))

    # Stateless server nonces (policy.dpop_nonce_key / dpop_nonce_bucket):
    # `expect.dpop_nonce` is the DPoP-Nonce of the response, the current
    # bucket's nonce on every refusal and on an acceptance of the previous
    # bucket's nonce, else null. NOW is the first second of its bucket.
    current = issued_nonce()

    def with_nonce(expect, nonce):
        return dict(expect, dpop_nonce=nonce)

    def nproof(nonce, **kw):
        return dpop_proof(bound, nonce=nonce, **kw)

    rc("dpop_issued_nonce_current_bucket", "the proof carries the nonce the issuer hands out now",
       with_nonce(ok_dpop, None), authorization=[f"DPoP {bound}"], dpop=[nproof(current)],
       nonce_issuer=True)
    rc("dpop_issued_nonce_previous_bucket", "the previous bucket's nonce is accepted, and a fresh one is sent",
       with_nonce(ok_dpop, current), authorization=[f"DPoP {bound}"], dpop=[nproof(issued_nonce(shift=-1))],
       nonce_issuer=True)
    rc("dpop_issued_nonce_absent", "RFC 9449 §8: a nonce is required; the refusal carries one",
       with_nonce(err("use_dpop_nonce"), current), authorization=[f"DPoP {bound}"], dpop=[proof],
       nonce_issuer=True)
    rc("dpop_issued_nonce_stale", "a nonce older than the previous bucket",
       with_nonce(err("use_dpop_nonce"), current), authorization=[f"DPoP {bound}"],
       dpop=[nproof(issued_nonce(shift=-2))], nonce_issuer=True)
    rc("dpop_issued_nonce_next_bucket", "decision: a nonce of the next bucket is not accepted early",
       with_nonce(err("use_dpop_nonce"), current), authorization=[f"DPoP {bound}"],
       dpop=[nproof(issued_nonce(shift=1))], nonce_issuer=True)
    rc("dpop_issued_nonce_from_another_key", "a nonce issued under another server key",
       with_nonce(err("use_dpop_nonce"), current), authorization=[f"DPoP {bound}"],
       dpop=[nproof(issued_nonce(key=hashlib.sha256(b"another deployment's key").digest()))],
       nonce_issuer=True)
    rc("dpop_issued_nonce_other_bucket_length", "the same key with another bucket length is another issuer",
       with_nonce(err("use_dpop_nonce"), current), authorization=[f"DPoP {bound}"],
       dpop=[nproof(issued_nonce(bucket=600))], nonce_issuer=True)
    rc("dpop_issued_nonce_on_another_refusal", "a refusal for another fault still carries a fresh nonce",
       with_nonce(proof_fault("Htu"), current), authorization=[f"DPoP {bound}"],
       dpop=[nproof(current, htu="https://api.example/admin")], nonce_issuer=True)
    rc("dpop_issued_nonce_bearer_request", "a plain Bearer request needs no nonce and gets none",
       with_nonce(ok_bearer, None), authorization=[f"Bearer {GOOD_AT}"], nonce_issuer=True)


def main():
    global ES1, GOOD_AT
    if "--make-keys" in sys.argv[1:]:
        make_keys()
        return
    load_all_keys()
    build_keysets()
    ES1 = signer("ES256", K.ec_1)
    GOOD_AT = token(at_header(), at_claims(), ES1)

    accepted_access_cases()
    alg_cases()
    key_selection_cases()
    hmac_with_public_key_cases()
    signature_cases()
    embedded_key_cases()
    crit_cases()
    duplicate_cases()
    base64_cases()
    json_cases()
    size_cases()
    time_cases()
    type_confusion_cases()
    missing_claim_cases()
    issuer_audience_cases()
    id_token_at_api_cases()
    access_token_at_id_lane_cases()
    id_lane_cases()
    scope_cases()
    ordering_cases()
    # issue 16, lane marks and ID-lane checks
    id_lane_scope_mark_cases()
    other_token_kind_cases()
    auth_time_future_cases()
    scope_bound_cases()
    escaped_at_hash_cases()
    empty_identity_cases()
    # issue 20, ES384 / ES512 / EdDSA / Ed25519
    new_alg_cases()
    build_key_cases()
    new_alg_key_cases()
    authorization_cases()
    parse_keys_cases(parse_keys_keysets())
    parse_cost_cases()
    request_cases()
    self_check()

    doc = {"version": 1, "keysets": KEYSETS, "key_cases": KEY_CASES, "cases": CASES,
           "authorization_cases": AUTHORIZATION_CASES, "request_cases": REQUEST_CASES}
    sys.stdout.write(json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=True) + "\n")

    counts = Counter("ok" if c["expect"].get("ok") else c["expect"]["error"] for c in CASES)
    kcounts = Counter("loads" if "loaded" in c["expect"] else c["expect"]["error"] for c in KEY_CASES)
    print(f"{len(CASES)} cases, {len(KEY_CASES)} key cases, "
          f"{len(AUTHORIZATION_CASES)} authorization cases", file=sys.stderr)
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {code:28} {n}", file=sys.stderr)
    print("key cases: " + ", ".join(f"{k} {v}" for k, v in sorted(kcounts.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
