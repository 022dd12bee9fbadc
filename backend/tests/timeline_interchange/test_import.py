"""Import: our own exports round-trip exactly; other tools' OTIO maps onto project assets."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest
from opentimelineio.opentime import RationalTime, TimeRange

from models.timeline_models import (
    Clip,
    ExternalReference,
    LinearTimeWarp,
    Stack,
    Timeline,
    TimelineSettings,
    Track,
)
from operators.timeline_interchange import (
    InterchangeError,
    export_timeline,
    import_otio,
    to_otio,
)
from tests.timeline_interchange import (
    id_maker,
    import_assets,
    marker,
    media_clip,
    sample_timeline,
)


def at25(start: float, duration: float) -> TimeRange:
    return TimeRange(RationalTime(start, 25), RationalTime(duration, 25))


def ext(url: str) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(target_url=url)


def spans(track: Track) -> list[tuple[str, str, float, float]]:
    return [
        (c.OTIO_SCHEMA, c.name, c.source_range.start_time.value, c.source_range.duration.value)
        for c in track.children
        if isinstance(c, Clip)
    ]


def test_our_export_round_trips_exactly() -> None:
    doc = sample_timeline()
    content, _, _ = export_timeline(doc, "otio")
    back, warnings = import_otio(content, import_assets(), new_id=id_maker())
    assert warnings == []
    assert back.model_dump() == doc.model_dump()


def test_round_trip_through_file_names_maps_assets_by_basename() -> None:
    doc = sample_timeline()
    files = {"a1": "/Volumes/Media/beach.mov", "a2": "file:///x/City.MOV", "a3": "music.wav"}
    tree = to_otio(doc, files)
    # As another tool would hand it back: our ids survive, our asset ids don't.
    for clip in tree.find_clips():
        clip.media_reference.metadata.pop("vedit", None)
    text = otio.adapters.write_to_string(tree, "otio_json")
    back, warnings = import_otio(text, import_assets(), new_id=id_maker())
    assert warnings == []
    assert back.model_dump() == doc.model_dump()


def test_ntsc_rate_and_fractional_speed_round_trip() -> None:
    # 45 media frames at 1.5x last 30 record frames; the marker sits at a fractional source time.
    fast = media_clip(
        "c1", "a1", 7, 45,
        effects=[LinearTimeWarp(id="w", time_scalar=1.5)],
        markers=[marker("m1", 10)],
    )  # fmt: skip
    for part in (fast.source_range.start_time, fast.source_range.duration):
        part.rate = 29.97
    fast.markers[0].marked_range.start_time.value = 10.5
    fast.markers[0].marked_range.start_time.rate = 29.97
    fast.markers[0].marked_range.duration.rate = 29.97
    fast.media_reference.available_range = None
    track = Track(id="v", kind="Video", children=[fast])
    doc = Timeline(id="t", settings=TimelineSettings(rate=29.97), tracks=Stack(children=[track]))
    back, _ = import_otio(export_timeline(doc, "otio")[0], import_assets(), new_id=id_maker())
    assert back.model_dump() == doc.model_dump()


def other_tool_timeline() -> otio.schema.Timeline:
    """What another tool writes: 25 fps, Clip.2 references, nested stack, foreign media."""
    tl = otio.schema.Timeline(name="Edit", global_start_time=RationalTime(90000, 25))
    main = otio.schema.Track(name="Main", kind="Video")
    beach = otio.schema.Clip(name="Beach", source_range=at25(25, 50))
    beach.set_media_references(
        {"high": ext("file:///Volumes/RAID/Beach.MOV"), "proxy": ext("/p/beach_proxy.mp4")}, "high"
    )
    beach.markers.append(otio.schema.Marker(name="look", marked_range=at25(50, 0)))
    proxy_only = otio.schema.Clip(name="City", source_range=at25(100, 50))
    proxy_only.set_media_references(
        {"high": ext("file:///gone/city_4k.mov"), "proxy": ext("C:\\proxies\\city.mov")}, "high"
    )
    fast = otio.schema.Clip(name="Fast", media_reference=ext("file:///x/unknown.mov"))
    fast.source_range = at25(0, 25)
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    fast.effects.append(otio.schema.Effect(effect_name="Blur", metadata={"radius": 3}))
    inner = otio.schema.Track(name="inner", kind="Video")
    inner.append(otio.schema.Clip(name="In", source_range=at25(0, 30)))
    inner[0].media_reference = ext("city.mov")
    nested = otio.schema.Stack(name="Nested")
    nested.append(inner)
    frozen = otio.schema.Clip(name="Frozen", media_reference=ext("beach.mov"))
    frozen.source_range = at25(0, 10)
    frozen.effects.append(otio.schema.FreezeFrame())
    bars = otio.schema.GeneratorReference(generator_kind="SMPTEBars")
    for item in (
        beach,
        otio.schema.Transition(in_offset=RationalTime(5, 25), out_offset=RationalTime(5, 25)),
        proxy_only,
        otio.schema.Gap(source_range=at25(0, 25)),
        otio.schema.Transition(in_offset=RationalTime(3, 25), out_offset=RationalTime(3, 25)),
        fast,
        nested,
        otio.schema.Clip(name="Bars", media_reference=bars, source_range=at25(0, 10)),
        frozen,
    ):
        main.append(item)
    main.markers.append(otio.schema.Marker(name="tm", marked_range=at25(10, 13)))
    sound = otio.schema.Track(name="Snd", kind="Audio")
    sound.append(otio.schema.Clip(name="Offline", source_range=at25(0, 40)))
    tl.tracks.extend([main, sound])
    return tl


def test_other_tools_timeline_converts_rate_and_maps_media() -> None:
    text = otio.adapters.write_to_string(other_tool_timeline(), "otio_json")
    doc, warnings = import_otio(
        text, import_assets(), new_id=id_maker(), settings=TimelineSettings(rate=24)
    )
    assert doc.settings.rate == 24
    assert doc.global_start_time is not None and doc.global_start_time.value == 86400
    main, sound = doc.tracks.children
    # 25 -> 24 fps: cuts land on the nearest frame; 25 frames at 2x use 48 media frames.
    assert spans(main) == [
        ("Clip.1", "Beach", 24, 48),
        ("Clip.1", "City", 96, 48),
        ("Clip.1", "Fast", 0, 48),
        ("Clip.1", "Bars", 0, 9),  # 172.8..182.4 -> 173..182
        ("Clip.1", "Frozen", 0, 10),
    ]
    kinds = [c.OTIO_SCHEMA for c in main.children]
    assert kinds == [
        "Clip.1", "Transition.1", "Clip.1", "Gap.1", "Clip.1", "Stack.1", "Clip.1", "Clip.1",
    ]  # fmt: skip
    beach, dissolve, city, gap, fast, nested, bars, frozen = main.children
    assert (dissolve.in_offset.value, dissolve.out_offset.value, dissolve.in_offset.rate) == (
        5,
        5,
        24,
    )
    assert gap.source_range.duration.value == 24
    assert isinstance(nested, Stack) and nested.source_range is not None
    assert nested.source_range.duration.value == 29  # record 144..173 (172.8 rounded)
    assert spans(nested.children[0]) == [("Clip.1", "In", 0, 29)]
    assert [m.marked_range.start_time.value for m in beach.markers] == [48]
    track_marker = main.markers[0].marked_range
    assert (track_marker.start_time.value, track_marker.duration.value) == (10, 12)

    assert isinstance(beach.media_reference, ExternalReference)
    assert (beach.media_reference.asset_id, beach.media_reference.target_url) == (
        "a1",
        "vedit://assets/a1",
    )
    assert getattr(city.media_reference, "asset_id", None) == "a2"  # via its proxy reference
    assert fast.media_reference.OTIO_SCHEMA == "MissingReference.1"
    assert fast.media_reference.metadata["vedit"]["original_target_url"] == "file:///x/unknown.mov"
    assert [e.OTIO_SCHEMA for e in fast.effects] == ["LinearTimeWarp.1", "Effect.1"]
    assert fast.effects[0].time_scalar == 2.0
    assert bars.media_reference.OTIO_SCHEMA == "MissingReference.1"
    assert frozen.effects == [] and getattr(frozen.media_reference, "asset_id", None) == "a1"
    assert sound.children[0].media_reference.OTIO_SCHEMA == "MissingReference.1"

    text_of = "\n".join(warnings)
    for expected in ("unknown.mov", "Offline", "FreezeFrame", "SMPTEBars", "transition"):
        assert expected in text_of
    ids = [doc.id, *(t.id for t in doc.tracks.children), *(c.id for c in main.children)]
    assert len(set(ids)) == len(ids) and all(i.startswith("new-") for i in ids)


def test_other_tools_rate_is_kept_without_settings() -> None:
    text = otio.adapters.write_to_string(other_tool_timeline(), "otio_json")
    doc, _ = import_otio(text, import_assets(), new_id=id_maker())
    assert doc.settings.rate == 25
    assert spans(doc.tracks.children[0])[:2] == [
        ("Clip.1", "Beach", 25, 50),
        ("Clip.1", "City", 100, 50),
    ]


def test_clip_1_json_with_reference_matched_by_name_and_duplicate_ids() -> None:
    clip = {
        "OTIO_SCHEMA": "Clip.1",
        "name": "shot",
        "metadata": {"vedit": {"id": "dup"}},
        "source_range": {
            "OTIO_SCHEMA": "TimeRange.1",
            "start_time": {"OTIO_SCHEMA": "RationalTime.1", "value": 0, "rate": 24},
            "duration": {"OTIO_SCHEMA": "RationalTime.1", "value": 12, "rate": 24},
        },
        "media_reference": {
            "OTIO_SCHEMA": "ExternalReference.1",
            "name": "city.mov",
            "target_url": "file:///renamed/take_7.mov",
        },
    }
    track = {"OTIO_SCHEMA": "Track.1", "name": "V", "kind": "Video", "children": [clip, clip]}
    stack = {"OTIO_SCHEMA": "Stack.1", "name": "tracks", "children": [track]}
    data = {"OTIO_SCHEMA": "Timeline.1", "name": "old", "tracks": stack}
    doc, warnings = import_otio(json.dumps(data), import_assets(), new_id=id_maker("fresh"))
    first, second = doc.tracks.children[0].children
    assert (first.id, second.id) == ("dup", "fresh-3")
    assert getattr(first.media_reference, "asset_id", None) == "a2"
    assert warnings == []
    assert doc.settings.rate == 24


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        b"\xff\xfe",
        "",
        '{"some": "json"}',
        "[]",
        '{"OTIO_SCHEMA": "Track.1", "name": "t", "kind": "Video", "children": []}',
        '{"OTIO_SCHEMA": "Timeline.1", "tracks": 5}',
    ],
)
def test_invalid_input_raises(data: str | bytes) -> None:
    with pytest.raises(InterchangeError) as err:
        import_otio(data, import_assets(), new_id=id_maker())
    assert err.value.code == "invalid_otio"


def test_empty_track_round_trips() -> None:
    doc = Timeline(id="t", tracks=Stack(children=[Track(id="v", kind="Video")]))
    back, _ = import_otio(export_timeline(doc, "otio")[0], [], new_id=id_maker())
    assert back.model_dump() == doc.model_dump()
