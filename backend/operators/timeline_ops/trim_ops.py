"""Ops that move edit points: trim, split (razor), slip, slide and roll."""

from __future__ import annotations

from fractions import Fraction

from models.timeline_models import Clip, Gap, Timeline, Track, clip_speed
from operators.timeline_ops import op_models as m
from operators.timeline_ops.core import (
    Clock,
    Edge,
    EditContext,
    Item,
    describe,
    duration,
    edge_transition,
    new_gap,
    next_item,
    own,
    prev_item,
    set_source,
    source,
)
from operators.timeline_ops.errors import (
    InvalidTime,
    NonPositiveDuration,
    NoRoom,
    NotAdjacent,
    SourceRangeOutOfBounds,
)
from operators.timeline_ops.invariants import media_length
from operators.timeline_ops.positions import locate, span
from operators.timeline_ops.track_edit import resize, split_item


def _grow(item: Item, edge: Edge, amount: Fraction, clock: Clock) -> None:
    resize(item, edge, duration(item, clock) + amount, clock)


def _shrink(item: Item, edge: Edge, amount: Fraction, clock: Clock, why: str) -> None:
    # A gap may shrink to nothing (it disappears); a clip must keep at least a frame.
    left = duration(item, clock) - amount
    if left < 0 or (left == 0 and not isinstance(item, Gap)):
        raise NonPositiveDuration(
            f"{why}: {describe(item)} is only {clock.fmt(duration(item, clock))} long",
            item_id=item.id,
        )
    if isinstance(item, Gap):
        set_source(item, clock, Fraction(0), left)
    else:
        resize(item, edge, left, clock)


def trim_clip(tl: Timeline, op: m.TrimClip, ctx: EditContext, clock: Clock) -> None:
    """Move a clip's head or tail; without ripple a neighbouring gap takes up the change."""
    loc = locate(tl, op.clip_id, (Clip,), "clip")
    track, i, clip = loc.track, loc.index, loc.item
    delta = Fraction(clock.whole(op.delta))
    if delta == 0:
        return
    old = duration(clip, clock)
    new = old - delta if op.edge == "head" else old + delta
    if new <= 0:
        raise NonPositiveDuration(
            f"trimming the {op.edge} of {describe(clip)} by {clock.fmt(delta)} would leave "
            f"it {clock.fmt(new)} long",
            item_id=clip.id,
        )
    if op.ripple:
        resize(clip, op.edge, new, clock)
    elif new < old:
        _open_hole(track, i, op.edge, old - new, ctx, clock)
        resize(clip, op.edge, new, clock)
    else:
        _take_room(track, i, op.edge, new - old, clock)
        resize(clip, op.edge, new, clock)


def _open_hole(
    track: Track, i: int, edge: Edge, hole: Fraction, ctx: EditContext, clock: Clock
) -> None:
    # The clip no longer meets its neighbour on that side, so a transition there goes.
    trans = edge_transition(track, i, edge)
    if trans is not None:
        del track.children[trans]
        if edge == "head":
            i -= 1
    if edge == "head":
        track.children.insert(i, new_gap(ctx, clock, hole))
    elif next_item(track, i) is not None:
        track.children.insert(i + 1, new_gap(ctx, clock, hole))


def _take_room(track: Track, i: int, edge: Edge, grow: Fraction, clock: Clock) -> None:
    clip = track.children[i]
    j = prev_item(track, i) if edge == "head" else next_item(track, i)
    if j is None:
        if edge == "head":
            raise NoRoom(
                f"{describe(clip)} starts at 0 s, so its head can only be extended with ripple",
                item_id=clip.id,
            )
        return  # the last item's tail may grow the track
    neighbour = track.children[j]
    side = "before" if edge == "head" else "after"
    if not isinstance(neighbour, Gap):
        raise NoRoom(
            f"{describe(clip)} can't grow {clock.fmt(grow)} at its {edge}: the item {side} it "
            f"is {describe(neighbour)}, not a gap (use ripple, or make room first)",
            item_id=clip.id,
        )
    if duration(neighbour, clock) < grow:
        raise NoRoom(
            f"{describe(clip)} can't grow {clock.fmt(grow)} at its {edge}: there is only "
            f"{clock.fmt(duration(neighbour, clock))} of gap {side} it (use ripple, or make "
            "room first)",
            item_id=clip.id,
        )
    set_source(own(track, j), clock, Fraction(0), duration(neighbour, clock) - grow)


def split_clip(tl: Timeline, op: m.SplitClip, ctx: EditContext, clock: Clock) -> None:
    """Razor a clip at a record time strictly inside it (the right half gets a new id)."""
    loc = locate(tl, op.clip_id, (Clip,), "clip")
    track, i, clip = loc.track, loc.index, loc.item
    t = clock.whole(op.at)
    start, end = span(track, i, clock)
    if not start < t < end:
        raise InvalidTime(
            f"split point {clock.fmt(t)} is not inside {describe(clip)}, which spans "
            f"{clock.fmt(start)}-{clock.fmt(end)}",
            item_id=clip.id,
        )
    head, tail = edge_transition(track, i, "head"), edge_transition(track, i, "tail")
    if (head is not None and t < start + clock.exact(track.children[head].out_offset)) or (
        tail is not None and t > end - clock.exact(track.children[tail].in_offset)
    ):
        raise InvalidTime(
            f"split point {clock.fmt(t)} falls inside a transition of {describe(clip)}; "
            "remove or shorten the transition first",
            item_id=clip.id,
        )
    track.children[i : i + 1] = list(split_item(clip, t - start, clock, ctx))


def slip_clip(tl: Timeline, op: m.SlipClip, ctx: EditContext, clock: Clock) -> None:
    """Shift the media window under a clip; its place on the track stays."""
    loc = locate(tl, op.clip_id, (Clip,), "clip")
    clip = loc.item
    start, length = source(clip, clock)
    new_start = start + clock.whole(op.delta) * clip_speed(clip)
    available = media_length(clip, ctx.assets, clock)
    if new_start < 0 or (available is not None and new_start + length > available):
        side = "before the start" if new_start < 0 else "past the end"
        raise SourceRangeOutOfBounds(
            f"slipping {describe(clip)} by {clock.fmt(clock.whole(op.delta))} would read "
            f"{side} of its media ({clock.fmt(new_start)}-{clock.fmt(new_start + length)})",
            item_id=clip.id,
        )
    set_source(clip, clock, new_start, length)


def slide_clip(tl: Timeline, op: m.SlideClip, ctx: EditContext, clock: Clock) -> None:
    """Move a clip along its track; the neighbours' facing edges trim to compensate."""
    loc = locate(tl, op.clip_id, (Clip,), "clip")
    track, i, clip = loc.track, loc.index, loc.item
    delta = Fraction(clock.whole(op.delta))
    if delta == 0:
        return
    p, n = prev_item(track, i), next_item(track, i)
    why = f"sliding {describe(clip)} by {clock.fmt(delta)}"
    if delta > 0:
        if n is not None:
            _shrink(own(track, n), "head", delta, clock, why)
        if p is None:
            track.children.insert(i, new_gap(ctx, clock, delta))
        else:
            _grow(own(track, p), "tail", delta, clock)
    else:
        if p is None:
            raise InvalidTime(
                f"{describe(clip)} is at the start of its track and can't slide earlier",
                item_id=clip.id,
            )
        _shrink(own(track, p), "tail", -delta, clock, why)
        if n is not None:
            _grow(own(track, n), "head", -delta, clock)


def roll_edit(tl: Timeline, op: m.RollEdit, ctx: EditContext, clock: Clock) -> None:
    """Move the cut after an item; the two sides trim against each other, total unchanged."""
    loc = locate(tl, op.left_clip_id, (Clip, Gap), "clip or gap")
    track, i, left = loc.track, loc.index, loc.item
    n = next_item(track, i)
    if op.right_clip_id is not None and (n is None or track.children[n].id != op.right_clip_id):
        other = locate(tl, op.right_clip_id, (Clip, Gap), "clip or gap").item
        raise NotAdjacent(
            f"{describe(other)} does not directly follow {describe(left)}", item_id=other.id
        )
    if n is None:
        raise NotAdjacent(
            f"{describe(left)} is the last item on its track; there is no cut after it",
            item_id=left.id,
        )
    right = own(track, n)
    delta = Fraction(clock.whole(op.delta))
    why = f"rolling the cut after {describe(left)} by {clock.fmt(delta)}"
    if delta > 0:
        _shrink(right, "head", delta, clock, why)
        _grow(left, "tail", delta, clock)
    elif delta < 0:
        _shrink(left, "tail", -delta, clock, why)
        _grow(right, "head", -delta, clock)
