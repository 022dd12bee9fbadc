"""Writes to the search index: the rows each indexing stage produces, and their vectors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from database.models import Asset
from database.search_models import EMBEDDING_DIM, VISUAL_EMBEDDING_DIM, SearchItem


@dataclass(frozen=True)
class IndexEntry:
    """A searchable piece of an asset, as a stage produces it."""

    seq: int
    start_s: float
    end_s: float
    text: str
    words: list[list[Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def replace_items(db: Session, asset: Asset, kind: str, entries: Sequence[IndexEntry]) -> int:
    """Replace an asset's rows of one kind (a re-run stage overwrites, never duplicates)."""
    db.execute(delete(SearchItem).where(SearchItem.asset_id == asset.id, SearchItem.kind == kind))
    db.add_all(
        SearchItem(
            project_id=asset.project_id,
            asset_id=asset.id,
            kind=kind,
            seq=e.seq,
            start_s=e.start_s,
            end_s=e.end_s,
            text=e.text,
            words=e.words,
            extra=e.extra,
        )
        for e in entries
    )
    db.flush()
    return len(entries)


def items_to_embed(db: Session, asset_id: uuid.UUID, model: str) -> list[tuple[uuid.UUID, str]]:
    """(id, text) of an asset's rows with text but no vector from `model`."""
    rows = db.execute(
        select(SearchItem.id, SearchItem.text)
        .where(
            SearchItem.asset_id == asset_id,
            SearchItem.text != "",
            (SearchItem.embedding.is_(None)) | (SearchItem.embedding_model != model),
        )
        .order_by(SearchItem.kind, SearchItem.seq)
    )
    return [(row.id, row.text) for row in rows]


# Each vector space: its column, the column naming the model that made it, and its size.
_SPACES = {
    "text": ("embedding", "embedding_model", EMBEDDING_DIM),
    "visual": ("visual_embedding", "visual_model", VISUAL_EMBEDDING_DIM),
}


def store_embeddings(
    db: Session,
    ids: Sequence[uuid.UUID],
    vectors: np.ndarray,
    model: str,
    space: Literal["text", "visual"] = "text",
) -> None:
    """Write one vector per row id: a text vector, or a shot's picture vector."""
    column, model_column, dim = _SPACES[space]
    if vectors.shape != (len(ids), dim):
        raise ValueError(f"expected {len(ids)} vectors of {dim}, got {vectors.shape}")
    db.execute(
        update(SearchItem),
        [
            {"id": item_id, column: vec, model_column: model}
            for item_id, vec in zip(ids, vectors, strict=True)
        ],
    )
    db.flush()


def shots_to_embed_visually(
    db: Session, asset_id: uuid.UUID, model: str
) -> list[tuple[uuid.UUID, str]]:
    """(id, keyframe key) of an asset's shots with no picture vector from `model`."""
    rows = db.execute(
        select(SearchItem.id, SearchItem.extra["keyframe_key"].astext.label("key"))
        .where(
            SearchItem.asset_id == asset_id,
            SearchItem.kind == "shot",
            SearchItem.extra.has_key("keyframe_key"),
            (SearchItem.visual_embedding.is_(None)) | (SearchItem.visual_model != model),
        )
        .order_by(SearchItem.seq)
    )
    return [(row.id, row.key) for row in rows]


def asset_texts(db: Session, asset_id: uuid.UUID, kind: str) -> list[SearchItem]:
    """An asset's rows of one kind in order (the summary stage reads transcript and shots)."""
    return list(
        db.scalars(
            select(SearchItem)
            .where(SearchItem.asset_id == asset_id, SearchItem.kind == kind)
            .order_by(SearchItem.seq)
        )
    )
