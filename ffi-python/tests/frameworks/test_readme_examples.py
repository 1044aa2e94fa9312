"""Every framework example in README.md is a verbatim copy of a file under
examples/ that the suite runs (test_fastapi, test_flask, test_drf,
test_mcp import them)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!-- example-file: (\S+) [^>]*-->\n```python\n(.*?)```\n", re.S)


def test_readme_framework_examples_are_the_files_the_tests_run() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = MARKER.findall(text)
    assert {p for p, _ in found} == {
        "examples/fastapi_app.py",
        "examples/starlette_app.py",
        "examples/flask_app.py",
        "examples/drf_notes/settings.py",
        "examples/drf_notes/views.py",
        "examples/drf_notes/urls.py",
        "examples/mcp_server.py",
    }
    for path, copy in found:
        assert copy == (ROOT / path).read_text(encoding="utf-8"), f"README.md's copy of {path} differs: recopy it"
