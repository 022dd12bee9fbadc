"""Row factories for arranging tests."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from database.models import Asset, Project, User
from utils.ffmpeg import MediaError, probe
from utils.storage import Storage, asset_prefix


def make_user(db: Session) -> User:
    user = User()
    db.add(user)
    db.flush()
    return user


def make_project(db: Session, owner: User | None = None, name: str = "project") -> Project:
    owner = owner or make_user(db)
    project = Project(owner_id=owner.id, name=name)
    db.add(project)
    db.flush()
    return project


def make_asset(
    db: Session,
    storage: Storage,
    project: Project,
    path: Path,
    status: str = "pending",
    **fields: object,
) -> Asset:
    """Store `path` as an asset's original and add its row (no indexing is enqueued)."""
    asset_id = uuid.uuid4()
    key = asset_prefix(project.id, asset_id) + "original"
    stored = storage.put_file(key, path)
    asset = Asset(
        id=asset_id,
        project_id=project.id,
        filename=path.name,
        size_bytes=stored.size,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        storage_key=key,
        indexing_status=status,
        stages={},
        renditions={"original": {"key": key, "size": stored.size}},
    )
    try:
        asset.apply_probe(probe(path))
    except MediaError:
        asset.kind = "video"
    for name, value in fields.items():
        setattr(asset, name, value)
    db.add(asset)
    db.flush()
    return asset


def make_media_row(
    db: Session,
    project: Project,
    *,
    kind: str = "video",
    duration_s: float | None = 10.0,
    fps: tuple[int, int] | None = (24, 1),
    audio: bool = True,
    filename: str = "clip.mp4",
) -> Asset:
    """An indexed-looking asset row without stored files (for timeline tests)."""
    asset_id = uuid.uuid4()
    asset = Asset(
        id=asset_id,
        project_id=project.id,
        kind=kind,
        filename=filename,
        size_bytes=1,
        sha256="0" * 64,
        storage_key=asset_prefix(project.id, asset_id) + "original",
        duration_s=duration_s if kind != "image" else None,
        fps_num=fps[0] if fps and kind == "video" else None,
        fps_den=fps[1] if fps and kind == "video" else None,
        width=1920 if kind != "audio" else None,
        height=1080 if kind != "audio" else None,
        video_codec="h264" if kind == "video" else None,
        audio_codec="aac" if audio and kind != "image" else None,
        audio_channels=2 if audio and kind != "image" else None,
        sample_rate=48000 if audio and kind != "image" else None,
        indexing_status="completed",
        stages={},
        renditions={},
    )
    db.add(asset)
    db.flush()
    return asset
