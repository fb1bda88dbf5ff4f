"""Pausing Python's cyclic garbage collector while large, acyclic data is built.

Parsing a large standard, loading a facts document and evaluating it allocate hundreds of
thousands of dicts, lists and nodes, none of which form reference cycles (reference counting
frees them). Left running, the
cyclic collector repeatedly walks every live object, which made evaluation of a 10,000-system
estate several times slower and its timing erratic. Nesting-safe and thread-safe: the collector
is re-enabled (if it was on) when the last user leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
