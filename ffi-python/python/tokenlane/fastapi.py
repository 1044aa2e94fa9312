"""FastAPI and Starlette: a security dependency and an ASGI middleware
(``pip install "tokenlane[fastapi]"``).

:class:`TokenAuth` is a FastAPI security dependency: ``Security(auth,
scopes=[...])`` returns the verified :class:`~tokenlane.AccessToken`
(also on ``request.state.access_token``), the route's scopes come through
FastAPI's own ``SecurityScopes`` (all of them are required, together with
those of enclosing dependencies) and appear in the OpenAPI schema under an
``openIdConnect`` scheme pointing at the issuer's discovery document. A
refusal raises ``HTTPException`` with the core's status and headers
(``WWW-Authenticate``, ``DPoP-Nonce``) and ``detail`` = the small JSON body
of :meth:`tokenlane.web.ProtectedResource.refusal`.

:class:`TokenMiddleware` protects a whole ASGI app (plain Starlette, or
any ASGI app) and serves the RFC 9728 document; :func:`metadata_route`
adds that document to a FastAPI/Starlette app.

With a key source the decision runs on a worker thread, so the event loop
never waits on a key fetch (:meth:`~tokenlane.web.ProtectedResource.authorize_async`).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, MutableMapping, Optional, Sequence

from tokenlane._native import AccessToken
from tokenlane.exceptions import TokenlaneError
from tokenlane.web import ProtectedResource, Refusal

try:
    from fastapi import HTTPException, Request, Response
    from fastapi.openapi.models import OpenIdConnect as _OpenIdConnectModel
    from fastapi.security import SecurityScopes
    from fastapi.security.base import SecurityBase
except ImportError:  # Starlette alone: the middleware works, TokenAuth does not.
    SecurityBase = object  # type: ignore[assignment,misc]

__all__ = ["TokenAuth", "TokenMiddleware", "metadata_route", "ProtectedResource"]

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
_ASGIApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


class TokenAuth(SecurityBase):
    """A FastAPI security dependency over one :class:`ProtectedResource`::

        auth = TokenAuth(resource)

        @app.get("/notes")
        async def notes(token: AccessToken = Security(auth, scopes=["notes:read"])): ...

    ``scheme_name`` names the OpenAPI security scheme (default
    ``"tokenlane"``).
    """

    def __init__(self, resource: ProtectedResource, *, scheme_name: str = "tokenlane") -> None:
        if SecurityBase is object:
            raise ImportError('TokenAuth needs FastAPI: pip install "tokenlane[fastapi]"')
        self.resource = resource
        self.scheme_name = scheme_name
        self.model = _OpenIdConnectModel(
            openIdConnectUrl=resource.issuer.rstrip("/") + "/.well-known/openid-configuration",
            description="Access tokens for " + resource.resource + " (Bearer or DPoP), validated by tokenlane",
        )

    async def __call__(self, request: Request, response: Response, security_scopes: SecurityScopes) -> AccessToken:
        facts = self.resource.facts_from_asgi(request.scope)
        try:
            done = await self.resource.authorize_async(facts, security_scopes.scopes)
        except TokenlaneError as e:
            r = self.resource.refusal(e)
            raise HTTPException(status_code=r.status, detail=r.content, headers=_no_body_headers(r)) from None
        for name, value in done.headers.items():
            response.headers[name] = value
        request.state.access_token = done.token
        request.state.authorized_request = done
        return done.token


def _no_body_headers(r: Refusal) -> dict[str, str]:
    # HTTPException's handler writes its own Content-Type.
    return {k: v for k, v in r.headers.items() if k != "Content-Type"}


class TokenMiddleware:
    """ASGI middleware: every ``http`` and ``websocket`` request needs an
    access token for ``resource`` with all of ``scopes``, except the RFC
    9728 document (served here at ``resource.metadata_path``) and the paths
    in ``exclude`` (exact matches). The token is put on
    ``scope["state"]["access_token"]`` (Starlette's
    ``request.state.access_token``). A refused websocket is closed with
    code 1008 before it is accepted. ``lifespan`` passes through."""

    def __init__(
        self,
        app: _ASGIApp,
        resource: ProtectedResource,
        *,
        scopes: Sequence[str] = (),
        exclude: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.resource = resource
        self.scopes = tuple(scopes)
        self.exclude = frozenset(exclude)
        resource.validator_for(self.scopes)  # built now: bad scopes fail at start-up

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == self.resource.metadata_path and kind == "http":
            await _send_metadata(self.resource, scope, send)
            return
        if path in self.exclude:
            await self.app(scope, receive, send)
            return
        facts = self.resource.facts_from_asgi(scope)
        try:
            done = await self.resource.authorize_async(facts, self.scopes)
        except TokenlaneError as e:
            r = self.resource.refusal(e)
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _send_refusal(r, send)
            return
        state = scope.setdefault("state", {})
        state["access_token"] = done.token
        state["authorized_request"] = done
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in done.headers.items()]
        if not extra or kind != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_nonce(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", ())) + extra
            await send(message)

        await self.app(scope, receive, send_with_nonce)


async def _send_refusal(r: Refusal, send: _Send) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in r.headers.items()]
    headers.append((b"content-length", str(len(r.body)).encode()))
    await send({"type": "http.response.start", "status": r.status, "headers": headers})
    await send({"type": "http.response.body", "body": r.body})


async def _send_metadata(resource: ProtectedResource, scope: _Scope, send: _Send) -> None:
    if scope.get("method") not in ("GET", "HEAD"):
        body = b'{"error_description":"method not allowed"}'
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [(b"allow", b"GET, HEAD"), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    body = resource.metadata_body
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"access-control-allow-origin", b"*"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body if scope.get("method") == "GET" else b""})


def metadata_route(app: Any, resource: ProtectedResource) -> None:
    """Serves ``resource``'s RFC 9728 document at ``resource.metadata_path``
    on a FastAPI or Starlette ``app`` (left out of the OpenAPI schema)."""
    from starlette.responses import Response as _Response

    body = resource.metadata_body

    async def protected_resource_metadata(request: Any) -> _Response:
        return _Response(body, media_type="application/json", headers={"Access-Control-Allow-Origin": "*"})

    kwargs: dict[str, Any] = {"methods": ["GET", "HEAD"]}
    if _is_fastapi(app):
        kwargs["include_in_schema"] = False
    app.add_route(resource.metadata_path, protected_resource_metadata, **kwargs)


def _is_fastapi(app: Any) -> bool:
    try:
        from fastapi import FastAPI
    except ImportError:
        return False
    return isinstance(app, FastAPI)


def current_token(request: Any) -> Optional[AccessToken]:
    """The token the middleware or dependency put on ``request.state``, or ``None``."""
    return getattr(request.state, "access_token", None)
