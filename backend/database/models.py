"""ORM models. Every schema change here needs an Alembic migration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.base import Base, IdMixin, TimestampMixin, utcnow

if TYPE_CHECKING:
    from utils.ffmpeg import MediaInfo


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    kind: Mapped[str] = mapped_column(String(20), default="anonymous")
    display_name: Mapped[str | None] = mapped_column(String(200))

    sessions: Mapped[list[AuthSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class AuthSession(IdMixin, Base):
    """A login: the token is `<id>.<secret>`; only a hash of the secret is stored."""

    __tablename__ = "sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(400))

    user: Mapped[User] = relationship(back_populates="sessions")

    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index(None, "owner_id", "created_at"),)


INDEXING_STATUSES = ("pending", "processing", "completed", "failed")
ASSET_KINDS = ("video", "audio", "image")


class Asset(IdMixin, TimestampMixin, Base):
    """An uploaded media file, its probed metadata and its indexing state."""

    __tablename__ = "assets"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))

    format_name: Mapped[str | None] = mapped_column(String(100))
    duration_s: Mapped[float | None] = mapped_column(Double)
    fps_num: Mapped[int | None]
    fps_den: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    rotation: Mapped[int] = mapped_column(default=0)
    video_codec: Mapped[str | None] = mapped_column(String(50))
    pix_fmt: Mapped[str | None] = mapped_column(String(50))
    audio_codec: Mapped[str | None] = mapped_column(String(50))
    audio_channels: Mapped[int | None]
    sample_rate: Mapped[int | None]
    bit_rate: Mapped[int | None] = mapped_column(BigInteger)

    indexing_status: Mapped[str] = mapped_column(String(20), default="pending")
    indexing_stage: Mapped[str | None] = mapped_column(String(30))
    indexing_progress: Mapped[float] = mapped_column(Double, default=0.0)
    indexing_attempts: Mapped[int] = mapped_column(default=0)
    indexing_error: Mapped[str | None] = mapped_column(Text)
    indexing_started_at: Mapped[datetime | None]
    indexing_completed_at: Mapped[datetime | None]
    # Per stage: {"status", "started_at", "completed_at", "error", ...stage results}.
    stages: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Per rendition: {"key", "size", "content_type", ...}; keys live under the asset prefix.
    renditions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # The video packets' facts for the renderer, {"original": ..., "proxy": ...}
    # (render.packets.facts_to_json); read at ingest, not shown in the API.
    video_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index(None, "project_id", "created_at"),
        Index(None, "indexing_status"),
        CheckConstraint(f"kind IN {ASSET_KINDS}", name="kind"),
        CheckConstraint(f"indexing_status IN {INDEXING_STATUSES}", name="indexing_status"),
    )

    def apply_probe(self, info: MediaInfo) -> None:
        """Copy probed metadata onto the row."""
        self.kind = info.kind
        self.format_name = info.format_name
        self.duration_s = info.duration_s
        self.fps_num, self.fps_den = info.fps_num, info.fps_den
        self.width, self.height, self.rotation = info.width, info.height, info.rotation
        self.video_codec, self.pix_fmt = info.video_codec, info.pix_fmt
        self.audio_codec = info.audio_codec
        self.audio_channels, self.sample_rate = info.audio_channels, info.sample_rate
        self.bit_rate = info.bit_rate


class Timeline(IdMixin, TimestampMixin, Base):
    """One timeline per project; its versions hold the history."""

    __tablename__ = "timelines"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(default=0)
    # Versions an undo returns to (last = next), and versions a redo restores.
    undo_stack: Mapped[list[int]] = mapped_column(JSONB, default=list)
    redo_stack: Mapped[list[int]] = mapped_column(JSONB, default=list)


class TimelineVersion(Base):
    """A version: its parent, who made it, and either a snapshot or how to rebuild it.

    Only some versions store a snapshot; an `edit` is rebuilt by replaying its ops (the audit
    rows) on its parent, and `undo`/`redo`/`rollback` equal their `source_version`.
    """

    __tablename__ = "timeline_versions"

    timeline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("timelines.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    parent_version: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(20))
    source_version: Mapped[int | None]
    author: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    op_count: Mapped[int] = mapped_column(default=0)
    # Ops to replay from the nearest snapshot to rebuild this version.
    replay_depth: Mapped[int] = mapped_column(default=0)
    # The whole timeline as zlib-compressed JSON (smaller and much faster to load than JSONB),
    # and the schema_version it was written with.
    snapshot: Mapped[bytes | None] = mapped_column(LargeBinary)
    snapshot_schema: Mapped[int | None]
    # What replaying needs, fixed at edit time: ids the ops generated, assets they used.
    replay: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('create', 'edit', 'undo', 'redo', 'rollback', 'import')", name="kind"
        ),
    )


class TimelineOp(Base):
    """The audit log: every op of every version, in order."""

    __tablename__ = "timeline_ops"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    timeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("timelines.id", ondelete="CASCADE"))
    version: Mapped[int]
    seq: Mapped[int]
    op_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "timeline_id", "version", "seq", unique=True),)
