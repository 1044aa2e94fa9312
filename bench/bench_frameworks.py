#!/usr/bin/env python3
"""Requests per second through each tokenlane web integration, divided by
the same app with a no-op auth dependency (scripts/bench.sh, step 6).

    python bench/bench_frameworks.py [--quick]

Every app is called in-process through its own server interface, with no
network and no HTTP client, so the ratio shows what the integration adds
to the framework's own cost per request: ASGI apps (FastAPI, Starlette)
are awaited with a prepared scope; WSGI apps (Flask, Django REST
framework) are called with a prepared environ. Each request carries an
ES256 access token minted by PyJWT; the integration validates it through
the core's request entry point (Bearer, one required scope); the no-op
variant runs a dependency / decorator / authentication class that does
nothing. The FastAPI row is measured twice: with a fixed KeySet and with a
warm KeySource on a loopback JWKS server (a Bearer request is decided
inline by try_authorize while the keys are fresh; only a request that
would wait goes to a worker thread). Times are
wall-clock (the worker thread's time must count); the contenders are
interleaved round by round and each ratio is the median of per-round
ratios, so load on the shared machine hits both sides. MCP is not
measured: a request there is a JSON-RPC session step whose cost is the
SDK's, with protect() being the Starlette middleware measured here.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import statistics
import sys
import threading
import time
import uuid
from typing import Any, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

QUICK = "--quick" in sys.argv
ROUNDS = 3 if QUICK else 9
PER_ROUND = 20 if QUICK else 600

ISSUER = "https://issuer.example/"
RESOURCE = "https://api.example"
KEY = ec.generate_private_key(ec.SECP256R1())
JWKS = json.dumps({"keys": [{**json.loads(ECAlgorithm.to_jwk(KEY.public_key())), "kid": "k1"}]})
now = int(time.time())
TOKEN = jwt.encode(
    {"iss": ISSUER, "sub": "user-123", "aud": RESOURCE, "client_id": "c", "iat": now, "exp": now + 3600,
     "jti": str(uuid.uuid4()), "scope": "notes:read"},
    KEY, algorithm="ES256", headers={"kid": "k1", "typ": "at+jwt"})
AUTH = f"Bearer {TOKEN}"

import tokenlane  # noqa: E402
from tokenlane.web import ProtectedResource  # noqa: E402


def resource(keys: Any) -> ProtectedResource:
    return ProtectedResource(resource=RESOURCE, issuer=ISSUER, algorithms=["ES256"], keys=keys)


# -- drivers ----------------------------------------------------------------------


def asgi_runner(app: Any, path: str) -> Callable[[int], float]:
    scope_base = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"api.example"), (b"authorization", AUTH.encode())],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }
    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def many(n: int) -> None:
        status: list[int] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        for _ in range(n):
            await app(dict(scope_base), receive, send)
        if set(status) != {200}:
            raise SystemExit(f"{path}: statuses {set(status)}")

    def run(n: int) -> float:
        t = time.perf_counter()
        loop.run_until_complete(many(n))
        return time.perf_counter() - t

    return run


def wsgi_runner(app: Any, path: str) -> Callable[[int], float]:
    environ_base = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "api.example", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "api.example", "HTTP_AUTHORIZATION": AUTH, "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    def run(n: int) -> float:
        import io

        status: list[str] = []

        def start_response(s: str, headers: Any, exc_info: Any = None) -> None:
            status.append(s)

        t = time.perf_counter()
        for _ in range(n):
            env = dict(environ_base)
            env["wsgi.input"] = io.BytesIO(b"")
            env["wsgi.errors"] = sys.stderr
            for _chunk in app(env, start_response):
                pass
        elapsed = time.perf_counter() - t
        if {s[:3] for s in status} != {"200"}:
            raise SystemExit(f"{path}: statuses {set(status)}")
        return elapsed

    return run


# -- apps ---------------------------------------------------------------------------


def fastapi_apps(keys: Any) -> tuple[Any, Any]:
    from fastapi import Depends, FastAPI, Security

    from tokenlane.fastapi import TokenAuth

    auth = TokenAuth(resource(keys))

    async def noop() -> None:  # async, as TokenAuth is: no threadpool hop
        return None

    app = FastAPI()

    @app.get("/t")
    async def t(token: tokenlane.AccessToken = Security(auth, scopes=["notes:read"])) -> dict[str, str]:
        return {"sub": token.sub or ""}

    @app.get("/n")
    async def n(_: None = Depends(noop)) -> dict[str, str]:
        return {"sub": "user-123"}

    return asgi_runner(app, "/t"), asgi_runner(app, "/n")


def starlette_apps() -> tuple[Any, Any]:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tokenlane.fastapi import TokenMiddleware

    class Noop:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)

    async def endpoint(request: Any) -> JSONResponse:
        return JSONResponse({"sub": "user-123"})

    r = resource(tokenlane.KeySet.from_jwks(JWKS))
    app = Starlette(routes=[
        Route("/t", endpoint, middleware=[Middleware(TokenMiddleware, resource=r, scopes=["notes:read"])]),
        Route("/n", endpoint, middleware=[Middleware(Noop)]),
    ])
    return asgi_runner(app, "/t"), asgi_runner(app, "/n")


def flask_apps() -> tuple[Any, Any]:
    import functools

    from flask import Flask, g

    from tokenlane.flask import TokenProtect

    app = Flask("bench")
    tokens = TokenProtect(resource(tokenlane.KeySet.from_jwks(JWKS)), app)

    def noop(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*a: Any, **k: Any) -> Any:
            return view(*a, **k)

        return wrapper

    @app.get("/t")
    @tokens.require_token(scopes=["notes:read"])
    def t() -> dict[str, str]:
        return {"sub": g.access_token.sub}

    @app.get("/n")
    @noop
    def n() -> dict[str, str]:
        return {"sub": "user-123"}

    return wsgi_runner(app, "/t"), wsgi_runner(app, "/n")


def drf_apps() -> tuple[Any, Any]:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False, SECRET_KEY="bench", ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
        TOKENLANE_RESOURCE=resource(tokenlane.KeySet.from_jwks(JWKS)),
    )
    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.urls import path
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from tokenlane.django import HasScopes, TokenAuthentication

    class NoopAuthentication(BaseAuthentication):
        def authenticate(self, request: Any) -> None:
            return None

    class T(APIView):
        authentication_classes = [TokenAuthentication]
        permission_classes = [HasScopes]
        required_scopes = ["notes:read"]

        def get(self, request: Any) -> Response:
            return Response({"sub": request.auth.sub})

    class N(APIView):
        authentication_classes = [NoopAuthentication]
        permission_classes = [AllowAny]

        def get(self, request: Any) -> Response:
            return Response({"sub": "user-123"})

    global urlpatterns
    urlpatterns = [path("t", T.as_view()), path("n", N.as_view())]
    app = get_wsgi_application()
    return wsgi_runner(app, "/t"), wsgi_runner(app, "/n")


urlpatterns: list[Any] = []


class _Jwks(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        body = JWKS.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def measure(name: str, pair: tuple[Callable[[int], float], Callable[[int], float]]) -> str:
    with_auth, noop = pair
    with_auth(max(5, PER_ROUND // 10))  # warm-up (the key source's first fetch, caches)
    noop(max(5, PER_ROUND // 10))
    ratios, rps_t, rps_n = [], [], []
    for _ in range(ROUNDS):
        t = with_auth(PER_ROUND)
        n = noop(PER_ROUND)
        rps_t.append(PER_ROUND / t)
        rps_n.append(PER_ROUND / n)
        ratios.append((PER_ROUND / t) / (PER_ROUND / n))
    med_t, med_n = statistics.median(rps_t), statistics.median(rps_n)
    cost_us = (1 / med_t - 1 / med_n) * 1e6
    return (f"| {name} | {med_t:,.0f} | {med_n:,.0f} | {statistics.median(ratios):.3f} "
            f"(min {min(ratios):.3f}, max {max(ratios):.3f}) | {cost_us:+.0f} µs |")


def main() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    source = tokenlane.KeySource.from_jwks_uri(f"http://127.0.0.1:{httpd.server_address[1]}/jwks")
    validator = resource(tokenlane.KeySet.from_jwks(JWKS)).validator
    t = time.perf_counter()
    n = PER_ROUND * 5
    for _ in range(n):
        validator.authorize("GET", "http://api.example/t", [(b"authorization", AUTH.encode())])
    alone = (time.perf_counter() - t) / n * 1e6
    import fastapi
    import flask
    import rest_framework
    import starlette

    print(f"python {sys.version.split()[0]}, tokenlane {getattr(tokenlane, '__version__', '0.1.0')}, fastapi "
          f"{fastapi.__version__}, starlette {starlette.__version__}, flask {flask.__version__ if hasattr(flask, '__version__') else '?'}, "
          f"djangorestframework {rest_framework.__version__}; {ROUNDS} rounds of {PER_ROUND} requests, pid {os.getpid()}")
    rows = [
        measure("FastAPI `Security(TokenAuth)`, KeySet", fastapi_apps(tokenlane.KeySet.from_jwks(JWKS))),
        measure("FastAPI `Security(TokenAuth)`, warm KeySource", fastapi_apps(source)),
        measure("Starlette `TokenMiddleware` (per route)", starlette_apps()),
        measure("Flask `require_token`", flask_apps()),
        measure("DRF `TokenAuthentication` + `HasScopes`", drf_apps()),
    ]
    httpd.shutdown()
    print("=== BEGIN FRAMEWORKS TABLE ===")
    print("| integration | with tokenlane, req/s | no-op auth, req/s | ratio (median of rounds) | cost per request |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print(f"\n`AccessTokenValidator.authorize` alone (ES256, Bearer, KeySet): {alone:.0f} µs per call.")
    print("=== END FRAMEWORKS TABLE ===")


if __name__ == "__main__":
    main()
