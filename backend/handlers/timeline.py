"""The project's timeline: versions, edit ops, undo/redo, rollback, history, diff."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from handlers.deps import CurrentUser, OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from models.api_models import ErrorResponse
from models.timeline_api import (
    DiffResponse,
    HistoryResponse,
    OpsRequest,
    OpsResponse,
    TimelineCreate,
    TimelineResponse,
)
from models.timeline_models import Timeline as TimelineDoc
from operators import timeline_diff, timeline_operator
from operators.timeline_editor import timeline_json

router = APIRouter(
    prefix="/projects/{project_id}/timeline",
    tags=["timeline"],
    responses={**ERROR_RESPONSES, 409: {"model": ErrorResponse, "description": "conflict"}},
)

ExpectedVersion = Annotated[
    int | None,
    Header(alias="X-Expected-Version", ge=0, description="the version your edit is based on"),
]


def timeline_response(
    version: int, doc: TimelineDoc | None, status: int = 200, **extra: object
) -> Response:
    """The response models' JSON, written directly: a 2,000-clip timeline is ~2 MB, and
    `timeline_json` reuses the JSON of the items it shares with versions already sent."""
    head = json.dumps({"ok": True, "version": version, **extra})[:-1].encode()
    body = timeline_json(doc) if doc is not None else b"null"
    content = head + b', "timeline": ' + body + b"}"
    return Response(content, status_code=status, media_type="application/json")


@router.post("", status_code=201, response_model=TimelineResponse)
def timeline_create(
    project: OwnedProject, db: SessionDep, user_id: CurrentUser, body: TimelineCreate | None = None
) -> Response:
    """Create the project's timeline (version 0)."""
    version, doc = timeline_operator.create_timeline(db, project, user_id, body or TimelineCreate())
    return timeline_response(version, doc, status=201)


@router.get("", response_model=TimelineResponse)
def timeline_get(
    project: OwnedProject,
    db: SessionDep,
    version: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The current version, or `?version=N`."""
    number, doc = timeline_operator.read_timeline(db, project, version)
    return timeline_response(number, doc)


@router.post("/ops", response_model=OpsResponse)
def timeline_ops(
    body: OpsRequest,
    project: OwnedProject,
    db: SessionDep,
    user_id: CurrentUser,
    expected: Annotated[
        int, Header(alias="X-Expected-Version", ge=0, description="the version you edited")
    ],
) -> Response:
    """Apply a batch of ops atomically as a new version (409 if X-Expected-Version is stale)."""
    version, doc, created = timeline_operator.apply_edit(
        db, project, user_id, expected, body.ops, body.description, body.agent
    )
    return timeline_response(version, doc if body.return_timeline else None, created_ids=created)


@router.post("/undo", response_model=TimelineResponse)
def timeline_undo(
    project: OwnedProject, db: SessionDep, user_id: CurrentUser, expected: ExpectedVersion = None
) -> Response:
    """Undo the last edit still in effect (as a new version)."""
    return timeline_response(*timeline_operator.undo(db, project, user_id, expected))


@router.post("/redo", response_model=TimelineResponse)
def timeline_redo(
    project: OwnedProject, db: SessionDep, user_id: CurrentUser, expected: ExpectedVersion = None
) -> Response:
    """Redo the last undo (as a new version); a new edit clears the redo stack."""
    return timeline_response(*timeline_operator.redo(db, project, user_id, expected))


@router.post("/rollback/{version}", response_model=TimelineResponse)
def timeline_rollback(
    project: OwnedProject,
    db: SessionDep,
    user_id: CurrentUser,
    version: Annotated[int, Path(ge=0)],
    expected: ExpectedVersion = None,
) -> Response:
    """A new version equal to `version`; nothing in the history is rewritten."""
    return timeline_response(*timeline_operator.rollback(db, project, user_id, version, expected))


@router.get("/history", response_model=HistoryResponse)
def timeline_history(
    project: OwnedProject,
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    ops: bool = False,
) -> HistoryResponse:
    """Versions newest first: parent, author, description, time, and the ops with `?ops=true`."""
    row, versions, total = timeline_operator.history(db, project, limit, offset, ops)
    return HistoryResponse(
        current_version=row.current_version,
        can_undo=bool(row.undo_stack),
        can_redo=bool(row.redo_stack),
        versions=versions,
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/diff", response_model=DiffResponse)
def timeline_diff_get(
    project: OwnedProject,
    db: SessionDep,
    from_version: Annotated[int, Query(alias="from", ge=0)],
    to_version: Annotated[int, Query(alias="to", ge=0)],
) -> DiffResponse:
    """Items added, removed and changed (by id) between two versions."""
    added, removed, changed = timeline_diff.diff_versions(db, project, from_version, to_version)
    return DiffResponse(
        from_version=from_version,
        to_version=to_version,
        added=added,
        removed=removed,
        changed=changed,
    )
