"""The render job: compile the bound timeline version, run ffmpeg, store the file.

`render_timeline(render_id)` runs on either queue runner. Like indexing, it holds an advisory
lock for its whole run, so a duplicate enqueue skips and the reaper (jobs/recovery.py) can tell
a dead `processing` render (lock free) from a live one.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from database.base import utcnow
from database.locks import lock_key, try_advisory_lock
from database.models import Asset, Project
from database.render_models import Render
from database.session import session_scope
from jobs.render_rows import (
    Progress,
    RenderGone,
    cancel_requested,
    complete,
    final_state,
    finish,
    put_back,
    update_row,
)
from models.timeline_models import Timeline as TimelineDoc
from models.timeline_models import rate_fraction
from operators import timeline_operator, timeline_store
from redis_client.queue import RetryPolicy, resumes_elsewhere
from render.callbacks import Notifier, callback_secret
from render.presets import get_preset
from render.runner import RenderCancelled
from render.smart import plan_work, run_work
from render.sources import find_assets, open_sources, path_names, redact
from runtime import Runtime, enqueue_after_commit, get_runtime
from utils.ffmpeg import MediaError, probe
from utils.storage import project_prefix

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    render_id: uuid.UUID
    project_id: uuid.UUID
    version: int
    preset: str
    start_s: float | None
    end_s: float | None
    callback_url: str | None
    smart: bool


def render_lock_key(render_id: object) -> int:
    return lock_key("render", render_id)


def render_key(project_id: object, render_id: object) -> str:
    """Where a finished render is stored: under its project, named by its id."""
    return f"{project_prefix(project_id)}renders/{render_id}.mp4"


def enqueue_render(db: Session, render: Render) -> None:
    """Queue the render's job once `db` commits, recording the job id on the row."""
    settings = get_runtime().settings
    # Not retried by the queue: a failure is final (it is on the row), and a run that dies
    # with its worker is requeued by the reaper, up to render_max_attempts.
    retry = RetryPolicy(max=0, timeout_s=int(settings.render_timeout_s) + 600)
    job_id = f"render-{render.id}-{uuid.uuid4().hex[:8]}"
    render.job_id = job_id
    enqueue_after_commit(db, "render", render_timeline, str(render.id), job_id=job_id, retry=retry)


def render_timeline(render_id: str) -> str:
    """Render one timeline version to a stored MP4 (job function); returns what happened."""
    runtime = get_runtime()
    with try_advisory_lock(runtime.engine, render_lock_key(render_id)) as acquired:
        if not acquired:
            logger.info("render %s is already running; skipping duplicate", render_id)
            return "busy"
        claim, ended = _claim(runtime, uuid.UUID(render_id))
        if claim is None:
            return "skipped"
        notifier = _notifier(runtime, claim)
        if ended is not None:
            # Cancelled or given up before it started: the receiver still hears how it ended.
            notifier.close(ended)
            return ended["status"]
        outcome = _run(runtime, claim, notifier)
    # Only once the lock is free, or the worker taking it over would skip it as a duplicate.
    if outcome == "interrupted" and resumes_elsewhere(runtime.queue):
        _enqueue_again(runtime, claim.render_id)
    return outcome


def _enqueue_again(runtime: Runtime, render_id: uuid.UUID) -> None:
    """A render its worker's shutdown put back goes to the queue again, for another worker."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is not None and row.status == "pending":
            enqueue_render(db, row)


def _claim(runtime: Runtime, render_id: uuid.UUID) -> tuple[Claim | None, dict | None]:
    """Move a pending render to processing; returns its claim, or the end state to report
    when it ended before starting."""
    with session_scope(runtime.sessions) as db:
        row = db.get(Render, render_id, with_for_update=True)
        if row is None:
            return None, None
        claim = Claim(
            render_id=row.id,
            project_id=row.project_id,
            version=row.timeline_version,
            preset=row.preset,
            start_s=row.range_start_s,
            end_s=row.range_end_s,
            callback_url=row.callback_url,
            smart=row.smart,
        )
        if row.status == "cancelled" and row.started_at is None:
            return claim, final_state(row)
        if row.status != "pending":
            return None, None
        max_attempts = runtime.settings.render_max_attempts
        if row.attempts >= max_attempts:
            row.status, row.completed_at = "failed", utcnow()
            row.error = row.error or f"gave up after {max_attempts} attempts"
            return claim, final_state(row)
        row.status = "processing"
        row.attempts += 1
        row.progress = 0.0
        row.started_at = utcnow()
        row.updated_at = utcnow()
        return claim, None


def _notifier(runtime: Runtime, claim: Claim) -> Notifier:
    base = {"render_id": str(claim.render_id), "project_id": str(claim.project_id)}
    secret = callback_secret(runtime.settings) if claim.callback_url else ""
    private = runtime.settings.render_callbacks_private
    return Notifier(claim.callback_url, secret, base, allow_private=private)


def _run(runtime: Runtime, claim: Claim, notifier: Notifier) -> str:
    settings = runtime.settings
    workdir = settings.work_dir / f"render-{claim.render_id}-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / f"{claim.render_id}.mp4"
    progress = Progress(runtime, claim.render_id, notifier)
    notifier.progress(0.0, force=True)
    final: dict[str, Any] | None = None
    # Local paths in ffmpeg's messages become names the user knows.
    names = {str(output): "the output file", str(workdir): "the work folder"}
    try:
        with ExitStack() as stack:
            with session_scope(runtime.sessions) as db:
                doc, assets = _load(db, claim)
            preset = get_preset(claim.preset)
            sources = open_sources(assets, runtime.storage, stack, use_proxy=preset.use_proxy)
            names |= path_names(assets, sources)
            start, end = _range(doc, claim)
            work = plan_work(doc, sources, preset, output, start=start, end=end, smart=claim.smart)
            size = {"width": work.width, "height": work.height}
            update_row(runtime, claim.render_id, **size, warnings=work.warnings, stats=work.stats())
            run_work(
                work,
                output,
                progress=progress.update,
                # A shutdown of this server or worker stops the encode too; it runs again later.
                is_cancelled=lambda: (
                    runtime.queue.stopping() or cancel_requested(runtime, claim.render_id)
                ),
                timeout=settings.render_timeout_s,
                parallel=settings.render_parallel_pieces,
            )
        duration = _measured_duration(output, work.duration_s)
        if cancel_requested(runtime, claim.render_id):
            raise RenderCancelled("cancelled after encoding")
        key = render_key(claim.project_id, claim.render_id)
        stored = runtime.storage.put_file(key, output, "video/mp4", move=True)
        final = complete(runtime, claim.render_id, key, stored.size, duration)
        return final["status"] if final else "deleted"
    except RenderCancelled:
        if runtime.queue.stopping() and not cancel_requested(runtime, claim.render_id):
            put_back(runtime, claim.render_id)
            return "interrupted"
        final = finish(runtime, claim.render_id, "cancelled")
        return "cancelled"
    except RenderGone:
        logger.info("render %s was deleted while it ran", claim.render_id)
        return "deleted"
    except Exception as exc:
        final = finish(runtime, claim.render_id, "failed", error=_describe(exc, names))
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        notifier.close(final)


def _load(db: Session, claim: Claim) -> tuple[TimelineDoc, list[Asset]]:
    project = db.get(Project, claim.project_id)
    if project is None:
        raise RenderGone(str(claim.render_id))
    row = timeline_operator.get_row(db, project)
    doc = timeline_store.load_version(db, row, claim.version)
    return doc, find_assets(db, project.id, doc)


def _range(doc: TimelineDoc, claim: Claim) -> tuple[Fraction, Fraction | None]:
    """The stored range back as exact times: it was snapped to whole frames when created."""
    rate = rate_fraction(doc.settings.rate)
    start = Fraction(round(claim.start_s * rate)) / rate if claim.start_s is not None else None
    end = Fraction(round(claim.end_s * rate)) / rate if claim.end_s is not None else None
    return start or Fraction(0), end


def _measured_duration(output: Path, planned: float) -> float:
    try:
        return probe(output).duration_s or planned
    except MediaError:
        return planned


def _describe(exc: BaseException, names: dict[str, str]) -> str:
    return redact(str(exc).strip() or type(exc).__name__, names)[-4000:]
