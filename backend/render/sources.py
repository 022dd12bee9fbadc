"""The media a render reads: every asset a timeline uses, as local files plus probed facts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.proxy import AAC_RATES
from database.models import Asset
from models.timeline_models import Clip, ExternalReference, Stack, Track
from models.timeline_models import Timeline as TimelineDoc
from render.packets import facts_from_json
from render.plan import RenderError, SourceMedia
from utils.storage import Storage


class MissingMedia(RenderError):
    """The stored file of an asset the timeline uses is gone."""


def referenced_assets(timeline: TimelineDoc) -> set[str]:
    """Ids of the assets the timeline's clips play (in nested stacks too)."""
    return {
        clip.media_reference.asset_id
        for clip in iter_clips(timeline)
        if isinstance(clip.media_reference, ExternalReference)
    }


def iter_clips(timeline: TimelineDoc) -> Iterator[Clip]:
    """Every clip of the timeline (nested stacks included)."""
    pending: list[object] = list(timeline.tracks.children)
    while pending:
        item = pending.pop()
        if isinstance(item, Clip):
            yield item
        elif isinstance(item, Track | Stack):
            pending.extend(item.children)


def find_assets(db: Session, project_id: uuid.UUID, timeline: TimelineDoc) -> list[Asset]:
    """The project's asset rows the timeline uses.

    A deleted asset is simply absent: the compiler renders its clips as gaps and says so in
    the plan's warnings, as an editor shows offline media.
    """
    ids = {_uuid(value) for value in referenced_assets(timeline)} - {None}
    if not ids:
        return []
    # Only this project's assets: an id copied from another project's timeline finds nothing.
    query = select(Asset).where(Asset.project_id == project_id, Asset.id.in_(ids))
    return list(db.scalars(query))


def open_sources(
    assets: list[Asset], storage: Storage, stack: ExitStack, *, use_proxy: bool = False
) -> dict[str, SourceMedia]:
    """SourceMedia by asset id, with local paths valid until `stack` closes (GCS objects are
    downloaded; no database session needs to stay open meanwhile)."""
    sources: dict[str, SourceMedia] = {}
    for asset in assets:
        key, proxy = _pick_file(asset, use_proxy)
        try:
            path = stack.enter_context(storage.local_copy(key))
        except FileNotFoundError:
            raise MissingMedia(
                f"the stored file of asset {asset.id} ({asset.filename}) is missing"
            ) from None
        sources[str(asset.id)] = _source(asset, str(path), proxy)
    return sources


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _pick_file(asset: Asset, use_proxy: bool) -> tuple[str, dict | None]:
    """The storage key to read: the proxy when asked for and made, else the original."""
    proxy = (asset.renditions or {}).get("proxy")
    if use_proxy and asset.kind == "video" and proxy and proxy.get("key"):
        return proxy["key"], proxy
    return asset.storage_key, None


def _source(asset: Asset, path: str, proxy: dict | None) -> SourceMedia:
    fps = Fraction(asset.fps_num, asset.fps_den) if asset.fps_num and asset.fps_den else None
    width, height = asset.width, asset.height
    sample_rate = asset.sample_rate
    if proxy is not None:
        # The proxy is smaller, and its audio was resampled where AAC needed it.
        width, height = proxy.get("width") or width, proxy.get("height") or height
        if sample_rate is not None and sample_rate not in AAC_RATES:
            sample_rate = 48000
    has_audio = asset.audio_codec is not None
    kept = (asset.video_facts or {}).get("original" if proxy is None else "proxy")
    return SourceMedia(
        path=path,
        kind=asset.kind,  # type: ignore[arg-type]
        duration_s=asset.duration_s if asset.kind != "image" else None,
        width=width,
        height=height,
        fps=fps,
        has_video=asset.kind in ("video", "image") and width is not None,
        has_audio=has_audio,
        sample_rate=sample_rate if has_audio else None,
        # A proxy is made upright.
        rotation=asset.rotation if proxy is None else 0,
        facts=facts_from_json(kept) if kept else None,
    )


def path_names(assets: list[Asset], sources: dict[str, SourceMedia]) -> dict[str, str]:
    """Each source's local path -> the asset as users know it (for error messages)."""
    filenames = {str(asset.id): asset.filename for asset in assets}
    return {src.path: f"asset {aid} ({filenames.get(aid, '?')})" for aid, src in sources.items()}


def redact(text: str, names: dict[str, str]) -> str:
    """`text` with local paths (which mean nothing to users) replaced by names."""
    for path, name in names.items():
        text = text.replace(path, name)
    return text
