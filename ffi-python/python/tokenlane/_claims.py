"""Parsing the core's verified claims JSON into Python values."""

from __future__ import annotations

import json
from typing import Any, Union

# CPython refuses to convert integers of more than 4300 digits (a guard
# against quadratic-time parsing, `sys.int_info.default_max_str_digits`).
# The core accepts any JSON number in a claim it does not read, so such a
# number becomes a float (inf past 1e308) instead of an exception: claims
# are data, and a 5000-digit `amount` is not worth refusing the token over.
_MAX_INT_DIGITS = 4300


def _parse_int(text: str) -> Union[int, float]:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        return float(text)
    return int(text)


def loads(claims_json: str) -> dict[str, Any]:
    """The claims as a new dict. The JSON comes from the core, which
    verified it is one object of strict RFC 8259 JSON (no duplicate
    members, bounded depth)."""
    value = json.loads(claims_json, parse_int=_parse_int)
    if not isinstance(value, dict):
        raise ValueError("the claims are not a JSON object")
    return value
