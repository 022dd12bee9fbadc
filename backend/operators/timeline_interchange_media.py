"""What an OTIO import needs besides structure: time at the timeline rate, ids, metadata, media.

Media references map to project assets by our own asset id (from our export), the exact URL,
the URL's or path's file name, or the reference's name; the rest become MissingReference with
the original URL kept in `metadata["vedit"]["original_target_url"]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import unquote, urlsplit

import opentimelineio as otio

from models.timeline_models import (
    VEDIT_KEY,
    ClipProperties,
    ExternalReference,
    GeneratorReference,
    MediaReference,
    MissingReference,
    RationalTime,
    TimelineSettings,
    TimeRange,
    fraction_number,
    number_fraction,
    rate_fraction,
    round_half_up,
)

# Our generator kinds as desktop tools name them (FCP 7's text generator is "Text").
OTIO_GENERATOR_KINDS = {"title": "Text", "solid": "SolidColor"}
_TITLE_KINDS = {"title", "text", "outline text", "typewriter", "scrolling text", "lower 3rd"}
_SOLID_KINDS = {"solid", "solidcolor", "solid color", "color", "colour", "black", "slug"}
# Keys our export adds under metadata["vedit"]; an import consumes them.
_OUR_KEYS = ("id", "asset_id", "generator_kind", "transition_type", "settings")


@dataclass(frozen=True)
class ImportAsset:
    """A project asset imported clips may use; `urls[0]` becomes their `target_url`."""

    asset_id: str
    name: str
    urls: list[str] = field(default_factory=list)


def url_basename(url: str) -> str:
    """The file name at the end of a URL or a POSIX/Windows path, case-folded."""
    parts = urlsplit(url)
    # "C:\\x.mov" parses with scheme "c": a one-letter scheme is a drive, not a URL.
    path = unquote(parts.path) if len(parts.scheme) > 1 else url
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].casefold()


def plain(value: Any) -> Any:
    """OTIO metadata (AnyDictionary, nested OTIO objects) as plain JSON values."""
    return json.loads(otio.core.serialize_json_to_string(value, indent=-1))


def url_of(ref: Any) -> str:
    """The URL a media reference points at ('' when it has none)."""
    if isinstance(ref, otio.schema.ExternalReference):
        return ref.target_url
    if isinstance(ref, otio.schema.ImageSequenceReference):
        # The frame-number pattern ("shot.####.exr") names the sequence as a whole.
        return ref.abstract_target_url("#" * max(ref.frame_zero_padding, 1))
    return ""


def fit(frames: Fraction, whole: bool) -> Fraction:
    """Whole frames, or for a retimed clip's source times the fraction without float noise."""
    return Fraction(round_half_up(frames)) if whole else frames.limit_denominator(1000)


class ImportContext:
    """Per-import state: the timeline clock, ids in use, warnings, the asset index."""

    def __init__(
        self, assets: Sequence[ImportAsset], new_id: Callable[[], str], settings: TimelineSettings
    ) -> None:
        self.settings = settings
        self.fps = rate_fraction(settings.rate)
        self.new_id = new_id
        self.used: set[str] = set()
        self.warnings: list[str] = []
        self.missing: dict[str, list[str]] = {}
        self.by_id = {a.asset_id: a for a in assets}
        self.by_url = {url: a for a in assets for url in a.urls}
        self.by_base: dict[str, ImportAsset] = {}
        for asset in assets:
            for name in [*asset.urls, asset.name]:
                self.by_base.setdefault(url_basename(name), asset)

    # --- time -----------------------------------------------------------------------------
    def frames(self, t: otio.opentime.RationalTime) -> Fraction:
        """`t` in exact frames at the timeline rate."""
        return number_fraction(t.value) * self.fps / rate_fraction(t.rate)

    def snap(self, t: otio.opentime.RationalTime) -> int:
        """`t` as the nearest whole frame at the timeline rate."""
        return round_half_up(self.frames(t))

    def rt(self, frames: Fraction | int) -> RationalTime:
        """Frames as our RationalTime at the timeline rate."""
        return RationalTime(value=fraction_number(Fraction(frames)), rate=self.settings.rate)

    def range(self, rng: otio.opentime.TimeRange | None) -> TimeRange | None:
        """A range with both ends snapped to frames."""
        if rng is None:
            return None
        start = self.snap(rng.start_time)
        end = round_half_up(self.frames(rng.start_time) + self.frames(rng.duration))
        return TimeRange(start_time=self.rt(start), duration=self.rt(end - start))

    # --- ids, metadata, warnings ----------------------------------------------------------
    def ours(self, obj: Any) -> dict[str, Any]:
        """What our export put in the object's metadata["vedit"]."""
        value = plain(obj.metadata).get(VEDIT_KEY)
        return value if isinstance(value, dict) else {}

    def take_id(self, obj: Any) -> str:
        """The id from our own export if unused so far, else a fresh one."""
        wanted = self.ours(obj).get("id")
        new = wanted if isinstance(wanted, str) and wanted and wanted not in self.used else None
        while new is None or new in self.used:
            new = self.new_id()
        self.used.add(new)
        return new

    def meta(self, obj: Any) -> dict[str, Any]:
        """The object's metadata as plain JSON, minus what our export added."""
        out = plain(obj.metadata)
        ours = out.get(VEDIT_KEY)
        if isinstance(ours, dict):
            rest = {k: v for k, v in ours.items() if k not in _OUR_KEYS}
            if rest:
                out[VEDIT_KEY] = rest
            else:
                del out[VEDIT_KEY]
        return out

    def clip_meta(self, clip: otio.schema.Clip) -> dict[str, Any]:
        """Clip metadata; vedit keeps only ClipProperties keys, fades at the timeline rate."""
        out = self.meta(clip)
        props = out.pop(VEDIT_KEY, None)
        if not isinstance(props, dict):
            return out
        keep: dict[str, Any] = {}
        for key, value in props.items():
            if key not in ClipProperties.model_fields:
                continue  # clip_properties() refuses unknown keys
            if key in ("fade_in", "fade_out") and isinstance(value, dict):
                try:
                    fade = otio.opentime.RationalTime(float(value["value"]), float(value["rate"]))
                except (KeyError, TypeError, ValueError):
                    continue
                value = self.rt(self.snap(fade)).model_dump()
            keep[key] = value
        if keep:
            out[VEDIT_KEY] = keep
        return out

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def warn_missing(self) -> None:
        """One warning per media file that matched no asset."""
        for url, clips in self.missing.items():
            names = ", ".join(f'"{n}"' for n in clips[:3]) + (", ..." if len(clips) > 3 else "")
            self.warn(
                f'media "{url}" is not in this project: {len(clips)} clip(s) left offline ({names})'
            )

    # --- media ----------------------------------------------------------------------------
    def reference(self, clip: otio.schema.Clip) -> MediaReference:
        """The clip's media: a project asset, a title or solid, else missing media."""
        active = clip.media_reference
        others = [
            ref
            for key, ref in clip.media_references().items()
            if key != clip.active_media_reference_key
        ]
        # Clip.2 may offer several references (proxy, full-res): any that matches will do.
        for ref in [active, *others]:
            asset = self.match(ref)
            if asset is not None:
                return ExternalReference(
                    name=ref.name,
                    target_url=asset.urls[0] if asset.urls else asset.name,
                    available_range=self.range(ref.available_range),
                    asset_id=asset.asset_id,
                    metadata=self.meta(ref),
                )
        if isinstance(active, otio.schema.GeneratorReference):
            generator = self.generator(active, clip.name)
            if generator is not None:
                return generator
        meta = self.meta(active)
        url = url_of(active)
        if url:
            meta.setdefault(VEDIT_KEY, {})["original_target_url"] = url
            self.missing.setdefault(url, []).append(clip.name)
        elif not isinstance(active, otio.schema.GeneratorReference):
            self.warn(f'clip "{clip.name}" has no media (it was offline in the source)')
        return MissingReference(
            name=active.name, available_range=self.range(active.available_range), metadata=meta
        )

    def match(self, ref: Any) -> ImportAsset | None:
        """The project asset a reference points at: our asset id, its URL, basename, name."""
        asset_id = self.ours(ref).get("asset_id")
        if isinstance(asset_id, str) and asset_id in self.by_id:
            return self.by_id[asset_id]
        url = url_of(ref)
        if url and url in self.by_url:
            return self.by_url[url]
        for key in (url, ref.name):
            if key and url_basename(key) in self.by_base:
                return self.by_base[url_basename(key)]
        return None

    def generator(
        self, ref: otio.schema.GeneratorReference, clip_name: str
    ) -> GeneratorReference | None:
        """A title or solid from a generator of any tool; None (with a warning) for others."""
        ours = self.ours(ref).get("generator_kind")
        kind = ours or ref.generator_kind.casefold()
        params = plain(ref.parameters)
        if kind in _TITLE_KINDS:
            kind = "title"
            if not ours:
                params.setdefault("text", clip_name)
        elif kind in _SOLID_KINDS:
            kind = "solid"
            if not ours:
                params.setdefault("color", "#000000")
        else:
            self.warn(f'clip "{clip_name}": generator {ref.generator_kind!r} is not supported;'
                      " left offline")  # fmt: skip
            return None
        return GeneratorReference(
            name=ref.name,
            generator_kind=kind,
            parameters=params,
            available_range=self.range(ref.available_range),
            metadata=self.meta(ref),
        )
