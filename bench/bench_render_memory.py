"""Render memory against timeline length: peak RSS of the compiled ffmpeg run for a cut of N
one-second clips (cycling through the render benchmark's three sources), per preset.

    .venv/bin/python bench/bench_render_memory.py [--clips 10 40] [--presets draft standard]

Each H.264 input keeps its decoder (reference frames, frame-thread buffers) from the start of
the run, because ffmpeg decodes every input's first frame to configure the graph; this shows
what that costs per clip. The "decoder threads 1" rows add `-threads 1` before every input.
The "render job" rows run what the render job runs (render.smart, smart rendering off): long
cuts encoded at most MAX_CLIPS_PER_RUN clips per ffmpeg run, the sound once, then spliced.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "backend"))
sys.path.insert(0, str(ROOT))

import render_edit as edit  # noqa: E402
from bench_render import load, source_media  # noqa: E402

from models.timeline_models import RationalTime, TimelineSettings, new_timeline  # noqa: E402
from operators.timeline_editor import AssetInfo, EditContext, apply_ops  # noqa: E402
from render.compiler import compile_render  # noqa: E402
from render.presets import PRESETS  # noqa: E402


def cut_of(media: dict, clips: int):
    """A 1080p30 timeline of `clips` one-second clips from sources a, b, c in turn."""
    rate = edit.RATE
    assets = {
        name: AssetInfo(name, "video", RationalTime(value=int(media[name].duration_s * rate),
                        rate=rate), rate, True, True, name)
        for name in edit.SOURCES
    }  # fmt: skip
    counter = itertools.count()
    ctx = EditContext(assets=assets, new_id=lambda: f"id-{next(counter)}")
    settings = TimelineSettings(rate=rate, width=edit.WIDTH, height=edit.HEIGHT)
    timeline = apply_ops(new_timeline("memory", settings, timeline_id="memory"),
                         [{"op": "add_track", "kind": "video", "name": "V1"}], ctx)  # fmt: skip
    track = timeline.tracks.children[0].id
    names = list(edit.SOURCES)
    ops = [
        {"op": "append_clip", "track_id": track, "asset_id": names[i % len(names)],
         "source_range": {"start_time": {"value": (i * 7) % 600, "rate": rate},
                          "duration": {"value": rate, "rate": rate}}}
        for i in range(clips)
    ]  # fmt: skip
    return apply_ops(timeline, ops, ctx)


def peak(args: list[str]) -> tuple[int, float]:
    """Peak RSS (MiB) and wall seconds of one ffmpeg run."""
    cmd = ["/usr/bin/time", "-f", "%M", *edit.FF, *args]
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return int(result.stderr.strip().splitlines()[-1]) // 1024, time.perf_counter() - start


def render_job_child(preset_name: str, clips: int, cache: Path) -> None:
    """Run as a child process: render the cut as the render job does (for /usr/bin/time)."""
    from render.smart import plan_work, run_work

    preset = PRESETS[preset_name]
    originals = edit.make_sources(cache, log=lambda *_: None)
    media = source_media(edit.make_proxies(cache, originals) if preset.use_proxy else originals)
    out = cache / "memory-job.mp4"
    work = plan_work(cut_of(media, clips), media, preset, out, smart=False)
    run_work(work, out)
    print(f"segments={work.stats()['segments']}")


def job_peak(preset_name: str, clips: int, cache: Path) -> tuple[int, float, str]:
    """Peak RSS (MiB, of python and every ffmpeg it ran), wall seconds and segments."""
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, __file__, "--child", preset_name,
           str(clips), "--cache", str(cache)]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    segments = result.stdout.strip().splitlines()[-1].split("=")[1]
    return int(result.stderr.strip().splitlines()[-1]) // 1024, wall, segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--clips", type=int, nargs="+", default=[10, 40])
    parser.add_argument("--presets", nargs="+", default=["draft", "standard"])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vedit-bench-render"))
    args = parser.parse_args()
    if args.child:
        render_job_child(args.child[0], int(args.child[1]), args.cache)
        return
    originals = edit.make_sources(args.cache, log=lambda *_: None)
    proxies = edit.make_proxies(args.cache, originals)
    out = args.cache / "memory.mp4"
    rows = []
    for preset_name in args.presets:
        preset = PRESETS[preset_name]
        media = source_media(proxies if preset.use_proxy else originals)
        for clips in args.clips:
            plan = compile_render(cut_of(media, clips), media, preset, str(out))
            single = [a for arg in plan.args for a in (["-threads", "1", arg] if arg == "-i"
                                                       else [arg])]  # fmt: skip
            for label, run_args in (("default", plan.args), ("decoder threads 1", single)):
                rss, wall = peak(run_args)
                rows.append((preset_name, clips, label, rss, wall))
                print(f"  {preset_name} {clips} clips {label}: {rss} MiB, {wall:.1f} s", flush=True)
            rss, wall, segments = job_peak(preset_name, clips, args.cache)
            label = f"render job ({segments} segments)"
            rows.append((preset_name, clips, label, rss, wall))
            print(f"  {preset_name} {clips} clips {label}: {rss} MiB, {wall:.1f} s", flush=True)
    print(f"\npeak memory of one render run, load {load()}\n")
    print("| preset | clips | decoders | peak RSS MiB | wall s |")
    print("|---|---:|---|---:|---:|")
    for preset_name, clips, label, rss, wall in rows:
        print(f"| {preset_name} | {clips} | {label} | {rss} | {wall:.1f} |")


if __name__ == "__main__":
    main()
