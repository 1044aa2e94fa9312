"""Fixtures for the OpenID Provider tests: the `tokenlane` binary and a
provider per module (tests/oidc/op.py starts and stops it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from op import OpenIDProvider, signing_jwks

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TOKENLANE_BIN", ROOT / "target" / "release" / "tokenlane"))
CLI_TIMEOUT = 60


class Cli:
    """Runs the `tokenlane` command; returns (exit status, stdout, stderr)."""

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        if not BIN.is_file():
            raise RuntimeError(f"{BIN} is missing: cargo build --release -p tokenlane-cli")
        full_env = {"PATH": os.environ.get("PATH", "")}
        full_env.update(env or {})
        r = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=full_env, timeout=CLI_TIMEOUT)
        return r.returncode, r.stdout, r.stderr

    def json(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        # --json right after the subcommand: tests end with `-- TOKEN` (a
        # random opaque token may start with `-`).
        rc, out, err = self(args[0], "--json", *args[1:], env=env)
        assert out.strip(), f"no output (exit {rc}): {err}"
        return rc, json.loads(out)


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="module")
def op() -> Iterator[OpenIDProvider]:
    """An ES256 provider for the module."""
    with OpenIDProvider(signing_jwks("ES256", "es256-1"), alg="ES256") as provider:
        yield provider
