"""``bearer_token`` parses an ``Authorization`` value per RFC 6750 §2.1."""

from __future__ import annotations

from typing import Union

import pytest

import tokenlane

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


@pytest.mark.parametrize("header", [None, "", "   ", b"", "Basic dXNlcjpwYXNz", "Digest username=x", "Bearerabc"])
def test_missing_bearer_credentials_are_missing_token(header: Union[str, bytes, None]) -> None:
    with pytest.raises(tokenlane.MissingToken) as info:
        tokenlane.bearer_token(header)
    assert isinstance(info.value, tokenlane.InvalidRequest)
    assert info.value.rfc6750_error == "invalid_request"
    assert info.value.http_status == 401
    assert info.value.www_authenticate(realm="api") == 'Bearer realm="api"'


def test_non_text_header_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        tokenlane.bearer_token(42)  # type: ignore[arg-type]
