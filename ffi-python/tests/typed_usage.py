"""A typed tour of the public API. ``mypy --strict`` checks this file
against the package's stubs, and ``test_typed_usage.py`` runs it, so the
stubs and the runtime cannot disagree on what a user writes."""

from __future__ import annotations

import asyncio
import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

import tokenlane

ISSUER = "https://issuer.example/"
API = "https://api.example"
CLIENT = "client-app"


def main() -> None:
    # Keys: an IdP's P-256 key; its JWKS as the IdP would publish it.
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwk["kid"] = "ec-1"
    keys: tokenlane.KeySet = tokenlane.KeySet.from_jwks(json.dumps({"keys": [jwk]}))
    skipped: list[tuple[int, str]] = keys.skipped
    assert skipped == [] and len(keys) == 1

    now = int(time.time())
    access = jwt.encode(
        {"iss": ISSUER, "sub": "user-1", "aud": API, "client_id": CLIENT, "iat": now, "exp": now + 60,
         "jti": "j-1", "scope": "read:appointments"},
        private, algorithm="ES256", headers={"kid": "ec-1", "typ": "at+jwt"},
    )
    id_token = jwt.encode(
        {"iss": ISSUER, "sub": "user-1", "aud": CLIENT, "iat": now, "exp": now + 60, "nonce": "n-1"},
        private, algorithm="ES256", headers={"kid": "ec-1"},
    )

    # The API's lane.
    api = tokenlane.AccessTokenValidator(
        keys, issuer=ISSUER, audience=API, algorithms=["ES256"], leeway=60,
        required_scopes=["read:appointments"], typ="strict",
    )
    raw: str = tokenlane.bearer_token(f"Bearer {access}")
    tok: tokenlane.AccessToken = api.validate(raw)
    sub: str | None = tok.sub
    scopes: list[str] = tok.scopes
    aud: list[str] = tok.aud
    exp: int = tok.exp
    claims = tok.claims
    assert sub == "user-1" and scopes == ["read:appointments"] and aud == [API] and exp == now + 60
    assert tok.has_scope("read:appointments") and claims["jti"] == "j-1"

    # An ID token at the API is refused, with what the server answers.
    try:
        api.validate(id_token.encode("ascii"), now=now)
    except tokenlane.WrongTokenType as e:
        status: int = e.http_status
        header: str = e.www_authenticate(realm="api")
        code: str = e.code
        assert (status, code) == (401, "wrong_token_type") and header.startswith('Bearer realm="api"')
    else:
        raise AssertionError("an ID token was accepted as an access token")

    # The client app's lane.
    app = tokenlane.IdTokenValidator(keys, issuer=ISSUER, client_id=CLIENT, algorithms=["ES256"])
    who: tokenlane.IdToken = app.validate(id_token, nonce="n-1", max_age=None, access_token=None)
    auth_time: int | None = who.auth_time
    assert who.sub == "user-1" and auth_time is None and who.nonce == "n-1"

    # Errors: one class per code, all TokenError.
    try:
        app.validate("not.a.token")
    except tokenlane.TokenError as e:
        assert e.code == "malformed" and e.rfc6750_error == "invalid_token"
    try:
        tokenlane.KeySet.from_secret(b"too short")
    except tokenlane.InvalidKey as e:
        assert e.code == "invalid_key"
    try:
        tokenlane.bearer_token(None)
    except tokenlane.InvalidRequest as e:
        assert e.code == "missing_token" and e.http_status == 401

    # The request lane: a whole request, Bearer here (DPoP allowed too).
    store = tokenlane.ReplayStore(capacity=10_000, iat_window=60)
    dpop = tokenlane.DpopPolicy(algorithms=["ES256", "PS256"], mode="allowed", replay=store)
    done: tokenlane.AuthorizedRequest = api.authorize(
        "GET", "https://api.example/appointments", [("Authorization", f"Bearer {access}")],
        dpop=dpop, client_cert_sha256=None, realm="api",
    )
    bound: str | None = done.jkt
    extra: dict[str, str] = done.headers
    assert done.scheme == "Bearer" and bound is None and not done.certificate_bound and extra == {}
    assert done.token.sub == "user-1"
    try:
        api.authorize("GET", "https://api.example/appointments", {"Authorization": f"DPoP {access}"}, dpop=dpop)
    except tokenlane.InvalidDpopProof as e:
        challenge: str | None = e.challenge
        nonce: str | None = e.dpop_nonce
        answer: dict[str, str] = e.headers
        assert challenge is not None and f'algs="{" ".join(dpop.algorithms)}"' in challenge and nonce is None
        assert answer["WWW-Authenticate"] == challenge
    # Stateless nonces shared by the replicas: a native issuer.
    issuer = tokenlane.NonceIssuer(b"\x07" * 32, bucket_secs=300)
    fresh: str = issuer.issue(now)
    assert issuer.check(fresh, now) and issuer.bucket_secs == 300
    with_nonces = tokenlane.DpopPolicy(algorithms=["ES256"], replay=store, nonce=issuer)
    try:
        api.authorize("GET", "https://api.example/appointments", {"Authorization": f"DPoP {access}"},
                      dpop=with_nonces, now=now)
    except tokenlane.InvalidDpopProof as e:
        assert e.dpop_nonce == fresh

    remote(api, access, now)


def remote(api: tokenlane.AccessTokenValidator, access: str, now: int) -> None:
    # Keys that stay fresh: a key source (no I/O until the first load).
    events: list[tuple[str, str]] = []
    source: tokenlane.KeySource = tokenlane.KeySource.from_issuer(
        ISSUER, connect_timeout=1.0, total_timeout=1.0, max_stale=3600, kid_miss_cooldown=30,
        on_event=lambda kind, message: events.append((kind, message)),
    )
    counts: dict[str, int] = source.counts
    policy: dict[str, int] = source.policy
    metadata: dict[str, str | None] | None = source.metadata
    assert counts["fetched"] == 0 and policy["max_stale"] == 3600 and metadata is None
    followed = tokenlane.AccessTokenValidator(source, issuer=ISSUER, audience=API, algorithms=["ES256"])
    assert isinstance(api.with_keys(source), tokenlane.AccessTokenValidator)
    dead = tokenlane.KeySource.from_jwks_uri("https://127.0.0.1:1/jwks", total_timeout=1.0)
    try:
        followed.with_keys(dead).validate(access)
    except tokenlane.KeysUnavailable as e:
        status: int = e.http_status
        assert status == 503 and not isinstance(e, tokenlane.TokenError)
    else:
        raise AssertionError("a key source with no reachable endpoint served keys")
    assert [kind for kind, _ in events] == []

    # Opaque tokens: an introspector, and a validator that routes by form.
    intro = tokenlane.Introspector(
        "https://127.0.0.1:1/introspect", client_id="rs", client_secret="s", auth="basic", positive_ttl=30,
    )
    both = tokenlane.AccessTokenValidator(
        source, issuer=ISSUER, audience=API, algorithms=["ES256"], introspection=intro, path="both",
        introspection_audience="required",
    )
    answer = json.dumps({"active": True, "iss": ISSUER, "aud": API, "sub": "user-1", "exp": now + 60})
    decided: tokenlane.AccessToken = both.validate_introspection(answer, now=now)
    assert decided.sub == "user-1" and decided.alg == "" and intro.cached_len == 0

    # asyncio: the validation runs on the loop's executor.
    async def handler() -> tokenlane.AccessToken:
        return await api.validate_async(access)

    assert asyncio.run(handler()).sub == "user-1"


if __name__ == "__main__":
    main()
