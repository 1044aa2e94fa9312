"""Django REST framework: the README example (examples/drf_notes) through
DRF's APIClient and on a real WSGI server (Django's WSGI handler on the
standard library's server) over loopback with httpx."""

from __future__ import annotations

import os

import django
import httpx

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drf_notes.settings")
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from support import RESOURCE, access_token, check_lanes, wsgi_server  # noqa: E402


def _get(client: APIClient):  # type: ignore[no-untyped-def]
    def get(path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
        return client.get(path, headers=headers)

    return get


def test_api_client_answers_each_lane() -> None:
    check_lanes(_get(APIClient()), "http://testserver/notes", scoped_path="/notes/export", json_body=False)


def test_wsgi_server_over_loopback_answers_each_lane() -> None:
    with wsgi_server(get_wsgi_application()) as base, httpx.Client(base_url=base) as client:
        check_lanes(lambda path, headers: client.get(path, headers=headers), base + "/notes",
                    scoped_path="/notes/export", json_body=False)


def test_metadata_document_and_request_auth() -> None:
    client = APIClient()
    doc = client.get("/.well-known/oauth-protected-resource").json()
    assert doc["resource"] == RESOURCE
    r = client.get("/notes", headers={"Authorization": f"Bearer {access_token()}"})
    assert r.json() == {"sub": "user-123"}
