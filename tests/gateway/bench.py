"""Gateway load benchmark: wrk -> nginx auth_request -> (tokenlane serve |
a static 204 responder) -> a static upstream, all on 127.0.0.1.

Scenarios, each for SECONDS with wrk's CONNECTIONS connections:
  ceiling  nginx auth_request to a static 204 (its own nginx process)
  then, through `tokenlane serve` (keys from jwks_file), for HS256 and
  ES256, one instance and two behind nginx round robin, each without the
  verified-token cache (`[cache] max_entries = 0`: every request verifies
  the signature) and with it (the default; wrk repeats one token, so every
  request after the first is a hit).

Prints one Markdown table (decisions/s, p50, p99, ratio to the ceiling),
the command line and the machine. Tokens minted with PyJWT.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).parent))
from harness import AUDIENCE, HS_SECRET, ISSUER, Keys, b64u, ec_jwk, free_port, wait_port  # noqa: E402

NGINX = """
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {deploy}/tokenlane-http.conf;
    upstream tokenlane {{ {serve_servers} keepalive 64; }}
    upstream static_auth {{ server 127.0.0.1:{static_auth}; keepalive 64; }}
    upstream app {{ server 127.0.0.1:{static}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        include {deploy}/tokenlane-auth.conf;
        location = /_static {{
            internal;
            proxy_pass http://static_auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-URI $request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        # The same directives as /api/, with the static decision service.
        location /ceiling/ {{
            auth_request /_static;
            auth_request_set $tokenlane_sub $upstream_http_x_auth_subject;
            auth_request_set $tokenlane_client_id $upstream_http_x_auth_client_id;
            auth_request_set $tokenlane_scope $upstream_http_x_auth_scope;
            auth_request_set $tokenlane_www_authenticate $upstream_http_www_authenticate;
            auth_request_set $tokenlane_dpop_nonce $upstream_http_dpop_nonce;
            proxy_set_header X-Auth-Subject $tokenlane_sub;
            proxy_set_header X-Auth-Client-Id $tokenlane_client_id;
            proxy_set_header X-Auth-Scope $tokenlane_scope;
            add_header WWW-Authenticate $tokenlane_challenge_403 always;
            add_header DPoP-Nonce $tokenlane_dpop_nonce always;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }}
        location /api/ {{
            include {deploy}/tokenlane-protect.conf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }}
    }}
}}
"""

# A static 200 responder in its own nginx process: one is the upstream of
# every scenario, another the ceiling's "decision service", so the edge
# nginx and the upstream do the same work in every scenario and only the
# decision service differs.
STATIC = """
worker_processes 1;
daemon off;
pid {dir}/static-{static}.pid;
error_log {dir}/static-error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{static};
        location / {{ return {status}; }}
    }}
}}
"""

SERVE = """
[server]
listen = "127.0.0.1:{port}"
realm = "api"
log_decisions = "none"
max_concurrency = 4096
[[issuer]]
issuer = "{issuer}"
audiences = ["{audience}"]
algorithms = ["ES256"]
jwks_file = "es.jwks"
[[issuer]]
issuer = "https://hs.example/"
audiences = ["{audience}"]
algorithms = ["HS256"]
jwks_file = "hs.jwks"
[[route]]
path_prefix = "/"
scopes = ["read"]
[cache]
max_entries = {max_entries}
"""


def wrk(url: str, seconds: int, conns: int, threads: int, token: str | None) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    def lat(p: str) -> str:
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        return m.group(1) if m else "?"
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat("50"), "p99": lat("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/tokenlane")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[2]
    d = Path(tempfile.mkdtemp(prefix="tokenlane-bench-"))
    os.chmod(d, 0o755)
    keys = Keys()
    (d / "es.jwks").write_text(json.dumps(keys.jwks()))
    (d / "hs.jwks").write_text(json.dumps({"keys": [{"kty": "oct", "kid": "hs1", "alg": "HS256", "k": b64u(HS_SECRET)}]}))
    # serve_a/serve_b with the token cache (the default size), serve_c/serve_d without.
    instances_of = {True: ("serve_a", "serve_b"), False: ("serve_c", "serve_d")}
    ports = {"serve_a": free_port(), "serve_b": free_port(), "serve_c": free_port(), "serve_d": free_port(),
             "static": free_port(), "static_auth": free_port(), "port": free_port()}
    procs = []
    try:
        for name in ("serve_a", "serve_b", "serve_c", "serve_d"):
            cached = name in instances_of[True]
            (d / f"{name}.toml").write_text(SERVE.format(port=ports[name], issuer=ISSUER, audience=AUDIENCE,
                                                         max_entries=10000 if cached else 0))
            p = subprocess.Popen([os.path.abspath(args.binary), "serve", "--config", str(d / f"{name}.toml")],
                                 stdout=subprocess.DEVNULL, stderr=open(d / f"{name}.log", "w"))
            procs.append(p)
            wait_port(ports[name], p)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        # Two static responders, each its own process: the upstream, and the
        # ceiling's decision service (so the upstream's load is the same in
        # every scenario).
        for name in ("static", "static_auth"):
            # An empty 204 for the decision (as serve answers: no body, so
            # nginx keeps the auth connection alive), a 200 for the upstream.
            status = '200 "ok"' if name == "static" else "204"
            (d / f"{name}.conf").write_text(STATIC.format(dir=d, static=ports[name], status=status))
            p = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / f"{name}.conf")])
            procs.append(p)
            wait_port(ports[name], p)
        def edge(instances: int, cached: bool) -> subprocess.Popen:
            servers = " ".join(f"server 127.0.0.1:{ports[n]};" for n in instances_of[cached][:instances])
            (d / "nginx.conf").write_text(NGINX.format(dir=d, deploy=root / "deploy" / "nginx", workers=args.workers,
                                                       serve_servers=servers, **ports))
            p = subprocess.Popen([nginx, "-p", str(d), "-c", str(d / "nginx.conf")])
            wait_port(ports["port"], p)
            return p

        hs = keys.access(iss="https://hs.example/", hs=True, exp_in=3600)
        es = keys.access(exp_in=3600)
        base = f"http://127.0.0.1:{ports['port']}"
        rows = []
        scenarios = [(1, False, "ceiling: nginx auth_request to a static 204", "/ceiling/x", None)]
        for instances in (1, 2):
            for alg, token in (("HS256", hs), ("ES256", es)):
                for cached in (False, True):
                    who = "serve" if instances == 1 else "serve x2 (round robin)"
                    cache = "token cache" if cached else "no cache"
                    scenarios.append((instances, cached, f"{who}, {alg}, {cache}", "/api/x", token))
        for instances, cached, name, path, token in scenarios:
            p = edge(instances, cached)
            try:
                r = wrk(base + path, args.seconds, args.connections, args.threads, token)
            finally:
                p.terminate()
                p.wait(timeout=15)
            if r["non2xx"]:
                print(f"{name}: {r['non2xx']} answers were not 2xx", file=sys.stderr)
                return 1
            rows.append((name, r))
        ceiling = rows[0][1]["rps"]
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n`{' '.join(sys.argv)}` on {os.cpu_count()} cores, nginx workers {args.workers}, "
              f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, load average at the end {load}\n")
        print("| scenario | decisions/s | p50 | p99 | × ceiling |")
        print("|---|---:|---:|---:|---:|")
        for name, r in rows:
            print(f"| {name} | {r['rps']:.0f} | {r['p50']} | {r['p99']} | {r['rps'] / ceiling:.2f} |")
        return 0
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
