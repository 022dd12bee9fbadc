"""Ops that place, remove and move items: append, insert, overwrite, remove, move, titles, gaps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from models.timeline_models import (
    VEDIT_KEY,
    Clip,
    ExternalReference,
    Gap,
    GeneratorReference,
    RationalTime,
    Stack,
    Timeline,
    TimeRange,
    Track,
)
from operators.timeline_ops import op_models as m
from operators.timeline_ops.core import (
    AssetInfo,
    Clock,
    EditContext,
    describe,
    duration,
    find_track,
    new_gap,
    set_source,
)
from operators.timeline_ops.errors import (
    InvalidTime,
    NonPositiveDuration,
    SourceRangeOutOfBounds,
    TrackKindMismatch,
    UnknownAsset,
)
from operators.timeline_ops.invariants import check_kind
from operators.timeline_ops.positions import locate
from operators.timeline_ops.track_edit import (
    detach_transitions,
    insert_items,
    lift,
    normalize,
    overwrite_items,
)


def time_at(t: RationalTime, clock: Clock, what: str = "at") -> int:
    """An op's position in whole frames; InvalidTime if negative."""
    frames = clock.whole(t)
    if frames < 0:
        raise InvalidTime(f"{what} must not be negative (got {clock.fmt(frames)})")
    return frames


def positive(t: RationalTime, clock: Clock, what: str = "duration") -> int:
    """An op's duration in whole frames; NonPositiveDuration unless at least one frame."""
    frames = clock.whole(t)
    if frames <= 0:
        raise NonPositiveDuration(
            f"{what} must be at least one frame (got {clock.fmt(clock.exact(t))})"
        )
    return frames


def make_clip(
    track: Track,
    asset_id: str,
    source_range: TimeRange,
    name: str | None,
    ctx: EditContext,
    clock: Clock,
) -> Clip:
    """A new clip of an asset, checked against the asset's media and the track's kind."""
    asset = ctx.assets.get(asset_id)
    if asset is None:
        raise UnknownAsset(f"no asset with id {asset_id!r} is available", asset_id=asset_id)
    start = clock.whole(source_range.start_time)
    length = positive(source_range.duration, clock, "the source range's duration")
    media = None if asset.duration is None else clock.exact(asset.duration)
    label = asset.name or asset_id
    if start < 0:
        raise SourceRangeOutOfBounds(
            f"source range of {label!r} starts at {clock.fmt(start)}, before the media",
            asset_id=asset_id,
        )
    if media is not None and start + length > media:
        raise SourceRangeOutOfBounds(
            f"source range {clock.fmt(start)}-{clock.fmt(start + length)} exceeds the "
            f"{clock.fmt(media)} of asset {label!r}",
            asset_id=asset_id,
        )
    ref = ExternalReference(
        target_url=f"vedit://assets/{asset_id}",
        asset_id=asset_id,
        name=asset.name,
        available_range=_media_window(asset, clock),
        metadata={VEDIT_KEY: _asset_facts(asset)},
    )
    clip = Clip(
        id=ctx.new_id(),
        name=asset.name if name is None else name,
        source_range=clock.range(start, length),
        media_reference=ref,
    )
    check_kind(clip, track, ctx.assets)
    return clip


def append_clip(tl: Timeline, op: m.AppendClip, ctx: EditContext, clock: Clock) -> None:
    """Add a clip after the last item of a track."""
    track = find_track(tl, op.track_id)
    track.children.append(make_clip(track, op.asset_id, op.source_range, op.name, ctx, clock))


def insert_clip(tl: Timeline, op: m.InsertClip, ctx: EditContext, clock: Clock) -> None:
    """Ripple-insert a clip at `at` (past the end: a gap pads the track up to `at`)."""
    track = find_track(tl, op.track_id)
    at = time_at(op.at, clock)
    clip = make_clip(track, op.asset_id, op.source_range, op.name, ctx, clock)
    insert_items(track, Fraction(at), [clip], clock, ctx)


def overwrite_clip(tl: Timeline, op: m.OverwriteClip, ctx: EditContext, clock: Clock) -> None:
    """Put a clip over [at, at+duration), replacing what was there."""
    track = find_track(tl, op.track_id)
    at = time_at(op.at, clock)
    clip = make_clip(track, op.asset_id, op.source_range, op.name, ctx, clock)
    overwrite_items(track, Fraction(at), duration(clip, clock), [clip], clock, ctx)


def remove_clip(tl: Timeline, op: m.RemoveClip, ctx: EditContext, clock: Clock) -> None:
    """Lift (leave a gap) or ripple-delete an item; its transitions go with it."""
    loc = locate(tl, op.clip_id, (Clip, Gap, Stack), "clip")
    if op.ripple:
        index = detach_transitions(loc.track, loc.index)
        del loc.track.children[index]
    else:
        lift(loc.track, loc.index, clock, ctx)


def move_clip(tl: Timeline, op: m.MoveClip, ctx: EditContext, clock: Clock) -> None:
    """Lift a clip and overwrite it at `at` on a track of the same kind."""
    loc = locate(tl, op.clip_id, (Clip, Stack), "clip")
    dest = find_track(tl, op.track_id)
    at = time_at(op.at, clock)
    if dest.kind != loc.track.kind:
        raise TrackKindMismatch(
            f"{describe(loc.item)} is on a {loc.track.kind.lower()} track and can't move to "
            f"{dest.kind.lower()} {describe(dest)}",
            item_id=op.clip_id,
            track_id=dest.id,
        )
    item = lift(loc.track, loc.index, clock, ctx)
    # Merge the hole first so the overwrite below sees the track as the user does.
    normalize(loc.track, clock)
    overwrite_items(dest, Fraction(at), duration(item, clock), [item], clock, ctx)


def add_title(tl: Timeline, op: m.AddTitle, ctx: EditContext, clock: Clock) -> None:
    """Overwrite a title (a generator clip) onto a video track at `at`."""
    track = find_track(tl, op.track_id)
    if track.kind != "Video":
        raise TrackKindMismatch(
            f"a title can only go on a video track, not on {describe(track)}", track_id=track.id
        )
    at = time_at(op.at, clock)
    length = positive(op.duration, clock)
    parameters = {"text": op.text, **op.style.model_dump(exclude_none=True)}
    clip = Clip(
        id=ctx.new_id(),
        name=op.text.splitlines()[0][:60] if op.text.strip() else "Title",
        source_range=clock.range(0, length),
        media_reference=GeneratorReference(generator_kind="title", parameters=parameters),
    )
    overwrite_items(track, Fraction(at), Fraction(length), [clip], clock, ctx)


def add_gap(tl: Timeline, op: m.AddGap, ctx: EditContext, clock: Clock) -> None:
    """Append a gap, or ripple-insert one at `at`."""
    track = find_track(tl, op.track_id)
    gap = new_gap(ctx, clock, positive(op.duration, clock))
    if op.at is None:
        track.children.append(gap)
    else:
        insert_items(track, Fraction(time_at(op.at, clock)), [gap], clock, ctx)


def set_gap_duration(tl: Timeline, op: m.SetGapDuration, ctx: EditContext, clock: Clock) -> None:
    """Change a gap's length; later items ripple."""
    loc = locate(tl, op.gap_id, (Gap,), "gap")
    set_source(loc.item, clock, Fraction(0), Fraction(positive(op.duration, clock)))


def _media_window(asset: AssetInfo, clock: Clock) -> TimeRange | None:
    """The asset's whole frames from 0 (None for a still: any length)."""
    if asset.duration is None:
        return None
    return clock.range(0, math.floor(clock.exact(asset.duration)))


def _asset_facts(asset: AssetInfo) -> dict[str, object]:
    """What a reference keeps of its asset, so edits need not look the asset up again
    (`invariants.asset_of` reads it back)."""
    return {"kind": asset.kind, "has_video": asset.has_video, "has_audio": asset.has_audio}


def bind_references(tl: Timeline, assets: Mapping[str, AssetInfo], clock: Clock) -> None:
    """Give clips of known assets the asset's true media range and kind (after an import).

    Other tools count source time from the media's own start timecode (its available range
    starts there); our assets start at 0, so such clips and their markers move back by it.
    """

    def visit(stack: Stack) -> None:
        for track in stack.children:
            for child in track.children:
                if isinstance(child, Stack):
                    visit(child)
                    continue
                if not isinstance(child, Clip):
                    continue
                ref = child.media_reference
                asset = assets.get(ref.asset_id) if isinstance(ref, ExternalReference) else None
                if asset is None:
                    continue
                _rebase_to_media_start(child, clock)
                ref.available_range = _media_window(asset, clock)
                ref.metadata.setdefault(VEDIT_KEY, {}).update(_asset_facts(asset))

    visit(tl.tracks)


def _rebase_to_media_start(clip: Clip, clock: Clock) -> None:
    ref = clip.media_reference
    origin = clock.exact(ref.available_range.start_time) if ref.available_range else Fraction(0)
    if not origin:
        return
    start, length = (
        clock.exact(clip.source_range.start_time),
        clock.exact(clip.source_range.duration),
    )
    clip.source_range = clock.range(start - origin, length)
    for marker in clip.markers:
        rng = marker.marked_range
        marker.marked_range = clock.range(
            clock.exact(rng.start_time) - origin, clock.exact(rng.duration)
        )
