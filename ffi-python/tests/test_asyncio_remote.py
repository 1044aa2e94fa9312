"""The asyncio story: a fetch from a slow key endpoint never blocks the
event loop (issue 17, item 5).

An asyncio app runs a ticker task while it awaits ``validate_async`` (and
``refresh_async``) against a key endpoint that answers after ``DELAY``
seconds. The assertion is structural: the ticker's largest gap stays far
below the endpoint's delay, i.e. the loop kept running during the fetch.
The control test shows the same measurement does catch a blocked loop (a
synchronous ``validate`` on the loop thread), so the assertion can fail.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import pytest

import tokenlane
from remote_support import Handler, Reply, Server, SigningKey, jwks, validator_kwargs

DELAY = 2.0
JWKS = "/jwks"


def _slow_jwks(key: SigningKey) -> Callable[[Handler], None]:
    def route(h: Handler) -> None:
        h.sleep(DELAY)
        h.reply(Reply(body=jwks(key)))

    return route


async def _with_ticker(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float, int]:
    """Runs ``work`` beside a 10 ms ticker; returns its result, the largest
    gap between ticks (seconds) and the number of ticks."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)  # the ticker is running before the fetch starts
    try:
        result = await work()
    finally:
        done.set()
        await tick
    return result, max(gaps), len(gaps)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.new("slow-1")


def test_validate_async_does_not_block_the_loop_while_the_key_endpoint_is_slow(key: SigningKey) -> None:
    with Server() as server:
        server.routes[JWKS] = _slow_jwks(key)
        source = tokenlane.KeySource.from_jwks_uri(server.url(JWKS))
        api = tokenlane.AccessTokenValidator(source, **validator_kwargs(server.base))
        token = key.access_token(server.base)
        started = time.monotonic()
        result, max_gap, ticks = asyncio.run(_with_ticker(lambda: api.validate_async(token)))
        elapsed = time.monotonic() - started
    assert type(result) is tokenlane.AccessToken and result.sub == "user-123"
    assert server.hits[JWKS] == 1
    assert elapsed >= DELAY  # the fetch really waited on the endpoint...
    assert max_gap < DELAY / 4, max_gap  # ...and the loop kept ticking meanwhile
    assert ticks > 20


def test_refresh_async_does_not_block_the_loop(key: SigningKey) -> None:
    with Server() as server:
        server.routes[JWKS] = _slow_jwks(key)
        source = tokenlane.KeySource.from_jwks_uri(server.url(JWKS))
        keys, max_gap, _ = asyncio.run(_with_ticker(lambda: source.refresh_async()))
    assert keys.kids == ["slow-1"]
    assert max_gap < DELAY / 4, max_gap


def test_validate_async_does_not_block_the_loop_while_introspection_is_slow() -> None:
    with Server() as server:
        now = int(time.time())
        answer = {"active": True, "iss": server.base, "aud": "https://api.example", "sub": "user-123",
                  "exp": now + 600}

        def slow(h: Handler) -> None:
            h.sleep(DELAY)
            h.reply(Reply(body=answer))

        server.routes["/introspect"] = slow
        intro = tokenlane.Introspector(server.url("/introspect"), client_id="rs", client_secret="s")
        api = tokenlane.AccessTokenValidator(
            None, introspection=intro, path="introspection", **validator_kwargs(server.base)
        )
        result, max_gap, _ = asyncio.run(_with_ticker(lambda: api.validate_async("opaque-token")))
    assert result.sub == "user-123" and server.hits["/introspect"] == 1
    assert max_gap < DELAY / 4, max_gap


def test_id_lane_validate_async(key: SigningKey) -> None:
    with Server() as server:
        server.routes[JWKS] = Reply(body=jwks(key))
        source = tokenlane.KeySource.from_jwks_uri(server.url(JWKS))
        app = tokenlane.IdTokenValidator(source, issuer=server.base, client_id="client-app", algorithms=["ES256"])
        token = key.id_token(server.base, nonce="n-1")

        async def main() -> tokenlane.IdToken:
            return await app.validate_async(token, nonce="n-1")

        assert asyncio.run(main()).nonce == "n-1"

        async def wrong_nonce() -> tokenlane.IdToken:
            return await app.validate_async(token, nonce="n-2")

        with pytest.raises(tokenlane.NonceMismatch):
            asyncio.run(wrong_nonce())


def test_control_a_synchronous_fetch_on_the_loop_is_seen_as_a_stall(key: SigningKey) -> None:
    """The measurement above can fail: the same app calling the blocking
    ``validate`` on the loop thread stalls the ticker for the whole delay."""
    with Server() as server:
        server.routes[JWKS] = _slow_jwks(key)
        source = tokenlane.KeySource.from_jwks_uri(server.url(JWKS))
        api = tokenlane.AccessTokenValidator(source, **validator_kwargs(server.base))
        token = key.access_token(server.base)

        async def blocking() -> tokenlane.AccessToken:
            return api.validate(token)

        _, max_gap, _ = asyncio.run(_with_ticker(blocking))
    assert max_gap >= DELAY * 0.9


def test_async_methods_need_a_running_loop() -> None:
    source = tokenlane.KeySource.from_jwks_uri("https://127.0.0.1:1/jwks")
    with pytest.raises(RuntimeError):
        source.refresh_async()
