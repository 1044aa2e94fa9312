"""The shape of the Python API: keyword-only configuration, ValueError for
bad configuration, immutable objects, the lanes' result types, ``now``."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

import pytest

import tokenlane
from conftest import ALL_ALGS, AUDIENCE, ISSUER, Keys, access_claims, access_validator, id_claims, id_validator
from test_interop import mint_pyjwt


def test_the_package_under_test_is_the_installed_one() -> None:
    # The tests run against the wheel installed in a fresh venv, never the
    # source tree, so a missing install step fails here.
    installed = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(tokenlane.__file__).resolve().is_relative_to(installed), tokenlane.__file__
    assert (Path(tokenlane.__file__).parent / "py.typed").is_file()
    assert (Path(tokenlane.__file__).parent / "_native.pyi").is_file()


def test_all_lists_the_public_names() -> None:
    for name in tokenlane.__all__:
        assert hasattr(tokenlane, name), name
    assert {"KeySet", "AccessTokenValidator", "IdTokenValidator", "TokenError", "bearer_token"} <= set(tokenlane.__all__)


def test_the_default_wheel_verifies_with_aws_lc() -> None:
    # The documented default of the wheel (README, "Verification backends";
    # BENCHMARKS.md, "Backend choice"): a build that silently fell back to
    # ring or the pure-Rust crates fails here.
    assert tokenlane.backend() == "aws-lc"


def test_classes_live_in_the_native_module_and_are_frozen(keyset: tokenlane.KeySet) -> None:
    api = access_validator(keyset)
    for obj in (keyset, api, id_validator(keyset)):
        assert type(obj).__module__ == "tokenlane._native"
        with pytest.raises(AttributeError):
            obj.issuer = "x"  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        class Sub(tokenlane.KeySet):  # type: ignore[misc]
            pass


def test_configuration_is_keyword_only(keyset: tokenlane.KeySet) -> None:
    with pytest.raises(TypeError):
        tokenlane.AccessTokenValidator(keyset, ISSUER, AUDIENCE, ["ES256"])  # type: ignore[misc]
    with pytest.raises(TypeError):
        tokenlane.IdTokenValidator(keyset, ISSUER, "client", ["ES256"])  # type: ignore[misc]
    with pytest.raises(TypeError):
        id_validator(keyset).validate("a.b.c", "nonce")  # type: ignore[misc]


@pytest.mark.parametrize(
    "kw",
    [
        {"issuer": ""},
        {"audience": ""},
        {"audience": []},
        {"algorithms": []},
        {"algorithms": ["none"]},
        {"algorithms": ["hs256"]},
        {"algorithms": ["Ed448"]},
        {"leeway": 86_401},
        {"leeway": -1},
        {"leeway": 2**70},
        {"typ": "lenient"},
        {"typ": "STRICT"},
        {"max_token_bytes": 0},
        {"max_token_bytes": 2**21},
        {"max_token_bytes": -5},
        {"required_scopes": [""]},
        {"required_scopes": ["read write"]},
        {"required_scopes": ["read:appointments", 'quo"te']},
    ],
)
def test_bad_access_configuration_is_value_error(keyset: tokenlane.KeySet, kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        access_validator(keyset, **kw)


@pytest.mark.parametrize(
    "kw",
    [{"issuer": ""}, {"client_id": ""}, {"algorithms": []}, {"algorithms": ["None"]}, {"leeway": 100_000}, {"leeway": -3}],
)
def test_bad_id_configuration_is_value_error(keyset: tokenlane.KeySet, kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        id_validator(keyset, **kw)


def test_bad_key_parameters_are_value_errors() -> None:
    with pytest.raises(ValueError):
        tokenlane.KeySet.from_secret(b"k" * 32, alg="none")
    with pytest.raises(TypeError):
        tokenlane.KeySet.from_secret("k" * 32)  # type: ignore[arg-type]


def test_a_single_string_is_refused_where_a_list_is_meant(keyset: tokenlane.KeySet) -> None:
    with pytest.raises(TypeError):
        access_validator(keyset, required_scopes="read")
    with pytest.raises(TypeError):
        access_validator(keyset, algorithms="ES256")


def test_audience_may_be_a_string_or_a_list(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now, aud=["other", AUDIENCE]))
    assert access_validator(keyset, audience=AUDIENCE).validate(token).aud == ["other", AUDIENCE]
    assert access_validator(keyset, audience=("x", AUDIENCE)).validate(token).sub == "user-123"
    with pytest.raises(tokenlane.AudienceMismatch):
        access_validator(keyset, audience=["x", "y"]).validate(token)


def test_access_token_attributes(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(
        keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"},
        access_claims(now, nbf=now - 5, realm_access={"roles": ["admin"]}, amount=1.5),
    )
    tok = access_validator(keyset).validate(token)
    assert (tok.sub, tok.client_id, tok.iss, tok.jti) == ("user-123", "client-app", ISSUER, "at-7f3c2a")
    assert (tok.exp, tok.iat, tok.nbf) == (now + 600, now - 10, now - 5)
    assert tok.aud == [AUDIENCE]
    assert tok.scopes == ["read:appointments", "write:appointments"]
    assert tok.has_scope("read:appointments") and not tok.has_scope("read")
    assert tok.claims["realm_access"] == {"roles": ["admin"]}
    assert tok.claims["amount"] == 1.5
    tok.claims["sub"] = "mallory"  # a fresh dict each time: the token does not change
    assert tok.claims["sub"] == "user-123" and tok.sub == "user-123"
    assert "user-123" in repr(tok)


def test_escaped_claims_read_unescaped_from_str_bytes_and_bytearray(
    keys: Keys, keyset: tokenlane.KeySet, now: int
) -> None:
    # PyJWT's JSON escapes non-ASCII (ensure_ascii) and quotes: the token
    # keeps sub/jti/aud/scope escaped, tokenlane's attributes unescape them
    # (copies beside the claims JSON), plain ones are read in place.
    aud2 = 'api "two" \u00e9'
    claims = access_claims(now, sub="Zo\u00eb \"q\"", jti="j\u2603", aud=[AUDIENCE, aud2])
    claims["scope"] = "read:appointments caf\u00e9"
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, claims)
    v = access_validator(keyset)
    for form in (token, token.encode(), bytearray(token.encode())):
        tok = v.validate(form)
        assert (tok.sub, tok.jti, tok.iss) == ("Zo\u00eb \"q\"", "j\u2603", ISSUER)
        assert tok.aud == [AUDIENCE, aud2]
        assert tok.scopes == ["read:appointments", "caf\u00e9"]
        assert tok.has_scope("caf\u00e9") and not tok.has_scope("cafe")
        assert tok.claims["sub"] == "Zo\u00eb \"q\"" and "\\u00eb" in tok.claims_json


def test_a_small_token_after_a_large_one_reads_only_its_own_claims(
    keys: Keys, keyset: tokenlane.KeySet, now: int
) -> None:
    # Each thread reuses one scratch buffer: a token validated after a much
    # larger one must see none of the larger one's bytes.
    v = access_validator(keyset, max_token_bytes=200_000)
    big = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now, sub="s" * 30_000))
    small = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now, sub="tiny"))
    assert v.validate(big).sub == "s" * 30_000
    tok = v.validate(small)
    assert tok.sub == "tiny" and "s" * 8 not in tok.claims_json
    assert v.validate(big).sub == "s" * 30_000


def test_scopes_from_scp_array(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    claims = access_claims(now, scp=["a", "b"])
    del claims["scope"]
    tok = access_validator(keyset, required_scopes=["b"]).validate(
        mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, claims)
    )
    assert tok.scopes == ["a", "b"]


def test_insufficient_scope_reports_the_required_scopes(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now))
    with pytest.raises(tokenlane.InsufficientScope) as info:
        access_validator(keyset, required_scopes=["read:appointments", "admin"]).validate(token)
    assert info.value.http_status == 403
    assert info.value.scope == "read:appointments admin"
    assert info.value.www_authenticate(realm="api").endswith('scope="read:appointments admin"')


def test_compat_mode_accepts_plain_jwt_access_tokens(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 60}
    token = mint_pyjwt(keys, "RS256", {"kid": "rsa-1"}, claims)
    with pytest.raises(tokenlane.WrongTokenType):
        access_validator(keyset).validate(token)
    tok = access_validator(keyset, typ="compat").validate(token)
    assert tok.sub is None and tok.client_id is None and tok.iat is None and tok.jti is None
    assert tok.scopes == []


def test_now_none_reads_the_clock_and_now_is_used_when_given(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now))
    api = access_validator(keyset)
    assert api.validate(token).sub == "user-123"
    assert api.validate(token, now=None).sub == "user-123"
    with pytest.raises(tokenlane.Expired):
        api.validate(token, now=now + 600)
    assert api.validate(token, now=now + 599).sub == "user-123"
    with pytest.raises(tokenlane.NotYetValid):
        api.validate(token, now=now - 11)
    with pytest.raises(ValueError):
        api.validate(token, now=-1)
    with pytest.raises(tokenlane.Expired):
        api.validate(token, now=2**64 - 1)


def test_leeway(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now))
    assert access_validator(keyset, leeway=60).validate(token, now=now + 659).sub == "user-123"
    with pytest.raises(tokenlane.Expired):
        access_validator(keyset, leeway=60).validate(token, now=now + 660)


def test_max_token_bytes(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "ES256", {"kid": "ec-1", "typ": "at+jwt"}, access_claims(now))
    assert access_validator(keyset, max_token_bytes=len(token)).validate(token).sub == "user-123"
    with pytest.raises(tokenlane.TokenTooLarge):
        access_validator(keyset, max_token_bytes=len(token) - 1).validate(token)


def test_id_token_attributes_and_checks(keys: Keys, keyset: tokenlane.KeySet, now: int) -> None:
    token = mint_pyjwt(keys, "RS256", {"kid": "rsa-1"}, id_claims(now, azp="client-app"))
    app = id_validator(keyset)
    who = app.validate(token, nonce="n-0S6_WzA2Mj", max_age=3600)
    assert (who.sub, who.iss, who.aud, who.exp, who.iat) == ("user-123", ISSUER, ["client-app"], now + 600, now - 10)
    assert (who.auth_time, who.nonce, who.azp, who.name, who.email) == (
        now - 100, "n-0S6_WzA2Mj", "client-app", "Ada Lovelace", "ada@example.com",
    )
    assert who.claims["email"] == "ada@example.com"
    assert not any(hasattr(who, a) for a in ("scopes", "scope", "has_scope", "client_id"))
    with pytest.raises(tokenlane.NonceMismatch):
        app.validate(token, nonce="other")
    with pytest.raises(tokenlane.AuthTooOld):
        app.validate(token, max_age=10)
    with pytest.raises(tokenlane.MissingClaim):
        app.validate(token, access_token="a.b.c")
    with pytest.raises(ValueError):
        app.validate(token, max_age=-1)


def test_key_set_helpers(keys: Keys) -> None:
    ks = tokenlane.KeySet.from_jwks(keys.jwks())
    assert len(ks) == 3 and ks.kids == ["rsa-1", "ec-1", "hs-1"] and ks.skipped == []
    both = ks + tokenlane.KeySet.from_secret(b"s" * 32)
    assert both.kids == ["rsa-1", "ec-1", "hs-1", None]
    assert "4 key(s)" in repr(both)
    mixed = tokenlane.KeySet.from_jwks(
        '{"keys": [{"kty": "oct", "k": "' + "A" * 43 + '"}, {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}, {"kty": "OKP", "crv": "Ed448", "x": "AA"}]}'
    )
    assert len(mixed) == 1
    assert [i for i, _ in mixed.skipped] == [1, 2]
    assert all(isinstance(reason, str) and reason for _, reason in mixed.skipped)


def test_every_algorithm_name_is_accepted_in_configuration(keyset: tokenlane.KeySet) -> None:
    for alg in ALL_ALGS:
        access_validator(keyset, algorithms=[alg])
