"""ORM model of renders: one timeline version compiled to a video file by a job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    String,
    Text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, IdMixin, TimestampMixin

RENDER_STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
FINAL_STATUSES = ("completed", "failed", "cancelled")


class Render(IdMixin, TimestampMixin, Base):
    """A render of one timeline version (bound when it is asked for) with one preset."""

    __tablename__ = "renders"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The version is fixed at creation: later edits never change what this render produces.
    timeline_version: Mapped[int]
    preset: Mapped[str] = mapped_column(String(20))
    # A part of the timeline in seconds (whole frames at the timeline's rate); null: all of it.
    range_start_s: Mapped[float | None] = mapped_column(Double)
    range_end_s: Mapped[float | None] = mapped_column(Double)

    status: Mapped[str] = mapped_column(String(20), default="pending")
    progress: Mapped[float] = mapped_column(Double, default=0.0)
    # Set by a cancel while the job runs; the job stops ffmpeg and ends the render `cancelled`.
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    callback_url: Mapped[str | None] = mapped_column(Text)
    # May copy untouched stretches of the sources instead of re-encoding them.
    smart: Mapped[bool] = mapped_column(default=True, server_default=true())

    output_key: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Double)
    width: Mapped[int | None]
    height: Mapped[int | None]
    warnings: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    # What the job did: segments, seconds copied and seconds encoded.
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "project_id", "created_at"),
        Index(None, "status"),
        CheckConstraint(f"status IN {RENDER_STATUSES}", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
    )
