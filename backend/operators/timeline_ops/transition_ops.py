"""Ops on transitions: add, modify, remove (OTIO semantics: they take no track time)."""

from __future__ import annotations

from fractions import Fraction

from models.timeline_models import Clip, Timeline, Transition
from operators.timeline_ops import op_models as m
from operators.timeline_ops.clip_ops import positive
from operators.timeline_ops.core import Clock, EditContext, describe
from operators.timeline_ops.errors import TransitionPlacement
from operators.timeline_ops.positions import locate

_TYPES = {"dissolve": "SMPTE_Dissolve"}


def _offsets(length: int, alignment: m.Alignment) -> tuple[int, int]:
    """(in_offset, out_offset): how far the transition reaches before and after the cut."""
    if alignment == "start":
        return 0, length
    if alignment == "end":
        return length, 0
    return length // 2, length - length // 2


def add_transition(tl: Timeline, op: m.AddTransition, ctx: EditContext, clock: Clock) -> None:
    """Put a transition on the cut between two adjacent clips of one track."""
    left = locate(tl, op.left_clip_id, (Clip,), "clip")
    right = locate(tl, op.right_clip_id, (Clip,), "clip")
    pair = f"{describe(left.item)} and {describe(right.item)}"
    if left.track is not right.track:
        raise TransitionPlacement(f"{pair} are on different tracks", item_id=right.item.id)
    kids = left.track.children
    if right.index == left.index + 2 and isinstance(kids[left.index + 1], Transition):
        raise TransitionPlacement(f"there is already a transition between {pair}")
    if right.index != left.index + 1:
        raise TransitionPlacement(
            f"{pair} are not adjacent: a transition goes on the cut where the first clip ends "
            "and the second begins",
            item_id=right.item.id,
        )
    t_in, t_out = _offsets(positive(op.duration, clock, "the transition's duration"), op.alignment)
    kids.insert(
        right.index,
        Transition(
            id=ctx.new_id(),
            name=op.name,
            transition_type=_TYPES.get(op.kind, op.kind),
            in_offset=clock.rt(t_in),
            out_offset=clock.rt(t_out),
        ),
    )


def modify_transition(tl: Timeline, op: m.ModifyTransition, ctx: EditContext, clock: Clock) -> None:
    """Change a transition's duration, alignment or kind."""
    trans = locate(tl, op.transition_id, (Transition,), "transition").item
    t_in, t_out = clock.exact(trans.in_offset), clock.exact(trans.out_offset)
    length = t_in + t_out
    if op.duration is not None:
        length = Fraction(positive(op.duration, clock, "the transition's duration"))
    alignment: m.Alignment = op.alignment or (
        "start" if t_in == 0 else "end" if t_out == 0 else "center"
    )
    if op.duration is not None or op.alignment is not None:
        new_in, new_out = _offsets(int(length), alignment)
        trans.in_offset, trans.out_offset = clock.rt(new_in), clock.rt(new_out)
    if op.kind is not None:
        trans.transition_type = _TYPES.get(op.kind, op.kind)


def remove_transition(tl: Timeline, op: m.RemoveTransition, ctx: EditContext, clock: Clock) -> None:
    """Take a transition off its cut (a plain cut remains)."""
    loc = locate(tl, op.transition_id, (Transition,), "transition")
    del loc.track.children[loc.index]
