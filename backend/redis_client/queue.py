"""Job queue: one interface, run by in-process worker threads or by RQ on Redis.

Jobs are plain module-level functions taking string ids; both runners call the same code.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from redis import Redis
from rq import Queue, Retry

logger = logging.getLogger(__name__)

QUEUES = ("index", "render", "maintenance")


@dataclass(frozen=True)
class RetryPolicy:
    max: int = 3
    intervals: tuple[int, ...] = (2, 10, 60)
    timeout_s: int = 3600


DEFAULT_RETRY = RetryPolicy()

# Set in an RQ work-horse whose worker was asked to stop (redis_client.worker): long jobs wind
# up and put their row back instead of holding the worker's shutdown up.
_JOBS_STOP = threading.Event()


def request_job_stop() -> None:
    """Ask the jobs running in this process to wind up (an RQ work-horse's stop signal)."""
    _JOBS_STOP.set()


class JobQueue(Protocol):
    backend: str

    def enqueue(
        self,
        queue: str,
        func: Callable[..., Any],
        *args: str,
        job_id: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> str: ...

    def ping(self) -> bool: ...

    def stopping(self) -> bool:
        """True once this process's runner is shutting down: a long job should stop and leave
        its row to be resumed rather than hold the shutdown up."""
        ...

    def shutdown(self, wait: bool = True) -> None: ...


def resumes_elsewhere(queue: JobQueue) -> bool:
    """Whether a job that a stopping runner put back should be enqueued again at once: RQ's
    queue outlives the worker and another worker takes it; the in-process queue dies with the
    server, whose next start's reaper requeues pending rows."""
    return queue.backend == "rq"


def _check_queue(queue: str) -> None:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")


class InProcessQueue:
    """Worker threads inside the server process (the embedded default)."""

    backend = "in-process"

    def __init__(self, workers: int = 2) -> None:
        self._pools = {
            name: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"job-{name}")
            for name in QUEUES
        }
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def enqueue(
        self,
        queue: str,
        func: Callable[..., Any],
        *args: str,
        job_id: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> str:
        _check_queue(queue)
        job_id = job_id or str(uuid.uuid4())
        future = self._pools[queue].submit(self._run, job_id, func, args, retry)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return job_id

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _run(
        self, job_id: str, func: Callable[..., Any], args: tuple[str, ...], retry: RetryPolicy
    ) -> None:
        name = f"{func.__module__}.{func.__qualname__}"
        for attempt in range(retry.max + 1):
            try:
                func(*args)
                return
            except Exception:
                if attempt >= retry.max or self._closing.is_set():
                    logger.exception("job %s %s%s failed for good", job_id, name, args)
                    return
                delay = retry.intervals[min(attempt, len(retry.intervals) - 1)]
                logger.warning("job %s %s failed, retry in %ss", job_id, name, delay, exc_info=True)
                if self._closing.wait(delay):
                    return

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no job is queued or running (tests and graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._futures:
                    return True
            time.sleep(0.02)
        return False

    def ping(self) -> bool:
        return not self._closing.is_set()

    def stopping(self) -> bool:
        return self._closing.is_set()

    def shutdown(self, wait: bool = True) -> None:
        self._closing.set()
        for pool in self._pools.values():
            pool.shutdown(wait=wait, cancel_futures=True)


class RQQueue:
    """RQ on Redis (production): `python -m redis_client.worker` runs the jobs."""

    backend = "rq"

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        self.queues = {name: Queue(name, connection=self.redis) for name in QUEUES}

    def enqueue(
        self,
        queue: str,
        func: Callable[..., Any],
        *args: str,
        job_id: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> str:
        _check_queue(queue)
        job = self.queues[queue].enqueue(
            func,
            *args,
            job_id=job_id,
            job_timeout=retry.timeout_s,
            retry=Retry(max=retry.max, interval=list(retry.intervals)) if retry.max else None,
        )
        return job.id

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def stopping(self) -> bool:
        # True only in a work-horse whose worker got SIGTERM or Ctrl-C (a warm shutdown).
        return _JOBS_STOP.is_set()

    def shutdown(self, wait: bool = True) -> None:
        self.redis.close()
