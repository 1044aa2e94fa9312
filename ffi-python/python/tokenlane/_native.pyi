"""Type stubs of the extension module (checked by ``python -m mypy.stubtest tokenlane._native``)."""

import asyncio
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Protocol, Sequence, Tuple, Union, final

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
    "error_codes",
    "error_description",
    "remote_error_codes",
    "www_authenticate",
]

_Text = Union[str, bytes]
_Keys = Union[KeySet, KeySource]
_Path = Union[str, os.PathLike[str]]
_Headers = Union[Mapping[Any, Any], Iterable[Tuple[_Text, _Text]]]

class _NonceSource(Protocol):
    """What ``DpopPolicy(nonce=...)`` takes: issues and checks server nonces."""

    def issue(self, now: int, /) -> str: ...
    def check(self, nonce: str, now: int, /) -> bool: ...

_ReplayCallback = Callable[[str, str, int, int], bool]

def bearer_token(authorization: Union[str, bytes, bytearray, None]) -> str:
    """The Bearer token of an ``Authorization`` value, by the core's RFC 6750 §2.1 rules."""

def backend() -> str:
    """The verification backend this build uses (the core's default): ``"aws-lc"``, ``"ring"`` or ``"rustcrypto"``."""

def error_codes() -> list[tuple[str, str, int]]:
    """The core's code table: ``(code, rfc6750_error, http_status)`` in number order."""

def error_description(code: str) -> str:
    """The core's fixed description of ``code`` (its challenge's ``error_description``)."""

def www_authenticate(code: str, realm: Optional[str] = None, scope: Optional[str] = None) -> str:
    """The ``WWW-Authenticate`` value the core writes for ``code``."""

def remote_error_codes() -> list[tuple[str, int, str]]:
    """The remote faults' table: ``(code, http_status, description)``."""

@final
class KeySet:
    """An immutable set of verification keys."""

    @staticmethod
    def from_jwks(jwks: _Text) -> KeySet: ...
    @staticmethod
    def from_jwk(jwk: _Text) -> KeySet: ...
    @staticmethod
    def from_pem(pem: _Text, kid: Optional[str] = None, alg: Optional[str] = None) -> KeySet: ...
    @staticmethod
    def from_der(der: bytes, kid: Optional[str] = None, alg: Optional[str] = None) -> KeySet: ...
    @staticmethod
    def from_secret(secret: bytes, kid: Optional[str] = None, alg: Optional[str] = None) -> KeySet: ...
    @property
    def skipped(self) -> list[tuple[int, str]]:
        """JWKS entries not loaded: ``(index, reason)``."""
    @property
    def kids(self) -> list[Optional[str]]: ...
    def __add__(self, other: KeySet, /) -> KeySet: ...
    def __radd__(self, other: KeySet, /) -> KeySet: ...
    def __len__(self) -> int: ...

@final
class AccessTokenValidator:
    """Validates access tokens for one API (RFC 9068)."""

    def __new__(
        cls,
        keys: Optional[_Keys],
        *,
        issuer: str,
        audience: Union[str, Sequence[str]],
        algorithms: Sequence[str],
        leeway: int = 0,
        required_scopes: Sequence[str] = (),
        typ: str = "strict",
        max_token_bytes: int = 16384,
        introspection: Optional[Introspector] = None,
        path: Optional[str] = None,
        introspection_audience: str = "required",
    ) -> AccessTokenValidator: ...
    def validate(self, token: _Text, now: Optional[int] = None) -> AccessToken: ...
    def validate_async(self, token: _Text, now: Optional[int] = None) -> asyncio.Future[AccessToken]: ...
    def validate_introspection(self, response: _Text, now: Optional[int] = None) -> AccessToken: ...
    def authorize(
        self,
        method: str,
        url: str,
        headers: _Headers,
        *,
        dpop: Optional[DpopPolicy] = None,
        client_cert_sha256: Optional[bytes] = None,
        realm: Optional[str] = None,
        resource_metadata: Optional[str] = None,
        now: Optional[int] = None,
    ) -> AuthorizedRequest: ...
    def try_authorize(
        self,
        method: str,
        url: str,
        headers: _Headers,
        *,
        dpop: Optional[DpopPolicy] = None,
        client_cert_sha256: Optional[bytes] = None,
        realm: Optional[str] = None,
        resource_metadata: Optional[str] = None,
        now: Optional[int] = None,
    ) -> Optional[AuthorizedRequest]: ...
    def with_keys(self, keys: _Keys) -> AccessTokenValidator: ...

@final
class ReplayStore:
    """A bounded in-memory DPoP replay store for one process."""

    def __new__(cls, capacity: int = 100000, *, iat_window: int = 60) -> ReplayStore: ...
    @property
    def capacity(self) -> int: ...
    @property
    def iat_window(self) -> int: ...
    def __len__(self) -> int: ...

@final
class NonceIssuer:
    """Stateless DPoP server nonces: an HMAC of the time bucket under a shared key."""

    def __new__(cls, key: bytes, *, bucket_secs: int = 300) -> NonceIssuer: ...
    @property
    def bucket_secs(self) -> int: ...
    def issue(self, now: int, /) -> str: ...
    def check(self, nonce: str, now: int, /) -> bool: ...

@final
class DpopPolicy:
    """How DPoP proofs are checked (RFC 9449)."""

    def __new__(
        cls,
        *,
        algorithms: Sequence[str],
        mode: str = "allowed",
        iat_window: int = 60,
        max_proof_bytes: int = 8192,
        replay: Union[ReplayStore, _ReplayCallback, None] = None,
        nonce: Union[NonceIssuer, _NonceSource, None] = None,
    ) -> DpopPolicy: ...
    @property
    def mode(self) -> str: ...
    @property
    def algorithms(self) -> list[str]: ...

@final
class AuthorizedRequest:
    """A request ``authorize`` accepted: the token and how it was bound."""

    @property
    def token(self) -> AccessToken: ...
    @property
    def scheme(self) -> str: ...
    @property
    def jkt(self) -> Optional[str]: ...
    @property
    def certificate_bound(self) -> bool: ...
    @property
    def dpop_nonce(self) -> Optional[str]: ...
    @property
    def headers(self) -> dict[str, str]: ...

@final
class AccessToken:
    """A verified access token."""

    @property
    def sub(self) -> Optional[str]: ...
    @property
    def client_id(self) -> Optional[str]: ...
    @property
    def iss(self) -> str: ...
    @property
    def aud(self) -> list[str]: ...
    @property
    def scopes(self) -> list[str]: ...
    @property
    def exp(self) -> int: ...
    @property
    def iat(self) -> Optional[int]: ...
    @property
    def nbf(self) -> Optional[int]: ...
    @property
    def jti(self) -> Optional[str]: ...
    @property
    def alg(self) -> str: ...
    @property
    def claims_json(self) -> str: ...
    @property
    def claims(self) -> dict[str, Any]: ...
    def has_scope(self, scope: str) -> bool: ...

@final
class IdTokenValidator:
    """Validates OpenID Connect ID tokens for one client app."""

    def __new__(
        cls,
        keys: _Keys,
        *,
        issuer: str,
        client_id: str,
        algorithms: Sequence[str],
        leeway: int = 0,
        max_token_bytes: int = 16384,
    ) -> IdTokenValidator: ...
    def validate(
        self,
        token: _Text,
        *,
        nonce: Optional[str] = None,
        max_age: Optional[int] = None,
        access_token: Optional[_Text] = None,
        now: Optional[int] = None,
    ) -> IdToken: ...
    def validate_async(
        self,
        token: _Text,
        *,
        nonce: Optional[str] = None,
        max_age: Optional[int] = None,
        access_token: Optional[_Text] = None,
        now: Optional[int] = None,
    ) -> asyncio.Future[IdToken]: ...
    def with_keys(self, keys: _Keys) -> IdTokenValidator: ...

@final
class IdToken:
    """A verified ID token. It has no scope API."""

    @property
    def sub(self) -> str: ...
    @property
    def iss(self) -> str: ...
    @property
    def aud(self) -> list[str]: ...
    @property
    def exp(self) -> int: ...
    @property
    def iat(self) -> int: ...
    @property
    def auth_time(self) -> Optional[int]: ...
    @property
    def nonce(self) -> Optional[str]: ...
    @property
    def azp(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def email(self) -> Optional[str]: ...
    @property
    def claims_json(self) -> str: ...
    @property
    def claims(self) -> dict[str, Any]: ...

@final
class KeySource:
    """Keys from an authorization server, kept fresh by the refresh policy."""

    @staticmethod
    def from_issuer(
        issuer: str,
        *,
        connect_timeout: float = 5.0,
        total_timeout: float = 10.0,
        max_redirects: int = 3,
        system_roots: bool = True,
        ca_bundle: Optional[_Path] = None,
        ca_bundle_pem: Optional[bytes] = None,
        dangerously_allow_plain_http: bool = False,
        default_ttl: Optional[int] = None,
        min_ttl: Optional[int] = None,
        max_ttl: Optional[int] = None,
        refresh_ahead: Optional[int] = None,
        kid_miss_cooldown: Optional[int] = None,
        retry_interval: Optional[int] = None,
        max_stale: Optional[int] = None,
        inline_refresh: bool = False,
        on_event: Optional[Callable[[str, str], object]] = None,
    ) -> KeySource: ...
    @staticmethod
    def from_jwks_uri(
        jwks_uri: str,
        *,
        connect_timeout: float = 5.0,
        total_timeout: float = 10.0,
        max_redirects: int = 3,
        system_roots: bool = True,
        ca_bundle: Optional[_Path] = None,
        ca_bundle_pem: Optional[bytes] = None,
        dangerously_allow_plain_http: bool = False,
        default_ttl: Optional[int] = None,
        min_ttl: Optional[int] = None,
        max_ttl: Optional[int] = None,
        refresh_ahead: Optional[int] = None,
        kid_miss_cooldown: Optional[int] = None,
        retry_interval: Optional[int] = None,
        max_stale: Optional[int] = None,
        inline_refresh: bool = False,
        on_event: Optional[Callable[[str, str], object]] = None,
    ) -> KeySource: ...
    def keys(self, now: Optional[int] = None) -> KeySet: ...
    def refresh(self, now: Optional[int] = None) -> KeySet: ...
    def refresh_async(self, now: Optional[int] = None) -> asyncio.Future[KeySet]: ...
    @property
    def counts(self) -> dict[str, int]:
        """``fetched``, ``not_modified``, ``failed``, ``served_stale``, ``cooldown``."""
    @property
    def policy(self) -> dict[str, int]:
        """The refresh policy in force, seconds by setting name."""
    @property
    def metadata(self) -> Optional[dict[str, Optional[str]]]:
        """The discovered metadata, after the first load of an issuer source."""

@final
class Introspector:
    """An RFC 7662 introspection client with a cache."""

    def __new__(
        cls,
        endpoint: str,
        *,
        client_id: str,
        client_secret: str,
        auth: str = "basic",
        positive_ttl: int = 60,
        negative_ttl: int = 10,
        max_entries: int = 10000,
        connect_timeout: float = 5.0,
        total_timeout: float = 10.0,
        system_roots: bool = True,
        ca_bundle: Optional[_Path] = None,
        ca_bundle_pem: Optional[bytes] = None,
        dangerously_allow_plain_http: bool = False,
    ) -> Introspector: ...
    @property
    def cached_len(self) -> int: ...
