"""Structural edits on one track's children, in place on a copy owned by the running op.

Record positions are implicit (each item starts where the previous one ends), so changing an
item's duration ripples everything after it; edits that must hold later items still put a gap
in the hole.
"""

from __future__ import annotations

from fractions import Fraction

from models.timeline_models import (
    VEDIT_KEY,
    Clip,
    Gap,
    RationalTime,
    Stack,
    Track,
    Transition,
    clip_speed,
)
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
    owned,
    set_source,
    source,
)
from operators.timeline_ops.errors import InvalidTime, WrongItemType
from operators.timeline_ops.positions import (
    common_ends,
    first_at,
    is_tidy,
    starts,
    track_length,
    transitions,
)


def split_item(item: Item, offset: Fraction, clock: Clock, ctx: EditContext) -> tuple[Item, Item]:
    """Cut an item `offset` frames into it: the left half keeps the id, the right gets a new one."""
    if isinstance(item, Stack | Transition):
        raise InvalidTime(f"can't cut inside {describe(item)}", item_id=item.id)
    start, src_len = source(item, clock)
    speed = clip_speed(item) if isinstance(item, Clip) else Fraction(1)
    left_len = offset * speed
    right = item.model_copy(deep=True)
    right.id = ctx.new_id()
    set_source(item, clock, start, left_len)
    # A gap's source range is only a length: both halves start at 0.
    right_start = start + left_len if isinstance(item, Clip) else Fraction(0)
    set_source(right, clock, right_start, src_len - left_len)
    for effect in right.effects:
        effect.id = ctx.new_id()
    # Markers sit in the item's source time: each goes to the half holding its start.
    cut = start + left_len
    keep = [m for m in item.markers if clock.exact(m.marked_range.start_time) < cut]
    right.markers = [m for m in item.markers if clock.exact(m.marked_range.start_time) >= cut]
    item.markers = keep
    if isinstance(item, Clip):
        item.metadata.get(VEDIT_KEY, {}).pop("fade_out", None)
        right.metadata.get(VEDIT_KEY, {}).pop("fade_in", None)
    return item, right


def split_at(
    track: Track, t: Fraction, clock: Clock, ctx: EditContext, *, keep_right: bool = False
) -> int:
    """Make an item boundary at record time `t`; return the index of the first child after it.

    The half that keeps the item's id is the left one, or the right one with `keep_right`
    (used where the left half is about to be overwritten, so the survivor keeps the id).
    """
    i = first_at(track, t, clock)
    if i == len(track.children):
        return i
    start = starts(track, clock)[i]
    if t <= start:
        return i
    left, right = split_item(own(track, i), t - start, clock, ctx)
    if keep_right:
        left.id, right.id = right.id, left.id
        # New effect objects: the left half's may be shared with the previous version.
        pairs = list(zip(left.effects, right.effects, strict=True))
        left.effects = [a.model_copy(update={"id": b.id}) for a, b in pairs]
        right.effects = [b.model_copy(update={"id": a.id}) for a, b in pairs]
    track.children[i : i + 1] = [left, right]
    return i + 1


def drop_transitions(track: Track, clock: Clock, start: Fraction, end: Fraction) -> None:
    """Remove transitions whose cut lies in [start, end] or whose overlap meets (start, end)."""
    at = starts(track, clock)
    for i in reversed(transitions(track)):
        child, cut = track.children[i], at[i]
        lo = cut - clock.exact(child.in_offset)
        hi = cut + clock.exact(child.out_offset)
        if start <= cut <= end or (lo < start < hi if start == end else lo < end and start < hi):
            del track.children[i]


def pad_to(track: Track, t: Fraction, clock: Clock, ctx: EditContext) -> None:
    """Append a gap so the track reaches `t`."""
    end = track_length(track, clock)
    if t > end:
        track.children.append(new_gap(ctx, clock, t - end))


def insert_items(
    track: Track, t: Fraction, items: list[Item], clock: Clock, ctx: EditContext
) -> None:
    """Ripple-insert at `t`: split what is under it, shift later items right."""
    pad_to(track, t, clock, ctx)
    drop_transitions(track, clock, t, t)
    index = split_at(track, t, clock, ctx)
    track.children[index:index] = items


def overwrite_items(
    track: Track, t: Fraction, length: Fraction, items: list[Item], clock: Clock, ctx: EditContext
) -> None:
    """Replace whatever lies under [t, t+length) by `items`; the track grows only if needed."""
    pad_to(track, t, clock, ctx)
    drop_transitions(track, clock, t, t + length)
    first = split_at(track, t, clock, ctx)
    last = split_at(track, t + length, clock, ctx, keep_right=True)
    track.children[first:last] = items


def detach_transitions(track: Track, index: int) -> int:
    """Remove the transitions on both edges of a child; return the child's new index."""
    tail = edge_transition(track, index, "tail")
    if tail is not None:
        del track.children[tail]
    head = edge_transition(track, index, "head")
    if head is not None:
        del track.children[head]
        index -= 1
    return index


def lift(track: Track, index: int, clock: Clock, ctx: EditContext) -> Item:
    """Take a child out, leaving a gap to hold later items (none after the last item)."""
    index = detach_transitions(track, index)
    item = track.children[index]
    if next_item(track, index) is None:
        del track.children[index]
    else:
        track.children[index] = new_gap(ctx, clock, duration(item, clock))
    return item


def resize(item: Item, edge: Edge, new_length: Fraction, clock: Clock) -> None:
    """Give an item a new record duration by moving its head or tail edge."""
    if not isinstance(item, Clip | Gap):
        raise WrongItemType(f"{describe(item)} can't be trimmed", item_id=item.id)
    if isinstance(item, Gap):
        set_source(item, clock, Fraction(0), new_length)
        return
    start, src_len = source(item, clock)
    speed = clip_speed(item)
    new_src = new_length * speed
    if edge == "head":
        start += src_len - new_src
    set_source(item, clock, start, new_src)


def normalize(track: Track, clock: Clock, before: Track | None = None) -> None:
    """Drop empty gaps, merge neighbouring gaps, clamp fades to their clip's duration.

    `before`: the track an op started from. When it was tidy, only what the op changed (and
    the first child after it, which may be a gap to merge) can need tidying.
    """
    kids: list[Item] = []
    todo = track.children
    rest: list[Item] = []
    if before is not None and is_tidy(before):
        head, tail = common_ends(before.children, todo)
        cut = len(todo) - tail + 1 if tail else len(todo)
        kids, todo, rest = todo[:head], todo[head:cut], todo[cut:]
    for child in todo:
        if isinstance(child, Gap):
            length = duration(child, clock)
            if length <= 0:
                continue
            if kids and isinstance(kids[-1], Gap):
                prev = kids[-1] = owned(kids[-1])
                set_source(prev, clock, Fraction(0), duration(prev, clock) + length)
                prev.markers.extend(child.markers)
                continue
        if isinstance(child, Clip):
            child = _clamp_fades(child, clock)
        kids.append(child)
    track.children = kids + rest if rest else kids


def _clamp_fades(clip: Clip, clock: Clock) -> Clip:
    """The clip, or an owned copy with fades cut to its length where they are longer."""
    props = clip.metadata.get(VEDIT_KEY)
    if not isinstance(props, dict) or not ({"fade_in", "fade_out"} & props.keys()):
        return clip
    length = duration(clip, clock)
    for key in ("fade_in", "fade_out"):
        fade = props.get(key)
        if isinstance(fade, dict) and "value" in fade and "rate" in fade:
            try:
                frames = clock.exact(RationalTime.model_validate(fade))
            except ValueError:
                continue  # malformed: check_invariants reports it
            if frames > length:
                clip = owned(clip)
                props = clip.metadata[VEDIT_KEY]
                props[key] = clock.rt(length).model_dump()
    return clip
