"""DPoP-bound access tokens (issue 19) from node-oidc-provider, decided per
request by `tokenlane verify --method --url [--dpop]` (the core's
request::authorize). The client's proofs are minted here with joserfc."""

from __future__ import annotations

from pathlib import Path

import pytest

from op import JWT_API, dpop_key, dpop_proof, jwk_thumbprint, unverified_claims

OK = 0
INVALID_DPOP_PROOF = 33
TOKEN_BINDING_MISMATCH = 35
URL = "https://api.example/jwt/items?page=2"
HTU = "https://api.example/jwt/items"


@pytest.fixture(scope="module")
def bound(op):
    key = dpop_key()
    resp = op.client_credentials(JWT_API, dpop_key=key)
    assert resp["token_type"] == "DPoP"
    assert unverified_claims(resp["access_token"])["cnf"] == {"jkt": jwk_thumbprint(key)}
    return key, resp["access_token"]


def request(cli, op, token, *extra):
    return cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, "--method", "GET", "--url", URL, *extra, "--", token)


def test_bound_token_with_a_fresh_proof_is_accepted(op, cli, bound):
    key, at = bound
    rc, out = request(cli, op, at, "--dpop", dpop_proof(key, "GET", HTU, at))
    assert rc == OK, out
    assert out["binding"] == {"scheme": "DPoP", "jkt": jwk_thumbprint(key), "certificate": False}


def test_bound_token_presented_as_bearer_is_refused(op, cli, bound):
    _, at = bound
    rc, out = request(cli, op, at)
    assert rc == TOKEN_BINDING_MISMATCH
    assert out["error"]["code"] == "token_binding_mismatch"
    # Without --method/--url (no request), the token alone is a valid JWT:
    # only the request lane knows the binding.
    rc, out = cli.json("verify", "--issuer-url", op.issuer, "--audience", JWT_API, at)
    assert rc == OK


def test_proof_for_another_url_is_refused(op, cli, bound):
    key, at = bound
    rc, out = request(cli, op, at, "--dpop", dpop_proof(key, "GET", "https://api.example/jwt/other", at))
    assert rc == INVALID_DPOP_PROOF
    assert out["error"]["code"] == "invalid_dpop_proof"
    assert 'DPoP algs="' in out["error"]["www_authenticate"]
    assert 'error="invalid_dpop_proof"' in out["error"]["www_authenticate"]


def test_proof_by_another_key_is_refused(op, cli, bound):
    _, at = bound
    rc, out = request(cli, op, at, "--dpop", dpop_proof(dpop_key(), "GET", HTU, at))
    assert rc == TOKEN_BINDING_MISMATCH
    assert out["error"]["code"] == "token_binding_mismatch"


def test_replayed_proof_is_refused(op, cli, bound, tmp_path: Path):
    key, at = bound
    store = tmp_path / "seen-proofs"
    proof = dpop_proof(key, "GET", HTU, at)
    rc, out = request(cli, op, at, "--dpop", proof, "--dpop-replay-file", str(store))
    assert rc == OK, out
    rc, out = request(cli, op, at, "--dpop", proof, "--dpop-replay-file", str(store))
    assert rc == INVALID_DPOP_PROOF
    assert out["error"]["code"] == "invalid_dpop_proof"
    # A fresh proof from the same key is accepted with the same store.
    rc, out = request(cli, op, at, "--dpop", dpop_proof(key, "GET", HTU, at), "--dpop-replay-file", str(store))
    assert rc == OK, out


def test_unreadable_replay_store_is_a_server_error(op, cli, bound, tmp_path: Path):
    key, at = bound
    store = tmp_path / "garbled"
    store.write_text("not a replay line\n")
    rc, out = request(cli, op, at, "--dpop", dpop_proof(key, "GET", HTU, at), "--dpop-replay-file", str(store))
    assert rc == 36
    assert out["error"]["code"] == "replay_check_failed" and out["error"]["http_status"] == 500


def test_inspect_recognises_the_proof_and_the_bound_token(cli, bound):
    key, at = bound
    rc, out = cli.json("inspect", at)
    assert rc == 0
    assert out["sender_constraint"] == {"dpop_proof": False, "cnf_jkt": jwk_thumbprint(key), "cnf_x5t#S256": None}
    proof = dpop_proof(key, "GET", HTU, at)
    rc, out = cli.json("inspect", proof)
    assert rc == 0
    assert out["sender_constraint"]["dpop_proof"] is True
    assert out["lane"]["guess"] == "other"
    rc, text, _ = cli("inspect", proof)
    assert "Sender constraint:\n  - a DPoP proof (header typ dpop+jwt, RFC 9449)" in text
    rc, text, _ = cli("inspect", at)
    assert f'  - DPoP-bound (cnf.jkt "{jwk_thumbprint(key)}")' in text


def test_proof_presented_as_the_access_token_is_refused(op, cli, bound):
    key, at = bound
    proof = dpop_proof(key, "GET", HTU, at)
    rc, out = request(cli, op, proof)
    assert rc == 22 and out["error"]["code"] == "wrong_token_type"
