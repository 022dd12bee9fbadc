"""Ops on tracks, markers, clip properties (volume, opacity, speed, fades) and effects."""

from __future__ import annotations

import math
from fractions import Fraction

from models.timeline_models import (
    VEDIT_KEY,
    Clip,
    Effect,
    LinearTimeWarp,
    Marker,
    Stack,
    Timeline,
    Track,
    Transition,
    clip_speed,
    clip_time_warp,
    number_fraction,
    round_half_up,
)
from operators.timeline_ops import op_models as m
from operators.timeline_ops.clip_ops import time_at
from operators.timeline_ops.core import (
    Clock,
    EditContext,
    describe,
    duration,
    find_track,
    own,
    set_source,
    source,
    stack_marker_lists,
)
from operators.timeline_ops.errors import (
    InvalidIndex,
    InvalidOp,
    InvalidProperty,
    InvalidTime,
    NonPositiveDuration,
    UnknownItem,
)
from operators.timeline_ops.positions import locate, span


def add_track(tl: Timeline, op: m.AddTrack, ctx: EditContext, clock: Clock) -> None:
    """Add an empty track on top (or at `index`; 0 is the bottom layer)."""
    tracks = tl.tracks.children
    index = len(tracks) if op.index is None else op.index
    if not 0 <= index <= len(tracks):
        raise InvalidIndex(f"track index {index} is outside 0-{len(tracks)}")
    kind = "Video" if op.kind == "video" else "Audio"
    name = op.name or f"{kind[0]}{sum(t.kind == kind for t in tracks) + 1}"
    tracks.insert(index, Track(id=ctx.new_id(), name=name, kind=kind))


def remove_track(tl: Timeline, op: m.RemoveTrack, ctx: EditContext, clock: Clock) -> None:
    """Delete a track and everything on it."""
    tl.tracks.children.remove(find_track(tl, op.track_id))


def rename_track(tl: Timeline, op: m.RenameTrack, ctx: EditContext, clock: Clock) -> None:
    """Rename a track."""
    find_track(tl, op.track_id).name = op.name


def move_track(tl: Timeline, op: m.MoveTrack, ctx: EditContext, clock: Clock) -> None:
    """Move a track to another layer index."""
    track = find_track(tl, op.track_id)
    tracks = tl.tracks.children
    if not 0 <= op.index < len(tracks):
        raise InvalidIndex(f"track index {op.index} is outside 0-{len(tracks) - 1}")
    tracks.remove(track)
    tracks.insert(op.index, track)


def add_marker(tl: Timeline, op: m.AddMarker, ctx: EditContext, clock: Clock) -> None:
    """Mark a track (track time) or a clip (stored in the clip's source time, as OTIO does)."""
    targets = [x for x in (op.track_id, op.clip_id, op.item_id) if x is not None]
    if len(targets) != 1:
        raise InvalidOp("add_marker needs exactly one of track_id, clip_id or item_id")
    at = Fraction(time_at(op.at, clock))
    length = Fraction(0) if op.duration is None else Fraction(clock.whole(op.duration))
    if length < 0:
        raise InvalidTime("a marker's duration must not be negative")
    track_id = op.track_id
    if op.item_id is not None and any(t.id == op.item_id for t in tl.tracks.children):
        track_id = op.item_id
    if track_id is not None:
        marker_list, start = find_track(tl, track_id).markers, at
    else:
        loc = locate(tl, op.clip_id or op.item_id or "", (Clip,), "clip or track")
        rec_start, rec_end = span(loc.track, loc.index, clock)
        if not rec_start <= at < rec_end:
            raise InvalidTime(
                f"marker time {clock.fmt(at)} is outside {describe(loc.item)}, which spans "
                f"{clock.fmt(rec_start)}-{clock.fmt(rec_end)}",
                item_id=loc.item.id,
            )
        speed = clip_speed(loc.item)
        start = source(loc.item, clock)[0] + (at - rec_start) * speed
        marker_list, length = loc.item.markers, length * speed
    marker_list.append(
        Marker(
            id=ctx.new_id(),
            name=op.name,
            marked_range=clock.range(start, length),
            color=op.color,
            comment=op.comment,
        )
    )


def remove_marker(tl: Timeline, op: m.RemoveMarker, ctx: EditContext, clock: Clock) -> None:
    """Delete a marker wherever it is."""
    # The stack's and tracks' marker lists are the op's own copies; an item's is not until
    # the item is owned.
    if _drop_marker(tl.tracks.markers, op.marker_id):
        return
    for track in tl.tracks.children:
        if _drop_marker(track.markers, op.marker_id):
            return
        for i, child in enumerate(track.children):
            if isinstance(child, Transition):
                continue
            lists = stack_marker_lists(child) if isinstance(child, Stack) else [child.markers]
            if any(marker.id == op.marker_id for markers in lists for marker in markers):
                item = own(track, i)
                lists = stack_marker_lists(item) if isinstance(item, Stack) else [item.markers]
                for markers in lists:
                    if _drop_marker(markers, op.marker_id):
                        return
    raise UnknownItem(f"no marker with id {op.marker_id!r} in this timeline")


def _drop_marker(markers: list[Marker], marker_id: str) -> bool:
    for i, marker in enumerate(markers):
        if marker.id == marker_id:
            del markers[i]
            return True
    return False


def set_speed(clip: Clip, speed: Fraction, ctx: EditContext, clock: Clock) -> None:
    """Retime a clip: the source start stays, the record length becomes whole frames."""
    start, length = source(clip, clock)
    frames = math.floor(length / speed)
    if frames < 1:
        raise NonPositiveDuration(
            f"at {float(speed):g}x {describe(clip)} would last less than one frame",
            item_id=clip.id,
        )
    # Trimming the source to a whole record length keeps every record time on a frame.
    set_source(clip, clock, start, frames * speed)
    warp = clip_time_warp(clip)
    if speed == 1:
        clip.effects = [e for e in clip.effects if not isinstance(e, LinearTimeWarp)]
    elif warp is not None:
        # A new effect object: the old one may be shared with the version before this edit.
        scaled = warp.model_copy(update={"time_scalar": float(speed)})
        clip.effects = [scaled if e is warp else e for e in clip.effects]
    else:
        # First in the list: the retime applies before any other effect (OTIO applies in order).
        clip.effects.insert(0, LinearTimeWarp(id=ctx.new_id(), time_scalar=float(speed)))


def set_clip_properties(
    tl: Timeline, op: m.SetClipProperties, ctx: EditContext, clock: Clock
) -> None:
    """Set volume, opacity, speed (ripples later items), fades, name or enabled."""
    clip = locate(tl, op.clip_id, (Clip,), "clip").item
    if op.name is not None:
        clip.name = op.name
    if op.enabled is not None:
        clip.enabled = op.enabled
    if op.speed is not None:
        # Three decimals keep retimed source times short, exact decimals in JSON.
        set_speed(clip, Fraction(round_half_up(number_fraction(op.speed) * 1000), 1000), ctx, clock)
    props = dict(clip.metadata.get(VEDIT_KEY) or {})
    for key in ("volume", "opacity"):
        if getattr(op, key) is not None:
            props[key] = getattr(op, key)
    for key in ("fade_in", "fade_out"):
        fade = getattr(op, key)
        if fade is None:
            continue
        frames = clock.whole(fade)
        if not 0 <= frames <= duration(clip, clock):
            raise InvalidProperty(
                f"{key} {clock.fmt(frames)} must be between 0 s and the clip's "
                f"{clock.fmt(duration(clip, clock))}",
                item_id=clip.id,
            )
        props[key] = clock.rt(frames).model_dump()
    if props:
        clip.metadata[VEDIT_KEY] = props


def add_effect(tl: Timeline, op: m.AddEffect, ctx: EditContext, clock: Clock) -> None:
    """Attach a named effect with its parameters to a clip."""
    clip = locate(tl, op.clip_id, (Clip,), "clip").item
    if op.effect_name.lower() == "lineartimewarp":
        raise InvalidOp("a clip's speed is set with set_clip_properties (speed)")
    clip.effects.append(
        Effect(
            id=ctx.new_id(),
            name=op.effect_name,
            effect_name=op.effect_name,
            metadata={"parameters": op.parameters},
        )
    )


def remove_effect(tl: Timeline, op: m.RemoveEffect, ctx: EditContext, clock: Clock) -> None:
    """Remove an effect; removing a clip's speed effect returns it to 1x (later items ripple)."""
    for holder in [tl.tracks, *tl.tracks.children]:
        for effect in holder.effects:
            if effect.id == op.effect_id:
                holder.effects.remove(effect)
                return
    for track in tl.tracks.children:
        for i, child in enumerate(track.children):
            if isinstance(child, Transition) or all(e.id != op.effect_id for e in child.effects):
                continue
            item = own(track, i)
            effect = next(e for e in item.effects if e.id == op.effect_id)
            if isinstance(effect, LinearTimeWarp) and isinstance(item, Clip):
                set_speed(item, Fraction(1), ctx, clock)
            else:
                item.effects.remove(effect)
            return
    raise UnknownItem(f"no effect with id {op.effect_id!r} in this timeline")
