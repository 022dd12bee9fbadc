"""Indexing with OpenRouter configured: shot and asset descriptions from the vision model,
remote embeddings for every row and for queries, all against a local protocol server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.describe import OpenRouterDescriber, OpenRouterEmbedder
from agent.pipeline import index_asset
from agent.providers import Providers, use_providers
from agent.transcribe import get_local_transcriber
from database.models import Asset
from database.search_models import SearchItem
from database.session import session_scope
from operators.search_operator import search
from runtime import Runtime
from tests.agent.openrouter_server import FakeOpenRouter, fake_embedding
from tests.agent.speech import make_speech
from tests.factories import make_asset, make_project

EMBED_MODEL = "test/embed"


@pytest.fixture
def fake() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter() as server:
        client = server.client()
        use_providers(
            Providers(
                embedder=OpenRouterEmbedder(client, EMBED_MODEL, 384),
                transcriber=get_local_transcriber(),
                describer=OpenRouterDescriber(client, "test/vision"),
                chat=client,
                chat_model="test/chat",
            )
        )
        try:
            yield server
        finally:
            use_providers(None)


def test_descriptions_and_remote_vectors(
    committed: Runtime, fake: FakeOpenRouter, tmp_path: Path
) -> None:
    clip = make_speech(tmp_path / "clip.mp4", [(0.5, "video editing is fun")], seconds=4.0)
    with session_scope(committed.sessions) as db:
        project = make_project(db)
        asset_id = make_asset(db, committed.storage, project, clip).id
    assert index_asset(str(asset_id)) == "completed"

    chats = fake.requests_to("/chat/completions")
    shot_call, asset_call = chats[0], chats[-1]
    assert shot_call.body["model"] == "test/vision"
    images = [
        part
        for message in shot_call.body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]
    assert images and images[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")

    with session_scope(committed.sessions) as db:
        asset = db.get(Asset, asset_id)
        assert asset is not None
        assert asset.stages["summarise"]["source"] == "openrouter"
        rows = db.scalars(select(SearchItem).where(SearchItem.asset_id == asset_id)).all()
        # The asset description is asked with the transcript (whatever Whisper made of the
        # speech: tiny.en now and then mishears "video" in espeak's voice).
        spoken = next(row.text for row in rows if row.kind == "transcript")
        assert len(spoken.split()) >= 3
        asked = " ".join(str(message["content"]) for message in asset_call.body["messages"])
        assert spoken.strip() in asked
        assert {row.kind for row in rows} == {"transcript", "shot", "asset"}
        assert {row.embedding_model for row in rows} == {f"openrouter:{EMBED_MODEL}:384"}
        shot = next(row for row in rows if row.kind == "shot")
        assert shot.text.startswith("Fake description")
        # The stored vector is the one the remote model returned for that text.
        assert list(shot.embedding) == pytest.approx(fake_embedding(shot.text, 384), abs=1e-6)

        project_row = db.get(type(project), project.id)
        hits = search(db, project_row, shot.text, "semantic", limit=3)
    assert hits[0].kind == "shot" and hits[0].asset_id == asset_id
    assert fake.requests_to("/embeddings")[-1].body["input"] == [shot.text]
    assert all(r.body.get("dimensions") == 384 for r in fake.requests_to("/embeddings"))
