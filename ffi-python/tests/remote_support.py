"""Loopback servers and keys for the network tests (KeySource, Introspector).

Every server listens on 127.0.0.1 on a port the OS picks (port 0), serves
from daemon threads, counts the requests per path, and stops by itself at
the end of the ``with`` block; a handler that sleeps wakes up when the
server stops. Keys come from ``cryptography``, tokens from PyJWT: never
from tokenlane.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional, Union

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm

from conftest import AUDIENCE, CLIENT_ID, access_claims


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """A canned answer: status, headers, body (a dict is sent as JSON)."""

    status: int = 200
    body: Union[bytes, str, dict[str, Any]] = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Union[Reply, Callable[["Handler"], None]]


class Handler(BaseHTTPRequestHandler):
    server: "_HTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass

    def _serve(self) -> None:
        if self.server.owner.stopping.is_set():
            # A kept-alive connection outliving stop(): the server is dead,
            # hang up without an answer.
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        with owner.lock:
            owner.hits[path] += 1
            owner.requests.append(Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body))
            route = owner.routes.get(path)
        if route is None:
            self.reply(Reply(404, b"not found"))
        elif isinstance(route, Reply):
            self.reply(route)
        else:
            route(self)

    do_GET = _serve
    do_POST = _serve

    def reply(self, r: Reply) -> None:
        body = r.body
        headers = dict(r.headers)
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        try:
            self.send_response(r.status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def sleep(self, seconds: float) -> None:
        """Sleeps, waking early when the server stops."""
        self.server.owner.stopping.wait(seconds)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: "Server"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a trickle or a huge body


class Server:
    """A loopback HTTP(S) server with settable routes.

    ``routes[path]`` is a :class:`Reply` or a function of the handler;
    ``hits[path]`` counts requests; ``requests`` keeps them in order.
    """

    def __init__(self, tls: Optional[ssl.SSLContext] = None) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.owner = self
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> "Server":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops serving and closes the port: later connections are refused."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------------------
# Keys and tokens.


@dataclass(frozen=True)
class SigningKey:
    """A P-256 key with its kid, its public JWK and a PyJWT minter."""

    kid: str
    key: ec.EllipticCurvePrivateKey

    @staticmethod
    def new(kid: str) -> "SigningKey":
        return SigningKey(kid, ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        return {**json.loads(ECAlgorithm.to_jwk(self.key.public_key())), "kid": self.kid, "use": "sig"}

    def access_token(self, issuer: str, *, kid: Optional[str] = None, **extra: Any) -> str:
        claims = access_claims(int(time.time()), iss=issuer, **extra)
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": kid or self.kid, "typ": "at+jwt"})

    def id_token(self, issuer: str, **extra: Any) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "sub": "user-123", "aud": CLIENT_ID, "iat": now - 10, "exp": now + 600, **extra}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}


def discovery(issuer: str, jwks_uri: str, **extra: Any) -> dict[str, Any]:
    return {"issuer": issuer, "jwks_uri": jwks_uri, **extra}


def validator_kwargs(issuer: str) -> dict[str, Any]:
    return {"issuer": issuer, "audience": AUDIENCE, "algorithms": ["ES256"]}


# ---------------------------------------------------------------------------
# TLS: a CA generated per run, and a server certificate for 127.0.0.1.


@dataclass(frozen=True)
class TestCA:
    ca_pem: bytes
    server: ssl.SSLContext


def make_ca(tmp: Path) -> TestCA:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tokenlane test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file = tmp / "server.pem"
    key_file = tmp / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return TestCA(ca.public_bytes(serialization.Encoding.PEM), ctx)
