"""Key rotation at the provider (issue 17) and providers signing with
EdDSA and ES384 (issue 20), through `tokenlane keys` / `verify --issuer-url`.
The fetch count of a long-lived key source across the rotation is shown by
remote/tests/oidc_provider.rs (run by scripts/test-oidc.sh)."""

from __future__ import annotations

import pytest

from op import APP_CLIENT, JWT_API, OpenIDProvider, signing_jwks, unverified_header

OK = 0
KEY_NOT_FOUND = 16


def test_rotation_new_key_validates_and_the_removed_one_is_key_not_found(cli):
    with OpenIDProvider(signing_jwks("ES256", "old"), alg="ES256") as op:
        old = op.client_credentials(JWT_API)["access_token"]
        rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, old)
        assert rc == OK, out
        issuer = op.issuer
        # Restart on the same issuer: the new key added, the old one removed.
        op.restart(signing_jwks("ES256", "new"))
        assert op.issuer == issuer
        rc, keys = cli.json("keys", op.issuer)
        assert rc == OK and [k["kid"] for k in keys["keys"]] == ["new"]
        new = op.client_credentials(JWT_API)["access_token"]
        assert unverified_header(new)["kid"] == "new"
        rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, new)
        assert rc == OK, out
        rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, old)
        assert rc == KEY_NOT_FOUND
        assert out["error"]["code"] == "key_not_found"


@pytest.mark.parametrize(
    ("alg", "kty", "crv"),
    [("EdDSA", "OKP", "Ed25519"), ("ES384", "EC", "P-384")],
)
def test_provider_signing_with_new_algorithms(cli, alg, kty, crv):
    with OpenIDProvider(signing_jwks(alg, f"{alg}-1"), alg=alg) as op:
        rc, keys = cli.json("keys", op.issuer)
        assert rc == OK
        assert [(k["kid"], k["kty"], k["crv"], k["alg"]) for k in keys["keys"]] == [(f"{alg}-1", kty, crv, alg)]
        at = op.client_credentials(JWT_API)["access_token"]
        assert unverified_header(at)["alg"] == alg
        rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, at)
        assert rc == OK, out
        assert out["alg"] == alg
        tokens = op.login(JWT_API)
        assert unverified_header(tokens["id_token"])["alg"] == alg
        rc, out = cli.json(
            "verify", "--issuer-url", op.issuer, "--id-token", "--client-id", APP_CLIENT[0],
            f"--nonce={tokens['nonce']}", tokens["id_token"],
        )
        assert rc == OK, out
        rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, tokens["id_token"])
        assert rc == 22 and out["error"]["code"] == "wrong_token_type"
