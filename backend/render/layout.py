"""What each track shows over a range of frames: slots (one per track item), runs (slots joined
by transitions) and pieces (the frames of a slot a run needs), all in whole timeline frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Literal

from models.timeline_models import (
    Clip,
    ExternalReference,
    GeneratorReference,
    LinearTimeWarp,
    MissingReference,
    Stack,
    Timeline,
    TimelineSettings,
    Track,
    Transition,
    round_half_up,
)
from operators.timeline_ops.core import Clock, clock_of, describe
from operators.timeline_ops.positions import starts, track_length
from render.plan import SourceMedia

Kind = Literal["media", "still", "title", "solid", "blank"]
Warn = Callable[[str], None]

XFADE_NAMES = {
    "smpte_dissolve": "fade",
    "dissolve": "fade",
    "cross_dissolve": "fade",
    "crossfade": "fade",
    "fade": "fade",
    "wipe_left": "wipeleft",
    "wipe_right": "wiperight",
    "wipe_up": "wipeup",
    "wipe_down": "wipedown",
}


@dataclass(frozen=True)
class Join:
    """A transition between two slots: it starts `before` frames before the cut, ends `after`
    frames after it, and looks like xfade's `style`."""

    before: int
    after: int
    style: str
    note: str | None = None


@dataclass(frozen=True)
class Slot:
    """One track item: its record frames, what it shows and its transitions."""

    start: int
    end: int
    kind: Kind
    clip: Clip | None = None
    media: SourceMedia | None = None
    head: Join | None = None
    tail: Join | None = None
    notes: tuple[str, ...] = ()

    @property
    def ext_start(self) -> int:
        """First frame it shows, counting the part a transition into it needs."""
        return self.start - (self.head.before if self.head else 0)

    @property
    def ext_end(self) -> int:
        """End frame (exclusive), counting the part a transition out of it needs."""
        return self.end + (self.tail.after if self.tail else 0)


@dataclass(frozen=True)
class Piece:
    """Frames [start, end) of a slot; `join` is the transition from the previous piece."""

    slot: Slot
    start: int
    end: int
    join: Join | None


@dataclass(frozen=True)
class Run:
    """Pieces played back to back (cut or cross-faded) over frames [start, end); only
    [show_start, show_end) is in the range, the rest completes a transition."""

    pieces: list[Piece]
    start: int
    end: int
    show_start: int
    show_end: int


def whole(value: Fraction | int) -> int:
    """A record position as an int (they are whole frames; rounding guards bad data)."""
    return value if isinstance(value, int) else round_half_up(Fraction(value))


def total_frames(timeline: Timeline) -> int:
    """The longest track's length in frames."""
    clock = clock_of(timeline)
    return max((whole(track_length(t, clock)) for t in timeline.tracks.children), default=0)


def output_size(settings: TimelineSettings, height: int | None) -> tuple[int, int]:
    """(width, height): the timeline's size, or `height` with the timeline's aspect; even."""
    if height is None:
        width, height = settings.width, settings.height
    else:
        width = round_half_up(Fraction(height * settings.width, settings.height))
    return max(2, width - width % 2), max(2, height - height % 2)


def _join(trans: Transition, clock: Clock) -> Join:
    style = XFADE_NAMES.get(trans.transition_type.casefold())
    note = None
    if style is None:
        style = "fade"
        note = f"{describe(trans)}: transition {trans.transition_type!r} is shown as a dissolve"
    return Join(
        whole(clock.exact(trans.in_offset)), whole(clock.exact(trans.out_offset)), style, note
    )


def _content(
    clip: Clip, video: bool, sources: Mapping[str, SourceMedia]
) -> tuple[Kind, SourceMedia | None, list[str]]:
    ref = clip.media_reference
    notes = [
        f"{describe(clip)}: effect {e.effect_name!r} is not rendered"
        for e in clip.effects
        if not isinstance(e, LinearTimeWarp)
    ]
    if not clip.enabled:
        return "blank", None, notes
    if isinstance(ref, MissingReference):
        return "blank", None, [*notes, f"{describe(clip)} has no media; rendered as a gap"]
    if isinstance(ref, GeneratorReference):
        return (ref.generator_kind if video else "blank"), None, notes
    assert isinstance(ref, ExternalReference)
    media = sources.get(ref.asset_id)
    if media is None:
        missing = f"{describe(clip)}: media {ref.asset_id} is missing; rendered as a gap"
        return "blank", None, [*notes, missing]
    if video:
        if media.kind == "image":
            return "still", media, notes
        return ("media" if media.has_video else "blank"), media, notes
    return ("media" if media.has_audio and media.kind != "image" else "blank"), media, notes


def track_slots(track: Track, clock: Clock, sources: Mapping[str, SourceMedia]) -> list[Slot]:
    """The track's items as slots (transitions become the slots' head and tail joins)."""
    kids = track.children
    at = starts(track, clock)
    video = track.kind == "Video"
    slots: list[Slot] = []
    for i, child in enumerate(kids):
        if isinstance(child, Transition):
            continue
        head = kids[i - 1] if i > 0 and isinstance(kids[i - 1], Transition) else None
        tail = kids[i + 1] if i + 1 < len(kids) and isinstance(kids[i + 1], Transition) else None
        start, end = whole(at[i]), whole(at[i + 1])
        kind: Kind = "blank"
        media, notes, clip = None, [], None
        if isinstance(child, Clip):
            clip = child
            kind, media, notes = _content(child, video, sources)
        elif isinstance(child, Stack):
            notes = [f"{describe(child)}: nested stacks are not rendered; shown as a gap"]
        slots.append(
            Slot(
                start, end, kind, clip, media,
                _join(head, clock) if isinstance(head, Transition) else None,
                _join(tail, clock) if isinstance(tail, Transition) else None,
                tuple(notes),
            )
        )  # fmt: skip
    return slots


def _groups(slots: list[Slot]) -> list[list[Slot]]:
    # Slots joined by transitions play as one run; a lone blank slot is just a gap.
    groups: list[list[Slot]] = []
    for slot in slots:
        if groups and groups[-1][-1].tail is not None and slot.head is not None:
            groups[-1].append(slot)
        else:
            groups.append([slot])
    return [g for g in groups if any(s.kind != "blank" for s in g)]


def track_runs(slots: list[Slot], first: int, last: int, warn: Warn) -> list[Run]:
    """The runs that show something in frames [first, last), each with the window it needs
    (a transition cut by the range is played whole, then trimmed)."""
    for slot in slots:
        if slot.ext_start < last and slot.ext_end > first:
            for note in slot.notes:
                warn(note)
    runs: list[Run] = []
    for group in _groups(slots):
        show_start, show_end = max(first, group[0].start), min(last, group[-1].end)
        if show_start >= show_end:
            continue
        lo, hi = show_start, show_end
        for left, right in pairwise(group):
            trans_start, trans_end = right.ext_start, left.ext_end
            if trans_start < lo < trans_end:
                lo = trans_start
            if trans_start < hi < trans_end:
                hi = trans_end
        pieces: list[Piece] = []
        for slot in group:
            a, b = max(slot.ext_start, lo), min(slot.ext_end, hi)
            if a >= b:
                continue
            join = slot.head if pieces else None
            if join is not None and join.note:
                warn(join.note)
            pieces.append(Piece(slot, a, b, join))
        runs.append(Run(pieces, lo, hi, show_start, show_end))
    return runs


def slots_at(slots: list[Slot], frame: int) -> list[Slot]:
    """The slots showing at `frame`: none, one, or the two sides of a transition."""
    found = [s for s in slots if s.ext_start <= frame < s.ext_end]
    return found if any(s.kind != "blank" for s in found) else []


def visible_tracks(timeline: Timeline, kind: str) -> list[Track]:
    """Enabled tracks of a kind, bottom first."""
    return [t for t in timeline.tracks.children if t.enabled and t.kind == kind]
