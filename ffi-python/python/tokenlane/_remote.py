"""Glue for the network front end (``KeySource``, ``Introspector``): the
event log and the asyncio executor hop. Private; the native module calls it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, Optional

_log = logging.getLogger("tokenlane.keysource")

# Failures are worth a warning; a flood of unknown kids (cooldown) is not
# worth more than a debug line each.
_LEVELS = {"failed": logging.WARNING, "served_stale": logging.WARNING, "cooldown": logging.DEBUG}


def _emit(kind: str, message: str, callback: Optional[Callable[[str, str], object]]) -> None:
    """One key-source event: a log line (the remote crate's one sentence,
    no key material), then the user's ``on_event(kind, message)``. A
    callback that raises is logged, never propagated into validation."""
    _log.log(_LEVELS.get(kind, logging.INFO), "%s", message)
    if callback is not None:
        try:
            callback(kind, message)
        except Exception:
            _log.exception("tokenlane: the on_event callback raised")


def _in_executor(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "asyncio.Future[Any]":
    """``func(*args, **kwargs)`` on the running loop's default executor.
    The native call releases the GIL while it waits on the network, so the
    loop keeps running. Raises ``RuntimeError`` outside a running loop."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(None, functools.partial(func, *args, **kwargs))
