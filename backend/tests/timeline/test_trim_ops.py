"""trim_clip, split_clip, slip_clip, slide_clip, roll_edit."""

from __future__ import annotations

import pytest

from operators.timeline_editor import (
    InvalidTime,
    MissingHandle,
    NonPositiveDuration,
    NoRoom,
    NotAdjacent,
    SourceRangeOutOfBounds,
    UnknownItem,
    timeline_duration,
)
from tests.timeline import layout, make_ctx, rt, run, track, video_timeline

A, B, C = "id-2", "id-3", "id-4"


def abc(ctx):  # [A 0-48 | B 48-96 | C 96-120], sources (0,48) (48,48) (100,24)
    return video_timeline(ctx, (0, 48), (48, 48), (100, 24))


def trim(clip: str, edge: str, delta: int, ripple: bool = False) -> dict:
    return {"op": "trim_clip", "clip_id": clip, "edge": edge, "delta": rt(delta), "ripple": ripple}


def dissolve(left: str, right: str, frames: int = 12) -> dict:
    return {
        "op": "add_transition",
        "left_clip_id": left,
        "right_clip_id": right,
        "duration": rt(frames),
    }


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (trim(A, "tail", -8, True), [("C", A, 0, 40), ("C", B, 48, 48), ("C", C, 100, 24)]),
        (trim(B, "head", 8, True), [("C", A, 0, 48), ("C", B, 56, 40), ("C", C, 100, 24)]),
        (trim(B, "head", -48, True), [("C", A, 0, 48), ("C", B, 0, 96), ("C", C, 100, 24)]),
        (trim(A, "tail", -8), [("C", A, 0, 40), ("G", 8), ("C", B, 48, 48), ("C", C, 100, 24)]),
        (trim(B, "head", 8), [("C", A, 0, 48), ("G", 8), ("C", B, 56, 40), ("C", C, 100, 24)]),
        (trim(A, "head", 8), [("G", 8), ("C", A, 8, 40), ("C", B, 48, 48), ("C", C, 100, 24)]),
        (trim(C, "tail", -4), [("C", A, 0, 48), ("C", B, 48, 48), ("C", C, 100, 20)]),
        (trim(C, "tail", 16), [("C", A, 0, 48), ("C", B, 48, 48), ("C", C, 100, 40)]),
        (trim(B, "tail", 0), [("C", A, 0, 48), ("C", B, 48, 48), ("C", C, 100, 24)]),
    ],
)
def test_trims(op: dict, expected: list) -> None:
    ctx = make_ctx()
    assert layout(track(run(abc(ctx), ctx, op))) == expected


def test_trim_without_ripple_keeps_later_items_in_place() -> None:
    ctx = make_ctx()
    tl = run(abc(ctx), ctx, trim(B, "tail", -20))
    assert timeline_duration(tl).value == 120
    # Growing back eats the gap it left; the gap vanishes when used up.
    tl = run(tl, ctx, trim(B, "tail", 20))
    assert layout(track(tl)) == [("C", A, 0, 48), ("C", B, 48, 48), ("C", C, 100, 24)]
    tl = run(tl, ctx, trim(C, "head", 10), trim(C, "head", -4))
    assert layout(track(tl))[-2:] == [("G", 6), ("C", C, 106, 18)]


@pytest.mark.parametrize(
    ("op", "error", "text"),
    [
        (trim(B, "tail", 4), NoRoom, "not a gap"),
        (trim(A, "head", -4), NoRoom, "starts at 0 s"),
        (trim(B, "head", -4), NoRoom, "use ripple"),
        (trim(A, "tail", -48, True), NonPositiveDuration, "0 s long"),
        (trim(A, "head", 60, True), NonPositiveDuration, "long"),
        (trim(C, "tail", 200, True), SourceRangeOutOfBounds, "exceeds the asset's 10 s"),
        (trim(B, "head", -49, True), SourceRangeOutOfBounds, "before the media"),
        (trim("nope", "head", 1), UnknownItem, "no clip"),
    ],
)
def test_trim_errors(op: dict, error: type, text: str) -> None:
    ctx = make_ctx()
    with pytest.raises(error, match=text):
        run(abc(ctx), ctx, op)


def test_trim_next_to_a_transition() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (24, 48), (100, 48)), ctx, dissolve(A, B))
    # Without ripple the clips no longer meet, so the transition goes.
    opened = run(tl, ctx, trim(A, "tail", -10))
    assert layout(track(opened)) == [("C", A, 24, 38), ("G", 10), ("C", B, 100, 48)]
    rippled = run(tl, ctx, trim(A, "tail", -10, True))
    assert layout(track(rippled)) == [("C", A, 24, 38), ("T", 6, 6), ("C", B, 100, 48)]
    with pytest.raises(MissingHandle, match="before its start"):
        run(tl, ctx, trim(B, "head", -100, True))


def test_trim_a_retimed_clip_changes_record_time_by_delta() -> None:
    ctx = make_ctx()
    tl = run(abc(ctx), ctx, {"op": "set_clip_properties", "clip_id": C, "speed": 2})
    assert timeline_duration(tl).value == 108
    tl = run(tl, ctx, trim(C, "tail", -2, True))
    assert layout(track(tl))[-1] == ("C", C, 100, 20)
    assert timeline_duration(tl).value == 106


def test_split_keeps_the_id_on_the_left() -> None:
    ctx = make_ctx()
    tl = run(abc(ctx), ctx, {"op": "split_clip", "clip_id": B, "at": rt(60)})
    assert layout(track(tl)) == [
        ("C", A, 0, 48),
        ("C", B, 48, 12),
        ("C", "id-5", 60, 36),
        ("C", C, 100, 24),
    ]
    assert timeline_duration(tl).value == 120


@pytest.mark.parametrize("at", [0, 48, 96, 130, -1])
def test_split_outside_a_clip_is_refused(at: int) -> None:
    ctx = make_ctx()
    with pytest.raises(InvalidTime, match="not inside"):
        run(abc(ctx), ctx, {"op": "split_clip", "clip_id": B, "at": rt(at)})


def test_split_markers_effects_and_fades_follow() -> None:
    ctx = make_ctx()
    tl = run(
        abc(ctx),
        ctx,
        {"op": "add_marker", "clip_id": B, "at": rt(50), "name": "early"},
        {"op": "add_marker", "clip_id": B, "at": rt(90), "name": "late"},
        {"op": "add_effect", "clip_id": B, "effect_name": "blur", "parameters": {"r": 3}},
        {"op": "set_clip_properties", "clip_id": B, "fade_in": rt(5), "fade_out": rt(6)},
        {"op": "split_clip", "clip_id": B, "at": rt(70)},
    )
    left, right = track(tl).children[1:3]
    assert [m.name for m in left.markers] == ["early"]
    assert [m.name for m in right.markers] == ["late"]
    assert right.markers[0].marked_range.start_time.value == 48 + 42  # source time
    assert left.effects[0].metadata == right.effects[0].metadata == {"parameters": {"r": 3}}
    assert left.effects[0].id != right.effects[0].id
    assert "fade_out" not in left.metadata["vedit"] and "fade_in" not in right.metadata["vedit"]


def test_split_inside_a_transition_is_refused() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (24, 48), (100, 48)), ctx, dissolve(A, B))
    with pytest.raises(InvalidTime, match="transition"):
        run(tl, ctx, {"op": "split_clip", "clip_id": A, "at": rt(45)})
    # Right on the transition's edge is fine.
    tl = run(tl, ctx, {"op": "split_clip", "clip_id": A, "at": rt(42)})
    assert layout(track(tl))[:3] == [("C", A, 24, 42), ("C", "id-5", 66, 6), ("T", 6, 6)]


def test_split_a_retimed_clip() -> None:
    ctx = make_ctx()
    tl = run(
        abc(ctx),
        ctx,
        {"op": "set_clip_properties", "clip_id": A, "speed": 1.5},
        {"op": "split_clip", "clip_id": A, "at": rt(7)},
    )
    assert layout(track(tl))[:2] == [("C", A, 0, 10.5), ("C", "id-6", 10.5, 37.5)]
    assert timeline_duration(tl).value == 32 + 72


def test_slip_moves_the_media_window_only() -> None:
    ctx = make_ctx()
    tl = run(abc(ctx), ctx, {"op": "slip_clip", "clip_id": B, "delta": rt(-10)})
    assert layout(track(tl)) == [("C", A, 0, 48), ("C", B, 38, 48), ("C", C, 100, 24)]
    with pytest.raises(SourceRangeOutOfBounds, match="before the start"):
        run(tl, ctx, {"op": "slip_clip", "clip_id": A, "delta": rt(-1)})
    with pytest.raises(SourceRangeOutOfBounds, match="past the end"):
        run(tl, ctx, {"op": "slip_clip", "clip_id": C, "delta": rt(117)})


def test_slip_is_checked_against_transitions() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx, (24, 48), (100, 48)), ctx, dissolve(A, B))
    with pytest.raises(MissingHandle):
        run(tl, ctx, {"op": "slip_clip", "clip_id": B, "delta": rt(-97)})


@pytest.mark.parametrize(
    ("clip", "delta", "expected"),
    [
        (B, 8, [("C", A, 0, 56), ("C", B, 48, 48), ("C", C, 108, 16)]),
        (B, -8, [("C", A, 0, 40), ("C", B, 48, 48), ("C", C, 92, 32)]),
        (A, 5, [("G", 5), ("C", A, 0, 48), ("C", B, 53, 43), ("C", C, 100, 24)]),
        (C, 6, [("C", A, 0, 48), ("C", B, 48, 54), ("C", C, 100, 24)]),
        (C, -6, [("C", A, 0, 48), ("C", B, 48, 42), ("C", C, 100, 24)]),
    ],
)
def test_slide(clip: str, delta: int, expected: list) -> None:
    ctx = make_ctx()
    assert (
        layout(track(run(abc(ctx), ctx, {"op": "slide_clip", "clip_id": clip, "delta": rt(delta)})))
        == expected
    )


def test_slide_errors_and_gap_neighbours() -> None:
    ctx = make_ctx()
    tl = abc(ctx)
    with pytest.raises(NonPositiveDuration, match="only 1 s"):
        run(tl, ctx, {"op": "slide_clip", "clip_id": B, "delta": rt(24)})
    with pytest.raises(InvalidTime, match="start of its track"):
        run(tl, ctx, {"op": "slide_clip", "clip_id": A, "delta": rt(-1)})
    at_media_end = video_timeline(make_ctx(), (192, 48), (0, 48))
    with pytest.raises(SourceRangeOutOfBounds, match="exceeds"):
        run(at_media_end, ctx, {"op": "slide_clip", "clip_id": B, "delta": rt(1)})
    gapped = run(tl, ctx, trim(A, "tail", -10))
    # A gap neighbour may shrink to nothing.
    closed = run(gapped, ctx, {"op": "slide_clip", "clip_id": B, "delta": rt(-10)})
    assert layout(track(closed)) == [("C", A, 0, 38), ("C", B, 48, 48), ("C", C, 90, 34)]


def test_roll_moves_the_cut() -> None:
    ctx = make_ctx()
    tl = abc(ctx)
    rolled = run(
        tl, ctx, {"op": "roll_edit", "left_clip_id": A, "right_clip_id": B, "delta": rt(8)}
    )
    assert layout(track(rolled)) == [("C", A, 0, 56), ("C", B, 56, 40), ("C", C, 100, 24)]
    back = run(tl, ctx, {"op": "roll_edit", "left_clip_id": A, "delta": rt(-8)})
    assert layout(track(back)) == [("C", A, 0, 40), ("C", B, 40, 56), ("C", C, 100, 24)]
    assert timeline_duration(rolled) == timeline_duration(back) == timeline_duration(tl)


def test_roll_errors() -> None:
    ctx = make_ctx()
    tl = abc(ctx)
    with pytest.raises(NotAdjacent, match="does not directly follow"):
        run(tl, ctx, {"op": "roll_edit", "left_clip_id": A, "right_clip_id": C, "delta": rt(1)})
    with pytest.raises(NotAdjacent, match="last item"):
        run(tl, ctx, {"op": "roll_edit", "left_clip_id": C, "delta": rt(1)})
    with pytest.raises(UnknownItem):
        run(tl, ctx, {"op": "roll_edit", "left_clip_id": A, "right_clip_id": "x", "delta": rt(1)})
    with pytest.raises(NonPositiveDuration):
        run(tl, ctx, {"op": "roll_edit", "left_clip_id": A, "delta": rt(48)})


def test_roll_a_gap_away_and_with_a_transition() -> None:
    ctx = make_ctx()
    tl = run(abc(ctx), ctx, trim(A, "tail", -10))
    gap_id = track(tl).children[1].id
    tl2 = run(
        tl, ctx, {"op": "roll_edit", "left_clip_id": A, "right_clip_id": gap_id, "delta": rt(10)}
    )
    assert layout(track(tl2)) == [("C", A, 0, 48), ("C", B, 48, 48), ("C", C, 100, 24)]
    ctx = make_ctx()
    faded = run(video_timeline(ctx, (24, 48), (100, 48)), ctx, dissolve(A, B))
    moved = run(faded, ctx, {"op": "roll_edit", "left_clip_id": A, "delta": rt(-20)})
    assert layout(track(moved)) == [("C", A, 24, 28), ("T", 6, 6), ("C", B, 80, 68)]
    ctx = make_ctx()
    tight = run(video_timeline(ctx, (186, 48), (100, 48)), ctx, dissolve(A, B))
    with pytest.raises(MissingHandle, match="after its end"):
        run(tight, ctx, {"op": "roll_edit", "left_clip_id": A, "delta": rt(1)})
