"""The exceptions tokenlane raises: one class per error code.

Every refusal of a token raises a subclass of :class:`TokenError` named after
its code (``Expired`` for ``expired``, ``WrongTokenType`` for
``wrong_token_type``, ...). Each class carries, as class attributes, the
same code string as the Rust core and the C API, the RFC 6750 error a
resource server sends, and the HTTP status to answer with::

    try:
        token = api.validate(header_token)
    except tokenlane.TokenError as e:
        return Response(status=e.http_status,
                        headers={"WWW-Authenticate": e.www_authenticate(realm="api")})

The message (``str(e)``) is the core's one sentence about what was wrong; it
never contains the token and is safe to log. The code table lives in the
core (``tokenlane::ErrorCode``); ``tests/test_errors.py`` checks these classes
and ``__all__`` against it and prints what to add on drift. The native
module raises the class ``_BY_CODE`` maps the core's code string to.

Loading keys raises :class:`InvalidKey`; parsing an ``Authorization`` header
with :func:`tokenlane.bearer_token` raises :class:`InvalidRequest` (or its
subclass :class:`MissingToken`).

When the authorization server cannot be used (a :class:`tokenlane.KeySource`
with no keys to serve, an introspection endpoint that is down, slow, answers
garbage or refuses this resource server's credentials), the token was not
judged: a :class:`RemoteError` subclass is raised, a server fault (HTTP 503,
or 500 for refused credentials), never a :class:`TokenError`. Their codes are
the native module's ``remote_error_codes()`` table.
"""

from __future__ import annotations

from typing import Any, ClassVar, Optional

__all__ = [
    "TokenlaneError",
    "TokenError",
    "InvalidKey",
    "InvalidRequest",
    "MissingToken",
    "InvalidDpopProof",
    "UseDpopNonce",
    "TokenBindingMismatch",
    "ReplayCheckFailed",
    "RemoteError",
    "KeysUnavailable",
    "IntrospectionUnavailable",
    "IntrospectionCredentialsRefused",
    "Malformed",
    "TokenTooLarge",
    "UnsupportedAlgorithm",
    "AlgorithmNotAllowed",
    "UnsupportedCriticalHeader",
    "KeyNotFound",
    "InvalidSignature",
    "Expired",
    "NotYetValid",
    "IssuerMismatch",
    "AudienceMismatch",
    "WrongTokenType",
    "MissingClaim",
    "InvalidClaim",
    "InsufficientScope",
    "NonceMismatch",
    "AtHashMismatch",
    "AuthTooOld",
    "AzpMismatch",
]


class TokenlaneError(Exception):
    """Base of every tokenlane exception.

    ``code`` is the stable code string, ``rfc6750_error`` the RFC 6750 §3.1
    error code, ``http_status`` the status a resource server answers with.
    """

    code: ClassVar[str] = "error"
    rfc6750_error: ClassVar[str] = "invalid_request"
    http_status: ClassVar[int] = 500
    description: ClassVar[str] = "the request could not be processed"

    #: Set on refusals of :meth:`AccessTokenValidator.authorize`: the ready
    #: ``WWW-Authenticate`` value, written by the core's one challenge
    #: builder for the request's DPoP mode, with the error on the scheme the
    #: client tried and the ``realm`` passed to ``authorize``. ``None`` for
    #: refusals of ``validate`` (use :meth:`www_authenticate`).
    challenge: Optional[str] = None
    #: Set on refusals of :meth:`AccessTokenValidator.authorize` whose DPoP
    #: policy has a nonce source: a fresh nonce for the ``DPoP-Nonce``
    #: response header (RFC 9449 §8), also on refusals other than
    #: ``use_dpop_nonce``.
    dpop_nonce: Optional[str] = None
    # The request's challenge context (a native object), set by authorize.
    _request: Optional[Any] = None

    @property
    def headers(self) -> dict[str, str]:
        """The response headers for this refusal: ``WWW-Authenticate`` (the
        ready :attr:`challenge`, or :meth:`www_authenticate` without realm),
        and ``DPoP-Nonce`` when :attr:`dpop_nonce` is set."""
        out = {"WWW-Authenticate": self.challenge if self.challenge is not None else self.www_authenticate()}
        if self.dpop_nonce is not None:
            out["DPoP-Nonce"] = self.dpop_nonce
        return out

    def www_authenticate(self, realm: Optional[str] = None, *, scope: Optional[str] = None) -> str:
        """The value of a ``WWW-Authenticate`` header (RFC 6750 §3) for this error.

        Written by the Rust core's ``Error::write_www_authenticate``:
        ``Bearer realm="api", error="invalid_token", error_description="..."``.
        Characters outside printable ASCII, ``"`` and ``\\`` are dropped from
        ``realm`` and ``scope``. ``scope`` is only written for
        ``insufficient_scope``. The description is fixed per code and never
        echoes the token. A refusal of
        :meth:`~tokenlane.AccessTokenValidator.authorize` answers for its
        request: the schemes its DPoP mode offers (``Bearer``,
        ``DPoP algs="..."``, or both), the error on the scheme the client
        tried (``tokenlane::request::write_challenge_for_code``). :class:`MissingToken` (no credentials sent) gets
        ``Bearer realm="api"`` without an error (RFC 6750 §3.1), and so do the
        base classes, whose codes are not in the core's table.
        """
        from tokenlane import _native

        if self._request is not None:
            # A refusal of authorize: the challenge for that request's mode
            # and scheme (Bearer, DPoP algs="...", or both).
            challenge: str = self._request.challenge(self.code, realm, scope)
            return challenge
        try:
            return _native.www_authenticate(self.code, realm, scope)
        except ValueError:
            # A code outside the core's table (the base classes): the core's
            # challenge without error details.
            return _native.www_authenticate("missing_token", realm, None)


class TokenError(TokenlaneError):
    """A token was refused. Catch this to handle every refusal; the subclass
    names the reason."""

    code: ClassVar[str] = "invalid_token"
    rfc6750_error: ClassVar[str] = "invalid_token"
    http_status: ClassVar[int] = 401
    description: ClassVar[str] = "the token is invalid"


class InvalidKey(TokenlaneError, ValueError):
    """A key could not be loaded: RSA under 2048 or over 8192 bits, a point
    off the curve, an HMAC secret shorter than 32 bytes, bad base64 or PEM,
    or a JWKS with no usable key. A server configuration fault (HTTP 500)."""

    code: ClassVar[str] = "invalid_key"
    rfc6750_error: ClassVar[str] = "invalid_request"
    http_status: ClassVar[int] = 500


class InvalidRequest(TokenError):
    """The ``Authorization`` header is not one well-formed Bearer credential
    (RFC 6750 §2.1), raised by :func:`tokenlane.bearer_token`."""

    code: ClassVar[str] = "invalid_request"
    rfc6750_error: ClassVar[str] = "invalid_request"
    http_status: ClassVar[int] = 400


class MissingToken(InvalidRequest):
    """The request carries no Bearer credential at all (no ``Authorization``
    header, an empty one, or another scheme such as ``Basic``).

    RFC 6750 §3.1: the answer is 401 with a challenge that holds no error
    code, so :meth:`www_authenticate` gives ``Bearer realm="..."`` and
    ``rfc6750_error`` is empty. A subclass of :class:`InvalidRequest`, so
    ``except InvalidRequest`` catches both refusals of
    :func:`tokenlane.bearer_token`.
    """

    code: ClassVar[str] = "missing_token"
    rfc6750_error: ClassVar[str] = ""
    http_status: ClassVar[int] = 401


class InvalidDpopProof(TokenError):
    """The DPoP proof is refused (RFC 9449 §4.3): wrong ``typ``, a symmetric
    ``alg``, a private or absent ``jwk``, a bad signature, ``htm``/``htu``
    not this request, ``iat`` outside the window, no ``jti``, a wrong
    ``ath``, a replayed ``jti``, or not exactly one ``DPoP`` header."""

    code: ClassVar[str] = "invalid_dpop_proof"
    rfc6750_error: ClassVar[str] = "invalid_dpop_proof"


class UseDpopNonce(TokenError):
    """The server requires a DPoP nonce and the proof lacks it or carries
    another (RFC 9449 §8)."""

    code: ClassVar[str] = "use_dpop_nonce"
    rfc6750_error: ClassVar[str] = "use_dpop_nonce"


class TokenBindingMismatch(TokenError):
    """The token is bound (``cnf``) to a DPoP key or client certificate this
    request does not prove, or a DPoP-bound token came as ``Bearer``."""

    code: ClassVar[str] = "token_binding_mismatch"


class ReplayCheckFailed(TokenlaneError):
    """The DPoP replay store failed: a server fault (HTTP 500), never an accept."""

    code: ClassVar[str] = "replay_check_failed"
    rfc6750_error: ClassVar[str] = "invalid_request"
    http_status: ClassVar[int] = 500


class RemoteError(TokenlaneError):
    """The authorization server could not be used, so the token was not
    judged: a server fault, never the client's. Answer ``http_status`` (503,
    500 for :class:`IntrospectionCredentialsRefused`) without blaming the
    token; ``str(e)`` says what failed (no key material, never the token)."""

    rfc6750_error: ClassVar[str] = ""
    http_status: ClassVar[int] = 503


class KeysUnavailable(RemoteError):
    """A :class:`tokenlane.KeySource` has no keys to serve: the first load
    failed (endpoint down, slow, garbage, metadata naming another issuer, no
    usable key), or the last good keys are past ``max_stale`` and refreshing
    failed. Retry later; the token may well be valid."""

    code: ClassVar[str] = "keys_unavailable"
    http_status: ClassVar[int] = 503


class IntrospectionUnavailable(RemoteError):
    """The introspection endpoint could not judge the token: down, slow,
    answered a status other than 200 (a redirect too), HTML or invalid JSON,
    or a body over 64 KiB."""

    code: ClassVar[str] = "introspection_unavailable"
    http_status: ClassVar[int] = 503


class IntrospectionCredentialsRefused(RemoteError):
    """The introspection endpoint answered 401 or 403: it refused this
    resource server's own credentials (``client_id`` / ``client_secret``), a
    configuration fault (HTTP 500), not the user's ``invalid_token``."""

    code: ClassVar[str] = "introspection_credentials_refused"
    http_status: ClassVar[int] = 500


class Malformed(TokenError):
    """Not three base64url parts, bad base64, bad JSON, duplicate members, too deep."""

    code: ClassVar[str] = "malformed"


class TokenTooLarge(TokenError):
    """Over the configured size limit (default 16 KiB)."""

    code: ClassVar[str] = "token_too_large"
    rfc6750_error: ClassVar[str] = "invalid_request"
    http_status: ClassVar[int] = 400


class UnsupportedAlgorithm(TokenError):
    """``alg`` is ``none`` (any casing), unknown or not implemented."""

    code: ClassVar[str] = "unsupported_algorithm"


class AlgorithmNotAllowed(TokenError):
    """``alg`` is not in the validator's list, or does not fit the key."""

    code: ClassVar[str] = "algorithm_not_allowed"


class UnsupportedCriticalHeader(TokenError):
    """The header has ``crit`` (no extension is implemented)."""

    code: ClassVar[str] = "unsupported_critical_header"


class KeyNotFound(TokenError):
    """No key has the token's ``kid`` (or, without ``kid``, none fits its ``alg``)."""

    code: ClassVar[str] = "key_not_found"


class InvalidSignature(TokenError):
    """The signature does not verify."""

    code: ClassVar[str] = "invalid_signature"


class Expired(TokenError):
    """``exp`` + leeway <= now."""

    code: ClassVar[str] = "expired"


class NotYetValid(TokenError):
    """``nbf`` (or ``iat``) - leeway > now."""

    code: ClassVar[str] = "not_yet_valid"


class IssuerMismatch(TokenError):
    """``iss`` is not the configured issuer."""

    code: ClassVar[str] = "issuer_mismatch"


class AudienceMismatch(TokenError):
    """``aud`` lacks the expected audience (access lane) or client_id (ID lane)."""

    code: ClassVar[str] = "audience_mismatch"


class WrongTokenType(TokenError):
    """A token of the other lane (an ID token offered to an API, an access
    token offered as an ID token) or another kind of JWT."""

    code: ClassVar[str] = "wrong_token_type"


class MissingClaim(TokenError):
    """A claim the lane requires is absent."""

    code: ClassVar[str] = "missing_claim"


class InvalidClaim(TokenError):
    """A claim has the wrong type or is out of range."""

    code: ClassVar[str] = "invalid_claim"


class InsufficientScope(TokenError):
    """A required scope is missing (HTTP 403).

    ``scope`` holds the validator's required scopes, space separated, and is
    the default ``scope`` of :meth:`www_authenticate`.
    """

    code: ClassVar[str] = "insufficient_scope"
    rfc6750_error: ClassVar[str] = "insufficient_scope"
    http_status: ClassVar[int] = 403
    scope: Optional[str] = None

    def www_authenticate(self, realm: Optional[str] = None, *, scope: Optional[str] = None) -> str:
        return super().www_authenticate(realm, scope=self.scope if scope is None else scope)


class NonceMismatch(TokenError):
    """The ID token's ``nonce`` is not the expected one."""

    code: ClassVar[str] = "nonce_mismatch"


class AtHashMismatch(TokenError):
    """The ID token's ``at_hash`` does not match the access token."""

    code: ClassVar[str] = "at_hash_mismatch"


class AuthTooOld(TokenError):
    """The ID token's ``auth_time`` is older than ``max_age`` allows."""

    code: ClassVar[str] = "auth_too_old"


class AzpMismatch(TokenError):
    """The ID token's ``azp`` is not the client_id."""

    code: ClassVar[str] = "azp_mismatch"


def _classes_by_code() -> dict[str, type[TokenlaneError]]:
    # Every class that defines its own ``code``, keyed by it: derived,
    # never listed.
    return {
        obj.code: obj
        for obj in list(globals().values())
        if isinstance(obj, type) and issubclass(obj, TokenlaneError) and "code" in vars(obj)
    }


_BY_CODE: dict[str, type[TokenlaneError]] = _classes_by_code()
