"""Indexing stages: run one media function and store what it made.

Each stage takes a `StageContext` and returns (result, renditions): `result` is kept in
`asset.stages[name]`, `renditions` are merged into `asset.renditions`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from agent.filmstrip import make_filmstrip
from agent.proxy import make_proxy
from agent.thumbnail import make_thumbnail
from agent.waveform import make_waveform
from database.models import Asset
from database.session import session_scope
from render.packets import facts_to_json, stream_facts
from utils.ffmpeg import MediaError, MediaInfo, ProgressCallback, probe
from utils.storage import Storage

StageOutput = tuple[dict[str, Any], dict[str, dict[str, Any]]]


class AssetGone(Exception):
    """The asset was deleted while it was being indexed."""


@dataclass
class StageContext:
    src: Path
    workdir: Path
    prefix: str
    storage: Storage
    progress: ProgressCallback
    info: MediaInfo | None = None
    # For stages that write search rows: which asset, and how to open a transaction.
    asset_id: uuid.UUID | None = None
    sessions: sessionmaker[Session] | None = None

    def store(self, name: str, path: Path, content_type: str, **extra: Any) -> dict[str, Any]:
        """Move a made file into storage; return its rendition entry."""
        key = f"{self.prefix}{name}"
        stored = self.storage.put_file(key, path, content_type, move=True)
        return {"key": key, "size": stored.size, "content_type": content_type, **extra}

    def store_json(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        path = self.workdir / name
        path.write_text(json.dumps(data, separators=(",", ":")))
        return self.store(name, path, "application/json")


@contextmanager
def asset_session(ctx: StageContext) -> Iterator[tuple[Session, Asset]]:
    """A transaction holding the asset row; a deleted asset ends the run."""
    assert ctx.sessions is not None and ctx.asset_id is not None
    with session_scope(ctx.sessions) as db:
        asset = db.get(Asset, ctx.asset_id, with_for_update=True)
        if asset is None:
            raise AssetGone(str(ctx.asset_id))
        yield db, asset


def keep_video_facts(ctx: StageContext, which: str, path: Path, *, again: bool = True) -> None:
    """Read the video packets of `path` (the original or the proxy) once and keep what the
    renderer needs on the asset, so no render reads the whole file again."""
    if ctx.sessions is None or ctx.asset_id is None:
        return
    if not again:
        with asset_session(ctx) as (_, asset):
            if which in (asset.video_facts or {}):
                return
    facts = stream_facts(path)
    if facts is None:
        return
    with asset_session(ctx) as (_, asset):
        asset.video_facts = {**(asset.video_facts or {}), which: facts_to_json(facts)}


def check_decoded(info: MediaInfo, decoded_s: float | None, what: str) -> None:
    """A file that decodes much shorter than its header says is truncated or damaged."""
    if not info.duration_s or decoded_s is None:
        return
    if decoded_s < info.duration_s * 0.95 - 0.5:
        raise MediaError(
            f"the file is truncated or damaged: its {what} decodes to {decoded_s:.2f} s "
            f"of the {info.duration_s:.2f} s its header declares"
        )


def probe_stage(ctx: StageContext) -> StageOutput:
    ctx.info = probe(ctx.src)
    if ctx.info.kind == "video":
        # Probe runs again on every retry; the original's packets only need reading once.
        keep_video_facts(ctx, "original", ctx.src, again=False)
    return ctx.info.to_dict(), {}


def thumbnail_stage(ctx: StageContext) -> StageOutput:
    assert ctx.info is not None
    out = ctx.workdir / "thumbnail.jpg"
    meta = make_thumbnail(ctx.src, ctx.info, out)
    entry = ctx.store(
        "thumbnail.jpg", out, "image/jpeg", width=meta["width"], height=meta["height"]
    )
    return meta, {"thumbnail": entry}


def filmstrip_stage(ctx: StageContext) -> StageOutput:
    assert ctx.info is not None
    out = ctx.workdir / "filmstrip.jpg"
    index = make_filmstrip(ctx.src, ctx.info, out)
    sprite = ctx.store("filmstrip.jpg", out, "image/jpeg")
    index_entry = ctx.store_json("filmstrip.json", index)
    summary = {k: index[k] for k in ("interval_s", "tile_width", "tile_height", "count")}
    return summary, {"filmstrip": sprite, "filmstrip_index": index_entry}


def waveform_stage(ctx: StageContext) -> StageOutput:
    assert ctx.info is not None
    if not ctx.info.audio_codec:
        return {"skipped": "no audio stream"}, {}
    data = make_waveform(ctx.src, ctx.info)
    check_decoded(ctx.info, len(data["peaks"]) / data["peaks_per_second"], "audio")
    entry = ctx.store_json("waveform.json", data)
    return {"peaks": len(data["peaks"]), "peaks_per_second": data["peaks_per_second"]}, {
        "waveform": entry
    }


def proxy_stage(ctx: StageContext) -> StageOutput:
    assert ctx.info is not None
    out = ctx.workdir / "proxy.mp4"
    meta = make_proxy(ctx.src, ctx.info, out, progress=ctx.progress)
    check_decoded(ctx.info, meta.get("duration_s"), "video")
    keep_video_facts(ctx, "proxy", out)
    entry = ctx.store("proxy.mp4", out, "video/mp4", width=meta["width"], height=meta["height"])
    return meta, {"proxy": entry}
