"""What the framework tests share: an identity provider's key, tokens and
DPoP proofs minted by PyJWT (never by tokenlane), loopback servers
(uvicorn for ASGI, wsgiref for WSGI) on ports the OS picks, and the checks
of each answer every framework must give.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import threading
import time
import uuid
from typing import Any, Callable, Iterator, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISSUER = "https://issuer.example/"
RESOURCE = "https://api.example"
CLIENT_ID = "client-app"

IDP_KEY = ec.generate_private_key(ec.SECP256R1())
JWKS = json.dumps({"keys": [{**json.loads(ECAlgorithm.to_jwk(IDP_KEY.public_key())), "kid": "idp-1"}]})
CLIENT_KEY = ec.generate_private_key(ec.SECP256R1())  # the client's DPoP key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    n = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}


def jkt(key: ec.EllipticCurvePrivateKey) -> str:
    """RFC 7638 thumbprint, computed by hand."""
    j = public_jwk(key)
    canon = json.dumps({"crv": j["crv"], "kty": j["kty"], "x": j["x"], "y": j["y"]}, separators=(",", ":"))
    return b64url(hashlib.sha256(canon.encode()).digest())


def access_token(
    scope: str = "notes:read",
    *,
    aud: str = RESOURCE,
    dpop_key: Optional[ec.EllipticCurvePrivateKey] = None,
    kid: str = "idp-1",
    key: Any = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": aud,
        "client_id": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "scope": scope,
    }
    if dpop_key is not None:
        claims["cnf"] = {"jkt": jkt(dpop_key)}
    return jwt.encode(claims, key or IDP_KEY, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"})


def id_token() -> str:
    """The ID token of the same login: audience the client, with a nonce."""
    now = int(time.time())
    return jwt.encode(
        {"iss": ISSUER, "sub": "user-123", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": "n-1"},
        IDP_KEY,
        algorithm="ES256",
        headers={"kid": "idp-1"},
    )


def dpop_proof(method: str, url: str, token: str, key: ec.EllipticCurvePrivateKey = CLIENT_KEY) -> str:
    """An RFC 9449 proof minted by PyJWT."""
    claims = {
        "jti": str(uuid.uuid4()),
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
        "ath": b64url(hashlib.sha256(token.encode()).digest()),
    }
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": public_jwk(key)})


def challenge_params(value: str) -> dict[str, str]:
    """The auth-params of the first challenge of a WWW-Authenticate value (test helper)."""
    out: dict[str, str] = {}
    first = value.split(", DPoP", 1)[0]
    for part in first.split('", '):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.split()[-1]] = v.strip('"')
    return out


# -- the answers every integration gives ---------------------------------------


def code_of(r: Any) -> Any:
    """tokenlane's code in a refusal's JSON body (FastAPI wraps it in ``detail``)."""
    body = r.json()
    return body["detail"]["code"] if "detail" in body else body["code"]


def check_lanes(get: Callable[..., Any], url: str, *, scoped_path: str, json_body: bool = True) -> None:
    """The issue's list, through ``get(path, headers) -> response`` (a test
    client or httpx on a real server): ``url`` is the absolute URL of the
    route ``/notes`` (needing ``notes:read``), ``scoped_path`` a route
    needing ``notes:write`` too."""
    tok = access_token()
    r = get("/notes", {"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == "user-123"

    # The ID token of the same login: refused as another lane's token.
    r = get("/notes", {"Authorization": f"Bearer {id_token()}"})
    assert r.status_code == 401
    p = challenge_params(r.headers["www-authenticate"])
    assert p["error"] == "invalid_token"
    if json_body:
        assert code_of(r) == "wrong_token_type"

    # No header: 401, a challenge without error (RFC 6750 §3.1), with the metadata URL.
    r = get("/notes", {})
    assert r.status_code == 401
    assert "error=" not in r.headers["www-authenticate"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert 'resource_metadata="https://api.example/.well-known/oauth-protected-resource"' in r.headers[
        "www-authenticate"
    ]

    # A malformed header: 400 invalid_request.
    r = get("/notes", {"Authorization": "Bearer a b"})
    assert r.status_code == 400
    assert challenge_params(r.headers["www-authenticate"])["error"] == "invalid_request"

    # Insufficient scope: 403 with its challenge naming every required scope.
    r = get(scoped_path, {"Authorization": f"Bearer {tok}"})
    assert r.status_code == 403
    p = challenge_params(r.headers["www-authenticate"])
    assert p["error"] == "insufficient_scope"
    assert set(p["scope"].split()) == {"notes:read", "notes:write"}

    # A DPoP-bound token sent as Bearer: 401 (token_binding_mismatch).
    bound = access_token(dpop_key=CLIENT_KEY)
    r = get("/notes", {"Authorization": f"Bearer {bound}"})
    assert r.status_code == 401
    assert challenge_params(r.headers["www-authenticate"])["error"] == "invalid_token"

    # DPoP with a good proof for this method and URL.
    r = get("/notes", {"Authorization": f"DPoP {bound}", "DPoP": dpop_proof("GET", url, bound)})
    assert r.status_code == 200, (r.status_code, r.headers.get("www-authenticate"))
    assert r.json()["sub"] == "user-123"

    # A proof for another URL: 401 invalid_dpop_proof on the DPoP challenge.
    r = get("/notes", {"Authorization": f"DPoP {bound}", "DPoP": dpop_proof("GET", url + "/other", bound)})
    assert r.status_code == 401
    assert 'error="invalid_dpop_proof"' in r.headers["www-authenticate"]


# -- loopback servers ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(app: Any, lifespan: str = "off") -> Iterator[str]:
    """``app`` on uvicorn at 127.0.0.1 (a port the OS picked), in a thread;
    yields the base URL and stops the server after."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(timeout=30)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def wsgi_server(app: Any) -> Iterator[str]:
    """``app`` on the standard library's WSGI server (threaded) at
    127.0.0.1; yields the base URL and shuts it down after."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    port = server.server_address[1]
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        t.join(timeout=30)
