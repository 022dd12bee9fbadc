"""Assets of a project: upload, list, read, delete, reindex, and their files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from database.models import Asset as AssetRow
from handlers.deps import OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from models.api_models import ErrorResponse, OkResponse
from models.asset_models import (
    AssetKind,
    AssetList,
    AssetResponse,
    IndexingStatus,
    RenditionName,
    SignedUrl,
)
from operators import asset_operator
from runtime import get_runtime
from utils.http_range import serve_object
from utils.upload import stage_upload

router = APIRouter(
    prefix="/projects/{project_id}/assets", tags=["assets"], responses=ERROR_RESPONSES
)

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
UPLOAD_ERRORS = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in ((400, "not multipart"), (413, "too large"), (415, "not media"))
}


def owned_asset(asset_id: uuid.UUID, project: OwnedProject, db: SessionDep) -> AssetRow:
    return asset_operator.get_asset(db, project, asset_id)


OwnedAsset = Annotated[AssetRow, Depends(owned_asset, scope="function")]


@router.post(
    "",
    status_code=201,
    response_model=AssetResponse,
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_ERRORS,
)
async def asset_upload(request: Request, project: OwnedProject, db: SessionDep) -> AssetResponse:
    """Upload a media file (multipart field `file`); indexing starts in the background."""
    settings = get_runtime().settings
    staged = await stage_upload(
        request.headers.get("content-type"),
        request.headers.get("content-length"),
        request.stream(),
        settings.work_dir / "uploads",
        settings.max_upload_bytes,
    )
    asset = await run_in_threadpool(asset_operator.create_asset, db, project, staged)
    return AssetResponse(asset=asset_operator.to_model(asset))


@router.get("", response_model=AssetList)
def asset_list(
    project: OwnedProject,
    db: SessionDep,
    kind: AssetKind | None = None,
    status: IndexingStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AssetList:
    """The project's assets, newest first."""
    rows, total = asset_operator.list_assets(db, project, kind, status, limit, offset)
    return AssetList(
        assets=[asset_operator.to_model(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{asset_id}", response_model=AssetResponse)
def asset_get(asset: OwnedAsset) -> AssetResponse:
    """Metadata and indexing state (stage by stage) of one asset."""
    return AssetResponse(asset=asset_operator.to_model(asset))


@router.delete("/{asset_id}", response_model=OkResponse)
def asset_delete(asset: OwnedAsset, db: SessionDep) -> OkResponse:
    """Delete the asset; its stored files are removed by a background job."""
    asset_operator.delete_asset(db, asset)
    return OkResponse()


@router.post("/{asset_id}/reindex", response_model=AssetResponse, status_code=202)
def asset_reindex(asset: OwnedAsset, db: SessionDep) -> AssetResponse:
    """Run every indexing stage again."""
    asset = asset_operator.reindex_asset(db, asset)
    return AssetResponse(asset=asset_operator.to_model(asset))


@router.get("/{asset_id}/url", response_model=SignedUrl)
def asset_url(
    asset: OwnedAsset,
    rendition: RenditionName = "original",
    expires_s: Annotated[int, Query(ge=60, le=7 * 24 * 3600)] = 3600,
) -> SignedUrl:
    """A direct download URL: signed by the storage (GCS) where it can, else this API's."""
    key, _ = asset_operator.rendition(asset, rendition)
    signed = get_runtime().storage.signed_url(key, expires_s, filename=asset.filename)
    if signed:
        return SignedUrl(
            url=signed, expires_at=datetime.now(UTC) + timedelta(seconds=expires_s), direct=True
        )
    path = asset_operator.RENDITION_PATHS.get(rendition, rendition)
    return SignedUrl(
        url=f"/projects/{asset.project_id}/assets/{asset.id}/{path}", expires_at=None, direct=False
    )


def _serve(request: Request, asset: AssetRow, name: str, download: bool = False) -> Response:
    key, content_type = asset_operator.rendition(asset, name)
    filename = asset.filename if name == "original" else f"{asset.id}-{key.rsplit('/', 1)[-1]}"
    return serve_object(
        request, get_runtime().storage, key, content_type, filename, inline=not download
    )


def _file_route(path: str, name: str, summary: str) -> None:
    def handler(request: Request, asset: OwnedAsset, download: bool = False) -> Response:
        return _serve(request, asset, name, download)

    handler.__name__ = f"asset_{name}"
    route = f"/{{asset_id}}/{path}"
    router.add_api_route(
        route,
        handler,
        methods=["GET"],
        summary=summary,
        response_class=Response,
        responses={
            200: {"description": "the file (206 with Range)"},
            416: {"model": ErrorResponse},
        },
    )
    # HEAD answers like GET without a body; kept out of the schema to avoid a twin operation.
    router.add_api_route(route, handler, methods=["HEAD"], include_in_schema=False)


_file_route("content", "original", "The original file, with Range support")
_file_route("proxy", "proxy", "The 540p H.264/AAC proxy")
_file_route("thumbnail", "thumbnail", "The poster thumbnail (JPEG)")
_file_route("filmstrip", "filmstrip", "The filmstrip sprite (JPEG)")
_file_route("filmstrip/index", "filmstrip_index", "Where each filmstrip frame sits (JSON)")
_file_route("waveform", "waveform", "Audio peaks for drawing a waveform (JSON)")
_file_route("summary", "summary", "What the asset is about: summary and tags (JSON)")
