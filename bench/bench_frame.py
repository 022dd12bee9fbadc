"""Frame preview benchmark (issue 6): how long `GET /timeline/frame` takes to compose one frame
of the render benchmark's 60 s edit, against MoviePy 2 composing the same frame.

    .venv/bin/pip install -r bench/requirements.txt   # MoviePy 2, for the comparison
    .venv/bin/python bench/bench_frame.py [--frames 30] [--skip-moviepy]

Ours is what the endpoint runs: `compile_frame` plus one ffmpeg writing a PNG, at 1080p and at
540p (`height=540`). Peers in the same run: MoviePy's `CompositeVideoClip.get_frame(t)` plus a
PNG encode (the composite built once, as an app would keep it), and, as a floor, one
hand-written ffmpeg command that grabs a single frame of one source at the same moment (it
composes nothing). Times are random moments over the whole edit, including its dissolves and
title, the same list for every renderer.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "backend"))
sys.path.insert(0, str(ROOT))

import render_edit as edit  # noqa: E402
from bench_render import load, source_media  # noqa: E402

from render.compiler import compile_frame  # noqa: E402
from render.runner import render_png  # noqa: E402


def _stats(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def _source_at(t: float) -> tuple[str, float]:
    """The V1 source and source time on screen at record time `t` (ignoring dissolves)."""
    starts = edit.record_starts()
    i = max(j for j, start in enumerate(starts) if start <= Fraction(t))
    shot = edit.SHOTS[i]
    return shot.source, float(shot.start + Fraction(t) - starts[i])


def time_ours(timeline, media, moments: list[float], height: int | None) -> list[float]:
    times = []
    for k, t in enumerate(moments):
        start = time.perf_counter()
        png = render_png(compile_frame(timeline, media, Fraction(t), height=height))
        times.append((time.perf_counter() - start) * 1000)
        assert png.startswith(b"\x89PNG")
        print(f"\r  ours {height or 1080}p: {k + 1}/{len(moments)}", end="", flush=True)
    print()
    return times


def time_grab(paths: dict[str, Path], moments: list[float]) -> list[float]:
    times = []
    for t in moments:
        name, at = _source_at(t)
        cmd = [*edit.FF, "-ss", f"{at:.3f}", "-i", str(paths[name]), "-frames:v", "1"]
        start = time.perf_counter()
        out = subprocess.run([*cmd, "-c:v", "png", "-f", "image2pipe", "pipe:1"],
                             capture_output=True, check=True).stdout  # fmt: skip
        times.append((time.perf_counter() - start) * 1000)
        assert out.startswith(b"\x89PNG")
    return times


def time_moviepy(paths: dict[str, Path], moments: list[float]) -> tuple[list[float], float]:
    from PIL import Image
    from render_moviepy import moviepy_composite

    from render.presets import PRESETS

    start = time.perf_counter()
    video, sources = moviepy_composite(paths, PRESETS["standard"])
    setup = time.perf_counter() - start
    times = []
    for k, t in enumerate(moments):
        start = time.perf_counter()
        buffer = io.BytesIO()
        Image.fromarray(video.get_frame(t)).save(buffer, format="PNG", compress_level=2)
        times.append((time.perf_counter() - start) * 1000)
        print(f"\r  moviepy: {k + 1}/{len(moments)}", end="", flush=True)
    print()
    for clip in sources:
        clip.close()
    return times, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vedit-bench-render"))
    args = parser.parse_args()

    paths = edit.make_sources(args.cache)
    media = source_media(paths)
    timeline = edit.build_timeline({name: m.duration_s or 0.0 for name, m in media.items()})
    rng = random.Random(7)
    moments = [round(rng.uniform(0, float(edit.DURATION_S) - 0.1), 3) for _ in range(args.frames)]
    moments[:3] = [18.0, 22.0, 41.0]  # mid dissolve, title, mid dissolve
    print(f"{len(moments)} moments, load {load()}")

    rows = {
        "ours, 1080p (GET /timeline/frame)": time_ours(timeline, media, moments, None),
        "ours, 540p (height=540)": time_ours(timeline, media, moments, 540),
        "one source frame, hand-written ffmpeg (floor)": time_grab(paths, moments),
    }
    setup = None
    if not args.skip_moviepy:
        rows["MoviePy 2 get_frame + PNG, 1080p"], setup = time_moviepy(paths, moments)

    print(f"\nframe preview of the 60 s 1080p30 edit, {len(moments)} moments (ms), load {load()}\n")
    print("| renderer | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    for label, times in rows.items():
        p50, p95, worst = _stats(times)
        print(f"| {label} | {p50:.0f} | {p95:.0f} | {worst:.0f} |")
    if setup is not None:
        ours = statistics.median(rows["ours, 1080p (GET /timeline/frame)"])
        theirs = statistics.median(rows["MoviePy 2 get_frame + PNG, 1080p"])
        print(f"\nMoviePy / ours at p50: {theirs / ours:.2f}x (MoviePy's composite took "
              f"{setup:.1f} s to build, not counted)")  # fmt: skip


if __name__ == "__main__":
    main()
