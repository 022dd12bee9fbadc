"""RQ worker for the project's queues: `python -m redis_client.worker [--queues index render]`."""

from __future__ import annotations

import argparse
import logging
import sys

from rq import Worker

from config import load_settings
from redis_client.queue import QUEUES, RQQueue
from runtime import start_runtime, stop_runtime


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
        worker = Worker(queues, connection=runtime.queue.redis)
        # The scheduler runs the delayed retries (RQ's Retry intervals).
        worker.work(burst=args.burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        stop_runtime()
    return 0


if __name__ == "__main__":
    sys.exit(main())
