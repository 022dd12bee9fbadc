"""Timeline interchange with desktop editors through OpenTimelineIO and its adapter plugins.

Export builds an OTIO object tree from our model (`to_otio`) and hands it to an adapter; import
(`import_otio`, in `timeline_interchange_import`) reads OTIO JSON written by any tool.

Semantics worth knowing:
- Speed: our `source_range` is the media window used, OTIO's is the record-side duration (a 2x
  clip of 48 media frames is `source_range` 24 frames plus `LinearTimeWarp(2)` in OTIO). Markers
  on a retimed clip move the same way, so they stay inside OTIO's trimmed range.
- Our ids travel in `metadata["vedit"]["id"]` (and asset ids, generator kinds, timeline
  settings next to them) so an OTIO round trip gives the same timeline back.
- EDL (CMX 3600) holds one video track: we export the first enabled video track (V1, the
  bottom layer) with its nested stacks flattened; other video tracks, all audio, track
  markers and clip properties are left out, and titles and solids become black (no event).
- FCP X XML (its adapter): no transitions, speed, titles (gaps instead) or track names.
  FCP 7 XML: no speed or track markers; titles and solids become FCP generators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import opentimelineio as otio
from opentimelineio import opentime

from errors import AppError
from models.timeline_models import VEDIT_KEY, Stack, Timeline, TimelineSettings
from operators.timeline_interchange_export import to_otio
from operators.timeline_interchange_import import Importer, read_timeline, timeline_settings
from operators.timeline_interchange_media import ImportAsset

__all__ = [
    "EXPORT_FORMATS",
    "ImportAsset",
    "InterchangeError",
    "export_timeline",
    "import_otio",
    "to_otio",
]

# format -> (OTIO adapter name, content type, file extension)
EXPORT_FORMATS: dict[str, tuple[str, str, str]] = {
    "otio": ("otio_json", "application/json", "otio"),
    "edl": ("cmx_3600", "text/plain; charset=utf-8", "edl"),
    "fcpxml": ("fcpx_xml", "application/xml", "fcpxml"),
    "fcp7xml": ("fcp_xml", "application/xml", "xml"),
}


class InterchangeError(AppError):
    """An export or import that can't be done: `code` says why, `message` tells the user."""

    status_code = 422

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, code=code, **details)
        if code == "unsupported_format":
            self.status_code = 400


def export_timeline(
    doc: Timeline, fmt: str, media_urls: Mapping[str, str] | None = None
) -> tuple[bytes, str, str]:
    """The timeline written in `fmt`: (content, content type, file name)."""
    if fmt not in EXPORT_FORMATS:
        raise InterchangeError(
            "unsupported_format",
            f"can't export as {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}",
            format=fmt,
        )
    adapter, content_type, extension = EXPORT_FORMATS[fmt]
    tree = _edl_tree(doc, media_urls) if fmt == "edl" else to_otio(doc, media_urls)
    if fmt in ("edl", "fcpxml"):
        _generators_to_gaps(tree)
    if fmt == "fcpxml":
        _pad_primary(tree)
    elif fmt == "fcp7xml":
        _fit_fcp7(tree)
    try:
        text = otio.adapters.write_to_string(tree, adapter)
    except Exception as exc:  # adapters raise anything from NotSupportedError to KeyError
        raise InterchangeError(
            "export_failed", f"the {fmt} export failed: {exc}", format=fmt
        ) from exc
    return text.encode("utf-8"), content_type, f"{_file_stem(doc.name)}.{extension}"


def import_otio(
    data: str | bytes,
    assets: Sequence[ImportAsset],
    *,
    new_id: Callable[[], str],
    settings: TimelineSettings | None = None,
) -> tuple[Timeline, list[str]]:
    """Our timeline from OTIO JSON written by any tool, and warnings about what was lost."""
    try:
        tl = read_timeline(data)
    except Exception as exc:  # OTIO raises ValueError, JSONDecodeError, its own exceptions...
        raise InterchangeError("invalid_otio", f"this is not an OTIO file: {exc}") from exc
    if tl is None:
        raise InterchangeError("invalid_otio", "this OTIO file holds no timeline")
    importer = Importer(assets, new_id, settings or timeline_settings(tl))
    return importer.timeline(tl), importer.warnings


def _edl_tree(doc: Timeline, urls: Mapping[str, str] | None) -> otio.schema.Timeline:
    # CMX 3600 has one picture track: keep the first enabled video track, the base layer.
    track = next((t for t in doc.tracks.children if t.kind == "Video" and t.enabled), None)
    if track is None or not track.children:
        raise InterchangeError(
            "export_failed", "an EDL needs a video track with clips; this timeline has none"
        )
    single = doc.model_copy(update={"tracks": Stack(children=[track])})
    tree = to_otio(single, urls)
    first = tree.tracks[0]
    if any(isinstance(child, otio.schema.Stack) for child in first):
        tree.tracks[0] = _flatten_nested(first)
    return tree


def _flatten_nested(track: otio.schema.Track) -> otio.schema.Track:
    # The EDL writer skips nested stacks; replace each by the clips that show through it.
    out = otio.schema.Track(name=track.name, kind=track.kind, metadata=track.metadata)
    for child in list(track):
        if isinstance(child, otio.schema.Stack):
            flat = otio.algorithms.flatten_stack(child)
            if child.source_range is not None:
                flat = otio.algorithms.track_trimmed_to_range(flat, child.source_range)
            pieces = [piece.deepcopy() for piece in flat]
        else:
            pieces = [child.deepcopy()]
        for piece in pieces:
            out.append(piece)
    return out


def _generators_to_gaps(tree: otio.schema.Timeline) -> None:
    # EDL events need a source reel and the FCP X adapter writes only file-backed clips:
    # there a title or solid becomes a gap (black) rather than a clip of a made-up file.
    for clip in list(tree.find_clips()):
        if isinstance(clip.media_reference, otio.schema.GeneratorReference):
            track = clip.parent()
            index = track.index(clip)
            gap = otio.schema.Gap(name=clip.name, source_range=clip.trimmed_range())
            del track[index]
            track.insert(index, gap)


def _pad_primary(tree: otio.schema.Timeline) -> None:
    # FCP X hangs every other track's clips off the primary storyline (our first video
    # track) and the adapter fails for a clip past its end: pad it to the timeline's length.
    primary = next((t for t in tree.tracks if t.kind == otio.schema.TrackKind.Video), None)
    if primary is None:
        primary = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
        tree.tracks.insert(0, primary)
    missing = tree.tracks.duration() - primary.duration()
    if missing.value > 0:
        primary.append(otio.schema.Gap(source_range=opentime.TimeRange(duration=missing)))


def _fit_fcp7(tree: otio.schema.Timeline) -> None:
    # The FCP 7 adapter needs every file's available range, can't write a missing reference,
    # and writes a generator as a real FCP generator only when given its effect description.
    for clip in tree.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.MissingReference):
            original = ref.metadata.get(VEDIT_KEY, {}).get("original_target_url")
            offline = otio.schema.ExternalReference(
                target_url=str(original or clip.name or "offline"),
                available_range=ref.available_range,
                metadata=ref.metadata,
            )
            offline.name = ref.name
            clip.media_reference = ref = offline
        if ref.available_range is None:
            ref.available_range = _media_window(clip)
        if isinstance(ref, otio.schema.GeneratorReference):
            ref.metadata["fcp_xml"] = _fcp7_generator(ref)
            ref.generator_kind = "Text" if ref.generator_kind == "Text" else "Color"
            ref.name = ref.name or ref.generator_kind


def _media_window(clip: otio.schema.Clip) -> opentime.TimeRange:
    scalar = 1.0
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            scalar *= effect.time_scalar
    used = clip.trimmed_range()
    duration = opentime.RationalTime(used.duration.value * abs(scalar), used.duration.rate)
    return opentime.TimeRange(used.start_time, duration)


def _fcp7_generator(ref: otio.schema.GeneratorReference) -> dict[str, Any]:
    params = ref.parameters
    if ref.generator_kind == "Text":
        values = [{"parameterid": "str", "name": "Text", "value": str(params.get("text", ""))}]
        if isinstance(params.get("font_size"), int | float):
            values.append({"parameterid": "fontsize", "name": "Size", "value": params["font_size"]})
        category = "Text"
    else:
        digits = str(params.get("color", "#000000")).lstrip("#")
        digits = digits if re.fullmatch(r"[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", digits) else "000000"
        rgba = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)] + [255]
        color = dict(zip(("red", "green", "blue", "alpha"), rgba, strict=False))
        values = [{"parameterid": "fillcolor", "name": "Color", "value": color}]
        category = "Matte"
    return {
        "effectcategory": category,
        "effecttype": "generator",
        "mediatype": "video",
        "parameter": values,
    }


def _file_stem(name: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return stem[:100] or "timeline"
