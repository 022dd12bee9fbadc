"""Request and response models for transcripts, shots, search and the retrieval agent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.api_models import OkResponse

HitKind = Literal["transcript", "shot", "asset"]


class Word(BaseModel):
    start: float
    end: float
    text: str
    probability: float | None = None


class Segment(BaseModel):
    start: float
    end: float
    text: str
    words: list[Word]


class TranscriptResponse(OkResponse):
    asset_id: uuid.UUID
    language: str | None
    model: str | None
    duration_s: float | None
    segments: list[Segment]


class ShotColour(BaseModel):
    model_config = ConfigDict(extra="allow")

    hex: str
    fraction: float


class Shot(BaseModel):
    index: int
    start: float
    end: float
    keyframe_url: str
    colors: list[ShotColour]
    brightness: float
    ocr_text: str
    description: str | None = None


class ShotsResponse(OkResponse):
    asset_id: uuid.UUID
    shots: list[Shot]


class SearchHit(BaseModel):
    asset_id: uuid.UUID
    start: float = Field(description="seconds within the asset (word-precise for transcripts)")
    end: float
    score: float
    kind: HitKind
    text: str
    thumbnail_url: str | None
    filename: str
    segment_start: float = Field(description="the whole matched segment or shot")
    segment_end: float
    matched_words: list[str]
    # The ranked lists that found it: keyword, semantic (text vectors), visual (picture vectors).
    matched_by: list[Literal["keyword", "semantic", "visual"]]


class SearchResponse(OkResponse):
    query: str
    mode: str
    results: list[SearchHit]


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1000)
    limit: int = Field(default=5, ge=1, le=50)


class Candidate(BaseModel):
    asset_id: uuid.UUID
    filename: str
    t0: float
    t1: float
    score: float
    reasons: list[str]
    text: str
    thumbnail_url: str | None


class RetrieveResponse(OkResponse):
    run_id: uuid.UUID
    planner: str
    candidates: list[Candidate]


class AgentRun(BaseModel):
    id: uuid.UUID
    query: str
    planner: str
    model: str | None
    status: str
    trace: list[Any]
    results: list[Any]
    error: str | None
    duration_ms: float | None
    created_at: datetime


class AgentRunResponse(OkResponse):
    run: AgentRun
