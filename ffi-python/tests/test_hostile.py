"""Hostile inputs end in a result or a ``TokenError``, never another
exception: non-UTF-8 bytes, lone surrogates, empty, 2 MB, and 10,000 seeded
random mutations of valid tokens, in both lanes."""

from __future__ import annotations

import random
from typing import Callable, Union

import pytest

import tokenlane
from conftest import Keys, access_claims, access_validator, id_claims, id_validator
from test_interop import mint_cryptography

Token = Union[str, bytes]

HOSTILE: list[Token] = [
    "",
    b"",
    ".",
    "..",
    "...",
    b"\xff\xfe\xfd",
    b"\x00" * 64,
    b"eyJhbGciOiJFUzI1NiJ9.\xff\xff.\xc3\x28",
    "\ud800.\udfff.x",
    "é.é.é",
    "a" * 2_000_000,
    b"a.b." + b"c" * 2_000_000,
    "." * 2_000_000,
    "eyJhbGciOiJub25lIn0.e30.",
    "eyJhbGciOiJIUzI1NiJ9" + ".e30" * 10_000,
]


@pytest.mark.parametrize("token", HOSTILE, ids=[repr(t[:20]) + f"[{len(t)}]" for t in HOSTILE])
def test_hostile_input_ends_in_token_error(keyset: tokenlane.KeySet, token: Token) -> None:
    with pytest.raises(tokenlane.TokenError):
        access_validator(keyset).validate(token)
    with pytest.raises(tokenlane.TokenError):
        id_validator(keyset).validate(token, nonce="n", max_age=1, access_token=token)


def test_two_megabyte_token_is_token_too_large(keyset: tokenlane.KeySet) -> None:
    with pytest.raises(tokenlane.TokenTooLarge) as info:
        access_validator(keyset).validate(b"x" * (2 * 1024 * 1024))
    assert info.value.http_status == 400


def test_non_utf8_bytes_are_malformed(keyset: tokenlane.KeySet) -> None:
    with pytest.raises(tokenlane.Malformed):
        access_validator(keyset).validate(b"\xff\xfe\xfd")


def test_wrong_python_types_are_type_errors_not_silent(keyset: tokenlane.KeySet) -> None:
    api = access_validator(keyset)
    for bad in (None, 42, ["a.b.c"], object()):
        with pytest.raises(TypeError):
            api.validate(bad)  # type: ignore[arg-type]


def _mutate(rng: random.Random, token: str) -> Token:
    data = bytearray(token.encode("ascii"))
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        i = rng.randrange(len(data)) if data else 0
        if op == 0 and data:
            data[i] = rng.randrange(256)
        elif op == 1 and data:
            data[i] = ord(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/"))
        elif op == 2 and data:
            del data[i : i + rng.randint(1, 8)]
        elif op == 3:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 4 and data:
            data[i] ^= 1 << rng.randrange(8)
        elif op == 5:
            data = data[: rng.randrange(len(data) + 1)]
        elif op == 6:
            parts = bytes(data).split(b".")
            rng.shuffle(parts)
            data = bytearray(b".".join(parts))
        else:
            data[i:i] = b"."
    if rng.random() < 0.5:
        return bytes(data)
    return bytes(data).decode("utf-8", errors="surrogateescape")


def test_ten_thousand_seeded_mutations_end_in_a_result_or_token_error(
    keys: Keys, keyset: tokenlane.KeySet, now: int
) -> None:
    rng = random.Random(20260101)
    api = access_validator(keyset)
    app = id_validator(keyset)
    seeds = [
        (mint_cryptography(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now)), api.validate),
        (mint_cryptography(keys, "HS256", {"kid": "hs-1", "typ": "at+jwt"}, access_claims(now)), api.validate),
        (mint_cryptography(keys, "RS256", {"kid": "rsa-1"}, id_claims(now)), lambda t: app.validate(t, now=now)),
    ]
    outcomes: dict[str, int] = {}
    for n in range(10_000):
        token, validate = seeds[n % len(seeds)]
        fn: Callable[[Token], object] = validate
        mutated = _mutate(rng, token)
        try:
            fn(mutated)
            outcomes["accepted"] = outcomes.get("accepted", 0) + 1
        except tokenlane.TokenError as e:
            outcomes[e.code] = outcomes.get(e.code, 0) + 1
    assert sum(outcomes.values()) == 10_000
    # The mutations reach deep: past base64 and JSON to the signature check.
    assert outcomes.get("malformed", 0) > 0
    assert outcomes.get("invalid_signature", 0) > 0


def _signed_hs256(keys: Keys, header: str, payload: str) -> str:
    import hashlib
    import hmac

    from conftest import b64url

    signing_input = b64url(header.encode()) + "." + b64url(payload.encode("utf-8", "surrogatepass"))
    sig = hmac.new(keys.secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


ODD_CLAIMS = [
    '"big": ' + "9" * 5000,
    '"big": -' + "9" * 5000,
    '"huge": 1e400',
    '"neg_zero": -0',
    '"lone": "\\ud800"',
    '"nul": "a\\u0000b"',
    '"emoji": "\\ud83d\\ude00 ✓"',
    '"deep": ' + "[" * 14 + "]" * 14,
    '"long": "' + "x" * 9000 + '"',
    '"exp_frac": 1.5',
]


@pytest.mark.parametrize("extra", ODD_CLAIMS, ids=[e[:12] for e in ODD_CLAIMS])
def test_signed_tokens_with_odd_but_valid_claims_give_a_claims_dict(
    keys: Keys, keyset: tokenlane.KeySet, now: int, extra: str
) -> None:
    payload = (
        '{"iss": "https://issuer.example/", "sub": "user-123", "aud": "https://api.example",'
        f' "client_id": "client-app", "iat": {now}, "exp": {now + 60}, "jti": "j", {extra}}}'
    )
    token = _signed_hs256(keys, '{"alg":"HS256","typ":"at+jwt","kid":"hs-1"}', payload)
    try:
        tok = access_validator(keyset, algorithms=["HS256"]).validate(token)
    except tokenlane.TokenError:
        return
    claims = tok.claims
    assert claims["sub"] == "user-123" and len(claims) == 8


def test_integer_claim_past_cpythons_digit_limit_reads_as_a_float(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    payload = (
        '{"iss": "https://issuer.example/", "sub": "user-123", "aud": "https://api.example",'
        f' "client_id": "client-app", "iat": {now}, "exp": {now + 60}, "jti": "j", "n": {"9" * 5000}, "m": 12}}'
    )
    token = _signed_hs256(keys, '{"alg":"HS256","typ":"at+jwt","kid":"hs-1"}', payload)
    claims = access_validator(keyset, algorithms=["HS256"]).validate(token).claims
    assert claims["n"] == float("inf") and claims["m"] == 12 and isinstance(claims["m"], int)
