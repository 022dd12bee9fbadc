"""OTIO -> our timeline model: the structural half of the import in `timeline_interchange`.

Every time becomes whole frames at the timeline rate. Record positions are rounded as edit
points (each item's start and end), never as durations, so converting 25 fps to 24 fps moves
each cut by at most half a frame instead of letting rounding drift along the track.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, get_args

import opentimelineio as otio

from models.timeline_models import (
    VEDIT_KEY,
    AnyEffect,
    Clip,
    Effect,
    Gap,
    LinearTimeWarp,
    Marker,
    MarkerColor,
    Stack,
    Timeline,
    TimelineSettings,
    TimeRange,
    Track,
    TrackChild,
    Transition,
    number_fraction,
    rate_fraction,
    round_half_up,
)
from operators.timeline_interchange_media import ImportContext, fit, plain


def timeline_settings(tl: otio.schema.Timeline) -> TimelineSettings:
    """Settings from our own export, else the OTIO timeline's rate or its first clip's."""
    ours = plain(tl.metadata).get(VEDIT_KEY, {})
    if isinstance(ours, dict) and isinstance(ours.get("settings"), dict):
        try:
            return TimelineSettings.model_validate(ours["settings"])
        except ValueError:
            pass
    rate: float | None = tl.global_start_time.rate if tl.global_start_time else None
    for clip in tl.find_clips() if rate is None else []:
        if clip.source_range is not None:
            rate = clip.source_range.duration.rate
            break
    if not rate or rate <= 0 or rate > 1000:
        return TimelineSettings()
    exact = rate_fraction(rate)
    return TimelineSettings(rate=int(exact) if exact.denominator == 1 else round(float(exact), 3))


def read_timeline(data: str | bytes) -> otio.schema.Timeline | None:
    """Parse OTIO JSON; None unless it holds a timeline (alone or first in a collection)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    result = otio.adapters.read_from_string(text, "otio_json")
    if isinstance(result, otio.schema.SerializableCollection):
        result = next((x for x in result if isinstance(x, otio.schema.Timeline)), None)
    return result if isinstance(result, otio.schema.Timeline) else None


class Importer(ImportContext):
    """Converts one OTIO timeline into ours."""

    def timeline(self, tl: otio.schema.Timeline) -> Timeline:
        """The whole timeline."""
        start = tl.global_start_time
        doc = Timeline(
            id=self.take_id(tl),
            name=tl.name,
            settings=self.settings,
            tracks=self.stack(tl.tracks, root=True),
            global_start_time=None if start is None else self.rt(self.snap(start)),
            metadata=self.meta(tl),
        )
        self.warn_missing()
        return doc

    # --- structure ------------------------------------------------------------------------
    def stack(self, stack: otio.schema.Stack, *, root: bool = False) -> Stack:
        """A stack; the root one keeps no id unless our export gave it one."""
        # Ids are taken parent first so fresh ones follow the document's order.
        stack_id = self.take_id(stack) if self.ours(stack).get("id") or not root else None
        tracks: list[Track] = []
        for child in stack:
            if isinstance(child, otio.schema.Track):
                tracks.append(self.track(child))
            elif isinstance(child, otio.core.Item):
                # OTIO lets a stack hold items directly; our stacks hold tracks only.
                wrapper = otio.schema.Track(name=child.name, kind=otio.schema.TrackKind.Video)
                wrapper.append(child.deepcopy())
                tracks.append(self.track(wrapper))
        effects, _ = self.effects(stack, speed_allowed=False)
        return Stack(
            id=stack_id,
            name=stack.name,
            children=tracks,
            source_range=self.range(stack.source_range),
            effects=effects,
            markers=self.markers(stack),
            enabled=stack.enabled,
            metadata=self.meta(stack),
        )

    def track(self, track: otio.schema.Track) -> Track:
        """A track, its record positions rounded to frames as edit points."""
        track_id = self.take_id(track)
        kind = track.kind if track.kind in ("Video", "Audio") else "Video"
        if kind != track.kind:
            self.warn(f'track "{track.name}" of kind {track.kind!r} imported as a video track')
        children: list[TrackChild] = []
        pos = Fraction(0)
        for child in track:
            if isinstance(child, otio.schema.Transition):
                children.append(self.transition(child))
                continue
            try:
                length = self.frames(child.duration())
            except (otio.exceptions.OTIOError, AttributeError):  # no range at all, or unknown
                self.warn(
                    f'track "{track.name}": dropped {child.schema_name()} "{child.name}", '
                    "which has no time range"
                )
                continue
            start, pos = round_half_up(pos), pos + length
            record = round_half_up(pos) - start
            if record <= 0:
                self.warn(f'track "{track.name}": dropped "{child.name}", shorter than a frame')
                continue
            children.append(self.item(child, record))
        effects, _ = self.effects(track, speed_allowed=False)
        return Track(
            id=track_id,
            name=track.name,
            kind=kind,
            children=self.check_transitions(children, track.name),
            markers=self.markers(track),
            effects=effects,
            enabled=track.enabled,
            metadata=self.meta(track),
        )

    def item(self, child: Any, record: int) -> TrackChild:
        """One clip, gap or nested composition lasting `record` frames on its track."""
        if isinstance(child, otio.schema.Clip):
            return self.clip(child, record)
        if isinstance(child, otio.schema.Track | otio.schema.Stack):
            if isinstance(child, otio.schema.Track):
                # A track nested straight in a track: ours nest stacks, so wrap it in one.
                inner = child.deepcopy()
                child = otio.schema.Stack(name=inner.name, source_range=inner.source_range)
                inner.source_range = None
                child.append(inner)
            stack = self.stack(child)
            start = 0 if stack.source_range is None else self.snap(child.source_range.start_time)
            stack.source_range = TimeRange(start_time=self.rt(start), duration=self.rt(record))
            return stack
        if not isinstance(child, otio.schema.Gap):
            self.warn(f'dropped unsupported {child.schema_name()} "{child.name}": left a gap')
        gap_id = self.take_id(child)
        effects, _ = self.effects(child, speed_allowed=False)
        source = child.source_range
        start = self.snap(source.start_time) if source is not None else 0
        return Gap(
            id=gap_id,
            name=child.name,
            source_range=TimeRange(start_time=self.rt(start), duration=self.rt(record)),
            effects=effects,
            markers=self.markers(child) if hasattr(child, "markers") else [],
            enabled=child.enabled,
            metadata=self.meta(child),
        )

    def clip(self, clip: otio.schema.Clip, record: int) -> Clip:
        """A clip lasting `record` frames on its track."""
        clip_id = self.take_id(clip)
        effects, speed = self.effects(clip, speed_allowed=True)
        origin = self.frames(clip.trimmed_range().start_time)
        whole = speed == 1
        return Clip(
            id=clip_id,
            name=clip.name,
            # OTIO's range is record-side; ours is the media window, `speed` times longer.
            source_range=TimeRange(
                start_time=self.rt(fit(origin, whole)), duration=self.rt(record * speed)
            ),
            media_reference=self.reference(clip),
            effects=effects,
            markers=self.markers(clip, origin, speed),
            enabled=clip.enabled,
            metadata=self.clip_meta(clip),
        )

    def transition(self, trans: otio.schema.Transition) -> Transition:
        """A transition; types other than a dissolve become dissolves."""
        kind = self.ours(trans).get("transition_type")
        if not isinstance(kind, str):
            kind = "SMPTE_Dissolve"
            if trans.transition_type not in ("", "SMPTE_Dissolve"):
                self.warn(f'transition "{trans.name}" ({trans.transition_type}) became a dissolve')
        return Transition(
            id=self.take_id(trans),
            name=trans.name,
            transition_type=kind,
            in_offset=self.rt(self.snap(trans.in_offset)),
            out_offset=self.rt(self.snap(trans.out_offset)),
            metadata=self.meta(trans),
        )

    def check_transitions(self, children: list[TrackChild], track: str) -> list[TrackChild]:
        """Drop transitions that don't sit between two clips (our editor needs both sides)."""
        out: list[TrackChild] = []
        for i, child in enumerate(children):
            if isinstance(child, Transition):
                left = children[i - 1] if i > 0 else None
                right = children[i + 1] if i + 1 < len(children) else None
                empty = number_fraction(child.in_offset.value + child.out_offset.value) <= 0
                if not isinstance(left, Clip) or not isinstance(right, Clip) or empty:
                    self.warn(f'track "{track}": dropped transition "{child.name}", which is not'
                              " between two clips")  # fmt: skip
                    continue
            out.append(child)
        return out

    def markers(
        self, item: Any, origin: Fraction = Fraction(0), speed: Fraction = Fraction(1)
    ) -> list[Marker]:
        """Markers, with a retimed clip's record-side offsets turned back into media time."""
        out: list[Marker] = []
        for marker in item.markers:
            rng = marker.marked_range
            start = origin + (self.frames(rng.start_time) - origin) * speed
            length = self.frames(rng.duration) * speed
            whole = speed == 1
            color = marker.color if marker.color in get_args(MarkerColor) else "RED"
            out.append(
                Marker(
                    id=self.take_id(marker),
                    name=marker.name,
                    marked_range=TimeRange(
                        start_time=self.rt(fit(start, whole)),
                        duration=self.rt(fit(length, whole)),
                    ),
                    color=color,
                    comment=marker.comment,
                    metadata=self.meta(marker),
                )
            )
        return out

    def effects(self, item: Any, *, speed_allowed: bool) -> tuple[list[AnyEffect], Fraction]:
        """Our effects and the combined speed of the item's time warps."""
        out: list[AnyEffect] = []
        speed, warp, warp_id = Fraction(1), None, ""
        where = f'{type(item).__name__.lower()} "{item.name}"'
        for fx in item.effects:
            if isinstance(fx, otio.schema.FreezeFrame) or (
                isinstance(fx, otio.schema.LinearTimeWarp) and fx.time_scalar <= 0
            ):
                self.warn(f"{where}: dropped {fx.effect_name or 'a time warp'} (freeze frames and"
                          " reverse playback are not supported)")  # fmt: skip
            elif isinstance(fx, otio.schema.LinearTimeWarp) and speed_allowed:
                speed *= number_fraction(fx.time_scalar)
                if warp is None:
                    warp, warp_id = fx, self.take_id(fx)
            elif isinstance(fx, otio.schema.TimeEffect | otio.schema.LinearTimeWarp):
                self.warn(f"{where}: dropped time effect {fx.effect_name or fx.name!r}")
            elif isinstance(fx, otio.schema.Effect):
                out.append(
                    Effect(
                        id=self.take_id(fx),
                        name=fx.name,
                        effect_name=fx.effect_name or fx.name or "Effect",
                        metadata=self.meta(fx),
                    )
                )
            else:
                self.warn(f"{where}: dropped unsupported effect {fx.schema_name()}")
        if speed != 1 and warp is not None:
            out.insert(
                0,
                LinearTimeWarp(
                    id=warp_id,
                    name=warp.name,
                    time_scalar=float(speed),
                    metadata=self.meta(warp),
                ),
            )
        return out, speed
