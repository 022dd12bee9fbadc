"""Pause Python's cyclic garbage collector around allocation-heavy work that makes no cycles."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A pause that leaves this many new tracked objects behind made something long-lived (a
# rebuilt timeline version: tens of thousands of objects, all reachable).
PROMOTE_AT = 10_000

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collections while inside (in any thread); restored when the last one leaves.

    Rebuilding a 2,000-clip timeline allocates ~100k objects that all stay alive; each full
    collection it triggers walks every object the process holds (the version cache too), which
    made a version read 3-4x slower. Reference counting still frees everything as usual.

    Leaving after a big allocation, the young objects go straight to the oldest generation
    (`gc.freeze()` + `gc.unfreeze()`, two list splices) instead of being walked by the young
    collection that would otherwise run at once: they are the version just built, alive, and
    that walk cost a cold read 15-30 ms. The price: a garbage cycle another thread made
    meanwhile waits for the next full collection instead of the next young one.
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
                # Not if something else froze objects on purpose (say before a fork): unfreeze
                # would thaw those too.
                if gc.get_count()[0] >= PROMOTE_AT and gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
