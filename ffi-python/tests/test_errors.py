"""The exception classes agree with the core's code table, and carry the
metadata and ``WWW-Authenticate`` values a resource server needs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import tokenlane
from tokenlane import _native, exceptions
from conftest import access_validator


def _class_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def _classes_by_code() -> dict[str, type[exceptions.TokenlaneError]]:
    # The map the native module raises from, less the base classes.
    return {
        code: cls
        for code, cls in exceptions._BY_CODE.items()
        if cls not in (exceptions.TokenlaneError, exceptions.TokenError)
    }


def test_exception_classes_match_the_core_code_table() -> None:
    """pydantic-core's list_all_errors test, for tokenlane: on drift, print
    exactly what to add or change in tokenlane/exceptions.py."""
    table = _native.error_codes()
    classes = _classes_by_code()
    problems = []
    for code, rfc6750, status in table:
        cls = classes.get(code)
        if cls is None:
            problems.append(
                f"add to tokenlane/exceptions.py, with {_class_name(code)!r} in its __all__:\n\n"
                f"class {_class_name(code)}(TokenError):\n"
                f'    """<one sentence: when this code is raised>"""\n\n'
                f'    code: ClassVar[str] = "{code}"\n'
                + (f'    rfc6750_error: ClassVar[str] = "{rfc6750}"\n' if rfc6750 != "invalid_token" else "")
                + (f"    http_status: ClassVar[int] = {status}\n" if status != 401 else "")
            )
            continue
        if (cls.rfc6750_error, cls.http_status) != (rfc6750, status):
            problems.append(
                f"{cls.__name__}: set rfc6750_error = {rfc6750!r}, http_status = {status} "
                f"(it has {cls.rfc6750_error!r}, {cls.http_status})"
            )
    # The remote faults (KeysUnavailable, ...) are not the core's: they are
    # checked against their own table in tests/test_remote_errors.py.
    core_codes = {row[0] for row in table} | {row[0] for row in _native.remote_error_codes()}
    for code in sorted(set(classes) - core_codes):
        problems.append(f"{classes[code].__name__} has code {code!r}, which the core does not define")
    assert not problems, "\n\n".join(problems)


def test_every_code_has_its_own_class_named_after_it() -> None:
    for code, _, _ in _native.error_codes():
        cls = getattr(tokenlane, _class_name(code))
        assert cls.code == code
        assert cls.__module__ == "tokenlane.exceptions"
        if code == "invalid_key":
            assert issubclass(cls, ValueError) and not issubclass(cls, tokenlane.TokenError)
        if cls.http_status == 500:
            # A server fault (a bad key configuration, a failing DPoP replay
            # store) is never a TokenError: a handler that turns TokenError
            # into a 401 must not hide it.
            assert not issubclass(cls, tokenlane.TokenError)
        else:
            assert issubclass(cls, tokenlane.TokenError)


def test_all_lists_are_the_classes_themselves() -> None:
    """``exceptions.__all__`` is the one hand-kept list: exactly the exception
    classes the module defines; ``tokenlane.__all__`` adds the native types."""
    defined = sorted(
        name
        for name, obj in vars(exceptions).items()
        if isinstance(obj, type) and issubclass(obj, exceptions.TokenlaneError)
    )
    assert sorted(exceptions.__all__) == defined
    natives = [
        "AccessToken",
        "AccessTokenValidator",
        "AuthorizedRequest",
        "DpopPolicy",
        "IdToken",
        "IdTokenValidator",
        "Introspector",
        "KeySet",
        "KeySource",
        "NonceIssuer",
        "ReplayStore",
        "backend",
        "bearer_token",
    ]
    assert tokenlane.__all__ == natives + exceptions.__all__
    for name in tokenlane.__all__:
        assert getattr(tokenlane, name) is not None


def test_the_native_module_raises_the_class_mapped_to_the_code() -> None:
    """No per-code match in Rust: the class comes from ``exceptions._BY_CODE``."""
    with pytest.raises(tokenlane.InvalidKey) as info:
        tokenlane.KeySet.from_secret(b"short")
    assert type(info.value) is exceptions._BY_CODE["invalid_key"]
    for code, _, _ in _native.error_codes():
        assert exceptions._BY_CODE[code].code == code


def test_readme_error_table_is_the_core_table() -> None:
    """ffi-python/README.md's generated table lists every core code with its
    class, RFC 6750 error and status, in number order, as the core's table
    says. With ``UPDATE_TABLES=1`` in the environment the test rewrites the
    block between the markers instead of failing."""
    expected = "| class | code | RFC 6750 | HTTP |\n|---|---|---|---|\n" + "".join(
        # missing_token has no RFC 6750 error (RFC 6750 §3.1): "(none)".
        f"| `{_class_name(code)}` | `{code}` | {rfc6750 or '(none)'} | {status} |\n"
        for code, rfc6750, status in _native.error_codes()
    )
    path = Path(__file__).resolve().parent.parent / "README.md"
    text = path.read_text(encoding="utf-8")
    begin_marker = text.index("<!-- BEGIN generated")
    begin = text.index("\n", begin_marker) + 1
    end = text.index("<!-- END generated -->")
    block = f"\n{expected}\n"
    if text[begin:end] == block:
        return
    if os.environ.get("UPDATE_TABLES"):
        path.write_text(text[:begin] + block + text[end:], encoding="utf-8")
        return
    raise AssertionError(
        "ffi-python/README.md's generated table differs from the core's; "
        "run with UPDATE_TABLES=1 to rewrite it as:\n\n" + expected
    )


def test_token_error_subclasses_are_caught_by_token_error() -> None:
    for cls in _classes_by_code().values():
        assert issubclass(cls, tokenlane.TokenlaneError)
        assert issubclass(cls, Exception)


@pytest.mark.parametrize(
    ("cls", "status", "rfc6750"),
    [
        (tokenlane.Expired, 401, "invalid_token"),
        (tokenlane.Malformed, 401, "invalid_token"),
        (tokenlane.TokenTooLarge, 400, "invalid_request"),
        (tokenlane.InsufficientScope, 403, "insufficient_scope"),
        (tokenlane.WrongTokenType, 401, "invalid_token"),
        (tokenlane.InvalidKey, 500, "invalid_request"),
        (tokenlane.InvalidRequest, 400, "invalid_request"),
        (tokenlane.MissingToken, 401, ""),
    ],
)
def test_metadata(cls: type[tokenlane.TokenlaneError], status: int, rfc6750: str) -> None:
    assert cls.http_status == status
    assert cls.rfc6750_error == rfc6750
    e = cls("message")
    assert e.http_status == status and e.rfc6750_error == rfc6750 and str(e) == "message"


def test_www_authenticate_is_the_core_writer() -> None:
    assert tokenlane.Expired().www_authenticate() == (
        'Bearer error="invalid_token", error_description="the token has expired"'
    )
    assert tokenlane.Expired().www_authenticate(realm="api") == (
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"'
    )
    assert tokenlane.TokenTooLarge().www_authenticate(realm="api") == (
        'Bearer realm="api", error="invalid_request", error_description="the token is too large"'
    )
    assert tokenlane.WrongTokenType().www_authenticate() == (
        'Bearer error="invalid_token", error_description="the token is not an access token for this API"'
    )


def test_www_authenticate_insufficient_scope_names_the_scope() -> None:
    e = tokenlane.InsufficientScope()
    assert e.www_authenticate(realm="api", scope="read write") == (
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="the token lacks a required scope", scope="read write"'
    )
    assert "scope=" not in e.www_authenticate(realm="api")
    # scope is only written for insufficient_scope
    assert "scope=" not in tokenlane.Expired().www_authenticate(scope="read")


def test_www_authenticate_drops_quotes_backslashes_and_control_characters_from_realm() -> None:
    hostile = 'a"p\\i\r\nX-Evil: 1\x00é'
    header = tokenlane.Malformed().www_authenticate(realm=hostile)
    assert header.startswith('Bearer realm="apiX-Evil: 1", ')
    assert "\r" not in header and "\n" not in header
    # The Authorization-header refusals are the core's codes too.
    assert tokenlane.InvalidRequest().www_authenticate(realm=hostile).startswith('Bearer realm="apiX-Evil: 1", ')
    assert tokenlane.MissingToken().www_authenticate(realm=hostile) == 'Bearer realm="apiX-Evil: 1"'


def test_www_authenticate_of_every_code_is_a_valid_rfc6750_challenge() -> None:
    challenge = re.compile(r'Bearer( realm="[ !#-\[\]-~]*",)? error="[a-z_]+", error_description="[ !#-\[\]-~]+"')
    for code, rfc6750, _ in _native.error_codes():
        header = _native.www_authenticate(code, "api", None)
        if code == "missing_token":
            # RFC 6750 §3.1: no credentials, no error information.
            assert rfc6750 == "" and header == 'Bearer realm="api"'
            continue
        assert challenge.fullmatch(header.replace('Bearer realm="api",', 'Bearer realm="api",')), header
        assert f'error="{rfc6750}"' in header


def test_www_authenticate_of_an_unknown_code_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        _native.www_authenticate("no_such_code")


def test_invalid_request_and_missing_token_challenges() -> None:
    assert tokenlane.InvalidRequest().www_authenticate(realm="api") == (
        'Bearer realm="api", error="invalid_request", '
        'error_description="the Authorization header is not a valid Bearer credential"'
    )
    # RFC 6750 §3.1: no credentials at all → no error in the challenge.
    assert tokenlane.MissingToken().www_authenticate(realm="api") == 'Bearer realm="api"'
    assert tokenlane.MissingToken().www_authenticate() == "Bearer"


def test_base_classes_get_the_core_challenge_without_error_details() -> None:
    # Their codes are not in the core's table; the challenge is still the
    # core's (no Python writer), with no error it could get wrong.
    assert tokenlane.TokenError().www_authenticate(realm="api") == 'Bearer realm="api"'
    assert tokenlane.TokenlaneError().www_authenticate() == "Bearer"


def test_refusal_carries_the_core_message_and_the_required_scopes(keyset: tokenlane.KeySet) -> None:
    api = access_validator(keyset, required_scopes=["admin", "audit"])
    with pytest.raises(tokenlane.Malformed) as info:
        api.validate("not-a-token")
    assert str(info.value) == "malformed: not exactly three base64url segments"
    assert info.value.code == "malformed"


def test_invalid_key_is_raised_for_unusable_keys() -> None:
    with pytest.raises(tokenlane.InvalidKey) as info:
        tokenlane.KeySet.from_secret(b"short")
    assert info.value.code == "invalid_key"
    assert "32" in str(info.value)
    for bad in ("", "{", "[]", '{"keys": []}', b"\xff\xfe", "\ud800", '{"keys": [{"kty": "oct", "k": "!!"}]}'):
        with pytest.raises(tokenlane.InvalidKey):
            tokenlane.KeySet.from_jwks(bad)
    for bad_pem in ("", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", b"\xff", "\udcff"):
        with pytest.raises(tokenlane.InvalidKey):
            tokenlane.KeySet.from_pem(bad_pem)
    with pytest.raises(tokenlane.InvalidKey):
        tokenlane.KeySet.from_der(b"\x30\x00")
