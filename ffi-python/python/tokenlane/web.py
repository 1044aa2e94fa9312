"""The framework-neutral layer under tokenlane's web integrations.

One :class:`ProtectedResource` is built at start-up from the API's
configuration (resource URL, issuer, algorithms, DPoP mode, trusted
proxies...) and refuses bad configuration there, with ``ValueError``,
never at the first request. Each integration (``tokenlane.fastapi``,
``tokenlane.flask``, ``tokenlane.django``, ``tokenlane.mcp``) only turns
its framework's request into a :class:`RequestFacts` (the method, the URL
the client called, the ``Authorization`` and ``DPoP`` header values, the
client certificate's SHA-256), asks :meth:`ProtectedResource.authorize`
(the core's request entry point, ``AccessTokenValidator.authorize``), and
turns a refusal into :meth:`ProtectedResource.refusal`: the status, the
``WWW-Authenticate`` (and ``DPoP-Nonce``) headers and a small JSON body.

Decisions, written once here:

- **Every decision is the core's.** The Authorization header, the DPoP
  proof, the token, its binding, the required scopes and the challenge are
  all decided and written by the Rust core; this module reads request
  attributes and formats the HTTP answer.
- **Required scopes are all required**, per route: a route that requires
  ``["read", "write"]`` accepts a token only with both. Each distinct set
  of scopes gets its own validator (built once, then cached), so the core
  checks them and writes the ``insufficient_scope`` challenge with
  ``scope="read write"``.
- **The URL is the server's own** (scheme, ``Host``, path); the
  ``X-Forwarded-Proto``, ``X-Forwarded-Host``, ``X-Forwarded-Port`` and
  ``X-Forwarded-Prefix`` headers are read only when the peer that sent the
  request is one of ``trusted_proxies``, and then only their last value
  (the one the proxy next to the app wrote; a chain of proxies must pass
  the outermost value through). A value that does not look like what it
  should (a scheme other than ``http``/``https``, a host with characters
  outside a host name, a prefix with ``..``) is ignored. The URL only
  matters for DPoP (the proof's ``htu``); ``Forwarded`` (RFC 7239) is not
  read.
- **The event loop never waits on the network.** With a
  :class:`~tokenlane.KeySource` (which may fetch on the first request, on
  an unknown ``kid`` once per cooldown, near or past expiry),
  :meth:`ProtectedResource.authorize_async` decides a request inline
  while the keys are fresh (``try_authorize``, which never waits), and
  otherwise on a worker thread (anyio's when anyio is installed, else the loop's
  executor); with a fixed :class:`~tokenlane.KeySet` there is nothing to
  wait for and it runs inline.
- **Every 401 and 403 carries its challenge**: a missing header gets one
  without ``error`` (RFC 6750 §3.1), and every challenge carries the RFC
  9728 ``resource_metadata`` URL (unless ``publish_metadata=False``). A
  server fault (keys unavailable: 503; the replay store: 500) carries no
  challenge: the token was not judged.
- **Nothing logs a token.** A refusal is logged on the ``tokenlane.web``
  logger at ``INFO`` with its code only.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import ipaddress
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, unquote, urlsplit

from tokenlane import _native
from tokenlane._native import (
    AccessTokenValidator,
    AuthorizedRequest,
    DpopPolicy,
    KeySet,
    KeySource,
    ReplayStore,
)
from tokenlane.exceptions import RemoteError, TokenlaneError

__all__ = ["ProtectedResource", "Refusal", "RequestFacts", "DPOP_MODES"]

_log = logging.getLogger("tokenlane.web")

#: The DPoP modes: ``"disabled"`` (Bearer only), ``"allowed"`` (Bearer or
#: DPoP), ``"required"`` (DPoP only).
DPOP_MODES = ("disabled", "allowed", "required")

#: The DPoP proof algorithms accepted by default.
DEFAULT_DPOP_ALGORITHMS = ("ES256", "ES384", "EdDSA", "PS256", "RS256")

_Headers = Sequence[Tuple[Union[str, bytes], Union[str, bytes]]]
_Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True)
class RequestFacts:
    """What the core needs to know about one HTTP request.

    ``url`` is the absolute URL the client called (its query is ignored by
    the core); ``headers`` the ``(name, value)`` pairs of the request (only
    ``Authorization`` and ``DPoP`` are read, each line counted, so two
    ``Authorization`` lines are refused); ``client_cert_sha256`` the
    SHA-256 of the client certificate's DER when the server or a trusted
    proxy exposes it (RFC 8705).
    """

    method: str
    url: str
    headers: _Headers
    client_cert_sha256: Optional[bytes] = None


@dataclass(frozen=True)
class Refusal:
    """The HTTP answer to a refused request: ``status``, ``headers``
    (``WWW-Authenticate``, ``DPoP-Nonce``, ``Content-Type``,
    ``Cache-Control``) and ``body``, the JSON ``{"error", "error_description",
    "code"}`` (``error`` is the RFC 6750 code; absent when no credentials
    were sent and for server faults)."""

    status: int
    headers: dict[str, str]
    body: bytes
    code: str
    content: dict[str, Any] = field(default_factory=dict)


class ProtectedResource:
    """One API's token configuration, built once at start-up.

    ``resource`` is the API's own URL, its RFC 9728 resource identifier
    (``https://api.example``, or an MCP server's URL); it is also the
    required audience unless ``audience`` names others. ``issuer`` is the
    authorization server tokens must come from. Keys: ``keys`` (a
    :class:`~tokenlane.KeySet`, a :class:`~tokenlane.KeySource`, or a JWKS
    document as ``str``/``bytes``), else ``jwks_uri``, else OpenID Connect /
    RFC 8414 discovery from ``issuer`` (``KeySource.from_issuer``, which
    fetches on first use; ``key_source_options`` go to it).
    ``algorithms``, ``typ``, ``leeway``, ``required_scopes`` (for every
    route) and ``max_token_bytes`` are the validator's. ``dpop`` is one of
    :data:`DPOP_MODES` (default ``"allowed"``), with ``dpop_algorithms``,
    ``dpop_replay`` (a :class:`~tokenlane.ReplayStore` or callable; default
    one store per resource) and ``dpop_nonce`` as for
    :class:`~tokenlane.DpopPolicy`.

    ``trusted_proxies`` lists the peer addresses or networks (``"10.0.0.0/8"``,
    ``"127.0.0.1"``; ``"*"`` for any peer, when only the proxy can reach the
    app) whose ``X-Forwarded-*`` headers are honoured; empty (the default)
    honours none. ``client_cert_header`` names a header carrying the client
    certificate from a trusted proxy (RFC 9440 ``Client-Cert``
    ``:base64-DER:``, or PEM, URL-encoded as nginx's
    ``$ssl_client_escaped_cert``); read only from trusted proxies.

    ``realm`` goes into every challenge. RFC 9728: :meth:`metadata` is the
    document, served at :attr:`metadata_path` by each integration, naming
    ``issuer`` as the authorization server, ``scopes_supported``, the DPoP
    algorithms and whether DPoP is required; ``publish_metadata=False``
    drops the ``resource_metadata`` parameter from challenges.

    Raises ``ValueError`` (or ``TypeError``) for any bad setting, here.
    """

    def __init__(
        self,
        *,
        resource: str,
        issuer: str,
        algorithms: Sequence[str],
        audience: Union[str, Sequence[str], None] = None,
        keys: Union[KeySet, KeySource, str, bytes, None] = None,
        jwks_uri: Optional[str] = None,
        key_source_options: Optional[Mapping[str, Any]] = None,
        typ: str = "strict",
        leeway: int = 0,
        required_scopes: Sequence[str] = (),
        max_token_bytes: int = 16384,
        dpop: str = "allowed",
        dpop_algorithms: Sequence[str] = DEFAULT_DPOP_ALGORITHMS,
        dpop_replay: Any = None,
        dpop_nonce: Any = None,
        trusted_proxies: Sequence[str] = (),
        client_cert_header: Optional[str] = None,
        realm: Optional[str] = None,
        scopes_supported: Optional[Sequence[str]] = None,
        resource_name: Optional[str] = None,
        resource_documentation: Optional[str] = None,
        publish_metadata: bool = True,
    ) -> None:
        parts = urlsplit(resource) if isinstance(resource, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"resource must be the API's absolute http(s) URL, not {resource!r}")
        if parts.query or parts.fragment:
            raise ValueError("resource must not have a query or fragment (RFC 9728 §1.2)")
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError("algorithms must be a non-empty list of JWA names, such as ['ES256']")
        if dpop not in DPOP_MODES:
            raise ValueError(f"dpop must be one of {', '.join(map(repr, DPOP_MODES))}, not {dpop!r}")
        if keys is not None and jwks_uri is not None:
            raise ValueError("give keys or jwks_uri, not both")
        if key_source_options and (keys is not None):
            raise ValueError("key_source_options apply to a key source built from issuer or jwks_uri")
        self.resource = resource
        self.issuer = issuer
        self.audience: list[str] = (
            [resource] if audience is None else [audience] if isinstance(audience, str) else list(audience)
        )
        self.realm = realm
        self.scopes_supported = list(scopes_supported) if scopes_supported is not None else None
        self.resource_name = resource_name
        self.resource_documentation = resource_documentation
        self.publish_metadata = publish_metadata
        self.dpop_mode = dpop
        self.required_scopes = tuple(required_scopes)

        options = dict(key_source_options or {})
        if isinstance(keys, (str, bytes)):
            keys = KeySet.from_jwks(keys)
        elif keys is None:
            keys = (
                KeySource.from_jwks_uri(jwks_uri, **options)
                if jwks_uri is not None
                else KeySource.from_issuer(issuer, **options)
            )
        elif not isinstance(keys, (KeySet, KeySource)):
            raise TypeError(f"keys must be a KeySet, a KeySource or a JWKS document, not {type(keys).__name__}")
        self.keys: Union[KeySet, KeySource] = keys
        #: Whether a decision may wait on the network (a key source).
        self.may_fetch = isinstance(keys, KeySource)

        self._config: dict[str, Any] = dict(
            issuer=issuer,
            audience=self.audience,
            algorithms=list(algorithms),
            leeway=leeway,
            typ=typ,
            max_token_bytes=max_token_bytes,
        )
        self._validators: dict[tuple[str, ...], AccessTokenValidator] = {}
        self._lock = threading.Lock()
        self.validator = self.validator_for(())

        self.dpop_policy: Optional[DpopPolicy] = None
        if dpop != "disabled":
            self.dpop_policy = DpopPolicy(
                algorithms=list(dpop_algorithms),
                mode=dpop,
                replay=dpop_replay if dpop_replay is not None else ReplayStore(),
                nonce=dpop_nonce,
            )

        self._proxies: list[_Network] = []
        self._any_proxy = False
        for p in trusted_proxies:
            if p == "*":
                self._any_proxy = True
                continue
            try:
                self._proxies.append(ipaddress.ip_network(p, strict=False))
            except ValueError:
                raise ValueError(f"trusted_proxies: {p!r} is not an IP address or network, nor '*'") from None
        if client_cert_header is not None and not (self._proxies or self._any_proxy):
            raise ValueError("client_cert_header is read only from trusted proxies: set trusted_proxies too")
        self.client_cert_header = client_cert_header.lower() if client_cert_header else None

        path = parts.path if parts.path != "/" else ""
        #: RFC 9728 §3.1: the metadata URL, ``/.well-known/oauth-protected-resource``
        #: inserted between the host and the resource's path.
        self.metadata_url = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{path}"
        #: The path the integrations serve :meth:`metadata` at.
        self.metadata_path = f"/.well-known/oauth-protected-resource{path}"
        self._metadata_json = json.dumps(self.metadata(), separators=(",", ":")).encode()

    # -- validators -----------------------------------------------------------

    def validator_for(self, scopes: Iterable[str]) -> AccessTokenValidator:
        """The validator requiring ``required_scopes`` and every one of
        ``scopes``; one per distinct set, built on first use and kept."""
        key = tuple(sorted(set(self.required_scopes) | set(scopes)))
        v = self._validators.get(key)
        if v is None:
            with self._lock:
                v = self._validators.get(key)
                if v is None:
                    v = AccessTokenValidator(self.keys, required_scopes=list(key), **self._config)
                    self._validators[key] = v
        return v

    # -- RFC 9728 -------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The RFC 9728 protected-resource metadata document, from this
        configuration."""
        doc: dict[str, Any] = {
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "bearer_methods_supported": ["header"],
        }
        if self.scopes_supported is not None:
            doc["scopes_supported"] = self.scopes_supported
        if self.resource_name is not None:
            doc["resource_name"] = self.resource_name
        if self.resource_documentation is not None:
            doc["resource_documentation"] = self.resource_documentation
        if self.dpop_policy is not None:
            doc["dpop_signing_alg_values_supported"] = self.dpop_policy.algorithms
            doc["dpop_bound_access_tokens_required"] = self.dpop_mode == "required"
        if self.client_cert_header is not None:
            doc["tls_client_certificate_bound_access_tokens"] = True
        return doc

    @property
    def metadata_body(self) -> bytes:
        """:meth:`metadata` as compact JSON bytes (``application/json``)."""
        return self._metadata_json

    # -- the decision ---------------------------------------------------------

    def authorize(self, facts: RequestFacts, scopes: Iterable[str] = ()) -> AuthorizedRequest:
        """Decides ``facts`` with the core's request entry point. Returns
        the :class:`~tokenlane.AuthorizedRequest`; raises the core's
        :class:`~tokenlane.TokenError` subclass (with its challenge) or a
        :class:`~tokenlane.RemoteError`. May wait on the network through a
        key source: in an event loop use :meth:`authorize_async`."""
        return self.validator_for(scopes).authorize(
            facts.method,
            facts.url,
            facts.headers,
            dpop=self.dpop_policy,
            client_cert_sha256=facts.client_cert_sha256,
            realm=self.realm,
            resource_metadata=self.metadata_url if self.publish_metadata else None,
        )

    async def authorize_async(self, facts: RequestFacts, scopes: Iterable[str] = ()) -> AuthorizedRequest:
        """:meth:`authorize` that never blocks the event loop. It first
        decides inline with ``try_authorize``, which never waits (fixed
        keys, or a key source's fresh keys); only when that would have to
        wait (a key source with no fresh keys, or an unknown ``kid`` it may
        fetch for) is the request decided again on a worker thread."""
        scopes = tuple(scopes)
        if not self.may_fetch:
            return self.authorize(facts, scopes)
        done = self.validator_for(scopes).try_authorize(
            facts.method,
            facts.url,
            facts.headers,
            dpop=self.dpop_policy,
            client_cert_sha256=facts.client_cert_sha256,
            realm=self.realm,
            resource_metadata=self.metadata_url if self.publish_metadata else None,
        )
        if done is not None:
            return done
        call = functools.partial(self.authorize, facts, scopes)
        try:
            import anyio.to_thread
        except ImportError:
            return await asyncio.get_running_loop().run_in_executor(None, call)
        return await anyio.to_thread.run_sync(call)

    def refusal(self, error: TokenlaneError) -> Refusal:
        """The HTTP answer to ``error``, logged (code only) on ``tokenlane.web``."""
        code = error.code
        status = error.http_status
        headers: dict[str, str] = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        if isinstance(error, RemoteError) or status >= 500:
            _log.warning("tokenlane: request not judged: %s (%s)", code, error)
            description = _remote_description(code) or "the request could not be processed"
            content: dict[str, Any] = {"code": code, "error_description": description}
        else:
            _log.info("tokenlane: request refused: %s", code)
            challenge = error.challenge
            if challenge is None:
                challenge = error.www_authenticate(self.realm)
            headers["WWW-Authenticate"] = challenge
            try:
                description = _native.error_description(code)
            except ValueError:
                description = type(error).description
            content = {"code": code, "error_description": description}
            if error.rfc6750_error:
                content = {"error": error.rfc6750_error, **content}
        if error.dpop_nonce is not None:
            headers["DPoP-Nonce"] = error.dpop_nonce
        body = json.dumps(content, separators=(",", ":")).encode()
        return Refusal(status=status, headers=headers, body=body, code=code, content=content)

    # -- reading requests -----------------------------------------------------

    def trusts(self, peer: Optional[str]) -> bool:
        """Whether ``peer`` (the address the request came from) is a trusted proxy."""
        if self._any_proxy:
            return True
        if not peer or not self._proxies:
            return False
        try:
            ip = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(ip in net for net in self._proxies)

    def facts_from_asgi(self, scope: Mapping[str, Any]) -> RequestFacts:
        """The facts of an ASGI ``http`` (or ``websocket``) scope."""
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        client = scope.get("client")
        peer = client[0] if client else None
        scheme = str(scope.get("scheme") or "http")
        scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        host = _last(headers, b"host")
        if host is None:
            server = scope.get("server")
            host = f"{server[0]}:{server[1]}" if server else "localhost"
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(str(scope.get("path") or "/"), safe=_PATH_SAFE)
        path = path.split("?", 1)[0]
        cert = None
        tls = (scope.get("extensions") or {}).get("tls") or {}
        chain = tls.get("client_cert_chain") or ()
        if chain:
            cert = _pem_sha256(chain[0])
        trusted = self.trusts(peer)
        url, proxy_cert = self._url(scheme, host, path, headers, trusted)
        method = str(scope.get("method") or "GET")
        return RequestFacts(method, url, headers, proxy_cert if proxy_cert is not None else cert)

    def facts_from_wsgi(self, environ: Mapping[str, Any]) -> RequestFacts:
        """The facts of a WSGI environ (also Django's ``request.META``).
        A WSGI server joins repeated header lines with commas, so two
        ``Authorization`` lines arrive as one value, which the core
        refuses as malformed."""
        headers: list[tuple[bytes, bytes]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_") and isinstance(value, str):
                name = key[5:].replace("_", "-").lower()
                headers.append((name.encode("latin-1"), value.encode("latin-1")))
        scheme = str(environ.get("wsgi.url_scheme") or "http")
        host = environ.get("HTTP_HOST")
        if not host:
            host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if isinstance(raw, str) and raw.startswith("/"):
            path = raw.split("?", 1)[0]
        else:
            path = str(environ.get("SCRIPT_NAME") or "") + str(environ.get("PATH_INFO") or "/")
            path = quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE)
        cert = None
        pem = environ.get("SSL_CLIENT_CERT")
        if isinstance(pem, str) and pem:
            cert = _pem_sha256(pem)
        trusted = self.trusts(environ.get("REMOTE_ADDR"))
        url, proxy_cert = self._url(scheme, str(host), path, headers, trusted)
        method = str(environ.get("REQUEST_METHOD") or "GET")
        return RequestFacts(method, url, headers, proxy_cert if proxy_cert is not None else cert)

    def _url(
        self, scheme: str, host: str, path: str, headers: list[tuple[bytes, bytes]], trusted: bool
    ) -> tuple[str, Optional[bytes]]:
        cert = None
        if trusted:
            proto = _last(headers, b"x-forwarded-proto")
            if proto is not None and proto.lower() in ("http", "https"):
                scheme = proto.lower()
            fhost = _last(headers, b"x-forwarded-host")
            if fhost is not None and _HOST.match(fhost):
                host = fhost
            port = _last(headers, b"x-forwarded-port")
            if port is not None and port.isdigit() and 0 < int(port) < 65536 and not re.search(r":\d+$", host):
                host = f"{host}:{port}"
            prefix = _last(headers, b"x-forwarded-prefix")
            if prefix is not None:
                prefix = prefix.rstrip("/")
                if prefix and _PREFIX.match(prefix) and ".." not in unquote(prefix):
                    path = prefix + path
            if self.client_cert_header is not None:
                value = _last(headers, self.client_cert_header.encode("latin-1"))
                if value:
                    cert = _header_cert_sha256(value)
        return f"{scheme}://{host}{path}", cert


def _last(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> Optional[str]:
    """The last comma-separated value of the last ``name`` header line, stripped."""
    found = None
    for k, v in headers:
        if k.lower() == name:
            found = v
    if found is None:
        return None
    text = found.decode("latin-1") if isinstance(found, bytes) else str(found)
    return text.split(",")[-1].strip()


def _pem_sha256(pem: str) -> Optional[bytes]:
    """SHA-256 of the DER inside a PEM certificate; ``None`` if it is not one."""
    m = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    if not m:
        return None
    try:
        der = base64.b64decode("".join(m.group(1).split()), validate=True)
    except ValueError:
        return None
    return hashlib.sha256(der).digest()


def _header_cert_sha256(value: str) -> Optional[bytes]:
    """A proxy's client-certificate header: RFC 9440 ``:base64-DER:``, or a
    (URL-encoded) PEM."""
    if value.startswith(":") and value.endswith(":") and len(value) > 2:
        try:
            return hashlib.sha256(base64.b64decode(value[1:-1], validate=True)).digest()
        except ValueError:
            return None
    return _pem_sha256(unquote(value))


@functools.lru_cache(maxsize=None)
def _remote_description(code: str) -> Optional[str]:
    for c, _, description in _native.remote_error_codes():
        if c == code:
            return description
    return None
