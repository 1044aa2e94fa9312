"""Runs the typed usage example that ``mypy --strict`` checks."""

from __future__ import annotations

import typed_usage


def test_typed_usage_example_runs() -> None:
    typed_usage.main()
