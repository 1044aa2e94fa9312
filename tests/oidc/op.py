"""A real OpenID Provider for tests: node-oidc-provider (tests/oidc-provider),
started on 127.0.0.1 with keys this module generates, and the flows that get
tokens from its real endpoints.

Reusable by any test suite (the CLI's here, the Python package's later):

    from op import OpenIDProvider, signing_jwks

    with OpenIDProvider(signing_jwks("ES256", "k1"), alg="ES256") as op:
        at = op.client_credentials("https://api.example/jwt")["access_token"]
        tokens = op.login("https://api.example/jwt")   # access, id, refresh
        op.restart(signing_jwks("ES256", "k2"))          # same issuer, new keys

Needs `bash scripts/setup-oidc.sh` (npm ci) first; `OpenIDProvider` raises
with that hint when node_modules is missing. Every key, token and DPoP proof
here is made by independent libraries (cryptography, joserfc, the provider
itself), never by tokenlane.
"""

from __future__ import annotations

import base64
import hashlib
import json

import re
import secrets
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

ROOT = Path(__file__).resolve().parents[2]
SERVER_DIR = ROOT / "tests" / "oidc-provider"

# The provider's fixtures (tests/oidc-provider/server.mjs).
JWT_API = "https://api.example/jwt"
OPAQUE_API = "https://api.example/opaque"
OTHER_API = "https://other.example/api"
MCP_API = "https://mcp.example/mcp"
CC_CLIENT = ("cc-client", "cc-secret")
APP_CLIENT = ("app-client", "app-secret")
RS_CLIENT = ("rs-client", "rs-secret")
REDIRECT_URI = "http://127.0.0.1/cb"

START_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0


def signing_jwks(alg: str, *kids: str) -> dict[str, Any]:
    """A private JWKS with one fresh key per kid for `alg` (RS256, PS256,
    ES256, ES384, EdDSA), made with joserfc/cryptography."""
    keys = []
    for kid in kids:
        if alg in ("RS256", "PS256"):
            key: Any = RSAKey.generate_key(2048)
        elif alg == "ES256":
            key = ECKey.generate_key("P-256")
        elif alg == "ES384":
            key = ECKey.generate_key("P-384")
        elif alg in ("EdDSA", "Ed25519"):
            key = OKPKey.generate_key("Ed25519")
        else:
            raise ValueError(f"no key type for {alg}")
        jwk = key.as_dict(private=True)
        jwk.update(kid=kid, alg=alg, use="sig")
        keys.append(jwk)
    return {"keys": keys}


def public_jwks(private: dict[str, Any]) -> dict[str, Any]:
    """The public half of a private JWKS."""
    private_members = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    return {"keys": [{k: v for k, v in j.items() if k not in private_members} for j in private["keys"]]}


class OpenIDProvider:
    """node-oidc-provider on 127.0.0.1, as a context manager. `issuer` is
    `http://127.0.0.1:PORT`. `restart(jwks)` stops it and starts it again on
    the same port (so the same issuer) with other keys: the test controls
    rotation. Its in-memory store is lost on restart (opaque tokens with it)."""

    def __init__(self, jwks: dict[str, Any], alg: str = "ES256") -> None:
        if not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("the OpenID Provider is not installed: run bash scripts/setup-oidc.sh")
        self.alg = alg
        self.jwks = jwks
        self._dir = tempfile.TemporaryDirectory(prefix="tokenlane-op-")
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.issuer = ""
        self.log: list[str] = []

    # -- process ----------------------------------------------------------
    def start(self) -> "OpenIDProvider":
        path = Path(self._dir.name) / f"jwks-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(self.jwks))
        proc = subprocess.Popen(
            ["node", "server.mjs", "--jwks", str(path), "--alg", self.alg, "--port", str(self.port)],
            cwd=SERVER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._proc = proc
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""))
        reader.start()
        reader.join(START_TIMEOUT)
        first = line[0].strip() if line else ""
        if not first.startswith("listening http://127.0.0.1:"):
            self.stop()
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the OpenID Provider did not start: {first!r} {err[-2000:]}")
        self.issuer = first.split(" ", 1)[1]
        self.port = int(self.issuer.rsplit(":", 1)[1])
        # Drain stderr so the provider never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(proc,), daemon=True).start()
        return self

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        for stream in (proc.stderr,):
            if stream:
                for l in stream:
                    self.log.append(l)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self, jwks: dict[str, Any]) -> None:
        """Stops the provider and starts it on the same issuer with `jwks`."""
        self.stop()
        self.jwks = jwks
        for _ in range(50):
            try:
                self.start()
                return
            except RuntimeError as e:  # the port may linger a moment
                last = e
                time.sleep(0.1)
        raise last

    def __enter__(self) -> "OpenIDProvider":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._dir.cleanup()

    # -- endpoints --------------------------------------------------------
    def url(self, path: str) -> str:
        return self.issuer + path

    def token(self, form: dict[str, str], client: tuple[str, str], dpop: str | None = None) -> dict[str, Any]:
        headers = {"DPoP": dpop} if dpop else {}
        r = requests.post(self.url("/token"), data=form, auth=client, headers=headers, timeout=HTTP_TIMEOUT)
        if r.status_code != 200:
            raise RuntimeError(f"token endpoint: {r.status_code} {r.text}")
        return r.json()

    def client_credentials(
        self, resource: str, scope: str = "read", dpop_key: Any = None
    ) -> dict[str, Any]:
        """The client-credentials grant (cc-client) for `resource`; with
        `dpop_key`, a DPoP proof for the token request binds the token."""
        proof = dpop_proof(dpop_key, "POST", self.url("/token")) if dpop_key else None
        return self.token(
            {"grant_type": "client_credentials", "resource": resource, "scope": scope}, CC_CLIENT, proof
        )

    def login(self, resource: str, scope: str = "openid offline_access read", user: str = "alice") -> dict[str, Any]:
        """The authorization-code flow (app-client) driven through the
        devInteractions login and consent forms with a cookie-keeping
        session. Returns the token response (access_token, id_token,
        refresh_token) plus the `nonce` sent."""
        s = requests.Session()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        nonce, state = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        params = {
            "client_id": APP_CLIENT[0],
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "resource": resource,
            "prompt": "consent",
            "nonce": nonce,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        r = s.get(self.url("/auth"), params=params, allow_redirects=False, timeout=HTTP_TIMEOUT)
        code = None
        for _ in range(12):
            if r.is_redirect:
                loc = urljoin(r.url, r.headers["location"])
                if loc.startswith(REDIRECT_URI):
                    q = parse_qs(urlparse(loc).query)
                    if "error" in q:
                        raise RuntimeError(f"authorization error: {q}")
                    assert q["state"] == [state]
                    code = q["code"][0]
                    break
                r = s.get(loc, allow_redirects=False, timeout=HTTP_TIMEOUT)
                continue
            m = re.search(r'action="([^"]+)"', r.text)
            if r.status_code != 200 or not m:
                raise RuntimeError(f"unexpected page {r.status_code}: {r.text[:500]}")
            action = urljoin(r.url, m.group(1).replace("&amp;", "&"))
            if 'name="login"' in r.text:
                form = {"prompt": "login", "login": user, "password": "any"}
            else:
                form = {"prompt": "consent"}
            r = s.post(action, data=form, allow_redirects=False, timeout=HTTP_TIMEOUT)
        if code is None:
            raise RuntimeError("the login flow did not end at the redirect URI")
        tokens = self.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "resource": resource,
            },
            APP_CLIENT,
        )
        tokens["nonce"] = nonce
        return tokens

    def introspect(self, token: str) -> dict[str, Any]:
        """What the provider itself answers (as the resource server)."""
        r = requests.post(self.url("/token/introspection"), data={"token": token}, auth=RS_CLIENT, timeout=HTTP_TIMEOUT)
        r.raise_for_status()
        return r.json()

    def revoke(self, token: str, client: tuple[str, str]) -> None:
        r = requests.post(self.url("/token/revocation"), data={"token": token}, auth=client, timeout=HTTP_TIMEOUT)
        if r.status_code != 200:
            raise RuntimeError(f"revocation: {r.status_code} {r.text}")


def dpop_key() -> ECKey:
    """A client's DPoP key (P-256), made with joserfc."""
    return ECKey.generate_key("P-256")


def dpop_proof(
    key: ECKey,
    method: str,
    url: str,
    access_token: str | None = None,
    iat: int | None = None,
    jti: str | None = None,
) -> str:
    """An RFC 9449 proof signed with ES256 by joserfc (independent of
    tokenlane): typ dpop+jwt, the public jwk, htm, htu, iat, jti, and `ath`
    when `access_token` is given."""
    claims: dict[str, Any] = {
        "htm": method,
        "htu": url,
        "iat": int(time.time()) if iat is None else iat,
        "jti": jti or secrets.token_urlsafe(16),
    }
    if access_token is not None:
        claims["ath"] = (
            base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        )
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["ES256"])


def jwk_thumbprint(key: ECKey) -> str:
    """RFC 7638 thumbprint, computed here (not by tokenlane)."""
    pub = key.as_dict(private=False)
    canon = json.dumps({k: pub[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b"=").decode()


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, decoded for assertions (no verification)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def unverified_header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


__all__ = [
    "APP_CLIENT",
    "CC_CLIENT",
    "JWT_API",
    "OPAQUE_API",
    "OTHER_API",
    "MCP_API",
    "OpenIDProvider",
    "RS_CLIENT",
    "dpop_key",
    "dpop_proof",
    "jwk_thumbprint",
    "public_jwks",
    "signing_jwks",
    "unverified_claims",
    "unverified_header",
]


