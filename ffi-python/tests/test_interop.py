"""Tokens minted by independent libraries (PyJWT, joserfc, plain
``cryptography``) in every algorithm (ES384, ES512, EdDSA and Ed25519
included) are accepted in their lane, and the same libraries' ID tokens are
refused by an API with ``WrongTokenType``."""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwt as jose_jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, KeySet as JoseKeySet, OctKey, OKPKey, RSAKey

import tokenlane
from conftest import (
    ALL_ALGS,
    AUDIENCE,
    CLIENT_ID,
    Keys,
    access_claims,
    access_validator,
    b64url,
    id_claims,
    id_validator,
)

Minter = Callable[[Keys, str, dict[str, Any], dict[str, Any]], str]
_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def mint_pyjwt(keys: Keys, alg: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return pyjwt.encode(claims, keys.private(alg), algorithm=alg, headers=header)


def mint_joserfc(keys: Keys, alg: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    priv = keys.private(alg)
    key: Any
    if alg == "ES256":
        key = ECKey.import_key(priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    elif alg.startswith("HS"):
        key = OctKey.import_key(priv)
    else:
        key = RSAKey.import_key(priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return jose_jwt.encode({"alg": alg, **header}, claims, key, algorithms=[alg])


def mint_cryptography(keys: Keys, alg: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A compact JWS assembled by hand, signed with ``cryptography``
    (RFC 7515 §3.1, RFC 7518 §3)."""
    signing_input = (
        b64url(json.dumps({"alg": alg, **header}).encode()) + "." + b64url(json.dumps(claims).encode())
    ).encode("ascii")
    h = _HASHES[alg[2:]]()
    priv = keys.private(alg)
    if alg.startswith("RS"):
        sig = priv.sign(signing_input, padding.PKCS1v15(), h)
    elif alg.startswith("PS"):
        sig = priv.sign(signing_input, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    elif alg == "ES256":
        r, s = decode_dss_signature(priv.sign(signing_input, ec.ECDSA(h)))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        sig = hmac.new(priv, signing_input, getattr(hashlib, h.name)).digest()
    return signing_input.decode("ascii") + "." + b64url(sig)


MINTERS: dict[str, Minter] = {"pyjwt": mint_pyjwt, "joserfc": mint_joserfc, "cryptography": mint_cryptography}


def _header(alg: str, typ: str | None) -> dict[str, Any]:
    h: dict[str, Any] = {"kid": Keys.kid(alg)}
    if typ is not None:
        h["typ"] = typ
    return h


@pytest.mark.parametrize("alg", ALL_ALGS)
@pytest.mark.parametrize("minter", list(MINTERS))
def test_access_token_from_independent_library_is_accepted(
    keys: Keys, keyset: tokenlane.KeySet, now: int, minter: str, alg: str
) -> None:
    token = MINTERS[minter](keys, alg, _header(alg, "at+jwt"), access_claims(now))
    api = access_validator(keyset, algorithms=[alg], required_scopes=["read:appointments"])
    tok = api.validate(token)
    assert tok.sub == "user-123"
    assert tok.client_id == CLIENT_ID
    assert tok.aud == [AUDIENCE]
    assert tok.scopes == ["read:appointments", "write:appointments"]
    assert tok.alg == alg
    assert tok.claims["jti"] == "at-7f3c2a"
    # bytes are as good as str
    assert api.validate(token.encode("ascii")).sub == "user-123"


@pytest.mark.parametrize("alg", ALL_ALGS)
@pytest.mark.parametrize("minter", list(MINTERS))
def test_id_token_from_independent_library_is_refused_by_the_api_as_wrong_token_type(
    keys: Keys, keyset: tokenlane.KeySet, now: int, minter: str, alg: str
) -> None:
    # An ID token as the IdP issues it (typ JWT, or no typ), with the API as
    # an extra audience, so only its type gives it away.
    claims = id_claims(now, aud=[CLIENT_ID, AUDIENCE], azp=CLIENT_ID, client_id=CLIENT_ID, jti="id-1")
    for typ in ("JWT", None):
        token = MINTERS[minter](keys, alg, _header(alg, typ), claims)
        for mode in ("strict", "compat"):
            api = access_validator(keyset, algorithms=[alg], typ=mode)
            with pytest.raises(tokenlane.WrongTokenType) as info:
                api.validate(token)
            assert info.value.code == "wrong_token_type"
            assert info.value.http_status == 401
        # ... and the client app, its rightful reader, accepts it.
        who = id_validator(keyset, algorithms=[alg]).validate(token, nonce="n-0S6_WzA2Mj", max_age=3600)
        assert who.sub == "user-123"
        assert who.name == "Ada Lovelace"
        assert who.email == "ada@example.com"
        assert who.azp == CLIENT_ID
        assert not hasattr(who, "scopes") and not hasattr(who, "has_scope")


@pytest.mark.parametrize("minter", list(MINTERS))
def test_access_token_is_refused_by_the_client_app_as_wrong_token_type(
    keys: Keys, keyset: tokenlane.KeySet, now: int, minter: str
) -> None:
    token = MINTERS[minter](keys, "ES256", _header("ES256", "at+jwt"), access_claims(now, aud=CLIENT_ID))
    with pytest.raises(tokenlane.WrongTokenType):
        id_validator(keyset).validate(token)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "HS256", "PS384", "HS512"])
def test_id_token_at_hash_computed_independently_matches(keys: Keys, keyset: tokenlane.KeySet, now: int, alg: str) -> None:
    access = mint_pyjwt(keys, alg, _header(alg, "at+jwt"), access_claims(now))
    digest = getattr(hashlib, "sha" + alg[2:])(access.encode("ascii")).digest()
    at_hash = b64url(digest[: len(digest) // 2])
    token = mint_joserfc(keys, alg, _header(alg, None), id_claims(now, at_hash=at_hash))
    app = id_validator(keyset, algorithms=[alg])
    assert app.validate(token, access_token=access).sub == "user-123"
    assert app.validate(token, access_token=access.encode()).sub == "user-123"
    other = mint_pyjwt(keys, alg, _header(alg, "at+jwt"), access_claims(now, jti="other"))
    with pytest.raises(tokenlane.AtHashMismatch):
        app.validate(token, access_token=other)


def test_jwks_exported_by_joserfc_and_pyjwt_loads(keys: Keys, now: int) -> None:
    jose_set = JoseKeySet([
        RSAKey.import_key(keys.rsa_pem(), {"kid": "rsa-1"}),
        ECKey.import_key(keys.ec_pem(), {"kid": "ec-1"}),
    ])
    from_jose = tokenlane.KeySet.from_jwks(json.dumps(jose_set.as_dict(private=False)))
    assert sorted(k or "" for k in from_jose.kids) == ["ec-1", "rsa-1"]
    rsa_jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(keys.rsa.public_key()))
    rsa_jwk["kid"] = "rsa-1"
    from_pyjwt = tokenlane.KeySet.from_jwks(json.dumps({"keys": [rsa_jwk]}).encode())
    for ks in (from_jose, from_pyjwt):
        token = mint_pyjwt(keys, "PS256", _header("PS256", "at+jwt"), access_claims(now))
        assert access_validator(ks, algorithms=["PS256"]).validate(token).sub == "user-123"


def test_pem_keys_from_cryptography_load_pinned(keys: Keys, now: int) -> None:
    ks = tokenlane.KeySet.from_pem(keys.rsa_pem(), kid="rsa-1", alg="RS256") + tokenlane.KeySet.from_pem(
        keys.ec_pem(), kid="ec-1"
    )
    assert ks.kids == ["rsa-1", "ec-1"]
    api = access_validator(ks, algorithms=["RS256", "PS256", "ES256"])
    assert api.validate(mint_pyjwt(keys, "RS256", _header("RS256", "at+jwt"), access_claims(now))).alg == "RS256"
    assert api.validate(mint_pyjwt(keys, "ES256", _header("ES256", "at+jwt"), access_claims(now))).alg == "ES256"
    # The RSA key is pinned to RS256: a PS256 token for it is refused.
    with pytest.raises(tokenlane.AlgorithmNotAllowed):
        api.validate(mint_pyjwt(keys, "PS256", _header("PS256", "at+jwt"), access_claims(now)))


def test_hs256_signed_with_the_rsa_public_pem_is_refused(keys: Keys, now: int) -> None:
    # The RSA/HMAC key-confusion attack: the attacker signs with the public
    # key's PEM bytes as an HMAC secret.
    ks = tokenlane.KeySet.from_pem(keys.rsa_pem(), kid="rsa-1")
    signing_input = (b64url(b'{"alg":"HS256","typ":"at+jwt","kid":"rsa-1"}') + "." + b64url(json.dumps(access_claims(now)).encode())).encode()
    token = signing_input.decode() + "." + b64url(hmac.new(keys.rsa_pem(), signing_input, hashlib.sha256).digest())
    with pytest.raises(tokenlane.AlgorithmNotAllowed):
        access_validator(ks).validate(token)


# --------------------------------------------------------------------------
# ES384 (P-384), ES512 (P-521), EdDSA and its RFC 9864 name Ed25519 (issue 20)

NEW_ALGS = ["ES384", "ES512", "EdDSA", "Ed25519"]
_EC_NEW = {"ES384": (hashes.SHA384, 48), "ES512": (hashes.SHA512, 66)}


def _pkcs8(priv: Any) -> bytes:
    return priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@dataclass(frozen=True)
class NewKeys:
    """A P-384 key, a P-521 key and an Ed25519 key from ``cryptography``,
    with a JWKS built by hand from their numbers and raw bytes."""

    p384: ec.EllipticCurvePrivateKey
    p521: ec.EllipticCurvePrivateKey
    ed: ed25519.Ed25519PrivateKey

    def private(self, alg: str) -> Any:
        return {"ES384": self.p384, "ES512": self.p521}.get(alg, self.ed)

    @staticmethod
    def kid(alg: str) -> str:
        return {"ES384": "ec-384", "ES512": "ec-521"}.get(alg, "ed-1")

    def jwks(self) -> str:
        def ec_jwk(kid: str, crv: str, pub: ec.EllipticCurvePublicKey, size: int) -> dict[str, str]:
            n = pub.public_numbers()
            return {"kty": "EC", "kid": kid, "crv": crv, "x": b64url(n.x.to_bytes(size, "big")), "y": b64url(n.y.to_bytes(size, "big"))}

        x = self.ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return json.dumps({"keys": [
            ec_jwk("ec-384", "P-384", self.p384.public_key(), 48),
            ec_jwk("ec-521", "P-521", self.p521.public_key(), 66),
            {"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64url(x)},
        ]})


@pytest.fixture(scope="module")
def new_keys() -> NewKeys:
    return NewKeys(
        p384=ec.generate_private_key(ec.SECP384R1()),
        p521=ec.generate_private_key(ec.SECP521R1()),
        ed=ed25519.Ed25519PrivateKey.generate(),
    )


@pytest.fixture(scope="module")
def new_keyset(new_keys: NewKeys) -> tokenlane.KeySet:
    return tokenlane.KeySet.from_jwks(new_keys.jwks())


def mint_new(minter: str, keys: NewKeys, alg: str, header: dict[str, Any], claims: dict[str, Any]) -> str:
    priv = keys.private(alg)
    if minter == "pyjwt":
        if alg == "Ed25519":
            pytest.skip("PyJWT does not know the RFC 9864 name Ed25519 (it signs EdDSA)")
        return pyjwt.encode(claims, priv, algorithm=alg, headers=header)
    if minter == "joserfc":
        key: Any = ECKey.import_key(_pkcs8(priv)) if alg in _EC_NEW else OKPKey.import_key(_pkcs8(priv))
        with warnings.catch_warnings():
            # joserfc warns that EdDSA is deprecated by RFC 9864 (in favour
            # of Ed25519); providers still sign EdDSA, so it is minted anyway.
            warnings.simplefilter("ignore", SecurityWarning)
            return jose_jwt.encode({"alg": alg, **header}, claims, key, algorithms=[alg])
    signing_input = (
        b64url(json.dumps({"alg": alg, **header}).encode()) + "." + b64url(json.dumps(claims).encode())
    ).encode("ascii")
    if alg in _EC_NEW:
        h, size = _EC_NEW[alg]
        r, s = decode_dss_signature(priv.sign(signing_input, ec.ECDSA(h())))
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        sig = priv.sign(signing_input)
    return signing_input.decode("ascii") + "." + b64url(sig)


@pytest.mark.parametrize("alg", NEW_ALGS)
@pytest.mark.parametrize("minter", list(MINTERS))
def test_new_algorithm_access_token_from_independent_library_is_accepted(
    new_keys: NewKeys, new_keyset: tokenlane.KeySet, now: int, minter: str, alg: str
) -> None:
    token = mint_new(minter, new_keys, alg, {"kid": NewKeys.kid(alg), "typ": "at+jwt"}, access_claims(now))
    tok = access_validator(new_keyset, algorithms=[alg]).validate(token)
    assert (tok.sub, tok.alg) == ("user-123", alg)
    # The key fits its own algorithm only (a P-384 key never verifies ES512,
    # an Ed25519 key never ES256): the policy allowing everything changes nothing.
    assert access_validator(new_keyset, algorithms=[*ALL_ALGS, *NEW_ALGS]).validate(token).alg == alg
    with pytest.raises(tokenlane.AlgorithmNotAllowed):
        access_validator(new_keyset, algorithms=["ES256"]).validate(token)


@pytest.mark.parametrize("alg", NEW_ALGS)
def test_new_algorithm_id_token_at_hash_computed_independently_matches(
    new_keys: NewKeys, new_keyset: tokenlane.KeySet, now: int, alg: str
) -> None:
    # SHA-384 for ES384, SHA-512 for ES512 and for EdDSA/Ed25519 with an
    # Ed25519 key (openid/connect issue 1125; oidc-token-hash does the same).
    access = mint_new("joserfc", new_keys, alg, {"kid": NewKeys.kid(alg), "typ": "at+jwt"}, access_claims(now))
    digest = (hashlib.sha384 if alg == "ES384" else hashlib.sha512)(access.encode("ascii")).digest()
    token = mint_new("joserfc", new_keys, alg, {"kid": NewKeys.kid(alg)}, id_claims(now, at_hash=b64url(digest[:len(digest) // 2])))
    app = id_validator(new_keyset, algorithms=[alg])
    assert app.validate(token, access_token=access).sub == "user-123"
    sha256 = hashlib.sha256(access.encode("ascii")).digest()
    wrong = mint_new("joserfc", new_keys, alg, {"kid": NewKeys.kid(alg)}, id_claims(now, at_hash=b64url(sha256[:16])))
    with pytest.raises(tokenlane.AtHashMismatch):
        app.validate(wrong, access_token=access)


def test_new_public_keys_load_from_pem_and_from_joserfc_jwks(new_keys: NewKeys, now: int) -> None:
    pems = [
        tokenlane.KeySet.from_pem(
            new_keys.private(alg).public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            kid=NewKeys.kid(alg), alg=alg,
        )
        for alg in ("ES384", "ES512", "EdDSA")
    ]
    ks = pems[0] + pems[1] + pems[2]
    jose_set = JoseKeySet([
        ECKey.import_key(_pkcs8(new_keys.p384), {"kid": "ec-384"}),
        ECKey.import_key(_pkcs8(new_keys.p521), {"kid": "ec-521"}),
        OKPKey.import_key(_pkcs8(new_keys.ed), {"kid": "ed-1"}),
    ])
    from_jose = tokenlane.KeySet.from_jwks(json.dumps(jose_set.as_dict(private=False)))
    for keyset in (ks, from_jose):
        for alg in ("ES384", "ES512", "EdDSA"):
            token = mint_new("pyjwt", new_keys, alg, {"kid": NewKeys.kid(alg), "typ": "at+jwt"}, access_claims(now))
            assert access_validator(keyset, algorithms=[alg]).validate(token).alg == alg
    # The PEM key pinned to EdDSA refuses the Ed25519 name (a pin is exact).
    token = mint_new("joserfc", new_keys, "Ed25519", {"kid": "ed-1", "typ": "at+jwt"}, access_claims(now))
    with pytest.raises(tokenlane.AlgorithmNotAllowed):
        access_validator(ks, algorithms=["Ed25519"]).validate(token)
