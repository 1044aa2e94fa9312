"""Every case of tests/conformance/cases.json, through the Python API.

The same cases run in the Rust and C suites, so the three front ends are
proven to agree. Format and rules: tests/conformance/README.md. The file can
be pointed elsewhere with TOKENLANE_CONFORMANCE_CASES.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import tokenlane
from conftest import REPO

CASES_PATH = Path(os.environ.get("TOKENLANE_CONFORMANCE_CASES", REPO / "tests" / "conformance" / "cases.json"))


def _load() -> dict[str, Any]:
    if not CASES_PATH.is_file():
        return {"keysets": {}, "key_cases": [], "cases": [], "missing": True}
    with CASES_PATH.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


DATA = _load()


def _b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _key_bytes(s: str) -> bytes:
    """The bytes of a ``der`` or ``secret`` source. The case format carries
    them as base64url; the Python API takes raw bytes, so a source whose
    base64url does not decode (a "bad base64" key case) is the same refusal
    a JWK with bad base64 gets: ``invalid_key``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s) or len(s) % 4 == 1:
        raise tokenlane.InvalidKey(f"the case's key data is not base64url: {s[:20]!r}")
    return _b64url(s)


def load_source(src: dict[str, Any]) -> tokenlane.KeySet:
    kind = src["kind"]
    if kind == "jwks":
        return tokenlane.KeySet.from_jwks(src["data"])
    if kind == "pem":
        return tokenlane.KeySet.from_pem(src["data"], kid=src.get("kid"), alg=src.get("alg"))
    if kind == "der":
        return tokenlane.KeySet.from_der(_key_bytes(src["data"]), kid=src.get("kid"), alg=src.get("alg"))
    if kind == "secret":
        return tokenlane.KeySet.from_secret(_key_bytes(src["data"]), kid=src.get("kid"), alg=src.get("alg"))
    raise AssertionError(f"unknown key source kind {kind!r}")


def load_keyset(name: str) -> tokenlane.KeySet:
    sources = DATA["keysets"][name]
    keys = load_source(sources[0])
    for src in sources[1:]:
        keys = keys + load_source(src)
    return keys


def test_cases_file_is_present_and_not_empty() -> None:
    assert CASES_PATH.is_file(), f"{CASES_PATH} is missing: run tests/conformance/generate.py"
    assert DATA["cases"] and DATA["key_cases"]


@pytest.mark.parametrize("case", DATA["key_cases"], ids=[c["name"] for c in DATA["key_cases"]])
def test_key_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(tokenlane.InvalidKey) as info:
            load_source(case["source"])
        assert info.value.code == expect["error"], case["rule"]
    else:
        keys = load_source(case["source"])
        assert len(keys) == expect["loaded"], case["rule"]
        assert len(keys.skipped) == expect["skipped"], case["rule"]


def run_case(case: dict[str, Any]) -> Any:
    keys = load_keyset(case["keyset"])
    p = case["policy"]
    common: dict[str, Any] = {"issuer": p["issuer"], "algorithms": p["algorithms"]}
    if "leeway" in p:
        common["leeway"] = p["leeway"]
    if "max_token_bytes" in p:
        common["max_token_bytes"] = p["max_token_bytes"]
    if case["lane"] == "access":
        api = tokenlane.AccessTokenValidator(
            keys,
            audience=p["audience"],
            required_scopes=p.get("required_scopes", []),
            typ=p.get("typ", "strict"),
            **common,
        )
        return api.validate(case["token"], now=case["now"])
    assert case["lane"] == "id", case["lane"]
    app = tokenlane.IdTokenValidator(keys, client_id=p["client_id"], **common)
    return app.validate(
        case["token"],
        nonce=p.get("nonce"),
        max_age=p.get("max_age"),
        access_token=p.get("access_token"),
        now=case["now"],
    )


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(tokenlane.TokenError) as info:
            run_case(case)
        assert info.value.code == expect["error"], f"{case['rule']}: {info.value}"
        return
    try:
        tok = run_case(case)
    except tokenlane.TokenError as e:
        pytest.fail(f"refused with {e.code} ({e}); rule: {case['rule']}")
    assert tok.sub == expect["sub"]
    if case["lane"] == "access":
        assert isinstance(tok, tokenlane.AccessToken)
        assert tok.client_id == expect.get("client_id")
        assert tok.scopes == expect.get("scopes", [])
    else:
        assert isinstance(tok, tokenlane.IdToken)
        assert not hasattr(tok, "scopes")
    # The claims dict is the verified payload, parsed by Python's json.
    payload = case["token"].split(".")[1]
    assert tok.claims == json.loads(_b64url(payload))
