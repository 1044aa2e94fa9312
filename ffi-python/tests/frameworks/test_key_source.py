"""The integrations with keys from a key source: the event loop keeps
serving while the key endpoint is slow, and a key rotation (a new ``kid``)
is followed by the request lane as by ``validate``.

The loop-stall test is causal, not timed: the key endpoint does not answer
until the test has seen another route answer, so with a blocked loop the
other route could never answer and the test would fail (httpx's timeout
bounds it)."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Security

import tokenlane
from remote_support import Handler, Reply, Server, SigningKey, jwks
from support import uvicorn_server
from tokenlane.fastapi import TokenAuth
from tokenlane.web import ProtectedResource

ISSUER = "https://issuer.example/"
API = "https://api.example"


def _app(resource: ProtectedResource) -> FastAPI:
    auth = TokenAuth(resource)
    app = FastAPI()

    @app.get("/notes")
    async def notes(token: tokenlane.AccessToken = Security(auth)) -> dict[str, str]:
        return {"sub": token.sub or ""}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def _token(key: SigningKey) -> str:
    return key.access_token(ISSUER, aud=API)


def test_a_slow_key_endpoint_does_not_stall_other_routes() -> None:
    key = SigningKey.new("k1")
    asked = threading.Event()
    release = threading.Event()

    def slow_jwks(h: Handler) -> None:
        asked.set()
        release.wait(30)  # until the test saw /health answer (bounded)
        h.reply(Reply(body=jwks(key)))

    with Server() as idp:
        idp.routes["/jwks"] = slow_jwks
        resource = ProtectedResource(
            resource=API, issuer=ISSUER, algorithms=["ES256"], keys=tokenlane.KeySource.from_jwks_uri(idp.url("/jwks"))
        )
        with uvicorn_server(_app(resource)) as base, httpx.Client(base_url=base, timeout=20) as client:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pending = pool.submit(client.get, "/notes", headers={"Authorization": f"Bearer {_token(key)}"})
                assert asked.wait(20), "the key endpoint was never asked"
                # The key fetch is in flight; the loop must still answer.
                for _ in range(3):
                    assert client.get("/health").json() == {"ok": "yes"}
                assert not pending.done()
                release.set()
                r = pending.result(timeout=20)
        assert r.status_code == 200, r.text
        assert r.json() == {"sub": "user-123"}


def test_the_request_lane_refetches_on_an_unknown_kid() -> None:
    old, new = SigningKey.new("old"), SigningKey.new("new")
    with Server() as idp:
        idp.routes["/jwks"] = Reply(body=jwks(old))
        source = tokenlane.KeySource.from_jwks_uri(idp.url("/jwks"), kid_miss_cooldown=1)
        resource = ProtectedResource(resource=API, issuer=ISSUER, algorithms=["ES256"], keys=source)
        from fastapi.testclient import TestClient

        client = TestClient(_app(resource))
        assert client.get("/notes", headers={"Authorization": f"Bearer {_token(old)}"}).status_code == 200
        idp.routes["/jwks"] = Reply(body=jwks(old, new))  # the provider rotates
        time.sleep(1.1)  # past the 1-second kid-miss cooldown, which counts from the first fetch
        r = client.get("/notes", headers={"Authorization": f"Bearer {_token(new)}"})
        assert r.status_code == 200, r.text
        assert idp.hits["/jwks"] == 2
        # A kid nobody publishes within the cooldown: no fetch, key_not_found (401).
        r = client.get("/notes", headers={"Authorization": f"Bearer {_token(SigningKey.new('nobody'))}"})
        assert r.status_code == 401
        assert r.json()["detail"]["code"] == "key_not_found"


def test_try_authorize_decides_only_what_needs_no_wait() -> None:
    from support import CLIENT_KEY, dpop_proof

    key, rotated = SigningKey.new("k1"), SigningKey.new("k2")
    url = "https://api.example/notes"
    with Server() as idp:
        idp.routes["/jwks"] = Reply(body=jwks(key))
        source = tokenlane.KeySource.from_jwks_uri(idp.url("/jwks"), kid_miss_cooldown=1)
        v = tokenlane.AccessTokenValidator(source, issuer=ISSUER, audience=API, algorithms=["ES256"])
        headers = {"Authorization": f"Bearer {_token(key)}"}
        # No keys yet: it would have to fetch, so it answers None without fetching.
        assert v.try_authorize("GET", url, headers) is None
        assert idp.hits["/jwks"] == 0
        assert v.authorize("GET", url, headers).token.sub == "user-123"
        assert idp.hits["/jwks"] == 1
        # Fresh keys: decided inline, refusals raised as by authorize.
        done = v.try_authorize("GET", url, headers)
        assert done is not None and done.scheme == "Bearer"
        with pytest.raises(tokenlane.MissingToken):
            v.try_authorize("GET", url, {})
        # A Bearer token whose kid the keys lack: None (a fetch may be needed).
        idp.routes["/jwks"] = Reply(body=jwks(key, rotated))
        time.sleep(1.1)  # past the 1-second kid-miss cooldown
        rotated_headers = {"Authorization": f"Bearer {_token(rotated)}"}
        assert v.try_authorize("GET", url, rotated_headers) is None
        assert idp.hits["/jwks"] == 1
        assert v.authorize("GET", url, rotated_headers).token.sub == "user-123"
        assert idp.hits["/jwks"] == 2


def test_a_dpop_request_with_an_unknown_kid_is_decided_again_after_the_fetch() -> None:
    """The core consults the replay store last, after the token: a DPoP
    request that meets an unknown kid has recorded nothing, so try_authorize
    answers None and authorize fetches and accepts the same proof, once."""
    from support import CLIENT_KEY, dpop_proof

    key, rotated = SigningKey.new("k1"), SigningKey.new("k2")
    url = "https://api.example/notes"
    policy = tokenlane.DpopPolicy(algorithms=["ES256"])
    with Server() as idp:
        idp.routes["/jwks"] = Reply(body=jwks(key))
        source = tokenlane.KeySource.from_jwks_uri(idp.url("/jwks"), kid_miss_cooldown=1)
        v = tokenlane.AccessTokenValidator(source, issuer=ISSUER, audience=API, algorithms=["ES256"])
        v.authorize("GET", url, {"Authorization": f"Bearer {_token(key)}"})
        idp.routes["/jwks"] = Reply(body=jwks(key, rotated))
        time.sleep(1.1)  # past the 1-second kid-miss cooldown
        bound = rotated.access_token(ISSUER, aud=API, cnf={"jkt": _jkt(CLIENT_KEY)})
        request = {"Authorization": f"DPoP {bound}", "DPoP": dpop_proof("GET", url, bound)}
        assert v.try_authorize("GET", url, request, dpop=policy) is None
        assert idp.hits["/jwks"] == 1
        assert v.authorize("GET", url, request, dpop=policy).scheme == "DPoP"
        assert idp.hits["/jwks"] == 2
        # The same proof again is a replay.
        with pytest.raises(tokenlane.InvalidDpopProof):
            v.try_authorize("GET", url, request, dpop=policy)


def test_try_authorize_with_fixed_keys_always_decides() -> None:
    key = SigningKey.new("k1")
    v = tokenlane.AccessTokenValidator(
        tokenlane.KeySet.from_jwks(json.dumps(jwks(key))), issuer=ISSUER, audience=API, algorithms=["ES256"]
    )
    done = v.try_authorize("GET", API + "/x", {"Authorization": f"Bearer {_token(key)}"})
    assert done is not None and done.token.sub == "user-123"
    with pytest.raises(tokenlane.KeyNotFound):
        v.try_authorize("GET", API + "/x", {"Authorization": f"Bearer {_token(SigningKey.new('other'))}"})


def _jkt(key: Any) -> str:
    from support import jkt

    return jkt(key)
