"""Running ffmpeg with progress and clear errors; probing lives in utils.probe (re-exported)."""

from __future__ import annotations

import ctypes
import functools
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from utils.ffmpeg_log import clean_log_line
from utils.probe import FFMPEG, FFPROBE, PROBE_TIMEOUT_S, MediaError, MediaInfo, probe

__all__ = [
    "FFMPEG",
    "FFPROBE",
    "FFmpegCancelled",
    "FFmpegError",
    "MediaError",
    "MediaInfo",
    "ProgressCallback",
    "probe",
    "run_ffmpeg",
]

ProgressCallback = Callable[[float], None]


class FFmpegError(RuntimeError):
    """ffmpeg failed; the message carries the tail of its log."""


class FFmpegCancelled(FFmpegError):
    """ffmpeg was stopped because its `cancel` event was set."""


def fit_filter(max_width: int | None = None, max_height: int | None = None) -> str:
    """A scale filter fitting the picture in a box: square pixels, even sizes, never enlarged."""
    # Anamorphic sources (sar != 1) are scaled to their display aspect.
    limits = [f"{max_width}/(iw*sar)"] * bool(max_width) + [f"{max_height}/ih"] * bool(max_height)
    factor = functools.reduce(lambda a, b: f"min({a},{b})", limits, "1")
    # The small epsilon keeps 1920*(640/1920) from truncating to 638.
    width = f"max(2,trunc(iw*sar*{factor}/2+0.001)*2)"
    height = f"max(2,trunc(ih*{factor}/2+0.001)*2)"
    return f"scale=w='{width}':h='{height}',setsar=1"


def frame_size(path: Path) -> tuple[int, int]:
    """Width and height of the first picture stream of a file ffmpeg just wrote."""
    cmd = [FFPROBE, "-v", "error", "-select_streams", "V:0", "-show_entries"]
    cmd += ["stream=width,height", "-of", "csv=p=0", str(path)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    try:
        width, height = result.stdout.split()[0].split(",")[:2]
        return int(width), int(height)
    except (IndexError, ValueError) as exc:
        raise FFmpegError(f"ffmpeg wrote no picture to {path.name}: {result.stderr}") from exc


def run_ffmpeg(
    args: list[str],
    *,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Run ffmpeg with `args`, reporting progress fractions; raise FFmpegError on failure.

    Setting `cancel` kills ffmpeg within ~0.1 s and raises FFmpegCancelled."""
    with _ffmpeg(["-progress", "pipe:1", "-nostats", *args], timeout, cancel) as proc:
        reported = _follow_progress(proc, duration_s, progress)
    if progress and duration_s and reported < 1.0:
        progress(1.0)


def stream_ffmpeg(
    args: list[str], *, chunk_size: int = 1 << 16, timeout: float | None = None
) -> Iterator[bytes]:
    """Run ffmpeg and yield what it writes to pipe:1; raise FFmpegError when it fails."""
    with _ffmpeg(["-nostats", *args], timeout) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(chunk_size):
            yield chunk


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A worker killed with kill -9 must not leave its ffmpeg encoding on for minutes.
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@contextmanager
def _ffmpeg(
    args: list[str], timeout: float | None, cancel: threading.Event | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "level+warning", *args]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    log: deque[str] = deque(maxlen=200)
    # stderr is drained concurrently, or a chatty ffmpeg blocks on a full pipe.
    reader = threading.Thread(target=_drain, args=(proc.stderr, log), daemon=True)
    reader.start()
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, on_timeout) if timeout else None
    if timer:
        timer.start()
    cancelled = threading.Event()
    if cancel is not None:
        threading.Thread(
            target=_kill_on_cancel, args=(proc, cancel, cancelled), daemon=True
        ).start()
    try:
        yield proc
        returncode = proc.wait()
    except BaseException:
        # Also reached when the caller stops early or its progress callback raises.
        proc.kill()
        proc.wait()
        raise
    finally:
        if timer:
            timer.cancel()
        reader.join(5)
    if cancelled.is_set():
        raise FFmpegCancelled("ffmpeg was cancelled")
    if timed_out.is_set():
        raise FFmpegError(f"ffmpeg timed out after {timeout:g} s\n{_log_tail(log)}")
    if returncode != 0:
        raise FFmpegError(f"ffmpeg exited with code {returncode}\n{_log_tail(log)}")


def _kill_on_cancel(
    proc: subprocess.Popen[bytes], cancel: threading.Event, cancelled: threading.Event
) -> None:
    # Wakes every 0.1 s to notice ffmpeg ending on its own, so the thread never outlives it.
    while proc.poll() is None:
        if cancel.wait(0.1):
            cancelled.set()
            proc.kill()
            return


def _follow_progress(
    proc: subprocess.Popen[bytes], duration_s: float | None, progress: ProgressCallback | None
) -> float:
    assert proc.stdout is not None
    reported = 0.0
    for raw in proc.stdout:
        if not (progress and duration_s and raw.startswith(b"out_time_us=")):
            continue
        try:
            # Before the first packet ffmpeg prints N/A or a huge negative sentinel.
            out_us = int(raw.split(b"=", 1)[1])
        except ValueError:
            continue
        fraction = min(1.0, max(0.0, out_us / 1e6 / duration_s))
        if fraction > reported:
            reported = fraction
            progress(fraction)
    return reported


def _drain(stream: Any, log: deque[str]) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            log.append(clean_log_line(line))


def _log_tail(log: deque[str], count: int = 8) -> str:
    lines = list(log)
    errors = [line for line in lines if "[error]" in line or "[fatal]" in line]
    return "\n".join((errors or lines)[-count:]) or "(no output)"
