"""The framework-neutral layer (tokenlane.web): start-up errors, the URL
with and without trusted proxies, client certificates, DPoP modes, server
faults, RFC 9728."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

import tokenlane
from support import CLIENT_KEY, JWKS, RESOURCE, access_token, dpop_proof
from tokenlane.web import ProtectedResource


def resource(**kw: Any) -> ProtectedResource:
    kw.setdefault("keys", JWKS)
    return ProtectedResource(resource=RESOURCE, issuer="https://issuer.example/", algorithms=["ES256"], **kw)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"resource": "api.example"}, r"absolute http\(s\) URL"),
        ({"resource": "https://api.example/?q=1"}, "query or fragment"),
        ({"algorithms": []}, "non-empty list"),
        ({"algorithms": "ES256"}, "non-empty list"),
        ({"algorithms": ["none"]}, "unknown algorithm"),
        ({"dpop": "maybe"}, "dpop must be one of"),
        ({"typ": "loose"}, "typ must be"),
        ({"leeway": -1}, "leeway"),
        ({"trusted_proxies": ["not-an-ip"]}, "not an IP address"),
        ({"client_cert_header": "Client-Cert"}, "trusted_proxies too"),
        ({"keys": None, "issuer": "http://issuer.example/"}, "plain http is refused"),
        ({"dpop_algorithms": ["HS256x"]}, "unknown algorithm"),
    ],
)
def test_bad_configuration_fails_at_start_up(kw: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"resource": RESOURCE, "issuer": "https://issuer.example/", "algorithms": ["ES256"],
                            "keys": JWKS}
    args.update(kw)
    with pytest.raises(ValueError, match=message):
        ProtectedResource(**args)


def asgi(headers: dict[str, str], *, client: str = "10.0.0.5", path: str = "/notes") -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": (client, 5000), "server": ("10.0.0.9", 8000),
    }


FORWARDED = {"Host": "internal:8000", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example",
             "X-Forwarded-Prefix": "/v1"}


def test_forwarded_headers_are_ignored_without_a_trusted_proxy() -> None:
    assert resource().facts_from_asgi(asgi(FORWARDED)).url == "http://internal:8000/notes"
    # A peer outside the trusted networks is not trusted either.
    r = resource(trusted_proxies=["192.168.0.0/16"])
    assert r.facts_from_asgi(asgi(FORWARDED)).url == "http://internal:8000/notes"


def test_forwarded_headers_of_a_trusted_proxy_make_the_url() -> None:
    r = resource(trusted_proxies=["10.0.0.0/8"])
    assert r.facts_from_asgi(asgi(FORWARDED)).url == "https://api.example/v1/notes"
    # The last value (the proxy next to the app); bad values are ignored.
    h = {"Host": "internal", "X-Forwarded-Proto": "https, gopher", "X-Forwarded-Host": "evil.example, api.example",
         "X-Forwarded-Prefix": "/../admin"}
    assert r.facts_from_asgi(asgi(h)).url == "http://api.example/notes"
    h = {"Host": "internal", "X-Forwarded-Host": 'a"b', "X-Forwarded-Port": "8443"}
    assert r.facts_from_asgi(asgi(h)).url == "http://internal:8443/notes"


def test_wsgi_environ_gives_the_same_facts() -> None:
    r = resource(trusted_proxies=["*"])
    environ = {"REQUEST_METHOD": "POST", "wsgi.url_scheme": "http", "HTTP_HOST": "internal", "PATH_INFO": "/a b",
               "SCRIPT_NAME": "", "REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_PROTO": "https",
               "HTTP_AUTHORIZATION": "Bearer x"}
    f = r.facts_from_wsgi(environ)
    assert (f.method, f.url) == ("POST", "https://internal/a%20b")
    assert (b"authorization", b"Bearer x") in f.headers


def test_dpop_through_a_trusted_proxy_checks_the_external_url() -> None:
    r = resource(trusted_proxies=["10.0.0.5"])
    bound = access_token(dpop_key=CLIENT_KEY)
    good = {**FORWARDED, "Authorization": f"DPoP {bound}",
            "DPoP": dpop_proof("GET", "https://api.example/v1/notes", bound)}
    assert r.authorize(r.facts_from_asgi(asgi(good))).scheme == "DPoP"
    # The same proof from an untrusted peer: the URL is the internal one.
    fresh = {**good, "DPoP": dpop_proof("GET", "https://api.example/v1/notes", bound)}
    with pytest.raises(tokenlane.InvalidDpopProof):
        r.authorize(r.facts_from_asgi(asgi(fresh, client="10.0.0.6")))


def test_client_certificate_from_a_trusted_proxy_header() -> None:
    der = b"\x30\x03\x02\x01\x01"  # the bytes only need hashing
    r = resource(trusted_proxies=["10.0.0.5"], client_cert_header="Client-Cert")
    h = {"Host": "api.example", "Client-Cert": ":" + base64.b64encode(der).decode() + ":"}
    assert r.facts_from_asgi(asgi(h)).client_cert_sha256 == hashlib.sha256(der).digest()
    assert r.facts_from_asgi(asgi(h, client="10.0.0.7")).client_cert_sha256 is None
    pem = "-----BEGIN CERTIFICATE-----\n" + base64.b64encode(der).decode() + "\n-----END CERTIFICATE-----\n"
    h = {"Host": "api.example", "Client-Cert": pem.replace("\n", "%0A")}
    assert r.facts_from_asgi(asgi(h)).client_cert_sha256 == hashlib.sha256(der).digest()
    assert r.metadata()["tls_client_certificate_bound_access_tokens"] is True


def test_dpop_required_refuses_bearer_with_a_dpop_only_challenge() -> None:
    r = resource(dpop="required", dpop_algorithms=["ES256"])
    with pytest.raises(tokenlane.TokenError) as e:
        r.authorize(r.facts_from_asgi(asgi({"Host": "api.example", "Authorization": f"Bearer {access_token()}"})))
    refusal = r.refusal(e.value)
    assert refusal.status == 401
    assert refusal.headers["WWW-Authenticate"].startswith("DPoP ")
    assert 'algs="ES256"' in refusal.headers["WWW-Authenticate"]
    assert r.metadata()["dpop_bound_access_tokens_required"] is True


def test_disabled_dpop_offers_bearer_only_and_no_dpop_metadata() -> None:
    r = resource(dpop="disabled", realm='api "v1"', publish_metadata=False)
    with pytest.raises(tokenlane.MissingToken) as e:
        r.authorize(r.facts_from_asgi(asgi({"Host": "api.example"})))
    assert r.refusal(e.value).headers["WWW-Authenticate"] == 'Bearer realm="api v1"'
    assert "dpop_signing_alg_values_supported" not in r.metadata()


def test_server_faults_are_5xx_without_a_challenge() -> None:
    r = resource()
    refusal = r.refusal(tokenlane.KeysUnavailable("the key endpoint is down"))
    assert refusal.status == 503
    assert "WWW-Authenticate" not in refusal.headers
    assert json.loads(refusal.body) == {"code": "keys_unavailable",
                                        "error_description": refusal.content["error_description"]}


def test_metadata_url_inserts_the_well_known_path_before_the_resource_path() -> None:
    r = ProtectedResource(resource="https://mcp.example/tools/mcp", issuer="https://issuer.example/",
                          algorithms=["ES256"], keys=JWKS)
    assert r.metadata_url == "https://mcp.example/.well-known/oauth-protected-resource/tools/mcp"
    assert r.metadata_path == "/.well-known/oauth-protected-resource/tools/mcp"
    assert r.audience == ["https://mcp.example/tools/mcp"]


def test_each_scope_set_has_one_validator_built_once() -> None:
    r = resource(required_scopes=["base"])
    assert r.validator_for(["b", "a"]) is r.validator_for(["a", "b", "a"])
    assert r.validator_for([]) is r.validator
