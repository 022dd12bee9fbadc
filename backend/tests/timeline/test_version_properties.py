"""Property tests over stored versions: undo restores exactly, replay rebuilds exactly, and an
OTIO export imports back to the same timeline."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from errors import InvalidOperation
from models.timeline_api import TimelineCreate
from operators import timeline_operator, timeline_store
from operators.timeline_editor import InvalidOp, apply_op, parse_op
from operators.timeline_interchange import ImportAsset, export_timeline, import_otio
from operators.timeline_ops.invariants import check_invariants
from tests.factories import make_media_row, make_project
from tests.timeline import ASSETS, rt, seeded_timeline
from tests.timeline.test_properties import draw_op

DB_PROPS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def project_assets(db: Session, project: Any) -> dict[str, str]:
    """Asset rows matching tests.timeline.ASSETS; returns their key -> row id."""
    rows = {
        "v10": make_media_row(db, project, duration_s=10.0, filename="beach.mov"),
        "a4": make_media_row(db, project, kind="audio", duration_s=4.0, fps=None),
        "img": make_media_row(db, project, kind="image", filename="logo.png"),
        "mute": make_media_row(db, project, duration_s=10.0, audio=False),
    }
    return {key: str(row.id) for key, row in rows.items()}


def seed_ops(ids: dict[str, str], tracks: list[str]) -> list[dict[str, Any]]:
    seed = [(0, "v10", 24, 48), (0, "v10", 96, 48), (0, "v10", 150, 30), (1, "img", 0, 40),
            (2, "a4", 10, 40), (2, "a4", 50, 30)]  # fmt: skip
    return [
        {
            "op": "append_clip",
            "track_id": tracks[t],
            "asset_id": ids[asset],
            "source_range": {"start_time": rt(start), "duration": rt(dur)},
        }
        for t, asset, start, dur in seed
    ]


@DB_PROPS
@given(st.data())
def test_undo_redo_and_replay_restore_every_version_exactly(
    db: Session, data: st.DataObject
) -> None:
    project = make_project(db)
    user = project.owner_id
    ids = project_assets(db, project)
    _, doc = timeline_operator.create_timeline(db, project, user, TimelineCreate(name="p"))
    version, doc, _ = timeline_operator.apply_edit(
        db, project, user, 0, [{"op": "add_track", "kind": k} for k in ("video", "video", "audio")],
        "", None,
    )  # fmt: skip
    tracks = [t.id for t in doc.tracks.children]
    version, doc, _ = timeline_operator.apply_edit(
        db, project, user, version, seed_ops(ids, tracks), "", None
    )
    seen = {version: doc.model_dump()}
    for _ in range(data.draw(st.integers(1, 12))):
        op, _unknown = draw_op(data, doc)
        if isinstance(op.get("asset_id"), str) and op["asset_id"] in ASSETS:
            op["asset_id"] = ids[op["asset_id"]]
        try:
            after_v, after, _ = timeline_operator.apply_edit(
                db, project, user, version, [op], "", None
            )
        except InvalidOperation:
            assert timeline_operator.read_timeline(db, project, None) == (version, doc)
            continue
        assert after_v == version + 1
        seen[after_v] = after.model_dump()
        undo_v, undone = timeline_operator.undo(db, project, user, after_v)
        assert undone.model_dump() == doc.model_dump(), f"undo of {op['op']} is not exact"
        redo_v, redone = timeline_operator.redo(db, project, user, undo_v)
        assert redone.model_dump() == seen[after_v]
        seen[undo_v], seen[redo_v] = doc.model_dump(), seen[after_v]
        version, doc = redo_v, redone
    # Rebuild every version from snapshots and op replays, not from the cache.
    timeline_store.cache.clear()
    db.info.pop(timeline_store._PENDING, None)
    for number, expected in seen.items():
        _, rebuilt = timeline_operator.read_timeline(db, project, number)
        assert rebuilt.model_dump() == expected, f"version {number} replays differently"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_otio_export_imports_back_to_the_same_timeline(data: st.DataObject) -> None:

    tl, ctx = seeded_timeline()
    for _ in range(data.draw(st.integers(0, 12))):
        op, _unknown = draw_op(data, tl)
        try:
            tl = apply_op(tl, parse_op(op), ctx)
            note(f"applied {op}")
        except InvalidOp:
            continue
    content, _, _ = export_timeline(tl, "otio")
    choices = [
        ImportAsset(a.asset_id, a.name, [f"vedit://assets/{a.asset_id}"]) for a in ASSETS.values()
    ]
    counter = itertools.count(10_000)
    back, warnings = import_otio(content, choices, new_id=lambda: f"new-{next(counter)}")
    assert warnings == []
    assert back.model_dump() == tl.model_dump()
    check_invariants(back, ASSETS)
