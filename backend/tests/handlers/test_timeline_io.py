"""Timeline interchange over HTTP: export read back by OpenTimelineIO, imports as new versions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import opentimelineio as otio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from database.models import Project
from tests.factories import make_media_row
from tests.handlers.test_auth import assert_error
from tests.handlers.test_timeline import Editor, clips, rng, rt, tracks
from tests.support import login

Setup = tuple[Editor, dict[str, str]]


def span(time_range: dict) -> tuple[float, float]:
    """(start, duration) in frames at 24 fps."""
    start, length = time_range["start_time"], time_range["duration"]
    assert start["rate"] == length["rate"] == 24
    return start["value"], length["value"]


@pytest.fixture
def setup(user_client: TestClient, db: Session) -> Setup:
    project_id = user_client.post("/projects", json={"name": "io"}).json()["project"]["id"]
    project = db.get(Project, uuid.UUID(project_id))
    assert project is not None
    assets = {
        "a": str(make_media_row(db, project, duration_s=10.0, filename="interview.mp4").id),
        "b": str(make_media_row(db, project, duration_s=4.0, filename="broll.mov").id),
        "music": str(
            make_media_row(
                db, project, kind="audio", duration_s=30.0, fps=None, filename="music.wav"
            ).id
        ),
    }
    editor = Editor(user_client, project_id)
    assert editor.create().status_code == 201
    return editor, assets


def cut(editor: Editor, assets: dict[str, str]) -> dict:
    """V1: interview 1 s..3 s, dissolve, broll 1 s..3 s, with a marker; A1: music."""
    timeline = editor.ok(
        {"op": "add_track", "kind": "video", "name": "V1"},
        {"op": "add_track", "kind": "audio", "name": "A1"},
    )
    v1, a1 = (t["id"] for t in tracks(timeline))

    def append(track: str, asset: str, start: int, length: int) -> dict:
        return {
            "op": "append_clip",
            "track_id": track,
            "asset_id": assets[asset],
            "source_range": rng(start, length),
        }

    timeline = editor.ok(
        append(v1, "a", 24, 48), append(v1, "b", 24, 48), append(a1, "music", 0, 96)
    )
    first, second = clips(tracks(timeline)[0])
    return editor.ok(
        {
            "op": "add_transition",
            "left_clip_id": first["id"],
            "right_clip_id": second["id"],
            "kind": "dissolve",
            "duration": rt(12),
        },
        {"op": "add_marker", "item_id": first["id"], "at": rt(30), "name": "laugh"},
    )


def test_export_otio_reads_back_in_opentimelineio(setup: Setup) -> None:
    editor, assets = setup
    timeline = cut(editor, assets)
    response = editor.client.get(f"{editor.base}/export", params={"format": "otio"})
    assert response.status_code == 200, response.text
    assert response.headers["x-timeline-version"] == str(editor.version)
    assert "attachment" in response.headers["content-disposition"]
    tree = otio.adapters.read_from_string(response.text, "otio_json")
    assert [t.kind for t in tree.tracks] == ["Video", "Audio"]
    video = tree.tracks[0]
    names = [type(item).__name__ for item in video]
    assert names == ["Clip", "Transition", "Clip"]
    interview, dissolve, broll = video
    assert interview.source_range == otio.opentime.TimeRange(
        otio.opentime.RationalTime(24, 24), otio.opentime.RationalTime(48, 24)
    )
    assert interview.media_reference.target_url == "interview.mp4"
    assert dissolve.transition_type == "SMPTE_Dissolve"
    assert dissolve.in_offset + dissolve.out_offset == otio.opentime.RationalTime(12, 24)
    assert [m.name for m in interview.markers] == ["laugh"]
    assert broll.media_reference.target_url == "broll.mov"
    assert tree.tracks[1][0].source_range.duration.value == 96
    assert tree.duration() == otio.opentime.RationalTime(96, 24)
    first_clip = clips(tracks(timeline)[0])[0]
    assert interview.metadata["vedit"]["id"] == first_clip["id"]


@pytest.mark.parametrize(
    ("fmt", "adapter"), [("edl", "cmx_3600"), ("fcpxml", "fcpx_xml"), ("fcp7xml", "fcp_xml")]
)
def test_export_edl_and_fcp_xml_through_adapter_plugins(
    setup: Setup, fmt: str, adapter: str
) -> None:
    editor, assets = setup
    cut(editor, assets)
    response = editor.client.get(f"{editor.base}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    tree = otio.adapters.read_from_string(response.text, adapter)
    video = next(t for t in tree.tracks if t.kind == "Video")
    clip_names = [c.name for c in video.find_clips()]
    assert len(clip_names) == 2, clip_names
    assert "interview" in clip_names[0] and "broll" in clip_names[1]


def test_export_errors(setup: Setup) -> None:
    editor, _ = setup
    assert_error(editor.client.get(f"{editor.base}/export", params={"format": "avi"}), 422,
                 "validation_error")  # fmt: skip
    response = editor.client.get(f"{editor.base}/export", params={"version": 7})
    assert_error(response, 404, "version_not_found")


def other_tools_timeline() -> str:
    """What an online editor writes: camera timecode, file paths, a clip we don't have."""
    tc = 86400  # 01:00:00:00 at 24 fps
    tl = otio.schema.Timeline(
        name="From Resolve", global_start_time=otio.opentime.RationalTime(0, 24)
    )
    track = otio.schema.Track(name="Video 1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    interview = otio.schema.Clip(
        name="interview take 3",
        media_reference=otio.schema.ExternalReference(
            target_url="file:///Volumes/Media/day1/interview.mp4",
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(tc, 24), otio.opentime.RationalTime(240, 24)
            ),
        ),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(tc + 24, 24), otio.opentime.RationalTime(48, 24)
        ),
    )
    interview.markers.append(
        otio.schema.Marker(
            name="quote",
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(tc + 36, 24)),
        )
    )
    elsewhere = otio.schema.Clip(
        name="drone",
        media_reference=otio.schema.ExternalReference(target_url="file:///Volumes/Media/drone.mov"),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
        ),
    )
    track.extend(
        [interview, otio.schema.Gap(duration=otio.opentime.RationalTime(12, 24)), elsewhere]
    )
    return otio.adapters.write_to_string(tl, "otio_json")


def test_import_maps_media_by_file_name_and_marks_the_rest_missing(setup: Setup) -> None:
    editor, assets = setup
    before = editor.ok({"op": "add_track", "kind": "video", "name": "old"})
    response = editor.client.post(
        f"{editor.base}/import",
        content=other_tools_timeline(),
        headers={"Content-Type": "application/json", "X-Expected-Version": str(editor.version)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == editor.version + 1
    editor.version = body["version"]
    timeline = body["timeline"]
    assert timeline["name"] == "From Resolve"
    (video,) = tracks(timeline)
    interview, gap, drone = video["children"]
    ref = interview["media_reference"]
    assert ref["asset_id"] == assets["a"] and ref["target_url"] == f"vedit://assets/{assets['a']}"
    # Camera timecode is rebased to the asset's own time: 1 s in, 2 s long.
    assert span(interview["source_range"]) == (24, 48)
    assert span(interview["markers"][0]["marked_range"])[0] == 36
    assert gap["OTIO_SCHEMA"] == "Gap.1"
    assert drone["media_reference"]["OTIO_SCHEMA"] == "MissingReference.1"
    assert any("drone.mov" in w for w in body["warnings"])
    history = editor.client.get(f"{editor.base}/history", params={"limit": 1}).json()
    assert history["versions"][0]["kind"] == "import"
    # The import is undoable, and edits continue on the imported timeline.
    assert editor.post("undo").json()["timeline"] == before
    assert editor.post("redo").json()["timeline"] == timeline
    trimmed = editor.ok(
        {"op": "trim_clip", "clip_id": interview["id"], "edge": "tail", "delta": rt(-12)}
    )
    assert span(clips(tracks(trimmed)[0])[0]["source_range"]) == (24, 36)


def test_export_then_import_round_trips(setup: Setup) -> None:
    editor, assets = setup
    timeline = cut(editor, assets)
    exported = editor.client.get(f"{editor.base}/export").content
    response = editor.client.post(
        f"{editor.base}/import", content=exported, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["warnings"] == []
    assert response.json()["timeline"] == timeline
    diff = editor.client.get(
        f"{editor.base}/diff", params={"from": editor.version, "to": response.json()["version"]}
    ).json()
    assert diff["added"] == diff["removed"] == diff["changed"] == []


def test_bad_imports_change_nothing(setup: Setup, make_client: Callable[[], TestClient]) -> None:
    editor, assets = setup
    cut(editor, assets)
    before = editor.get()
    url = f"{editor.base}/import"
    assert_error(editor.client.post(url, content=b"{not json"), 422, "invalid_otio")
    assert_error(editor.client.post(url, content=b""), 400, "empty_body")
    assert_error(
        editor.client.post(url, content=json.dumps({"OTIO_SCHEMA": "Clip.1"})), 422, "invalid_otio"
    )
    # interview.mp4 is 10 s here; a clip reading 20 s into it can't be ours.
    long = otio.schema.Timeline(name="too long")
    track = otio.schema.Track()
    track.append(
        otio.schema.Clip(
            name="interview",
            media_reference=otio.schema.ExternalReference(target_url="/x/interview.mp4"),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(480, 24), otio.opentime.RationalTime(24, 24)
            ),
        )
    )
    long.tracks.append(track)
    response = editor.client.post(url, content=otio.adapters.write_to_string(long, "otio_json"))
    assert_error(response, 422, "source_range_out_of_bounds")
    stale = editor.client.post(
        url, content=other_tools_timeline(), headers={"X-Expected-Version": "0"}
    )
    assert_error(stale, 409, "version_conflict")
    other = make_client()
    login(other)
    assert_error(other.post(url, content=other_tools_timeline()), 404, "project_not_found")
    assert_error(other.get(f"{editor.base}/export"), 404, "project_not_found")
    assert editor.get() == before
