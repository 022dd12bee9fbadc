"""What every timeline must satisfy; `apply_op` checks it after each edit."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from fractions import Fraction

from pydantic import ValidationError

from models.timeline_models import (
    Clip,
    ExternalReference,
    Gap,
    GeneratorReference,
    LinearTimeWarp,
    Stack,
    Timeline,
    Track,
    Transition,
    clip_properties,
    clip_speed,
)
from operators.timeline_ops.core import AssetInfo, Clock, clock_of, describe, duration, source
from operators.timeline_ops.errors import (
    DuplicateId,
    InvalidProperty,
    InvalidTime,
    MissingHandle,
    NonPositiveDuration,
    SourceRangeOutOfBounds,
    TrackKindMismatch,
    TransitionPlacement,
    TransitionTooLong,
)


def check_invariants(
    timeline: Timeline,
    assets: Mapping[str, AssetInfo],
    changed: Sequence[tuple[Track, Track | None]] | None = None,
) -> None:
    """Raise the InvalidOp subclass for the first broken rule; return None if all hold.

    `changed` limits the checks to what an edit changed: (new track, the track it replaced or
    None) pairs. Other tracks, and items a changed track still shares with the one it
    replaced, passed before and are the same objects, so only their surroundings (transitions)
    are looked at again. Ids the op made are fresh, so they are checked within the changed
    tracks (and against every track id).
    """
    clock = clock_of(timeline)
    if changed is None:
        _check_ids(_ids(timeline.tracks))
        _check_stack(timeline.tracks, assets, clock)
        return
    stack = timeline.tracks
    _check_ids(
        itertools.chain(
            (m.id for m in stack.markers),
            (e.id for e in stack.effects),
            (t.id for t in stack.children),
            *(_track_ids(track, with_own_id=False) for track, _ in changed),
        )
    )
    for track, before in changed:
        shared = {id(child) for child in before.children} if before is not None else set()
        _check_track(track, assets, clock, shared)
    for marker_list in [stack.markers] + [t.markers for t, _ in changed]:
        for marker in marker_list:
            if clock.exact(marker.marked_range.duration) < 0:
                raise InvalidTime(f"{describe(marker)} has a negative duration")


def _ids(stack: Stack) -> Iterator[str | None]:
    yield from (m.id for m in stack.markers)
    yield from (e.id for e in stack.effects)
    for track in stack.children:
        yield from _track_ids(track)


def _track_ids(track: Track, *, with_own_id: bool = True) -> Iterator[str | None]:
    if with_own_id:
        yield track.id
    yield from (m.id for m in track.markers)
    yield from (e.id for e in track.effects)
    for child in track.children:
        yield child.id
        if isinstance(child, Stack):
            yield from _ids(child)
        elif not isinstance(child, Transition):
            yield from (m.id for m in child.markers)
            yield from (e.id for e in child.effects)


def _check_ids(ids: Iterable[str | None]) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if not item_id:
            raise InvalidTime("every track, item, marker and effect needs an id")
        if item_id in seen:
            raise DuplicateId(f"id {item_id!r} is used twice in the timeline", item_id=item_id)
        seen.add(item_id)


def _check_stack(stack: Stack, assets: Mapping[str, AssetInfo], clock: Clock) -> None:
    for track in stack.children:
        _check_track(track, assets, clock)
    for marker_list in [stack.markers] + [t.markers for t in stack.children]:
        for marker in marker_list:
            if clock.exact(marker.marked_range.duration) < 0:
                raise InvalidTime(f"{describe(marker)} has a negative duration")


def _whole(frames: Fraction, what: str, clock: Clock) -> None:
    if frames.denominator != 1:
        raise InvalidTime(
            f"{what} lasts {clock.fmt(frames)}, not a whole number of frames at "
            f"{clock.rate_value} fps"
        )


def _check_track(
    track: Track,
    assets: Mapping[str, AssetInfo],
    clock: Clock,
    shared: AbstractSet[int] = frozenset(),
) -> None:
    kids = track.children
    for i, child in enumerate(kids):
        if isinstance(child, Transition):
            _check_transition(track, i, assets, clock)
            continue
        if id(child) in shared:
            continue  # unchanged, on the same track: it passed when it was made
        length = duration(child, clock)
        if length <= 0:
            raise NonPositiveDuration(
                f"{describe(child)} on {describe(track)} must last longer than 0 s",
                item_id=child.id,
            )
        _whole(length, describe(child), clock)
        if isinstance(child, Clip):
            _check_clip(child, track, assets, clock)
        elif isinstance(child, Stack):
            _check_stack(child, assets, clock)
        elif isinstance(child, Gap) and clock.exact(child.source_range.start_time) < 0:
            raise InvalidTime(f"{describe(child)} has a negative start", item_id=child.id)


def asset_of(ref: ExternalReference, assets: Mapping[str, AssetInfo]) -> AssetInfo:
    """The asset behind a reference: from the edit's context, else from the reference itself.

    Clips already on the timeline were checked when placed; their reference keeps the media's
    range and kind, so later edits and replays don't need the asset row (it may be gone).
    """
    asset = assets.get(ref.asset_id)
    if asset is not None:
        return asset
    facts = ref.metadata.get("vedit") or {}
    kind = facts.get("kind", "video")
    return AssetInfo(
        asset_id=ref.asset_id,
        kind=kind if kind in ("video", "audio", "image") else "video",
        duration=None,
        rate=None,
        has_video=bool(facts.get("has_video", True)),
        has_audio=bool(facts.get("has_audio", True)),
        name=ref.name,
    )


def media_length(clip: Clip, assets: Mapping[str, AssetInfo], clock: Clock) -> Fraction | None:
    """Frames of media the clip's reference offers; None when unlimited or unknown."""
    ref = clip.media_reference
    if not isinstance(ref, ExternalReference):
        return None
    asset = assets.get(ref.asset_id)
    if asset is not None:
        return None if asset.duration is None else clock.exact(asset.duration)
    rng = ref.available_range
    if rng is None:
        return None
    return clock.exact(rng.start_time) + clock.exact(rng.duration)


def _check_clip(clip: Clip, track: Track, assets: Mapping[str, AssetInfo], clock: Clock) -> None:
    ref = clip.media_reference
    start, length = source(clip, clock)
    if length <= 0:
        raise NonPositiveDuration(f"{describe(clip)} has an empty source range", item_id=clip.id)
    warps = [e for e in clip.effects if isinstance(e, LinearTimeWarp)]
    if len(warps) > 1:
        raise InvalidProperty(f"{describe(clip)} has more than one speed effect")
    available = media_length(clip, assets, clock)
    if isinstance(ref, ExternalReference | GeneratorReference) and (
        start < 0 or (available is not None and start + length > available)
    ):
        limit = f"the asset's {clock.fmt(available)}" if available is not None else "0 s"
        raise SourceRangeOutOfBounds(
            f"{describe(clip)} source range {clock.fmt(start)}-{clock.fmt(start + length)} "
            f"exceeds {limit}" + (" (it starts before the media)" if start < 0 else ""),
            item_id=clip.id,
        )
    check_kind(clip, track, assets)
    try:
        props = clip_properties(clip)
    except ValidationError as exc:
        raise InvalidProperty(
            f"{describe(clip)} has invalid properties: {exc.errors()[0]['msg']}",
            item_id=clip.id,
        ) from None
    for fade in (props.fade_in, props.fade_out):
        if fade is not None and clock.exact(fade) < 0:
            raise InvalidProperty(f"{describe(clip)} has a negative fade", item_id=clip.id)


def check_kind(clip: Clip, track: Track, assets: Mapping[str, AssetInfo]) -> None:
    """TrackKindMismatch unless the clip's media suits the track (video or audio)."""
    ref = clip.media_reference
    if isinstance(ref, GeneratorReference):
        ok = track.kind == "Video"
        what = f"a {ref.generator_kind}"
    elif isinstance(ref, ExternalReference):
        asset = asset_of(ref, assets)
        ok = (
            (asset.has_video or asset.kind == "image") if track.kind == "Video" else asset.has_audio
        )
        what = f"{asset.kind} asset {asset.name or asset.asset_id!r}"
        what += " (no audio)" if track.kind == "Audio" else " (no video)"
    else:
        return
    if not ok:
        raise TrackKindMismatch(
            f"{describe(clip)} is {what} and can't go on {track.kind.lower()} {describe(track)}",
            item_id=clip.id,
            track_id=track.id,
        )


def _check_transition(track: Track, i: int, assets: Mapping[str, AssetInfo], clock: Clock) -> None:
    kids = track.children
    trans = kids[i]
    assert isinstance(trans, Transition)
    left = kids[i - 1] if i > 0 else None
    right = kids[i + 1] if i + 1 < len(kids) else None
    if not isinstance(left, Clip) or not isinstance(right, Clip):
        where = "at the start of" if left is None else "at the end of" if right is None else "on"
        raise TransitionPlacement(
            f"{describe(trans)} must sit between two clips, but it is {where} "
            f"{describe(track)} next to "
            + " and ".join(describe(x) for x in (left, right) if x is not None),
            item_id=trans.id,
        )
    t_in, t_out = clock.exact(trans.in_offset), clock.exact(trans.out_offset)
    if t_in < 0 or t_out < 0 or t_in + t_out <= 0:
        raise NonPositiveDuration(f"{describe(trans)} must last longer than 0 s")
    _whole(t_in + t_out, describe(trans), clock)
    _whole(t_in, f"the part of {describe(trans)} before its cut", clock)
    for part, clip, room in (
        (t_in, left, duration(left, clock) - _reach(kids, i - 2, "out", clock)),
        (t_out, right, duration(right, clock) - _reach(kids, i + 2, "in", clock)),
    ):
        if part > room:
            raise TransitionTooLong(
                f"{describe(trans)} reaches {clock.fmt(part)} into {describe(clip)}, which "
                f"has only {clock.fmt(room)} free for it",
                item_id=trans.id,
            )
    # The outgoing clip plays on past its end, the incoming one starts before its start;
    # stills, generators and missing media can supply any amount.
    for clip, need_rec, edge in ((left, t_out, "after its end"), (right, t_in, "before its start")):
        available = media_length(clip, assets, clock)
        if available is None:
            continue
        need = need_rec * clip_speed(clip)
        start, length = source(clip, clock)
        have = start if edge == "before its start" else available - start - length
        if need > have:
            raise MissingHandle(
                f"{describe(trans)} needs {clock.fmt(need)} of media {edge} of "
                f"{describe(clip)}, which has only {clock.fmt(max(have, Fraction(0)))}",
                item_id=trans.id,
                clip_id=clip.id,
            )


def _reach(kids: list, j: int, side: str, clock: Clock) -> Fraction:
    """How far the other transition of a clip (at index j, if any) reaches into it."""
    if 0 <= j < len(kids) and isinstance(kids[j], Transition):
        trans = kids[j]
        return clock.exact(trans.out_offset if side == "out" else trans.in_offset)
    return Fraction(0)
