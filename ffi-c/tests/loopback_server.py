"""A loopback authorization server for the C tests of the key source and
the introspector (ffi-c/tests/keysource.c, introspector.c).

    python3 loopback_server.py DIR [--lifetime SECONDS] [--cases INTROSPECTION_JSON]

Binds 127.0.0.1 on a port the OS chooses and writes into DIR:

    issuer        the issuer URL (http://127.0.0.1:PORT)
    pid           this process's id (the tests kill it to show stale keys)
    token_a       an RFC 9068 access token signed by key "a" (ES256)
    token_b       the same claims signed by key "b"
    id_token_a    an ID token for client "app" signed by key "a"
    flood         100 ES256 tokens, one a line, each with a random kid
    count_jwks    how many JWKS requests were answered (rewritten each time)
    count_introspect   how many introspection requests were answered

Every token is minted here with `cryptography` (never by tokenlane). The
tests steer the server through files in DIR, read at every request:

    keys   "a", "b" or "ab": which keys the JWKS holds (default "a")
    fail   "500": every answer is HTTP 500; "html": an HTML page with 200

Routes: /.well-known/openid-configuration (issuer, jwks_uri,
introspection_endpoint), /jwks, POST /introspect (RFC 7662: client "rs"
with secret "s3cret:&" by client_secret_basic, form-encoded as RFC 6749
§2.3.1 says, or client_secret_post; other credentials get 401). Opaque
tokens the endpoint knows: "opaque-good" (an active access token for
https://api.example with scope read), "opaque-refresh" (node-oidc-provider
9's refresh-token answer: active, scope, no aud, no token_type),
"opaque-other-resource" (aud another API); with --cases, the name of each
case of tests/conformance/introspection.json, answered with that case's
body (serialized as cases_to_lines.py does); any other token is inactive.

The server stops by itself after --lifetime seconds (default 240).
"""

import base64
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

AUDIENCE = "https://api.example"
CLIENT = ("rs", "s3cret:&")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(key, kid: str) -> dict:
    n = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
        "x": b64u(n.x.to_bytes(32, "big")),
        "y": b64u(n.y.to_bytes(32, "big")),
    }


def sign(key, header: dict, claims: dict) -> str:
    signing_input = (
        b64u(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64u(json.dumps(claims, separators=(",", ":")).encode())
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def read(path: str, default: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return default


def main() -> None:
    directory = sys.argv[1]
    lifetime = 240
    if "--lifetime" in sys.argv:
        lifetime = int(sys.argv[sys.argv.index("--lifetime") + 1])
    case_bodies = {}
    if "--cases" in sys.argv:
        with open(sys.argv[sys.argv.index("--cases") + 1], encoding="utf-8") as f:
            for c in json.load(f)["cases"]:
                body = c.get("response_text")
                if body is None:
                    body = json.dumps(c["response"], separators=(",", ":"), ensure_ascii=False)
                case_bodies[c["name"]] = body.encode()
    keys = {"a": ec.generate_private_key(ec.SECP256R1()), "b": ec.generate_private_key(ec.SECP256R1())}
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    now = int(time.time())
    counts = {"jwks": 0, "introspect": 0}
    lock = threading.Lock()

    def access_claims(jti: str) -> dict:
        return {
            "iss": issuer,
            "aud": AUDIENCE,
            "sub": "user-1",
            "client_id": "client-app",
            "scope": "read",
            "iat": now - 10,
            "exp": now + 86400,
            "jti": jti,
        }

    for kid in ("a", "b"):
        write(
            os.path.join(directory, f"token_{kid}"),
            sign(keys[kid], {"alg": "ES256", "typ": "at+jwt", "kid": kid}, access_claims(f"jti-{kid}")),
        )
    write(
        os.path.join(directory, "id_token_a"),
        sign(
            keys["a"],
            {"alg": "ES256", "typ": "JWT", "kid": "a"},
            {"iss": issuer, "aud": "app", "sub": "user-1", "iat": now - 10, "exp": now + 86400},
        ),
    )
    write(
        os.path.join(directory, "flood"),
        "\n".join(
            sign(keys["a"], {"alg": "ES256", "typ": "at+jwt", "kid": secrets.token_hex(8)}, access_claims(f"f{i}"))
            for i in range(100)
        )
        + "\n",
    )
    answers = {
        "opaque-good": {
            "active": True,
            "token_type": "Bearer",
            "iss": issuer,
            "aud": AUDIENCE,
            "sub": "user-1",
            "client_id": "client-app",
            "scope": "read write",
            "iat": now - 10,
            "exp": now + 3600,
        },
        "opaque-refresh": {
            "active": True,
            "iss": issuer,
            "sub": "user-1",
            "client_id": "client-app",
            "scope": "openid offline_access read",
            "iat": now - 10,
            "exp": now + 86400,
        },
        "opaque-other-resource": {
            "active": True,
            "token_type": "Bearer",
            "iss": issuer,
            "aud": "https://other.example",
            "sub": "user-1",
            "client_id": "client-app",
            "scope": "read",
            "exp": now + 3600,
        },
    }

    def bump(name: str) -> None:
        with lock:
            counts[name] += 1
            write(os.path.join(directory, f"count_{name}"), str(counts[name]))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def reply(self, status: int, body: bytes, ctype: str = "application/json", extra=()) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def failing(self) -> bool:
            mode = read(os.path.join(directory, "fail"), "")
            if mode == "500":
                self.reply(500, b"internal error", "text/plain")
                return True
            if mode == "html":
                self.reply(200, b"<html><body>Sign in</body></html>", "text/html")
                return True
            return False

        def do_GET(self) -> None:
            if self.failing():
                return
            if self.path == "/.well-known/openid-configuration":
                meta = {
                    "issuer": issuer,
                    "jwks_uri": issuer + "/jwks",
                    "introspection_endpoint": issuer + "/introspect",
                }
                self.reply(200, json.dumps(meta).encode())
            elif self.path == "/jwks":
                bump("jwks")
                kids = read(os.path.join(directory, "keys"), "a")
                body = json.dumps({"keys": [jwk(keys[k], k) for k in kids if k in keys]}).encode()
                self.reply(200, body, extra=[("Cache-Control", "max-age=60")])
            else:
                self.reply(404, b"{}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            if self.path != "/introspect":
                self.reply(404, b"{}")
                return
            if self.failing():
                return
            bump("introspect")
            auth = self.headers.get("Authorization", "")
            creds = None
            if auth.startswith("Basic "):
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                creds = (urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(pw))
            elif "client_id" in form:
                creds = (form["client_id"][0], form.get("client_secret", [""])[0])
            if creds != CLIENT or form.get("token_type_hint") != ["access_token"]:
                self.reply(401, b'{"error":"invalid_client"}', extra=[("WWW-Authenticate", "Basic")])
                return
            token = form.get("token", [""])[0]
            if token in case_bodies:
                self.reply(200, case_bodies[token])
                return
            self.reply(200, json.dumps(answers.get(token, {"active": False})).encode())

    server.RequestHandlerClass = Handler
    write(os.path.join(directory, "pid"), str(os.getpid()))
    write(os.path.join(directory, "issuer"), issuer)  # last: the tests wait for it
    threading.Timer(lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
