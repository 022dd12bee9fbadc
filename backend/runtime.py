"""The process's services: database, job queue, session cache, storage.

The API server and the RQ worker each build one at start-up; job functions use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from config import Settings
from database import migrate
from database.embedded import EmbeddedPostgres
from database.session import after_commit, create_db_engine, make_sessionmaker, normalize_url
from redis_client.queue import DEFAULT_RETRY, InProcessQueue, JobQueue, RetryPolicy, RQQueue
from redis_client.session_cache import NoSessionCache, RedisSessionCache, SessionCache
from utils.storage import Storage
from utils.storage_factory import make_storage

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    embedded: EmbeddedPostgres | None
    engine: Engine
    sessions: sessionmaker[Session]
    queue: JobQueue
    session_cache: SessionCache
    storage: Storage
    # The API server owns the embedded database and stops it; a worker only borrows it.
    owns_embedded: bool = True

    @property
    def database_backend(self) -> str:
        return "embedded-postgres" if self.embedded else "postgres"


_current: Runtime | None = None


def get_runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("runtime not started")
    return _current


def start_runtime(settings: Settings, *, in_process_jobs: bool = True) -> Runtime:
    """Start the embedded database if needed, migrate, and wire the backends."""
    global _current
    single_threaded_blas()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = None
    if settings.database_url:
        url = normalize_url(settings.database_url)
    else:
        embedded = EmbeddedPostgres(settings.embedded_pg_dir)
        url = embedded.start()
    migrate.upgrade(url)
    engine = create_db_engine(url)
    if settings.redis_rq_url:
        queue: JobQueue = RQQueue(settings.redis_rq_url)
    elif in_process_jobs:
        queue = InProcessQueue(settings.in_process_workers)
    else:
        raise RuntimeError("REDIS_RQ_URL is required to run an RQ worker")
    cache: SessionCache = (
        RedisSessionCache(settings.redis_auth_url) if settings.redis_auth_url else NoSessionCache()
    )
    _current = Runtime(
        settings=settings,
        database_url=url,
        embedded=embedded,
        engine=engine,
        sessions=make_sessionmaker(engine),
        queue=queue,
        session_cache=cache,
        storage=make_storage(settings),
        owns_embedded=in_process_jobs,
    )
    logger.info(
        "runtime up: database=%s queue=%s sessions=%s storage=%s",
        _current.database_backend,
        queue.backend,
        cache.backend,
        _current.storage.backend,
    )
    return _current


def single_threaded_blas() -> None:
    """Run numpy's BLAS in the calling thread only.

    ffmpeg is started with a preexec_fn, so Python forks; OpenBLAS's fork handler waits for
    its worker threads, and if another job thread is inside a BLAS call (embeddings) at that
    moment, both hang for good. One BLAS thread per job thread also does more work per
    CPU-second on small machines (docs/benchmarks.md); jobs scale with workers instead.
    """
    import numpy  # noqa: F401  (OpenBLAS must be loaded for the limit to reach it)

    threadpool_limits(limits=1, user_api="blas")


def stop_runtime() -> None:
    """Drain jobs, close connections, stop the embedded server we run."""
    global _current
    runtime, _current = _current, None
    if runtime is None:
        return
    runtime.queue.shutdown(wait=True)
    runtime.engine.dispose()
    if runtime.embedded is not None and runtime.owns_embedded:
        runtime.embedded.stop()


def enqueue_after_commit(
    db: Session,
    queue: str,
    func: Callable[..., Any],
    *args: str,
    job_id: str | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> None:
    """Enqueue a job once `db` commits, so a worker never sees an uncommitted row."""
    after_commit(
        db,
        lambda: get_runtime().queue.enqueue(queue, func, *args, job_id=job_id, retry=retry),
    )
