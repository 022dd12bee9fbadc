"""RQ worker for the project's queues: `python -m redis_client.worker [--queues index render]`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from rq import Worker

from config import load_settings
from redis_client.queue import QUEUES, RQQueue, request_job_stop
from runtime import start_runtime, stop_runtime

# RQ leaves SIGUSR1 alone in the work-horse (it ignores SIGINT and dies on SIGTERM).
STOP_JOB_SIGNAL = signal.SIGUSR1


class StoppableWorker(Worker):
    """RQ's worker, whose warm shutdown (SIGTERM, Ctrl-C) also asks a busy work-horse to wind
    up: a long render or indexing job puts its row back, is enqueued again for another worker,
    and the worker exits in seconds rather than when the job would have ended."""

    def request_stop(self, signum: Any, frame: Any) -> None:
        super().request_stop(signum, frame)
        if self.horse_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.horse_pid, STOP_JOB_SIGNAL)

    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        signal.signal(STOP_JOB_SIGNAL, lambda _signum, _frame: request_job_stop())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run an RQ worker on the project's queues.")
    parser.add_argument("--queues", nargs="+", choices=QUEUES, default=list(QUEUES))
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)

    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not settings.redis_rq_url:
        sys.exit("invalid setting REDIS_RQ_URL: required to run an RQ worker")
    runtime = start_runtime(settings, in_process_jobs=False)
    try:
        assert isinstance(runtime.queue, RQQueue)
        queues = [runtime.queue.queues[name] for name in args.queues]
        worker = StoppableWorker(queues, connection=runtime.queue.redis)
        # The scheduler runs the delayed retries (RQ's Retry intervals).
        worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        stop_runtime()
    return 0


if __name__ == "__main__":
    sys.exit(main())
