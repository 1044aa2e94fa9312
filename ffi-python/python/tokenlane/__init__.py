"""tokenlane: JWT validation that keeps tokens in their lanes.

An API accepts only access tokens meant for it (:class:`AccessTokenValidator`,
RFC 9068); a client app reads only ID tokens meant for it
(:class:`IdTokenValidator`, OpenID Connect); neither is ever mistaken for the
other. Every decision is made by the tokenlane Rust core; this package
converts values, reads the clock when ``now`` is not given, and releases
the GIL while the core verifies.

    import tokenlane
    keys = tokenlane.KeySet.from_jwks(jwks_json)
    api = tokenlane.AccessTokenValidator(keys, issuer="https://issuer.example/",
            audience="https://api.example", algorithms=["ES256"])
    token = api.validate(tokenlane.bearer_token(request.headers.get("Authorization")))

Refusals raise :class:`TokenError` subclasses, one per error code (see
:mod:`tokenlane.exceptions`).

Keys that stay fresh come from :class:`KeySource` (``from_issuer`` /
``from_jwks_uri``), opaque access tokens are introspected by an
:class:`Introspector`; both are given to the validators, and a server fault
of either raises :class:`RemoteError` (503/500), never :class:`TokenError`.
"""

from __future__ import annotations

from tokenlane._bearer import bearer_token
from tokenlane._native import (
    AccessToken,
    AccessTokenValidator,
    AuthorizedRequest,
    DpopPolicy,
    IdToken,
    IdTokenValidator,
    Introspector,
    KeySet,
    KeySource,
    NonceIssuer,
    ReplayStore,
    backend,
)
from tokenlane import exceptions as _exceptions
from tokenlane.exceptions import *  # noqa: F403 (one class per error code; see exceptions.__all__)

__all__ = [
    "AccessToken",
    "AccessTokenValidator",
    "AuthorizedRequest",
    "DpopPolicy",
    "IdToken",
    "IdTokenValidator",
    "Introspector",
    "KeySet",
    "KeySource",
    "NonceIssuer",
    "ReplayStore",
    "backend",
    "bearer_token",
]
__all__ += _exceptions.__all__
