"""Maintenance jobs (plain functions with string ids; run by either queue runner)."""

from __future__ import annotations

import logging
import uuid

from database.models import Project
from database.session import session_scope
from runtime import get_runtime
from utils.storage import project_prefix

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
