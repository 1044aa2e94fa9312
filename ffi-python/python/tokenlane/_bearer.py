"""``bearer_token``: the token out of an ``Authorization`` header (RFC 6750 §2.1)."""

from __future__ import annotations

from typing import Union

from tokenlane import _native


def bearer_token(authorization: Union[str, bytes, None]) -> str:
    """The Bearer token of an ``Authorization`` header value.

    ``authorization`` is the header's value (``str``, or ``bytes`` as some
    servers hand it over), or ``None`` when the request has no such header.
    The rules are the Rust core's (``tokenlane::request::bearer_token``, the
    same for C and the CLI; the cases are ``authorization_cases`` in
    ``tests/conformance/cases.json``): leading and trailing spaces and tabs
    are ignored (RFC 9110 §5.5); the scheme ``Bearer`` matches in any casing,
    followed by one or more spaces and exactly one ``token68`` credential.

    Raises :class:`~tokenlane.MissingToken` (401, a challenge without error)
    when there is no Bearer credential at all (``None``, empty, or another
    scheme such as ``Basic``), and :class:`~tokenlane.InvalidRequest` (400)
    when the value is not one well-formed Bearer credential (``Bearer``
    alone, two credentials, a character outside ``token68``).
    ``MissingToken`` is a subclass of ``InvalidRequest``. Any other type
    than ``str``, ``bytes`` or ``None`` is a ``TypeError``.

    The token is only extracted, not validated: pass it to a validator.
    """
    return _native.bearer_token(authorization)
