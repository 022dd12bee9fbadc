"""Request and response models of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["project not found"])
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    ok: Literal[False] = False
    error: ErrorBody


class OkResponse(BaseModel):
    ok: Literal[True] = True


# -- auth --------------------------------------------------------------------------------
class SessionCreated(OkResponse):
    user_id: uuid.UUID
    session_id: uuid.UUID
    token: str = Field(description="send as `Authorization: Bearer <token>`; also set as cookie")
    expires_at: datetime


class SessionInfo(OkResponse):
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime
    last_activity: datetime


# -- projects ----------------------------------------------------------------------------
def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)

    _name = field_validator("name")(_clean_name)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)

    _name = field_validator("name")(_clean_name)


class Project(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class ProjectResponse(OkResponse):
    project: Project


class ProjectList(OkResponse):
    projects: list[Project]
    total: int
    limit: int
    offset: int


# -- health ------------------------------------------------------------------------------
class ComponentHealth(BaseModel):
    backend: str
    ok: bool
    error: str | None = None


class HealthResponse(BaseModel):
    ok: bool
    database: ComponentHealth
    redis: ComponentHealth
    queue: ComponentHealth
    storage: ComponentHealth
