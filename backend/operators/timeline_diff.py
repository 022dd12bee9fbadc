"""Differences between two timeline versions: items added, removed and changed, by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from database.models import Project
from models.timeline_api import DiffChange, DiffItem
from models.timeline_models import Timeline as TimelineDoc
from operators import timeline_store
from operators.timeline_operator import get_row

KINDS = {
    "Track.1": "track",
    "Clip.1": "clip",
    "Gap.1": "gap",
    "Transition.1": "transition",
    "Marker.2": "marker",
    "Effect.1": "effect",
    "LinearTimeWarp.1": "effect",
    "Stack.1": "stack",
}
# Nested lists are compared through their own items, not as fields of the parent.
NESTED = ("children", "markers", "effects")


def flatten(doc: TimelineDoc) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    """Every item with an id: (kind, owning track id, own fields without nested items)."""
    items: dict[str, tuple[str, str | None, dict[str, Any]]] = {}

    def visit(node: dict[str, Any], track_id: str | None) -> None:
        kind = KINDS.get(node.get("OTIO_SCHEMA", ""))
        node_id = node.get("id")
        if kind and node_id:
            fields = {k: v for k, v in node.items() if k not in NESTED}
            items[node_id] = (kind, track_id, fields)
        inner_track = node_id if kind == "track" else track_id
        for key in NESTED:
            for child in node.get(key) or []:
                visit(child, inner_track)

    for track in doc.model_dump(mode="json")["tracks"]["children"]:
        visit(track, None)
    return items


def diff(
    old: TimelineDoc, new: TimelineDoc
) -> tuple[list[DiffItem], list[DiffItem], list[DiffChange]]:
    """Added, removed and changed items between two versions."""
    before, after = flatten(old), flatten(new)
    added = [
        DiffItem(id=item_id, kind=kind, track_id=track)
        for item_id, (kind, track, _) in after.items()
        if item_id not in before
    ]
    removed = [
        DiffItem(id=item_id, kind=kind, track_id=track)
        for item_id, (kind, track, _) in before.items()
        if item_id not in after
    ]
    changed = []
    for item_id, (kind, track, fields) in after.items():
        if item_id not in before:
            continue
        _, old_track, old_fields = before[item_id]
        differing = sorted(
            key
            for key in fields.keys() | old_fields.keys()
            if fields.get(key) != old_fields.get(key)
        )
        if old_track != track:
            differing.append("track_id")
        if differing:
            changed.append(DiffChange(id=item_id, kind=kind, track_id=track, fields=differing))
    return added, removed, changed


def diff_versions(
    db: Session, project: Project, from_version: int, to_version: int
) -> tuple[list[DiffItem], list[DiffItem], list[DiffChange]]:
    """Diff two stored versions of the project's timeline."""
    row = get_row(db, project)
    old = timeline_store.load_version(db, row, from_version)
    new = timeline_store.load_version(db, row, to_version)
    return diff(old, new)
