"""Stored versions rebuilt from snapshots (with their item index) and op replays."""

from __future__ import annotations

import random
import zlib
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database.models import TimelineVersion
from errors import InvalidOperation
from models.timeline_api import TimelineCreate
from operators import timeline_operator, timeline_store
from operators.timeline_editor import timeline_json
from operators.timeline_ops import encoding
from tests.factories import make_media_row, make_project
from tests.timeline import rt


def forget_everything(db: Session) -> None:
    """No cached version and no decoded items to share: reads start from the database."""
    timeline_store.cache.clear()
    db.info.pop(timeline_store._PENDING, None)
    encoding._DECODED.clear()


def random_history(db: Session, count: int) -> tuple[Any, dict[int, bytes]]:
    """A timeline edited `count` times at random; each version's JSON as the edit made it."""
    project = make_project(db)
    user = project.owner_id
    asset = str(make_media_row(db, project, duration_s=60.0).id)
    timeline_operator.create_timeline(db, project, user, TimelineCreate(name="s"))
    version, doc, tracks = timeline_operator.apply_edit(
        db, project, user, 0, [{"op": "add_track", "kind": "video"}] * 2, "", None
    )
    seen = {version: timeline_json(doc)}
    r = random.Random(7)
    appends = [
        {"op": "append_clip", "track_id": tracks[i % 2], "asset_id": asset,
         "source_range": {"start_time": rt(r.randrange(0, 1000)), "duration": rt(24)}}
        for i in range(12)
    ]  # fmt: skip
    version, doc, _ = timeline_operator.apply_edit(db, project, user, version, appends, "", None)
    seen[version] = timeline_json(doc)
    for _ in range(count):
        clips = [c for t in doc.tracks.children for c in t.children if c.OTIO_SCHEMA == "Clip.1"]
        clip = r.choice(clips).id
        op = r.choice([
            {"op": "trim_clip", "clip_id": clip, "edge": "tail", "delta": rt(-1), "ripple": True},
            {"op": "split_clip", "clip_id": clip, "at": rt(0)},
            {"op": "slip_clip", "clip_id": clip, "delta": rt(1)},
            {"op": "add_marker", "clip_id": clip, "at": rt(0), "name": "m"},
            {"op": "remove_clip", "clip_id": clip, "ripple": r.random() < 0.5},
            {"op": "set_clip_properties", "clip_id": clip, "volume": 0.5},
        ])  # fmt: skip
        if op["op"] in ("split_clip", "add_marker"):
            start = next(
                s for t in doc.tracks.children for c, s in zip(t.children, starts(t), strict=True)
                if c.id == clip
            )  # fmt: skip
            op["at"] = rt(start + 3)
        try:
            version, doc, _ = timeline_operator.apply_edit(
                db, project, user, version, [op], "", None
            )
        except InvalidOperation:
            continue  # e.g. a split too near the clip's end
        seen[version] = timeline_json(doc)
    return project, seen


def starts(track: Any) -> list[int]:
    out, pos = [], 0
    for child in track.children:
        out.append(pos)
        pos += 0 if child.OTIO_SCHEMA == "Transition.1" else child.source_range.duration.value
    return out


def test_versions_rebuild_exactly_from_indexed_snapshots(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_store, "SNAPSHOT_DEPTH", 3)
    project, seen = random_history(db, 25)
    stored = select(func.count()).where(TimelineVersion.snapshot.is_not(None))
    assert (db.scalar(stored) or 0) >= 5, "the history should hold several snapshots"
    forget_everything(db)
    # In order (decoded items shared from one snapshot to the next), then backwards again.
    for number in [*seen, *reversed(seen)]:
        timeline_store.cache.clear()
        _, doc = timeline_operator.read_timeline(db, project, number)
        assert timeline_json(doc) == seen[number] == doc.model_dump_json().encode(), number


def test_snapshots_without_an_index_still_load(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_store, "SNAPSHOT_DEPTH", 3)
    project, seen = random_history(db, 8)
    # As written before snapshots carried an index: the JSON stream alone.
    for entry in db.scalars(select(TimelineVersion).where(TimelineVersion.snapshot.is_not(None))):
        entry.snapshot = zlib.compress(zlib.decompress(entry.snapshot))
    db.flush()
    forget_everything(db)
    for number, expected in seen.items():
        timeline_store.cache.clear()
        _, doc = timeline_operator.read_timeline(db, project, number)
        assert timeline_json(doc) == expected, number
