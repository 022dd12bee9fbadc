"""Maintenance jobs (plain functions with string ids; run by either queue runner)."""

from __future__ import annotations

import logging
import uuid

from database.locks import advisory_lock, lock_key
from database.models import Asset, Project
from database.render_models import Render
from database.session import session_scope
from jobs.render_job import render_key, render_lock_key
from runtime import get_runtime
from utils.storage import asset_prefix, project_prefix

logger = logging.getLogger(__name__)


def delete_project_files(project_id: str) -> int:
    """Remove every stored object of a deleted project; refuses while its row exists."""
    runtime = get_runtime()
    with session_scope(runtime.sessions) as db:
        if db.get(Project, uuid.UUID(project_id)) is not None:
            logger.warning("project %s still exists; its files are kept", project_id)
            return 0
    removed = runtime.storage.delete_prefix(project_prefix(project_id))
    logger.info("deleted %d stored objects of project %s", removed, project_id)
    return removed


def delete_asset_files(project_id: str, asset_id: str) -> int:
    """Remove every stored object of a deleted asset (original and renditions)."""
    runtime = get_runtime()
    with session_scope(runtime.sessions) as db:
        if db.get(Asset, uuid.UUID(asset_id)) is not None:
            logger.warning("asset %s still exists; its files are kept", asset_id)
            return 0
    # Wait for a running indexing job to notice the deletion, so it writes nothing after us.
    with advisory_lock(runtime.engine, lock_key("index", asset_id), timeout_s=600):
        removed = runtime.storage.delete_prefix(asset_prefix(project_id, asset_id))
    logger.info("deleted %d stored objects of asset %s", removed, asset_id)
    return removed


def delete_render_file(project_id: str, render_id: str) -> int:
    """Remove a deleted render's file, after its job (if running) has noticed and stopped."""
    runtime = get_runtime()
    with session_scope(runtime.sessions) as db:
        if db.get(Render, uuid.UUID(render_id)) is not None:
            logger.warning("render %s still exists; its file is kept", render_id)
            return 0
    with advisory_lock(runtime.engine, render_lock_key(render_id), timeout_s=600):
        key = render_key(project_id, render_id)
        existed = runtime.storage.exists(key)
        runtime.storage.delete(key)
    return int(existed)
