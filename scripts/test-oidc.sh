#!/usr/bin/env bash
# Tests against a real OpenID Provider: node-oidc-provider (tests/oidc-provider,
# installed by scripts/setup-oidc.sh with npm ci), started on 127.0.0.1 by the
# tests and stopped by them. The pytest suite tests/oidc drives the
# `tokenlane` command (discovery, keys, RFC 9068 access tokens, the ID token's
# lane, rotation, EdDSA/ES384, introspection, DPoP); the Rust test
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
TOKENLANE_BIN="$PWD/target/release/tokenlane" run .venv/bin/pytest -q -p no:cacheprovider tests/oidc
run cargo test --release -p tokenlane-remote --test oidc_provider -- --ignored
