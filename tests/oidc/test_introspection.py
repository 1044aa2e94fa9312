"""RFC 7662 introspection in the access lane (issue 18) against
node-oidc-provider, through `tokenlane verify --introspect` (the remote
crate's Introspector; the core decides each answer)."""

from __future__ import annotations

from pathlib import Path

from op import CC_CLIENT, JWT_API, OPAQUE_API, OTHER_API, RS_CLIENT, unverified_claims

OK = 0
REMOTE = 4
AUDIENCE_MISMATCH = 21
MISSING_CLAIM = 23
INVALID_CLAIM = 24
INSUFFICIENT_SCOPE = 25

SECRET_ENV = {"TOKENLANE_CLIENT_SECRET": RS_CLIENT[1]}


def introspect(cli, op, token, *extra, env=SECRET_ENV, audience=OPAQUE_API):
    return cli.json(
        "verify", "--issuer-url", op.issuer, "--audience", audience,
        "--introspect", "--client-id", RS_CLIENT[0], *extra, "--", token, env=env,
    )


def test_opaque_access_token_is_accepted_with_its_scopes(op, cli):
    at = op.client_credentials(OPAQUE_API, scope="read write")["access_token"]
    assert at.count(".") == 0  # opaque: never decoded as a JWT
    rc, out = introspect(cli, op, at, "--scope", "read")
    assert rc == OK, out
    assert out["path"] == "introspection"
    assert out["client_id"] == "cc-client" and out["scopes"] == ["read", "write"]
    assert out["aud"] == [OPAQUE_API] and out["iss"] == op.issuer
    assert out["alg"] is None
    rc, out = introspect(cli, op, at, "--scope", "admin")
    assert rc == INSUFFICIENT_SCOPE and out["error"]["code"] == "insufficient_scope"


def test_opaque_token_from_the_login_is_accepted_with_client_secret_post(op, cli, tmp_path: Path):
    tokens = op.login(OPAQUE_API)
    secret = tmp_path / "rs-secret"
    secret.write_text(RS_CLIENT[1] + "\n")
    rc, out = introspect(
        cli, op, tokens["access_token"], "--client-auth", "client_secret_post",
        "--client-secret-file", str(secret), env={},
    )
    assert rc == OK, out
    assert out["sub"] == "alice" and out["client_id"] == "app-client" and out["scopes"] == ["read"]


def test_refresh_token_is_refused_although_the_provider_says_active(op, cli):
    tokens = op.login(OPAQUE_API)
    refresh = tokens["refresh_token"]
    answer = op.introspect(refresh)
    # node-oidc-provider 9: active, with scopes, but neither token_type nor aud.
    assert answer["active"] is True and "read" in answer["scope"].split()
    assert "token_type" not in answer and "aud" not in answer
    # The rule that refuses it: `aud` is required in an introspection answer
    # (IntrospectionAudience::Required, the default): missing_claim (aud).
    rc, out = introspect(cli, op, refresh, "--scope", "read")
    assert rc == MISSING_CLAIM
    assert out["error"]["code"] == "missing_claim"
    assert out["error"]["message"] == "missing_claim: the token lacks `aud`"
    assert out["error"]["http_status"] == 401


def test_revoked_token_is_refused(op, cli):
    at = op.client_credentials(OPAQUE_API)["access_token"]
    rc, _ = introspect(cli, op, at)
    assert rc == OK
    op.revoke(at, CC_CLIENT)
    assert op.introspect(at) == {"active": False}
    # `active: false` is invalid_claim (active), RFC 6750 invalid_token.
    rc, out = introspect(cli, op, at)
    assert rc == INVALID_CLAIM
    assert out["error"]["code"] == "invalid_claim"
    assert out["error"]["rfc6750_error"] == "invalid_token"


def test_token_for_another_resource_is_refused(op, cli):
    # RFC 8707: the token was issued for OTHER_API; this API is OPAQUE_API.
    at = op.client_credentials(OTHER_API)["access_token"]
    assert op.introspect(at)["aud"] == OTHER_API
    rc, out = introspect(cli, op, at)
    assert rc == AUDIENCE_MISMATCH
    assert out["error"]["code"] == "audience_mismatch"


def test_jwt_takes_the_local_path_and_opaque_the_endpoint(op, cli):
    jwt = op.client_credentials(JWT_API)["access_token"]
    rc, out = introspect(cli, op, jwt, audience=JWT_API)
    assert rc == OK and out["path"] == "local" and out["alg"] == "ES256"
    # introspection-only sends the JWT to the endpoint, which refuses to
    # introspect structured tokens (node-oidc-provider answers 400): an
    # endpoint fault, the token not judged (exit 4), never invalid_token.
    rc, out, err = cli(
        "verify", "--issuer-url", op.issuer, "--audience", JWT_API, "--introspect",
        "--client-id", RS_CLIENT[0], "--access-path", "introspection-only", jwt, env=SECRET_ENV,
    )
    assert rc == REMOTE and out == ""
    assert err == "tokenlane: error: introspection endpoint: the server answered HTTP 400\n"
    # Without --introspect an opaque token is never sent anywhere: malformed.
    opaque = op.client_credentials(OPAQUE_API)["access_token"]
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", OPAQUE_API, "--", opaque)
    assert rc == 11 and out["error"]["code"] == "malformed"
    assert unverified_claims(jwt)["aud"] == JWT_API


def test_wrong_resource_server_secret_is_a_server_fault_not_invalid_token(op, cli):
    at = op.client_credentials(OPAQUE_API)["access_token"]
    rc, out, err = cli(
        "verify", "--issuer-url", op.issuer, "--audience", OPAQUE_API, "--introspect",
        "--client-id", RS_CLIENT[0], "--", at, env={"TOKENLANE_CLIENT_SECRET": "wrong"},
    )
    assert rc == REMOTE, (out, err)
    assert err == "tokenlane: error: introspection endpoint: the server answered HTTP 401\n"


def test_missing_secret_is_a_usage_error(op, cli):
    rc, _, err = cli(
        "verify", "--issuer-url", op.issuer, "--audience", OPAQUE_API, "--introspect",
        "--client-id", RS_CLIENT[0], "--", "opaque-token", env={},
    )
    assert rc == 2
    assert "TOKENLANE_CLIENT_SECRET" in err
