"""Image-text embeddings (CLIP class): a shot's keyframe and a search query in one space.

No such weights ship in a pip package we can install, so by default there is no image
embedder and the `visual_embed` stage skips. A deployment plugs one in with the setting
`IMAGE_EMBEDDER=package.module:factory`, where `factory()` returns an `ImageEmbedder`
(for example open_clip's ViT-B/32 wrapped in a dozen lines); search then adds the shots
nearest to the query's text vector as a third ranked list.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from database.search_models import VISUAL_EMBEDDING_DIM


class ImageEmbedder(Protocol):
    """Keyframes and texts to unit vectors of `dim` floats in one shared space."""

    name: str
    dim: int
    # Below this cosine a text-image pair is unrelated (CLIP's matches sit near 0.25-0.35,
    # far lower than text-text similarities, so each model states its own floor).
    min_similarity: float

    def embed_images(self, images: Sequence[bytes]) -> np.ndarray:
        """(len(images), dim) float32 unit rows for encoded images (JPEG or PNG bytes)."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit rows from the model's text tower."""
        ...


class ImageEmbedderError(ValueError):
    """The configured image embedder cannot be loaded or has the wrong size."""


def load_image_embedder(spec: str) -> ImageEmbedder:
    """Call the factory named by `spec` ("package.module:function") and check its size."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ImageEmbedderError(f"IMAGE_EMBEDDER {spec!r} must look like 'package.module:factory'")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ImageEmbedderError(f"IMAGE_EMBEDDER {spec!r} cannot be loaded: {exc}") from exc
    embedder = factory()
    if embedder.dim != VISUAL_EMBEDDING_DIM:
        raise ImageEmbedderError(
            f"IMAGE_EMBEDDER {spec!r} makes {embedder.dim}-dim vectors; the visual_embedding "
            f"column holds {VISUAL_EMBEDDING_DIM} (a new size needs a migration)"
        )
    return embedder
