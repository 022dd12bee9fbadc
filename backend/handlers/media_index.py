"""What indexing found in an asset: transcript (JSON, SRT, VTT), shots and their keyframes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse, Response

from handlers.assets import OwnedAsset
from handlers.errors import ERROR_RESPONSES
from models import search_api as sa
from operators import media_index_operator
from runtime import get_runtime
from utils.http_range import serve_object

router = APIRouter(
    prefix="/projects/{project_id}/assets/{asset_id}", tags=["indexing"], responses=ERROR_RESPONSES
)

SUBTITLE_TYPES = {"srt": "application/x-subrip", "vtt": "text/vtt"}


@router.get(
    "/transcript",
    response_model=sa.TranscriptResponse,
    responses={200: {"content": {"text/vtt": {}, "application/x-subrip": {}}}},
)
def transcript(
    asset: OwnedAsset, format: Literal["json", "srt", "vtt"] = "json"
) -> sa.TranscriptResponse | Response:
    """Segments with word times; `?format=srt|vtt` for subtitles."""
    if format == "json":
        return media_index_operator.get_transcript(asset)
    body = media_index_operator.transcript_subtitles(asset, format)
    return PlainTextResponse(
        body,
        media_type=SUBTITLE_TYPES[format],
        headers={"Content-Disposition": f'inline; filename="{asset.id}.{format}"'},
    )


@router.get("/shots", response_model=sa.ShotsResponse)
def shots(asset: OwnedAsset) -> sa.ShotsResponse:
    """Shots with times, keyframe, dominant colours, brightness and on-screen text."""
    return media_index_operator.get_shots(asset)


@router.get("/shots/{index}/keyframe", response_class=Response)
def keyframe(request: Request, asset: OwnedAsset, index: Annotated[int, Path(ge=0)]) -> Response:
    """One shot's keyframe (JPEG)."""
    key = media_index_operator.keyframe_key(asset, index)
    return serve_object(
        request, get_runtime().storage, key, "image/jpeg", f"{asset.id}-{index}.jpg"
    )
