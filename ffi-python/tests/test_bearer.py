"""``bearer_token`` parses an ``Authorization`` value per RFC 6750 §2.1,
by the core's rules: the shared ``authorization_cases`` of
tests/conformance/cases.json (also run by the Rust and C suites), then
Python-specific inputs (``bytes``, ``bytearray``, wrong types)."""

from __future__ import annotations

from typing import Any, Union

import pytest

import tokenlane
from test_conformance import DATA

AUTH_CASES: list[dict[str, Any]] = DATA.get("authorization_cases", [])


def _header(case: dict[str, Any]) -> Union[bytes, str, None]:
    if "header_hex" in case:
        return bytes.fromhex(case["header_hex"])
    header: Union[str, None] = case["header"]
    return header


def test_the_authorization_cases_are_there() -> None:
    assert len(AUTH_CASES) >= 20


@pytest.mark.parametrize("case", AUTH_CASES, ids=[c["name"] for c in AUTH_CASES])
def test_authorization_case(case: dict[str, Any]) -> None:
    header = _header(case)
    # Every text case also as bytes (as ASGI/WSGI servers may hand it over).
    forms: list[Union[bytes, str, None]] = [header]
    if isinstance(header, str):
        forms.append(header.encode())
    for h in forms:
        if "token" in case["expect"]:
            assert tokenlane.bearer_token(h) == case["expect"]["token"]
            continue
        code = case["expect"]["error"]
        with pytest.raises(tokenlane.InvalidRequest) as info:
            tokenlane.bearer_token(h)
        assert info.value.code == code
        assert type(info.value) is (tokenlane.MissingToken if code == "missing_token" else tokenlane.InvalidRequest)
        if code == "missing_token":
            assert info.value.http_status == 401
            assert info.value.www_authenticate(realm="api") == 'Bearer realm="api"'
        else:
            assert info.value.http_status == 400
            assert 'error="invalid_request"' in info.value.www_authenticate(realm="api")

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (f"Bearer {TOKEN}", TOKEN),
        (f"bearer {TOKEN}", TOKEN),
        (f"BEARER {TOKEN}", TOKEN),
        (f"bEaReR {TOKEN}", TOKEN),
        (f"Bearer  {TOKEN}", TOKEN),  # 1*SP
        (f"  Bearer {TOKEN}\t", TOKEN),  # surrounding OWS is not part of the value
        (f"Bearer {TOKEN}".encode(), TOKEN),
        ("Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"),  # RFC 6750 §2.1 example
        ("Bearer abc+/~==", "abc+/~=="),  # the whole b64token charset, trailing '='
    ],
)
def test_valid_bearer_credentials(header: Union[str, bytes], token: str) -> None:
    assert tokenlane.bearer_token(header) == token


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        f"Bearer\t{TOKEN}",  # SP only
        f"Bearer {TOKEN} extra",
        f"Bearer {TOKEN},",
        "Bearer a=b",  # '=' only at the end
        "Bearer =abc",
        "Bearer ab%cd",
        "Bearer é",
        f'Bearer "{TOKEN}"',
        b"Bearer \xff",
        f"Bearer {TOKEN}\r\nX-Evil: 1",
    ],
)
def test_malformed_bearer_credentials_are_invalid_request(header: Union[str, bytes]) -> None:
    with pytest.raises(tokenlane.InvalidRequest) as info:
        tokenlane.bearer_token(header)
    assert type(info.value) is tokenlane.InvalidRequest
    assert info.value.rfc6750_error == "invalid_request"
    assert info.value.code == "invalid_request"
    assert info.value.http_status == 400
    assert isinstance(info.value, tokenlane.TokenError)
    # The message is the core's sentence naming what is wrong.
    assert str(info.value).startswith("invalid_request: the Authorization header ")


@pytest.mark.parametrize("header", [None, "", "   ", b"", "Basic dXNlcjpwYXNz", "Digest username=x", "Bearerabc"])
def test_missing_bearer_credentials_are_missing_token(header: Union[str, bytes, None]) -> None:
    with pytest.raises(tokenlane.MissingToken) as info:
        tokenlane.bearer_token(header)
    assert isinstance(info.value, tokenlane.InvalidRequest)
    assert info.value.code == "missing_token"
    assert info.value.rfc6750_error == ""  # RFC 6750 §3.1: no error code
    assert info.value.http_status == 401
    assert info.value.www_authenticate(realm="api") == 'Bearer realm="api"'
    assert str(info.value).startswith("missing_token: ")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "the request has no Authorization header"),
        (" \t", "the Authorization header is empty"),
        ("Basic x", "the Authorization header carries another scheme, not Bearer"),
    ],
)
def test_missing_token_says_why(header: Union[str, None], reason: str) -> None:
    with pytest.raises(tokenlane.MissingToken, match=f"^missing_token: {reason}$"):
        tokenlane.bearer_token(header)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer", "has the Bearer scheme and no credential"),
        ("Bearer\tabc", "has a scheme that is not a token"),
        ("Bearer a b", "carries more than one credential"),
        ("Bearer a, Bearer b", "carries more than one credential"),
        ("Bearer a=b", "carries a credential that is not token68"),
    ],
)
def test_invalid_request_says_why(header: str, reason: str) -> None:
    with pytest.raises(tokenlane.InvalidRequest, match=f"^invalid_request: the Authorization header {reason}$"):
        tokenlane.bearer_token(header)


def test_bytearray_is_accepted_and_the_result_is_a_str() -> None:
    assert tokenlane.bearer_token(bytearray(f"Bearer {TOKEN}".encode())) == TOKEN  # type: ignore[arg-type]
    assert type(tokenlane.bearer_token(f"Bearer {TOKEN}")) is str


def test_lone_surrogates_are_invalid_request_not_a_crash() -> None:
    with pytest.raises(tokenlane.InvalidRequest):
        tokenlane.bearer_token("Bearer \ud800")


def test_non_text_header_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        tokenlane.bearer_token(42)  # type: ignore[arg-type]
