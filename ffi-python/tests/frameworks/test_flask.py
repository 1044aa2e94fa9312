"""Flask: the README example (examples/flask_app.py) through Flask's test
client and on a real WSGI server (the standard library's, threaded) over
loopback with httpx."""

from __future__ import annotations

from typing import Any

import httpx

import flask_app
from support import RESOURCE, access_token, check_lanes, wsgi_server


class _Answer:
    """A Flask test response read the way httpx's is (``json()``, ``text``)."""

    def __init__(self, r: Any) -> None:
        self.status_code, self.headers, self.text = r.status_code, r.headers, r.get_data(as_text=True)
        self._json = r.get_json(silent=True)

    def json(self) -> Any:
        return self._json


def test_test_client_answers_each_lane() -> None:
    client = flask_app.app.test_client()
    check_lanes(lambda path, headers: _Answer(client.get(path, headers=headers)), "http://localhost/notes",
                scoped_path="/notes/export")


def test_wsgi_server_over_loopback_answers_each_lane() -> None:
    with wsgi_server(flask_app.app) as base, httpx.Client(base_url=base) as client:
        check_lanes(lambda path, headers: client.get(path, headers=headers), base + "/notes",
                    scoped_path="/notes/export")


def test_metadata_document_and_token_on_g() -> None:
    client = flask_app.app.test_client()
    doc = client.get("/.well-known/oauth-protected-resource").get_json()
    assert doc["resource"] == RESOURCE and doc["authorization_servers"] == ["https://issuer.example/"]
    r = client.get("/notes", headers={"Authorization": f"Bearer {access_token()}"})
    assert r.get_json() == {"sub": "user-123"}
