"""parse_op, apply_op/apply_ops, check_invariants and the duration helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from errors import AppError
from models.timeline_models import (
    Gap,
    LinearTimeWarp,
    MissingReference,
    Stack,
    Timeline,
    TimeRange,
    Transition,
)
from operators.timeline_editor import (
    OP_NAMES,
    DuplicateId,
    InvalidOp,
    InvalidProperty,
    InvalidTime,
    MissingHandle,
    NonPositiveDuration,
    SourceRangeOutOfBounds,
    TrackKindMismatch,
    TransitionPlacement,
    TransitionTooLong,
    TrimClip,
    UnknownItem,
    apply_op,
    apply_ops,
    check_invariants,
    item_ranges,
    parse_op,
    referenced_asset_ids,
    timeline_duration,
    track_duration,
)
from tests.timeline import ASSETS, empty, layout, make_ctx, rt, run, sr, track, video_timeline

A, B, C = "id-2", "id-3", "id-4"


def test_parse_op_returns_the_model_and_explains_bad_shapes() -> None:
    op = parse_op({"op": "trim_clip", "clip_id": A, "edge": "head", "delta": rt(3)})
    assert isinstance(op, TrimClip) and op.ripple is False
    assert len(OP_NAMES) == 25
    cases = {
        "an op must be a JSON object": [],
        "needs an 'op' field": {"clip_id": A},
        "unknown op 'explode'": {"op": "explode"},
        "invalid trim_clip op: edge": {
            "op": "trim_clip",
            "clip_id": A,
            "edge": "mid",
            "delta": rt(1),
        },
        "delta: Field required": {"op": "trim_clip", "clip_id": A, "edge": "head"},
        "clipid: Extra inputs": {"op": "remove_clip", "clip_id": A, "clipid": A},
        "rate: Input should be greater than 0": {
            "op": "slip_clip",
            "clip_id": A,
            "delta": {"value": 1, "rate": 0},
        },
    }
    for text, data in cases.items():
        with pytest.raises(InvalidOp, match=text) as info:
            parse_op(data)  # type: ignore[arg-type]
        assert info.value.code == "invalid_op"


def test_errors_are_app_errors_with_codes() -> None:
    ctx = make_ctx()
    with pytest.raises(AppError) as info:
        run(video_timeline(ctx), ctx, {"op": "remove_clip", "clip_id": "nope"})
    assert (info.value.status_code, info.value.code) == (422, "unknown_item")
    assert "nope" in info.value.message


def test_apply_op_accepts_a_dict() -> None:
    ctx = make_ctx()
    tl = apply_op(empty(), {"op": "add_track", "kind": "audio"}, ctx)
    assert track(tl).kind == "Audio"


def test_apply_ops_is_all_or_nothing_and_names_the_failing_op() -> None:
    ctx = make_ctx()
    tl = video_timeline(ctx, (0, 48))
    before = tl.model_dump()
    ops = [
        parse_op({"op": "split_clip", "clip_id": A, "at": rt(10)}),
        {"op": "remove_clip", "clip_id": A},
        {"op": "trim_clip", "clip_id": A, "edge": "tail", "delta": rt(1)},
    ]
    with pytest.raises(UnknownItem, match=r"^op 2 \(trim_clip\): no clip") as info:
        apply_ops(tl, ops, ctx)
    assert info.value.details["op_index"] == 2
    assert tl.model_dump() == before
    done = apply_ops(tl, ops[:2], ctx)
    assert layout(track(done)) == [("G", 10), ("C", "id-5", 10, 38)]
    assert apply_ops(tl, [], ctx).model_dump() == before


def _broken(mutate: Callable[[Timeline], None]) -> Timeline:
    ctx = make_ctx()
    tl = video_timeline(ctx, (24, 48), (96, 48), (0, 24)).model_copy(deep=True)
    mutate(tl)
    return tl


def _kids(tl: Timeline) -> list:
    return track(tl).children


def _gap(frames: float) -> Gap:
    return Gap(id="g", source_range={"start_time": rt(0), "duration": rt(frames)})


def _trans(frames: int = 2, trans_id: str = "t") -> Transition:
    return Transition(id=trans_id, in_offset=rt(frames), out_offset=rt(frames))


def _set_ref_asset(tl: Timeline, asset: str) -> None:
    _kids(tl)[0].media_reference.asset_id = asset


def _set_source(tl: Timeline, start: int, dur: int) -> None:
    _kids(tl)[0].source_range = TimeRange.model_validate(sr(start, dur))


@pytest.mark.parametrize(
    ("mutate", "error", "text"),
    [
        (lambda tl: setattr(_kids(tl)[1], "id", A), DuplicateId, "used twice"),
        (lambda tl: _kids(tl).insert(0, _trans()), TransitionPlacement, "at the start"),
        (lambda tl: _kids(tl).append(_trans()), TransitionPlacement, "at the end"),
        (
            lambda tl: _kids(tl).insert(1, _trans(1)) or _kids(tl).insert(1, _trans(1, "t2")),
            TransitionPlacement,
            "between two clips",
        ),
        (lambda tl: _kids(tl).insert(2, _trans(6)), MissingHandle, "before its start"),
        (lambda tl: _kids(tl).insert(1, _trans(50)), TransitionTooLong, "free for it"),
        (lambda tl: _kids(tl).insert(1, _gap(0)), NonPositiveDuration, "longer than 0"),
        (lambda tl: _kids(tl).insert(1, _gap(1.5)), InvalidTime, "whole number of frames"),
        (lambda tl: _set_ref_asset(tl, "a4"), TrackKindMismatch, "no video"),
        (lambda tl: _set_source(tl, 230, 20), SourceRangeOutOfBounds, "exceeds"),
        (lambda tl: _set_source(tl, -2, 20), SourceRangeOutOfBounds, "before the media"),
        (
            lambda tl: _kids(tl)[0].effects.extend(
                [LinearTimeWarp(id="w1", time_scalar=2), LinearTimeWarp(id="w2", time_scalar=2)]
            ),
            InvalidProperty,
            "more than one speed",
        ),
        (
            lambda tl: _kids(tl)[0].metadata.update({"vedit": {"volume": 9}}),
            InvalidProperty,
            "invalid properties",
        ),
    ],
)
def test_check_invariants_reports_broken_timelines(
    mutate: Callable[[Timeline], None], error: type, text: str
) -> None:
    with pytest.raises(error, match=text):
        check_invariants(_broken(mutate), ASSETS)


def test_a_clip_whose_asset_is_gone_is_checked_against_its_reference() -> None:
    tl = _broken(lambda tl: _set_ref_asset(tl, "gone"))
    check_invariants(tl, ASSETS)
    ref = _kids(tl)[0].media_reference
    assert ref.available_range is not None
    media_end = ref.available_range.duration.value
    with pytest.raises(SourceRangeOutOfBounds, match="exceeds"):
        check_invariants(
            _broken(lambda t: (_set_ref_asset(t, "gone"), _set_source(t, media_end - 5, 20))),
            ASSETS,
        )


def test_missing_media_is_not_bounds_checked() -> None:
    tl = _broken(lambda tl: setattr(_kids(tl)[0], "media_reference", MissingReference()))
    check_invariants(tl, ASSETS)
    assert referenced_asset_ids(tl) == {"v10"}


def test_nested_stacks_count_as_one_item() -> None:
    ctx = make_ctx()
    inner = video_timeline(make_ctx(), (0, 30), (0, 40)).tracks.children
    tl = video_timeline(ctx, (0, 48))
    nested = Stack(id="s1", name="compound", children=[t.model_copy(deep=True) for t in inner])
    nested.children[0].id = "inner"
    nested.children[0].children[0].id = "inner-clip-1"
    nested.children[0].children[1].id = "inner-clip-2"
    track(tl).children.append(nested)
    check_invariants(tl, ASSETS)
    assert track_duration(track(tl)).value == 48 + 70
    with pytest.raises(InvalidTime, match="can't cut inside"):
        run(
            tl,
            ctx,
            {
                "op": "insert_clip",
                "track_id": "id-1",
                "asset_id": "v10",
                "source_range": sr(0, 5),
                "at": rt(60),
            },
        )
    removed = run(tl, ctx, {"op": "remove_clip", "clip_id": "s1", "ripple": True})
    assert timeline_duration(removed).value == 48


def test_duration_helpers() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (24, 48), (96, 48)),
        ctx,
        {
            "op": "add_transition",
            "left_clip_id": A,
            "right_clip_id": B,
            "duration": rt(10),
            "alignment": "end",
        },
        {"op": "add_track", "kind": "audio"},
    )
    assert timeline_duration(tl).model_dump() == {
        "OTIO_SCHEMA": "RationalTime.1",
        "value": 96,
        "rate": 24,
    }
    assert track_duration(track(tl, 1)).value == 0
    assert track_duration(track(tl), rate=48).model_dump()["value"] == 192
    ranges = [
        (type(i).__name__, r.start_time.value, r.duration.value) for i, r in item_ranges(track(tl))
    ]
    assert ranges == [("Clip", 0, 48), ("Transition", 38, 10), ("Clip", 48, 48)]
    assert timeline_duration(empty()).value == 0
