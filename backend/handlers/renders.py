"""Renders of a project's timeline, their files, frame previews, and the presets."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from database.render_models import Render as RenderRow
from handlers.deps import CurrentUser, OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from models.api_models import ErrorResponse, OkResponse
from models.render_api import PresetList, RenderCreate, RenderList, RenderResponse, RenderStatus
from operators import render_operator
from runtime import get_runtime
from utils.http_range import serve_object

CONFLICT = {409: {"model": ErrorResponse, "description": "conflict"}}

router = APIRouter(prefix="/projects/{project_id}", tags=["renders"], responses=ERROR_RESPONSES)
presets_router = APIRouter(tags=["renders"], responses=ERROR_RESPONSES)


def owned_render(render_id: uuid.UUID, project: OwnedProject, db: SessionDep) -> RenderRow:
    return render_operator.get_render(db, project, render_id)


OwnedRender = Annotated[RenderRow, Depends(owned_render, scope="function")]


@router.post("/renders", status_code=202, response_model=RenderResponse)
def render_create(
    body: RenderCreate, project: OwnedProject, db: SessionDep, user_id: CurrentUser
) -> RenderResponse:
    """Render a timeline version (default: the current one) in the background."""
    render = render_operator.create_render(db, project, user_id, body)
    return RenderResponse(render=render_operator.to_model(render))


@router.get("/renders", response_model=RenderList)
def render_list(
    project: OwnedProject,
    db: SessionDep,
    status: RenderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RenderList:
    """The project's renders, newest first."""
    rows, total = render_operator.list_renders(db, project, status, limit, offset)
    return RenderList(
        renders=[render_operator.to_model(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/renders/{render_id}", response_model=RenderResponse)
def render_get(render: OwnedRender) -> RenderResponse:
    """Status and progress (0-100) of one render."""
    return RenderResponse(render=render_operator.to_model(render))


@router.post("/renders/{render_id}/cancel", response_model=RenderResponse, responses=CONFLICT)
def render_cancel(render: OwnedRender, db: SessionDep) -> RenderResponse:
    """Cancel a pending or running render (409 once it has completed or failed)."""
    render = render_operator.cancel_render(db, render)
    return RenderResponse(render=render_operator.to_model(render))


@router.delete("/renders/{render_id}", response_model=OkResponse)
def render_delete(render: OwnedRender, db: SessionDep) -> OkResponse:
    """Delete a render and its file; a running render stops."""
    render_operator.delete_render(db, render)
    return OkResponse()


def render_content(request: Request, render: OwnedRender, download: bool = False) -> Response:
    """The rendered MP4, with Range support (409 until the render has completed)."""
    key, filename = render_operator.content_of(render)
    storage = get_runtime().storage
    return serve_object(request, storage, key, "video/mp4", filename, inline=not download)


router.add_api_route(
    "/renders/{render_id}/content",
    render_content,
    methods=["GET"],
    response_class=Response,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "the file (206 with Range)"},
        416: {"model": ErrorResponse},
        **CONFLICT,
    },
)
# HEAD answers like GET without a body; kept out of the schema to avoid a twin operation.
router.add_api_route(
    "/renders/{render_id}/content", render_content, methods=["HEAD"], include_in_schema=False
)


@router.get(
    "/timeline/frame",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the frame as PNG"}},
)
def timeline_frame(
    project: OwnedProject,
    db: SessionDep,
    t: Annotated[float, Query(ge=0, allow_inf_nan=False, description="seconds on the timeline")],
    version: Annotated[int | None, Query(ge=0)] = None,
    height: Annotated[int | None, Query(ge=16, le=4320, description="scale to this height")] = None,
) -> Response:
    """The composed picture at `t` seconds of the timeline (current version or `version`)."""
    png = render_operator.render_frame(db, project, t, version, height)
    # A numbered version never changes, so its frames may be cached; the current one moves.
    cache = "private, max-age=3600" if version is not None else "private, no-cache"
    return Response(png, media_type="image/png", headers={"Cache-Control": cache})


@presets_router.get("/render/presets", response_model=PresetList)
def render_presets(user_id: CurrentUser) -> PresetList:
    """The render presets: output size, quality and speed."""
    return PresetList(presets=render_operator.presets())
