"""The request lane from Python: ``AccessTokenValidator.authorize``.

Every ``request_cases`` entry of tests/conformance/cases.json runs here
through the Python API (the Rust and C suites run the same cases), with the
exact code of a refusal and, for an accepted request, the scheme, the proof
key's thumbprint and the certificate binding. The cases' tokens and proofs
are minted by Python ``cryptography`` (tests/conformance/generate.py).
The other tests pin what only Python has: the header forms, the exception's
challenge and nonce, the replay store and the Python hooks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any, Optional

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import tokenlane
from test_conformance import DATA, load_keyset

REQUEST_CASES: list[dict[str, Any]] = DATA.get("request_cases", [])


class CaseNonce:
    """The nonce source of a case: ``dpop_nonce`` is the one nonce accepted."""

    def __init__(self, nonce: str) -> None:
        self.nonce = nonce

    def issue(self, now: int) -> str:
        return self.nonce

    def check(self, nonce: str, now: int) -> bool:
        return nonce == self.nonce


class CaseIssuedNonces:
    """The stateless nonces of a case (``dpop_nonce_key``, ``dpop_nonce_bucket``),
    computed with ``cryptography``'s HMAC as tests/conformance/generate.py does:
    an independent implementation of the core's ``NonceIssuer`` scheme."""

    def __init__(self, key: bytes, bucket: int) -> None:
        self.key = key
        self.bucket = bucket

    def nonce_of(self, b: int) -> str:
        from cryptography.hazmat.primitives import hashes, hmac

        mac = hmac.HMAC(self.key, hashes.SHA256())
        mac.update(b"tokenlane-dpop-nonce-v1" + self.bucket.to_bytes(8, "big") + b.to_bytes(8, "big"))
        return base64.urlsafe_b64encode(mac.finalize()).rstrip(b"=").decode()

    def issue(self, now: int) -> str:
        return self.nonce_of(now // self.bucket)

    def check(self, nonce: str, now: int) -> bool:
        b = now // self.bucket
        return nonce in (self.nonce_of(b), self.nonce_of(b - 1))


class CaseReplay:
    """The replay store of a case: ``seen_jti`` is pre-filled (any key)."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = set(seen)

    def __call__(self, jti: str, jkt: str, iat: int, now: int) -> bool:
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True


def validator_of(case: dict[str, Any]) -> tokenlane.AccessTokenValidator:
    p = case["policy"]
    return tokenlane.AccessTokenValidator(
        load_keyset(case["keyset"]),
        issuer=p["issuer"],
        audience=p["audience"],
        algorithms=p["algorithms"],
        leeway=p["leeway"],
        required_scopes=p.get("required_scopes", []),
        typ=p.get("typ", "strict"),
    )


def _nonce_key(case: dict[str, Any]) -> bytes:
    k: str = case["policy"]["dpop_nonce_key"]
    return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))


def dpop_of(case: dict[str, Any]) -> Optional[tokenlane.DpopPolicy]:
    p = case["policy"]
    if p["dpop"] == "bearer_only":
        return None
    nonce: Optional[object] = CaseNonce(p["dpop_nonce"]) if "dpop_nonce" in p else None
    if "dpop_nonce_key" in p:
        nonce = tokenlane.NonceIssuer(_nonce_key(case), bucket_secs=p["dpop_nonce_bucket"])
    return tokenlane.DpopPolicy(
        mode=p["dpop"],
        algorithms=p["proof_algorithms"],
        iat_window=p["iat_window"],
        replay=CaseReplay(p.get("seen_jti", [])),
        nonce=nonce,
    )


def headers_of(case: dict[str, Any]) -> list[tuple[str, str]]:
    r = case["request"]
    return [("Authorization", v) for v in r["authorization"]] + [("DPoP", v) for v in r["dpop"]]


def cert_of(case: dict[str, Any]) -> Optional[bytes]:
    h = case["request"]["certificate_sha256"]
    return None if h is None else bytes.fromhex(h)


def test_request_cases_are_present() -> None:
    assert REQUEST_CASES, "cases.json holds no request_cases"


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c["name"] for c in REQUEST_CASES])
def test_request_case(case: dict[str, Any]) -> None:
    api = validator_of(case)
    dpop = dpop_of(case)
    r = case["request"]
    expect = case["expect"]

    def run() -> tokenlane.AuthorizedRequest:
        return api.authorize(
            r["method"],
            r["uri"],
            headers_of(case),
            dpop=dpop,
            client_cert_sha256=cert_of(case),
            realm="api",
            now=case["now"],
        )

    if "error" in expect:
        with pytest.raises(tokenlane.TokenlaneError) as info:
            run()
        e = info.value
        assert e.code == expect["error"], f"{case['rule']}: {e}"
        # The ready challenge is the core's, for this request's mode: the
        # error on the scheme tried, none for missing_token.
        assert e.challenge is not None
        assert e.challenge == e.www_authenticate("api")
        assert e.headers["WWW-Authenticate"] == e.challenge
        if dpop is not None:
            assert f'algs="{" ".join(dpop.algorithms)}"' in e.challenge
        if e.code == "missing_token":
            assert "error=" not in e.challenge
        elif e.code in ("invalid_dpop_proof", "use_dpop_nonce"):
            assert e.challenge.split("DPoP ", 1)[1].count(f'error="{e.code}"') == 1, e.challenge
        if "dpop_nonce" in case["policy"]:
            assert e.dpop_nonce == case["policy"]["dpop_nonce"]
            assert e.headers["DPoP-Nonce"] == e.dpop_nonce
        elif "dpop_nonce" in expect:
            assert e.dpop_nonce == expect["dpop_nonce"]
            assert e.headers["DPoP-Nonce"] == e.dpop_nonce
        else:
            assert e.dpop_nonce is None and "DPoP-Nonce" not in e.headers
        return
    try:
        got = run()
    except tokenlane.TokenlaneError as e:
        pytest.fail(f"refused with {e.code} ({e}); rule: {case['rule']}")
    assert got.scheme == {"bearer": "Bearer", "dpop": "DPoP"}[expect["scheme"]]
    assert got.jkt == expect["jkt"]
    assert got.certificate_bound == expect["certificate"]
    assert isinstance(got.token, tokenlane.AccessToken)
    assert got.token.sub is not None
    if "dpop_nonce" in expect:
        assert got.dpop_nonce == expect["dpop_nonce"]
        assert got.headers == ({} if got.dpop_nonce is None else {"DPoP-Nonce": got.dpop_nonce})
    else:
        assert got.dpop_nonce is None and got.headers == {}


NONCE_CASES = [c for c in REQUEST_CASES if "dpop_nonce_key" in c["policy"]]


@pytest.mark.parametrize("case", NONCE_CASES, ids=[c["name"] for c in NONCE_CASES])
def test_nonce_cases_through_an_independent_nonce_source(case: dict[str, Any]) -> None:
    """The same cases with the nonce protocol implemented in Python with
    ``cryptography``'s HMAC: the native issuer and an independent
    implementation of its scheme give the same verdicts and refusal nonces."""
    p = case["policy"]
    dpop = tokenlane.DpopPolicy(
        mode=p["dpop"], algorithms=p["proof_algorithms"], iat_window=p["iat_window"],
        replay=CaseReplay(p.get("seen_jti", [])),
        nonce=CaseIssuedNonces(_nonce_key(case), p["dpop_nonce_bucket"]),
    )
    r = case["request"]
    try:
        validator_of(case).authorize(r["method"], r["uri"], headers_of(case), dpop=dpop, now=case["now"])
    except tokenlane.TokenlaneError as e:
        assert e.code == case["expect"].get("error"), e
        assert e.dpop_nonce == case["expect"]["dpop_nonce"]
    else:
        assert case["expect"].get("ok") is True


def test_native_nonce_issuer_agrees_with_an_independent_hmac() -> None:
    key = hashlib.sha256(b"replica key").digest()
    native = tokenlane.NonceIssuer(key, bucket_secs=60)
    other = CaseIssuedNonces(key, 60)
    assert native.bucket_secs == 60
    for now in (0, 59, 60, 1767225600, 1767225659):
        n = native.issue(now)
        assert n == other.issue(now) and len(n) == 43
        assert native.check(n, now) and native.check(n, now + 60) and not native.check(n, now - now % 60 + 120)
        if now >= 60:  # the bucket before this one's start: not yet issued
            assert not native.check(n, now - now % 60 - 1)
    # A replica with the same key accepts it; another key does not.
    assert tokenlane.NonceIssuer(key, bucket_secs=60).check(native.issue(100), 100)
    assert not tokenlane.NonceIssuer(b"k" * 32, bucket_secs=60).check(native.issue(100), 100)
    assert repr(native) == "<NonceIssuer bucket_secs=60>"


def test_nonce_issuer_refuses_weak_settings() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        tokenlane.NonceIssuer(b"k" * 31)
    with pytest.raises(ValueError, match="bucket"):
        tokenlane.NonceIssuer(b"k" * 32, bucket_secs=0)
    with pytest.raises(TypeError):
        tokenlane.NonceIssuer("k" * 32)  # type: ignore[arg-type]
    assert tokenlane.NonceIssuer(b"k" * 32).bucket_secs == 300


# ---------------------------------------------------------------------------
# Python-only behaviour, on the first accepted DPoP case.


def _accepted_dpop_case() -> dict[str, Any]:
    return next(c for c in REQUEST_CASES if c["name"] == "dpop_bound_token_with_valid_proof")


def _authorize(case: dict[str, Any], headers: Any, **kw: Any) -> tokenlane.AuthorizedRequest:
    kw.setdefault("dpop", tokenlane.DpopPolicy(algorithms=["ES256"], iat_window=60))
    return validator_of(case).authorize(
        case["request"]["method"], case["request"]["uri"], headers, now=case["now"], **kw
    )


@pytest.mark.parametrize(
    "form",
    ["dict", "lowercase_dict", "pairs", "bytes_pairs", "items_object"],
)
def test_header_forms(form: str) -> None:
    case = _accepted_dpop_case()
    auth = case["request"]["authorization"][0]
    proof = case["request"]["dpop"][0]

    class Items:
        def items(self) -> list[tuple[str, str]]:
            return [("X-Other", "1"), ("authorization", auth), ("Dpop", proof)]

    headers: Any = {
        "dict": {"Authorization": auth, "DPoP": proof, "Host": "api.example"},
        "lowercase_dict": {"authorization": auth, "dpop": proof},
        "pairs": [("Host", "api.example"), ("Authorization", auth), ("DPoP", proof)],
        "bytes_pairs": [(b"authorization", auth.encode()), (b"dpop", proof.encode())],
        "items_object": Items(),
    }[form]
    got = _authorize(case, headers)
    assert (got.scheme, got.jkt) == ("DPoP", case["expect"]["jkt"])


def test_two_dpop_headers_in_pairs_are_both_seen() -> None:
    case = _accepted_dpop_case()
    auth = case["request"]["authorization"][0]
    proof = case["request"]["dpop"][0]
    with pytest.raises(tokenlane.InvalidDpopProof):
        _authorize(case, [("Authorization", auth), ("DPoP", proof), ("dpop", proof)])


def test_bad_header_shapes_are_type_errors() -> None:
    case = _accepted_dpop_case()
    with pytest.raises(TypeError):
        _authorize(case, [("Authorization",)])
    with pytest.raises(TypeError):
        _authorize(case, {"Authorization": 3})
    with pytest.raises(TypeError):
        _authorize(case, {"Authorization": "x"}, client_cert_sha256="ab" * 32)
    with pytest.raises(ValueError):
        _authorize(case, {"Authorization": "x"}, client_cert_sha256=b"short")


def test_without_a_dpop_policy_the_request_is_bearer_only() -> None:
    case = _accepted_dpop_case()
    r = case["request"]
    with pytest.raises(tokenlane.MissingToken) as info:
        validator_of(case).authorize(
            r["method"], r["uri"], {"Authorization": r["authorization"][0]}, now=case["now"]
        )
    assert info.value.challenge == "Bearer"
    assert info.value.www_authenticate("api") == 'Bearer realm="api"'


def test_the_builtin_replay_store_refuses_the_second_use() -> None:
    case = _accepted_dpop_case()
    store = tokenlane.ReplayStore(capacity=10, iat_window=60)
    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], replay=store)
    headers = headers_of(case)
    assert _authorize(case, headers, dpop=dpop).scheme == "DPoP"
    assert len(store) == 1
    with pytest.raises(tokenlane.InvalidDpopProof) as info:
        _authorize(case, headers, dpop=dpop)
    assert 'DPoP algs="ES256", error="invalid_dpop_proof"' in info.value.challenge  # type: ignore[operator]
    # A policy without a store gets its own: a fresh policy accepts once.
    own = tokenlane.DpopPolicy(algorithms=["ES256"])
    assert _authorize(case, headers, dpop=own).scheme == "DPoP"
    with pytest.raises(tokenlane.InvalidDpopProof):
        _authorize(case, headers, dpop=own)


def test_a_replay_store_with_a_shorter_window_is_refused() -> None:
    with pytest.raises(ValueError, match="iat_window"):
        tokenlane.DpopPolicy(algorithms=["ES256"], iat_window=120, replay=tokenlane.ReplayStore(iat_window=60))
    with pytest.raises(ValueError):
        tokenlane.ReplayStore(capacity=0)


def test_a_failing_replay_callable_is_replay_check_failed_with_its_cause() -> None:
    case = _accepted_dpop_case()

    def broken(jti: str, jkt: str, iat: int, now: int) -> bool:
        raise ConnectionError("redis is down")

    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], replay=broken)
    with pytest.raises(tokenlane.ReplayCheckFailed) as info:
        _authorize(case, headers_of(case), dpop=dpop)
    assert info.value.http_status == 500
    assert isinstance(info.value.__cause__, ConnectionError)

    def not_a_bool(jti: str, jkt: str, iat: int, now: int) -> Any:
        return "fresh"

    with pytest.raises(tokenlane.ReplayCheckFailed):
        _authorize(case, headers_of(case), dpop=tokenlane.DpopPolicy(algorithms=["ES256"], replay=not_a_bool))


def test_the_replay_callable_sees_the_proof_last_with_its_key() -> None:
    case = _accepted_dpop_case()
    calls: list[tuple[str, str, int, int]] = []

    def record(jti: str, jkt: str, iat: int, now: int) -> bool:
        calls.append((jti, jkt, iat, now))
        return True

    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], replay=record)
    _authorize(case, headers_of(case), dpop=dpop)
    assert calls == [("proof-1", case["expect"]["jkt"], case["now"], case["now"])]
    # A proof for another URL never reaches the store.
    with pytest.raises(tokenlane.InvalidDpopProof):
        validator_of(case).authorize(
            "GET", "https://api.example/other", headers_of(case), dpop=dpop, now=case["now"]
        )
    assert len(calls) == 1


def test_a_failing_nonce_check_is_raised_not_answered_as_use_dpop_nonce() -> None:
    case = next(c for c in REQUEST_CASES if c["name"] == "dpop_nonce_valid")

    class Broken:
        def issue(self, now: int) -> str:
            return "n"

        def check(self, nonce: str, now: int) -> bool:
            raise RuntimeError("nonce service down")

    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], nonce=Broken())
    with pytest.raises(RuntimeError, match="nonce service down"):
        _authorize(case, headers_of(case), dpop=dpop)


def test_bad_dpop_configuration_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="mode"):
        tokenlane.DpopPolicy(algorithms=["ES256"], mode="optional")
    with pytest.raises(ValueError):
        tokenlane.DpopPolicy(algorithms=["HS256"])
    with pytest.raises(ValueError):
        tokenlane.DpopPolicy(algorithms=["none"])
    with pytest.raises(ValueError):
        tokenlane.DpopPolicy(algorithms=["ES256"], iat_window=-1)
    with pytest.raises(TypeError):
        tokenlane.DpopPolicy(algorithms=["ES256"], replay=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tokenlane.DpopPolicy(algorithms=["ES256"], nonce=object())  # type: ignore[arg-type]
    # HMAC names are dropped: a proof is never HMAC-signed.
    p = tokenlane.DpopPolicy(algorithms=["ES256", "HS256", "PS256"], mode="required")
    assert (p.mode, sorted(p.algorithms)) == ("required", ["ES256", "PS256"])


def test_insufficient_scope_keeps_403_and_names_the_scopes() -> None:
    case = next(c for c in REQUEST_CASES if c["name"] == "bearer_unbound_token")
    p = case["policy"]
    api = tokenlane.AccessTokenValidator(
        load_keyset(case["keyset"]),
        issuer=p["issuer"],
        audience=p["audience"],
        algorithms=p["algorithms"],
        leeway=p["leeway"],
        required_scopes=["admin"],
    )
    r = case["request"]
    with pytest.raises(tokenlane.InsufficientScope) as info:
        api.authorize(r["method"], r["uri"], headers_of(case), dpop=dpop_of(case), realm="api", now=case["now"])
    e = info.value
    assert e.http_status == 403
    assert e.challenge is not None and 'error="insufficient_scope"' in e.challenge and 'scope="admin"' in e.challenge


# ---------------------------------------------------------------------------
# A fresh DPoP request end to end, minted here with `cryptography` (the
# access token with the conformance issuer key is out of reach, so the token
# comes from an own key set).


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _es256(key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def _public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    n = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _b64(n.x.to_bytes(32, "big")), "y": _b64(n.y.to_bytes(32, "big"))}


class Fresh:
    """A DPoP-bound access token and proofs minted here with `cryptography`
    for the current time (the conformance issuer's private key is not
    here, so the token comes from an own key set)."""

    def __init__(self) -> None:
        idp = ec.generate_private_key(ec.SECP256R1())
        self.client = ec.generate_private_key(ec.SECP256R1())
        self.jwk = _public_jwk(self.client)
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        self.jkt = _b64(hashlib.sha256(canonical.encode()).digest())
        keys = tokenlane.KeySet.from_jwk(json.dumps({**_public_jwk(idp), "kid": "idp"}))
        self.api = tokenlane.AccessTokenValidator(
            keys, issuer="https://idp.example/", audience="https://api.example", algorithms=["ES256"]
        )
        self.now = int(time.time())
        self.at = _es256(
            idp,
            {"alg": "ES256", "typ": "at+jwt", "kid": "idp"},
            {"iss": "https://idp.example/", "sub": "u", "aud": "https://api.example", "client_id": "c",
             "iat": self.now, "exp": self.now + 300, "jti": "at-1", "cnf": {"jkt": self.jkt}},
        )

    def proof(self, jti: str, nonce: Optional[str] = None) -> str:
        claims: dict[str, Any] = {"jti": jti, "htm": "POST", "htu": "https://api.example/items", "iat": self.now,
                                  "ath": _b64(hashlib.sha256(self.at.encode()).digest())}
        if nonce is not None:
            claims["nonce"] = nonce
        return _es256(self.client, {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}, claims)

    def headers(self, jti: str, nonce: Optional[str] = None) -> dict[str, str]:
        return {"Authorization": f"DPoP {self.at}", "DPoP": self.proof(jti, nonce)}


URL = "https://api.example/items?page=2"


def test_fresh_dpop_request_with_the_clock_and_a_nonce() -> None:
    f = Fresh()
    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], mode="required", nonce=CaseNonce("n-1"))
    # No nonce: use_dpop_nonce, with the nonce to use.
    with pytest.raises(tokenlane.UseDpopNonce) as info:
        f.api.authorize("POST", URL, f.headers("p-1"), dpop=dpop)
    assert info.value.headers["DPoP-Nonce"] == "n-1"
    assert info.value.challenge == (
        'DPoP algs="ES256", error="use_dpop_nonce", '
        'error_description="the DPoP proof must carry the server\'s nonce"'
    )
    # With it: accepted (now read from the clock).
    got = f.api.authorize("POST", URL, f.headers("p-2", "n-1"), dpop=dpop)
    assert (got.scheme, got.jkt, got.token.sub) == ("DPoP", f.jkt, "u")
    # The same token as Bearer in required mode: missing_token, DPoP offered.
    with pytest.raises(tokenlane.MissingToken) as info2:
        f.api.authorize("POST", URL, {"Authorization": f"Bearer {f.at}"}, dpop=dpop, realm="api")
    assert info2.value.challenge == 'DPoP realm="api", algs="ES256"'


def test_fresh_dpop_request_with_a_native_nonce_issuer_across_replicas() -> None:
    f = Fresh()
    key = hashlib.sha256(b"the replicas' key").digest()
    def replica() -> tokenlane.DpopPolicy:
        return tokenlane.DpopPolicy(
            algorithms=["ES256"], mode="required", iat_window=300, nonce=tokenlane.NonceIssuer(key, bucket_secs=60)
        )

    one, two = replica(), replica()
    # No nonce: refused by replica one, with its nonce to use.
    with pytest.raises(tokenlane.UseDpopNonce) as info:
        f.api.authorize("POST", URL, f.headers("p-1"), dpop=one, now=f.now)
    nonce = info.value.headers["DPoP-Nonce"]
    assert info.value.dpop_nonce == nonce and len(nonce) == 43
    # Replica two accepts it, and asks for nothing new in the same bucket.
    got = f.api.authorize("POST", URL, f.headers("p-2", nonce), dpop=two, now=f.now)
    assert (got.scheme, got.jkt, got.dpop_nonce, got.headers) == ("DPoP", f.jkt, None, {})
    # One bucket later it is still accepted, with a fresh nonce to switch to.
    later = f.now - f.now % 60 + 60
    got = f.api.authorize("POST", URL, f.headers("p-3", nonce), dpop=one, now=later)
    assert got.dpop_nonce is not None and got.dpop_nonce != nonce
    assert got.headers == {"DPoP-Nonce": got.dpop_nonce}
    # Two buckets later it is stale.
    with pytest.raises(tokenlane.UseDpopNonce) as info:
        f.api.authorize("POST", URL, f.headers("p-4", nonce), dpop=two, now=later + 60)
    assert info.value.dpop_nonce == tokenlane.NonceIssuer(key, bucket_secs=60).issue(later + 60)


def test_a_full_replay_store_refuses_as_a_server_fault_never_accepts() -> None:
    f = Fresh()
    store = tokenlane.ReplayStore(capacity=1, iat_window=60)
    dpop = tokenlane.DpopPolicy(algorithms=["ES256"], replay=store)
    assert f.api.authorize("POST", URL, f.headers("p-1"), dpop=dpop).jkt == f.jkt
    with pytest.raises(tokenlane.ReplayCheckFailed) as info:
        f.api.authorize("POST", URL, f.headers("p-2"), dpop=dpop)
    assert info.value.http_status == 500
    # The live entry was not evicted: its replay is still refused.
    with pytest.raises(tokenlane.InvalidDpopProof):
        f.api.authorize("POST", URL, f.headers("p-1"), dpop=dpop)
    # Once the window has passed, the expired entry makes room.
    later = f.now + 61
    with pytest.raises(tokenlane.InvalidDpopProof):  # p-2's iat is now too old
        f.api.authorize("POST", URL, f.headers("p-2"), dpop=dpop, now=later)
    assert len(store) == 1
