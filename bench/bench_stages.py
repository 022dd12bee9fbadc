"""Time each media stage of the indexing pipeline on a generated 1080p30 clip with stereo AAC.

Usage: .venv/bin/python bench/bench_stages.py [--seconds 60] [--repeat 1]
Goals on the 2-core machine: probe, thumbnail, filmstrip and waveform 20x real time or
faster; proxy 4x or faster.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BACKEND = Path(__file__).resolve().parents[1] / "backend"
GOALS = {"probe": 20, "thumbnail": 20, "filmstrip": 20, "waveform": 20, "proxy": 4}


def make_clip(path: Path, seconds: float) -> None:
    """A camera-like clip: 1080p30 H.264 High (B-frames, default GOP) with 48 kHz stereo AAC."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i"]
    cmd += [f"testsrc2=size=1920x1080:rate=30:duration={seconds}", "-f", "lavfi", "-i"]
    cmd += [f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-map", "0:v", "-map"]
    cmd += ["1:a", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    cmd += ["-c:a", "aac", "-ac", "2", "-b:a", "128k", str(path)]
    subprocess.run(cmd, check=True)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of `repeat` runs of `fn`, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    """Generate the clip, run every stage and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    sys.path.insert(0, str(BACKEND))
    from agent.filmstrip import make_filmstrip
    from agent.proxy import make_proxy
    from agent.thumbnail import make_thumbnail
    from agent.waveform import make_waveform
    from utils.ffmpeg import probe

    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        start = time.perf_counter()
        make_clip(clip, options.seconds)
        elapsed = time.perf_counter() - start
        print(f"generated {clip.stat().st_size / 1e6:.1f} MB in {elapsed:.1f} s")
        seconds, info = timed(lambda: probe(clip), options.repeat)
        stages = {
            "probe": seconds,
            "thumbnail": timed(
                lambda: make_thumbnail(clip, info, tmp / "thumb.jpg"), options.repeat
            )[0],
            "filmstrip": timed(
                lambda: make_filmstrip(clip, info, tmp / "strip.jpg"), options.repeat
            )[0],
            "waveform": timed(lambda: make_waveform(clip, info), options.repeat)[0],
            "proxy": timed(lambda: make_proxy(clip, info, tmp / "proxy.mp4"), options.repeat)[0],
        }
    duration = info.duration_s or options.seconds
    print(f"\n{'stage':<10} {'seconds':>8} {'x real time':>12} {'goal':>6}")
    for stage, elapsed in stages.items():
        speed = duration / elapsed
        verdict = "ok" if speed >= GOALS[stage] else "SLOW"
        print(f"{stage:<10} {elapsed:>8.2f} {speed:>11.1f}x {GOALS[stage]:>5}x {verdict}")


if __name__ == "__main__":
    main()
