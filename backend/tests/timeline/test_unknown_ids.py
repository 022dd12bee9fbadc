"""Every op that addresses an id it can't find raises UnknownItem and changes nothing."""

from __future__ import annotations

from operators.timeline_editor import OP_NAMES, UnknownItem, apply_op, parse_op
from tests.timeline import rt, seeded_timeline

UNKNOWN_ID_OPS = [
    {"op": "remove_track", "track_id": "nope"},
    {"op": "rename_track", "track_id": "nope", "name": "x"},
    {"op": "move_track", "track_id": "nope", "index": 0},
    {"op": "append_clip", "track_id": "nope", "asset_id": "v10", "source_range": {
        "start_time": rt(0), "duration": rt(5)}},
    {"op": "append_clip", "track_id": "id-1", "asset_id": "nope", "source_range": {
        "start_time": rt(0), "duration": rt(5)}},
    {"op": "insert_clip", "track_id": "nope", "asset_id": "v10", "at": rt(0), "source_range": {
        "start_time": rt(0), "duration": rt(5)}},
    {"op": "overwrite_clip", "track_id": "id-1", "asset_id": "nope", "at": rt(0),
     "source_range": {"start_time": rt(0), "duration": rt(5)}},
    {"op": "remove_clip", "clip_id": "nope"},
    {"op": "move_clip", "clip_id": "nope", "track_id": "id-1", "at": rt(0)},
    {"op": "move_clip", "clip_id": "id-4", "track_id": "nope", "at": rt(0)},
    {"op": "trim_clip", "clip_id": "nope", "edge": "head", "delta": rt(1)},
    {"op": "split_clip", "clip_id": "nope", "at": rt(1)},
    {"op": "slip_clip", "clip_id": "nope", "delta": rt(1)},
    {"op": "slide_clip", "clip_id": "nope", "delta": rt(1)},
    {"op": "roll_edit", "left_clip_id": "nope", "delta": rt(1)},
    {"op": "roll_edit", "left_clip_id": "id-4", "right_clip_id": "nope", "delta": rt(1)},
    {"op": "add_gap", "track_id": "nope", "duration": rt(1)},
    {"op": "set_gap_duration", "gap_id": "nope", "duration": rt(1)},
    {"op": "add_transition", "left_clip_id": "nope", "right_clip_id": "id-5", "duration": rt(2)},
    {"op": "add_transition", "left_clip_id": "id-4", "right_clip_id": "nope", "duration": rt(2)},
    {"op": "modify_transition", "transition_id": "nope", "duration": rt(2)},
    {"op": "remove_transition", "transition_id": "nope"},
    {"op": "add_marker", "clip_id": "nope", "at": rt(0)},
    {"op": "add_marker", "track_id": "nope", "at": rt(0)},
    {"op": "remove_marker", "marker_id": "nope"},
    {"op": "set_clip_properties", "clip_id": "nope", "volume": 1},
    {"op": "add_effect", "clip_id": "nope", "effect_name": "blur"},
    {"op": "remove_effect", "effect_id": "nope"},
    {"op": "add_title", "track_id": "nope", "text": "x", "at": rt(0), "duration": rt(5)},
]  # fmt: skip


def test_every_op_with_an_unknown_id_raises_unknown_item() -> None:
    tl, ctx = seeded_timeline()
    before = tl.model_dump()
    for op in UNKNOWN_ID_OPS:
        try:
            apply_op(tl, parse_op(op), ctx)
        except UnknownItem as exc:
            assert "nope" in exc.message
        else:
            raise AssertionError(f"{op} was applied")
    assert {o["op"] for o in UNKNOWN_ID_OPS} == set(OP_NAMES) - {"add_track"}
    assert tl.model_dump() == before
