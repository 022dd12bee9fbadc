"""Timeline versions on disk: ops with periodic snapshots, rebuilt on demand, cached.

An `edit` version stores no timeline: it is its parent plus its ops (the audit rows), replayed
with the ids and asset facts recorded when the edit was made, so a replay is exact even after
assets change. `undo`, `redo` and `rollback` versions equal their `source_version`. Every
SNAPSHOT_DEPTH ops to replay (counted since the last snapshot) a version stores a full snapshot,
which bounds any rebuild; with it, where each track item's JSON lies, so a rebuild shares the
items other loaded versions decoded from the same JSON (`timeline_ops.encoding`).
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

from sqlalchemy import Select, case, event, literal, select
from sqlalchemy.orm import Session, aliased

from database.models import Timeline as TimelineRow
from database.models import TimelineOp, TimelineVersion
from errors import NotFound
from models.timeline_models import SCHEMA_VERSION, RationalTime, upgrade_timeline_json
from models.timeline_models import Timeline as TimelineDoc
from operators.timeline_editor import (
    AssetInfo,
    EditContext,
    apply_ops,
    load_snapshot,
    parse_op,
    snapshot_json,
)
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
        # The JSON, then (a second zlib stream, which plain zlib.decompress ignores) where
        # each track child lies in it, so a read can share items other versions decoded.
        text, index = snapshot_json(doc)
        snapshot, depth = zlib.compress(text, 6) + zlib.compress(index, 6), 0
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
    to_replay: list[int] = []
    replays: dict[int, dict[str, Any] | None] = {}
    for meta in db.execute(_chain(row.id, version)).all():
        doc = _cached(db, row.id, meta.version)
        if doc is not None:
            break
        if meta.has_snapshot:
            doc = _load_snapshot(db, row.id, meta.version)
            break
        if meta.kind == "edit":
            to_replay.append(meta.version)
            replays[meta.version] = meta.replay
    else:
        raise RuntimeError(f"version {version} of timeline {row.id} leads to no snapshot")
    if to_replay:
        doc = _replay(db, row.id, doc, list(reversed(to_replay)), replays)
    pending = [v for tid, v, _ in db.info.get(_PENDING, []) if tid == row.id]
    if not pending or version < min(pending):
        cache.put(row.id, version, doc)
    return doc


def _chain(timeline_id: uuid.UUID, version: int) -> Select[Any]:
    """The versions a rebuild of `version` goes through, newest first, down to (and with) the
    nearest snapshot: an edit leads to its parent, undo/redo/rollback to their source."""
    tv = TimelineVersion
    first = select(
        tv.version, tv.kind, tv.parent_version, tv.source_version,
        tv.snapshot.is_not(None).label("has_snapshot"), tv.replay, literal(0).label("step"),
    ).where(tv.timeline_id == timeline_id, tv.version == version)  # fmt: skip
    chain = first.cte("chain", recursive=True)
    older = aliased(tv)
    after = case((chain.c.kind == "edit", chain.c.parent_version), else_=chain.c.source_version)
    chain = chain.union_all(
        select(
            older.version, older.kind, older.parent_version, older.source_version,
            older.snapshot.is_not(None), older.replay, chain.c.step + 1,
        )
        .join(chain, (older.timeline_id == timeline_id) & (older.version == after))
        .where(~chain.c.has_snapshot)
    )  # fmt: skip
    return select(chain).order_by(chain.c.step)


def _load_snapshot(db: Session, timeline_id: uuid.UUID, version: int) -> TimelineDoc:
    """A stored snapshot; current-schema JSON goes straight to the validator (faster), item by
    item when the snapshot has an index (see `encoding.load_snapshot`)."""
    blob, schema = db.execute(
        select(TimelineVersion.snapshot, TimelineVersion.snapshot_schema).where(
            TimelineVersion.timeline_id == timeline_id, TimelineVersion.version == version
        )
    ).one()
    stream = zlib.decompressobj()
    text = stream.decompress(blob)
    if schema != SCHEMA_VERSION:
        return load_doc(json.loads(text))
    index = None
    if stream.eof and stream.unused_data:  # snapshots written before the index have none
        index = zlib.decompress(stream.unused_data)
    return load_snapshot(text, index)


def _cached(db: Session, timeline_id: uuid.UUID, version: int) -> TimelineDoc | None:
    """A version this transaction made (not yet committed), else one from the cache."""
    for tid, number, doc in db.info.get(_PENDING, []):
        if tid == timeline_id and number == version:
            return doc
    return cache.get(timeline_id, version)


def _replay(
    db: Session,
    timeline_id: uuid.UUID,
    doc: TimelineDoc,
    versions: list[int],
    replays: dict[int, dict[str, Any] | None],
) -> TimelineDoc:
    ops_by_version: dict[int, list[dict[str, Any]]] = {v: [] for v in versions}
    for number, payload in db.execute(
        select(TimelineOp.version, TimelineOp.payload)
        .where(TimelineOp.timeline_id == timeline_id, TimelineOp.version.in_(versions))
        .order_by(TimelineOp.version, TimelineOp.seq)
    ):
        ops_by_version[number].append(payload)
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
