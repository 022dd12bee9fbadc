"""Request and response models for the timeline routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.api_models import OkResponse


class TimelineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Timeline", min_length=1, max_length=200)
    rate: float = Field(
        default=24, gt=0, le=1000, description="frames per second, e.g. 24 or 29.97"
    )
    width: int = Field(default=1920, ge=16, le=8192)
    height: int = Field(default=1080, ge=16, le=8192)
    sample_rate: int = Field(default=48000, ge=8000, le=192000)


class OpsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ops: list[dict[str, Any]] = Field(min_length=1, max_length=1000)
    description: str = Field(default="", max_length=2000)
    agent: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="set when an AI agent makes the edit: recorded as author `agent:<name>`",
    )
    return_timeline: bool = Field(
        default=True,
        description="false: answer with the version and new ids only (for long timelines)",
    )


class TimelineResponse(OkResponse):
    version: int
    timeline: dict[str, Any] | None = Field(
        description="the timeline (OTIO JSON with ids); null when the request asked not to"
    )


class OpsResponse(TimelineResponse):
    created_ids: list[str] = Field(
        default_factory=list,
        description="ids given to the items, tracks, markers and effects the ops created, in "
        "the order they were made (e.g. the right half of a split)",
    )


class VersionInfo(BaseModel):
    version: int
    parent_version: int | None
    kind: str
    source_version: int | None
    author: str
    description: str
    created_at: datetime
    op_count: int
    ops: list[dict[str, Any]] | None = None


class HistoryResponse(OkResponse):
    current_version: int
    can_undo: bool
    can_redo: bool
    versions: list[VersionInfo]
    total: int
    limit: int
    offset: int


class DiffItem(BaseModel):
    id: str
    kind: str = Field(description="clip, gap, transition, track, marker or effect")
    track_id: str | None = None


class DiffChange(DiffItem):
    fields: list[str] = Field(description="top-level fields that differ")


class DiffResponse(OkResponse):
    from_version: int
    to_version: int
    added: list[DiffItem]
    removed: list[DiffItem]
    changed: list[DiffChange]


class TimelineImportResponse(TimelineResponse):
    warnings: list[str] = Field(
        default_factory=list, description="what the import could not carry over"
    )
