"""Timeline interchange tests; `sample_timeline()` builds the timeline most of them use."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from models.timeline_models import (
    Clip,
    ExternalReference,
    Gap,
    GeneratorReference,
    LinearTimeWarp,
    Marker,
    RationalTime,
    Stack,
    Timeline,
    TimelineSettings,
    TimeRange,
    Track,
    Transition,
)
from operators.timeline_interchange import ImportAsset

RATE = 24
ASSETS = {"a1": "beach.mov", "a2": "city.mov", "a3": "music.wav"}


def rt(frames: float, rate: float = RATE) -> RationalTime:
    return RationalTime(value=frames, rate=rate)


def tr(start: float, duration: float, rate: float = RATE) -> TimeRange:
    return TimeRange(start_time=rt(start, rate), duration=rt(duration, rate))


def target(asset_id: str) -> str:
    return f"vedit://assets/{asset_id}"


def import_assets() -> list[ImportAsset]:
    """The project's assets as import_otio sees them: our URL first, then the file name."""
    return [ImportAsset(aid, name, [target(aid), name]) for aid, name in ASSETS.items()]


def id_maker(prefix: str = "new") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


def media_clip(clip_id: str, asset_id: str, start: int, length: int, **kw: Any) -> Clip:
    ref = ExternalReference(
        name=ASSETS[asset_id], target_url=target(asset_id), asset_id=asset_id,
        available_range=tr(0, 1000),
    )  # fmt: skip
    return Clip(
        id=clip_id, name=kw.pop("name", clip_id), source_range=tr(start, length),
        media_reference=ref, **kw,
    )  # fmt: skip


def marker(marker_id: str, at: int, length: int = 0, color: str = "RED") -> Marker:
    return Marker(id=marker_id, name=f"m {marker_id}", marked_range=tr(at, length), color=color)


def sample_timeline() -> Timeline:
    """V1: A, dissolve, B, gap, 2x C; V2: gap, title; A1: music. Markers on clips and V1."""
    a = media_clip("clip-a", "a1", 10, 48, markers=[marker("mk-a", 20, color="GREEN")])
    b = media_clip("clip-b", "a2", 100, 72)
    c = media_clip(
        "clip-c", "a1", 200, 96,
        effects=[LinearTimeWarp(id="fx-speed", time_scalar=2.0)],
        markers=[marker("mk-c", 220, 8)],
    )  # fmt: skip
    dissolve = Transition(id="tx-1", in_offset=rt(6), out_offset=rt(6))
    v1 = Track(
        id="track-v1", name="V1", kind="Video",
        children=[a, dissolve, b, Gap(id="gap-1", source_range=tr(0, 24)), c],
        markers=[marker("mk-v1", 30, 12, "BLUE")],
    )  # fmt: skip
    title = Clip(
        id="clip-title", name="Hello", source_range=tr(0, 48),
        media_reference=GeneratorReference(generator_kind="title", parameters={"text": "Hello"}),
    )  # fmt: skip
    v2 = Track(
        id="track-v2", name="V2", kind="Video",
        children=[Gap(id="gap-2", source_range=tr(0, 24)), title],
    )  # fmt: skip
    music = media_clip(
        "clip-m", "a3", 0, 120, metadata={"vedit": {"volume": 0.5, "fade_in": rt(12).model_dump()}}
    )
    a1 = Track(id="track-a1", name="A1", kind="Audio", children=[music])
    return Timeline(
        id="tl-1", name="My Cut", settings=TimelineSettings(rate=RATE),
        tracks=Stack(children=[v1, v2, a1]), global_start_time=rt(0),
    )  # fmt: skip
