"""MCP servers: tokenlane behind the official MCP Python SDK's token
verification hook (``pip install "tokenlane[mcp]"``).

The MCP authorization specification requires a protected MCP server to
accept only access tokens issued for itself (RFC 8707: the audience is the
server's URL), never to pass tokens through, and to publish RFC 9728
protected-resource metadata. Build the :class:`ProtectedResource` with the
server's URL as ``resource`` (so it is the required audience), then::

    server = MCPServer("notes", token_verifier=TokenVerifier(resource),
                       auth=auth_settings(resource))
    app = protect(server.streamable_http_app(), resource)

- :class:`TokenVerifier` is the SDK's ``TokenVerifier`` (``verify_token(token)
  -> AccessToken | None``): the core validates the token (access lane,
  audience = the server URL, the resource's algorithms and scopes; off the
  event loop). The hook can only answer ``None``, which loses the reason:
  the code is logged on ``tokenlane.mcp`` (never the token), and the SDK
  answers its own 401 ``invalid_token`` (also for a missing header).
- :func:`protect` wraps the SDK's ASGI app in
  :class:`tokenlane.fastapi.TokenMiddleware`, so every refusal gets the
  core's precise answer before the SDK sees the request: no ``error`` for
  a missing header, ``insufficient_scope`` as 403, 400 for a malformed
  header, ``resource_metadata`` in the challenge; it serves the RFC 9728
  document from the same configuration. An accepted token is handed to the
  verifier through a context variable, so it is not validated twice.
- :func:`auth_settings` is the SDK's ``AuthSettings`` for the same
  configuration (issuer, resource URL, required scopes, and
  ``validate_token_resource=True``).

The SDK's hook reads only ``Bearer`` credentials: behind it, use
``dpop="disabled"`` (``protect`` with DPoP allowed would accept a DPoP
request that the SDK then refuses).
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, Awaitable, Callable, MutableMapping, Optional

from mcp.server.auth.provider import AccessToken as McpAccessToken
from pydantic import AnyHttpUrl
from mcp.server.auth.settings import AuthSettings

from tokenlane._native import AccessToken
from tokenlane.exceptions import RemoteError, TokenError
from tokenlane.fastapi import TokenMiddleware
from tokenlane.web import ProtectedResource

__all__ = ["TokenVerifier", "auth_settings", "protect", "ProtectedResource"]

_log = logging.getLogger("tokenlane.mcp")

# (raw token, verified token) of the request the middleware accepted.
_accepted: contextvars.ContextVar[Optional[tuple[str, AccessToken]]] = contextvars.ContextVar(
    "tokenlane_mcp_accepted", default=None
)


class TokenVerifier:
    """The MCP SDK's ``TokenVerifier`` protocol, validated by tokenlane."""

    def __init__(self, resource: ProtectedResource) -> None:
        self.resource = resource

    async def verify_token(self, token: str) -> Optional[McpAccessToken]:
        accepted = _accepted.get()
        if accepted is not None and accepted[0] == token:
            verified = accepted[1]
        else:
            try:
                verified = await self._validate(token)
            except TokenError as e:
                _log.info("tokenlane: MCP token refused: %s", e.code)
                return None
            except RemoteError as e:
                _log.warning("tokenlane: MCP token not judged: %s (%s)", e.code, e)
                return None
        return McpAccessToken(
            token=token,
            client_id=verified.client_id or verified.sub or "",
            scopes=list(verified.scopes),
            expires_at=verified.exp,
            resource=self.resource.resource,
            subject=verified.sub,
            claims={"iss": verified.iss, "aud": verified.aud},
        )

    async def _validate(self, token: str) -> AccessToken:
        v = self.resource.validator
        if self.resource.may_fetch:
            return await v.validate_async(token)
        return v.validate(token)


def auth_settings(resource: ProtectedResource, **kwargs: Any) -> AuthSettings:
    """The SDK's ``AuthSettings`` for ``resource``: ``issuer_url`` = the
    issuer, ``resource_server_url`` = the resource URL,
    ``required_scopes`` = the resource's, ``validate_token_resource=True``
    (the verifier reports the resource only for tokens whose audience the
    core checked). ``kwargs`` are passed on."""
    kwargs.setdefault("required_scopes", list(resource.required_scopes) or None)
    return AuthSettings(
        issuer_url=AnyHttpUrl(resource.issuer),
        resource_server_url=AnyHttpUrl(resource.resource),
        validate_token_resource=True,
        **kwargs,
    )


_Scope = MutableMapping[str, Any]
_App = Callable[[_Scope, Any, Any], Awaitable[None]]


def protect(app: _App, resource: ProtectedResource, **kwargs: Any) -> _App:
    """``app`` (the SDK's ``streamable_http_app()``) behind tokenlane's
    middleware: precise refusals, the RFC 9728 document, and the verified
    token handed on to :class:`TokenVerifier`. ``kwargs`` go to
    :class:`~tokenlane.fastapi.TokenMiddleware` (``scopes``, ``exclude``)."""

    async def hand_on(scope: _Scope, receive: Any, send: Any) -> None:
        state = scope.get("state") or {}
        done = state.get("authorized_request")
        if done is None:
            await app(scope, receive, send)
            return
        raw = _bearer_of(scope)
        reset = _accepted.set((raw, done.token)) if raw is not None else None
        try:
            await app(scope, receive, send)
        finally:
            if reset is not None:
                _accepted.reset(reset)

    return TokenMiddleware(hand_on, resource, **kwargs)


def _bearer_of(scope: _Scope) -> Optional[str]:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"authorization":
            # The SDK's own reading (bearer_auth.py), so the strings match.
            text: str = value.decode("latin-1")
            if text.lower().startswith("bearer "):
                return text[7:]
    return None
