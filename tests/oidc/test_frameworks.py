"""tokenlane's web integrations (ffi-python, tokenlane.fastapi and
tokenlane.mcp) against node-oidc-provider: discovery from the issuer, a
login's access token accepted through FastAPI on uvicorn and its ID token
refused, scopes, a DPoP-bound token; an MCP server built with the official
SDK (ffi-python/examples/mcp_server.py) accepting a token issued for its URL
and refusing one issued for another resource. The proofs are minted by
joserfc (op.py), the tokens by the provider."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Security

import tokenlane
from op import JWT_API, MCP_API, dpop_key, dpop_proof
from tokenlane.fastapi import TokenAuth, metadata_route
from tokenlane.web import ProtectedResource

EXAMPLES = Path(__file__).resolve().parents[2] / "ffi-python" / "examples"
# The framework suite's loopback uvicorn runner, shared rather than copied.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ffi-python" / "tests" / "frameworks"))
from support import uvicorn_server  # noqa: E402


def api(issuer: str) -> tuple[FastAPI, ProtectedResource]:
    resource = ProtectedResource(resource=JWT_API, issuer=issuer, algorithms=["ES256"], scopes_supported=["read", "write"])
    auth = TokenAuth(resource)
    app = FastAPI()
    metadata_route(app, resource)

    @app.get("/items")
    async def items(token: tokenlane.AccessToken = Security(auth, scopes=["read"])) -> dict[str, Any]:
        return {"sub": token.sub, "client_id": token.client_id}

    @app.get("/admin")
    async def admin(token: tokenlane.AccessToken = Security(auth, scopes=["read", "write"])) -> dict[str, Any]:
        return {"sub": token.sub}

    return app, resource


def test_fastapi_discovers_the_provider_accepts_its_access_token_and_refuses_its_id_token(op):
    app, resource = api(op.issuer)
    tokens = op.login(JWT_API)  # scope "openid offline_access read"
    with uvicorn_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        r = client.get("/items", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert r.status_code == 200, r.text
        assert r.json() == {"sub": "alice", "client_id": "app-client"}
        assert isinstance(resource.keys, tokenlane.KeySource)
        assert resource.keys.metadata["issuer"] == op.issuer
        assert resource.keys.counts["fetched"] == 1

        # The ID token of the same login: the access lane refuses it.
        r = client.get("/items", headers={"Authorization": f"Bearer {tokens['id_token']}"})
        assert r.status_code == 401
        assert r.json()["detail"]["code"] == "wrong_token_type"
        assert 'error="invalid_token"' in r.headers["www-authenticate"]

        # The login granted "read" only: the route needing "write" too is 403.
        r = client.get("/admin", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert r.status_code == 403
        assert 'scope="read write"' in r.headers["www-authenticate"]

        doc = client.get("/.well-known/oauth-protected-resource/jwt").json()
        assert doc["resource"] == JWT_API and doc["authorization_servers"] == [op.issuer]


def test_fastapi_accepts_the_providers_dpop_bound_token_with_a_proof_only(op):
    app, _ = api(op.issuer)
    key = dpop_key()
    at = op.client_credentials(JWT_API, scope="read", dpop_key=key)["access_token"]
    with uvicorn_server(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        r = client.get("/items", headers={"Authorization": f"Bearer {at}"})
        assert r.status_code == 401
        assert r.json()["detail"]["code"] == "token_binding_mismatch"
        proof = dpop_proof(key, "GET", base + "/items", at)
        r = client.get("/items", headers={"Authorization": f"DPoP {at}", "DPoP": proof})
        assert r.status_code == 200, r.headers.get("www-authenticate")
        assert r.json()["sub"] == "cc-client"


@pytest.fixture
def mcp_example(op, monkeypatch):
    monkeypatch.setenv("MCP_URL", MCP_API)
    monkeypatch.setenv("MCP_ISSUER", op.issuer)
    monkeypatch.delenv("API_JWKS", raising=False)  # discovery from the provider
    monkeypatch.syspath_prepend(str(EXAMPLES))
    if "mcp_server" in sys.modules:
        return importlib.reload(sys.modules["mcp_server"])
    return importlib.import_module("mcp_server")


def test_mcp_server_of_the_official_sdk_refuses_a_token_for_another_resource(op, mcp_example):
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    own = op.client_credentials(MCP_API, scope="read")["access_token"]
    other = op.client_credentials(JWT_API, scope="read")["access_token"]
    with uvicorn_server(mcp_example.app, lifespan="on") as base, httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {own}"})
        assert r.status_code == 200, r.text
        assert "serverInfo" in r.text
        r = client.post("/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {other}"})
        assert r.status_code == 401
        assert r.json()["code"] == "audience_mismatch"
        assert 'resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"' in (
            r.headers["www-authenticate"]
        )
        doc = client.get("/.well-known/oauth-protected-resource/mcp").json()
        assert doc["resource"] == MCP_API and doc["authorization_servers"] == [op.issuer]
    # The same refusal through the SDK's hook alone (no protect()): the
    # verifier answers None and the SDK its own 401.
    from mcp.server.mcpserver import MCPServer
    from starlette.testclient import TestClient

    from tokenlane.mcp import TokenVerifier, auth_settings

    bare = MCPServer("bare", token_verifier=TokenVerifier(mcp_example.resource), auth=auth_settings(mcp_example.resource))
    with TestClient(bare.streamable_http_app(), base_url="http://127.0.0.1:8000") as client:
        assert client.post("/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {own}"}).status_code == 200
        assert client.post("/mcp", json=initialize, headers={**headers, "Authorization": f"Bearer {other}"}).status_code == 401
