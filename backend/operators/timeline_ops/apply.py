"""Running ops: copy, edit, tidy, check; and read-only questions about durations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import is_
from typing import Any

from models.timeline_models import (
    Clip,
    ExternalReference,
    RationalTime,
    Stack,
    Timeline,
    TimeRange,
    Track,
    Transition,
)
from operators.timeline_ops import clip_ops, misc_ops, transition_ops, trim_ops
from operators.timeline_ops import op_models as m
from operators.timeline_ops.core import (
    OWNED,
    Clock,
    EditContext,
    Item,
    clock_of,
    clone_metadata,
    duration,
)
from operators.timeline_ops.errors import InvalidOp
from operators.timeline_ops.invariants import check_invariants
from operators.timeline_ops.positions import inherit, mark_tidy, spans
from operators.timeline_ops.track_edit import normalize

Handler = Callable[[Timeline, Any, EditContext, Clock], None]
HANDLERS: dict[type, Handler] = {
    m.AddTrack: misc_ops.add_track,
    m.RemoveTrack: misc_ops.remove_track,
    m.RenameTrack: misc_ops.rename_track,
    m.MoveTrack: misc_ops.move_track,
    m.AppendClip: clip_ops.append_clip,
    m.InsertClip: clip_ops.insert_clip,
    m.OverwriteClip: clip_ops.overwrite_clip,
    m.RemoveClip: clip_ops.remove_clip,
    m.MoveClip: clip_ops.move_clip,
    m.TrimClip: trim_ops.trim_clip,
    m.SplitClip: trim_ops.split_clip,
    m.SlipClip: trim_ops.slip_clip,
    m.SlideClip: trim_ops.slide_clip,
    m.RollEdit: trim_ops.roll_edit,
    m.AddGap: clip_ops.add_gap,
    m.SetGapDuration: clip_ops.set_gap_duration,
    m.AddTransition: transition_ops.add_transition,
    m.ModifyTransition: transition_ops.modify_transition,
    m.RemoveTransition: transition_ops.remove_transition,
    m.AddMarker: misc_ops.add_marker,
    m.RemoveMarker: misc_ops.remove_marker,
    m.SetClipProperties: misc_ops.set_clip_properties,
    m.AddEffect: misc_ops.add_effect,
    m.RemoveEffect: misc_ops.remove_effect,
    m.AddTitle: clip_ops.add_title,
}


def apply_op(
    timeline: Timeline, op: m.Op | Mapping[str, Any], ctx: EditContext, *, verify: bool = True
) -> Timeline:
    """A new timeline with `op` applied and every invariant checked; the input is untouched.

    The result shares every item the op did not change with the input (ops copy an item
    before changing it, see `core.own`), so an edit costs little on a 2,000-clip timeline.
    `verify=False` skips the invariant checks, for replaying edits that passed them before.
    """
    if isinstance(op, Mapping):
        op = m.parse_op(dict(op))
    stack = timeline.tracks
    clones = [_clone_track(t) for t in stack.children]
    origin = {id(clone): track for clone, track in zip(clones, stack.children, strict=True)}
    result = timeline.model_copy(
        update={
            "tracks": stack.model_copy(
                update={
                    "children": clones,
                    "markers": list(stack.markers),
                    "effects": list(stack.effects),
                    "metadata": clone_metadata(stack.metadata),
                }
            )
        }
    )
    clock = clock_of(result)
    changed: list[tuple[Track, Track | None]] = []
    token = OWNED.set({})
    try:
        HANDLERS[type(op)](result, op, ctx, clock)
        tracks = result.tracks.children
        for i, track in enumerate(tracks):
            before = origin.get(id(track))
            if before is not None and _same(before, track):
                tracks[i] = before  # untouched: share the whole track
            else:
                normalize(track, clock, before)
                changed.append((track, before))
    finally:
        OWNED.reset(token)
    for track, _ in changed:
        mark_tidy(track)
    if verify:
        check_invariants(result, ctx.assets, changed)
    return result


def _clone_track(track: Track) -> Track:
    # Shallow: the items stay shared until an op owns one (core.own).
    copy = track.model_copy(
        update={
            "children": list(track.children),
            "markers": list(track.markers),
            "effects": list(track.effects),
            "metadata": clone_metadata(track.metadata),
        }
    )
    inherit(copy, track)
    return copy


def _identical(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(map(is_, a, b))


def _same(before: Track, after: Track) -> bool:
    """True when the op left the track's copy as it was."""
    return (
        _identical(before.children, after.children)
        and _identical(before.markers, after.markers)
        and _identical(before.effects, after.effects)
        and before.name == after.name
        and before.kind == after.kind
        and before.enabled == after.enabled
        and before.metadata == after.metadata
    )


def apply_ops(
    timeline: Timeline,
    ops: Sequence[m.Op | Mapping[str, Any]],
    ctx: EditContext,
    *,
    verify: bool = True,
) -> Timeline:
    """Apply ops in order, all or nothing; an error says which op (0-based) failed."""
    result = timeline
    for index, op in enumerate(ops):
        try:
            result = apply_op(result, op, ctx, verify=verify)
        except InvalidOp as exc:
            name = op.get("op") if isinstance(op, Mapping) else op.op
            details = {k: v for k, v in exc.details.items() if k != "op_index"}
            error = type(exc)(f"op {index} ({name}): {exc.message}", code=exc.code, **details)
            error.details["op_index"] = index
            raise error from exc
    return result


def _infer_rate(track: Track) -> float | int:
    for child in track.children:
        if isinstance(child, Transition):
            return child.in_offset.rate
        if isinstance(child, Stack):
            continue
        return child.source_range.duration.rate
    return 24


def track_duration(track: Track, rate: float | int | None = None) -> RationalTime:
    """The track's length (at `rate`, by default its items' rate); transitions add nothing."""
    clock = Clock(rate if rate is not None else _infer_rate(track))
    return clock.rt(sum((duration(c, clock) for c in track.children), 0))


def timeline_duration(timeline: Timeline) -> RationalTime:
    """The longest track's length, at the timeline's rate."""
    clock = clock_of(timeline)
    lengths = [clock.exact(track_duration(t, clock.rate_value)) for t in timeline.tracks.children]
    return clock.rt(max(lengths, default=0))


def item_ranges(track: Track, rate: float | int | None = None) -> list[tuple[Item, TimeRange]]:
    """Each child's record range; a transition's is its overlap (cut - in_offset, in + out)."""
    clock = Clock(rate if rate is not None else _infer_rate(track))
    out: list[tuple[Item, TimeRange]] = []
    for child, (start, end) in zip(track.children, spans(track, clock), strict=True):
        if isinstance(child, Transition):
            t_in, t_out = clock.exact(child.in_offset), clock.exact(child.out_offset)
            out.append((child, clock.range(start - t_in, t_in + t_out)))
        else:
            out.append((child, clock.range(start, end - start)))
    return out


def referenced_asset_ids(timeline: Timeline) -> set[str]:
    """Ids of every asset the timeline's clips use (what to load into EditContext.assets)."""
    found: set[str] = set()

    def visit(stack: Stack) -> None:
        for track in stack.children:
            for child in track.children:
                if isinstance(child, Stack):
                    visit(child)
                elif isinstance(child, Clip) and isinstance(
                    child.media_reference, ExternalReference
                ):
                    found.add(child.media_reference.asset_id)

    visit(timeline.tracks)
    return found
