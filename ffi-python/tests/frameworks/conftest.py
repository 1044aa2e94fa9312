"""The framework examples (ffi-python/examples) are importable, with the
test identity provider's keys in ``API_JWKS`` (a real deployment leaves it
unset and discovers the keys from the issuer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
for p in (str(HERE), str(EXAMPLES)):
    if p not in sys.path:
        sys.path.insert(0, p)

from support import JWKS  # noqa: E402

os.environ["API_JWKS"] = JWKS
