"""Property tests: random op sequences over a small asset set keep every invariant."""

from __future__ import annotations

import itertools
from typing import Any

import opentimelineio as otio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.timeline_models import Clip, Gap, LinearTimeWarp, Timeline, Transition
from operators.timeline_editor import (
    InvalidOp,
    UnknownItem,
    apply_op,
    apply_ops,
    check_invariants,
    item_ranges,
    parse_op,
    timeline_duration,
    track_duration,
)
from operators.timeline_ops.apply import HANDLERS
from operators.timeline_ops.core import clock_of
from tests.timeline import ASSETS, make_ctx, rt, seeded_timeline

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEIGHTED_OPS = (
    ["append_clip"] * 4 + ["insert_clip", "overwrite_clip", "trim_clip", "split_clip"] * 3
    + ["add_transition"] * 3
    + ["remove_clip", "move_clip", "slip_clip", "slide_clip", "roll_edit", "add_gap"] * 2
    + ["set_clip_properties"] * 2
    + ["add_track", "remove_track", "rename_track", "move_track", "set_gap_duration",
       "modify_transition", "remove_transition", "add_marker", "remove_marker", "add_effect",
       "remove_effect", "add_title"]
)  # fmt: skip
MEDIA = {"v10": 240, "a4": 96, "img": 240}
# Ops that never change when anything plays: track lengths must stay as they were.
TIME_NEUTRAL = {
    "split_clip", "slip_clip", "roll_edit", "add_transition", "modify_transition",
    "remove_transition", "add_marker", "remove_marker", "add_effect", "rename_track",
    "move_track",
}  # fmt: skip


CHECKED_AFTER = {"source_range_out_of_bounds", "missing_handle", "transition_too_long"}


def refused_by_invariants(tl: Timeline, op: dict[str, Any]) -> bool:
    """Whether the op's handler ran through and only the final invariant check refused it."""
    work, parsed = tl.model_copy(deep=True), parse_op(op)
    try:
        HANDLERS[type(parsed)](work, parsed, make_ctx(), clock_of(work))
    except InvalidOp:
        return False
    return True


def catalogue(tl: Timeline) -> dict[str, list[str]]:
    """Ids by kind, and for each item the id of the item after it."""
    ids: dict[str, list[str]] = {k: [] for k in ("track", "clip", "gap", "trans", "marker", "fx")}
    for track in tl.tracks.children:
        ids["track"].append(track.id)
        ids["marker"] += [m.id for m in track.markers]
        for child in track.children:
            if isinstance(child, Transition):
                ids["trans"].append(child.id)
                continue
            ids["clip" if isinstance(child, Clip) else "gap"].append(child.id)
            ids["marker"] += [m.id for m in child.markers]
            ids["fx"] += [e.id for e in child.effects]
    return ids


def next_ids(tl: Timeline) -> dict[str, str]:
    out = {}
    for track in tl.tracks.children:
        items = [c for c in track.children if not isinstance(c, Transition)]
        out.update({a.id: b.id for a, b in itertools.pairwise(items)})
    return out


def draw_op(data: st.DataObject, tl: Timeline) -> tuple[dict[str, Any], bool]:
    """A random op addressing mostly real ids; the flag says an unknown id was used."""
    ids, unknown = catalogue(tl), False
    draw = data.draw

    def pick(kind: str) -> str:
        nonlocal unknown
        if not ids[kind] or draw(st.integers(0, 40)) == 17:
            unknown = True
            return f"unknown-{kind}"
        return draw(st.sampled_from(ids[kind]))

    def frames(lo: int, hi: int) -> dict[str, Any]:
        return rt(draw(st.integers(lo, hi)))

    def media(track_id: str) -> dict[str, Any]:
        kinds = {t.id: t.kind for t in tl.tracks.children}
        pool = ["v10", "v10", "img"] if kinds.get(track_id) == "Video" else ["v10", "a4", "a4"]
        asset = draw(st.sampled_from([*pool, "a4" if pool[2] == "img" else "img"]))
        length = MEDIA[asset]
        start = draw(st.integers(0, length - 1))
        dur = draw(
            st.integers(
                1, max(1, min(120, length - start + draw(st.sampled_from([0, 0, 0, 0, 5]))))
            )
        )
        return {"asset_id": asset, "source_range": {"start_time": rt(start), "duration": rt(dur)}}

    name = draw(st.sampled_from(WEIGHTED_OPS))
    op: dict[str, Any] = {"op": name}
    if name in ("append_clip", "insert_clip", "overwrite_clip"):
        op["track_id"] = pick("track")
        op.update(media(op["track_id"]))
        if name != "append_clip":
            op["at"] = frames(0, 400)
    elif name == "add_track":
        op.update(kind=draw(st.sampled_from(["video", "audio"])))
    elif name in ("remove_track", "rename_track", "move_track"):
        op["track_id"] = pick("track")
        op.update({"rename_track": {"name": "T"}, "move_track": {"index": 0}}.get(name, {}))
    elif name in ("remove_clip", "split_clip", "slip_clip", "slide_clip", "trim_clip"):
        op["clip_id"] = pick("clip")
        if name == "remove_clip":
            op["ripple"] = draw(st.booleans())
        elif name == "split_clip":
            spans = {i.id: r for t in tl.tracks.children for i, r in item_ranges(t, rate=24)}
            span = spans.get(op["clip_id"])
            if span is not None and draw(st.integers(0, 3)) > 0:
                start = span.start_time.value
                op["at"] = rt(draw(st.integers(start, start + span.duration.value)))
            else:
                op["at"] = frames(0, 400)
        else:
            op["delta"] = frames(-60, 60)
        if name == "trim_clip":
            op.update(edge=draw(st.sampled_from(["head", "tail"])), ripple=draw(st.booleans()))
    elif name == "move_clip":
        op.update(clip_id=pick("clip"), track_id=pick("track"), at=frames(0, 400))
    elif name in ("roll_edit", "add_transition"):
        left = pick("clip")
        op["left_clip_id"] = left
        right = next_ids(tl).get(left)
        if name == "add_transition":
            op.update(right_clip_id=right or pick("clip"), duration=frames(1, 30))
            op["alignment"] = draw(st.sampled_from(["center", "start", "end"]))
        else:
            op["delta"] = frames(-60, 60)
            if right and draw(st.booleans()):
                op["right_clip_id"] = right
    elif name == "add_gap":
        op.update(track_id=pick("track"), duration=frames(1, 60))
        if draw(st.booleans()):
            op["at"] = frames(0, 400)
    elif name == "set_gap_duration":
        op.update(gap_id=pick("gap"), duration=frames(1, 60))
    elif name in ("modify_transition", "remove_transition"):
        op["transition_id"] = pick("trans")
        if name == "modify_transition":
            op["duration"] = frames(1, 30)
    elif name == "add_marker":
        target = draw(st.sampled_from(["track_id", "clip_id"]))
        op.update({target: pick(target[:-3]), "at": frames(0, 300), "name": "m"})
    elif name == "remove_marker":
        op["marker_id"] = pick("marker")
    elif name == "set_clip_properties":
        op["clip_id"] = pick("clip")
        op["speed"] = draw(st.sampled_from([0.5, 0.7, 1, 1.5, 2, 3.25]))
        op["volume"] = draw(st.floats(0, 4))
    elif name == "add_effect":
        op.update(clip_id=pick("clip"), effect_name="blur", parameters={"radius": 2})
    elif name == "remove_effect":
        op["effect_id"] = pick("fx")
    elif name == "add_title":
        op.update(track_id=pick("track"), text="Hi", at=frames(0, 300), duration=frames(1, 60))
    return op, unknown


def assert_clean(tl: Timeline) -> None:
    check_invariants(tl, ASSETS)
    assert Timeline.model_validate_json(tl.model_dump_json()) == tl
    for track in tl.tracks.children:
        kids = track.children
        for a, b in itertools.pairwise(kids):
            assert not (isinstance(a, Gap) and isinstance(b, Gap)), "adjacent gaps"
            assert not (isinstance(a, Transition) and isinstance(b, Transition))
        for item, r in item_ranges(track, rate=24):
            assert isinstance(r.start_time.value, int) and isinstance(r.duration.value, int)
            assert r.duration.value > 0 or isinstance(item, Transition)


def lengths(tl: Timeline) -> dict[str, int]:
    return {t.id: track_duration(t, rate=24).value for t in tl.tracks.children}


def clip_spans(tl: Timeline, skip: str) -> dict[str, tuple[int, int]]:
    return {
        item.id: (r.start_time.value, r.duration.value)
        for t in tl.tracks.children
        for item, r in item_ranges(t, rate=24)
        if isinstance(item, Clip) and item.id != skip
    }


def check_expectations(op: dict[str, Any], before: Timeline, after: Timeline) -> None:
    """What each op promises beyond the invariants."""
    name = op["op"]
    if name in TIME_NEUTRAL:
        assert lengths(after) == lengths(before)
    if name == "slip_clip":
        assert clip_spans(after, "") == clip_spans(before, "")
    if name == "trim_clip" and not op["ripple"]:
        assert clip_spans(after, op["clip_id"]) == clip_spans(before, op["clip_id"])
    if name in ("insert_clip", "overwrite_clip", "add_title"):
        old = lengths(before)[op["track_id"]]
        at, dur = op["at"]["value"], op.get("duration", op.get("source_range", {}).get("duration"))
        dur = dur["value"]
        expected = old + dur + max(0, at - old) if name == "insert_clip" else max(old, at + dur)
        assert lengths(after)[op["track_id"]] == expected
    if name == "move_clip":
        ranges = {i.id: r for i, r in item_ranges(next(
            t for t in after.tracks.children if t.id == op["track_id"]), rate=24)}  # fmt: skip
        assert ranges[op["clip_id"]].start_time.value == op["at"]["value"]


@PROPS
@given(st.data())
def test_random_op_sequences_keep_every_invariant(data: st.DataObject) -> None:
    tl, ctx = seeded_timeline()
    for _ in range(data.draw(st.integers(1, 20))):
        op, unknown = draw_op(data, tl)
        before = tl.model_dump()
        try:
            after = apply_op(tl, parse_op(op), ctx)
        except InvalidOp as exc:
            assert tl.model_dump() == before, "a refused op changed its input"
            assert exc.message and exc.code
            if unknown:
                assert isinstance(exc, UnknownItem), (op, exc.message)
            elif refused_by_invariants(tl, op):
                # Ops leave media bounds and transition fit to check_invariants; any other
                # broken invariant after an op is a bug in the op.
                assert exc.code in CHECKED_AFTER, (op, exc.message)
            continue
        assert not unknown, f"{op} used an unknown id but was applied"
        assert tl.model_dump() == before, "apply_op changed its input"
        assert_clean(after)
        check_expectations(op, tl, after)
        tl = after
    if not any(
        isinstance(e, LinearTimeWarp)
        for t in tl.tracks.children
        for c in t.children
        if isinstance(c, Clip)
        for e in c.effects
    ):
        theirs = otio.adapters.read_from_string(tl.model_dump_json(), "otio_json")
        assert theirs.duration().to_frames() == timeline_duration(tl).value


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_apply_ops_is_all_or_nothing(data: st.DataObject) -> None:
    tl, ctx = seeded_timeline()
    ops = [draw_op(data, tl)[0] for _ in range(data.draw(st.integers(1, 8)))]
    before = tl.model_dump()
    try:
        result = apply_ops(tl, [parse_op(o) for o in ops], ctx)
    except InvalidOp as exc:
        index = exc.details["op_index"]
        assert exc.message.startswith(f"op {index} ({ops[index]['op']}): ")
        partial = apply_ops(tl, [parse_op(o) for o in ops[:index]], ctx)
        try:
            apply_op(partial, parse_op(ops[index]), ctx)
        except InvalidOp as again:
            assert again.code == exc.code
        else:
            raise AssertionError("the op named in the error applies on its own") from None
    else:
        assert_clean(result)
    assert tl.model_dump() == before
