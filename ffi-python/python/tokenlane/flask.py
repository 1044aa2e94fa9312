"""Flask: an extension with a route decorator (``pip install "tokenlane[flask]"``).

::

    tokens = TokenProtect(resource, app)

    @app.get("/notes")
    @tokens.require_token(scopes=["notes:read"])
    def notes():
        return {"sub": g.access_token.sub}

``require_token`` decides the request with the core's request entry point
(Bearer or DPoP, the URL honouring only trusted proxies) and every one of
``scopes`` plus the resource's ``required_scopes``; the token is on
``flask.g.access_token`` (and ``g.authorized_request``). A refusal is
answered at once with the core's status, ``WWW-Authenticate`` (and
``DPoP-Nonce``) and the small JSON body of
:meth:`tokenlane.web.ProtectedResource.refusal`; the view does not run.
``init_app`` also serves the RFC 9728 document at
``resource.metadata_path``. WSGI workers are threads or processes, so a key
fetch waits in the worker that needs it, never in others.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence, TypeVar

from flask import Flask, Response, g, request

from tokenlane.exceptions import TokenlaneError
from tokenlane.web import ProtectedResource

__all__ = ["TokenProtect", "ProtectedResource"]

F = TypeVar("F", bound=Callable[..., Any])


class TokenProtect:
    """The Flask extension over one :class:`ProtectedResource`."""

    def __init__(self, resource: ProtectedResource, app: Optional[Flask] = None) -> None:
        self.resource = resource
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Registers the RFC 9728 document route on ``app``."""
        body = self.resource.metadata_body

        def protected_resource_metadata() -> Response:
            return Response(body, mimetype="application/json", headers={"Access-Control-Allow-Origin": "*"})

        app.add_url_rule(
            self.resource.metadata_path,
            endpoint="tokenlane_protected_resource_metadata",
            view_func=protected_resource_metadata,
            methods=["GET"],
        )
        app.extensions["tokenlane"] = self

    def require_token(self, scopes: Sequence[str] = ()) -> Callable[[F], F]:
        """A decorator: the view runs only for a request the core accepts
        with every one of ``scopes``. The scopes' validator is built here,
        at import, so a bad scope fails at start-up."""
        scopes = tuple(scopes)
        self.resource.validator_for(scopes)

        def decorate(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                facts = self.resource.facts_from_wsgi(request.environ)
                try:
                    done = self.resource.authorize(facts, scopes)
                except TokenlaneError as e:
                    r = self.resource.refusal(e)
                    return Response(r.body, status=r.status, headers=r.headers)
                g.access_token = done.token
                g.authorized_request = done
                if not done.headers:
                    return view(*args, **kwargs)
                from flask import make_response

                response = make_response(view(*args, **kwargs))
                response.headers.update(done.headers)
                return response

            return wrapper  # type: ignore[return-value]

        return decorate
