"""Timeline versions on disk: ops with periodic snapshots, rebuilt on demand, cached.

An `edit` version stores no timeline: it is its parent plus its ops (the audit rows), replayed
with the ids and asset facts recorded when the edit was made, so a replay is exact even after
assets change. `undo`, `redo` and `rollback` versions equal their `source_version`. Every
SNAPSHOT_DEPTH ops to replay (counted since the last snapshot) a version stores a full snapshot,
which bounds any rebuild.
"""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections import OrderedDict
from dataclasses import asdict
from fractions import Fraction
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from database.models import Timeline as TimelineRow
from database.models import TimelineOp, TimelineVersion
from errors import NotFound
from models.timeline_models import SCHEMA_VERSION, RationalTime, upgrade_timeline_json
from models.timeline_models import Timeline as TimelineDoc
from operators.timeline_editor import AssetInfo, EditContext, apply_ops, parse_op
from utils.gc_pause import gc_paused

SNAPSHOT_DEPTH = 25
CACHE_SIZE = 32


class _VersionCache:
    """Recently used versions, shared by the process (timelines are immutable values)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[uuid.UUID, int], TimelineDoc] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, timeline_id: uuid.UUID, version: int) -> TimelineDoc | None:
        with self._lock:
            doc = self._items.get((timeline_id, version))
            if doc is not None:
                self._items.move_to_end((timeline_id, version))
            return doc

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, timeline_id: uuid.UUID, version: int, doc: TimelineDoc) -> None:
        with self._lock:
            self._items[(timeline_id, version)] = doc
            self._items.move_to_end((timeline_id, version))
            while len(self._items) > self.size:
                self._items.popitem(last=False)


cache = _VersionCache(CACHE_SIZE)
_PENDING = "timeline_versions_pending"


# A new version enters the shared cache only once its transaction commits: a rolled-back
# version number gets reused by the next edit, and must not be served from the cache.
@event.listens_for(Session, "after_commit")
def _publish_versions(session: Session) -> None:
    for timeline_id, version, doc in session.info.pop(_PENDING, []):
        cache.put(timeline_id, version, doc)


@event.listens_for(Session, "after_rollback")
def _drop_versions(session: Session) -> None:
    session.info.pop(_PENDING, None)


def load_doc(data: dict[str, Any]) -> TimelineDoc:
    return TimelineDoc.model_validate(upgrade_timeline_json(data))


def asset_info_json(info: AssetInfo) -> dict[str, Any]:
    data = asdict(info)
    data["duration"] = info.duration.model_dump(mode="json") if info.duration else None
    data["rate"] = str(Fraction(info.rate)) if info.rate is not None else None
    return data


def asset_info_from_json(data: dict[str, Any]) -> AssetInfo:
    values = dict(data)
    values["duration"] = RationalTime.model_validate(data["duration"]) if data["duration"] else None
    values["rate"] = Fraction(data["rate"]) if data.get("rate") else None
    return AssetInfo(**values)


def record_version(
    db: Session,
    row: TimelineRow,
    doc: TimelineDoc,
    *,
    kind: str,
    author: str,
    user_id: uuid.UUID | None,
    description: str = "",
    ops: list[dict[str, Any]] | None = None,
    replay: dict[str, Any] | None = None,
    source_version: int | None = None,
) -> TimelineVersion:
    """Add version current+1 (or 0 for a new timeline) with its audit rows; move the head."""
    ops = ops or []
    is_first = kind == "create"
    version = 0 if is_first else row.current_version + 1
    parent = None if is_first else row.current_version
    depth = 0
    if kind == "edit":
        parent_depth = db.scalar(
            select(TimelineVersion.replay_depth).where(
                TimelineVersion.timeline_id == row.id, TimelineVersion.version == parent
            )
        )
        depth = (parent_depth or 0) + max(len(ops), 1)
    elif source_version is not None:
        depth = (
            db.scalar(
                select(TimelineVersion.replay_depth).where(
                    TimelineVersion.timeline_id == row.id, TimelineVersion.version == source_version
                )
            )
            or 0
        )
    snapshot = None
    if kind in ("create", "import") or depth >= SNAPSHOT_DEPTH:
        snapshot, depth = zlib.compress(doc.model_dump_json().encode(), 6), 0
    entry = TimelineVersion(
        timeline_id=row.id,
        version=version,
        parent_version=parent,
        kind=kind,
        source_version=source_version,
        author=author,
        user_id=user_id,
        description=description,
        op_count=len(ops),
        replay_depth=depth,
        snapshot=snapshot,
        snapshot_schema=SCHEMA_VERSION if snapshot is not None else None,
        replay=replay if kind == "edit" else None,
    )
    db.add(entry)
    audit = ops if ops else [{"op": kind, "source_version": source_version}]
    for seq, op in enumerate(audit):
        db.add(
            TimelineOp(
                timeline_id=row.id,
                version=version,
                seq=seq,
                op_type=str(op.get("op", kind)),
                payload=op,
                author=author,
            )
        )
    row.current_version = version
    db.flush()
    db.info.setdefault(_PENDING, []).append((row.id, version, doc))
    return entry


def load_version(db: Session, row: TimelineRow, version: int) -> TimelineDoc:
    """Any version of the timeline, from the cache or rebuilt from its nearest snapshot."""
    with gc_paused():
        return _load_version(db, row, version)


def _load_version(db: Session, row: TimelineRow, version: int) -> TimelineDoc:
    if version < 0 or version > row.current_version:
        raise NotFound(
            f"no version {version}: the timeline is at version {row.current_version}",
            code="version_not_found",
        )
    cached = _cached(db, row.id, version)
    if cached is not None:
        return cached
    metas = {
        meta.version: meta
        for meta in db.execute(
            select(
                TimelineVersion.version,
                TimelineVersion.kind,
                TimelineVersion.parent_version,
                TimelineVersion.source_version,
                TimelineVersion.snapshot.is_not(None).label("has_snapshot"),
            ).where(TimelineVersion.timeline_id == row.id, TimelineVersion.version <= version)
        )
    }
    to_replay: list[int] = []
    current = version
    while True:
        doc = _cached(db, row.id, current)
        if doc is not None:
            break
        meta = metas[current]
        if meta.has_snapshot:
            doc = _load_snapshot(db, row.id, current)
            break
        if meta.kind == "edit":
            to_replay.append(current)
            current = meta.parent_version
        else:
            current = meta.source_version
    if to_replay:
        doc = _replay(db, row.id, doc, list(reversed(to_replay)))
    pending = [v for tid, v, _ in db.info.get(_PENDING, []) if tid == row.id]
    if not pending or version < min(pending):
        cache.put(row.id, version, doc)
    return doc


def _load_snapshot(db: Session, timeline_id: uuid.UUID, version: int) -> TimelineDoc:
    """A stored snapshot; current-schema JSON goes straight to the validator (faster)."""
    blob, schema = db.execute(
        select(TimelineVersion.snapshot, TimelineVersion.snapshot_schema).where(
            TimelineVersion.timeline_id == timeline_id, TimelineVersion.version == version
        )
    ).one()
    text = zlib.decompress(blob)
    if schema == SCHEMA_VERSION:
        return TimelineDoc.model_validate_json(text)
    return load_doc(json.loads(text))


def _cached(db: Session, timeline_id: uuid.UUID, version: int) -> TimelineDoc | None:
    """A version this transaction made (not yet committed), else one from the cache."""
    for tid, number, doc in db.info.get(_PENDING, []):
        if tid == timeline_id and number == version:
            return doc
    return cache.get(timeline_id, version)


def _replay(
    db: Session, timeline_id: uuid.UUID, doc: TimelineDoc, versions: list[int]
) -> TimelineDoc:
    ops_by_version: dict[int, list[dict[str, Any]]] = {v: [] for v in versions}
    for op in db.scalars(
        select(TimelineOp)
        .where(TimelineOp.timeline_id == timeline_id, TimelineOp.version.in_(versions))
        .order_by(TimelineOp.version, TimelineOp.seq)
    ):
        ops_by_version[op.version].append(op.payload)
    replays = dict(
        db.execute(
            select(TimelineVersion.version, TimelineVersion.replay).where(
                TimelineVersion.timeline_id == timeline_id, TimelineVersion.version.in_(versions)
            )
        ).all()
    )
    for version in versions:
        replay = replays[version] or {}
        ids = iter(replay.get("ids", []))
        assets = {
            key: asset_info_from_json(value) for key, value in replay.get("assets", {}).items()
        }
        ctx = EditContext(assets=assets, new_id=lambda ids=ids: next(ids))
        # Each edit passed every check when it was made; replay only re-applies it.
        doc = apply_ops(doc, [parse_op(op) for op in ops_by_version[version]], ctx, verify=False)
    return doc
