"""`gc_paused`, which timeline reads run under: no collections inside, GC restored after."""

from __future__ import annotations

import gc

from utils.gc_pause import PROMOTE_AT, gc_paused


def test_a_big_pause_leaves_no_young_objects_to_walk() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: still paused until the outer one leaves
            kept = [[i] for i in range(2 * PROMOTE_AT)]
        assert not gc.isenabled()
    assert gc.isenabled()
    # What the pause made went to the oldest generation, not into a young collection.
    assert any(obj is kept for obj in gc.get_objects(generation=2))


def test_gc_stays_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
