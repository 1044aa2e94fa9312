"""The remote faults' exception classes agree with the native module's one
table (``_native.remote_error_codes()``), the way ``test_errors.py`` checks
the token refusals against the core's code table."""

from __future__ import annotations

import pytest

import tokenlane
from tokenlane import _native, exceptions


def _class_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def test_every_remote_fault_has_its_class() -> None:
    table = _native.remote_error_codes()
    assert table, "the table is not empty"
    for code, status, description in table:
        cls = exceptions._BY_CODE.get(code)
        assert cls is not None, f"add class {_class_name(code)}(RemoteError) with code {code!r} to exceptions.py"
        assert cls.__name__ == _class_name(code) and getattr(tokenlane, cls.__name__) is cls
        assert cls.http_status == status, (cls, status)
        assert issubclass(cls, tokenlane.RemoteError) and not issubclass(cls, tokenlane.TokenError)
        assert cls.rfc6750_error == ""
        assert description


def test_no_remote_class_outside_the_table() -> None:
    codes = {row[0] for row in _native.remote_error_codes()}
    remote = {
        cls.code
        for cls in exceptions._BY_CODE.values()
        if issubclass(cls, tokenlane.RemoteError) and "code" in vars(cls)
    }
    assert remote == codes
    core = {row[0] for row in _native.error_codes()}
    assert not codes & core


@pytest.mark.parametrize("code", [row[0] for row in _native.remote_error_codes()])
def test_remote_fault_challenge_has_no_token_error(code: str) -> None:
    # The token was not judged: no error="invalid_token" in a challenge.
    e = exceptions._BY_CODE[code]("x")
    assert e.www_authenticate(realm="api") == 'Bearer realm="api"'


def test_readme_table_lists_every_remote_fault() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for code, status, _ in _native.remote_error_codes():
        assert f"| `{_class_name(code)}` | `{code}` | {status} |" in readme, code
