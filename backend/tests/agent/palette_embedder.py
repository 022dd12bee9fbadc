"""A stand-in for a CLIP-class model: pictures and colour names meet in one vector space.

An image's vector is its mean colour's direction away from grey; a text's is the sum of the
directions of the colour names it contains. Real image-text models do far more, but this one
is deterministic and speaks the `ImageEmbedder` protocol exactly, so the stage, the storage
and the search path are tested with a model that can be right or wrong.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import av
import numpy as np

from database.search_models import VISUAL_EMBEDDING_DIM

# Deliberately words the shots' own text ("red", "blue" from the colour namer) never holds.
LEXICON = {
    "scarlet": (255, 36, 0),
    "vermilion": (227, 66, 52),
    "cobalt": (0, 71, 171),
    "ultramarine": (18, 10, 143),
    "emerald": (80, 200, 120),
    "chartreuse": (127, 255, 0),
}


def _pixels(image: bytes) -> np.ndarray:
    with av.open(io.BytesIO(image)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.float32)


def _direction(rgb: Sequence[float]) -> np.ndarray:
    vec = np.zeros(VISUAL_EMBEDDING_DIM, dtype=np.float32)
    centred = np.asarray(rgb, dtype=np.float32) - float(np.mean(rgb))
    vec[:3] = centred
    return vec


def _unit(rows: list[np.ndarray]) -> np.ndarray:
    out = np.zeros((len(rows), VISUAL_EMBEDDING_DIM), dtype=np.float32)
    for i, row in enumerate(rows):
        norm = float(np.linalg.norm(row))
        if norm > 0:
            out[i] = row / norm
        else:  # grey or no colour word: a direction unrelated to every colour
            out[i, 3] = 1.0
    return out


class PaletteEmbedder:
    name = "test-palette"
    dim = VISUAL_EMBEDDING_DIM
    min_similarity = 0.5

    def __init__(self) -> None:
        self.images_seen = 0

    def embed_images(self, images: Sequence[bytes]) -> np.ndarray:
        self.images_seen += len(images)
        means = [_pixels(b).mean((0, 1)) for b in images]
        return _unit([_direction(m) for m in means])

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            row = np.zeros(VISUAL_EMBEDDING_DIM, dtype=np.float32)
            for word in text.lower().split():
                if word.strip(".,!?") in LEXICON:
                    row += _direction(LEXICON[word.strip(".,!?")])
            rows.append(row)
        return _unit(rows)


def make_palette_embedder() -> PaletteEmbedder:
    """The factory an IMAGE_EMBEDDER setting names."""
    return PaletteEmbedder()
