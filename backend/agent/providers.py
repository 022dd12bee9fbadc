"""Which AI backends this process uses: local models by default, OpenRouter with a key.

Each backend is a small Protocol (`Embedder`, `Transcriber`, `Describer`, `ImageEmbedder`);
this module picks the implementations from the settings once per process. Local models load
lazily on first use, so a server that never indexes never pays for them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from config import Settings, get_settings

if TYPE_CHECKING:
    from agent.describe import Describer
    from agent.embeddings import Embedder
    from agent.image_embed import ImageEmbedder
    from agent.openrouter import OpenRouterClient
    from agent.transcribe import Transcriber


@dataclass
class Providers:
    embedder: Embedder
    transcriber: Transcriber
    describer: Describer | None
    chat: OpenRouterClient | None
    chat_model: str | None
    image_embedder: ImageEmbedder | None = None


_lock = threading.Lock()
_override: Providers | None = None


def build_providers(settings: Settings) -> Providers:
    """The backends `settings` asks for."""
    from agent.embeddings import get_local_embedder
    from agent.transcribe import get_local_transcriber

    transcriber = get_local_transcriber()
    transcriber.cpu_threads = settings.ai_threads  # read when the model first loads
    local = get_local_embedder()
    image_embedder = None
    if settings.image_embedder:
        from agent.image_embed import load_image_embedder

        image_embedder = load_image_embedder(settings.image_embedder)
    if not settings.openrouter_api_key:
        return Providers(local, transcriber, None, None, None, image_embedder)
    from agent.describe import OpenRouterDescriber, OpenRouterEmbedder
    from agent.openrouter import OpenRouterClient
    from database.search_models import EMBEDDING_DIM

    client = OpenRouterClient(settings.openrouter_api_key, base_url=settings.openrouter_base_url)
    return Providers(
        embedder=OpenRouterEmbedder(client, settings.openrouter_embedding_model, EMBEDDING_DIM),
        transcriber=transcriber,
        describer=OpenRouterDescriber(client, settings.openrouter_vision_model),
        chat=client,
        chat_model=settings.openrouter_chat_model,
        image_embedder=image_embedder,
    )


@cache
def _cached(key: tuple[object, ...]) -> Providers:
    return build_providers(_settings())


def _settings() -> Settings:
    from runtime import get_runtime

    try:
        return get_runtime().settings
    except RuntimeError:  # a script with no runtime (benchmarks)
        return get_settings()


def get_providers() -> Providers:
    """This process's backends (a test may install others with `use_providers`)."""
    with _lock:
        if _override is not None:
            return _override
        s = _settings()
        key = (
            s.openrouter_api_key,
            s.openrouter_base_url,
            s.openrouter_embedding_model,
            s.ai_threads,
        )
        return _cached((*key, s.openrouter_vision_model, s.openrouter_chat_model, s.image_embedder))


def use_providers(providers: Providers | None) -> None:
    """Swap the backends (tests point them at a local OpenRouter-speaking server)."""
    global _override
    with _lock:
        _override = providers


def query_embedder() -> Embedder:
    """The embedder whose vectors a search compares against."""
    return get_providers().embedder
