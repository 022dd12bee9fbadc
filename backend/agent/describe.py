"""Multimodal descriptions of shots and assets, and remote text embeddings, via OpenRouter.

A description is a short summary plus tags, objects and events: what search indexes and what
the retrieval agent reads. Models answer JSON most of the time, but not always cleanly, so
the parser digs the object out of code fences or prose and falls back to the raw text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agent.embeddings import Embedder
from agent.openrouter import OpenRouterClient, OpenRouterError, image_part

__all__ = [
    "Describer",
    "Description",
    "Embedder",
    "OpenRouterDescriber",
    "OpenRouterEmbedder",
    "parse_description",
]

MAX_IMAGES = 4  # keyframes per shot sent to the model; more cost tokens, rarely add facts
MAX_ITEMS = 12  # per list field; a runaway model should not bloat the index
MAX_TRANSCRIPT_CHARS = 4000
MAX_SHOTS_IN_PROMPT = 40
FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)

SCHEMA = (
    '{"summary": "one or two plain sentences", '
    '"tags": ["short lowercase keywords for search"], '
    '"objects": ["visible people, things, places, on-screen text"], '
    '"events": ["actions or happenings"]}'
)
SYSTEM = (
    "You describe video footage for a search index used by video editors. Be concrete and "
    "factual; do not guess names or intentions you cannot see or hear. Answer with only a "
    f"JSON object of this shape: {SCHEMA}"
)


@dataclass(frozen=True)
class Description:
    summary: str
    tags: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    events: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists, not tuples)."""
        return {
            "summary": self.summary,
            "tags": list(self.tags),
            "objects": list(self.objects),
            "events": list(self.events),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Description:
        """A Description from a dict, tolerating missing fields and loose types."""
        summary = data.get("summary") or data.get("description") or ""
        return cls(
            summary=" ".join(str(summary).split()),
            tags=clean_items(data.get("tags"), lower=True),
            objects=clean_items(data.get("objects")),
            events=clean_items(data.get("events")),
        )


def clean_items(value: Any, *, lower: bool = False) -> tuple[str, ...]:
    """A list field as unique non-empty strings (a lone string or dicts with a name accepted)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = re.split(r"[,;\n]", value)
    items: list[str] = []
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, dict):
            item = item.get("name") or item.get("label") or item.get("text") or ""
        text = " ".join(str(item).split())
        text = text.lower() if lower else text
        if text and text not in items:
            items.append(text)
    return tuple(items[:MAX_ITEMS])


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model's answer: bare, fenced, or inside prose."""
    candidates = [text.strip(), *(m.strip() for m in FENCE.findall(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_description(text: str | None) -> Description:
    """A model's answer as a Description; unparseable prose becomes the summary."""
    text = (text or "").strip()
    data = extract_json(text)
    if data is not None:
        described = Description.from_dict(data)
        if described.summary or described.tags or described.objects or described.events:
            return described
    return Description(summary=" ".join(FENCE.sub(r"\1", text).split()))


def sample_evenly(items: Sequence[Path], limit: int) -> list[Path]:
    """At most `limit` items spread across the sequence, first and last included."""
    if len(items) <= limit:
        return list(items)
    if limit == 1:
        return [items[0]]
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]


class Describer(Protocol):
    def describe_shot(self, keyframes: list[Path], context: str) -> Description: ...

    def describe_asset(
        self,
        shot_descriptions: Sequence[Description],
        transcript_excerpt: str,
        metadata: Mapping[str, Any],
    ) -> Description: ...


class OpenRouterDescriber:
    """Describes shots from keyframes and assets from their shots, with one chat call each."""

    def __init__(
        self, client: OpenRouterClient, model: str, *, max_images: int = MAX_IMAGES
    ) -> None:
        self.client = client
        self.model = model
        self.max_images = max_images

    def describe_shot(self, keyframes: list[Path], context: str) -> Description:
        """Describe one shot from its keyframes (in time order) and surrounding context."""
        frames = sample_evenly(keyframes, self.max_images)
        text = (
            f"Describe this shot from {len(frames)} keyframe(s) in time order.\n"
            f"Context (file, time, nearby speech): {context or 'none'}"
        )
        content = [{"type": "text", "text": text}, *(image_part(p) for p in frames)]
        return self._ask(content)

    def describe_asset(
        self,
        shot_descriptions: Sequence[Description],
        transcript_excerpt: str,
        metadata: Mapping[str, Any],
    ) -> Description:
        """Describe a whole asset from its shots' descriptions, speech and metadata."""
        shots = "\n".join(
            f"{i + 1}. {d.summary}" for i, d in enumerate(shot_descriptions[:MAX_SHOTS_IN_PROMPT])
        )
        text = (
            "Describe this whole media file for search, from what is known about it.\n"
            f"Metadata: {json.dumps(dict(metadata), default=str)}\n"
            f"Shots in order:\n{shots or 'none'}\n"
            f"Transcript excerpt:\n{transcript_excerpt[:MAX_TRANSCRIPT_CHARS] or 'none'}"
        )
        return self._ask(text)

    def _ask(self, content: str | list[dict[str, Any]]) -> Description:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]
        try:
            result = self.client.chat(
                messages, model=self.model, response_format={"type": "json_object"}
            )
        except OpenRouterError as exc:
            # Some models reject response_format; the system prompt still asks for JSON.
            if exc.status != 400 or "response_format" not in exc.message:
                raise
            result = self.client.chat(messages, model=self.model)
        return parse_description(result.content)


class OpenRouterEmbedder:
    """An `Embedder`: text embeddings from an OpenRouter model, as unit float32 rows."""

    def __init__(self, client: OpenRouterClient, model: str, dim: int) -> None:
        self.client = client
        self.model = model
        self.dim = dim
        # Vectors of one model at different widths are different spaces: name both.
        self.name = f"openrouter:{model}:{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into an (n, dim) float32 array of unit vectors."""
        vectors = self.client.embed(list(texts), model=self.model, dimensions=self.dim)
        if len(texts) and vectors.shape[1] != self.dim:
            # A model that ignores `dimensions` would corrupt a fixed-width vector column.
            raise OpenRouterError(
                None, f"{self.model} returned {vectors.shape[1]}-dim vectors, expected {self.dim}"
            )
        return vectors.reshape(len(texts), self.dim)
