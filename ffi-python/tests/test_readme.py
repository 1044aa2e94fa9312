"""The example that opens README.md runs and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_a_working_example(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None and text.index("```python") < text.index("\n## ")
    exec(compile(match.group(1), str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "user-123 client-app ['read:appointments']",
        "wrong_token_type 401",
        'Bearer realm="api", error="invalid_token", error_description="the token is not an access token for this API"',
        "user-123 Ada Lovelace",
    ]


def test_readme_remote_example_runs_against_a_loopback_issuer(capsys: pytest.CaptureFixture[str]) -> None:
    """The 'Keys that stay fresh' example, with the loopback server's URL for
    https://issuer.example/ and tokens minted by PyJWT."""
    import time
    from urllib.parse import parse_qs

    from remote_support import Handler, Reply, Server, SigningKey, jwks

    text = README.read_text(encoding="utf-8")
    marker = text.index("<!-- example: remote")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, marker)
    assert match is not None
    key = SigningKey.new("ec-1")
    now = int(time.time())
    with Server() as server:
        issuer = server.base + "/"

        def introspect(h: Handler) -> None:
            token = parse_qs(h.server.owner.requests[-1].body.decode())["token"][0]
            common = {"active": True, "iss": issuer, "sub": "user-123", "client_id": "client-app",
                      "scope": "read:appointments", "exp": now + 600, "iat": now}
            answers = {"opaque-at": {**common, "aud": "https://api.example", "token_type": "Bearer"},
                       "opaque-rt": common}
            h.reply(Reply(body=answers.get(token, {"active": False})))

        server.routes["/.well-known/openid-configuration"] = Reply(
            body={"issuer": issuer, "jwks_uri": server.url("/jwks"), "introspection_endpoint": server.url("/introspect")}
        )
        server.routes["/jwks"] = Reply(body=jwks(key))
        server.routes["/introspect"] = introspect
        code = match.group(1).replace('"https://issuer.example/"', repr(issuer))
        env = {
            "__name__": "readme_remote",
            "access_token": key.access_token(issuer),
            "opaque_token": "opaque-at",
            "refresh_token": "opaque-rt",
        }
        exec(compile(code, str(README), "exec"), env)
    out = capsys.readouterr().out.splitlines()
    assert out == ["user-123 1", "user-123", "['read:appointments']", "missing_claim"]
    assert server.hits["/introspect"] == 2
