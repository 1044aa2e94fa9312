"""FastAPI and Starlette: the README examples (examples/fastapi_app.py,
examples/starlette_app.py) through each framework's test client and on a
real uvicorn over loopback with httpx."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

import fastapi_app
import starlette_app
from support import RESOURCE, access_token, check_lanes, uvicorn_server


@pytest.mark.parametrize("module", [fastapi_app, starlette_app], ids=["fastapi", "starlette"])
def test_test_client_answers_each_lane(module: object) -> None:
    client = TestClient(module.app)  # type: ignore[attr-defined]
    check_lanes(lambda path, headers: client.get(path, headers=headers), "http://testserver/notes",
                scoped_path="/notes/export")


@pytest.mark.parametrize("module", [fastapi_app, starlette_app], ids=["fastapi", "starlette"])
def test_uvicorn_over_loopback_answers_each_lane(module: object) -> None:
    with uvicorn_server(module.app) as base, httpx.Client(base_url=base) as client:  # type: ignore[attr-defined]
        check_lanes(lambda path, headers: client.get(path, headers=headers), base + "/notes",
                    scoped_path="/notes/export")


def test_metadata_document_is_rfc_9728_from_the_configuration() -> None:
    client = TestClient(fastapi_app.app)
    r = client.get("/.well-known/oauth-protected-resource")
    assert r.status_code == 200
    doc = r.json()
    assert doc["resource"] == RESOURCE
    assert doc["authorization_servers"] == ["https://issuer.example/"]
    assert doc["scopes_supported"] == ["notes:read", "notes:write"]
    assert doc["bearer_methods_supported"] == ["header"]
    assert "ES256" in doc["dpop_signing_alg_values_supported"]
    assert doc["dpop_bound_access_tokens_required"] is False


def test_scopes_appear_in_the_openapi_schema() -> None:
    schema = TestClient(fastapi_app.app).get("/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["tokenlane"]
    assert scheme == {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://issuer.example/.well-known/openid-configuration",
        "description": scheme["description"],
    }
    assert schema["paths"]["/notes"]["get"]["security"] == [{"tokenlane": ["notes:read"]}]
    assert schema["paths"]["/notes/export"]["get"]["security"] == [{"tokenlane": ["notes:read", "notes:write"]}]
    assert "/.well-known/oauth-protected-resource" not in schema["paths"]


def test_refusal_body_is_small_json_and_the_token_is_on_request_state() -> None:
    client = TestClient(fastapi_app.app)
    r = client.get("/notes", headers={"Authorization": "Bearer x.y.z"})
    assert r.status_code == 401
    assert r.json() == {"detail": {"error": "invalid_token", "code": "malformed",
                                   "error_description": r.json()["detail"]["error_description"]}}
    assert "x.y.z" not in r.text
    r = TestClient(starlette_app.app).get("/notes", headers={"Authorization": f"Bearer {access_token()}"})
    assert r.json() == {"sub": "user-123"}
