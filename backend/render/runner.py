"""Run a RenderPlan: ffmpeg with progress in percent, cancellable while it runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from render.plan import RenderPlan
from utils.ffmpeg import FFmpegCancelled, FFmpegError, run_ffmpeg, stream_ffmpeg

logger = logging.getLogger(__name__)

CANCEL_POLL_S = 0.3
FRAME_TIMEOUT_S = 120.0
# Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); a graph of a few hundred clips nears it,
# so long graphs go to ffmpeg in a file instead.
MAX_INLINE_GRAPH = 64 * 1024


class RenderCancelled(Exception):
    """The render was cancelled while ffmpeg ran; nothing was kept."""


def run_plan(
    plan: RenderPlan,
    output: Path,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    poll_s: float = CANCEL_POLL_S,
) -> None:
    """Run the plan's ffmpeg writing `output`, reporting percent 0-100.

    Cancellation: set `cancel`, or have `is_cancelled` (polled every `poll_s` from a watcher
    thread, e.g. reading the row's cancel flag) return True; ffmpeg is killed and
    RenderCancelled raised. On cancel or failure the partial output is deleted; a failure
    raises FFmpegError carrying ffmpeg's error lines.
    """

    def on_progress(fraction: float) -> None:
        if progress is not None:
            progress(round(100.0 * fraction, 1))

    with cancel_watch(is_cancelled, cancel, poll_s) as event:
        try:
            run_ffmpeg(
                graph_in_file(plan.args, output.with_suffix(".graph.txt")),
                duration_s=plan.duration_s,
                progress=on_progress,
                timeout=timeout,
                cancel=event,
            )
        except FFmpegCancelled:
            output.unlink(missing_ok=True)
            raise RenderCancelled("the render was cancelled") from None
        except BaseException:
            output.unlink(missing_ok=True)
            raise
        finally:
            output.with_suffix(".graph.txt").unlink(missing_ok=True)


@contextmanager
def cancel_watch(
    is_cancelled: Callable[[], bool] | None,
    cancel: threading.Event | None = None,
    poll_s: float = CANCEL_POLL_S,
) -> Iterator[threading.Event]:
    """An Event set when `is_cancelled` (polled every `poll_s` by a watcher thread while the
    block runs) returns True; `cancel` is used as the Event when given."""
    event = cancel or threading.Event()
    done = threading.Event()
    watcher = None
    if is_cancelled is not None:
        watcher = threading.Thread(
            target=_watch, args=(is_cancelled, event, done, poll_s), daemon=True
        )
        watcher.start()
    try:
        yield event
    finally:
        done.set()
        if watcher is not None:
            watcher.join(5)


def graph_in_file(args: list[str], path: Path) -> list[str]:
    """`args` with a filter graph too long for one argument moved into the file at `path`."""
    i = args.index("-filter_complex") if "-filter_complex" in args else -1
    if i < 0 or len(args[i + 1]) <= MAX_INLINE_GRAPH:
        return args
    path.write_text(args[i + 1])
    return [*args[:i], "-filter_complex_script", str(path), *args[i + 2 :]]


def _watch(
    is_cancelled: Callable[[], bool], cancel: threading.Event, done: threading.Event, poll_s: float
) -> None:
    # Look at once: a cancel that came before the work started stops it before it starts.
    while True:
        try:
            if is_cancelled():
                cancel.set()
                return
        except Exception:
            # A database blip must not stop the encode; the next poll tries again.
            logger.warning("could not check whether the render was cancelled", exc_info=True)
        if done.wait(poll_s):
            return


def render_png(plan: RenderPlan, timeout: float = FRAME_TIMEOUT_S) -> bytes:
    """Run a plan that writes one PNG to pipe:1 and return its bytes."""
    data = b"".join(stream_ffmpeg(plan.args, timeout=timeout))
    if not data.startswith(b"\x89PNG"):
        raise FFmpegError("ffmpeg wrote no picture")
    return data
