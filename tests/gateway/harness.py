"""The gateway test bed: real nginx, redis-server and `tokenlane serve`
processes on 127.0.0.1, an upstream echo server and a JWKS server in this
process. Tokens and DPoP proofs are minted with PyJWT and `cryptography`
(never with tokenlane). Everything listens on loopback, on ports picked by
the kernel, and every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "nginx"
ISSUER = "https://op.example/"
HS_ISSUER = "https://hs.example/"
AUDIENCE = "https://api.example"
HS_SECRET = b"0123456789abcdef0123456789abcdef-gateway-test"
WAIT = 20.0  # seconds: the longest any start-up or stop is waited for


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str | None = None) -> dict:
    n = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64u(n.x.to_bytes(32, "big")),
        "y": b64u(n.y.to_bytes(32, "big")),
    }
    if kid:
        jwk.update(kid=kid, alg="ES256", use="sig")
    return jwk


def jkt(key: ec.EllipticCurvePrivateKey) -> str:
    """RFC 7638 thumbprint."""
    j = ec_jwk(key)
    canon = json.dumps({k: j[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return b64u(hashlib.sha256(canon.encode()).digest())


class Keys:
    def __init__(self) -> None:
        self.signing = ec.generate_private_key(ec.SECP256R1())
        self.unknown = ec.generate_private_key(ec.SECP256R1())
        self.dpop = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict:
        return {"keys": [ec_jwk(self.signing, "k1")]}

    def access(self, *, iss=ISSUER, aud=AUDIENCE, scope="read", exp_in=300, typ="at+jwt",
               kid="k1", key=None, extra=None, hs=False) -> str:
        now = int(time.time())
        claims = {
            "iss": iss, "aud": aud, "sub": "alice", "client_id": "app-1",
            "iat": now, "exp": now + exp_in, "jti": str(uuid.uuid4()), "scope": scope,
        }
        claims.update(extra or {})
        if hs:
            return jwt.encode(claims, HS_SECRET, algorithm="HS256", headers={"typ": typ, "kid": "hs1"})
        return jwt.encode(claims, key or self.signing, algorithm="ES256", headers={"typ": typ, "kid": kid})

    def id_token(self) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300,
                  "nonce": "n-1", "client_id": "app-1", "jti": "j"}
        return jwt.encode(claims, self.signing, algorithm="ES256", headers={"typ": "JWT", "kid": "k1"})

    def bound(self) -> str:
        return self.access(extra={"cnf": {"jkt": jkt(self.dpop)}})

    def proof(self, method: str, url: str, token: str, nonce: str | None = None) -> str:
        claims = {
            "jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time()),
            "ath": b64u(hashlib.sha256(token.encode()).digest()),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.dpop, algorithm="ES256",
                          headers={"typ": "dpop+jwt", "jwk": ec_jwk(self.dpop)})


class Echo(BaseHTTPRequestHandler):
    """The upstream: answers every request with its method, path and headers."""

    seen: list = []

    def _answer(self) -> None:
        Echo.seen.append((self.command, self.path, dict(self.headers.items())))
        body = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *a) -> None:  # quiet
        pass


class JwksHandler(BaseHTTPRequestHandler):
    doc: bytes = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        # A 1-second TTL (serve's min_ttl is lowered to 1 for this issuer),
        # so "the key endpoint went down" turns into stale keys in seconds.
        self.send_header("Cache-Control", "max-age=1")
        self.send_header("Content-Length", str(len(self.doc)))
        self.end_headers()
        self.wfile.write(self.doc)

    def log_message(self, *a) -> None:
        pass


def start_http(handler) -> ThreadingHTTPServer:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


SERVE_CONFIG = """
[server]
listen = "127.0.0.1:{port}"
realm = "api"
log_decisions = "all"

[[issuer]]
issuer = "{issuer}"
audiences = ["{audience}"]
algorithms = ["ES256"]
jwks_uri = "http://127.0.0.1:{jwks_port}/jwks"
refresh = {{ min_ttl = 1, retry_interval = 1 }}

[[issuer]]
issuer = "{hs_issuer}"
audiences = ["{audience}"]
algorithms = ["HS256"]
jwks_file = "hs.jwks"

[[route]]
method = "GET"
path_prefix = "/api/"
scopes = [{get_scope}]

[[route]]
method = "POST"
path_prefix = "/api/"
scopes = ["write"]

[[route]]
path_prefix = "/public/"
public = true

[dpop]
mode = "allowed"
replay = "redis"
redis_address = "127.0.0.1:{redis_port}"
redis_prefix = "tl-test:"
redis_timeout_ms = 300
nonce_key_file = "nonce.key"

[[resource]]
resource = "https://api.example/api"
authorization_servers = ["{issuer}"]
scopes_supported = ["read", "write"]
"""

NGINX_CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {deploy}/tokenlane-http.conf;
    upstream tokenlane {{
        server 127.0.0.1:{serve_a};
        server 127.0.0.1:{serve_b};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {deploy}/tokenlane-auth.conf;
        location /api/ {{
            include {deploy}/tokenlane-protect.conf;
            proxy_pass http://127.0.0.1:{echo_port};
        }}
        location /public/ {{
            include {deploy}/tokenlane-protect.conf;
            proxy_pass http://127.0.0.1:{echo_port};
        }}
        location /.well-known/oauth-protected-resource {{
            proxy_pass http://tokenlane;
        }}
        location = /static-200 {{
            return 200 "ok";
        }}
    }}
}}
"""


class Bed:
    """Every process of the test bed; `stop()` ends them all."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="tokenlane-gateway-"))
        os.chmod(self.dir, 0o755)
        self.keys = Keys()
        self.procs: dict[str, subprocess.Popen] = {}
        JwksHandler.doc = json.dumps(self.keys.jwks()).encode()
        self.jwks = start_http(JwksHandler)
        self.echo = start_http(Echo)
        self.redis_port = free_port()
        self.serve_ports = [free_port(), free_port()]
        self.nginx_port = free_port()
        # The fleet's shared nonce key (both instances read the same file).
        (self.dir / "nonce.key").write_bytes(os.urandom(32))
        (self.dir / "hs.jwks").write_text(json.dumps({"keys": [
            {"kty": "oct", "kid": "hs1", "alg": "HS256", "k": b64u(HS_SECRET)}]}))
        try:
            self.start_redis()
            for i in range(2):
                self.write_config(i)
                self.start_serve(i)
            self.start_nginx()
        except BaseException:
            self.stop()  # nothing started is left running
            raise

    # -- processes
    def spawn(self, name: str, args: list[str], port: int) -> None:
        log = open(self.dir / f"{name}.log", "ab")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs[name] = p
        wait_port(port, p)

    def start_redis(self) -> None:
        self.spawn("redis", [shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(self.dir)], self.redis_port)

    def config_path(self, i: int) -> Path:
        return self.dir / f"serve-{i}.toml"

    def write_config(self, i: int, get_scope: str = '"read"', text: str | None = None) -> None:
        if text is None:
            text = SERVE_CONFIG.format(port=self.serve_ports[i], issuer=ISSUER, hs_issuer=HS_ISSUER,
                                       audience=AUDIENCE, jwks_port=self.jwks.server_address[1],
                                       redis_port=self.redis_port, get_scope=get_scope)
        self.config_path(i).write_text(text)

    def start_serve(self, i: int) -> None:
        self.spawn(f"serve-{i}", [self.binary, "serve", "--config", str(self.config_path(i))],
                   self.serve_ports[i])
        deadline = time.monotonic() + WAIT
        while self.get(f"http://127.0.0.1:{self.serve_ports[i]}/readyz")[0] != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("serve never became ready")
            time.sleep(0.1)

    def start_nginx(self) -> None:
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONFIG.format(dir=self.dir, deploy=DEPLOY, serve_a=self.serve_ports[0],
                                            serve_b=self.serve_ports[1], port=self.nginx_port,
                                            echo_port=self.echo.server_address[1]))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        subprocess.run([nginx, "-t", "-p", str(self.dir), "-c", str(conf)], check=True,
                       capture_output=True, timeout=WAIT)
        self.spawn("nginx", [nginx, "-p", str(self.dir), "-c", str(conf)], self.nginx_port)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        p = self.procs.get(name)
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            p.wait(timeout=WAIT)

    def signal(self, name: str, sig: int) -> None:
        self.procs[name].send_signal(sig)

    def stop(self) -> None:
        # SIGTERM everywhere: nginx's master then stops its workers too (a
        # SIGKILL would leave them running); serve drains and exits.
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)
        self.jwks.shutdown()
        self.echo.shutdown()

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    # -- HTTP
    @staticmethod
    def get(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
        req = urllib.request.Request(url, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            # every header line (a duplicate WWW-Authenticate must show)
            hs: dict = {}
            for k, v in e.headers.items():
                hs.setdefault(k.lower(), []).append(v)
            return e.code, {k: v[0] if len(v) == 1 else v for k, v in hs.items()}, e.read()
        except (urllib.error.URLError, ConnectionError, OSError):
            return 0, {}, b""

    def edge(self, path: str, headers: dict | None = None, method: str = "GET"):
        return self.get(f"http://127.0.0.1:{self.nginx_port}{path}", headers, method)

    def edge_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.nginx_port}{path}"

    def metrics(self, i: int) -> str:
        return self.get(f"http://127.0.0.1:{self.serve_ports[i]}/metrics")[2].decode()
