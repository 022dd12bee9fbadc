"""move_clip, add_title, add_gap, set_gap_duration."""

from __future__ import annotations

import pytest

from models.timeline_models import GeneratorReference
from operators.timeline_editor import (
    InvalidOp,
    InvalidTime,
    NonPositiveDuration,
    TrackKindMismatch,
    UnknownItem,
    WrongItemType,
)
from tests.timeline import layout, make_ctx, rt, run, track, video_timeline


def test_move_within_a_track_overwrites_at_the_destination() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48), (100, 24))
    tl = run(tl, ctx, {"op": "move_clip", "clip_id": "id-4", "track_id": "id-1", "at": rt(0)})
    assert layout(track(tl)) == [
        ("C", "id-4", 100, 24),
        ("C", "id-2", 24, 24),
        ("C", "id-3", 48, 48),
    ]


def test_move_across_tracks_and_onto_its_own_hole() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (0, 48), (48, 48)), ctx, {"op": "add_track", "kind": "video"})
    moved = run(tl, ctx, {"op": "move_clip", "clip_id": "id-2", "track_id": "id-4", "at": rt(10)})
    assert layout(track(moved)) == [("G", 48), ("C", "id-3", 48, 48)]
    assert layout(track(moved, 1)) == [("G", 10), ("C", "id-2", 0, 48)]
    back = run(moved, ctx, {"op": "move_clip", "clip_id": "id-2", "track_id": "id-1", "at": rt(0)})
    assert layout(track(back)) == [("C", "id-2", 0, 48), ("C", "id-3", 48, 48)]
    nudged = run(tl, ctx, {"op": "move_clip", "clip_id": "id-3", "track_id": "id-1", "at": rt(40)})
    assert layout(track(nudged)) == [("C", "id-2", 0, 40), ("C", "id-3", 48, 48)]


def test_move_errors() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (0, 48)), ctx, {"op": "add_track", "kind": "audio"})
    with pytest.raises(TrackKindMismatch, match="audio"):
        run(tl, ctx, {"op": "move_clip", "clip_id": "id-2", "track_id": "id-3", "at": rt(0)})
    with pytest.raises(InvalidTime):
        run(tl, ctx, {"op": "move_clip", "clip_id": "id-2", "track_id": "id-1", "at": rt(-5)})
    with pytest.raises(UnknownItem):
        run(tl, ctx, {"op": "move_clip", "clip_id": "id-2", "track_id": "nope", "at": rt(0)})


def test_add_title_overwrites_a_generator_clip() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    op = {
        "op": "add_title",
        "track_id": "id-1",
        "text": "Hello",
        "at": rt(24),
        "duration": rt(48),
        "style": {"font_size": 80, "color": "#FF0000"},
    }
    tl = run(tl, ctx, op)
    title = track(tl).children[1]
    assert isinstance(title.media_reference, GeneratorReference)
    assert title.media_reference.generator_kind == "title"
    params = title.media_reference.parameters
    assert params == {"text": "Hello", "font_size": 80, "color": "#FF0000", "position": "center"}
    assert layout(track(tl)) == [("C", "id-2", 0, 24), ("C", "id-3", 0, 48)]
    with pytest.raises(InvalidOp, match="color"):
        run(tl, ctx, {**op, "style": {"color": "red"}})


def test_add_title_refuses_audio_tracks() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx), ctx, {"op": "add_track", "kind": "audio"})
    with pytest.raises(TrackKindMismatch, match="video track"):
        run(
            tl,
            ctx,
            {"op": "add_title", "track_id": "id-2", "text": "x", "at": rt(0), "duration": rt(24)},
        )


def test_add_gap_at_end_inside_and_merging() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48))
    tail = run(tl, ctx, {"op": "add_gap", "track_id": "id-1", "duration": rt(10)})
    assert layout(track(tail))[-1] == ("G", 10)
    inside = run(tl, ctx, {"op": "add_gap", "track_id": "id-1", "duration": rt(10), "at": rt(20)})
    assert layout(track(inside)) == [
        ("C", "id-2", 0, 20),
        ("G", 10),
        ("C", "id-6", 20, 28),
        ("C", "id-3", 48, 48),
    ]
    merged = run(
        inside, ctx, {"op": "add_gap", "track_id": "id-1", "duration": rt(5), "at": rt(25)}
    )
    assert layout(track(merged))[1] == ("G", 15)
    with pytest.raises(NonPositiveDuration):
        run(tl, ctx, {"op": "add_gap", "track_id": "id-1", "duration": rt(0)})


def test_set_gap_duration_ripples() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    tl = run(tl, ctx, {"op": "add_gap", "track_id": "id-1", "duration": rt(10), "at": rt(0)})
    gap_id = track(tl).children[0].id
    tl2 = run(tl, ctx, {"op": "set_gap_duration", "gap_id": gap_id, "duration": rt(30)})
    assert layout(track(tl2)) == [("G", 30), ("C", "id-2", 0, 48)]
    with pytest.raises(NonPositiveDuration):
        run(tl, ctx, {"op": "set_gap_duration", "gap_id": gap_id, "duration": rt(0)})
    with pytest.raises(WrongItemType, match="not a gap"):
        run(tl, ctx, {"op": "set_gap_duration", "gap_id": "id-2", "duration": rt(5)})
    with pytest.raises(UnknownItem):
        run(tl, ctx, {"op": "set_gap_duration", "gap_id": "nope", "duration": rt(5)})
