"""Smart rendering's plan (pure): which stretches of the output copy a source's compressed
frames untouched, which are encoded, and how encoded stretches are cut into runs of a bounded
number of clips.

A stretch can be copied where the picture is exactly one clip's source frames: the topmost
visible thing on every video track is a plain clip (speed 1, opaque, no fade, no transition),
its media is H.264 at the output's size and rate, and the stretch starts at a clean keyframe
and ends at the next clean keyframe or the media's end. An opaque full-frame clip hides every
track below it, so only the tracks above it must be empty there.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from models.timeline_models import Timeline, clip_speed
from operators.timeline_ops.core import clock_of
from render.layout import Slot, track_slots, visible_tracks
from render.pictures import fade_frames, properties, source_time
from render.plan import SourceMedia

if TYPE_CHECKING:
    from render.packets import StreamFacts

# Each encoded run decodes every clip it shows at once (about 45 MiB per clip at 1080p), so
# long timelines are encoded a bounded number of clips at a time.
MAX_CLIPS_PER_RUN = 16


@dataclass(frozen=True)
class Segment:
    """Output frames [start, end): copied from `path` starting at its frame `source_first`,
    or (path None) encoded by the render compiler."""

    start: int
    end: int
    path: str | None = None
    source_first: int = 0

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def copied(self) -> bool:
        return self.path is not None


Interval = tuple[int, int]


def _subtract(region: Interval, busy: list[Interval]) -> list[Interval]:
    out, (a, b) = [], region
    for lo, hi in sorted(busy):
        if hi <= a or lo >= b:
            continue
        if lo > a:
            out.append((a, lo))
        a = max(a, hi)
    if a < b:
        out.append((a, b))
    return out


def _clean_region(slot: Slot, rate: Fraction) -> Interval | None:
    """Frames of a clip that show nothing but its own picture at full strength."""
    if slot.kind != "media" or slot.clip is None or slot.media is None:
        return None
    if clip_speed(slot.clip) != 1:
        return None
    props = properties(slot, lambda _message: None)
    if props.opacity < 1:
        return None
    fade_in, fade_out = fade_frames(slot, props, rate)
    start = slot.start + (slot.head.after if slot.head else 0) + fade_in
    end = slot.end - (slot.tail.before if slot.tail else 0) - fade_out
    return (start, end) if start < end else None


def _matches(media: SourceMedia, facts: StreamFacts, size: tuple[int, int], rate: Fraction) -> bool:
    return (
        facts.copyable
        and media.rotation == 0
        and (facts.width, facts.height) == size
        and facts.rate == rate
    )


def _copy_span(
    slot: Slot, part: Interval, facts: StreamFacts, rate: Fraction, min_copy: int
) -> Segment | None:
    """The longest keyframe-aligned stretch of `part` (record frames) the clip can copy."""
    a, b = part
    first = source_time(slot, a, rate) * rate
    if first.denominator != 1 or first < 0:
        return None  # the clip does not start on the media's frame grid
    k_a = int(first)
    k_b = min(k_a + (b - a), facts.frames)
    keys = facts.keyframes
    i = bisect.bisect_left(keys, k_a)
    if i == len(keys):
        return None
    start = keys[i]
    ends = [*keys[bisect.bisect_left(keys, start + 1) :], facts.frames]
    j = bisect.bisect_right(ends, k_b) - 1
    if j < 0 or ends[j] - start < min_copy:
        return None
    assert slot.media is not None
    return Segment(a + start - k_a, a + ends[j] - k_a, slot.media.path, start)


def copy_segments(
    tracks: list[list[Slot]],
    rate: Fraction,
    facts: Callable[[str], StreamFacts | None],
    size: tuple[int, int],
    first: int,
    last: int,
    *,
    min_copy: int,
) -> list[Segment]:
    """The stretches of [first, last) that can copy a source untouched, in order (`tracks`:
    each video track's slots, bottom first)."""
    found: list[Segment] = []
    for level, slots in enumerate(tracks):
        above = [
            (s.ext_start, s.ext_end) for upper in tracks[level + 1 :] for s in upper
            if s.kind != "blank"
        ]  # fmt: skip
        for slot in slots:
            region = _clean_region(slot, rate)
            if region is None or slot.media is None:
                continue
            info = facts(slot.media.path)
            if info is None or not _matches(slot.media, info, size, rate):
                continue
            region = (max(region[0], first), min(region[1], last))
            for part in _subtract(region, above) if region[0] < region[1] else []:
                span = _copy_span(slot, part, info, rate, min_copy)
                if span is not None:
                    found.append(span)
    return sorted(found, key=lambda s: s.start)


def _chunks(gap: Interval, items: list[Interval], max_clips: int) -> list[Interval]:
    """`gap` cut at item edges so no piece shows more than `max_clips` items."""
    a, b = gap
    inside = [(max(lo, a), min(hi, b)) for lo, hi in items if lo < b and hi > a]
    if len(inside) <= max_clips:
        return [gap]
    cuts = sorted({edge for item in inside for edge in item if a < edge < b})
    out, start = [], a
    for i, cut in enumerate(cuts):
        nxt = cuts[i + 1] if i + 1 < len(cuts) else b
        # Would extending this piece to the next edge show one clip too many?
        if sum(1 for lo, hi in inside if lo < nxt and hi > start) > max_clips and cut > start:
            out.append((start, cut))
            start = cut
    out.append((start, b))
    return out


def video_slots(timeline: Timeline, sources: Mapping[str, SourceMedia]) -> list[list[Slot]]:
    """Each visible video track's slots, bottom first: the layout the plan reads."""
    clock = clock_of(timeline)
    return [track_slots(t, clock, sources) for t in visible_tracks(timeline, "Video")]


def _items(tracks: list[list[Slot]]) -> list[Interval]:
    return [(s.ext_start, s.ext_end) for slots in tracks for s in slots if s.kind != "blank"]


def _shown(segment: Segment, items: list[Interval]) -> int:
    return sum(1 for lo, hi in items if lo < segment.end and hi > segment.start)


def encode_runs(
    tracks: list[list[Slot]], segments: list[Segment], max_clips: int = MAX_CLIPS_PER_RUN
) -> list[list[int]]:
    """The encoded segments' indices grouped into ffmpeg runs, in order: one run encodes
    several short stretches (one process and encoder start instead of many), showing at most
    `max_clips` clips in all (a clip seen in two stretches is opened twice, so counts twice)."""
    items = _items(tracks)
    runs: list[list[int]] = []
    load = 0
    for i, seg in enumerate(segments):
        if seg.copied:
            continue
        shown = _shown(seg, items)
        if runs and load + shown <= max_clips:
            runs[-1].append(i)
            load += shown
        else:
            runs.append([i])
            load = shown
    return runs


def plan_segments(
    tracks: list[list[Slot]],
    rate: Fraction,
    facts: Callable[[str], StreamFacts | None] | None,
    size: tuple[int, int],
    first: int,
    last: int,
    *,
    min_copy: int,
    max_clips: int = MAX_CLIPS_PER_RUN,
) -> list[Segment]:
    """[first, last) as copied and encoded segments back to back (no copying without
    `facts`); `tracks` from `video_slots`."""
    copies = (
        copy_segments(tracks, rate, facts, size, first, last, min_copy=min_copy)
        if facts is not None
        else []
    )
    items = _items(tracks)
    out: list[Segment] = []
    at = first
    for seg in [*copies, Segment(last, last)]:
        if seg.start > at:
            out += [Segment(lo, hi) for lo, hi in _chunks((at, seg.start), items, max_clips)]
        if seg.frames:
            out.append(seg)
        at = seg.end
    return out
