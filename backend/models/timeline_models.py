"""Timeline models in OpenTimelineIO's JSON shape, with stable ids on every editable object.

Time is exact: a `RationalTime` converts to `fractions.Fraction` seconds, and the editor writes
every time at the timeline's rate as a whole number of frames. `Stack.children[0]` is the
bottom layer (OTIO's order): later tracks composite over earlier ones.

Clip properties live in `clip.metadata["vedit"]` (see `ClipProperties`: volume, opacity,
fade_in, fade_out; absent keys mean the defaults). Speed is a `LinearTimeWarp` effect whose
`time_scalar` is the speed: `source_range` is the media window used, so a 2x clip occupies half
its source duration on the track (unlike OTIO, where a time warp leaves the duration alone).
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
VEDIT_KEY = "vedit"
MarkerColor = Literal[
    "PINK", "RED", "ORANGE", "YELLOW", "GREEN", "CYAN", "BLUE", "PURPLE", "MAGENTA", "BLACK",
    "WHITE",
]  # fmt: skip
# NTSC-style rates written as decimals (23.976, 29.97, 59.94) mean n*1000/1001.
_NTSC_BASES = (24, 30, 48, 60, 120)


def rate_fraction(rate: float | int | Fraction) -> Fraction:
    """An exact frame rate: NTSC decimals snap to n*1000/1001, others to a denominator <= 1001."""
    if isinstance(rate, Fraction):
        return rate
    approx = Fraction(rate).limit_denominator(1001)
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(approx - ntsc) < Fraction(1, 200):
            return ntsc
    return approx


def number_fraction(value: float | int | Fraction) -> Fraction:
    """A JSON number as the decimal it was written as (0.1 is 1/10, not the binary float)."""
    if isinstance(value, int | Fraction):
        return Fraction(value)
    return Fraction(repr(value))


def fraction_number(value: Fraction) -> int | float:
    """A Fraction as a JSON number: an int when whole."""
    return int(value) if value.denominator == 1 else float(value)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves upwards (deterministic, unlike banker's rounding)."""
    return math.floor(value + Fraction(1, 2))


def _whole_to_int(value: float | int) -> float | int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class RationalTime(_Model):
    OTIO_SCHEMA: Literal["RationalTime.1"] = "RationalTime.1"
    value: int | float
    rate: int | float = Field(gt=0)

    _ints = field_validator("value", "rate")(_whole_to_int)

    def to_fraction_seconds(self) -> Fraction:
        """This time in exact seconds."""
        return number_fraction(self.value) / rate_fraction(self.rate)

    @classmethod
    def from_seconds(
        cls, seconds: Fraction | int, rate: float | int, *, snap: bool = True
    ) -> RationalTime:
        """A time at `rate`; with `snap`, rounded to the nearest whole frame."""
        frames = Fraction(seconds) * rate_fraction(rate)
        if snap:
            return cls(value=round_half_up(frames), rate=rate)
        return cls(value=fraction_number(frames), rate=rate)

    @classmethod
    def from_frames(cls, frames: int, rate: float | int) -> RationalTime:
        """A whole number of frames at `rate`."""
        return cls(value=frames, rate=rate)

    def rescaled_to(self, rate: float | int) -> RationalTime:
        """The same instant expressed at `rate`, exactly (a float value when not whole)."""
        return RationalTime.from_seconds(self.to_fraction_seconds(), rate, snap=False)

    def to_frames(self, rate: float | int | Fraction) -> int:
        """The nearest whole frame at `rate`."""
        if not isinstance(rate, Fraction) and rate == self.rate:
            return round_half_up(number_fraction(self.value))
        return round_half_up(self.to_fraction_seconds() * rate_fraction(rate))


class TimeRange(_Model):
    OTIO_SCHEMA: Literal["TimeRange.1"] = "TimeRange.1"
    start_time: RationalTime
    duration: RationalTime

    def end_time_exclusive(self) -> RationalTime:
        """start + duration, at the start's rate."""
        end = self.start_time.to_fraction_seconds() + self.duration.to_fraction_seconds()
        return RationalTime.from_seconds(end, self.start_time.rate, snap=False)


class TimelineSettings(_Model):
    rate: int | float = Field(default=24, gt=0, le=1000)
    width: int = Field(default=1920, gt=0, le=16384)
    height: int = Field(default=1080, gt=0, le=16384)
    sample_rate: int = Field(default=48000, gt=0, le=384000)

    _ints = field_validator("rate")(_whole_to_int)


class Marker(_Model):
    OTIO_SCHEMA: Literal["Marker.2"] = "Marker.2"
    id: str
    name: str = ""
    marked_range: TimeRange
    color: MarkerColor = "RED"
    comment: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class Effect(_Model):
    """A named effect; its settings are in `metadata["parameters"]`."""

    OTIO_SCHEMA: Literal["Effect.1"] = "Effect.1"
    id: str
    name: str = ""
    effect_name: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class LinearTimeWarp(_Model):
    """Speed: `time_scalar` 2 plays twice as fast, so the clip lasts half its source range."""

    OTIO_SCHEMA: Literal["LinearTimeWarp.1"] = "LinearTimeWarp.1"
    id: str
    name: str = ""
    effect_name: str = "LinearTimeWarp"
    time_scalar: float = Field(gt=0)
    metadata: dict[str, Any] = Field(default_factory=dict)


AnyEffect = Annotated[Effect | LinearTimeWarp, Field(discriminator="OTIO_SCHEMA")]


class ExternalReference(_Model):
    OTIO_SCHEMA: Literal["ExternalReference.1"] = "ExternalReference.1"
    name: str = ""
    target_url: str
    available_range: TimeRange | None = None
    asset_id: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class GeneratorReference(_Model):
    """Synthetic media: titles (text, font_size, color, position) and solids (color)."""

    OTIO_SCHEMA: Literal["GeneratorReference.1"] = "GeneratorReference.1"
    name: str = ""
    generator_kind: Literal["title", "solid"]
    parameters: dict[str, Any] = Field(default_factory=dict)
    available_range: TimeRange | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class MissingReference(_Model):
    OTIO_SCHEMA: Literal["MissingReference.1"] = "MissingReference.1"
    name: str = ""
    available_range: TimeRange | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


MediaReference = Annotated[
    ExternalReference | GeneratorReference | MissingReference,
    Field(discriminator="OTIO_SCHEMA"),
]


class Clip(_Model):
    OTIO_SCHEMA: Literal["Clip.1"] = "Clip.1"
    id: str
    name: str = ""
    source_range: TimeRange
    media_reference: MediaReference = Field(default_factory=MissingReference)
    effects: list[AnyEffect] = Field(default_factory=list)
    markers: list[Marker] = Field(default_factory=list)
    enabled: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


class Gap(_Model):
    OTIO_SCHEMA: Literal["Gap.1"] = "Gap.1"
    id: str
    name: str = ""
    source_range: TimeRange
    effects: list[AnyEffect] = Field(default_factory=list)
    markers: list[Marker] = Field(default_factory=list)
    enabled: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


class Transition(_Model):
    """Overlaps the cut between its neighbours: `in_offset` before it, `out_offset` after."""

    OTIO_SCHEMA: Literal["Transition.1"] = "Transition.1"
    id: str
    name: str = ""
    transition_type: str = "SMPTE_Dissolve"
    in_offset: RationalTime
    out_offset: RationalTime
    metadata: dict[str, Any] = Field(default_factory=dict)


class Stack(_Model):
    OTIO_SCHEMA: Literal["Stack.1"] = "Stack.1"
    id: str | None = None
    name: str = "tracks"
    children: list[Track] = Field(default_factory=list)
    source_range: TimeRange | None = None
    effects: list[AnyEffect] = Field(default_factory=list)
    markers: list[Marker] = Field(default_factory=list)
    enabled: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


TrackChild = Annotated[Clip | Gap | Transition | Stack, Field(discriminator="OTIO_SCHEMA")]


class Track(_Model):
    OTIO_SCHEMA: Literal["Track.1"] = "Track.1"
    id: str
    name: str = ""
    kind: Literal["Video", "Audio"]
    children: list[TrackChild] = Field(default_factory=list)
    markers: list[Marker] = Field(default_factory=list)
    effects: list[AnyEffect] = Field(default_factory=list)
    enabled: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


class Timeline(_Model):
    OTIO_SCHEMA: Literal["Timeline.1"] = "Timeline.1"
    id: str
    name: str = ""
    settings: TimelineSettings = Field(default_factory=TimelineSettings)
    tracks: Stack = Field(default_factory=Stack)
    global_start_time: RationalTime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION


Stack.model_rebuild()


class ClipProperties(_Model):
    """What `clip.metadata["vedit"]` may hold; a missing key means the default."""

    volume: float = Field(default=1.0, ge=0, le=4)
    opacity: float = Field(default=1.0, ge=0, le=1)
    fade_in: RationalTime | None = None
    fade_out: RationalTime | None = None


def clip_properties(clip: Clip) -> ClipProperties:
    """The clip's properties with defaults filled in (raises ValidationError if malformed)."""
    return ClipProperties.model_validate(clip.metadata.get(VEDIT_KEY, {}))


def clip_time_warp(clip: Clip) -> LinearTimeWarp | None:
    """The clip's speed effect, if any."""
    return next((e for e in clip.effects if isinstance(e, LinearTimeWarp)), None)


def clip_speed(clip: Clip) -> Fraction:
    """The clip's playback speed as an exact fraction (1 without a time warp)."""
    warp = clip_time_warp(clip)
    return number_fraction(warp.time_scalar) if warp else Fraction(1)


def new_timeline(
    name: str, settings: TimelineSettings, *, timeline_id: str | None = None
) -> Timeline:
    """An empty timeline (no tracks) with the given settings."""
    return Timeline(id=timeline_id or str(uuid.uuid4()), name=name, settings=settings)


_NEEDS_ID = {
    "Track.1", "Clip.1", "Clip.2", "Gap.1", "Transition.1", "Marker.1", "Marker.2", "Effect.1",
    "LinearTimeWarp.1",
}  # fmt: skip


def upgrade_timeline_json(
    data: dict[str, Any], *, new_id: Callable[[], str] | None = None
) -> dict[str, Any]:
    """Bring stored timeline JSON of any older schema_version up to SCHEMA_VERSION (a copy)."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise ValueError(f"timeline schema_version {version!r} is not a version number")
    if version > SCHEMA_VERSION:
        raise ValueError(f"timeline schema_version {version} is newer than {SCHEMA_VERSION}")
    out = copy.deepcopy(data)
    make_id = new_id or (lambda: str(uuid.uuid4()))
    if version < 1:
        _walk(out, lambda obj: _give_id(obj, make_id))
    _walk(out, _clip2_to_clip1)
    out["schema_version"] = SCHEMA_VERSION
    return out


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _give_id(obj: dict[str, Any], make_id: Callable[[], str]) -> None:
    # Version 0 stored markers (and, in early drafts, other objects) without ids.
    if obj.get("OTIO_SCHEMA") in _NEEDS_ID and not obj.get("id"):
        obj["id"] = make_id()
    if obj.get("OTIO_SCHEMA") == "Marker.1":
        obj["OTIO_SCHEMA"] = "Marker.2"
        obj.setdefault("comment", "")


def _clip2_to_clip1(obj: dict[str, Any]) -> None:
    # OTIO writes Clip.2 (several references, one active); we keep the active one as Clip.1.
    if obj.get("OTIO_SCHEMA") != "Clip.2":
        return
    refs = obj.pop("media_references", None) or {}
    key = obj.pop("active_media_reference_key", "DEFAULT_MEDIA")
    obj["OTIO_SCHEMA"] = "Clip.1"
    obj["media_reference"] = refs.get(key) or {"OTIO_SCHEMA": "MissingReference.1"}
