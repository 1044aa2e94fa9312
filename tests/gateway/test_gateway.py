"""nginx -> auth_request -> tokenlane serve (two instances, one Redis) ->
an upstream echo server. What the client sees through nginx, with tokens
minted by PyJWT / cryptography.

The tests run in file order: the fault tests at the end stop Redis, the key
endpoint and finally serve itself.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import jwt
import pytest

from harness import AUDIENCE, HS_ISSUER, ISSUER, Bed, Echo, JwksHandler, ec_jwk

BIN = os.environ.get("TOKENLANE_BIN", "target/release/tokenlane")
# Every /api/ path belongs to the configured [[resource]], so its challenges
# name the metadata (RFC 9728 §5.1) on each scheme, after the realm.
META = 'resource_metadata="https://api.example/.well-known/oauth-protected-resource/api"'
DPOP = f'DPoP realm="api", {META}, algs="ES256"'


def challenge(code: str, description: str, scope: str | None = None) -> str:
    s = f'Bearer realm="api", {META}, error="{code}", error_description="{description}"'
    if scope:
        s += f', scope="{scope}"'
    return f"{s}, {DPOP}"


@pytest.fixture(scope="module")
def bed():
    b = Bed(os.path.abspath(BIN))
    yield b
    b.stop()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_an_allowed_request_reaches_the_upstream_with_identity_headers(bed):
    before = len(Echo.seen)
    status, _, body = bed.edge("/api/items?x=1", auth(bed.keys.access()))
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["x-auth-subject"] == "alice"
    assert seen["x-auth-client-id"] == "app-1"
    assert seen["x-auth-scope"] == "read"
    assert "www-authenticate" not in seen
    assert len(Echo.seen) == before + 1


def test_a_second_issuer_is_routed_by_iss_with_its_own_keys(bed):
    status, _, body = bed.edge("/api/items", auth(bed.keys.access(iss=HS_ISSUER, hs=True)))
    assert status == 200
    assert json.loads(body)["headers"]["x-auth-subject"] == "alice"
    # An ES256 token claiming the HS issuer is judged by the HS issuer's
    # policy (HS256 only): routing by the unverified iss grants nothing.
    status, h, _ = bed.edge("/api/items", auth(bed.keys.access(iss=HS_ISSUER)))
    assert status == 401
    assert h["www-authenticate"] == challenge("invalid_token", "the token's algorithm is not allowed")


def test_a_client_supplied_identity_header_never_reaches_the_upstream(bed):
    headers = {**auth(bed.keys.access()), "X-Auth-Subject": "admin", "X-Auth-Scope": "admin"}
    status, _, body = bed.edge("/api/items", headers)
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["x-auth-subject"] == "alice" and seen["x-auth-scope"] == "read"
    # On a public route no identity is forwarded, and the client's is dropped.
    status, _, body = bed.edge("/public/info", {"X-Auth-Subject": "admin"})
    assert status == 200
    assert "x-auth-subject" not in json.loads(body)["headers"]


@pytest.mark.parametrize(
    "case,status,www",
    [
        ("id_token", 401, challenge("invalid_token", "the token is not an access token for this API")),
        ("expired", 401, challenge("invalid_token", "the token has expired")),
        ("wrong_audience", 401, challenge("invalid_token", "the token is not meant for this audience")),
        ("missing", 401, f'Bearer realm="api", {META}, {DPOP}'),
        ("dpop_bound_as_bearer", 401,
         challenge("invalid_token", "the token is bound to another key or certificate")),
        ("two_credentials", 401, challenge(
            "invalid_request", "the Authorization header is not a valid Bearer credential")),
    ],
)
def test_refusals_reach_the_client_with_status_and_challenge(bed, case, status, www):
    k = bed.keys
    headers = {
        "id_token": auth(k.id_token()),
        "expired": auth(k.access(exp_in=-120)),
        "wrong_audience": auth(k.access(aud="https://other.example")),
        "missing": {},
        "dpop_bound_as_bearer": auth(k.bound()),
        "two_credentials": {"Authorization": "Bearer a b"},
    }[case]
    before = len(Echo.seen)
    got, h, _ = bed.edge("/api/items", headers)
    assert (got, h.get("www-authenticate")) == (status, www)
    assert len(Echo.seen) == before, "a refused request reached the upstream"


def test_insufficient_scope_is_403_with_its_challenge_once(bed):
    got, h, _ = bed.edge("/api/items", auth(bed.keys.access(scope="read")), method="POST")
    assert got == 403
    assert h["www-authenticate"] == challenge(
        "insufficient_scope", "the token lacks a required scope", scope="write")


def test_a_dot_segment_path_and_a_path_matching_no_route_are_refused(bed):
    # nginx routes /public/../api/items as /api/items (normalised), while
    # $request_uri keeps the dots: serve refuses such a path outright, so a
    # public prefix cannot be borrowed.
    before = len(Echo.seen)
    got, h, _ = bed.edge("/public/../api/items", auth(bed.keys.access(scope="none")))
    assert (got, h.get("www-authenticate")) == (403, None)
    assert len(Echo.seen) == before
    got, h = serve_decide(bed, 0, auth(bed.keys.access()), "/admin")
    assert (got, h.get("www-authenticate")) == (403, None)
    assert 'code="no_route"' in bed.metrics(0)


def test_resource_metadata_is_served(bed):
    got, _, body = bed.edge("/.well-known/oauth-protected-resource/api")
    assert got == 200
    doc = json.loads(body)
    assert doc["resource"] == "https://api.example/api"
    assert doc["authorization_servers"] == [ISSUER]
    assert doc["dpop_signing_alg_values_supported"] == ["ES256"]


def serve_decide(bed, i: int, headers: dict, uri: str) -> tuple[int, dict]:
    h = {**headers, "X-Original-Method": "GET", "X-Original-URI": uri,
         "X-Forwarded-Proto": "http", "X-Forwarded-Host": f"127.0.0.1:{bed.nginx_port}"}
    got, hs, _ = bed.get(f"http://127.0.0.1:{bed.serve_ports[i]}/auth/nginx", h)
    return got, hs


def test_the_envoy_endpoint_takes_the_original_request_as_its_own(bed):
    base = f"http://127.0.0.1:{bed.serve_ports[0]}/auth/envoy"
    got, h, _ = bed.get(base + "/api/items?q=1", auth(bed.keys.access()))
    assert got == 200
    assert (h["x-auth-subject"], h["x-auth-client-id"], h["x-auth-scope"]) == ("alice", "app-1", "read")
    # Envoy passes any status on, so invalid_request stays a 400 here.
    got, h, _ = bed.get(base + "/api/items", {"Authorization": "Bearer a b"})
    assert (got, h["www-authenticate"]) == (400, challenge(
        "invalid_request", "the Authorization header is not a valid Bearer credential"))
    got, h, _ = bed.get(base + "/api/items", auth(bed.keys.access()), method="POST")
    assert (got, h["www-authenticate"]) == (403, challenge(
        "insufficient_scope", "the token lacks a required scope", scope="write"))
    # A method no route names is refused without a challenge (deny by default).
    got, h, _ = bed.get(base + "/api/items", auth(bed.keys.access()), method="DELETE")
    assert (got, h.get("www-authenticate")) == (403, None)


def test_check_refuses_a_bad_file_naming_its_line(bed):
    bad = bed.dir / "bad.toml"
    bad.write_text('[server]\nlisten = "127.0.0.1:1"\n[[route]]\npath_prefix = "api"\n')
    r = subprocess.run([bed.binary, "serve", "--config", str(bad), "--check"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 3
    assert f"{bad}:4: path_prefix" in r.stderr
    good = subprocess.run([bed.binary, "serve", "--config", str(bed.config_path(1)), "--check"],
                          capture_output=True, text=True, timeout=20)
    assert good.returncode == 0, good.stderr


def test_dpop_needs_the_fleets_nonce_and_one_instance_accepts_the_others(bed):
    k = bed.keys
    token = k.bound()
    url = bed.edge_url("/api/items")
    # No nonce: 401 use_dpop_nonce, with a DPoP-Nonce header, through nginx.
    got, h, _ = bed.edge("/api/items", {"Authorization": f"DPoP {token}", "DPoP": k.proof("GET", url, token)})
    assert got == 401
    assert h["www-authenticate"] == (
        f'Bearer realm="api", {META}, {DPOP}, error="use_dpop_nonce", '
        'error_description="the DPoP proof must carry the server\'s nonce"')
    nonce = h["dpop-nonce"]
    assert len(nonce) == 43
    # The nonce one instance issued is accepted by the other (stateless,
    # same key): ask each directly.
    for i in range(2):
        got, _ = serve_decide(bed, i, {"Authorization": f"DPoP {token}",
                                       "DPoP": k.proof("GET", url, token, nonce)}, "/api/items")
        assert got == 200


def fleet_nonce(bed, token: str) -> str:
    url = bed.edge_url("/api/items")
    _, h = serve_decide(bed, 0, {"Authorization": f"DPoP {token}", "DPoP": bed.keys.proof("GET", url, token)},
                        "/api/items")
    return h["dpop-nonce"]


def test_a_dpop_proof_accepted_by_one_instance_is_a_replay_at_the_other(bed):
    k = bed.keys
    token = k.bound()
    nonce = fleet_nonce(bed, token)
    proof = k.proof("GET", bed.edge_url("/api/items"), token, nonce)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert serve_decide(bed, 0, headers, "/api/items")[0] == 200
    got, h = serve_decide(bed, 1, headers, "/api/items")
    assert got == 401
    assert h["www-authenticate"] == (
        f'Bearer realm="api", {META}, {DPOP}, error="invalid_dpop_proof", '
        'error_description="the DPoP proof is invalid"')
    # Through nginx (round robin over both): a fresh proof passes once,
    # the same proof again is refused whichever instance gets it.
    proof = k.proof("GET", bed.edge_url("/api/items"), token, nonce)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert bed.edge("/api/items", headers)[0] == 200
    assert bed.edge("/api/items", headers)[0] == 401


def test_reload_with_an_invalid_config_keeps_the_old_one_serving(bed):
    good = bed.config_path(0).read_text()
    bad = good.replace('algorithms = ["ES256"]', 'algorithms = ["ES256", "none"]', 1)
    line = bad.splitlines().index('algorithms = ["ES256", "none"]') + 1
    bed.config_path(0).write_text(bad)
    bed.signal("serve-0", signal.SIGHUP)
    deadline = time.monotonic() + 20
    while 'tokenlane_config_reloads_total{result="invalid"} 1' not in bed.metrics(0):
        assert time.monotonic() < deadline, "the reload was never attempted"
        time.sleep(0.1)
    assert f"serve-0.toml:{line}: algorithms: unknown algorithm" in bed.log("serve-0") and '\\"none\\"' in bed.log("serve-0")
    assert serve_decide(bed, 0, auth(bed.keys.access()), "/api/items")[0] == 200
    # A valid change is taken: GET /api/ now needs "admin".
    bed.write_config(0, get_scope='"admin"')
    bed.signal("serve-0", signal.SIGHUP)
    deadline = time.monotonic() + 20
    while 'tokenlane_config_reloads_total{result="ok"} 1' not in bed.metrics(0):
        assert time.monotonic() < deadline, "the reload was never taken"
        time.sleep(0.1)
    assert serve_decide(bed, 0, auth(bed.keys.access()), "/api/items")[0] == 403
    bed.write_config(0)
    bed.signal("serve-0", signal.SIGHUP)
    deadline = time.monotonic() + 20
    while 'tokenlane_config_reloads_total{result="ok"} 2' not in bed.metrics(0):
        assert time.monotonic() < deadline
        time.sleep(0.1)


# -- the verified-token cache (issue 22 item 5). The decisions asked of one
# instance directly (the Envoy endpoint keeps the method), so its counters
# say which path decided.

def cache_count(bed, i: int, event: str) -> int:
    m = re.search(r'tokenlane_token_cache_total\{event="%s"\} (\d+)' % event, bed.metrics(i))
    assert m, f"no {event} counter"
    return int(m.group(1))


def denied(bed, i: int, code: str) -> int:
    """Refusals with `code` at instance i (both endpoints)."""
    return sum(int(n) for n in re.findall(
        r'tokenlane_decisions_total\{endpoint="\w+",result="deny",code="%s"\} (\d+)' % code, bed.metrics(i)))


def envoy(bed, i: int, token: str, method: str = "GET") -> tuple[int, dict]:
    got, h, _ = bed.get(f"http://127.0.0.1:{bed.serve_ports[i]}/auth/envoy/api/items", auth(token), method=method)
    return got, h


def test_a_repeated_token_is_a_cache_hit_and_still_allowed(bed):
    token = bed.keys.access()
    hits, misses = cache_count(bed, 0, "hit"), cache_count(bed, 0, "miss")
    for _ in range(3):
        got, h = envoy(bed, 0, token)
        assert (got, h["x-auth-subject"], h["x-auth-scope"]) == (200, "alice", "read")
    assert (cache_count(bed, 0, "hit"), cache_count(bed, 0, "miss")) == (hits + 2, misses + 1)
    # Through nginx (round robin over both instances): every answer allowed,
    # at most one miss per instance, the rest hits.
    token = bed.keys.access(iss=HS_ISSUER, hs=True)
    before = sum(cache_count(bed, i, "hit") for i in range(2))
    for _ in range(6):
        status, _, body = bed.edge("/api/items", auth(token))
        assert status == 200 and json.loads(body)["headers"]["x-auth-subject"] == "alice"
    assert sum(cache_count(bed, i, "hit") for i in range(2)) >= before + 4


def test_a_cached_token_lacking_the_routes_scope_is_403(bed):
    token = bed.keys.access(scope="read")
    assert envoy(bed, 0, token)[0] == 200
    hits = cache_count(bed, 0, "hit")
    got, h = envoy(bed, 0, token, method="POST")
    assert (got, h["www-authenticate"]) == (403, challenge(
        "insufficient_scope", "the token lacks a required scope", scope="write"))
    assert cache_count(bed, 0, "hit") == hits + 1
    # Through nginx, once both instances hold it.
    for _ in range(2):
        assert bed.edge("/api/items", auth(token))[0] == 200
    got, h, _ = bed.edge("/api/items", auth(token), method="POST")
    assert (got, h["www-authenticate"]) == (403, challenge(
        "insufficient_scope", "the token lacks a required scope", scope="write"))


def test_a_cached_token_past_its_exp_is_401_expired(bed):
    token = bed.keys.access(exp_in=2)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    hits = cache_count(bed, 0, "hit")
    assert envoy(bed, 0, token)[0] == 200
    assert envoy(bed, 0, token)[0] == 200
    assert cache_count(bed, 0, "hit") == hits + 1
    time.sleep(max(0.0, exp - time.time()) + 0.05)  # at most ~2 s
    expired = denied(bed, 0, "expired")
    got, h = envoy(bed, 0, token)
    assert (got, h["www-authenticate"]) == (401, challenge("invalid_token", "the token has expired"))
    assert denied(bed, 0, "expired") == expired + 1
    # The entry expired with the token: that answer was the full path's.
    assert cache_count(bed, 0, "hit") == hits + 1
    got, h, _ = bed.edge("/api/items", auth(token))
    assert (got, h["www-authenticate"]) == (401, challenge("invalid_token", "the token has expired"))


def test_a_token_one_signature_byte_away_from_a_cached_one_is_invalid_signature(bed):
    token = bed.keys.access()
    assert envoy(bed, 0, token)[0] == 200
    head, sig = token.rsplit(".", 1)
    c = sig[10]
    forged = f"{head}.{sig[:10]}{'B' if c == 'A' else 'A'}{sig[11:]}"
    hits, refused = cache_count(bed, 0, "hit"), denied(bed, 0, "invalid_signature")
    got, h = envoy(bed, 0, forged)
    assert (got, h["www-authenticate"]) == (401, challenge(
        "invalid_token", "the token's signature is invalid"))
    assert cache_count(bed, 0, "hit") == hits, "a forged token was a cache hit"
    assert denied(bed, 0, "invalid_signature") == refused + 1
    assert envoy(bed, 0, token)[0] == 200


def test_a_cached_dpop_bound_token_still_needs_a_fresh_proof_and_its_binding(bed):
    k = bed.keys
    token = k.bound()
    nonce = fleet_nonce(bed, token)
    url = bed.edge_url("/api/items")
    dpop = lambda p: {"Authorization": f"DPoP {token}", "DPoP": p}  # noqa: E731
    assert serve_decide(bed, 0, dpop(k.proof("GET", url, token, nonce)), "/api/items")[0] == 200
    hits = cache_count(bed, 0, "hit")
    proof = k.proof("GET", url, token, nonce)
    assert serve_decide(bed, 0, dpop(proof), "/api/items")[0] == 200
    assert cache_count(bed, 0, "hit") == hits + 1
    # The same proof again: the hit path verifies the proof in full.
    replays = denied(bed, 0, "invalid_dpop_proof")
    got, h = serve_decide(bed, 0, dpop(proof), "/api/items")
    assert got == 401 and 'error="invalid_dpop_proof"' in h["www-authenticate"]
    assert denied(bed, 0, "invalid_dpop_proof") == replays + 1
    # The bound token as Bearer: the cnf rule runs on the hit path too.
    refused = denied(bed, 0, "token_binding_mismatch")
    got, h = serve_decide(bed, 0, auth(token), "/api/items")
    assert (got, h["www-authenticate"]) == (401, challenge(
        "invalid_token", "the token is bound to another key or certificate"))
    assert denied(bed, 0, "token_binding_mismatch") == refused + 1
    assert cache_count(bed, 0, "hit") == hits + 3


def test_a_cached_token_of_a_removed_key_is_refused_after_rotation(bed):
    token = bed.keys.access()
    for i in range(2):
        assert envoy(bed, i, token)[0] == 200
        assert envoy(bed, i, token)[0] == 200  # now a hit
    flushes = [cache_count(bed, i, "flush") for i in range(2)]
    refused = [denied(bed, i, "key_not_found") for i in range(2)]
    old = JwksHandler.doc
    JwksHandler.doc = json.dumps({"keys": [ec_jwk(bed.keys.unknown, "k2")]}).encode()
    try:
        # The key source refetches within its 1-second TTL; the new set
        # empties the cache and the token's key is gone.
        for i in range(2):
            deadline = time.monotonic() + 20
            while (got := envoy(bed, i, token))[0] == 200:
                assert time.monotonic() < deadline, "the rotation was never seen"
                time.sleep(0.2)
            assert got == (401, got[1]) and got[1]["www-authenticate"] == challenge(
                "invalid_token", "no key matches the token")
            assert cache_count(bed, i, "flush") > flushes[i]
            assert denied(bed, i, "key_not_found") == refused[i] + 1
        # A token of the new key is accepted.
        assert envoy(bed, 0, bed.keys.access(kid="k2", key=bed.keys.unknown))[0] == 200
    finally:
        JwksHandler.doc = old
    for i in range(2):
        deadline = time.monotonic() + 20
        while envoy(bed, i, bed.keys.access())[0] != 200:
            assert time.monotonic() < deadline, "the old keys never came back"
            time.sleep(0.2)


def test_metrics_count_decisions_by_code_with_a_latency_histogram(bed):
    m = bed.metrics(0) + bed.metrics(1)
    assert 'tokenlane_decisions_total{endpoint="nginx",result="allow",code="ok"}' in m
    assert 'tokenlane_decisions_total{endpoint="nginx",result="deny",code="insufficient_scope"}' in m
    assert 'tokenlane_decision_seconds_bucket{le="+Inf"}' in m
    assert 'tokenlane_key_source_events_total{issuer="https://op.example/",event="fetched"}' in m


def test_redis_down_refuses_dpop_with_500_and_bearer_still_passes(bed):
    k = bed.keys
    token = k.bound()
    nonce = fleet_nonce(bed, token)
    bed.kill("redis")
    before = len(Echo.seen)
    for _ in range(2):  # both instances (round robin)
        proof = k.proof("GET", bed.edge_url("/api/items"), token, nonce)
        got, _, _ = bed.edge("/api/items", {"Authorization": f"DPoP {token}", "DPoP": proof})
        assert got == 500
    assert len(Echo.seen) == before
    assert bed.edge("/api/items", auth(k.access()))[0] == 200
    assert 'code="replay_check_failed"' in bed.metrics(0) + bed.metrics(1)


def test_key_endpoint_down_after_start_keeps_the_loaded_keys_serving(bed):
    bed.jwks.shutdown()
    bed.jwks.server_close()
    assert bed.edge("/api/items", auth(bed.keys.access()))[0] == 200
    # The keys' 1-second TTL runs out; each refresh fails; the last good
    # keys keep serving (stale-if-error, within max_stale) and both
    # instances stay ready.
    deadline = time.monotonic() + 20
    while not all('event="served_stale"' in bed.metrics(i) for i in range(2)):
        assert time.monotonic() < deadline, "the keys never went stale"
        assert bed.edge("/api/items", auth(bed.keys.access()))[0] == 200
        time.sleep(0.3)
    for i in range(2):
        assert 'event="failed"' in bed.metrics(i)
        assert bed.get(f"http://127.0.0.1:{bed.serve_ports[i]}/readyz")[0] == 200
    assert bed.edge("/api/items", auth(bed.keys.access()))[0] == 200
    # An unknown kid tries one fetch (it fails) and is refused; the loaded
    # keys stay in force, and the instance stays ready.
    unknown = bed.keys.access(kid="k2", key=bed.keys.unknown)
    got, h, _ = bed.edge("/api/items", auth(unknown))
    assert got == 401
    assert h["www-authenticate"] == challenge("invalid_token", "no key matches the token")
    assert bed.edge("/api/items", auth(bed.keys.access()))[0] == 200
    for i in range(2):
        assert bed.get(f"http://127.0.0.1:{bed.serve_ports[i]}/readyz")[0] == 200


def test_serve_stopped_or_killed_nginx_answers_500_and_never_forwards(bed):
    # SIGTERM: serve stops accepting, drains and exits 0.
    bed.signal("serve-0", signal.SIGTERM)
    assert bed.procs["serve-0"].wait(timeout=20) == 0
    assert '"msg":"stopped"' in bed.log("serve-0")
    # SIGKILL: no goodbye at all.
    bed.kill("serve-1")
    before = len(Echo.seen)
    for _ in range(5):
        got, _, _ = bed.edge("/api/items", auth(bed.keys.access()))
        assert got == 500
    got, _, _ = bed.edge("/api/items")
    assert got == 500
    assert len(Echo.seen) == before


def test_logs_record_decisions_but_never_a_token(bed):
    logs = [bed.log(f"serve-{i}") for i in range(2)]
    assert any('"msg":"decision"' in log and '"code":"expired"' in log for log in logs)
    for i, log in enumerate(logs):
        # Every JWT and DPoP proof starts with eyJ (base64url of '{"').
        assert "eyJ" not in log, f"a token reached serve-{i}'s log"
