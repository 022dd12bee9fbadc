"""A small indexed library for the search and retrieval tests (rows + real MiniLM vectors)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from agent.embeddings import get_local_embedder
from database.models import Project
from operators import search_index
from operators.search_index import IndexEntry
from tests.factories import make_media_row


def words_at(start: float, text: str, step: float = 0.4) -> list[list[object]]:
    """[start, end, word] triples, one word every `step` seconds."""
    return [
        [round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3), word]
        for i, word in enumerate(text.split())
    ]


def segment(seq: int, start: float, text: str) -> IndexEntry:
    words = words_at(start, text)
    return IndexEntry(seq, start, words[-1][1], text, words=words)


def index_asset(db: Session, project: Project, filename: str, kind: str, entries: list) -> str:
    """An asset row with search rows and their MiniLM vectors, as the pipeline leaves them."""
    asset = make_media_row(db, project, filename=filename, duration_s=120.0)
    search_index.replace_items(db, asset, kind, entries)
    embedder = get_local_embedder()
    todo = search_index.items_to_embed(db, asset.id, embedder.name)
    vectors = embedder.embed([text for _, text in todo])
    search_index.store_embeddings(db, [i for i, _ in todo], vectors, embedder.name)
    return str(asset.id)


@pytest.fixture
def library(user_client: TestClient, db: Session) -> dict[str, str]:
    """A project with three talking-head assets and one with on-screen text."""
    pid = user_client.post("/projects", json={"name": "Search"}).json()["project"]["id"]
    project = db.get(Project, uuid.UUID(pid))
    assert project is not None
    nature = index_asset(
        db,
        project,
        "nature.mp4",
        "transcript",
        [
            segment(0, 2.0, "welcome to the wildlife documentary about forests"),
            segment(1, 20.0, "now watch closely as the quick brown fox jumps over the lazy dog"),
            segment(2, 40.0, "rivers carry water from the mountains to the sea"),
        ],
    )
    finance = index_asset(
        db,
        project,
        "earnings.mp4",
        "transcript",
        [
            segment(0, 1.0, "quarterly revenue grew by ten percent this year"),
            segment(1, 15.0, "the board approved a new dividend for shareholders"),
        ],
    )
    cooking = index_asset(
        db,
        project,
        "kitchen.mp4",
        "transcript",
        [segment(0, 5.0, "slice the onions thinly and fry them in butter until golden")],
    )
    titles = index_asset(
        db,
        project,
        "titles.mp4",
        "shot",
        [IndexEntry(3, 30.0, 34.0, "CHAPTER TWO red", extra={"ocr_text": "CHAPTER TWO"})],
    )
    return {"pid": pid, "nature": nature, "finance": finance, "cooking": cooking, "titles": titles}
