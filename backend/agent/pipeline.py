"""The indexing job: run an asset's stages in order, recording state on the asset row.

`index_asset(asset_id)` is a plain job function for either queue runner. An advisory lock
held for the whole run keeps duplicate enqueues from running at once, and disappears with a
killed worker, which is how the reaper (jobs/recovery.py) tells a dead run from a live one.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent.stage_registry import STAGES, STAGES_BY_KIND, WEIGHTS
from agent.stages import AssetGone, StageContext
from database.base import utcnow
from database.locks import lock_key, try_advisory_lock
from database.models import Asset
from database.session import session_scope
from redis_client.queue import RetryPolicy, resumes_elsewhere
from runtime import Runtime, get_runtime
from utils.ffmpeg import MediaError
from utils.storage import asset_prefix

logger = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL_S = 1.0


@dataclass
class Claim:
    asset_id: uuid.UUID
    kind: str
    storage_key: str
    prefix: str
    attempt: int
    done: set[str] = field(default_factory=set)


class Interrupted(BaseException):
    """The server or worker is shutting down: stop now; the asset resumes later (at the next
    start, or on another RQ worker). A BaseException, so no stage's `except Exception` can
    swallow it; raised from the progress callback, it also kills a running ffmpeg."""


def index_retry(runtime: Runtime) -> RetryPolicy:
    """How the queue runs an indexing job: up to INDEX_MAX_ATTEMPTS tries, two hours each."""
    return RetryPolicy(max=runtime.settings.index_max_attempts - 1, timeout_s=7200)


def index_lock_key(asset_id: object) -> int:
    return lock_key("index", asset_id)


def index_asset(asset_id: str) -> str:
    """Index one asset (job function); returns what happened."""
    runtime = get_runtime()
    with try_advisory_lock(runtime.engine, index_lock_key(asset_id)) as acquired:
        if not acquired:
            logger.info("asset %s is already being indexed; skipping duplicate", asset_id)
            return "busy"
        claim = _claim(runtime, uuid.UUID(asset_id))
        if claim is None:
            return "skipped"
        outcome = _run(runtime, claim)
    # Only once the lock is free, or the worker taking it over would skip it as a duplicate.
    if outcome == "interrupted" and resumes_elsewhere(runtime.queue):
        runtime.queue.enqueue("index", index_asset, asset_id, retry=index_retry(runtime))
    return outcome


def _claim(runtime: Runtime, asset_id: uuid.UUID) -> Claim | None:
    max_attempts = runtime.settings.index_max_attempts
    with session_scope(runtime.sessions) as db:
        asset = db.get(Asset, asset_id, with_for_update=True)
        if asset is None or asset.indexing_status == "completed":
            return None
        if asset.indexing_attempts >= max_attempts:
            asset.indexing_status = "failed"
            asset.indexing_error = asset.indexing_error or f"gave up after {max_attempts} attempts"
            return None
        asset.indexing_status = "processing"
        asset.indexing_attempts += 1
        asset.indexing_started_at = utcnow()
        asset.indexing_completed_at = None
        done = {name for name, s in (asset.stages or {}).items() if s.get("status") == "completed"}
        return Claim(
            asset_id=asset.id,
            kind=asset.kind,
            storage_key=asset.storage_key,
            prefix=asset_prefix(asset.project_id, asset.id),
            attempt=asset.indexing_attempts,
            done=done,
        )


class _Tracker:
    """Writes stage state and overall progress to the row; notices a deleted asset."""

    def __init__(self, runtime: Runtime, claim: Claim, stages: list[str]) -> None:
        self.runtime = runtime
        self.claim = claim
        self.stages = stages
        self.total = sum(WEIGHTS[name] for name in stages)
        self.finished = 0.0
        self.current: str | None = None
        self._last_write = 0.0
        self._lock = threading.Lock()

    def write(self, **changes: Any) -> dict[str, Any]:
        with session_scope(self.runtime.sessions) as db:
            asset = db.get(Asset, self.claim.asset_id, with_for_update=True)
            if asset is None:
                raise AssetGone(str(self.claim.asset_id))
            stage_update = changes.pop("stage_update", None)
            renditions = changes.pop("renditions", None)
            if stage_update:
                name, state = stage_update
                asset.stages = {**(asset.stages or {}), name: state}
            if renditions:
                asset.renditions = {**(asset.renditions or {}), **renditions}
            for key, value in changes.items():
                setattr(asset, key, value)
            asset.updated_at = utcnow()
            return dict(asset.stages or {})

    def start(self, name: str) -> None:
        self.current = name
        state = {"status": "processing", "started_at": utcnow().isoformat()}
        self.write(indexing_stage=name, stage_update=(name, state))

    def check_stopping(self) -> None:
        if self.runtime.queue.stopping():
            raise Interrupted(str(self.claim.asset_id))

    def progress(self, fraction: float) -> None:
        self.check_stopping()
        now = time.monotonic()
        if self.current is None or now - self._last_write < PROGRESS_WRITE_INTERVAL_S:
            return
        self._last_write = now
        done = self.finished + WEIGHTS[self.current] * min(max(fraction, 0.0), 1.0)
        self.write(indexing_progress=round(100 * done / self.total, 1))

    def finish(self, name: str, result: dict[str, Any], renditions: dict[str, Any]) -> None:
        stages = self.write()
        state = {
            **stages.get(name, {}),
            **result,
            "status": "completed",
            "completed_at": utcnow().isoformat(),
        }
        self.finished += WEIGHTS[name]
        self.write(
            stage_update=(name, state),
            renditions=renditions,
            indexing_progress=round(100 * self.finished / self.total, 1),
        )

    def fail_stage(self, name: str, error: str) -> None:
        stages = self.write()
        state = {**stages.get(name, {}), "status": "failed", "error": error}
        self.write(stage_update=(name, state))


def _run(runtime: Runtime, claim: Claim) -> str:
    stages = STAGES_BY_KIND[claim.kind]
    tracker = _Tracker(runtime, claim, stages)
    workdir = runtime.settings.work_dir / f"index-{claim.asset_id}-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    stage = "download"
    try:
        with runtime.storage.local_copy(claim.storage_key) as src:
            ctx = StageContext(
                src,
                workdir,
                claim.prefix,
                runtime.storage,
                tracker.progress,
                asset_id=claim.asset_id,
                sessions=runtime.sessions,
            )
            for stage in stages:
                if stage in claim.done and stage != "probe":  # probe is cheap and feeds the rest
                    tracker.finished += WEIGHTS[stage]
                    continue
                tracker.check_stopping()
                tracker.start(stage)
                try:
                    result, renditions = STAGES[stage](ctx)
                except (AssetGone, MediaError):
                    raise
                except Exception as exc:
                    tracker.fail_stage(stage, _describe(exc))
                    raise
                tracker.finish(stage, result, renditions)
        tracker.write(
            indexing_status="completed",
            indexing_stage=None,
            indexing_progress=100.0,
            indexing_error=None,
            indexing_completed_at=utcnow(),
        )
        return "completed"
    except AssetGone:
        logger.info("asset %s was deleted during indexing", claim.asset_id)
        return "deleted"
    except Interrupted:
        _put_back(tracker, stage)
        return "interrupted"
    except MediaError as exc:
        # Broken media stays broken: record why and do not retry.
        _give_up(tracker, stage, f"{stage}: {exc}", final=True)
        return "failed"
    except Exception as exc:
        final = claim.attempt >= runtime.settings.index_max_attempts
        _give_up(tracker, stage, f"{stage}: {_describe(exc)}", final=final)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _give_up(tracker: _Tracker, stage: str, error: str, *, final: bool) -> None:
    try:
        if final:
            if stage in STAGES:
                tracker.fail_stage(stage, error)
            tracker.write(indexing_status="failed", indexing_error=error)
        else:
            note = f"attempt {tracker.claim.attempt} failed, will retry: {error}"
            tracker.write(indexing_status="pending", indexing_error=note)
    except AssetGone:
        pass


def _put_back(tracker: _Tracker, stage: str) -> None:
    """Stopped by a shutdown: pending again, the attempt not counted; finished stages stay
    finished and the interrupted one runs again when the asset resumes."""
    note = "stopped by a shutdown of its server or worker; it continues where it stopped"
    with session_scope(tracker.runtime.sessions) as db:
        asset = db.get(Asset, tracker.claim.asset_id, with_for_update=True)
        if asset is None or asset.indexing_status != "processing":
            return
        stages = dict(asset.stages or {})
        if stages.get(stage, {}).get("status") == "processing":
            stages[stage] = {"status": "pending"}
        asset.stages = stages
        asset.indexing_status, asset.indexing_stage, asset.indexing_error = "pending", None, note
        asset.indexing_attempts = max(0, asset.indexing_attempts - 1)
        asset.updated_at = utcnow()
    logger.info("indexing of %s stopped for the shutdown at %s", tracker.claim.asset_id, stage)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[-2000:]
