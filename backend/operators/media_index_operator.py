"""What indexing learnt about an asset: its transcript (JSON, SRT, VTT) and its shots."""

from __future__ import annotations

import json
from typing import Any

from agent.ai_stages import keyframe_name
from database.models import Asset
from errors import NotFound
from models import search_api as sa
from operators.asset_operator import rendition
from runtime import get_runtime
from utils.storage import asset_prefix


def _stage(asset: Asset, name: str) -> dict[str, Any]:
    return (asset.stages or {}).get(name) or {}


def _not_ready(asset: Asset, what: str, stage: str) -> NotFound:
    state = _stage(asset, stage).get("status") or "pending"
    return NotFound(
        f"no {what} yet: the {stage} stage is {state} (indexing {asset.indexing_status})",
        code=f"{what}_not_ready",
    )


def _read_json(key: str) -> dict[str, Any]:
    return json.loads(b"".join(get_runtime().storage.iter_range(key)))


def transcript_data(asset: Asset) -> dict[str, Any]:
    """The stored transcript; an empty one for media without sound."""
    state = _stage(asset, "transcribe")
    if state.get("status") == "completed" and state.get("skipped"):
        return {"language": None, "model": None, "duration_s": asset.duration_s, "segments": []}
    if asset.kind == "image":
        raise NotFound("an image has no transcript", code="transcript_not_available")
    if state.get("status") != "completed" or "transcript" not in (asset.renditions or {}):
        raise _not_ready(asset, "transcript", "transcribe")
    key, _ = rendition(asset, "transcript")
    return _read_json(key)


def get_transcript(asset: Asset) -> sa.TranscriptResponse:
    """The transcript as segments with word times."""
    data = transcript_data(asset)
    return sa.TranscriptResponse(
        asset_id=asset.id,
        language=data.get("language"),
        model=data.get("model"),
        duration_s=data.get("duration_s"),
        segments=data.get("segments", []),
    )


def transcript_subtitles(asset: Asset, fmt: str) -> str:
    """The transcript as SRT or WebVTT text."""
    from agent.subtitles import to_srt, to_vtt
    from agent.transcribe import Transcript

    data = transcript_data(asset)
    if not data["segments"]:
        return "WEBVTT\n\n" if fmt == "vtt" else ""
    transcript = Transcript.from_dict(data)
    return to_vtt(transcript) if fmt == "vtt" else to_srt(transcript)


def get_shots(asset: Asset) -> sa.ShotsResponse:
    """The asset's shots with keyframe URLs, colours, brightness and on-screen text."""
    if asset.kind == "audio":
        raise NotFound("an audio asset has no shots", code="shots_not_available")
    if _stage(asset, "shots").get("status") != "completed":
        raise _not_ready(asset, "shots", "shots")
    key, _ = rendition(asset, "shots")
    base = f"/projects/{asset.project_id}/assets/{asset.id}/shots"
    shots = [
        sa.Shot(
            index=s["index"],
            start=s["start_s"],
            end=s["end_s"],
            keyframe_url=f"{base}/{s['index']}/keyframe",
            colors=s.get("colors") or [],
            brightness=s.get("brightness", 0.0),
            ocr_text=s.get("ocr_text", ""),
            description=s.get("description"),
        )
        for s in (_flatten(s) for s in _read_json(key)["shots"])
    ]
    return sa.ShotsResponse(asset_id=asset.id, shots=shots)


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Shot records nest the shot's times under "shot"; lift them up."""
    shot = record.get("shot") or {}
    return {**shot, **{k: v for k, v in record.items() if k != "shot"}}


def keyframe_key(asset: Asset, index: int) -> str:
    """Storage key of one shot's keyframe."""
    if _stage(asset, "shots").get("status") != "completed":
        raise _not_ready(asset, "shots", "shots")
    key = asset_prefix(asset.project_id, asset.id) + keyframe_name(index)
    if index < 0 or index >= int(_stage(asset, "shots").get("shots", 0)):
        raise NotFound(f"no shot {index} in this asset", code="shot_not_found")
    return key
