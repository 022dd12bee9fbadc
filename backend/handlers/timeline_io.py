"""Timeline interchange: export to OTIO, EDL and FCP XML; import OTIO JSON as a new version."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from errors import BadRequest, PayloadTooLarge
from handlers.deps import CurrentUser, OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from handlers.timeline import timeline_response
from models.api_models import ErrorResponse
from models.timeline_api import TimelineImportResponse
from operators import timeline_io_operator

MAX_IMPORT_BYTES = 64 * 1024 * 1024

router = APIRouter(
    prefix="/projects/{project_id}/timeline",
    tags=["timeline"],
    responses={**ERROR_RESPONSES, 409: {"model": ErrorResponse, "description": "conflict"}},
)


async def otio_body(request: Request) -> bytes:
    """The raw request body (OTIO JSON), refused above MAX_IMPORT_BYTES."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(f"an import may be at most {MAX_IMPORT_BYTES} bytes")
        chunks.append(chunk)
    if not size:
        raise BadRequest("send the OTIO JSON as the request body", code="empty_body")
    return b"".join(chunks)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"description": "the timeline file", "content": {"application/json": {}}}},
)
def timeline_export(
    project: OwnedProject,
    db: SessionDep,
    format: Annotated[Literal["otio", "edl", "fcpxml", "fcp7xml"], Query()] = "otio",
    version: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The timeline as OTIO JSON, a CMX 3600 EDL, FCP X XML or FCP 7 XML."""
    content, content_type, filename, number = timeline_io_operator.export(
        db, project, format, version
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Timeline-Version": str(number),
    }
    return Response(content, media_type=content_type, headers=headers)


@router.post(
    "/import",
    response_model=TimelineImportResponse,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
)
def timeline_import(
    project: OwnedProject,
    db: SessionDep,
    user_id: CurrentUser,
    body: Annotated[bytes, Depends(otio_body)],
    expected: Annotated[
        int | None,
        Header(alias="X-Expected-Version", ge=0, description="the version you are replacing"),
    ] = None,
    description: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Replace the timeline with OTIO JSON from any tool, as a new version (undoable)."""
    version, doc, warnings = timeline_io_operator.import_timeline(
        db, project, user_id, body, expected, description
    )
    return timeline_response(version, doc, warnings=warnings)
