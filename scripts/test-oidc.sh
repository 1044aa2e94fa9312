#!/usr/bin/env bash
# Tests against a real OpenID Provider: node-oidc-provider (tests/oidc-provider,
# installed by scripts/setup-oidc.sh with npm ci), started on 127.0.0.1 by the
# tests and stopped by them. The pytest suite tests/oidc drives the
# `tokenlane` command (discovery, keys, RFC 9068 access tokens, the ID token's
# lane, rotation, EdDSA/ES384, introspection, DPoP) and the Python web
# integrations (FastAPI on uvicorn, an MCP server of the official SDK); the Rust test
# remote/tests/oidc_provider.rs counts a key source's fetches across a rotation.
# Needs the repo .venv (scripts/setup.sh), node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { printf '+ %s\n' "$*"; "$@"; }

run bash scripts/setup-oidc.sh
if [ ! -x .venv/bin/pytest ]; then
    run bash scripts/setup.sh
fi
run cargo build --release -p tokenlane-cli
# tests/oidc/test_frameworks.py drives the Python web integrations: the suite
# runs in a venv with the pinned frameworks and the tokenlane wheel built
# from the checkout (the rest of the suite only needs the CLI). The python
# part's venv (target/py-test-venv, same requirements) is reused when it is
# there, as in the full run; the wheel is always reinstalled fresh.
VENV=target/py-test-venv
[ -x "$VENV/bin/pytest" ] || VENV=target/oidc-py-venv
WHEELS=target/oidc-py-wheels
run rm -rf "$WHEELS"
run .venv/bin/maturin build --release -m ffi-python/Cargo.toml -o "$WHEELS"
[ -x "$VENV/bin/python" ] || run python3 -m venv "$VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 run "$VENV/bin/python" -m pip install -q \
    -r scripts/requirements-test.txt -r scripts/requirements-frameworks.txt
PIP_DISABLE_PIP_VERSION_CHECK=1 run "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps \
    "$WHEELS"/tokenlane-*-abi3-*.whl
TOKENLANE_BIN="$PWD/target/release/tokenlane" run "$VENV/bin/pytest" -q -p no:cacheprovider tests/oidc
run cargo test --release -p tokenlane-remote --test oidc_provider -- --ignored
