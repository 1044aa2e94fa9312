"""Discovery, RFC 9068 JWT access tokens and the ID token's lane, against
node-oidc-provider through `tokenlane keys` / `verify --issuer-url`."""

from __future__ import annotations

from op import APP_CLIENT, JWT_API, OPAQUE_API, unverified_header

# Exit statuses: 10 + the core's stable code number (cli/README.md).
OK = 0
AUDIENCE_MISMATCH = 21
WRONG_TOKEN_TYPE = 22


def test_keys_discovers_the_provider_and_shows_its_key(op, cli):
    rc, out = cli.json("keys", op.issuer)
    assert rc == OK
    assert out["issuer"] == op.issuer
    assert out["metadata"] == "openid-configuration"
    assert out["jwks_uri"] == op.issuer + "/jwks"
    assert out["introspection_endpoint"] == op.issuer + "/token/introspection"
    assert out["keys"] == [{"kid": "es256-1", "kty": "EC", "crv": "P-256", "alg": "ES256", "verifies": ["ES256"]}]
    assert out["skipped"] == []
    assert out["cache"]["ttl"] == 600  # no max-age from the provider: the policy's default TTL


def test_keys_reads_a_jwks_uri_directly(op, cli):
    rc, out = cli.json("keys", "--jwks-uri", op.issuer + "/jwks")
    assert rc == OK
    assert out["issuer"] is None and out["jwks_uri"] == op.issuer + "/jwks"
    assert [k["kid"] for k in out["keys"]] == ["es256-1"]


def test_keys_text_output(op, cli):
    rc, out, err = cli("keys", op.issuer)
    assert rc == OK, err
    assert f"issuer      {op.issuer} (metadata: openid-configuration)\n" in out
    assert "  kid es256-1  EC P-256  alg ES256  verifies ES256\n" in out
    assert "skipped     0\n" in out


def test_rfc9068_access_token_from_client_credentials_is_accepted(op, cli):
    at = op.client_credentials(JWT_API, scope="read write")["access_token"]
    assert unverified_header(at)["typ"] == "at+jwt"
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, "--scope", "write", at)
    assert rc == OK, out
    assert out["valid"] is True and out["path"] == "local"
    assert out["sub"] == "cc-client" and out["client_id"] == "cc-client"
    assert out["scopes"] == ["read", "write"]
    assert out["aud"] == [JWT_API]
    assert out["iss"] == op.issuer


def test_login_access_token_accepted_and_its_id_token_refused_at_the_api(op, cli):
    tokens = op.login(JWT_API)
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, tokens["access_token"])
    assert rc == OK, out
    assert out["sub"] == "alice" and out["client_id"] == APP_CLIENT[0]
    # The ID token of the same login, presented at the API: node-oidc-provider
    # signs it with the same key and sends no header typ; the access lane's
    # strict mode requires typ at+jwt.
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, tokens["id_token"])
    assert rc == WRONG_TOKEN_TYPE
    assert out["error"]["code"] == "wrong_token_type"
    assert out["error"]["message"] == "wrong_token_type: header has no typ, and strict mode requires typ at+jwt"
    # In compat mode (typ may be absent) the ID token's own marks still refuse it.
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, "--compat", tokens["id_token"])
    assert rc == WRONG_TOKEN_TYPE
    assert out["error"]["code"] == "wrong_token_type"


def test_login_id_token_accepted_by_the_client_app(op, cli):
    tokens = op.login(JWT_API)
    rc, out = cli.json(
        "verify", "--issuer-url", op.issuer, "--id-token", "--client-id", APP_CLIENT[0],
        f"--nonce={tokens['nonce']}", tokens["id_token"],
    )
    assert rc == OK, out
    assert out["lane"] == "id" and out["sub"] == "alice" and out["aud"] == [APP_CLIENT[0]]
    rc, out = cli.json(
        "verify", "--issuer-url", op.issuer, "--id-token", "--client-id", APP_CLIENT[0],
        "--nonce", "another-nonce", tokens["id_token"],
    )
    assert rc == 26 and out["error"]["code"] == "nonce_mismatch"


def test_jwt_for_another_resource_is_refused(op, cli):
    at = op.client_credentials(JWT_API)["access_token"]
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", OPAQUE_API, at)
    assert rc == AUDIENCE_MISMATCH
    assert out["error"]["code"] == "audience_mismatch"


def test_issuer_url_that_is_not_the_metadata_issuer_is_not_judged(op, cli):
    # A trailing slash makes another issuer: discovery's exact comparison
    # (mix-up defence) fails, and the token is not judged (exit 4).
    at = op.client_credentials(JWT_API)["access_token"]
    rc, out, err = cli("verify", "--issuer-url", op.issuer + "/", "--audience", JWT_API, at)
    assert rc == 4, (out, err)
    assert err.startswith("tokenlane: error: keys: ")
