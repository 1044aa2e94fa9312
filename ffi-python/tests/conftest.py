"""Shared fixtures: keys and tokens minted by independent libraries.

Nothing here is minted by tokenlane: tokens come from PyJWT, joserfc or
plain ``cryptography``, keys from ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import tokenlane

REPO = Path(__file__).resolve().parents[2]
ISSUER = "https://issuer.example/"
AUDIENCE = "https://api.example"
CLIENT_ID = "client-app"
RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
HMAC_ALGS = ["HS256", "HS384", "HS512"]
ALL_ALGS = [*RSA_ALGS, "ES256", *HMAC_ALGS]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Keys:
    """One RSA-2048 key, one P-256 key and one 64-byte HMAC secret, with a
    JWKS for them built by hand from ``cryptography``'s numbers."""

    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    secret: bytes

    def private(self, alg: str) -> Any:
        if alg.startswith(("RS", "PS")):
            return self.rsa
        if alg == "ES256":
            return self.ec
        return self.secret

    @staticmethod
    def kid(alg: str) -> str:
        return {"R": "rsa-1", "P": "rsa-1", "E": "ec-1", "H": "hs-1"}[alg[0]]

    def jwks(self) -> str:
        rn = self.rsa.public_key().public_numbers()
        en = self.ec.public_key().public_numbers()

        def be(n: int, size: int) -> str:
            return b64url(n.to_bytes(size, "big"))

        return json.dumps(
            {
                "keys": [
                    {"kty": "RSA", "kid": "rsa-1", "use": "sig", "n": be(rn.n, 256), "e": be(rn.e, 3)},
                    {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": be(en.x, 32), "y": be(en.y, 32)},
                    {"kty": "oct", "kid": "hs-1", "k": b64url(self.secret)},
                ]
            }
        )

    def rsa_pem(self) -> bytes:
        return self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def ec_pem(self) -> str:
        return (
            self.ec.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP256R1()),
        secret=bytes(range(64)),
    )


@pytest.fixture(scope="session")
def keyset(keys: Keys) -> tokenlane.KeySet:
    return tokenlane.KeySet.from_jwks(keys.jwks())


def access_claims(now: int, **extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "client_id": CLIENT_ID,
        "iat": now - 10,
        "exp": now + 600,
        "jti": "at-7f3c2a",
        "scope": "read:appointments write:appointments",
    }
    claims.update(extra)
    return claims


def id_claims(now: int, **extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": CLIENT_ID,
        "iat": now - 10,
        "exp": now + 600,
        "auth_time": now - 100,
        "nonce": "n-0S6_WzA2Mj",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
    }
    claims.update(extra)
    return claims


@pytest.fixture()
def now() -> int:
    return int(time.time())


def access_validator(keyset: tokenlane.KeySet, **kw: Any) -> tokenlane.AccessTokenValidator:
    args: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "algorithms": ALL_ALGS}
    args.update(kw)
    return tokenlane.AccessTokenValidator(keyset, **args)


def id_validator(keyset: tokenlane.KeySet, **kw: Any) -> tokenlane.IdTokenValidator:
    args: dict[str, Any] = {"issuer": ISSUER, "client_id": CLIENT_ID, "algorithms": ALL_ALGS}
    args.update(kw)
    return tokenlane.IdTokenValidator(keyset, **args)
