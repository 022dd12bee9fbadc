"""add_transition, modify_transition, remove_transition and transitions under other edits."""

from __future__ import annotations

import pytest

from operators.timeline_editor import (
    MissingHandle,
    NonPositiveDuration,
    TransitionPlacement,
    TransitionTooLong,
    UnknownItem,
    WrongItemType,
    item_ranges,
    timeline_duration,
)
from tests.timeline import layout, make_ctx, rt, run, sr, track, video_timeline

A, B, C = "id-2", "id-3", "id-4"


def dissolve(left: str = A, right: str = B, frames: int = 12, **kw: object) -> dict:
    return {
        "op": "add_transition",
        "left_clip_id": left,
        "right_clip_id": right,
        "duration": rt(frames),
        **kw,
    }


def handles(ctx):  # A has 24 frames of media before and 168 after, B 96 before, C 48
    return video_timeline(ctx, (24, 48), (96, 48), (48, 24))


@pytest.mark.parametrize(
    ("alignment", "offsets"), [("center", (6, 6)), ("start", (0, 12)), ("end", (12, 0))]
)
def test_add_transition_alignments(alignment: str, offsets: tuple[int, int]) -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(alignment=alignment))
    assert layout(track(tl))[1] == ("T", *offsets)
    trans = track(tl).children[1]
    assert trans.transition_type == "SMPTE_Dissolve"
    assert timeline_duration(tl).value == 120  # a transition takes no track time
    ranges = {item.id: (r.start_time.value, r.duration.value) for item, r in item_ranges(track(tl))}
    assert ranges[trans.id] == (48 - offsets[0], 12)
    assert ranges[B] == (48, 48)


def test_odd_durations_put_the_extra_frame_after_the_cut() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(frames=5, kind="wipe_left"))
    assert layout(track(tl))[1] == ("T", 2, 3)
    assert track(tl).children[1].transition_type == "wipe_left"


def test_missing_handles_are_refused() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48), (0, 48), (192, 48), (24, 48))
    # B starts at the media's first frame: nothing to show before its start.
    with pytest.raises(MissingHandle, match="before its start") as info:
        run(tl, ctx, dissolve(A, B))
    assert info.value.code == "missing_handle"
    assert info.value.details["clip_id"] == B
    # With the transition after the cut, only A's tail handle is needed.
    run(tl, ctx, dissolve(A, B, alignment="start"))
    # C ends at the media's last frame.
    with pytest.raises(MissingHandle, match="after its end"):
        run(tl, ctx, dissolve(C, "id-5"))
    run(tl, ctx, dissolve(C, "id-5", alignment="end", frames=1))


def test_stills_and_titles_need_no_handles() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx)
    tl = run(
        tl,
        ctx,
        {"op": "append_clip", "track_id": "id-1", "asset_id": "img", "source_range": sr(0, 48)},
        {"op": "add_title", "track_id": "id-1", "text": "T", "at": rt(48), "duration": rt(48)},
        dissolve(A, B, frames=24),
    )
    assert layout(track(tl))[1] == ("T", 12, 12)


@pytest.mark.parametrize(
    ("op", "error", "text"),
    [
        (dissolve(A, C), TransitionPlacement, "not adjacent"),
        (dissolve(B, A), TransitionPlacement, "not adjacent"),
        (dissolve(A, A), TransitionPlacement, "not adjacent"),
        (dissolve(frames=0), NonPositiveDuration, "at least one frame"),
        (dissolve(frames=98), TransitionTooLong, "only 2 s free"),
        (dissolve(B, C, frames=50), TransitionTooLong, "only 1 s free"),
        (dissolve(A, "nope"), UnknownItem, "no clip"),
    ],
)
def test_add_transition_errors(op: dict, error: type, text: str) -> None:
    ctx = make_ctx()
    with pytest.raises(error, match=text):
        run(handles(ctx), ctx, op)


def test_one_transition_per_cut_and_none_on_gaps_or_across_tracks() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve())
    with pytest.raises(TransitionPlacement, match="already a transition"):
        run(tl, ctx, dissolve())
    with pytest.raises(WrongItemType, match="not a clip"):
        run(tl, ctx, dissolve(A, "id-5"))
    tl = run(
        tl,
        ctx,
        {"op": "add_track", "kind": "video"},
        {"op": "append_clip", "track_id": "id-6", "asset_id": "v10", "source_range": sr(24, 24)},
    )
    with pytest.raises(TransitionPlacement, match="different tracks"):
        run(tl, ctx, dissolve(C, "id-7"))
    gapped = run(tl, ctx, {"op": "trim_clip", "clip_id": B, "edge": "tail", "delta": rt(-4)})
    with pytest.raises(TransitionPlacement, match="not adjacent"):
        run(gapped, ctx, dissolve(B, C))


def test_transitions_on_both_sides_of_a_clip_must_not_overlap() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(A, B, frames=40))
    with pytest.raises(TransitionTooLong, match="free for it"):
        run(tl, ctx, dissolve(B, C, frames=40, alignment="end"))
    tl = run(tl, ctx, dissolve(B, C, frames=28, alignment="end"))
    assert [x[0] for x in layout(track(tl))] == ["C", "T", "C", "T", "C"]


def test_modify_transition() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(alignment="start"))
    trans_id = track(tl).children[1].id
    longer = run(
        tl, ctx, {"op": "modify_transition", "transition_id": trans_id, "duration": rt(20)}
    )
    assert layout(track(longer))[1] == ("T", 0, 20)
    centred = run(
        tl,
        ctx,
        {
            "op": "modify_transition",
            "transition_id": trans_id,
            "alignment": "center",
            "kind": "fade_to_black",
        },
    )
    assert layout(track(centred))[1] == ("T", 6, 6)
    assert track(centred).children[1].transition_type == "fade_to_black"
    with pytest.raises(NonPositiveDuration):
        run(tl, ctx, {"op": "modify_transition", "transition_id": trans_id, "duration": rt(0)})
    with pytest.raises(TransitionTooLong):
        run(tl, ctx, {"op": "modify_transition", "transition_id": trans_id, "duration": rt(49)})
    with pytest.raises(WrongItemType, match="not a transition"):
        run(tl, ctx, {"op": "modify_transition", "transition_id": A, "duration": rt(5)})


def test_remove_transition_and_clip_removal_takes_its_transitions() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(A, B), dissolve(B, C, frames=4, alignment="end"))
    trans_id = track(tl).children[1].id
    plain = run(tl, ctx, {"op": "remove_transition", "transition_id": trans_id})
    assert [x[0] for x in layout(track(plain))] == ["C", "C", "T", "C"]
    with pytest.raises(UnknownItem, match="no transition"):
        run(plain, ctx, {"op": "remove_transition", "transition_id": trans_id})
    lifted = run(tl, ctx, {"op": "remove_clip", "clip_id": B})
    assert layout(track(lifted)) == [("C", A, 24, 48), ("G", 48), ("C", C, 48, 24)]


def test_overwrite_over_a_transition_removes_it_but_not_others() -> None:
    ctx = make_ctx()
    tl = run(handles(ctx), ctx, dissolve(A, B), dissolve(B, C, frames=4, alignment="end"))
    op = {
        "op": "overwrite_clip",
        "track_id": "id-1",
        "asset_id": "v10",
        "source_range": sr(0, 10),
        "at": rt(40),
    }
    tl = run(tl, ctx, op)
    assert [x[0] for x in layout(track(tl))] == ["C", "C", "C", "T", "C"]


def test_audio_crossfade() -> None:
    ctx = make_ctx()
    tl = run(video_timeline(ctx), ctx, {"op": "add_track", "kind": "audio"})
    for start in (0, 48):
        tl = run(
            tl,
            ctx,
            {
                "op": "append_clip",
                "track_id": "id-2",
                "asset_id": "a4",
                "source_range": sr(start, 48),
            },
        )
    tl = run(tl, ctx, dissolve("id-3", "id-4", frames=12, alignment="start"))
    assert layout(track(tl, 1))[1] == ("T", 0, 12)
