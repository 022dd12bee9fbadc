"""Shared pieces of the editor: what the caller supplies, exact frame arithmetic, look-ups.

Internally every time is an exact `Fraction` of frames at the timeline's rate; record times
are whole frames, a retimed clip's source times may carry a (short, decimal) fraction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from models.timeline_models import (
    VEDIT_KEY,
    Clip,
    Gap,
    Marker,
    RationalTime,
    Stack,
    Timeline,
    TimeRange,
    Track,
    Transition,
    clip_speed,
    fraction_number,
    number_fraction,
    rate_fraction,
    round_half_up,
)
from operators.timeline_ops.errors import UnknownItem

Item = Clip | Gap | Transition | Stack
Edge = Literal["head", "tail"]


def _uuid4() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class AssetInfo:
    """What the editor knows of an asset; `duration` None means a still (any length)."""

    asset_id: str
    kind: Literal["video", "audio", "image"]
    duration: RationalTime | None
    rate: Fraction | float | int | None
    has_video: bool
    has_audio: bool
    name: str = ""


@dataclass(frozen=True)
class EditContext:
    """Passed to every op: the assets it may reference and the id generator for new objects."""

    assets: Mapping[str, AssetInfo]
    new_id: Callable[[], str] = field(default_factory=lambda: _uuid4)


class Clock:
    """Converts between RationalTime and exact frames at one timeline's rate."""

    def __init__(self, rate: float | int) -> None:
        self.rate_value = rate
        self.rate = rate_fraction(rate)

    def exact(self, t: RationalTime) -> Fraction:
        """`t` in frames at this rate, exactly."""
        if t.rate == self.rate_value:
            # Plain ints for whole frames: exact too, and far cheaper than Fraction on long
            # tracks (callers mix them with Fractions freely).
            value = t.value
            return value if type(value) is int else number_fraction(value)  # type: ignore[return-value]
        return number_fraction(t.value) * self.rate / rate_fraction(t.rate)

    def whole(self, t: RationalTime) -> int:
        """`t` snapped to the nearest whole frame (how op inputs are read)."""
        return round_half_up(self.exact(t))

    def rt(self, frames: Fraction | int) -> RationalTime:
        """Frames as a RationalTime at this rate."""
        return RationalTime(value=fraction_number(Fraction(frames)), rate=self.rate_value)

    def range(self, start: Fraction | int, duration: Fraction | int) -> TimeRange:
        """A TimeRange at this rate."""
        return TimeRange(start_time=self.rt(start), duration=self.rt(duration))

    def fmt(self, frames: Fraction | int) -> str:
        """Frames as seconds for a message: '2 s', '0.5 s', '1.042 s'."""
        seconds = Fraction(frames) / self.rate
        text = f"{float(seconds):.3f}".rstrip("0").rstrip(".")
        return f"{text} s"


@lru_cache(maxsize=32, typed=True)
def _clock(rate: float | int) -> Clock:
    return Clock(rate)


def clock_of(timeline: Timeline) -> Clock:
    """The clock of a timeline's rate (shared: a Clock never changes)."""
    return _clock(timeline.settings.rate)


def describe(item: Item | Track | Marker) -> str:
    """A short reference to an object for messages: 'clip "Beach" (3f2a9c1e)'."""
    kind = {
        Clip: "clip",
        Gap: "gap",
        Transition: "transition",
        Stack: "stack",
        Track: "track",
        Marker: "marker",
    }[type(item)]
    short = (item.id or "")[:8]
    return f'{kind} "{item.name}" ({short})' if item.name else f"{kind} {short}"


def source(item: Clip | Gap, clock: Clock) -> tuple[Fraction, Fraction]:
    """(start, duration) of the item's source range, in frames."""
    return clock.exact(item.source_range.start_time), clock.exact(item.source_range.duration)


def set_source(item: Clip | Gap, clock: Clock, start: Fraction, duration: Fraction) -> None:
    """Replace the item's source range."""
    item.source_range = clock.range(start, duration)


def duration(item: Item, clock: Clock) -> Fraction:
    """How long the item lasts on its track, in frames (a transition takes no time)."""
    kind = type(item)
    if kind is Gap or (kind is Clip and not item.effects):  # most items: the fast way
        return clock.exact(item.source_range.duration)
    if isinstance(item, Transition):
        return 0  # type: ignore[return-value]
    if isinstance(item, Stack):
        if item.source_range is not None:
            return clock.exact(item.source_range.duration)
        lengths = (sum((duration(c, clock) for c in t.children), 0) for t in item.children)
        return max(lengths, default=Fraction(0))  # type: ignore[type-var]
    length = clock.exact(item.source_range.duration)
    if isinstance(item, Clip) and item.effects:
        return length / clip_speed(item)
    return length


def new_gap(ctx: EditContext, clock: Clock, length: Fraction | int) -> Gap:
    """A fresh gap of `length` frames."""
    return Gap(id=ctx.new_id(), source_range=clock.range(0, length))


# Objects the running op made or copied (by id, kept alive): only these may change in place.
# Everything else is shared with the timeline the op started from.
OWNED: ContextVar[dict[int, object] | None] = ContextVar("timeline_owned", default=None)


def clone_metadata(metadata: dict) -> dict:
    """A copy deep enough for ops, which change only our own `vedit` keys in place."""
    out = dict(metadata)
    ours = out.get(VEDIT_KEY)
    if isinstance(ours, dict):
        out[VEDIT_KEY] = dict(ours)
    return out


def clone_item(item: Item) -> Item:
    """A copy an op may change: its lists and metadata are new, times and ranges shared
    (ops replace those, never change them in place)."""
    if isinstance(item, Stack):
        return item.model_copy(deep=True)
    if isinstance(item, Transition):
        return item.model_copy(update={"metadata": clone_metadata(item.metadata)})
    return item.model_copy(
        update={
            "markers": list(item.markers),
            "effects": list(item.effects),
            "metadata": clone_metadata(item.metadata),
        }
    )


def owned(item: Item) -> Item:
    """`item` if the running op may change it, else a copy it may (put it in place yourself)."""
    mine = OWNED.get()
    if mine is None or id(item) in mine:
        return item
    copy = clone_item(item)
    mine[id(copy)] = copy
    return copy


def own(track: Track, index: int) -> Item:
    """The track's child at `index`, ready to change: copied first unless the op owns it."""
    item = owned(track.children[index])
    track.children[index] = item
    return item


def find_track(timeline: Timeline, track_id: str) -> Track:
    """The track with this id, or UnknownItem."""
    for track in timeline.tracks.children:
        if track.id == track_id:
            return track
    raise UnknownItem(f"no track with id {track_id!r} in this timeline", item_id=track_id)


@dataclass
class Loc:
    track: Track
    index: int
    item: Item


def prev_item(track: Track, index: int) -> int | None:
    """Index of the nearest non-transition child before `index`."""
    for i in range(index - 1, -1, -1):
        if not isinstance(track.children[i], Transition):
            return i
    return None


def next_item(track: Track, index: int) -> int | None:
    """Index of the nearest non-transition child after `index`."""
    for i in range(index + 1, len(track.children)):
        if not isinstance(track.children[i], Transition):
            return i
    return None


def edge_transition(track: Track, index: int, edge: Edge) -> int | None:
    """Index of the transition touching the child's head or tail, if any."""
    i = index - 1 if edge == "head" else index + 1
    if 0 <= i < len(track.children) and isinstance(track.children[i], Transition):
        return i
    return None


def stack_marker_lists(stack: Stack) -> Iterator[list[Marker]]:
    """Every marker list under a stack: its own, its tracks', their items' (nested too)."""
    yield stack.markers
    for track in stack.children:
        yield track.markers
        for child in track.children:
            if isinstance(child, Stack):
                yield from stack_marker_lists(child)
            elif not isinstance(child, Transition):
                yield child.markers
