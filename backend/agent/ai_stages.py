"""The indexing stages that make an asset searchable: transcribe, shots, summarise, embed,
visual_embed.

Each stage stores its full output in storage (for the transcript and shots endpoints) and its
searchable pieces as `search_items` rows, replacing what an earlier run of the same stage
wrote, so every stage can be re-run safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from agent.colours import colour_words
from agent.providers import get_providers
from agent.stages import StageContext, StageOutput, asset_session
from agent.summary import offline_summary, online_summary
from database.models import Asset
from operators import search_index
from operators.search_index import IndexEntry

EMBED_BATCH = 64


def keyframe_name(index: int) -> str:
    """Where shot `index`'s keyframe goes, under the asset's storage prefix."""
    return f"shots/{index}.jpg"


def transcribe_stage(ctx: StageContext) -> StageOutput:
    assert ctx.info is not None
    if not ctx.info.audio_codec:
        with asset_session(ctx) as (db, asset):
            search_index.replace_items(db, asset, "transcript", [])
        return {"skipped": "no audio stream"}, {}
    transcript = get_providers().transcriber.transcribe(ctx.src, ctx.progress)
    entry = ctx.store_json("transcript.json", transcript.to_dict())
    entries = [
        IndexEntry(
            seq=i,
            start_s=seg.start,
            end_s=seg.end,
            text=seg.text,
            words=[[w.start, w.end, w.text] for w in seg.words],
        )
        for i, seg in enumerate(transcript.segments)
    ]
    with asset_session(ctx) as (db, asset):
        search_index.replace_items(db, asset, "transcript", entries)
    words = sum(len(seg.words) for seg in transcript.segments)
    result = {
        "language": transcript.language,
        "model": transcript.model,
        "segments": len(entries),
        "words": words,
    }
    return result, {"transcript": entry}


def shots_stage(ctx: StageContext) -> StageOutput:
    from agent.shots import detect_shots
    from agent.visual import analyse_shots

    assert ctx.info is not None
    shots = detect_shots(ctx.src, ctx.info, lambda f: ctx.progress(0.4 * f))
    infos = analyse_shots(
        ctx.src, ctx.info, shots, ctx.workdir, lambda f: ctx.progress(0.4 + 0.6 * f)
    )
    records, entries = [], []
    for info in infos:
        key_entry = ctx.store(keyframe_name(info.shot.index), info.keyframe, "image/jpeg")
        record = {**info.to_dict(), "keyframe_key": key_entry["key"]}
        record.pop("keyframe", None)
        records.append(record)
        names = colour_words(info.colors, info.brightness)
        entries.append(
            IndexEntry(
                seq=info.shot.index,
                start_s=info.shot.start_s,
                end_s=info.shot.end_s,
                text=" ".join(part for part in (info.ocr_text, " ".join(names)) if part),
                extra={
                    "keyframe_key": key_entry["key"],
                    "colors": record.get("colors"),
                    "brightness": info.brightness,
                    "ocr_text": info.ocr_text,
                },
            )
        )
    entry = ctx.store_json("shots.json", {"shots": records})
    with asset_session(ctx) as (db, asset):
        search_index.replace_items(db, asset, "shot", entries)
    with_text = sum(1 for info in infos if info.ocr_text)
    return {"shots": len(records), "shots_with_text": with_text}, {"shots": entry}


def summarise_stage(ctx: StageContext) -> StageOutput:
    providers = get_providers()
    with asset_session(ctx) as (db, asset):
        transcript = search_index.asset_texts(db, asset.id, "transcript")
        shots = search_index.asset_texts(db, asset.id, "shot")
        facts = _asset_facts(asset)
        segments = [(row.start_s, row.text) for row in transcript]
        shot_rows = [(row.seq, row.start_s, row.end_s, row.extra) for row in shots]
    if providers.describer is not None:
        summary, shot_texts = online_summary(
            ctx, providers.describer, facts, segments, shot_rows, ctx.progress
        )
        source = "openrouter"
    else:
        summary, shot_texts = offline_summary(facts, segments, shot_rows), {}
        source = "offline"
    entry = ctx.store_json("summary.json", {"source": source, **summary})
    with asset_session(ctx) as (db, asset):
        search_index.replace_items(
            db,
            asset,
            "asset",
            [IndexEntry(0, 0.0, asset.duration_s or 0.0, summary["text"], extra=summary)],
        )
        for row in search_index.asset_texts(db, asset.id, "shot"):
            if row.seq in shot_texts:
                row.text = f"{shot_texts[row.seq]} {row.text}".strip()
                row.embedding = None
        db.flush()
    return {"source": source, "chars": len(summary["text"])}, {"summary": entry}


def embed_stage(ctx: StageContext) -> StageOutput:
    embedder = get_providers().embedder
    with asset_session(ctx) as (db, asset):
        todo = search_index.items_to_embed(db, asset.id, embedder.name)
    _embed_in_batches(ctx, todo, embedder.embed, embedder.name, "text")
    return {"model": embedder.name, "vectors": len(todo)}, {}


def visual_embed_stage(ctx: StageContext) -> StageOutput:
    embedder = get_providers().image_embedder
    if embedder is None:
        return {"skipped": "no image embedder configured (IMAGE_EMBEDDER)"}, {}
    with asset_session(ctx) as (db, asset):
        todo = search_index.shots_to_embed_visually(db, asset.id, embedder.name)

    def keyframes_to_vectors(keys: list[str]) -> np.ndarray:
        return embedder.embed_images([b"".join(ctx.storage.iter_range(key)) for key in keys])

    _embed_in_batches(ctx, todo, keyframes_to_vectors, embedder.name, "visual")
    return {"model": embedder.name, "vectors": len(todo)}, {}


def _embed_in_batches(
    ctx: StageContext,
    todo: list[tuple[uuid.UUID, str]],
    vectors_for: Callable[[list[str]], np.ndarray],
    model: str,
    space: Literal["text", "visual"],
) -> None:
    """Turn each (row id, input) into a vector, a batch at a time, each batch committed."""
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = vectors_for([value for _, value in batch])
        with asset_session(ctx) as (db, _asset):
            search_index.store_embeddings(db, [i for i, _ in batch], vectors, model, space)
        ctx.progress((start + len(batch)) / len(todo))


def _asset_facts(asset: Asset) -> dict[str, Any]:
    return {
        "filename": asset.filename,
        "kind": asset.kind,
        "duration_s": asset.duration_s,
        "width": asset.width,
        "height": asset.height,
    }
