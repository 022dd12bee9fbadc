"""Timeline models: exact time, JSON shape, upgrades, and agreement with OpenTimelineIO."""

from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest
from pydantic import ValidationError

from models.timeline_models import (
    SCHEMA_VERSION,
    RationalTime,
    Timeline,
    TimelineSettings,
    TimeRange,
    new_timeline,
    rate_fraction,
    upgrade_timeline_json,
)
from operators.timeline_editor import item_ranges, timeline_duration
from tests.timeline import layout, make_ctx, rt, run, sr, track, video_timeline


def test_rational_time_is_exact() -> None:
    ntsc = RationalTime(value=30, rate=29.97002997)
    assert rate_fraction(29.97002997) == Fraction(30000, 1001)
    assert rate_fraction(23.976) == Fraction(24000, 1001)
    assert rate_fraction(25) == 25
    assert ntsc.to_fraction_seconds() == Fraction(1001, 1000)
    assert RationalTime(value=0.1, rate=1).to_fraction_seconds() == Fraction(1, 10)
    assert RationalTime.from_seconds(Fraction(1001, 1000), 29.97002997).value == 30
    assert RationalTime.from_seconds(Fraction(1, 3), 24).value == 8
    assert RationalTime.from_seconds(Fraction(1, 100), 24).value == 0  # snapped to a frame
    assert RationalTime.from_seconds(Fraction(1, 100), 24, snap=False).value == 0.24
    assert RationalTime(value=48, rate=24).rescaled_to(30).model_dump()["value"] == 60
    assert RationalTime(value=1, rate=24).rescaled_to(30).value == 1.25
    assert RationalTime(value=1, rate=30).to_frames(24) == 1


def test_whole_values_are_ints_and_bad_numbers_are_refused() -> None:
    dumped = RationalTime(value=24.0, rate=24.0).model_dump(mode="json")
    assert dumped == {"OTIO_SCHEMA": "RationalTime.1", "value": 24, "rate": 24}
    assert isinstance(dumped["value"], int)
    with pytest.raises(ValidationError):
        RationalTime(value=1, rate=0)
    with pytest.raises(ValidationError):
        RationalTime(value=float("nan"), rate=24)
    end = TimeRange(start_time=rt(10), duration=rt(14)).end_time_exclusive()
    assert (end.value, end.rate) == (24, 24)


def test_new_timeline_is_empty_and_versioned() -> None:
    tl = new_timeline("Cut", TimelineSettings(rate=25, width=1280, height=720))
    data = tl.model_dump(mode="json")
    assert data["OTIO_SCHEMA"] == "Timeline.1"
    assert data["tracks"]["OTIO_SCHEMA"] == "Stack.1" and data["tracks"]["children"] == []
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert len(tl.id) == 36
    assert Timeline.model_validate(data) == tl
    with pytest.raises(ValidationError):
        Timeline.model_validate({**data, "surprise": 1})


def test_upgrade_from_version_0_gives_markers_ids() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (0, 48)),
        ctx,
        {"op": "add_marker", "clip_id": "id-2", "at": rt(3), "name": "a"},
        {"op": "add_marker", "track_id": "id-1", "at": rt(3), "name": "b"},
    )
    old = tl.model_dump(mode="json")
    del old["schema_version"]
    v1 = old["tracks"]["children"][0]
    for marker in (*v1["markers"], *v1["children"][0]["markers"]):
        del marker["id"]
        marker["OTIO_SCHEMA"] = "Marker.1"
        del marker["comment"]
    ids = iter(["m1", "m2"])
    new = upgrade_timeline_json(old, new_id=lambda: next(ids))
    assert "schema_version" not in old  # the input is left alone
    upgraded = Timeline.model_validate(new)
    assert upgraded.schema_version == 1
    assert {track(upgraded).markers[0].id, track(upgraded).children[0].markers[0].id} == {
        "m1",
        "m2",
    }
    assert upgrade_timeline_json(new) == new


def test_upgrade_reads_otio_clip2_and_refuses_future_versions() -> None:
    data = {
        "OTIO_SCHEMA": "Clip.2",
        "id": "c",
        "name": "x",
        "source_range": sr(0, 10),
        "media_references": {"DEFAULT_MEDIA": {"OTIO_SCHEMA": "MissingReference.1"}},
        "active_media_reference_key": "DEFAULT_MEDIA",
    }
    out = upgrade_timeline_json({"schema_version": 1, "clip": data})
    assert out["clip"]["OTIO_SCHEMA"] == "Clip.1"
    assert out["clip"]["media_reference"] == {"OTIO_SCHEMA": "MissingReference.1"}
    with pytest.raises(ValueError, match="newer"):
        upgrade_timeline_json({"schema_version": SCHEMA_VERSION + 1})


def test_opentimelineio_reads_our_json_and_agrees_on_time() -> None:
    ctx = make_ctx()
    tl = run(
        video_timeline(ctx, (24, 48), (96, 48), (0, 30)),
        ctx,
        {"op": "add_transition", "left_clip_id": "id-2", "right_clip_id": "id-3",
         "duration": rt(12)},
        {"op": "add_gap", "track_id": "id-1", "duration": rt(7), "at": rt(100)},
        {"op": "add_title", "track_id": "id-1", "text": "End", "at": rt(150), "duration": rt(24)},
        {"op": "add_marker", "clip_id": "id-3", "at": rt(50), "name": "m"},
        {"op": "add_track", "kind": "audio"},
    )  # fmt: skip
    audio = {"track_id": track(tl, 1).id, "asset_id": "a4", "source_range": sr(0, 90)}
    tl = run(tl, ctx, {"op": "append_clip", **audio})
    theirs = otio.adapters.read_from_string(tl.model_dump_json(), "otio_json")
    assert theirs.duration().to_frames() == timeline_duration(tl).value
    for ours, their_track in zip(tl.tracks.children, theirs.tracks, strict=True):
        assert their_track.kind == ours.kind
        expected = [(r.start_time.value, r.duration.value) for _, r in item_ranges(ours, rate=24)]
        got = [
            (int(their_track.range_of_child_at_index(i).start_time.to_frames()),
             int(their_track.range_of_child_at_index(i).duration.to_frames()))
            for i in range(len(their_track))
        ]  # fmt: skip
        assert got == expected
    assert layout(track(tl))[1] == ("T", 6, 6)
