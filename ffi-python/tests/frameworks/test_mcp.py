"""MCP: a server built with the official MCP Python SDK (examples/mcp_server.py)
accepts a token minted for its own URL and refuses one minted for another
resource, through tokenlane's TokenVerifier hook alone and behind
``protect`` (precise challenges, RFC 9728 document)."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import httpx
import pytest
from mcp.server.mcpserver import MCPServer
from starlette.testclient import TestClient

import mcp_server
from support import access_token, challenge_params, uvicorn_server
from tokenlane.mcp import TokenVerifier, auth_settings

MCP_URL = "https://mcp.example/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def post(client: Any, token: str | None) -> Any:
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/mcp", json=INITIALIZE, headers=headers)


def test_sdk_server_behind_protect_accepts_its_own_token_and_refuses_another_resources() -> None:
    app = importlib.reload(mcp_server).app  # a fresh app: the SDK runs its sessions once per app
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        r = post(client, access_token(aud=MCP_URL))
        assert r.status_code == 200, r.text
        assert "serverInfo" in r.text

        r = post(client, access_token(aud="https://other.example/api"))
        assert r.status_code == 401
        p = challenge_params(r.headers["www-authenticate"])
        assert p["error"] == "invalid_token"
        assert p["resource_metadata"] == "https://mcp.example/.well-known/oauth-protected-resource/mcp"
        assert r.json()["code"] == "audience_mismatch"

        # No header: a challenge without error (the SDK alone says invalid_token).
        r = post(client, None)
        assert r.status_code == 401
        assert "error=" not in r.headers["www-authenticate"]

        doc = client.get("/.well-known/oauth-protected-resource/mcp").json()
        assert doc["resource"] == MCP_URL
        assert doc["authorization_servers"] == ["https://issuer.example/"]
        assert doc["scopes_supported"] == ["notes:read"]
        assert "dpop_signing_alg_values_supported" not in doc


def test_sdk_hook_alone_refuses_another_resources_token_and_logs_the_code(caplog: pytest.LogCaptureFixture) -> None:
    server = MCPServer("bare", token_verifier=TokenVerifier(mcp_server.resource), auth=auth_settings(mcp_server.resource))
    caplog.set_level(logging.INFO, logger="tokenlane.mcp")
    with TestClient(server.streamable_http_app(), base_url="http://127.0.0.1:8000") as client:
        assert post(client, access_token(aud=MCP_URL)).status_code == 200
        other = access_token(aud="https://other.example/api")
        r = post(client, other)
        assert r.status_code == 401
    assert "audience_mismatch" in caplog.text
    assert other not in caplog.text


def test_sdk_server_on_uvicorn_over_loopback() -> None:
    # A fresh example app: the SDK's session manager runs once per app.
    app = importlib.reload(mcp_server).app
    with uvicorn_server(app, lifespan="on") as base, httpx.Client(base_url=base) as client:
        assert post(client, access_token(aud=MCP_URL)).status_code == 200
        r = post(client, access_token(aud="https://other.example/api"))
        assert r.status_code == 401
        assert challenge_params(r.headers["www-authenticate"])["error"] == "invalid_token"
