"""append_clip, insert_clip, overwrite_clip, remove_clip."""

from __future__ import annotations

import pytest

from operators.timeline_editor import (
    InvalidOp,
    InvalidTime,
    NonPositiveDuration,
    SourceRangeOutOfBounds,
    TrackKindMismatch,
    UnknownAsset,
    UnknownItem,
    WrongItemType,
    timeline_duration,
    track_duration,
)
from tests.timeline import layout, make_ctx, rt, run, sr, track, video_timeline


def clip_op(op: str, asset: str = "v10", start: int = 0, dur: int = 10, **kw: object) -> dict:
    return {"op": op, "track_id": "id-1", "asset_id": asset, "source_range": sr(start, dur), **kw}


def test_append_clip_references_the_asset_in_whole_frames() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    clip = track(tl).children[0]
    assert clip.name == "Beach"
    assert clip.media_reference.asset_id == "v10"
    assert clip.media_reference.available_range.duration.value == 240
    dumped = clip.model_dump(mode="json")["source_range"]["duration"]
    assert dumped == {"OTIO_SCHEMA": "RationalTime.1", "value": 48, "rate": 24}


def test_append_clip_converts_other_rates_to_the_timeline_rate() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx)
    source_range = {"start_time": {"value": 0.5, "rate": 1}, "duration": {"value": 60, "rate": 30}}
    tl = run(
        tl,
        ctx,
        {"op": "append_clip", "track_id": "id-1", "asset_id": "v10", "source_range": source_range},
    )
    assert layout(track(tl)) == [("C", "id-2", 12, 48)]


@pytest.mark.parametrize(
    ("op", "error", "text"),
    [
        (clip_op("append_clip", "nope"), UnknownAsset, "no asset"),
        (clip_op("append_clip", track_id="nope"), UnknownItem, "no track"),
        (clip_op("append_clip", start=200, dur=48), SourceRangeOutOfBounds, "exceeds the 10 s"),
        (clip_op("append_clip", start=-1), SourceRangeOutOfBounds, "before the media"),
        (clip_op("append_clip", dur=0), NonPositiveDuration, "at least one frame"),
        (clip_op("append_clip", "a4"), TrackKindMismatch, "no video"),
        (clip_op("insert_clip", at=rt(-1)), InvalidTime, "negative"),
        (clip_op("overwrite_clip", at=rt(-24)), InvalidTime, "negative"),
    ],
)
def test_clip_placement_errors(op: dict, error: type, text: str) -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    with pytest.raises(error, match=text) as info:
        run(tl, ctx, op)
    assert isinstance(info.value, InvalidOp)


def test_unknown_asset_is_an_unknown_item() -> None:
    assert issubclass(UnknownAsset, UnknownItem)
    assert UnknownAsset("x").code == "unknown_asset"


def test_kinds_per_track() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx), ctx, {"op": "add_track", "kind": "audio"})
    audio = {"track_id": "id-2"}
    tl = run(tl, ctx, clip_op("append_clip", "a4", **audio), clip_op("append_clip", "v10", **audio))
    for asset in ("mute", "img"):
        with pytest.raises(TrackKindMismatch, match="can't go on audio"):
            run(tl, ctx, clip_op("append_clip", asset, **audio))
    # A still image may last as long as wanted and start anywhere.
    tl = run(tl, ctx, clip_op("append_clip", "img", start=5000, dur=10000))
    assert track_duration(track(tl)).value == 10000


def test_insert_at_time_zero_shifts_everything() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (0, 48), (48, 48)), ctx, clip_op("insert_clip", at=rt(0)))
    assert layout(track(tl)) == [("C", "id-4", 0, 10), ("C", "id-2", 0, 48), ("C", "id-3", 48, 48)]


def test_insert_inside_a_clip_splits_it() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (0, 48)), ctx, clip_op("insert_clip", at=rt(20)))
    assert layout(track(tl)) == [("C", "id-2", 0, 20), ("C", "id-3", 0, 10), ("C", "id-4", 20, 28)]
    assert timeline_duration(tl).value == 58


def test_insert_at_end_appends_and_beyond_end_pads_with_a_gap() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    at_end = run(tl, ctx, clip_op("insert_clip", at=rt(48)))
    assert layout(track(at_end)) == [("C", "id-2", 0, 48), ("C", "id-3", 0, 10)]
    beyond = run(tl, ctx, clip_op("insert_clip", at=rt(60)))
    assert layout(track(beyond)) == [("C", "id-2", 0, 48), ("G", 12), ("C", "id-4", 0, 10)]


def test_insert_on_a_cut_with_a_transition_removes_it() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (24, 48), (100, 48))
    tl = run(
        tl,
        ctx,
        {
            "op": "add_transition",
            "left_clip_id": "id-2",
            "right_clip_id": "id-3",
            "duration": rt(12),
        },
    )
    on_cut = run(tl, ctx, clip_op("insert_clip", at=rt(48)))
    assert [x[0] for x in layout(track(on_cut))] == ["C", "C", "C"]
    inside = run(tl, ctx, clip_op("insert_clip", at=rt(45)))
    assert "T" not in [x[0] for x in layout(track(inside))]
    # An insert away from the transition's overlap leaves it alone.
    away = run(tl, ctx, clip_op("insert_clip", at=rt(10)))
    assert ("T", 6, 6) in layout(track(away))


def test_overwrite_inside_one_clip_keeps_both_ends() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (0, 48)), ctx, clip_op("overwrite_clip", at=rt(20)))
    assert layout(track(tl)) == [("C", "id-2", 0, 20), ("C", "id-3", 0, 10), ("C", "id-4", 30, 18)]
    assert timeline_duration(tl).value == 48


def test_overwrite_across_clips_trims_removes_and_keeps_ids() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48), (100, 24))
    tl = run(tl, ctx, clip_op("overwrite_clip", dur=60, at=rt(20)))
    # B's surviving tail keeps B's id; the track keeps its length.
    assert layout(track(tl)) == [
        ("C", "id-2", 0, 20),
        ("C", "id-5", 0, 60),
        ("C", "id-3", 80, 16),
        ("C", "id-4", 100, 24),
    ]
    assert timeline_duration(tl).value == 120


def test_overwrite_at_zero_and_past_the_end() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48))
    whole = run(tl, ctx, clip_op("overwrite_clip", dur=48, at=rt(0)))
    assert layout(track(whole)) == [("C", "id-4", 0, 48), ("C", "id-3", 48, 48)]
    grows = run(tl, ctx, clip_op("overwrite_clip", dur=20, at=rt(90)))
    assert layout(track(grows))[-2:] == [("C", "id-3", 48, 42), ("C", "id-5", 0, 20)]
    assert timeline_duration(grows).value == 110
    padded = run(tl, ctx, clip_op("overwrite_clip", at=rt(100)))
    assert layout(track(padded))[-2:] == [("G", 4), ("C", "id-7", 0, 10)]


def test_overwrite_into_a_gap_splits_the_gap() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    tl = run(
        tl,
        ctx,
        {"op": "add_gap", "track_id": "id-1", "duration": rt(20)},
        clip_op("append_clip"),
        clip_op("overwrite_clip", at=rt(50)),
    )
    assert layout(track(tl)) == [
        ("C", "id-2", 0, 48),
        ("G", 2),
        ("C", "id-5", 0, 10),
        ("G", 8),
        ("C", "id-4", 0, 10),
    ]


def test_lift_leaves_a_gap_except_at_the_end() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48), (100, 24))
    middle = run(tl, ctx, {"op": "remove_clip", "clip_id": "id-3"})
    assert layout(track(middle)) == [("C", "id-2", 0, 48), ("G", 48), ("C", "id-4", 100, 24)]
    last = run(tl, ctx, {"op": "remove_clip", "clip_id": "id-4"})
    assert layout(track(last)) == [("C", "id-2", 0, 48), ("C", "id-3", 48, 48)]
    both = run(middle, ctx, {"op": "remove_clip", "clip_id": "id-2"})
    assert layout(track(both)) == [("G", 96), ("C", "id-4", 100, 24)]


def test_ripple_delete_closes_the_hole_and_gaps_can_be_deleted() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (48, 48), (100, 24))
    tl = run(tl, ctx, {"op": "remove_clip", "clip_id": "id-3", "ripple": True})
    assert layout(track(tl)) == [("C", "id-2", 0, 48), ("C", "id-4", 100, 24)]
    lifted = run(tl, ctx, {"op": "remove_clip", "clip_id": "id-2"})
    gap_id = track(lifted).children[0].id
    closed = run(lifted, ctx, {"op": "remove_clip", "clip_id": gap_id, "ripple": True})
    assert layout(track(closed)) == [("C", "id-4", 100, 24)]


def test_remove_errors() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (24, 48), (100, 48))
    tl = run(
        tl,
        ctx,
        {
            "op": "add_transition",
            "left_clip_id": "id-2",
            "right_clip_id": "id-3",
            "duration": rt(12),
        },
    )
    with pytest.raises(UnknownItem):
        run(tl, ctx, {"op": "remove_clip", "clip_id": "nope"})
    with pytest.raises(WrongItemType, match="not a clip"):
        run(tl, ctx, {"op": "remove_clip", "clip_id": "id-4"})
    lifted = run(tl, ctx, {"op": "remove_clip", "clip_id": "id-3", "ripple": True})
    assert layout(track(lifted)) == [("C", "id-2", 24, 48)]
