"""Assets: create from an upload, list, read, delete, reindex; always within a project."""

from __future__ import annotations

import mimetypes
import uuid

from sqlalchemy.orm import Session

from agent.pipeline import index_asset, index_retry
from database.base import utcnow
from database.models import Asset, Project
from errors import Conflict, NotFound, UnsupportedMedia
from jobs.maintenance import delete_asset_files
from models import asset_models as am
from operators.paging import newest_first
from runtime import enqueue_after_commit, get_runtime
from utils.ffmpeg import MediaError, probe
from utils.storage import asset_prefix
from utils.upload import StagedUpload, discard

RENDITION_TYPES = {
    "original": "application/octet-stream",
    "thumbnail": "image/jpeg",
    "filmstrip": "image/jpeg",
    "waveform": "application/json",
    "proxy": "video/mp4",
    "filmstrip_index": "application/json",
    "transcript": "application/json",
    "shots": "application/json",
    "summary": "application/json",
}
# The API path of each rendition under /projects/{pid}/assets/{aid}/.
RENDITION_PATHS = {
    "original": "content",
    "filmstrip_index": "filmstrip/index",
    "transcript": "transcript",
    "shots": "shots",
    "summary": "summary",
}


def create_asset(db: Session, project: Project, staged: StagedUpload) -> Asset:
    """Probe a staged upload, keep it if it is media (415 if not), enqueue its indexing."""
    try:
        info = probe(staged.path)
    except MediaError as exc:
        discard(staged)
        raise UnsupportedMedia(f"not a media file FFmpeg can read: {exc}") from None
    asset_id = uuid.uuid4()
    key = asset_prefix(project.id, asset_id) + "original"
    content_type = staged.content_type
    if not content_type or content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(staged.filename)[0] or content_type
    try:
        get_runtime().storage.put_file(key, staged.path, content_type, move=True)
    finally:
        discard(staged)
    asset = Asset(
        id=asset_id,
        project_id=project.id,
        filename=staged.filename,
        content_type=content_type,
        size_bytes=staged.size,
        sha256=staged.sha256,
        storage_key=key,
        indexing_status="pending",
        stages={},
        renditions={"original": {"key": key, "size": staged.size, "content_type": content_type}},
    )
    asset.apply_probe(info)
    db.add(asset)
    db.flush()
    enqueue_index(db, asset)
    return asset


def enqueue_index(db: Session, asset: Asset) -> None:
    """Index the asset once this transaction commits."""
    retry = index_retry(get_runtime())
    enqueue_after_commit(db, "index", index_asset, str(asset.id), retry=retry)


def list_assets(
    db: Session,
    project: Project,
    kind: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Asset], int]:
    """One page of a project's assets, newest first, filtered by kind and status."""
    conditions = [Asset.project_id == project.id]
    if kind:
        conditions.append(Asset.kind == kind)
    if status:
        conditions.append(Asset.indexing_status == status)
    return newest_first(db, Asset, conditions, limit, offset)


def get_asset(db: Session, project: Project, asset_id: uuid.UUID) -> Asset:
    """The asset if it belongs to the project; 404 otherwise."""
    asset = db.get(Asset, asset_id)
    if asset is None or asset.project_id != project.id:
        raise NotFound("asset not found", code="asset_not_found")
    return asset


def delete_asset(db: Session, asset: Asset) -> None:
    """Delete the row now and every stored object of the asset once that commits."""
    project_id, asset_id = str(asset.project_id), str(asset.id)
    db.delete(asset)
    db.flush()
    enqueue_after_commit(db, "maintenance", delete_asset_files, project_id, asset_id)


def reindex_asset(db: Session, asset: Asset) -> Asset:
    """Rerun every indexing stage from scratch."""
    if asset.indexing_status == "processing":
        raise Conflict(
            "the asset is being indexed now; try again when it finishes",
            code="indexing_in_progress",
        )
    asset.indexing_status = "pending"
    asset.indexing_stage = None
    asset.indexing_progress = 0.0
    asset.indexing_attempts = 0
    asset.indexing_error = None
    asset.indexing_started_at = None
    asset.indexing_completed_at = None
    asset.stages = {}
    asset.updated_at = utcnow()
    db.flush()
    enqueue_index(db, asset)
    return asset


def rendition(asset: Asset, name: str) -> tuple[str, str]:
    """Storage key and content type of a rendition; 404 while it does not exist yet."""
    entry = (asset.renditions or {}).get(name)
    if not entry:
        raise NotFound(
            f"no {name} for this asset ({asset.kind}, indexing {asset.indexing_status})",
            code="rendition_not_found",
        )
    return entry["key"], entry.get("content_type") or RENDITION_TYPES[name]


def to_model(asset: Asset) -> am.Asset:
    """The API view of an asset, with rendition URLs."""
    base = f"/projects/{asset.project_id}/assets/{asset.id}"
    renditions = {
        name: am.Rendition(
            url=f"{base}/{RENDITION_PATHS.get(name, name)}",
            content_type=entry.get("content_type") or RENDITION_TYPES.get(name, ""),
            size=entry.get("size"),
            width=entry.get("width"),
            height=entry.get("height"),
        )
        for name, entry in (asset.renditions or {}).items()
    }
    fps = am.Rational(num=asset.fps_num, den=asset.fps_den) if asset.fps_num else None
    return am.Asset(
        **{name: getattr(asset, name) for name in _PLAIN_FIELDS},
        fps=fps,
        stages=asset.stages or {},
        renditions=renditions,
    )


_PLAIN_FIELDS = [
    name for name in am.Asset.model_fields if name not in ("fps", "stages", "renditions")
]
