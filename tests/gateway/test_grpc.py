"""Envoy's gRPC ext_authz (`envoy.service.auth.v3.Authorization/Check`)
against `tokenlane serve`'s `grpc_listen`, called by an independent client:
Python `grpcio` with Google's generated Envoy protos (`xds-protos`). Tokens
and DPoP proofs are minted with PyJWT / cryptography (harness.Keys).

Envoy itself is not installable on this machine, so the client plays Envoy:
it sends the CheckRequest Envoy would send and reads the CheckResponse the
way Envoy's ext_authz filter does (status OK or not, ok_response headers to
set/remove, denied_response status and headers).

The tests run in file order: reload and shutdown are last.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import grpc
import pytest
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import attribute_context_pb2, external_auth_pb2, external_auth_pb2_grpc

from harness import AUDIENCE, ISSUER, WAIT, Bed, JwksHandler, Keys, free_port, jkt, start_http, wait_port

BIN = os.environ.get("TOKENLANE_BIN", "target/release/tokenlane")
DOWN_ISSUER = "https://down.example/"
HOST = "api.example"
OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD

CONFIG = """
[server]
listen = "127.0.0.1:{port}"
grpc_listen = "127.0.0.1:{grpc_port}"
realm = "api"
log_decisions = "all"

[[issuer]]
issuer = "{issuer}"
audiences = ["{audience}"]
algorithms = ["ES256"]
jwks_uri = "http://127.0.0.1:{jwks_port}/jwks"

# Its key endpoint is a closed port: every decision for it is a server fault.
[[issuer]]
issuer = "{down_issuer}"
audiences = ["{audience}"]
algorithms = ["ES256"]
jwks_uri = "http://127.0.0.1:{down_port}/jwks"

[[route]]
method = "GET"
path_prefix = "/api/"
scopes = [{get_scope}]

[[route]]
method = "POST"
path_prefix = "/api/"
scopes = ["write"]

[[route]]
path_prefix = "/public/"
public = true

[dpop]
mode = "allowed"
algorithms = ["ES256"]
nonce_key_file = "nonce.key"

[forward]
sub = "X-Auth-Subject"
client_id = "X-Auth-Client-Id"
scope = "X-Auth-Scope"
jkt = "X-Auth-Dpop-Jkt"
"""

# No [[resource]] here, so the challenges carry no resource_metadata.
DPOP = 'DPoP realm="api", algs="ES256"'


def challenge(code: str, description: str, scope: str | None = None) -> str:
    s = f'Bearer realm="api", error="{code}", error_description="{description}"'
    if scope:
        s += f', scope="{scope}"'
    return f"{s}, {DPOP}"


class GrpcBed:
    """One `tokenlane serve` with a gRPC listener, its JWKS server, a stub."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="tokenlane-grpc-"))
        self.keys = Keys()
        JwksHandler.doc = json.dumps(self.keys.jwks()).encode()
        self.jwks = start_http(JwksHandler)
        self.port, self.grpc_port, self.down_port = free_port(), free_port(), free_port()
        (self.dir / "nonce.key").write_bytes(os.urandom(32))
        self.config = self.dir / "serve.toml"
        self.write_config()
        self.log_file = open(self.dir / "serve.log", "ab")
        self.proc = subprocess.Popen([binary, "serve", "--config", str(self.config)],
                                     stdout=self.log_file, stderr=subprocess.STDOUT, cwd=self.dir)
        try:
            wait_port(self.port, self.proc)
            wait_port(self.grpc_port, self.proc)
        except BaseException:
            self.stop()
            raise
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        self.stub = external_auth_pb2_grpc.AuthorizationStub(self.channel)

    def write_config(self, get_scope: str = '"read"') -> None:
        self.config.write_text(CONFIG.format(
            port=self.port, grpc_port=self.grpc_port, issuer=ISSUER, down_issuer=DOWN_ISSUER,
            audience=AUDIENCE, jwks_port=self.jwks.server_address[1], down_port=self.down_port,
            get_scope=get_scope))

    def check(self, path: str, headers: dict | None = None, method: str = "GET"):
        http = attribute_context_pb2.AttributeContext.HttpRequest(
            method=method, path=path, host=HOST, scheme="https", protocol="HTTP/1.1",
            headers={k.lower(): v for k, v in (headers or {}).items()})
        req = external_auth_pb2.CheckRequest(attributes=attribute_context_pb2.AttributeContext(
            request=attribute_context_pb2.AttributeContext.Request(http=http)))
        return self.stub.Check(req, timeout=10)

    def metrics(self) -> str:
        return Bed.get(f"http://127.0.0.1:{self.port}/metrics")[2].decode()

    def log(self) -> str:
        return (self.dir / "serve.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=WAIT)
        self.jwks.shutdown()


@pytest.fixture(scope="module")
def bed():
    b = GrpcBed(os.path.abspath(BIN))
    yield b
    b.channel.close()
    b.stop()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def ok_headers(resp) -> dict:
    """The headers Envoy sets on the upstream request, each with its action."""
    return {h.header.key.lower(): (h.header.value, h.append_action) for h in resp.ok_response.headers}


def denial(resp) -> tuple[int, int, list]:
    d = resp.denied_response
    return resp.status.code, d.status.code, [(h.header.key.lower(), h.header.value) for h in d.headers]


def test_an_allowed_bearer_token_is_ok_with_the_identity_headers_set_by_overwrite(bed):
    resp = bed.check("/api/items?q=1", auth(bed.keys.access()))
    assert resp.status.code == grpc.StatusCode.OK.value[0]
    assert resp.WhichOneof("http_response") == "ok_response"
    assert ok_headers(resp) == {
        "x-auth-subject": ("alice", OVERWRITE),
        "x-auth-client-id": ("app-1", OVERWRITE),
        "x-auth-scope": ("read", OVERWRITE),
    }
    # A Bearer token has no key binding: its header is removed, not set.
    assert list(resp.ok_response.headers_to_remove) == ["X-Auth-Dpop-Jkt"]
    assert list(resp.ok_response.response_headers_to_add) == []


def test_client_supplied_identity_headers_are_overwritten_or_removed(bed):
    # The client forges its identity and a key binding: X-Auth-Subject is
    # replaced by the token's (OVERWRITE_IF_EXISTS_OR_ADD), and a Bearer
    # token has no binding, so X-Auth-Dpop-Jkt is removed from the request.
    forged = {"X-Auth-Subject": "admin", "X-Auth-Scope": "admin", "X-Auth-Dpop-Jkt": "forged"}
    resp = bed.check("/api/items", {**auth(bed.keys.access()), **forged})
    assert resp.status.code == 0
    assert ok_headers(resp) == {
        "x-auth-subject": ("alice", OVERWRITE),
        "x-auth-client-id": ("app-1", OVERWRITE),
        "x-auth-scope": ("read", OVERWRITE),
    }
    assert list(resp.ok_response.headers_to_remove) == ["X-Auth-Dpop-Jkt"]
    # A public route forwards no identity: every identity header is removed.
    resp = bed.check("/public/info", forged)
    assert resp.status.code == 0
    assert ok_headers(resp) == {}
    assert sorted(resp.ok_response.headers_to_remove) == [
        "X-Auth-Client-Id", "X-Auth-Dpop-Jkt", "X-Auth-Scope", "X-Auth-Subject"]


@pytest.mark.parametrize(
    "case,www",
    [
        ("id_token", challenge("invalid_token", "the token is not an access token for this API")),
        ("expired", challenge("invalid_token", "the token has expired")),
        ("wrong_audience", challenge("invalid_token", "the token is not meant for this audience")),
        ("missing", f'Bearer realm="api", {DPOP}'),
        ("dpop_bound_as_bearer", challenge("invalid_token", "the token is bound to another key or certificate")),
    ],
)
def test_refusals_are_unauthenticated_401_with_only_the_challenge(bed, case, www):
    k = bed.keys
    headers = {
        "id_token": auth(k.id_token()),
        "expired": auth(k.access(exp_in=-120)),
        "wrong_audience": auth(k.access(aud="https://other.example")),
        "missing": {},
        "dpop_bound_as_bearer": auth(k.bound()),
    }[case]
    resp = bed.check("/api/items", headers)
    assert denial(resp) == (grpc.StatusCode.UNAUTHENTICATED.value[0], 401, [("www-authenticate", www)])
    assert resp.denied_response.body == ""


def test_insufficient_scope_is_permission_denied_403_with_its_challenge(bed):
    resp = bed.check("/api/items", auth(bed.keys.access(scope="read")), method="POST")
    assert denial(resp) == (grpc.StatusCode.PERMISSION_DENIED.value[0], 403, [(
        "www-authenticate", challenge("insufficient_scope", "the token lacks a required scope", scope="write"))])
    # Deny by default: a method no route names, without a challenge.
    resp = bed.check("/api/items", auth(bed.keys.access()), method="DELETE")
    assert denial(resp) == (grpc.StatusCode.PERMISSION_DENIED.value[0], 403, [])


def test_a_malformed_credential_is_invalid_argument_400(bed):
    resp = bed.check("/api/items", {"Authorization": "Bearer a b"})
    assert denial(resp) == (grpc.StatusCode.INVALID_ARGUMENT.value[0], 400, [("www-authenticate", challenge(
        "invalid_request", "the Authorization header is not a valid Bearer credential"))])


def test_dpop_gets_its_nonce_in_the_denial_then_is_allowed(bed):
    k = bed.keys
    token = k.bound()
    url = f"https://{HOST}/api/items"
    resp = bed.check("/api/items", {"Authorization": f"DPoP {token}", "DPoP": k.proof("GET", url, token)})
    code, status, headers = denial(resp)
    assert (code, status) == (grpc.StatusCode.UNAUTHENTICATED.value[0], 401)
    hs = dict(headers)
    assert set(hs) == {"www-authenticate", "dpop-nonce"}
    assert 'error="use_dpop_nonce"' in hs["www-authenticate"]
    nonce = hs["dpop-nonce"]
    resp = bed.check("/api/items", {"Authorization": f"DPoP {token}", "DPoP": k.proof("GET", url, token, nonce)})
    assert resp.status.code == 0
    assert ok_headers(resp)["x-auth-subject"] == ("alice", OVERWRITE)
    # The binding is forwarded: the RFC 7638 thumbprint of the proof key.
    assert ok_headers(resp)["x-auth-dpop-jkt"] == (jkt(k.dpop), OVERWRITE)
    assert "X-Auth-Dpop-Jkt" not in resp.ok_response.headers_to_remove


def test_a_server_fault_is_an_rpc_error_so_envoys_failure_mode_decides(bed):
    token = bed.keys.access(iss=DOWN_ISSUER)
    with pytest.raises(grpc.RpcError) as e:
        bed.check("/api/items", auth(token))
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    assert e.value.details() == "keys_unavailable"


def test_a_check_request_over_max_header_bytes_is_refused_undecoded(bed):
    # tonic's max_decoding_message_size answers OUT_OF_RANGE before decoding.
    with pytest.raises(grpc.RpcError) as e:
        bed.check("/api/items", {"Authorization": "Bearer " + "a" * 40_000})
    assert e.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert "the limit is: 32768 bytes" in e.value.details()


def test_an_unknown_method_is_unimplemented(bed):
    call = bed.channel.unary_unary("/envoy.service.auth.v2.Authorization/Check")
    with pytest.raises(grpc.RpcError) as e:
        call(b"", timeout=10)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_grpc_decisions_share_the_metrics(bed):
    m = bed.metrics()
    assert 'tokenlane_decisions_total{endpoint="envoy_grpc",result="allow",code="ok"}' in m
    assert 'tokenlane_decisions_total{endpoint="envoy_grpc",result="allow",code="public"}' in m
    assert 'tokenlane_decisions_total{endpoint="envoy_grpc",result="deny",code="insufficient_scope"}' in m
    assert 'tokenlane_decisions_total{endpoint="envoy_grpc",result="deny",code="keys_unavailable"}' in m


def test_a_sighup_reload_applies_to_grpc(bed):
    bed.write_config(get_scope='"admin"')
    bed.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while 'tokenlane_config_reloads_total{result="ok"} 1' not in bed.metrics():
        assert time.monotonic() < deadline, "the reload was never taken"
        time.sleep(0.1)
    resp = bed.check("/api/items", auth(bed.keys.access(scope="read")))
    assert denial(resp)[:2] == (grpc.StatusCode.PERMISSION_DENIED.value[0], 403)


def test_logs_record_grpc_decisions_but_never_a_token(bed):
    log = bed.log()
    assert '"edge":"envoy_grpc"' in log and '"code":"expired"' in log
    assert "eyJ" not in log, "a token reached the log"


def test_sigterm_closes_the_grpc_listener_and_serve_exits_cleanly(bed):
    bed.proc.send_signal(signal.SIGTERM)
    assert bed.proc.wait(timeout=WAIT) == 0
    assert '"msg":"stopped"' in bed.log()
    with pytest.raises(grpc.RpcError) as e:
        bed.check("/api/items", auth(bed.keys.access()))
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
