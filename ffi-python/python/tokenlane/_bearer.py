"""``bearer_token``: the token out of an ``Authorization`` header (RFC 6750 §2.1)."""

from __future__ import annotations

import re
from typing import Optional, Union

from tokenlane.exceptions import InvalidRequest, MissingToken

# RFC 6750 §2.1:  credentials = "Bearer" 1*SP b64token
#                 b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
# The scheme is case-insensitive (RFC 9110 §11.1).
_CREDENTIALS = re.compile(r"([Bb][Ee][Aa][Rr][Ee][Rr]) +([A-Za-z0-9\-._~+/]+=*)")
_SCHEME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def bearer_token(authorization: Union[str, bytes, None]) -> str:
    """The Bearer token of an ``Authorization`` header value.

    ``authorization`` is the header's value (``str``, or ``bytes`` as some
    servers hand it over), or ``None`` when the request has no such header.
    Leading and trailing spaces and tabs are ignored (RFC 9110 §5.5); the
    scheme ``Bearer`` is matched case-insensitively, followed by one or more
    spaces and a ``b64token``.

    Raises :class:`~tokenlane.MissingToken` (401, challenge without error)
    when there is no Bearer credential at all (``None``, empty, or another
    scheme such as ``Basic``), and :class:`~tokenlane.InvalidRequest` (400)
    when the value is not a well-formed Bearer credential. Both have
    ``rfc6750_error == "invalid_request"``.

    The token is only extracted, not validated: pass it to a validator.
    """
    if authorization is None:
        raise MissingToken("the request has no Authorization header")
    if isinstance(authorization, (bytes, bytearray)):
        try:
            value = bytes(authorization).decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRequest("the Authorization header is not ASCII") from None
    elif isinstance(authorization, str):
        value = authorization
    else:
        raise TypeError(f"authorization must be str, bytes or None, not {type(authorization).__name__}")
    value = value.strip(" \t")
    if not value:
        raise MissingToken("the Authorization header is empty")
    match = _CREDENTIALS.fullmatch(value)
    if match is not None:
        return match.group(2)
    scheme = value.split(" ", 1)[0]
    if scheme.lower() != "bearer" and _SCHEME.fullmatch(scheme):
        raise MissingToken("the Authorization header carries another scheme, not Bearer")
    raise InvalidRequest("the Authorization header is not a valid Bearer credential")
