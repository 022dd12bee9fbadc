"""Export: what desktop tools read back from each format (through OTIO's own adapters)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import opentimelineio as otio
import pytest

from models.timeline_models import Stack, Track
from operators.timeline_interchange import EXPORT_FORMATS, InterchangeError, export_timeline
from tests.timeline_interchange import media_clip, sample_timeline, tr

FILES = {"a1": "file:///media/beach.mov", "a2": "file:///media/city.mov", "a3": "music.wav"}


def read_back(fmt: str, **kw: object) -> otio.schema.Timeline:
    content, _, _ = export_timeline(sample_timeline(), fmt, **kw)  # type: ignore[arg-type]
    return otio.adapters.read_from_string(content.decode(), EXPORT_FORMATS[fmt][0])


def frames(rng: otio.opentime.TimeRange) -> tuple[float, float]:
    return (rng.start_time.to_frames(24), rng.duration.to_frames(24))


def items(track: otio.schema.Track) -> list[tuple[str, str]]:
    return [(type(child).__name__, child.name) for child in track]


def test_otio_export_reads_back_with_same_tracks_clips_transitions_markers() -> None:
    content, content_type, filename = export_timeline(sample_timeline(), "otio")
    assert (content_type, filename) == ("application/json", "My_Cut.otio")
    tl = otio.adapters.read_from_string(content.decode(), "otio_json")

    assert [(t.name, t.kind) for t in tl.tracks] == [
        ("V1", "Video"),
        ("V2", "Video"),
        ("A1", "Audio"),
    ]
    v1, v2, a1 = tl.tracks
    assert items(v1) == [
        ("Clip", "clip-a"),
        ("Transition", ""),
        ("Clip", "clip-b"),
        ("Gap", ""),
        ("Clip", "clip-c"),
    ]
    clip_a, dissolve, clip_b, _gap, clip_c = v1
    assert frames(clip_a.source_range) == (10, 48)
    assert frames(clip_b.source_range) == (100, 72)
    assert (dissolve.transition_type, dissolve.in_offset.value, dissolve.out_offset.value) == (
        "SMPTE_Dissolve",
        6,
        6,
    )
    # 96 media frames at 2x: OTIO's source_range is the 48 frames the clip lasts on the track.
    assert frames(clip_c.source_range) == (200, 48)
    assert [(e.effect_name, e.time_scalar) for e in clip_c.effects] == [("LinearTimeWarp", 2.0)]
    assert frames(clip_c.range_in_parent()) == (48 + 72 + 24, 48)
    assert v1.duration().to_frames() == 192

    assert [(m.name, m.color, frames(m.marked_range)) for m in clip_a.markers] == [
        ("m mk-a", "GREEN", (20, 0))
    ]
    # The marker at media frame 220 (20 frames in, 8 long) is 10 record frames in, 4 long.
    assert [frames(m.marked_range) for m in clip_c.markers] == [(210, 4)]
    assert [(m.name, m.color, frames(m.marked_range)) for m in v1.markers] == [
        ("m mk-v1", "BLUE", (30, 12))
    ]

    title = v2[1]
    assert isinstance(title.media_reference, otio.schema.GeneratorReference)
    assert (title.media_reference.generator_kind, title.media_reference.parameters["text"]) == (
        "Text",
        "Hello",
    )
    assert [frames(c.source_range) for c in a1] == [(0, 120)]
    assert a1[0].metadata["vedit"]["volume"] == 0.5
    assert clip_a.media_reference.target_url == "vedit://assets/a1"
    assert clip_a.metadata["vedit"]["id"] == "clip-a"
    assert clip_a.media_reference.metadata["vedit"]["asset_id"] == "a1"


def test_media_urls_replace_target_urls() -> None:
    tl = read_back("otio", media_urls=FILES)
    urls = {getattr(clip.media_reference, "target_url", None) for clip in tl.find_clips()}
    assert urls == {"file:///media/beach.mov", "file:///media/city.mov", "music.wav", None}


def test_edl_exports_the_first_video_track_cut_list() -> None:
    content, content_type, filename = export_timeline(sample_timeline(), "edl", FILES)
    assert (content_type.split(";")[0], filename) == ("text/plain", "My_Cut.edl")
    tl = otio.adapters.read_from_string(content.decode(), "cmx_3600", rate=24)

    # One picture track: V2 (the title) and A1 are not in an EDL.
    assert [t.kind for t in tl.tracks] == ["Video"]
    track = tl.tracks[0]
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    assert [c.name for c in clips] == ["clip-a", "clip-b", "clip-c"]
    # CMX 3600 puts a dissolve wholly on the incoming event: the cut moves to where it starts.
    assert [frames(track.range_of_child(c)) for c in clips] == [(0, 42), (42, 78), (144, 48)]
    assert [c.source_range.start_time.to_frames() for c in clips] == [10, 94, 200]
    dissolve = next(c for c in track if isinstance(c, otio.schema.Transition))
    assert dissolve.in_offset.value + dissolve.out_offset.value == 12
    assert [e.time_scalar for e in clips[2].effects] == [2.0]
    assert "beach" in content.decode()


def test_edl_flattens_nested_stacks_blacks_out_titles_and_refuses_without_video() -> None:
    doc = sample_timeline()
    nested = Track(
        id="t-in", name="inner", kind="Video", children=[media_clip("clip-n", "a2", 300, 30)]
    )
    v1, v2, _ = doc.tracks.children
    v1.children.append(v2.children[1])  # the 48-frame title: no source reel, so black
    v1.children.append(Stack(id="st", name="nest", children=[nested], source_range=tr(5, 20)))
    content, _, _ = export_timeline(doc, "edl")
    track = otio.adapters.read_from_string(content.decode(), "cmx_3600", rate=24).tracks[0]
    clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    assert [c.name for c in clips] == ["clip-a", "clip-b", "clip-c", "clip-n"]
    assert (frames(clips[-1].source_range), frames(track.range_of_child(clips[-1]))) == (
        (305, 20),
        (192 + 48, 20),
    )

    doc.tracks.children = [doc.tracks.children[2]]
    with pytest.raises(InterchangeError) as err:
        export_timeline(doc, "edl")
    assert err.value.code == "export_failed"
    assert "video track" in err.value.message


def test_fcpx_xml_export_parses_and_reads_back() -> None:
    content, content_type, filename = export_timeline(sample_timeline(), "fcpxml", FILES)
    assert (content_type, filename) == ("application/xml", "My_Cut.fcpxml")
    root = ET.fromstring(content)
    assert root.tag == "fcpxml"
    assert {a.get("src") for a in root.iter("asset")} >= {"file:///media/beach.mov"}

    tl = otio.adapters.read_from_string(content.decode(), "fcpx_xml")
    by_kind = {t.kind: [c.name for c in t.find_clips()] for t in tl.tracks}
    assert by_kind["Video"] == ["clip-a", "clip-b", "clip-c"]
    assert by_kind["Audio"] == ["clip-m"]
    assert frames(tl.tracks[1][0].source_range) == (10, 48)


def test_fcpx_xml_export_hangs_longer_tracks_off_a_padded_primary_storyline() -> None:
    doc = sample_timeline()
    v1, _, a1 = doc.tracks.children
    v1.children = v1.children[:1]  # 48 frames, shorter than V2 (72) and A1 (120)
    content, _, _ = export_timeline(doc, "fcpxml")
    tl = otio.adapters.read_from_string(content.decode(), "fcpx_xml")
    assert sorted(c.name for c in tl.find_clips()) == ["clip-a", "clip-m"]
    doc.tracks.children = [a1]
    content, _, _ = export_timeline(doc, "fcpxml")
    audio_only = otio.adapters.read_from_string(content.decode(), "fcpx_xml")
    assert [c.name for c in audio_only.find_clips()] == ["clip-m"]


def test_fcp7_xml_export_reads_back_with_transitions_and_titles() -> None:
    tl = read_back("fcp7xml", media_urls=FILES)
    v1, v2, a1 = tl.tracks
    assert [c.name for c in v1.find_clips()] == ["clip-a", "clip-b", "clip-c"]
    dissolve = next(c for c in v1 if isinstance(c, otio.schema.Transition))
    assert (dissolve.in_offset.value, dissolve.out_offset.value) == (6, 6)
    assert [frames(c.source_range) for c in v1.find_clips()][:2] == [(10, 48), (100, 72)]
    title = next(iter(v2.find_clips()))
    assert (title.name, title.media_reference.generator_kind) == ("Hello", "Text")
    assert [c.name for c in a1.find_clips()] == ["clip-m"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(InterchangeError) as err:
        export_timeline(sample_timeline(), "aaf-please")
    assert (err.value.code, err.value.status_code) == ("unsupported_format", 400)
    assert "otio" in err.value.message
