"""Timeline versions: create, edit atomically under a row lock, undo/redo, rollback, history."""

from __future__ import annotations

import uuid
from fractions import Fraction
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database.models import Asset, Project, TimelineOp, TimelineVersion
from database.models import Timeline as TimelineRow
from errors import Conflict, InvalidOperation, NotFound
from models.timeline_api import TimelineCreate, VersionInfo
from models.timeline_models import RationalTime, TimelineSettings, new_timeline
from models.timeline_models import Timeline as TimelineDoc
from operators import timeline_store
from operators.timeline_editor import AssetInfo, EditContext, InvalidOp, apply_ops, parse_op


def author_of(user_id: uuid.UUID, agent: str | None) -> str:
    return f"agent:{agent}" if agent else f"user:{user_id}"


def get_row(db: Session, project: Project, *, for_update: bool = False) -> TimelineRow:
    """The project's timeline row (locked for writing when asked); 404 when none exists."""
    query = select(TimelineRow).where(TimelineRow.project_id == project.id)
    if for_update:
        query = query.with_for_update()
    row = db.scalar(query)
    if row is None:
        raise NotFound("this project has no timeline yet: POST it first", code="timeline_not_found")
    return row


def create_timeline(
    db: Session, project: Project, user_id: uuid.UUID, data: TimelineCreate
) -> tuple[int, TimelineDoc]:
    """Create the project's timeline at version 0."""
    if db.scalar(select(TimelineRow.id).where(TimelineRow.project_id == project.id)):
        raise Conflict("this project already has a timeline", code="timeline_exists")
    row = TimelineRow(project_id=project.id, name=data.name, current_version=0)
    db.add(row)
    db.flush()
    settings = TimelineSettings(
        rate=data.rate, width=data.width, height=data.height, sample_rate=data.sample_rate
    )
    doc = new_timeline(data.name, settings, timeline_id=str(row.id))
    timeline_store.record_version(
        db, row, doc, kind="create", author=author_of(user_id, None), user_id=user_id
    )
    return 0, doc


def read_timeline(db: Session, project: Project, version: int | None) -> tuple[int, TimelineDoc]:
    """The current version, or any earlier one."""
    row = get_row(db, project)
    number = row.current_version if version is None else version
    return number, timeline_store.load_version(db, row, number)


def check_expected(row: TimelineRow, expected: int | None) -> None:
    if expected is not None and expected != row.current_version:
        raise Conflict(
            f"the timeline is at version {row.current_version}, not {expected}: "
            "reload it and apply your edit again",
            code="version_conflict",
            current_version=row.current_version,
        )


def parse_uuid(value: object) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one (ids in ops and files are untrusted)."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def asset_infos(db: Session, project: Project, ops: list[dict[str, Any]]) -> dict[str, AssetInfo]:
    """What the editor needs to know of the project's assets the ops name."""
    wanted = {parse_uuid(op.get("asset_id")) for op in ops} - {None}
    if not wanted:
        return {}
    rows = db.scalars(
        select(Asset).where(Asset.project_id == project.id, Asset.id.in_(wanted))
    ).all()
    return {str(asset.id): to_asset_info(asset) for asset in rows}


def to_asset_info(asset: Asset) -> AssetInfo:
    if asset.kind == "image" or not asset.duration_s:
        rate, duration = None, None
    else:
        if asset.fps_num and asset.fps_den:
            rate = Fraction(asset.fps_num, asset.fps_den)
        else:
            rate = Fraction(asset.sample_rate or 48000)
        duration = RationalTime.from_seconds(
            Fraction(repr(asset.duration_s)), float(rate), snap=True
        )
    return AssetInfo(
        asset_id=str(asset.id),
        kind=asset.kind,
        duration=duration,
        rate=rate,
        has_video=asset.kind in ("video", "image"),
        has_audio=bool(asset.audio_codec),
        name=asset.filename,
    )


def apply_edit(
    db: Session,
    project: Project,
    user_id: uuid.UUID,
    expected: int,
    ops: list[dict[str, Any]],
    description: str,
    agent: str | None,
) -> tuple[int, TimelineDoc, list[str]]:
    """Apply a batch of ops atomically as version N+1; 409 on a stale N, 422 on a bad op.

    Returns the version, the timeline and the ids the ops created."""
    row = get_row(db, project, for_update=True)
    check_expected(row, expected)
    current = timeline_store.load_version(db, row, row.current_version)
    try:
        parsed = [parse_op(op) for op in ops]
    except InvalidOp as exc:
        raise InvalidOperation(exc.message, code=exc.code) from None
    assets = asset_infos(db, project, ops)
    ids: list[str] = []

    def new_id() -> str:
        ids.append(str(uuid.uuid4()))
        return ids[-1]

    try:
        doc = apply_ops(current, parsed, EditContext(assets=assets, new_id=new_id))
    except InvalidOp as exc:
        raise InvalidOperation(exc.message, code=exc.code) from None
    normalized = [op.model_dump(mode="json", exclude_none=True) for op in parsed]
    replay = {
        "ids": ids,
        "assets": {key: timeline_store.asset_info_json(info) for key, info in assets.items()},
    }
    timeline_store.record_version(
        db,
        row,
        doc,
        kind="edit",
        author=author_of(user_id, agent),
        user_id=user_id,
        description=description,
        ops=normalized,
        replay=replay,
    )
    row.undo_stack = [*row.undo_stack, row.current_version - 1]
    row.redo_stack = []
    return row.current_version, doc, ids


def _restore(
    db: Session,
    row: TimelineRow,
    source: int,
    kind: str,
    user_id: uuid.UUID,
    description: str,
) -> tuple[int, TimelineDoc]:
    doc = timeline_store.load_version(db, row, source)
    timeline_store.record_version(
        db,
        row,
        doc,
        kind=kind,
        author=author_of(user_id, None),
        user_id=user_id,
        description=description,
        source_version=source,
    )
    return row.current_version, doc


def undo(
    db: Session, project: Project, user_id: uuid.UUID, expected: int | None
) -> tuple[int, TimelineDoc]:
    """A new version equal to the one before the last edit still in effect."""
    return _step(db, project, user_id, expected, "undo")


def redo(
    db: Session, project: Project, user_id: uuid.UUID, expected: int | None
) -> tuple[int, TimelineDoc]:
    """A new version equal to the one the last undo left."""
    return _step(db, project, user_id, expected, "redo")


def _step(
    db: Session,
    project: Project,
    user_id: uuid.UUID,
    expected: int | None,
    kind: Literal["undo", "redo"],
) -> tuple[int, TimelineDoc]:
    # Undo pops the undo stack and pushes the version it leaves onto the redo stack; redo the
    # other way round.
    row = get_row(db, project, for_update=True)
    check_expected(row, expected)
    source, other = ("undo_stack", "redo_stack") if kind == "undo" else ("redo_stack", "undo_stack")
    stack = getattr(row, source)
    if not stack:
        raise Conflict(f"nothing to {kind}", code=f"nothing_to_{kind}")
    *rest, target = stack
    previous = row.current_version
    result = _restore(db, row, target, kind, user_id, f"{kind} to version {target}")
    setattr(row, source, rest)
    setattr(row, other, [*getattr(row, other), previous])
    return result


def rollback(
    db: Session, project: Project, user_id: uuid.UUID, version: int, expected: int | None
) -> tuple[int, TimelineDoc]:
    """A new version equal to `version`; history is kept, and the rollback can be undone."""
    row = get_row(db, project, for_update=True)
    check_expected(row, expected)
    previous = row.current_version
    result = _restore(db, row, version, "rollback", user_id, f"rollback to version {version}")
    row.undo_stack = [*row.undo_stack, previous]
    row.redo_stack = []
    return result


def history(
    db: Session, project: Project, limit: int, offset: int, with_ops: bool
) -> tuple[TimelineRow, list[VersionInfo], int]:
    """Versions newest first, with their ops when asked."""
    row = get_row(db, project)
    total = (
        db.scalar(
            select(func.count())
            .select_from(TimelineVersion)
            .where(TimelineVersion.timeline_id == row.id)
        )
        or 0
    )
    versions = db.execute(
        select(
            TimelineVersion.version,
            TimelineVersion.parent_version,
            TimelineVersion.kind,
            TimelineVersion.source_version,
            TimelineVersion.author,
            TimelineVersion.description,
            TimelineVersion.created_at,
            TimelineVersion.op_count,
        )
        .where(TimelineVersion.timeline_id == row.id)
        .order_by(TimelineVersion.version.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    infos = [VersionInfo(**v._asdict()) for v in versions]
    if with_ops and infos:
        numbers = [info.version for info in infos]
        ops: dict[int, list[dict[str, Any]]] = {n: [] for n in numbers}
        for op in db.scalars(
            select(TimelineOp)
            .where(TimelineOp.timeline_id == row.id, TimelineOp.version.in_(numbers))
            .order_by(TimelineOp.version, TimelineOp.seq)
        ):
            ops[op.version].append(op.payload)
        for info in infos:
            info.ops = ops[info.version]
    return row, infos, total
