"""Pause Python's cyclic garbage collector around allocation-heavy work that makes no cycles."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collections while inside (in any thread); restored when the last one leaves.

    Rebuilding a 2,000-clip timeline allocates ~100k objects that all stay alive; each full
    collection it triggers walks every object the process holds (the version cache too), which
    made a version read 3-4x slower. Reference counting still frees everything as usual.
    """
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
