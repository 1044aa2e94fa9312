"""Django REST framework: an authentication class and a scope permission
class (``pip install "tokenlane[django]"``).

::

    # settings.py: built once, when Django loads its settings
    TOKENLANE_RESOURCE = ProtectedResource(resource="https://api.example", issuer=..., algorithms=["ES256"])

    # views.py
    class Notes(APIView):
        authentication_classes = [TokenAuthentication]
        permission_classes = [HasScopes]
        required_scopes = ["notes:read"]

:class:`TokenAuthentication` decides the request with the core's request
entry point, and with the view's ``required_scopes`` (all of them, plus
the resource's own), so the core checks the scopes and writes the
``insufficient_scope`` challenge; ``request.auth`` is the
:class:`~tokenlane.AccessToken` and ``request.user`` a :class:`TokenUser`
(no database). Without any ``Authorization`` header it returns ``None``
(anonymous): a permission class then answers 401 with the challenge
without ``error`` (RFC 6750 §3.1). :class:`HasScopes` refuses a request
that this class did not authenticate for the view's scopes.

Refusals are DRF exceptions, so DRF's exception handler answers them:
401 ``AuthenticationFailed`` with the core's challenge, 400, 403 (with the
challenge naming ``scope``) and 5xx as :class:`TokenRefused` carrying
the challenge. DRF's handler writes ``WWW-Authenticate`` but not
``DPoP-Nonce``: with a DPoP nonce source use :func:`exception_handler` as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``. :func:`metadata_view` serves the
RFC 9728 document.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from tokenlane._native import AccessToken
from tokenlane.exceptions import MissingToken, TokenlaneError
from tokenlane.web import ProtectedResource

__all__ = [
    "TokenAuthentication",
    "HasScopes",
    "TokenUser",
    "TokenRefused",
    "exception_handler",
    "metadata_view",
    "ProtectedResource",
]

_ATTR = "_tokenlane"


def default_resource() -> ProtectedResource:
    """``settings.TOKENLANE_RESOURCE``: a :class:`ProtectedResource`, or the
    dotted path of one."""
    r = getattr(settings, "TOKENLANE_RESOURCE", None)
    if isinstance(r, str):
        r = import_string(r)
    if not isinstance(r, ProtectedResource):
        raise TypeError("settings.TOKENLANE_RESOURCE must be a tokenlane.web.ProtectedResource (or its dotted path)")
    return r


class TokenUser:
    """The user of a token-authenticated request: no database row, only the
    token's ``sub``, ``client_id`` and ``scopes``."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, token: AccessToken) -> None:
        self.token = token
        self.pk = self.id = self.username = token.sub or token.client_id or ""
        self.scopes = token.scopes

    def __str__(self) -> str:
        return self.username


class TokenRefused(exceptions.APIException):
    """A refusal DRF's exception handler answers with its status and
    ``WWW-Authenticate`` (``auth_header``)."""

    def __init__(self, status: int, content: dict[str, Any], auth_header: Optional[str], code: str) -> None:
        super().__init__(detail=content.get("error_description", code), code=code)
        self.status_code = status
        self.content = content
        self.auth_header = auth_header


class _Failed(exceptions.AuthenticationFailed):
    """A 401 refusal; DRF asks ``authenticate_header`` for its challenge."""


class TokenAuthentication(BaseAuthentication):
    """DRF authentication through tokenlane. ``resource`` (a class
    attribute; subclass to set it) defaults to ``settings.TOKENLANE_RESOURCE``."""

    resource: Optional[ProtectedResource] = None

    def get_resource(self) -> ProtectedResource:
        return self.resource if self.resource is not None else default_resource()

    def authenticate(self, request: Any) -> Optional[tuple[TokenUser, AccessToken]]:
        resource = self.get_resource()
        django_request: HttpRequest = request._request
        view = (getattr(request, "parser_context", None) or {}).get("view")
        scopes = tuple(getattr(view, "required_scopes", ()) or ())
        facts = resource.facts_from_wsgi(django_request.META)
        try:
            done = resource.authorize(facts, scopes)
        except MissingToken as e:
            # No credentials: anonymous; a permission class answers 401
            # with this challenge (no error).
            setattr(django_request, _ATTR, resource.refusal(e))
            return None
        except TokenlaneError as e:
            r = resource.refusal(e)
            setattr(django_request, _ATTR, r)
            if r.status == 401:
                raise _Failed(detail=r.content.get("error_description", r.code), code=r.code) from None
            raise TokenRefused(r.status, r.content, r.headers.get("WWW-Authenticate"), r.code) from None
        setattr(django_request, _ATTR + "_scopes", frozenset(scopes))
        request._tokenlane_dpop_headers = done.headers
        return TokenUser(done.token), done.token

    def authenticate_header(self, request: Any) -> str:
        r = getattr(request._request, _ATTR, None)
        if r is not None and "WWW-Authenticate" in r.headers:
            return str(r.headers["WWW-Authenticate"])
        resource = self.get_resource()
        return resource.refusal(MissingToken("no credentials")).headers["WWW-Authenticate"]


class HasScopes(BasePermission):
    """Allows a request that :class:`TokenAuthentication` accepted with the
    view's ``required_scopes`` (which the core checked, all of them).
    Anonymous requests get DRF's 401 with the challenge."""

    message = "an access token with the view's required scopes is needed"

    def has_permission(self, request: Any, view: Any) -> bool:
        if not isinstance(request.auth, AccessToken):
            return False
        checked = getattr(request._request, _ATTR + "_scopes", None)
        required = frozenset(getattr(view, "required_scopes", ()) or ())
        return checked is not None and required <= checked


def exception_handler(exc: Exception, context: dict[str, Any]) -> Optional[Any]:
    """DRF's exception handler, plus the ``DPoP-Nonce`` of a tokenlane
    refusal; set it as ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` when the
    resource has a DPoP nonce source."""
    from rest_framework.views import exception_handler as drf_handler

    response = drf_handler(exc, context)
    request = context.get("request")
    r = getattr(getattr(request, "_request", None), _ATTR, None)
    if response is not None and r is not None and "DPoP-Nonce" in r.headers:
        response["DPoP-Nonce"] = r.headers["DPoP-Nonce"]
    return response


def metadata_view(resource: Optional[ProtectedResource] = None) -> Any:
    """A Django view serving the RFC 9728 document; route it at
    ``resource.metadata_path`` (without its leading ``/``)::

        path(RESOURCE.metadata_path[1:], metadata_view(RESOURCE))
    """

    def protected_resource_metadata(request: HttpRequest) -> HttpResponse:
        r = resource if resource is not None else default_resource()
        response = HttpResponse(r.metadata_body, content_type="application/json")
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return protected_resource_metadata


def scopes_of(view: Any) -> Sequence[str]:
    """The scopes a view requires (its ``required_scopes``)."""
    return tuple(getattr(view, "required_scopes", ()) or ())
