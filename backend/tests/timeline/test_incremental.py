"""Ops keep each track's positions and tidiness up to date incrementally
(`timeline_ops.positions`); the results must be exactly those of walking every track whole."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.timeline_models import Timeline
from operators.timeline_editor import InvalidOp, apply_op, parse_op
from operators.timeline_ops import positions
from operators.timeline_ops.core import clock_of, duration
from tests.timeline import make_ctx, rt, seeded_timeline, video_timeline
from tests.timeline.test_properties import draw_op


def outcome(tl: Timeline, op: dict[str, Any], ctx: Any, incremental: bool) -> Any:
    positions.INCREMENTAL = incremental
    try:
        return apply_op(tl, parse_op(op), ctx)
    except InvalidOp as exc:
        return (type(exc), exc.message)
    finally:
        positions.INCREMENTAL = True


def assert_positions_exact(tl: Timeline) -> None:
    clock = clock_of(tl)
    for track in tl.tracks.children:
        whole = [0]
        for child in track.children:
            whole.append(whole[-1] + duration(child, clock))
        assert positions.starts(track, clock) == whole
        for index, child in enumerate(track.children):
            assert positions.index_of(track, child.id, clock) == index


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_ops_equal_whole_track_ops(data: st.DataObject) -> None:
    fast, fast_ctx = seeded_timeline()
    slow, slow_ctx = seeded_timeline()
    for _ in range(data.draw(st.integers(1, 25))):
        op, _unknown = draw_op(data, fast)
        a = outcome(fast, op, fast_ctx, incremental=True)
        b = outcome(slow, op, slow_ctx, incremental=False)
        if isinstance(a, tuple) or isinstance(b, tuple):
            assert a == b, op
            continue
        assert a.model_dump() == b.model_dump(), op
        assert_positions_exact(a)
        fast, slow = a, b


def test_a_gap_left_next_to_an_untouched_gap_merges_with_it() -> None:
    # The tidy part of the track begins with a gap: the window must reach into it.
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 24), (24, 24), (48, 24))
    tl = apply_op(tl, {"op": "remove_clip", "clip_id": "id-3"}, ctx)  # lift: gap in the middle
    kinds = [type(c).__name__ for c in tl.tracks.children[0].children]
    assert kinds == ["Clip", "Gap", "Clip"]
    tl = apply_op(tl, {"op": "remove_clip", "clip_id": "id-2"}, ctx)
    kinds = [type(c).__name__ for c in tl.tracks.children[0].children]
    assert kinds == ["Gap", "Clip"]
    assert tl.tracks.children[0].children[0].source_range.duration.value == 48


def test_an_op_can_change_an_item_it_owns_after_asking_for_positions() -> None:
    # trim asks where the clip is, then changes the copy it owns; later questions in the same
    # op must see the new length (owned children are never trusted by identity).
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 24), (24, 24), (48, 24))
    tl = apply_op(tl, {"op": "trim_clip", "clip_id": "id-2", "edge": "tail", "delta": rt(-5),
                       "ripple": True}, ctx)  # fmt: skip
    tl = apply_op(tl, {"op": "split_clip", "clip_id": "id-4", "at": rt(50)}, ctx)
    assert_positions_exact(tl)
    assert [round(float(s)) for s in positions.starts(tl.tracks.children[0], clock_of(tl))] == [
        0, 19, 43, 50, 67,
    ]  # fmt: skip


@pytest.mark.parametrize("incremental", [True, False])
def test_positions_of_a_fresh_track(incremental: bool) -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 10), (10, 20))
    positions.INCREMENTAL = incremental
    try:
        assert_positions_exact(tl)
    finally:
        positions.INCREMENTAL = True
