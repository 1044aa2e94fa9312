"""RFC 7662 introspection from Python (issue 18): the client as seen on the
wire, its cache, its faults, the path choice, and the conformance file of
introspection responses, every case with its exact code.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, unquote_plus

import pytest

import tokenlane
from conftest import AUDIENCE, REPO
from remote_support import Handler, Reply, Server, SigningKey, jwks, validator_kwargs

INTROSPECT = "/introspect"
OPAQUE = "2YotnFZFEjr1zCsicMWpAA"  # RFC 6749's example access token


@pytest.fixture()
def server() -> Any:
    with Server() as s:
        yield s


def active(issuer: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "active": True,
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "user-123",
        "client_id": "client-app",
        "scope": "read:appointments write:appointments",
        "token_type": "Bearer",
        "exp": now + 600,
        "iat": now - 10,
    }
    body.update(extra)
    return body


def introspector(server: Server, **kw: Any) -> tokenlane.Introspector:
    args: dict[str, Any] = {"client_id": "rs", "client_secret": "secret"}
    args.update(kw)
    return tokenlane.Introspector(server.url(INTROSPECT), **args)


def api(server: Server, intro: Optional[tokenlane.Introspector], keys: Any = None, **kw: Any) -> tokenlane.AccessTokenValidator:
    return tokenlane.AccessTokenValidator(keys, introspection=intro, **validator_kwargs(server.base), **kw)


# ---------------------------------------------------------------------------
# The request on the wire.


def test_client_secret_basic_on_the_wire(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    # RFC 6749 Appendix B's example characters, and a colon in the id, which
    # only the form-encoding of §2.3.1 keeps apart from the separator.
    intro = introspector(server, client_id="rs:api", client_secret=" %&+£€", auth="basic")
    t = api(server, intro, path="introspection").validate(OPAQUE)
    assert t.sub == "user-123"
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", INTROSPECT)
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    scheme, _, creds = req.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    raw = base64.b64decode(creds, validate=True).decode("ascii")
    assert raw == "rs%3Aapi:+%25%26%2B%C2%A3%E2%82%AC"  # RFC 6749 Appendix B's encoding
    user, _, password = raw.partition(":")
    assert (unquote_plus(user), unquote_plus(password)) == ("rs:api", " %&+£€")
    form = parse_qs(req.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert form == {"token": [OPAQUE], "token_type_hint": ["access_token"]}


def test_client_secret_post_on_the_wire(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    intro = introspector(server, client_id="rs:api", client_secret="s&=cret", auth="post")
    api(server, intro, path="introspection").validate(OPAQUE)
    (req,) = server.requests
    assert "authorization" not in req.headers
    form = parse_qs(req.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    assert form == {
        "token": [OPAQUE],
        "token_type_hint": ["access_token"],
        "client_id": ["rs:api"],
        "client_secret": ["s&=cret"],
    }


# ---------------------------------------------------------------------------
# The answer: the same AccessToken class as a JWT; refusals with exact codes.


def test_opaque_token_is_the_same_access_token_class(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    v = api(server, introspector(server), path="introspection", required_scopes=["read:appointments"])
    t = v.validate(OPAQUE)
    assert type(t) is tokenlane.AccessToken
    assert (t.sub, t.client_id, t.iss, t.aud, t.alg) == ("user-123", "client-app", server.base, [AUDIENCE], "")
    assert t.scopes == ["read:appointments", "write:appointments"] and t.has_scope("write:appointments")


def test_repeated_token_hits_the_endpoint_once(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    intro = introspector(server)
    v = api(server, intro, path="introspection")
    for _ in range(5):
        assert v.validate(OPAQUE).sub == "user-123"
    assert server.hits[INTROSPECT] == 1
    assert intro.cached_len == 1
    v.validate("another-opaque-token")
    assert server.hits[INTROSPECT] == 2


def test_refused_answers_are_cached_too(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body={"active": False})
    v = api(server, introspector(server), path="introspection")
    for _ in range(3):
        with pytest.raises(tokenlane.InvalidClaim):
            v.validate(OPAQUE)
    assert server.hits[INTROSPECT] == 1


def test_refresh_token_answer_is_refused(server: Server) -> None:
    # node-oidc-provider 9's answer for a refresh token: active, scopes, no
    # token_type, no aud. The default aud rule refuses it.
    now = int(time.time())
    refresh = {"active": True, "client_id": "client-app", "sub": "user-123", "iss": server.base,
               "scope": "openid offline_access read:appointments", "exp": now + 3600, "iat": now}
    server.routes[INTROSPECT] = Reply(body=refresh)
    v = api(server, introspector(server), path="introspection", required_scopes=["read:appointments"])
    with pytest.raises(tokenlane.TokenError) as info:
        v.validate(OPAQUE)
    assert info.value.code == "missing_claim" and "aud" in str(info.value)
    # A server that says token_type: refresh_token is refused by the lane
    # mark, even with the audience opt-out.
    server.routes[INTROSPECT] = Reply(body={**refresh, "token_type": "refresh_token"})
    v = api(server, introspector(server), path="introspection", introspection_audience="allow_absent")
    with pytest.raises(tokenlane.TokenError) as info:
        v.validate(OPAQUE)
    assert info.value.code == "wrong_token_type"


# ---------------------------------------------------------------------------
# Faults: server errors, never the user's invalid_token.


@pytest.mark.parametrize("status", [401, 403])
def test_endpoint_refusing_our_credentials_is_a_server_error(server: Server, status: int) -> None:
    server.routes[INTROSPECT] = Reply(status, {"error": "invalid_client"})
    v = api(server, introspector(server), path="introspection")
    with pytest.raises(tokenlane.IntrospectionCredentialsRefused) as info:
        v.validate(OPAQUE)
    e = info.value
    assert not isinstance(e, tokenlane.TokenError) and isinstance(e, tokenlane.RemoteError)
    assert (e.code, e.http_status) == ("introspection_credentials_refused", 500)
    assert str(status) in str(e) and OPAQUE not in str(e)


def _slow(h: Handler) -> None:
    h.sleep(5)
    h.reply(Reply(body={"active": True}))


@pytest.mark.parametrize(
    "route",
    [
        Reply(500, "oops"),
        Reply(302, b"", {"Location": "/elsewhere"}),
        Reply(200, "<html><body>Unauthorized</body></html>", {"Content-Type": "text/html"}),
        Reply(200, '{"active": tru'),
        Reply(200, b'{"active":true,"pad":"' + b"x" * 70_000 + b'"}'),
        _slow,
    ],
    ids=["http_500", "redirect", "html", "invalid_json", "oversized", "slow"],
)
def test_endpoint_faults_are_introspection_unavailable(server: Server, route: Any) -> None:
    server.routes[INTROSPECT] = route
    server.routes["/elsewhere"] = Reply(body=active(server.base))
    v = api(server, introspector(server, total_timeout=1.0), path="introspection")
    with pytest.raises(tokenlane.IntrospectionUnavailable) as info:
        v.validate(OPAQUE)
    assert (info.value.code, info.value.http_status) == ("introspection_unavailable", 503)
    assert server.hits["/elsewhere"] == 0  # never follows a redirect with the secret


def test_endpoint_down_is_introspection_unavailable() -> None:
    with Server() as server:
        url = server.url(INTROSPECT)
    intro = tokenlane.Introspector(url, client_id="rs", client_secret="s")
    v = tokenlane.AccessTokenValidator(None, introspection=intro, path="introspection", **validator_kwargs("x"))
    with pytest.raises(tokenlane.IntrospectionUnavailable, match="could not connect"):
        v.validate(OPAQUE)


# ---------------------------------------------------------------------------
# Path choice: the core's route_access_token.


def test_path_both_sends_jwts_to_local_validation_and_opaque_tokens_to_the_endpoint(server: Server) -> None:
    key = SigningKey.new("k1")
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    keys = tokenlane.KeySet.from_jwks(json.dumps(jwks(key)))
    v = api(server, introspector(server), keys=keys)  # path defaults to "both" with an introspector
    assert v.validate(key.access_token(server.base)).alg == "ES256"
    assert server.hits[INTROSPECT] == 0  # a JWT is never sent
    assert v.validate(OPAQUE).alg == ""
    assert server.hits[INTROSPECT] == 1
    # A JWT with a broken signature stays on the local path.
    with pytest.raises(tokenlane.InvalidSignature):
        v.validate(key.access_token(server.base)[:-4] + "AAAA")
    assert server.hits[INTROSPECT] == 1


def test_path_jwt_never_introspects(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    keys = tokenlane.KeySet.from_jwks(json.dumps(jwks(SigningKey.new("k1"))))
    v = api(server, introspector(server), keys=keys, path="jwt")
    with pytest.raises(tokenlane.Malformed):
        v.validate(OPAQUE)
    assert server.hits[INTROSPECT] == 0


def test_path_introspection_sends_jwts_too(server: Server) -> None:
    key = SigningKey.new("k1")
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    v = api(server, introspector(server), path="introspection")
    assert v.validate(key.access_token(server.base)).alg == ""
    assert server.hits[INTROSPECT] == 1


def test_oversized_token_is_sent_nowhere(server: Server) -> None:
    server.routes[INTROSPECT] = Reply(body=active(server.base))
    v = api(server, introspector(server), path="introspection", max_token_bytes=64)
    with pytest.raises(tokenlane.TokenTooLarge):
        v.validate("x" * 65)
    assert server.hits[INTROSPECT] == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"path": "both"}, "introspection="),
        ({"path": "introspection"}, "introspection="),
        ({"path": "opaque"}, "path must be"),
        ({"introspection_audience": "optional"}, "introspection_audience"),
    ],
)
def test_bad_routing_options_raise_value_error(kwargs: dict[str, Any], match: str) -> None:
    keys = tokenlane.KeySet.from_secret(bytes(32))
    with pytest.raises(ValueError, match=match):
        tokenlane.AccessTokenValidator(keys, **validator_kwargs("https://issuer.example/"), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth": "private_key_jwt"},
        {"client_id": ""},
        {"positive_ttl": -1},
        {"max_entries": -1},
        {"total_timeout": 0},
        {"ca_bundle_pem": b"garbage"},
    ],
)
def test_bad_introspector_options_raise_value_error(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"client_id": "rs", "client_secret": "s"}
    args.update(kwargs)
    with pytest.raises(ValueError):
        tokenlane.Introspector("https://127.0.0.1:1/introspect", **args)
    with pytest.raises(ValueError):
        tokenlane.Introspector("http://as.example/introspect", client_id="rs", client_secret="s")


def test_repr_never_shows_the_secret(server: Server) -> None:
    intro = introspector(server, client_secret="hunter2-secret")
    assert "hunter2" not in repr(intro)


# ---------------------------------------------------------------------------
# The no-I/O decision, and the shared conformance file.

CONFORMANCE = json.loads((REPO / "tests" / "conformance" / "introspection.json").read_text(encoding="utf-8"))


def _case_id(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("case", CONFORMANCE["cases"], ids=_case_id)
def test_conformance_introspection_case(case: dict[str, Any]) -> None:
    policy = {**CONFORMANCE["defaults"], **case.get("policy", {})}
    v = tokenlane.AccessTokenValidator(
        tokenlane.KeySet.from_secret(bytes(range(32))),  # not used: introspection has no signature
        issuer=policy["issuer"],
        audience=policy["audience"],
        algorithms=["HS256"],
        leeway=policy["leeway"],
        required_scopes=policy["required_scopes"],
        introspection_audience=policy["introspection_audience"],
    )
    if "response" in case:
        body = json.dumps(case["response"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    else:
        body = case["response_text"].encode("utf-8")
    if case["expect"] == "ok":
        t = v.validate_introspection(body, now=policy["now"])
        assert type(t) is tokenlane.AccessToken and t.alg == ""
        for name, want in case.get("accepted", {}).items():
            assert getattr(t, name) == want, name
        return
    with pytest.raises(tokenlane.TokenError) as info:
        v.validate_introspection(body, now=policy["now"])
    assert info.value.code == case["expect"]
    if "claim" in case:
        assert case["claim"] in str(info.value)


def test_conformance_file_covers_what_it_says() -> None:
    # Every case ran above; this pins that the runner saw the whole file.
    names = [c["name"] for c in CONFORMANCE["cases"]]
    assert len(names) == len(set(names)) >= 60


def test_validate_introspection_takes_str_and_bounds_the_size() -> None:
    v = tokenlane.AccessTokenValidator(
        tokenlane.KeySet.from_secret(bytes(32)), **validator_kwargs("https://issuer.example/")
    )
    body = json.dumps(active("https://issuer.example/"))
    assert v.validate_introspection(body).sub == "user-123"
    with pytest.raises(tokenlane.TokenTooLarge):
        v.validate_introspection(b" " * (64 * 1024 + 1))
    with pytest.raises(tokenlane.Malformed):
        v.validate_introspection("<html>")
