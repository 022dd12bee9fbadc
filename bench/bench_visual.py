"""Time visual indexing (shots, keyframes, colours, OCR) on a generated clip with known cuts.

Usage: .venv/bin/python bench/bench_visual.py [--seconds 300] [--size 1280x720] [--cuts 60]
       [--repeat 1] [--skip-slow]
The clip (H.264 at 25 fps, ~60 hard cuts, some burned-in titles) is made once with lavfi into
/tmp and reused. Shot detection is compared with ffmpeg's scene score and PySceneDetect;
each row gives wall time, CPU time (this process and its children: the machine is shared and
noisy, so CPU seconds are the steadier figure) and cut accuracy against the known cuts.
Goal on the 2-core machine: visual indexing at 20x real time or faster.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BACKEND = Path(__file__).resolve().parents[1] / "backend"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FPS = 25


def text(words: str, size: int, y: str = "(h-text_h)/2", box: bool = False) -> str:
    """A drawtext filter: white words, centred, optionally on a translucent box."""
    extra = ":box=1:boxcolor=black@0.6:boxborderw=20" if box else ":borderw=3:bordercolor=black"
    return (
        f"drawtext=fontfile={FONT}:text='{words}':fontsize={size}:fontcolor=white"
        f":x=(w-text_w)/2:y={y}{extra}"
    )


def sources(rng: random.Random, size: str) -> list[tuple[str, str | None]]:
    """Shot sources (lavfi graph, burned-in text) that the shots cycle through."""
    width, height = (int(v) for v in size.split("x"))
    s, seed = f"s={size}:r={FPS}", lambda: rng.randrange(1 << 16)
    return [
        (f"testsrc2={s},hue=h={rng.randrange(360)}", None),
        (f"gradients={s}:speed=0.02:seed={seed()}", None),
        (f"life={s}:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00", None),
        (f"color=c=navy:{s},{text('KESTREL FILMS', height // 7)}", "KESTREL FILMS"),
        (f"smptehdbars={s}", None),
        (f"sierpinski={s}", None),
        (f"color=c=#406080:{s},noise=alls=25:allf=t", None),  # grain
        (f"testsrc2=s={width * 2}x{height * 2}:r={FPS},crop={width}:{height}:x=t*80:y=t*40", None),
        (f"cellauto={s}:rule=110:scroll=1", None),
        (f"testsrc={s},{text('Chapter Three', height // 10, 'h-h/4', box=True)}", "Chapter Three"),
        (f"gradients={s}:speed=0.01:seed={seed()},noise=alls=10:allf=t", None),
        (f"rgbtestsrc={s}", None),
        (
            f"testsrc2={s},{text('Harbour lights at dusk', height // 16, 'h-h/8')}",
            "Harbour lights at dusk",
        ),
    ]


def plan(seconds: float, cuts: int, size: str) -> list[tuple[int, str, str | None]]:
    """Frame count, source and text of each shot; every ninth is short (~0.6-1 s)."""
    rng = random.Random(7)
    weights = [
        rng.uniform(0.15, 0.25) if i % 9 == 4 else rng.uniform(0.6, 1.6) for i in range(cuts + 1)
    ]
    total = round(seconds * FPS)
    frames = [max(15, round(total * w / sum(weights))) for w in weights]
    frames[-1] += total - sum(frames)
    pool = sources(rng, size)
    return [(n, *pool[(i * 5) % len(pool)]) for i, n in enumerate(frames)]


def make_clip(path: Path, shots: list[tuple[int, str, str | None]]) -> None:
    """Encode the shots joined by hard cuts: H.264 veryfast, 6 Mb/s cap, default GOP."""
    graph = [
        f"{src},trim=end_frame={n},setpts=PTS-STARTPTS,format=yuv420p[v{i}]"
        for i, (n, src, _) in enumerate(shots)
    ]
    graph.append(
        "".join(f"[v{i}]" for i in range(len(shots))) + f"concat=n={len(shots)}:v=1:a=0[out]"
    )
    cmd = ["ffmpeg", "-v", "error", "-y", "-filter_complex", ";".join(graph), "-map", "[out]"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-maxrate", "6M", "-bufsize", "12M"]
    subprocess.run([*cmd, "-pix_fmt", "yuv420p", str(path)], check=True)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


REPEAT = 1  # set from --repeat


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Median wall seconds and CPU seconds of REPEAT runs of `fn()`, and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(REPEAT):
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def accuracy(found: list[int], truth: list[int]) -> str:
    """Cuts on the exact frame / within one frame, missed and spurious, as table cells."""
    near = [f for f in found if any(abs(f - t) <= 1 for t in truth)]
    exact = len(set(found) & set(truth))
    missed = sum(1 for t in truth if not any(abs(f - t) <= 1 for f in found))
    return f"{exact} | {len(near)} | {missed} | {len(found) - len(near)}"


def ocr_score(texts: dict[int, str], expected: dict[int, str]) -> str:
    """Titled shots read exactly / at least half right, and untitled shots with any text."""

    def similar(a: str, b: str) -> float:
        return difflib.SequenceMatcher(
            None, a.replace(" ", "").lower(), b.replace(" ", "").lower()
        ).ratio()

    exact = sum(1 for i, title in expected.items() if title in texts.get(i, ""))
    half = sum(1 for i, title in expected.items() if similar(title, texts.get(i, "")) >= 0.5)
    other = sum(1 for i, text in texts.items() if text and i not in expected)
    return f"{exact}/{len(expected)} titles exact, {half} half right; {other} untitled with text"


def ffmpeg_scene(clip: Path) -> list[float]:
    """ffmpeg's scene score of every frame (select + metadata=print) on 128x72 frames."""
    chain = "scale=128:72:flags=area,select='gte(scene,0)',metadata=print:file=-"
    # Deblocking skipped as in detect_shots, so that the decoding costs the same.
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-skip_loop_filter", "noref", "-i", str(clip)]
    cmd += ["-map", "0:v", "-vf", chain]
    out = subprocess.run([*cmd, "-f", "null", "-"], capture_output=True, text=True).stdout
    return [float(v) for v in re.findall(r"lavfi\.scene_score=([\d.]+)", out)]


def pyscenedetect(clip: Path, backend: str, adaptive: bool, **options: Any) -> list[int]:
    """Cut frames from PySceneDetect (auto downscale, min shot 12 frames)."""
    import scenedetect

    video = scenedetect.open_video(str(clip), backend=backend, **options)
    manager = scenedetect.SceneManager()
    detector = scenedetect.AdaptiveDetector if adaptive else scenedetect.ContentDetector
    manager.add_detector(detector(min_scene_len=12))
    manager.detect_scenes(video)
    return [start.frame_num for start, _ in manager.get_scene_list()[1:]]


def main() -> None:
    """Generate (or reuse) the clip, run every method and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--cuts", type=int, default=60)
    parser.add_argument("--skip-slow", action="store_true", help="skip PySceneDetect")
    parser.add_argument("--repeat", type=int, default=1, help="median of this many runs")
    options = parser.parse_args()
    global REPEAT
    REPEAT = options.repeat
    sys.path.insert(0, str(BACKEND))
    from agent import visual
    from agent.shots import detect_shots
    from utils.ffmpeg import probe

    shots_plan = plan(options.seconds, options.cuts, options.size)
    truth = [sum(n for n, _, _ in shots_plan[:i]) for i in range(1, len(shots_plan))]
    clip = (
        Path(tempfile.gettempdir()) / f"vedit-bench-visual-{options.size}-{options.seconds:g}s.mp4"
    )
    if not clip.exists():
        wall, _ = time.perf_counter(), make_clip(clip, shots_plan)
        wall = time.perf_counter() - wall
        print(f"generated {clip} ({clip.stat().st_size / 1e6:.0f} MB) in {wall:.0f} s")
    info = probe(clip)
    clip.read_bytes()  # into the page cache, so the first method timed pays no disk reads
    duration = info.duration_s or options.seconds
    size = f"{info.width}x{info.height} {info.video_codec}"
    print(f"{clip.name}: {size}, {duration:.0f} s, {len(truth)} cuts\n")

    print(
        "| shot detection | wall s | x real time | CPU s | exact | within 1 | missed | spurious |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def row(name: str, wall: float, cpu: float, cells: str) -> None:
        print(f"| {name} | {wall:.1f} | {duration / wall:.1f}x | {cpu:.1f} | {cells} |", flush=True)

    detect_wall, detect_cpu, shots = timed(lambda: detect_shots(clip, info))
    row(
        "**ours**: 2 ffmpeg -> 128x72 YUV pipes + numpy",
        detect_wall,
        detect_cpu,
        accuracy([s.start_frame for s in shots[1:]], truth),
    )
    wall, cpu, scores = timed(lambda: ffmpeg_scene(clip))
    for threshold in (0.3, 0.1):
        found = [i for i, score in enumerate(scores) if score > threshold]
        row(f"ffmpeg scene score > {threshold}", wall, cpu, accuracy(found, truth))
    if not options.skip_slow:
        methods = [
            ("PySceneDetect Content, OpenCV", "opencv", False, {}),
            ("PySceneDetect Content, PyAV", "pyav", False, {}),
            ("PySceneDetect Content, PyAV threads", "pyav", False, {"threading_mode": "AUTO"}),
            ("PySceneDetect Adaptive, OpenCV", "opencv", True, {}),
        ]
        for name, backend, adaptive, extra in methods:
            wall, cpu, found = timed(
                lambda b=backend, a=adaptive, e=extra: pyscenedetect(clip, b, a, **e)
            )
            row(name, wall, cpu, accuracy(found, truth))

    with tempfile.TemporaryDirectory(prefix="bench-visual-") as tmp_name:
        tmp = Path(tmp_name)
        tesseract = shutil.which("tesseract") or "tesseract"
        stages: dict[str, tuple[float, float]] = {}
        wall, cpu, pictures = timed(lambda: list(visual._grab_frames(clip, info, shots)))
        jpeg_wall, jpeg_cpu, _ = timed(lambda: [visual.encode_jpeg(rgb) for _, rgb, _ in pictures])
        stages["keyframes (seek + decode + JPEG)"] = (wall + jpeg_wall, cpu + jpeg_cpu)
        stages["colours + brightness"] = timed(
            lambda: [
                (visual.dominant_colors(rgb), visual.brightness(rgb)) for _, rgb, _ in pictures
            ]
        )[:2]
        variants = [visual.ocr_variants(big) for _, _, big in pictures]
        gated = sum(1 for found in variants if found)
        expected = {i: words for i, (_, _, words) in enumerate(shots_plan) if words}

        def ocr(pages_per_frame: int, batch_pages: int) -> dict[int, list[Any]]:
            """Run read_text as analyse_shots does, on 2 threads; words by shot position."""
            pages = []
            for position, grays in enumerate(variants):
                for variant, gray in enumerate(grays[:pages_per_frame]):
                    path = tmp / f"g{position}-{variant}.pgm"
                    size = (gray.shape[1], gray.shape[0])
                    path.write_bytes(b"P5 %d %d 255\n" % size + gray.tobytes())
                    pages.append((position, path, size))
            step = batch_pages - batch_pages % pages_per_frame
            batches = [pages[i : i + step] for i in range(0, len(pages), step)]
            found: dict[int, list[Any]] = {}
            with ThreadPoolExecutor(2) as pool:
                for result in pool.map(lambda b: visual.read_text(tesseract, b, tmp), batches):
                    found.update(result)
            return found

        def score(found: dict[int, list[Any]]) -> str:
            return ocr_score({i: " ".join(w.text for w in ws) for i, ws in found.items()}, expected)

        ocr_runs = [
            ("OCR luma, one tesseract per keyframe", 1, 1),
            (f"OCR luma, batches of {visual.OCR_BATCH}", 1, visual.OCR_BATCH),
            (f"OCR luma + min channel, batches of {visual.OCR_BATCH} pages", 2, visual.OCR_BATCH),
        ]
        notes = {}
        for name, per_frame, batch_pages in ocr_runs:
            wall, cpu, found = timed(lambda p=per_frame, b=batch_pages: ocr(p, b))
            stages[name] = (wall, cpu)
            notes[name] = score(found)
        wall, cpu, infos = timed(lambda: visual.analyse_shots(clip, info, shots, tmp / "out"))
        stages["analyse_shots (all of the above, overlapped)"] = (wall, cpu)
        stages["**total: detect_shots + analyse_shots**"] = (detect_wall + wall, detect_cpu + cpu)
    print(f"\n{gated}/{len(shots)} keyframes have enough sharp edges for OCR; 2 threads each.")
    print(
        "\n| visual stage | wall s | x real time | CPU s | OCR result |\n|---|---:|---:|---:|---|"
    )
    for name, (wall, cpu) in stages.items():
        print(
            f"| {name} | {wall:.2f} | {duration / wall:.1f}x | {cpu:.2f} | {notes.get(name, '')} |"
        )
    texts = {i: item.ocr_text for i, item in enumerate(infos)}
    print(f"\nanalyse_shots OCR: {ocr_score(texts, expected)}")
    for i, title in sorted(expected.items())[:6]:
        print(f"  shot {i}: {title!r} read as {texts.get(i, '')!r}")


if __name__ == "__main__":
    main()
