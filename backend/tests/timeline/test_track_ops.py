"""Tracks, markers, clip properties (volume, opacity, speed, fades) and effects."""

from __future__ import annotations

import pytest

from models.timeline_models import LinearTimeWarp, clip_properties, clip_speed
from operators.timeline_editor import (
    InvalidIndex,
    InvalidOp,
    InvalidProperty,
    InvalidTime,
    NonPositiveDuration,
    UnknownItem,
    timeline_duration,
)
from tests.timeline import empty, layout, make_ctx, rt, run, track, video_timeline

A, B, C = "id-2", "id-3", "id-4"


def test_add_tracks_names_and_order() -> None:
    ctx = make_ctx()
    tl = run(
        empty(),
        ctx,
        {"op": "add_track", "kind": "video"},
        {"op": "add_track", "kind": "audio"},
        {"op": "add_track", "kind": "video"},
        {"op": "add_track", "kind": "video", "name": "Bottom", "index": 0},
    )
    assert [(t.name, t.kind) for t in tl.tracks.children] == [
        ("Bottom", "Video"),
        ("V1", "Video"),
        ("A1", "Audio"),
        ("V2", "Video"),
    ]
    with pytest.raises(InvalidIndex):
        run(tl, ctx, {"op": "add_track", "kind": "audio", "index": 5})


def test_remove_rename_move_track() -> None:
    ctx = make_ctx()
    tl = run(empty(), ctx, *[{"op": "add_track", "kind": "video"} for _ in range(3)])
    moved = run(tl, ctx, {"op": "move_track", "track_id": "id-3", "index": 0})
    assert [t.id for t in moved.tracks.children] == ["id-3", "id-1", "id-2"]
    last = run(tl, ctx, {"op": "move_track", "track_id": "id-1", "index": 2})
    assert [t.id for t in last.tracks.children] == ["id-2", "id-3", "id-1"]
    with pytest.raises(InvalidIndex):
        run(tl, ctx, {"op": "move_track", "track_id": "id-1", "index": 3})
    renamed = run(tl, ctx, {"op": "rename_track", "track_id": "id-2", "name": "B-roll"})
    assert track(renamed, 1).name == "B-roll"
    removed = run(tl, ctx, {"op": "remove_track", "track_id": "id-2"})
    assert [t.id for t in removed.tracks.children] == ["id-1", "id-3"]
    for extra in (
        {"op": "remove_track"},
        {"op": "rename_track", "name": "x"},
        {"op": "move_track", "index": 0},
    ):
        with pytest.raises(UnknownItem, match="no track"):
            run(tl, ctx, {**extra, "track_id": "nope"})


def test_markers_on_tracks_and_clips() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (100, 48))
    tl = run(
        tl,
        ctx,
        {"op": "add_marker", "track_id": "id-1", "at": rt(10), "name": "beat", "color": "green"},
        {"op": "add_marker", "clip_id": B, "at": rt(60), "duration": rt(5), "name": "x"},
        {"op": "add_marker", "item_id": "id-1", "at": rt(500), "comment": "later"},
    )
    on_track = track(tl).markers
    assert [(m.name, m.color, m.marked_range.start_time.value) for m in on_track] == [
        ("beat", "GREEN", 10),
        ("", "RED", 500),
    ]
    # A clip's marker is kept in its source time: record 60 is 12 frames into B (source 100).
    marker = track(tl).children[1].markers[0]
    assert (marker.marked_range.start_time.value, marker.marked_range.duration.value) == (112, 5)
    removed = run(tl, ctx, {"op": "remove_marker", "marker_id": marker.id})
    assert track(removed).children[1].markers == []
    with pytest.raises(UnknownItem, match="no marker"):
        run(removed, ctx, {"op": "remove_marker", "marker_id": marker.id})


@pytest.mark.parametrize(
    ("op", "error", "text"),
    [
        ({"clip_id": A, "at": rt(48)}, InvalidTime, "outside"),
        ({"clip_id": A, "at": rt(-1)}, InvalidTime, "negative"),
        ({"track_id": "id-1", "clip_id": A, "at": rt(0)}, InvalidOp, "exactly one"),
        ({"at": rt(0)}, InvalidOp, "exactly one"),
        ({"track_id": "id-1", "at": rt(0), "duration": rt(-2)}, InvalidTime, "negative"),
        ({"item_id": "nope", "at": rt(0)}, UnknownItem, "no clip or track"),
        ({"track_id": "id-1", "at": rt(0), "color": "teal"}, InvalidOp, "color"),
    ],
)
def test_marker_errors(op: dict, error: type, text: str) -> None:
    ctx = make_ctx()
    with pytest.raises(error, match=text):
        run(video_timeline(ctx, (0, 48)), ctx, {"op": "add_marker", **op})


def test_clip_properties_live_in_vedit_metadata() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (0, 48)),
        ctx,
        {
            "op": "set_clip_properties",
            "clip_id": A,
            "volume": 2.5,
            "opacity": 0.5,
            "fade_in": rt(12),
            "fade_out": {"value": 0.25, "rate": 1},
            "name": "Intro",
            "enabled": False,
        },
    )
    clip = track(tl).children[0]
    props = clip_properties(clip)
    assert (props.volume, props.opacity, props.fade_in.value, props.fade_out.value) == (
        2.5,
        0.5,
        12,
        6,
    )
    assert clip.metadata["vedit"]["fade_out"] == {
        "OTIO_SCHEMA": "RationalTime.1",
        "value": 6,
        "rate": 24,
    }
    assert (clip.name, clip.enabled) == ("Intro", False)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"volume": 5}, InvalidOp),
        ({"opacity": -0.1}, InvalidOp),
        ({"speed": 0}, InvalidOp),
        ({"speed": 17}, InvalidOp),
        ({"fade_in": rt(49)}, InvalidProperty),
        ({"fade_out": rt(-1)}, InvalidProperty),
        ({"bogus": 1}, InvalidOp),
    ],
)
def test_clip_property_errors(fields: dict, error: type) -> None:
    ctx = make_ctx()
    with pytest.raises(error):
        run(
            video_timeline(ctx, (0, 48)), ctx, {"op": "set_clip_properties", "clip_id": A, **fields}
        )


def test_speed_is_a_time_warp_and_ripples_later_items() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48))
    fast = run(tl, ctx, {"op": "set_clip_properties", "clip_id": A, "speed": 2})
    clip = track(fast).children[0]
    assert isinstance(clip.effects[0], LinearTimeWarp) and clip.effects[0].time_scalar == 2
    assert clip_speed(clip) == 2
    assert timeline_duration(fast).value == 24 + 48
    # A 0.7x clip: the record length is whole frames, the source is trimmed to match.
    slow = run(tl, ctx, {"op": "set_clip_properties", "clip_id": A, "speed": 0.7})
    assert layout(track(slow))[0] == ("C", A, 0, 47.6)
    assert timeline_duration(slow).value == 68 + 48
    normal = run(slow, ctx, {"op": "set_clip_properties", "clip_id": A, "speed": 1})
    assert track(normal).children[0].effects == []
    assert layout(track(normal))[0] == ("C", A, 0, 47)
    warp_id = track(fast).children[0].effects[0].id
    removed = run(fast, ctx, {"op": "remove_effect", "effect_id": warp_id})
    assert timeline_duration(removed) == timeline_duration(tl)


def test_speed_that_leaves_less_than_a_frame_is_refused() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 4))
    with pytest.raises(NonPositiveDuration, match="less than one frame"):
        run(tl, ctx, {"op": "set_clip_properties", "clip_id": A, "speed": 16})


def test_fades_are_clamped_when_a_clip_gets_shorter() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (0, 48)),
        ctx,
        {"op": "set_clip_properties", "clip_id": A, "fade_in": rt(40)},
        {"op": "trim_clip", "clip_id": A, "edge": "tail", "delta": rt(-20)},
    )
    assert clip_properties(track(tl).children[0]).fade_in.value == 28


def test_effects() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (0, 48)),
        ctx,
        {"op": "add_effect", "clip_id": A, "effect_name": "blur", "parameters": {"r": 4}},
    )
    effect = track(tl).children[0].effects[0]
    assert (effect.effect_name, effect.metadata) == ("blur", {"parameters": {"r": 4}})
    assert effect.model_dump()["OTIO_SCHEMA"] == "Effect.1"
    removed = run(tl, ctx, {"op": "remove_effect", "effect_id": effect.id})
    assert track(removed).children[0].effects == []
    with pytest.raises(UnknownItem, match="no effect"):
        run(removed, ctx, {"op": "remove_effect", "effect_id": effect.id})
    with pytest.raises(InvalidOp, match="speed"):
        run(tl, ctx, {"op": "add_effect", "clip_id": A, "effect_name": "LinearTimeWarp"})
    with pytest.raises(InvalidOp, match="effect_name"):
        run(tl, ctx, {"op": "add_effect", "clip_id": A, "effect_name": ""})
