"""Render benchmark (issue 6): one 60 s edit rendered by our compiler, by a hand-written ffmpeg
command and by MoviePy 2, timed side by side, with the outputs checked against each other.

    .venv/bin/pip install -r bench/requirements.txt   # MoviePy 2, for the comparison
    .venv/bin/python bench/bench_render.py [--repeat 3] [--skip-moviepy] [--http]
        [--moviepy standard,draft] [--variants standard,draft,draft-orig] [--hand overlap,whole]
        [--matched] [--offset 0.5]

The edit is in bench/render_edit.py (10 clips from 3 sources, 2 dissolves, a title, 2 audio
tracks); sources are made once into --cache. --matched makes the 4:3 source 16:9 (footage
shot at the timeline's format: nothing to pillarbox). Variants: standard (1080p from the
originals), draft (540p from 540p proxies made as ingest makes them), draft-orig (540p from
the originals).
Each ffmpeg run is repeated --repeat times, ours and the hand-written command alternating, and
the median reported; MoviePy runs once per preset. --http also makes the edit and renders it
through the API of `python main.py` (embedded default), once per preset (bench/render_http.py).
Goals: ours within 1.15x of the hand-written command, at least 5x faster than MoviePy, the
draft preset at 4x real time or better on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from functools import partial
from math import isnan, nan
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "backend"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("IMAGEIO_FFMPEG_EXE", "/usr/bin/ffmpeg")  # MoviePy uses the same ffmpeg

import render_edit as edit  # noqa: E402

from render.packets import stream_facts as packet_facts  # noqa: E402
from render.plan import SourceMedia  # noqa: E402
from render.presets import PRESETS  # noqa: E402
from utils.probe import probe  # noqa: E402

VARIANTS = {
    "standard": ("standard", False),
    "draft": ("draft", True),
    "draft-orig": ("draft", False),
}
CHECK_TIMES = [(3.0, "clip 1 (a)"), (13.0, "clip 3 (c, 4:3 pillarboxed)"),
               (18.0, "mid dissolve 1 (c -> a)"), (22.0, "title over clip 4"),
               (22.0, "title: centre band only"), (41.0, "mid dissolve 2 (a -> b)"),
               (57.0, "clip 10 (a)")]  # fmt: skip
THUMB = (192, 108)
TITLE_BAND = (slice(44, 64), slice(24, 168))  # where the title's letters are, in THUMB
AUDIO_WINDOWS = [(0.0, 60.0), (2.0, 3.0), (17.5, 18.5), (44.0, 45.0)]


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def run_ffmpeg(args: list[str], label: str, duration: float) -> dict:
    """Run `ffmpeg args` with a progress line; wall seconds, CPU seconds and peak RSS."""
    cmd = [*edit.FF, "-progress", "pipe:1", "-nostats", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    step = 0.0 if sys.stdout.isatty() else 0.25  # a log file gets a line per quarter
    shown = -1.0
    for line in proc.stdout:
        if line.startswith("out_time_us=") and line[12:].strip().isdigit():
            done = min(int(line[12:]) / 1e6 / duration, 1.0)
            if done >= shown + step and done > shown:
                shown = done
                lead, end = ("\r", "") if step == 0 else ("", "\n")
                print(f"{lead}  {label}: {100 * done:5.1f}%", end=end, flush=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    lead = "\r" if step == 0 else ""
    print(f"{lead}  {label}: {wall:6.2f} s, load {load()}", flush=True)
    if proc.returncode:
        raise RuntimeError(f"{label} failed ({proc.returncode}): {err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have been waited for."""
    usages = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usages)


def run_moviepy(paths: dict[str, Path], preset, output: Path) -> dict:
    """MoviePy's render, timed; CPU counts Python and its ffmpeg children."""
    cpu, start = cpu_seconds(), time.perf_counter()
    print("  moviepy: rendering ...", flush=True)
    from render_moviepy import moviepy_render

    moviepy_render(paths, preset, output, log_bar=sys.stdout.isatty())
    wall = time.perf_counter() - start
    print(f"  moviepy: {wall:.1f} s, load {load()}", flush=True)
    return {"wall": wall, "cpu": cpu_seconds() - cpu, "rss": nan}


def source_media(paths: dict[str, Path]) -> dict[str, SourceMedia]:
    """SourceMedia by asset id, from probing the files, with the video packets' facts that
    ingest keeps on the asset (as the render job gets them: not read at render time)."""
    out = {}
    for name, path in paths.items():
        info = probe(path)
        facts = packet_facts(path) if info.kind == "video" else None
        fps = Fraction(info.fps_num, info.fps_den) if info.fps_num else None
        out[name] = SourceMedia(
            path=str(path), kind=info.kind, duration_s=info.duration_s, width=info.width,
            height=info.height, fps=fps, has_video=info.kind == "video",
            has_audio=info.audio_codec is not None, sample_rate=info.sample_rate, facts=facts,
        )  # fmt: skip
    return out


def load_compiler():
    try:
        from render.compiler import compile_render
    except ImportError as exc:
        print(f"our compiler is not available yet ({exc}); timing the others only")
        return None
    return compile_render


def time_compile(compile_render, timeline, media, preset, output: Path, n: int = 20):
    """Median milliseconds of compile_render over `n` calls, and the plan."""
    times, plan = [], None
    for _ in range(n):
        start = time.perf_counter()
        plan = compile_render(timeline, media, preset, str(output))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), plan


# ---- checks ---------------------------------------------------------------------------


def stream_facts(path: Path) -> dict:
    cmd = ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,nb_frames,duration,width,"
           "height", "-of", "compact=p=0:nk=0", str(path)]  # fmt: skip
    facts = {}
    for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split():
        fields = dict(part.split("=", 1) for part in line.split("|"))
        facts[fields["codec_type"]] = fields
    return facts


def frame_at(path: Path, t: float) -> np.ndarray:
    cmd = [*edit.FF, "-ss", f"{t}", "-i", str(path), "-frames:v", "1", "-vf",
           f"scale={THUMB[0]}:{THUMB[1]}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(THUMB[1], THUMB[0], 3).astype(np.float32)


def audio_of(path: Path) -> np.ndarray:
    cmd = [*edit.FF, "-i", str(path), "-map", "0:a", "-ac", "1", "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, np.float32)


def print_checks(outputs: dict[str, Path]) -> None:
    """Durations, frames at a few times and audio levels of each renderer's output."""
    names = list(outputs)
    print("\n| output | video frames | video s | audio s | size |\n|---|---:|---:|---:|---|")
    for name, path in outputs.items():
        f = stream_facts(path)
        v, a = f.get("video", {}), f.get("audio", {})
        print(f"| {name} | {v.get('nb_frames')} | {v.get('duration')} | {a.get('duration')} "
              f"| {v.get('width')}x{v.get('height')} |")  # fmt: skip
    ref = names[1] if len(names) > 1 else names[0]
    head = " | ".join(f"{n} mean RGB" for n in names)
    diffs = " | ".join(f"{n} vs {ref} mean abs diff" for n in names if n != ref)
    print(f"\n| t (s) | what | {head} | {diffs} |\n|---|---|{'---|' * len(names)}"
          f"{'---:|' * (len(names) - 1)}")  # fmt: skip
    for t, what in CHECK_TIMES:
        frames = {n: frame_at(p, t) for n, p in outputs.items()}
        if "band" in what:
            frames = {n: f[TITLE_BAND] for n, f in frames.items()}
        rgb = " | ".join("(" + ", ".join(f"{c:.0f}" for c in f.mean((0, 1))) + ")"
                         for f in frames.values())  # fmt: skip
        delta = " | ".join(f"{np.abs(frames[n] - frames[ref]).mean():.1f}"
                           for n in names if n != ref)  # fmt: skip
        print(f"| {t:g} | {what} | {rgb} | {delta} |")
    sounds = {n: audio_of(p) for n, p in outputs.items()}
    print(f"\n| audio window (s) | {' | '.join(f'{n} RMS dBFS' for n in names)} |")
    print(f"|---|{'---:|' * len(names)}")
    for lo, hi in AUDIO_WINDOWS:
        levels = []
        for samples in sounds.values():
            part = samples[int(lo * 48000) : int(hi * 48000)]
            levels.append(f"{20 * np.log10(np.sqrt(np.mean(part**2)) + 1e-12):.1f}")
        print(f"| {lo:g}-{hi:g} | {' | '.join(levels)} |")


# ---- main -----------------------------------------------------------------------------


def run_smart(timeline, media, preset, output: Path, label: str) -> dict:
    """Our render job's path (render.smart): copy untouched GOPs, encode the rest, splice."""
    from render.smart import plan_work, run_work

    cpu, start = cpu_seconds(), time.perf_counter()
    work = plan_work(timeline, media, preset, output)
    shown = [-1.0]

    def progress(percent: float) -> None:
        if percent >= shown[0] + 25:
            shown[0] = percent
            print(f"  {label}: {percent:5.1f}%", flush=True)

    run_work(work, output, progress=progress)
    wall = time.perf_counter() - start
    stats = work.stats()
    print(f"  {label}: {wall:6.2f} s, {stats}, load {load()}", flush=True)
    return {"wall": wall, "cpu": cpu_seconds() - cpu, "rss": nan, "stats": stats}


def time_commands(commands: dict, variant: str, repeat: int) -> dict:
    """Each command (ffmpeg args, or a callable taking a label) `repeat` times, alternating
    the order between rounds."""
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for r in range(repeat):
        for name in list(commands) if r % 2 == 0 else list(reversed(commands)):
            label = f"{variant} {name} run {r + 1}/{repeat}"
            command = commands[name]
            if callable(command):
                runs[name].append(command(label))
            else:
                runs[name].append(run_ffmpeg(command, label, edit.DURATION_S))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variants", default="standard,draft,draft-orig")
    parser.add_argument("--moviepy", default="standard,draft", help="presets MoviePy renders")
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument(
        "--hand", default="overlap", help=f"hand-written dissolve styles: {edit.DISSOLVE_STYLES}"
    )
    parser.add_argument("--http", action="store_true", help="also render through the API, once")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vedit-bench-render"))
    parser.add_argument("--no-smart", action="store_true", help="skip our smart render")
    parser.add_argument(
        "--offset", type=float, default=0.0,
        help="move every shot's source start by this many seconds (0.5: cuts between keyframes)",
    )  # fmt: skip
    parser.add_argument(
        "--matched", action="store_true",
        help="make the third source 16:9 too: all footage at the timeline's format",
    )  # fmt: skip
    options = parser.parse_args()
    if options.matched:
        video, bitrate, freq = edit.SOURCES["c"]
        edit.SOURCES["c"] = (video.replace("1440x1080", "1920x1080"), bitrate, freq)
    if options.offset:
        edit.SHOTS[:] = [replace(s, start=s.start + Fraction(options.offset)) for s in edit.SHOTS]
    moviepy_for = set() if options.skip_moviepy else set(options.moviepy.split(","))
    print(f"load average at start: {load()} ({os.cpu_count()} cores)")
    paths = edit.make_sources(options.cache)
    proxies = edit.make_proxies(options.cache, paths)
    media = {False: source_media(paths), True: source_media(proxies)}
    files = {False: paths, True: proxies}
    durations = {name: m.duration_s or 0.0 for name, m in media[False].items()}
    timeline = edit.build_timeline(durations)
    compile_render = load_compiler()
    out_dir = options.cache / ("out-matched" if options.matched else "out")
    out_dir.mkdir(exist_ok=True)
    rows, compiles, checks = [], [], {}
    for variant in options.variants.split(","):
        preset_name, use_proxy = VARIANTS[variant]
        print(f"\n{variant}: preset {preset_name}, from {'proxies' if use_proxy else 'originals'}")
        commands, outputs = {}, {}
        if compile_render is not None:
            outputs["ours"] = out_dir / f"{variant}-ours.mp4"
            ms, plan = time_compile(compile_render, timeline, media[use_proxy],
                                    PRESETS[preset_name], outputs["ours"])  # fmt: skip
            compiles.append((variant, ms, plan))
            commands["ours"] = plan.args
            if not options.no_smart:
                outputs["ours, smart"] = out_dir / f"{variant}-ours-smart.mp4"
                commands["ours, smart"] = partial(
                    run_smart, timeline, media[use_proxy], PRESETS[preset_name],
                    outputs["ours, smart"],
                )  # fmt: skip
        sizes = {n: (m.width, m.height) for n, m in media[use_proxy].items() if m.width}
        for k, style in enumerate(options.hand.split(",")):
            name = "hand-written" if k == 0 else f"hand-written, {style}"
            outputs[name] = out_dir / f"{variant}-hand-{style}.mp4"
            commands[name] = edit.handwritten_args(
                files[use_proxy], sizes, PRESETS[preset_name], outputs[name], style
            )
        for name, args in commands.items():
            if not callable(args):
                text = shlex.join(["ffmpeg", *args]) + "\n"
                (outputs[name].with_suffix(".txt")).write_text(text)
        runs = time_commands(commands, variant, options.repeat)
        if preset_name in moviepy_for and variant != "draft-orig":
            outputs["moviepy"] = out_dir / f"{variant}-moviepy.mp4"
            runs["moviepy"] = [run_moviepy(files[use_proxy], PRESETS[preset_name],
                                           outputs["moviepy"])]  # fmt: skip
        rows.append((variant, runs))
        checks[variant] = outputs
    if options.http:
        from render_http import http_renders

        wanted = [VARIANTS[v][0] for v, _ in rows if v in ("standard", "draft")]
        print(f"\nthrough HTTP (python main.py, embedded default): {', '.join(wanted)}")
        for preset, result in http_renders(paths, wanted, out_dir).items():
            runs = dict(rows)[preset]
            runs["ours via HTTP"] = [{"wall": result["wall"], "cpu": nan, "rss": nan}]
            checks[preset]["ours via HTTP"] = out_dir / f"{preset}-http.mp4"
            print(f"  {preset}: job ran {result['job']:.2f} s of the {result['wall']:.2f} s")
    print_results(rows, compiles, options.repeat)
    for variant, outputs in checks.items():
        print(f"\n### check: {variant}")
        print_checks(outputs)
    print(f"\nload average at end: {load()}")


def _cell(value: float, spec: str) -> str:
    return "-" if isnan(value) else format(value, spec)


def print_results(rows, compiles, repeat: int) -> None:
    print(f"\nrender of the {edit.DURATION_S:g} s edit (median of {repeat} for ffmpeg runs)\n")
    print("| preset | renderer | wall s | min-max s | CPU s | peak RSS MiB | x real time | "
          "vs hand-written |\n|---|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for variant, runs in rows:
        hand = statistics.median(r["wall"] for r in runs["hand-written"])
        for name, results in runs.items():
            walls = [r["wall"] for r in results]
            wall = statistics.median(walls)
            cpu = _cell(statistics.median(r["cpu"] for r in results), ".1f")
            rss = _cell(max(r["rss"] for r in results), ".0f")
            spread = f"{min(walls):.1f}-{max(walls):.1f}"
            speed = edit.DURATION_S / wall
            print(f"| {variant} | {name} | {wall:.2f} | {spread} | {cpu} | {rss} | "
                  f"{speed:.1f}x | {wall / hand:.2f}x |")  # fmt: skip
    print("\n| preset | ours / hand-written, wall (goal <= 1.15) | same, CPU | "
          "smart / hand-written, wall | same, CPU | MoviePy / ours, wall (goal >= 5) | same, CPU "
          "| MoviePy / smart, wall (goal >= 5) | same, CPU |\n|---|---:|---:|---:|---:|---:|---:"
          "|---:|---:|")  # fmt: skip
    for variant, runs in rows:
        line = []
        for num, den in (
            ("ours", "hand-written"), ("ours, smart", "hand-written"),
            ("moviepy", "ours"), ("moviepy", "ours, smart"),
        ):  # fmt: skip
            for key in ("wall", "cpu"):
                med = {n: statistics.median(r[key] for r in rs) for n, rs in runs.items()}
                ratio = med[num] / med[den] if num in med and den in med else nan
                line.append("-" if isnan(ratio) else f"{ratio:.2f}x")
        print(f"| {variant} | {' | '.join(line)} |")
    if compiles:
        print("\n| preset | compile ms (median of 20) | inputs | filter graph chars |")
        print("|---|---:|---:|---:|")
        for variant, ms, plan in compiles:
            at = plan.args.index("-filter_complex") if "-filter_complex" in plan.args else -2
            graph = plan.args[at + 1] if at >= 0 else ""
            print(f"| {variant} | {ms:.2f} | {plan.args.count('-i')} | {len(graph)} |")


if __name__ == "__main__":
    main()
