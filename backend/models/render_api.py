"""Request and response models for renders, presets and frame previews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from models.api_models import OkResponse
from models.timeline_models import TimeRange

RenderStatus = Literal["pending", "processing", "completed", "failed", "cancelled"]


class RenderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: str = Field(
        default="standard", max_length=20, description="draft, standard or high (see presets)"
    )
    version: int | None = Field(
        default=None, ge=0, description="the timeline version to render; default: the current one"
    )
    range: TimeRange | None = Field(
        default=None,
        description="a part of the timeline (record time), e.g. "
        '{"start_time": {"value": 48, "rate": 24}, "duration": {"value": 24, "rate": 24}}; '
        "snapped to whole frames; default: all of it",
    )
    smart: bool = Field(
        default=True,
        description="copy stretches where the picture is one untouched source already at the "
        "output's codec, size and rate (no re-encode, no quality loss) and encode only the "
        "rest; false re-encodes everything",
    )
    callback_url: HttpUrl | None = Field(
        default=None,
        description="http(s) URL that receives signed JSON POSTs: progress, then the end state "
        "(headers X-Vedit-Timestamp and X-Vedit-Signature: sha256=HMAC(secret, ts + '.' + body))",
    )


class RenderStats(BaseModel):
    segments: int = Field(description="pieces rendered and joined (1: one encode)")
    copied_s: float = Field(description="seconds copied from the sources without re-encoding")
    encoded_s: float = Field(description="seconds encoded")


class Render(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    status: RenderStatus
    progress: float = Field(description="0 to 100")
    preset: str
    timeline_version: int
    start_s: float | None = Field(description="start of the rendered range, null: 0")
    end_s: float | None = Field(description="end of the rendered range, null: the timeline's end")
    cancel_requested: bool
    callback_url: str | None
    output_key: str | None = Field(description="the stored file, once completed")
    content_url: str | None = Field(description="where to download it, once completed")
    size_bytes: int | None
    duration_s: float | None
    width: int | None
    height: int | None
    warnings: list[str]
    smart: bool
    stats: RenderStats | None = Field(description="what the job did, once it has planned")
    error: str | None
    attempts: int
    job_id: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class RenderResponse(OkResponse):
    render: Render


class RenderList(OkResponse):
    renders: list[Render]
    total: int
    limit: int
    offset: int


class PresetInfo(BaseModel):
    name: str
    description: str
    height: int | None = Field(description="output height; null keeps the timeline's size")
    crf: int
    x264_preset: str
    audio_bitrate: str
    use_proxy: bool = Field(description="reads the assets' 540p proxies where they exist")


class PresetList(OkResponse):
    presets: list[PresetInfo]
