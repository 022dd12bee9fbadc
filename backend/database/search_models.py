"""ORM models of the search index and the retrieval agent's runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, Computed, Double, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, IdMixin, utcnow

# Every embedder, local or remote, writes vectors of this size (remote models are asked for
# it with `dimensions`), so one HNSW index serves them all.
EMBEDDING_DIM = 384
# Image-text (CLIP-class) vectors of shots live in their own space and column.
VISUAL_EMBEDDING_DIM = 512
SEARCH_KINDS = ("transcript", "shot", "asset")


class SearchItem(IdMixin, Base):
    """One searchable, time-ranged piece of an asset: a transcript segment, a shot, a summary."""

    __tablename__ = "search_items"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int]
    start_s: Mapped[float] = mapped_column(Double)
    end_s: Mapped[float] = mapped_column(Double)
    text: Mapped[str] = mapped_column(Text)
    # Transcript words as [start, end, word] triples, for word-precise hit ranges.
    words: Mapped[list[Any] | None] = mapped_column(JSONB)
    # Kind-specific facts: a shot's colours, brightness and keyframe key.
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    tsv: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('english', text)", persisted=True)
    )
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    visual_embedding: Mapped[list[float] | None] = mapped_column(Vector(VISUAL_EMBEDDING_DIM))
    visual_model: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(None, "asset_id", "kind", "seq"),
        Index(None, "project_id"),
        Index("ix_search_items_tsv", "tsv", postgresql_using="gin"),
        Index(
            "ix_search_items_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        Index(
            "ix_search_items_visual_embedding",
            "visual_embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"visual_embedding": "vector_cosine_ops"},
        ),
        CheckConstraint(f"kind IN {SEARCH_KINDS}", name="kind"),
    )


class AgentRun(IdMixin, Base):
    """One retrieval-agent run: the query, how it planned, every tool call, what it returned."""

    __tablename__ = "agent_runs"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    query: Mapped[str] = mapped_column(Text)
    planner: Mapped[str] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    trace: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    results: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(None, "project_id", "created_at"),
        CheckConstraint("status IN ('completed', 'failed')", name="status"),
    )
