"""An asset's summary: built from its transcript, on-screen text and metadata offline, or from
a multimodal model's descriptions of its shots when OpenRouter is configured."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.describe import Describer
    from agent.stages import StageContext

SPEECH_WORDS = 80
MAX_TAGS = 12
_STOP = frozenset(
    re.findall(
        r"\S+",
        """a an and are as at be but by for from has have he her his i in is it its of on or our
    she so that the their them then there these they this to was we were what when which who
    will with you your not no do does did just like can could would should about into over
    out up down all any some one two very also more most than too been being had how where
    why here me my mine us ok okay yeah uh um""",
    )
)

Segments = Sequence[tuple[float, str]]
ShotRows = Sequence[tuple[int, float, float, dict[str, Any]]]


def _title(filename: str) -> str:
    stem = Path(filename).stem
    return re.sub(r"[_\-.]+", " ", stem).strip() or filename


def keywords(texts: Sequence[str], limit: int = MAX_TAGS) -> list[str]:
    """The most frequent content words, for tags."""
    counts = Counter(
        word
        for text in texts
        for word in re.findall(r"[a-z][a-z']{2,}", text.lower())
        if word not in _STOP
    )
    return [word for word, _ in counts.most_common(limit)]


def offline_summary(facts: dict[str, Any], segments: Segments, shots: ShotRows) -> dict[str, Any]:
    """A summary from what was heard and read: no model needed."""
    speech = " ".join(text for _, text in segments).split()
    excerpt = " ".join(speech[:SPEECH_WORDS]) + (" ..." if len(speech) > SPEECH_WORDS else "")
    on_screen = list(dict.fromkeys(s[3].get("ocr_text") for s in shots if s[3].get("ocr_text")))
    parts = [_title(facts["filename"]) + "."]
    length = f"{facts['duration_s']:.0f} s " if facts.get("duration_s") else ""
    parts.append(f"A {length}{facts['kind']} with {len(shots)} shots." if shots else "")
    if excerpt:
        parts.append(f"Speech: {excerpt}")
    if on_screen:
        parts.append("On screen: " + "; ".join(on_screen[:10]) + ".")
    tags = keywords([text for _, text in segments] + on_screen)
    return {
        "text": " ".join(p for p in parts if p),
        "summary": " ".join(p for p in parts if p),
        "tags": tags,
        "objects": [],
        "events": [],
    }


def online_summary(
    ctx: StageContext,
    describer: Describer,
    facts: dict[str, Any],
    segments: Segments,
    shots: ShotRows,
    progress: Callable[[float], None],
) -> tuple[dict[str, Any], dict[int, str]]:
    """Describe sampled shots with the vision model, then the asset from those descriptions."""
    from runtime import get_runtime

    limit = get_runtime().settings.openrouter_max_shots
    step = max(1, -(-len(shots) // limit)) if limit else len(shots) + 1
    picked = list(shots)[::step][:limit] if limit else []
    shot_texts: dict[int, str] = {}
    descriptions = []
    for n, (seq, start, end, extra) in enumerate(picked):
        said = " ".join(text for t, text in segments if start <= t < end)
        context = f"Shot {seq} of {facts['filename']}, {start:.1f}-{end:.1f} s. "
        context += f"Speech: {said[:500]}. On-screen text: {extra.get('ocr_text') or 'none'}."
        with ctx.storage.local_copy(extra["keyframe_key"]) as keyframe:
            description = describer.describe_shot([keyframe], context)
        descriptions.append(description)
        shot_texts[seq] = _as_text(description)
        progress((n + 1) / (len(picked) + 1))
    excerpt = " ".join(text for _, text in segments)[:2000]
    asset = describer.describe_asset(descriptions, excerpt, facts)
    progress(1.0)
    summary = asset.to_dict()
    return {**summary, "text": _as_text(asset)}, shot_texts


def _as_text(description: Any) -> str:
    words = [description.summary, *description.tags, *description.objects, *description.events]
    return " ".join(w for w in words if w).strip()
