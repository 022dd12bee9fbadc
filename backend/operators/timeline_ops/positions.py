"""Where each child of a track starts, and its id, kept per track object and patched.

Ops ask for record positions and ids all the time (the item under a time, a transition's
cut, a clip's span, an id's index); walking a 500-item track for each made every op cost
O(track). Tracks are immutable values: an op works on a copy (`apply._clone_track`, which
inherits the original's positions through `inherit`) and changes it in a few places. So a
track's positions are computed once and then patched: children that are the very objects
seen last time keep their duration and id, only the others are measured again. Objects the
running op owns may still change in place (`core.OWNED`), so theirs are never kept.

Tracks `apply_op` tidied (`mark_tidy`) let `common_ends` bound what `normalize` must look at.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, bisect_right
from fractions import Fraction
from itertools import accumulate, compress, count, pairwise
from operator import attrgetter, is_not
from typing import Any

from models.timeline_models import Timeline, Track, Transition
from operators.timeline_ops.core import OWNED, Clock, Loc, clock_of, describe, duration, own
from operators.timeline_ops.errors import UnknownItem, WrongItemType

# Off: every question walks the whole track (the tests compare both ways).
INCREMENTAL = True
_ids_of = attrgetter("id")


class _Index(weakref.ref):  # type: ignore[type-arg]
    """A track's children as last seen (None for those that may change), their durations,
    start frames (one more: the end) and ids. `origin`: for a copy not indexed yet, the
    (unchanging) track it copies, indexed first so other copies of it reuse the work. `tidy`
    once the track is an op's finished result (see `mark_tidy`)."""

    __slots__ = ("durs", "ids", "key", "kids", "monotonic", "origin", "rate", "starts", "tidy")


_INDEX: dict[int, _Index] = {}


def _drop(entry: _Index) -> None:
    if _INDEX.get(entry.key) is entry:
        del _INDEX[entry.key]


def _entry(track: Track) -> _Index | None:
    entry = _INDEX.get(id(track))
    return entry if entry is not None and entry() is track else None


def _store(track: Track, like: _Index | None = None, **values: Any) -> _Index:
    before = _entry(track)
    entry = _Index(track, _drop)
    # Tidiness is a fact about the (finished, unchanging) track, not about this entry.
    entry.key, entry.tidy, entry.origin = id(track), before is not None and before.tidy, None
    for name in ("durs", "ids", "kids", "monotonic", "rate", "starts"):
        setattr(entry, name, values[name] if name in values else getattr(like, name))
    _INDEX[entry.key] = entry
    return entry


def _stub(track: Track) -> _Index:
    # No positions yet: a rate no clock has, so the first question computes them.
    return _store(track, kids=[], durs=[], ids=[], starts=[0], monotonic=True, rate=None)


def inherit(copy: Track, original: Track) -> None:
    """`copy` (a fresh copy of `original`'s children list) starts from `original`'s index."""
    if not INCREMENTAL:
        return
    entry = _entry(original)
    if entry is not None and entry.rate is not None:
        _store(copy, entry)
    else:
        _stub(copy).origin = weakref.ref(original)


def common_ends(old: list[Any], new: list[Any]) -> tuple[int, int]:
    """How many leading and trailing children the two lists share (the same objects)."""
    # The first index where they differ, found in C (no Python bytecode per child).
    shortest = min(len(old), len(new))
    head = next(compress(count(), map(is_not, old, new)), shortest)
    if head == shortest:
        return head, 0
    tail = next(compress(count(), map(is_not, reversed(old), reversed(new))), shortest)
    return head, min(tail, shortest - head)


def _index(track: Track, clock: Clock) -> _Index:
    kids = track.children
    entry = _entry(track) if INCREMENTAL else None
    if entry is not None and entry.rate != clock.rate_value:
        origin = entry.origin() if entry.origin is not None else None
        entry = _index(origin, clock) if origin is not None else None
    if entry is None:
        durs = [duration(child, clock) for child in kids]
        mine = OWNED.get()
        keep = [None if id(child) in mine else child for child in kids] if mine else list(kids)
        return _store(track, kids=keep, durs=durs, ids=list(map(_ids_of, kids)),
                      starts=list(accumulate(durs, initial=0)),
                      monotonic=min(durs, default=0) >= 0, rate=clock.rate_value)  # fmt: skip
    old = entry.kids
    # List equality tries identity first, in C: the quick way to see nothing changed (an
    # equal but different child has the same duration and id, so the entry holds too).
    if len(old) == len(kids) and old == kids:
        return entry if entry() is track else _store(track, entry)
    head, tail = common_ends(old, kids)
    rest, changed = len(old) - tail, kids[head : len(kids) - tail]
    durs = [duration(child, clock) for child in changed]
    mine = OWNED.get()
    keep, all_durs, ids = old.copy(), entry.durs.copy(), entry.ids.copy()
    keep[head:rest] = (
        [None if id(child) in mine else child for child in changed] if mine else changed
    )
    all_durs[head:rest] = durs
    ids[head:rest] = map(_ids_of, changed)
    return _store(
        track,
        kids=keep,
        durs=all_durs,
        ids=ids,
        starts=entry.starts[:head] + list(accumulate(all_durs[head:], initial=entry.starts[head])),
        # Conservative: a negative duration that went away still counts.
        monotonic=entry.monotonic and min(durs, default=0) >= 0,
        rate=clock.rate_value,
    )


def starts(track: Track, clock: Clock) -> list[Fraction]:
    """Record frame where each child starts, then where the track ends (len(children) + 1)."""
    return _index(track, clock).starts


def spans(track: Track, clock: Clock) -> list[tuple[Fraction, Fraction]]:
    """(start, end) record frames of each child; a transition gets (cut, cut)."""
    at = starts(track, clock)
    return list(pairwise(at))


def span(track: Track, index: int, clock: Clock) -> tuple[Fraction, Fraction]:
    """(start, end) record frames of one child."""
    at = starts(track, clock)
    return at[index], at[index + 1]


def track_length(track: Track, clock: Clock) -> Fraction:
    """The track's duration in frames."""
    return starts(track, clock)[-1]


def index_of(track: Track, item_id: str, clock: Clock) -> int | None:
    """Index of the child with this id, if any."""
    ids = _index(track, clock).ids
    try:
        return ids.index(item_id)
    except ValueError:
        return None


def locate(timeline: Timeline, item_id: str, kinds: tuple[type, ...], what: str = "clip") -> Loc:
    """Find a track child by id, owned by the op; UnknownItem if absent, WrongItemType if not
    one of `kinds`."""
    clock = clock_of(timeline)
    for track in timeline.tracks.children:
        index = index_of(track, item_id, clock)
        if index is None:
            continue
        child = track.children[index]
        if not isinstance(child, kinds):
            raise WrongItemType(
                f"{describe(child)} is not a {what}", item_id=item_id, expected=what
            )
        return Loc(track, index, own(track, index))
    raise UnknownItem(f"no {what} with id {item_id!r} in this timeline", item_id=item_id)


def first_at(track: Track, t: Fraction, clock: Clock) -> int:
    """Index of the first child that is not a transition and ends after `t` or starts at or
    after it (len(children) if none): the child an edit at `t` meets."""
    entry = _index(track, clock)
    kids, at = track.children, entry.starts
    first = 0
    if entry.monotonic:
        # Before it, every child ends at or before t and starts before it.
        first = max(min(bisect_left(at, t), bisect_right(at, t) - 1), 0)
    for i in range(first, len(kids)):
        if not isinstance(kids[i], Transition) and (t <= at[i] or t < at[i + 1]):
            return i
    return len(kids)


def transitions(track: Track) -> list[int]:
    """Indexes of the track's transitions."""
    kinds = list(map(type, track.children))
    found, i = [], -1
    while True:
        try:
            i = kinds.index(Transition, i + 1)
        except ValueError:
            return found
        found.append(i)


def mark_tidy(track: Track) -> None:
    """`track` is as `normalize` left it, and done changing (an op's result, or a snapshot of
    one)."""
    entry = _entry(track) or _stub(track)
    entry.tidy = True


def is_tidy(track: Track) -> bool:
    """True when `normalize` has nothing to do on `track` outside what an op changed."""
    entry = _entry(track)
    return entry is not None and entry.tidy and INCREMENTAL
