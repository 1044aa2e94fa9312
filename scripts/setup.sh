#!/usr/bin/env bash
# Installs everything the tests need, idempotently: Rust targets and
# components, and a Python virtual environment (.venv) with the independent
# JWT minting libraries. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "+ rustup target add thumbv7em-none-eabihf x86_64-unknown-none"
rustup target add thumbv7em-none-eabihf x86_64-unknown-none >/dev/null
rustup component add rustfmt clippy >/dev/null
if [ ! -x .venv/bin/python ]; then
    echo "+ python3 -m venv .venv"
    python3 -m venv .venv
fi
echo "+ pip install -r scripts/requirements-test.txt"
.venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
