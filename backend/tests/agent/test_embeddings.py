"""MiniLMEmbedder: the numpy route gives sentence-transformers' vectors for all-MiniLM-L6-v2.

The reference vectors in data/minilm_reference.json were made once with the real
sentence-transformers (bench/make_minilm_reference.py says how).
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from agent.embeddings import (
    MAX_SEQ_LENGTH,
    Embedder,
    MiniLMEmbedder,
    embed_query,
    gelu,
    get_local_embedder,
)

REFERENCE = json.loads((Path(__file__).parent / "data/minilm_reference.json").read_text())
TEXTS = [item["text"] for item in REFERENCE["items"]]
VECTORS = np.array([item["vector"] for item in REFERENCE["items"]], dtype=np.float32)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    """The process-wide embedder, so the weights load once for the module."""
    return get_local_embedder()


def test_reference_covers_the_edge_cases() -> None:
    assert REFERENCE["max_seq_length"] == MAX_SEQ_LENGTH
    tokens = [item["tokens"] for item in REFERENCE["items"]]
    assert max(tokens) > MAX_SEQ_LENGTH  # truncation is exercised
    assert "" in TEXTS
    assert any(ord(ch) > 0x3000 for text in TEXTS for ch in text)  # CJK
    assert any(ord(ch) > 0xFFFF for text in TEXTS for ch in text)  # emoji


def test_matches_sentence_transformers(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(TEXTS)

    cosine = np.sum(vectors * VECTORS, axis=1) / np.linalg.norm(VECTORS, axis=1)
    for text, cos, ours, ref in zip(TEXTS, cosine, vectors, VECTORS, strict=True):
        assert cos >= 0.9999, text
        assert np.abs(ours - ref).max() < 1e-4, text


def test_each_text_alone_matches_the_reference(embedder: MiniLMEmbedder) -> None:
    # Alone, no text is padded; in the batch above most are: padding must not leak in.
    for text, ref in zip(TEXTS, VECTORS, strict=True):
        (ours,) = embedder.embed([text])
        assert np.abs(ours - ref).max() < 1e-4, text


def test_batch_equals_one_by_one(embedder: MiniLMEmbedder) -> None:
    texts = [*TEXTS, *(f"clip {i}: " + "the crowd cheers " * i for i in range(8))]

    batched = embedder.embed(texts)
    alone = np.stack([embedder.embed([text])[0] for text in texts])

    np.testing.assert_allclose(batched, alone, atol=1e-5)


def test_shapes_dtype_and_unit_norm(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(["one", "two words", "and three words"])

    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dim == 384
    assert embedder.name == "all-MiniLM-L6-v2"


def test_empty_input_loads_nothing() -> None:
    fresh = MiniLMEmbedder()

    for empty in ([], (), np.array([], dtype=str)):
        vectors = fresh.embed(empty)
        assert vectors.shape == (0, 384)
        assert vectors.dtype == np.float32
    assert not fresh._loaded


def test_a_bare_string_is_refused(embedder: MiniLMEmbedder) -> None:
    # Iterating a str would embed each character: a silent, expensive mistake.
    with pytest.raises(TypeError):
        embedder.embed("a sentence")


def test_paraphrase_scores_higher_than_unrelated(embedder: MiniLMEmbedder) -> None:
    fox, paraphrase, revenue = embedder.embed(
        [
            "the quick brown fox jumps over the lazy dog",
            "a fox leaping over a dog",
            "quarterly revenue grew by ten percent",
        ]
    )

    assert fox @ paraphrase > 0.5
    assert fox @ revenue < 0.2
    assert fox @ paraphrase - fox @ revenue > 0.4


def test_long_text_is_truncated_not_refused(embedder: MiniLMEmbedder) -> None:
    long = "word " * 1000
    truncated = " ".join(["word"] * (MAX_SEQ_LENGTH - 2))  # plus [CLS] and [SEP]

    a, b = embedder.embed([long, truncated])

    np.testing.assert_allclose(a, b, atol=1e-5)


def test_embed_query_is_one_row_of_embed(embedder: MiniLMEmbedder) -> None:
    vector = embed_query("a fox leaping over a dog")

    assert vector.shape == (384,)
    np.testing.assert_allclose(vector, VECTORS[TEXTS.index("a fox leaping over a dog")], atol=1e-4)


def test_local_embedder_is_shared_and_fits_the_protocol() -> None:
    local = get_local_embedder()

    assert local is get_local_embedder()
    embedder: Embedder = local  # a static check as much as a runtime one
    assert embedder.dim == 384


def test_threads_share_one_embedder() -> None:
    fresh = MiniLMEmbedder()  # not loaded: the threads race to load it
    texts = TEXTS[:4]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: fresh.embed(texts[i:] + texts[:i]), range(4)))

    for i, vectors in enumerate(results):
        np.testing.assert_allclose(np.roll(vectors, i, axis=0), VECTORS[:4], atol=1e-4)


def test_gelu_is_the_erf_form() -> None:
    x = np.linspace(-8.0, 8.0, 4001, dtype=np.float32).reshape(-1, 1)
    exact = [0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x[:, 0].tolist()]

    np.testing.assert_allclose(gelu(x.copy())[:, 0], exact, atol=2e-6)
