"""Request and response models for assets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.api_models import OkResponse

IndexingStatus = Literal["pending", "processing", "completed", "failed"]
AssetKind = Literal["video", "audio", "image"]
RenditionName = Literal["original", "thumbnail", "filmstrip", "waveform", "proxy"]


class Rational(BaseModel):
    num: int
    den: int


class StageState(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["pending", "processing", "completed", "failed", "skipped"]
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error: str | None = None


class Rendition(BaseModel):
    url: str
    content_type: str
    size: int | None = None
    width: int | None = None
    height: int | None = None


class Asset(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: AssetKind
    filename: str
    content_type: str | None
    size_bytes: int
    sha256: str
    format_name: str | None
    duration_s: float | None = Field(description="seconds; null for still images")
    fps: Rational | None = Field(description="frame rate as a rational, e.g. 30000/1001")
    width: int | None
    height: int | None
    rotation: int
    video_codec: str | None
    pix_fmt: str | None
    audio_codec: str | None
    audio_channels: int | None
    sample_rate: int | None
    bit_rate: int | None
    indexing_status: IndexingStatus
    indexing_stage: str | None
    indexing_progress: float = Field(description="0-100 over all stages")
    indexing_attempts: int
    indexing_error: str | None
    indexing_started_at: datetime | None
    indexing_completed_at: datetime | None
    stages: dict[str, StageState]
    renditions: dict[str, Rendition]
    created_at: datetime
    updated_at: datetime


class AssetResponse(OkResponse):
    asset: Asset


class AssetList(OkResponse):
    assets: list[Asset]
    total: int
    limit: int
    offset: int


class SignedUrl(OkResponse):
    url: str
    expires_at: datetime | None
    direct: bool = Field(description="true for a storage URL that bypasses this API")
