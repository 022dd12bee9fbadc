"""Our timeline model -> an OTIO object tree: the export half of `timeline_interchange`.

Our ids, asset ids, generator kinds and settings travel in `metadata["vedit"]` so an import of
the result gives the same timeline back. A retimed clip's OTIO `source_range` lasts its record
duration (ours lasts its media window), and its markers move into that record-side time.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import opentimelineio as otio
from opentimelineio import opentime

from models.timeline_models import (
    VEDIT_KEY,
    AnyEffect,
    Clip,
    ExternalReference,
    Gap,
    GeneratorReference,
    LinearTimeWarp,
    Marker,
    MediaReference,
    RationalTime,
    Stack,
    Timeline,
    TimeRange,
    Track,
    Transition,
    clip_speed,
    number_fraction,
    rate_fraction,
)
from operators.timeline_interchange_media import OTIO_GENERATOR_KINDS


def to_otio(doc: Timeline, media_urls: Mapping[str, str] | None = None) -> otio.schema.Timeline:
    """Our timeline as an OTIO object tree (media_urls: asset_id -> URL to write)."""
    out = otio.schema.Timeline(
        name=doc.name,
        metadata=_meta(doc.metadata, id=doc.id, settings=doc.settings.model_dump()),
    )
    if doc.global_start_time is not None:
        out.global_start_time = _time(doc.global_start_time)
    out.tracks = _stack(doc.tracks, media_urls or {})
    return out


def _stack(stack: Stack, urls: Mapping[str, str]) -> otio.schema.Stack:
    out = otio.schema.Stack(
        name=stack.name,
        source_range=_range(stack.source_range),
        metadata=_meta(stack.metadata, id=stack.id),
    )
    _decorate(out, stack.enabled, stack.effects, stack.markers)
    for track in stack.children:
        out.append(_track(track, urls))
    return out


def _track(track: Track, urls: Mapping[str, str]) -> otio.schema.Track:
    out = otio.schema.Track(
        name=track.name, kind=track.kind, metadata=_meta(track.metadata, id=track.id)
    )
    _decorate(out, track.enabled, track.effects, track.markers)
    for child in track.children:
        if isinstance(child, Clip):
            out.append(_clip(child, urls))
        elif isinstance(child, Gap):
            gap = otio.schema.Gap(
                name=child.name,
                source_range=_range(child.source_range),
                metadata=_meta(child.metadata, id=child.id),
            )
            _decorate(gap, child.enabled, child.effects, child.markers)
            out.append(gap)
        elif isinstance(child, Transition):
            out.append(_transition(child))
        else:
            out.append(_stack(child, urls))
    return out


def _clip(clip: Clip, urls: Mapping[str, str]) -> otio.schema.Clip:
    speed = clip_speed(clip)
    start = clip.source_range.start_time
    duration = clip.source_range.duration
    # OTIO's source_range is what the clip occupies on its track; ours is the media window.
    record = opentime.TimeRange(
        _time(start), _time_at(duration.to_fraction_seconds() / speed, duration.rate)
    )
    out = otio.schema.Clip(
        name=clip.name,
        media_reference=_reference(clip.media_reference, urls),
        source_range=record,
        metadata=_meta(clip.metadata, id=clip.id),
    )
    _decorate(out, clip.enabled, clip.effects, [])
    for marker in clip.markers:
        out.markers.append(_marker(marker, start.to_fraction_seconds(), speed))
    return out


def _transition(trans: Transition) -> otio.schema.Transition:
    is_dissolve = trans.transition_type in ("SMPTE_Dissolve", "dissolve")
    kind = otio.schema.TransitionTypes.SMPTE_Dissolve if is_dissolve else "Custom_Transition"
    return otio.schema.Transition(
        name=trans.name,
        transition_type=kind,
        in_offset=_time(trans.in_offset),
        out_offset=_time(trans.out_offset),
        metadata=_meta(trans.metadata, id=trans.id, transition_type=trans.transition_type),
    )


def _reference(ref: MediaReference, urls: Mapping[str, str]) -> otio.core.MediaReference:
    available = _range(ref.available_range)
    if isinstance(ref, ExternalReference):
        external = otio.schema.ExternalReference(
            target_url=urls.get(ref.asset_id, ref.target_url),
            available_range=available,
            metadata=_meta(ref.metadata, asset_id=ref.asset_id),
        )
        external.name = ref.name  # not a constructor argument of ExternalReference
        return external
    if isinstance(ref, GeneratorReference):
        # Desktop tools know "Text"/"SolidColor"-style kinds; ours travels in metadata.
        return otio.schema.GeneratorReference(
            name=ref.name,
            generator_kind=OTIO_GENERATOR_KINDS[ref.generator_kind],
            parameters=ref.parameters,
            available_range=available,
            metadata=_meta(ref.metadata, generator_kind=ref.generator_kind),
        )
    return otio.schema.MissingReference(
        name=ref.name, available_range=available, metadata=_meta(ref.metadata)
    )


def _decorate(
    item: otio.core.Item, enabled: bool, effects: list[AnyEffect], markers: list[Marker]
) -> None:
    item.enabled = enabled
    for effect in effects:
        meta = _meta(effect.metadata, id=effect.id)
        if isinstance(effect, LinearTimeWarp):
            item.effects.append(
                otio.schema.LinearTimeWarp(
                    name=effect.name, time_scalar=effect.time_scalar, metadata=meta
                )
            )
        else:
            item.effects.append(
                otio.schema.Effect(name=effect.name, effect_name=effect.effect_name, metadata=meta)
            )
    for marker in markers:
        item.markers.append(_marker(marker, Fraction(0), Fraction(1)))


def _marker(marker: Marker, origin: Fraction, speed: Fraction) -> otio.schema.Marker:
    # A retimed clip's internal OTIO time runs at record speed from its source start.
    rng = marker.marked_range
    start = origin + (rng.start_time.to_fraction_seconds() - origin) / speed
    return otio.schema.Marker(
        name=marker.name,
        marked_range=opentime.TimeRange(
            _time_at(start, rng.start_time.rate),
            _time_at(rng.duration.to_fraction_seconds() / speed, rng.duration.rate),
        ),
        color=marker.color,
        comment=marker.comment,
        metadata=_meta(marker.metadata, id=marker.id),
    )


def _time(t: RationalTime) -> opentime.RationalTime:
    return opentime.RationalTime(float(number_fraction(t.value)), float(rate_fraction(t.rate)))


def _time_at(seconds: Fraction, rate: float | int) -> opentime.RationalTime:
    exact = rate_fraction(rate)
    return opentime.RationalTime(float(seconds * exact), float(exact))


def _range(rng: TimeRange | None) -> opentime.TimeRange | None:
    return None if rng is None else opentime.TimeRange(_time(rng.start_time), _time(rng.duration))


def _meta(metadata: dict[str, Any], **vedit: Any) -> dict[str, Any]:
    out = dict(metadata)
    ours = dict(out.get(VEDIT_KEY) or {})
    ours.update({key: value for key, value in vedit.items() if value is not None})
    if ours:
        out[VEDIT_KEY] = ours
    return out
