"""The example that opens README.md runs and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_a_working_example(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None and text.index("```python") < text.index("\n## ")
    exec(compile(match.group(1), str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "user-123 client-app ['read:appointments']",
        "wrong_token_type 401",
        'Bearer realm="api", error="invalid_token", error_description="the token is not an access token for this API"',
        "user-123 Ada Lovelace",
    ]
