"""A running render's row: its progress, its end states, and what the callback is told."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy import select

from database.base import utcnow
from database.render_models import Render
from database.session import session_scope
from render.callbacks import Notifier
from runtime import Runtime

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 0.5


class RenderGone(Exception):
    """The render row (or its project) was deleted while the job ran."""


def content_url(project_id: object, render_id: object) -> str:
    return f"/projects/{project_id}/renders/{render_id}/content"


class Progress:
    """Writes monotonic progress to the row (at most every 0.5 s) and to the callback."""

    def __init__(self, runtime: Runtime, render_id: uuid.UUID, notifier: Notifier) -> None:
        self.runtime = runtime
        self.render_id = render_id
        self.notifier = notifier
        self.best = 0.0
        self._last_write = 0.0

    def update(self, percent: float) -> None:
        # The encode's last percent is left for the completed state, written with the file.
        percent = min(percent, 99.9)
        if percent <= self.best:
            return
        self.best = percent
        self.notifier.progress(percent)
        now = time.monotonic()
        if now - self._last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        self._last_write = now
        try:
            update_row(self.runtime, self.render_id, progress=percent)
        except RenderGone:
            raise  # stops ffmpeg: nobody wants this render any more
        except Exception:
            # Progress is cosmetic; a database blip must not fail an hour-long encode.
            logger.warning("could not record render progress", exc_info=True)


def update_row(runtime: Runtime, render_id: uuid.UUID, **changes: Any) -> None:
    """Set fields of a running render (progress never goes back)."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is None:
            raise RenderGone(str(render_id))
        if "progress" in changes:
            changes["progress"] = max(row.progress, changes["progress"])
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()


def cancel_requested(runtime: Runtime, render_id: uuid.UUID) -> bool:
    """True when a cancel was asked for, or the row is gone (nothing to render for)."""
    with session_scope(runtime.sessions) as db:
        flag = db.scalar(select(Render.cancel_requested).where(Render.id == render_id))
    return flag is None or bool(flag)


def complete(
    runtime: Runtime, render_id: uuid.UUID, key: str, size: int, duration: float
) -> dict[str, Any] | None:
    """Mark the render completed, unless it was cancelled or deleted during the upload (then
    the stored file is removed again)."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is None or row.cancel_requested:
            runtime.storage.delete(key)
            if row is None:
                return None
            row.status = "cancelled"
        else:
            row.status, row.progress = "completed", 100.0
            row.output_key, row.size_bytes, row.duration_s = key, size, duration
            row.error = None
        row.completed_at = row.updated_at = utcnow()
        return final_state(row)


def finish(
    runtime: Runtime, render_id: uuid.UUID, status: str, error: str | None = None
) -> dict[str, Any] | None:
    """The render ended without a file (failed or cancelled)."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is None:
            return None
        row.status, row.error = status, error
        row.output_key = None
        row.completed_at = row.updated_at = utcnow()
        return final_state(row)


def put_back(runtime: Runtime, render_id: uuid.UUID) -> None:
    """Stopped by a shutdown, not by anyone's choice: pending again, the attempt not counted;
    it runs again from the beginning (next start's reaper, or another RQ worker)."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is None or row.status != "processing":
            return
        row.status, row.progress, row.started_at = "pending", 0.0, None
        row.attempts = max(0, row.attempts - 1)
        row.error = "stopped by a shutdown of its server or worker; it runs again from the start"
        row.updated_at = utcnow()
    logger.info("render %s stopped for the shutdown; it runs again later", render_id)


def final_state(row: Render) -> dict[str, Any]:
    """What the completion callback says about the render."""
    completed = row.status == "completed"
    return {
        "status": row.status,
        "progress": row.progress,
        "timeline_version": row.timeline_version,
        "preset": row.preset,
        "size_bytes": row.size_bytes,
        "duration_s": row.duration_s,
        "error": row.error,
        "content_url": content_url(row.project_id, row.id) if completed else None,
    }
