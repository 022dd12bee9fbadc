"""The reaper: finds indexing and render runs that died with their worker and retries or
fails them; drops expired login sessions."""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import timedelta

from sqlalchemy import select

from agent.pipeline import index_asset, index_lock_key
from database.base import utcnow
from database.locks import is_locked
from database.models import Asset
from database.render_models import Render
from database.session import session_scope
from jobs.render_job import enqueue_render, render_lock_key
from operators.auth_operator import purge_expired_sessions
from redis_client.queue import InProcessQueue, RetryPolicy
from runtime import Runtime

logger = logging.getLogger(__name__)


def recover_assets(runtime: Runtime, *, startup: bool = False) -> dict[str, int]:
    """Requeue or fail assets whose indexing run is gone; returns counts."""
    settings = runtime.settings
    # Jobs queued in memory died with the last process: requeue every pending asset.
    lost_pending = startup and isinstance(runtime.queue, InProcessQueue)
    stale_before = utcnow() - timedelta(seconds=settings.stale_pending_s)
    counts = {"requeued": 0, "failed": 0}
    with session_scope(runtime.sessions) as db:
        rows = db.scalars(
            select(Asset)
            .where(Asset.indexing_status.in_(("processing", "pending")))
            .with_for_update(skip_locked=True)
        ).all()
        to_enqueue: list[str] = []
        for asset in rows:
            recently_queued = asset.updated_at > stale_before
            if asset.indexing_status == "pending" and not lost_pending and recently_queued:
                continue
            if is_locked(runtime.engine, index_lock_key(asset.id)):
                continue  # a live run holds it
            if asset.indexing_status == "processing":
                if asset.indexing_attempts >= settings.index_max_attempts:
                    asset.indexing_status = "failed"
                    asset.indexing_error = (
                        f"indexing was interrupted {asset.indexing_attempts} times "
                        f"(worker stopped during stage {asset.indexing_stage}); giving up"
                    )
                    counts["failed"] += 1
                    continue
                asset.indexing_status = "pending"
                asset.indexing_error = (
                    f"attempt {asset.indexing_attempts} was interrupted during stage "
                    f"{asset.indexing_stage} (worker stopped); retrying"
                )
            asset.updated_at = utcnow()
            to_enqueue.append(str(asset.id))
    for asset_id in to_enqueue:
        runtime.queue.enqueue("index", index_asset, asset_id, retry=RetryPolicy(max=0))
        counts["requeued"] += 1
    if any(counts.values()):
        logger.warning("reaper: %s", counts)
    return counts


def recover_renders(runtime: Runtime, *, startup: bool = False) -> dict[str, int]:
    """Requeue, fail or cancel renders whose job is gone; returns counts."""
    settings = runtime.settings
    lost_pending = startup and isinstance(runtime.queue, InProcessQueue)
    stale_before = utcnow() - timedelta(seconds=settings.stale_pending_s)
    counts = {"requeued": 0, "failed": 0, "cancelled": 0}
    with session_scope(runtime.sessions) as db:
        rows = db.scalars(
            select(Render)
            .where(Render.status.in_(("processing", "pending")))
            .with_for_update(skip_locked=True)
        ).all()
        for render in rows:
            recently_queued = render.updated_at > stale_before
            if render.status == "pending" and not lost_pending and recently_queued:
                continue
            if is_locked(runtime.engine, render_lock_key(render.id)):
                continue  # a live run holds it
            if render.status == "processing":
                # The dead run's scratch files, when it ran on this machine.
                for scratch in settings.work_dir.glob(f"render-{render.id}-*"):
                    shutil.rmtree(scratch, ignore_errors=True)
                if render.cancel_requested:
                    render.status, render.completed_at = "cancelled", utcnow()
                    counts["cancelled"] += 1
                    continue
                if render.attempts >= settings.render_max_attempts:
                    render.status, render.completed_at = "failed", utcnow()
                    render.error = (
                        f"the render was interrupted {render.attempts} times (worker stopped)"
                    )
                    counts["failed"] += 1
                    continue
                render.status = "pending"
                render.error = f"attempt {render.attempts} was interrupted (worker stopped)"
            render.updated_at = utcnow()
            enqueue_render(db, render)
            counts["requeued"] += 1
    if any(counts.values()):
        logger.warning("reaper (renders): %s", counts)
    return counts


def purge_sessions(runtime: Runtime) -> int:
    """Delete expired login sessions, so the table holds live ones only."""
    with session_scope(runtime.sessions) as db:
        purged = purge_expired_sessions(db)
    if purged:
        logger.info("reaper: purged %d expired sessions", purged)
    return purged


class Reaper:
    """Runs `recover_assets`, `recover_renders` and `purge_sessions` at start-up, then every
    `reaper_interval_s` seconds."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        startup = True
        while not self._stop.is_set():
            try:
                recover_assets(self.runtime, startup=startup)
                recover_renders(self.runtime, startup=startup)
                purge_sessions(self.runtime)
                startup = False
            except Exception:
                logger.exception("reaper pass failed")
            self._stop.wait(self.runtime.settings.reaper_interval_s)
