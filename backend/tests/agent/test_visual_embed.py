"""The visual-embedding stage and search's third ranked list, with an image-text model plugged
in through the `IMAGE_EMBEDDER` hook (a deterministic stand-in for a CLIP-class model)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.embeddings import get_local_embedder
from agent.image_embed import ImageEmbedderError, load_image_embedder
from agent.pipeline import index_asset
from agent.providers import Providers, build_providers, use_providers
from agent.transcribe import get_local_transcriber
from config import Settings
from database.models import Asset, Project
from database.search_models import SearchItem
from database.session import session_scope
from operators import search_index
from operators.search_operator import search
from runtime import Runtime
from tests.agent.conftest import make_color_steps
from tests.agent.palette_embedder import PaletteEmbedder
from tests.factories import make_asset, make_project

FACTORY = "tests.agent.palette_embedder:make_palette_embedder"


@pytest.fixture
def palette() -> Iterator[PaletteEmbedder]:
    embedder = PaletteEmbedder()
    use_providers(
        Providers(
            embedder=get_local_embedder(),
            transcriber=get_local_transcriber(),
            describer=None,
            chat=None,
            chat_model=None,
            image_embedder=embedder,
        )
    )
    try:
        yield embedder
    finally:
        use_providers(None)


def _index_colours(runtime: Runtime, path: Path) -> uuid.UUID:
    src = make_color_steps(path, ["red", "blue", "green"], 2.0, "keyint=25")
    with session_scope(runtime.sessions) as db:
        project = make_project(db)
        asset_id = make_asset(db, runtime.storage, project, src).id
    assert index_asset(str(asset_id)) == "completed"
    return asset_id


def test_picture_vectors_find_shots_by_what_they_show(
    committed: Runtime, palette: PaletteEmbedder, tmp_path: Path
) -> None:
    asset_id = _index_colours(committed, tmp_path / "rgb.mp4")
    with session_scope(committed.sessions) as db:
        asset = db.get(Asset, asset_id)
        assert asset is not None
        stage = asset.stages["visual_embed"]
        assert (stage["model"], stage["vectors"]) == ("test-palette", 3)
        shots = db.scalars(
            select(SearchItem)
            .where(SearchItem.asset_id == asset_id, SearchItem.kind == "shot")
            .order_by(SearchItem.seq)
        ).all()
        assert [s.visual_model for s in shots] == ["test-palette"] * 3
        assert all(s.visual_embedding is not None for s in shots)

        project = db.get(Project, asset.project_id)
        assert project is not None
        for query, (start, end) in (("cobalt", (2.0, 4.0)), ("emerald", (4.0, 6.0))):
            hits = search(db, project, query, mode="semantic")
            top = hits[0]
            assert (top.kind, top.asset_id) == ("shot", asset_id)
            assert (top.start, top.end) == pytest.approx((start, end), abs=0.05)
            assert "visual" in top.matched_by
        hybrid = search(db, project, "a scarlet wall", mode="hybrid")
        assert hybrid[0].kind == "shot" and hybrid[0].start == pytest.approx(0.0, abs=0.05)
        assert "visual" in hybrid[0].matched_by
        # Keyword search never consults picture vectors.
        assert all("visual" not in h.matched_by for h in search(db, project, "cobalt", "keyword"))
        # A re-run of the stage would find every shot embedded by this model already.
        assert search_index.shots_to_embed_visually(db, asset_id, "test-palette") == []
        assert len(search_index.shots_to_embed_visually(db, asset_id, "another-model")) == 3
    assert palette.images_seen == 3


def test_without_an_image_embedder_the_stage_skips(committed: Runtime, tmp_path: Path) -> None:
    asset_id = _index_colours(committed, tmp_path / "rgb.mp4")
    with session_scope(committed.sessions) as db:
        asset = db.get(Asset, asset_id)
        assert asset is not None
        stage = asset.stages["visual_embed"]
        assert stage["status"] == "completed" and "IMAGE_EMBEDDER" in stage["skipped"]
        rows = db.scalars(select(SearchItem).where(SearchItem.asset_id == asset_id)).all()
        assert rows and all(row.visual_embedding is None for row in rows)


def test_the_setting_names_a_factory() -> None:
    providers = build_providers(Settings(image_embedder=FACTORY))
    assert isinstance(providers.image_embedder, PaletteEmbedder)
    assert build_providers(Settings()).image_embedder is None
    with pytest.raises(ImageEmbedderError, match=r"package\.module:factory"):
        load_image_embedder("no_colon_here")
    with pytest.raises(ImageEmbedderError, match="cannot be loaded"):
        load_image_embedder("tests.agent.palette_embedder:nope")
