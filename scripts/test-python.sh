#!/usr/bin/env bash
# Tests the Python package as a user gets it: builds the abi3 wheel from the
# checkout with maturin, installs it into a FRESH virtual environment
# (target/py-test-venv, deleted first) and runs the suite there, so a missing
# install step fails; then checks the stubs (mypy --strict on the typed usage
# example, stubtest on tokenlane._native); then proves the documented
# `pip install ./ffi-python` works by installing that way and running the
# suite again. The framework integrations' tests (ffi-python/tests/frameworks)
# run in both, with the frameworks of scripts/requirements-frameworks.txt.
# Needs the repo .venv (scripts/setup.sh) for maturin.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
run() { printf '+ %s\n' "$*"; "$@"; }

VENV=$ROOT/target/py-test-venv
WHEELS=$ROOT/target/py-wheels
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x .venv/bin/maturin ]; then
    run bash scripts/setup.sh
fi

run rm -rf "$VENV" "$WHEELS"
run .venv/bin/maturin build --release -m ffi-python/Cargo.toml -o "$WHEELS"
WHEEL=$(ls "$WHEELS"/tokenlane-*-abi3-*.whl)

run python3 -m venv "$VENV"
run "$VENV/bin/python" -m pip install -q -r scripts/requirements-test.txt -r scripts/requirements-frameworks.txt
run "$VENV/bin/python" -m pip install -q "$WHEEL"

pytest_run() {
    # pytest's own exit status decides (set -e); its last line is the summary.
    (cd ffi-python && run "$VENV/bin/pytest" -q -p no:cacheprovider "$@")
}

pytest_run
(cd ffi-python && run "$VENV/bin/mypy" --strict --cache-dir "$ROOT/target/mypy-cache" tests/typed_usage.py)
(cd ffi-python && run "$VENV/bin/mypy" --strict --cache-dir "$ROOT/target/mypy-cache" python/tokenlane/web.py \
    python/tokenlane/fastapi.py python/tokenlane/flask.py python/tokenlane/django.py python/tokenlane/mcp.py)
(cd "$VENV" && run "$VENV/bin/python" -m mypy.stubtest --mypy-config-file "$ROOT/ffi-python/pyproject.toml" tokenlane._native)

# The documented install from source, with every framework extra: pip runs
# maturin through PEP 517 and checks the extras' requirements against the
# pinned frameworks already installed.
run "$VENV/bin/python" -m pip uninstall -q -y tokenlane
run "$VENV/bin/python" -m pip install -q "./ffi-python[fastapi,flask,django,mcp]"
pytest_run
