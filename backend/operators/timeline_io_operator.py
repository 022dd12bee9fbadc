"""Timeline export to desktop-editor formats and OTIO import as a new version."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from database.models import Asset, Project
from errors import InvalidOperation
from models.timeline_models import Timeline as TimelineDoc
from operators import timeline_store
from operators.timeline_editor import (
    InvalidOp,
    bind_references,
    check_invariants,
    clock_of,
    referenced_asset_ids,
)
from operators.timeline_interchange import ImportAsset, export_timeline, import_otio
from operators.timeline_operator import (
    author_of,
    check_expected,
    get_row,
    parse_uuid,
    to_asset_info,
)


def export(
    db: Session, project: Project, fmt: str, version: int | None
) -> tuple[bytes, str, str, int]:
    """The timeline (current or `version`) as an OTIO, EDL or FCP XML file."""
    row = get_row(db, project)
    number = row.current_version if version is None else version
    doc = timeline_store.load_version(db, row, number)
    wanted = {parse_uuid(a) for a in referenced_asset_ids(doc)} - {None}
    # Desktop editors relink media by file name, so that is what the file points at.
    names = dict(
        db.execute(
            select(Asset.id, Asset.filename).where(
                Asset.project_id == project.id, Asset.id.in_(wanted)
            )
        ).all()
    )
    urls = {str(key): name for key, name in names.items()}
    content, content_type, filename = export_timeline(doc, fmt, urls)
    return content, content_type, filename, number


def import_timeline(
    db: Session,
    project: Project,
    user_id: uuid.UUID,
    data: bytes,
    expected: int | None,
    description: str,
) -> tuple[int, TimelineDoc, list[str]]:
    """OTIO JSON from any tool as the next version; clips map to assets by id, URL or name."""
    row = get_row(db, project, for_update=True)
    check_expected(row, expected)
    assets = db.scalars(select(Asset).where(Asset.project_id == project.id)).all()
    # The first URL is what clips keep (as for clips placed by ops); the file name matches.
    choices = [
        ImportAsset(str(a.id), a.filename, [f"vedit://assets/{a.id}", a.filename]) for a in assets
    ]
    doc, warnings = import_otio(data, choices, new_id=lambda: str(uuid.uuid4()))
    doc = doc.model_copy(update={"id": str(row.id)})
    infos = {str(a.id): to_asset_info(a) for a in assets}
    used = {key: infos[key] for key in referenced_asset_ids(doc) if key in infos}
    bind_references(doc, used, clock_of(doc))
    try:
        check_invariants(doc, used)
    except InvalidOp as exc:
        raise InvalidOperation(
            f"the imported timeline doesn't fit this project's media: {exc.message}",
            code=exc.code,
        ) from None
    previous = row.current_version
    timeline_store.record_version(
        db,
        row,
        doc,
        kind="import",
        author=author_of(user_id, None),
        user_id=user_id,
        description=description or f"import {doc.name or 'OTIO timeline'}",
    )
    row.undo_stack = [*row.undo_stack, previous]
    row.redo_stack = []
    return row.current_version, doc, warnings
