"""The render benchmark's edit: its sources, the same 60 s edit as timeline ops and as one
hand-written ffmpeg command (used by bench/bench_render.py; MoviePy's version: render_moviepy.py).

The edit, on a 1920x1080 30 fps timeline: V1 holds 10 clips from 3 sources (the third is 4:3
and is pillarboxed), with 1 s dissolves at two cuts; V2 holds a title over 4 s; A1 holds the
clips' own sound with the same cuts (crossfades at the dissolves); A2 a music bed at 0.3.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

FF = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RATE = 30
WIDTH, HEIGHT = 1920, 1080
SOURCE_S = 32
# Camera-like sources: busy pictures with temporal noise, a keyframe every second.
SOURCES = {
    "a": ("testsrc2=size=1920x1080:rate=30,noise=alls=12:allf=t", "10M", "440"),
    "b": ("mandelbrot=size=1920x1080:rate=30", "10M", "660"),
    "c": (
        "life=size=1440x1080:rate=30:mold=10:ratio=0.1:death_color=#C83232"
        ":life_color=#00FF00,format=yuv420p",
        "8M",
        "880",
    ),
}
BED = "bed"
BED_EXPR = (
    "0.25*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*0.5*t))+0.2*sin(2*PI*277.18*t)"
    "+0.2*sin(2*PI*329.63*t)*(0.6+0.4*sin(2*PI*0.25*t))"
)


@dataclass(frozen=True)
class Shot:
    """A clip of V1 (and A1): a source and its range in source seconds."""

    source: str
    start: Fraction
    duration: Fraction


def _shot(source: str, start: float, duration: float) -> Shot:
    return Shot(source, Fraction(start), Fraction(duration))


SHOTS = [
    _shot("a", 2, 6), _shot("b", 3, 5), _shot("c", 1, 7), _shot("a", 12, 6),
    _shot("b", 10, 4), _shot("c", 12, 8), _shot("a", 22, 5), _shot("b", 18, 7),
    _shot("c", 24, 6), _shot("a", 9, 6),
]  # fmt: skip
# Dissolves (1 s, centred on the cut) after these shots: clip 3 -> 4 and clip 7 -> 8.
DISSOLVE_S = Fraction(1)
DISSOLVES = (2, 6)
TITLE_TEXT = "Issue 6 render benchmark"
TITLE_AT, TITLE_S, TITLE_SIZE = Fraction(20), Fraction(4), 64
BED_VOLUME = 0.3
DURATION_S = float(sum(s.duration for s in SHOTS))


def record_starts() -> list[Fraction]:
    """Each shot's start on the timeline (dissolves take no track time)."""
    starts, at = [], Fraction(0)
    for shot in SHOTS:
        starts.append(at)
        at += shot.duration
    return starts


def handles(index: int) -> tuple[Fraction, Fraction]:
    """Media a shot plays beyond its cut points: (before its start, after its end)."""
    half = DISSOLVE_S / 2
    return (half if index - 1 in DISSOLVES else Fraction(0), half if index in DISSOLVES else 0)


# ---- sources --------------------------------------------------------------------------


def _cached(cache: Path, stem: str, suffix: str, args: list[str]) -> Path:
    """Run `args` (ending in the output) once; the file name carries a hash of the command."""
    digest = hashlib.sha1(repr(args).encode()).hexdigest()[:8]
    path = cache / f"{stem}-{digest}{suffix}"
    if not path.exists():
        tmp = path.with_name("tmp-" + path.name)
        subprocess.run([*FF, *args, str(tmp)], check=True)
        tmp.rename(path)
    return path


def make_sources(cache: Path, log=print) -> dict[str, Path]:
    """The three camera-like sources and the music bed, made once into `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (video, bitrate, freq) in SOURCES.items():
        tone = f"0.3*sin(2*PI*{freq}*t)*(0.5+0.5*sin(2*PI*3*t))|0.3*sin(2*PI*{freq}*1.5*t)"
        args = ["-f", "lavfi", "-i", f"{video},trim=duration={SOURCE_S}"]
        args += ["-f", "lavfi", "-i", f"aevalsrc={tone}:s=48000:d={SOURCE_S}"]
        # A keyframe every 30 frames exactly, as cameras record (no scene-cut keyframes).
        args += ["-c:v", "libx264", "-preset", "veryfast", "-b:v", bitrate, "-g", "30"]
        args += ["-sc_threshold", "0"]
        args += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"]
        log(f"source {name}: {video.split('=')[0]} ...")
        paths[name] = _cached(cache, f"src-{name}", ".mp4", args)
    bed = ["-f", "lavfi", "-i", f"aevalsrc={BED_EXPR}|{BED_EXPR}:s=48000:d=70"]
    paths[BED] = _cached(cache, "bed", ".m4a", [*bed, "-c:a", "aac", "-b:a", "192k"])
    return paths


def make_proxies(cache: Path, paths: dict[str, Path]) -> dict[str, Path]:
    """540p proxies made exactly as ingest makes them (agent.proxy), for the draft preset."""
    from agent.proxy import GOP_S, X264_CRF, X264_PRESET, make_proxy
    from utils.ffmpeg import probe

    # The name carries the proxy settings, so changing them makes new proxies.
    settings = hashlib.sha1(repr((GOP_S, X264_CRF, X264_PRESET)).encode()).hexdigest()[:6]
    proxies = dict(paths)
    for name in SOURCES:
        out = cache / f"{paths[name].stem}-proxy540-{settings}.mp4"
        if not out.exists():
            make_proxy(paths[name], probe(paths[name]), out)
        proxies[name] = out
    return proxies


# ---- the edit as timeline ops ---------------------------------------------------------


def rt(seconds: Fraction | float) -> dict:
    """A RationalTime dict at the timeline's rate (whole frames)."""
    return {"value": round(Fraction(seconds) * RATE), "rate": RATE}


def build_timeline(durations: dict[str, float]):
    """The edit as a Timeline, made in-process with the pure editor."""
    import itertools

    from models.timeline_models import RationalTime, TimelineSettings, new_timeline
    from operators.timeline_editor import AssetInfo, EditContext, apply_ops

    assets = {
        name: AssetInfo(name, "video", RationalTime(value=int(durations[name] * RATE), rate=RATE),
                        RATE, True, True, name)
        for name in SOURCES
    }  # fmt: skip
    bed_len = RationalTime(value=int(durations[BED] * 48000), rate=48000)
    assets[BED] = AssetInfo(BED, "audio", bed_len, 48000, False, True, "music bed")
    counter = itertools.count(1)
    ctx = EditContext(assets=assets, new_id=lambda: f"id-{next(counter)}")
    settings = TimelineSettings(rate=RATE, width=WIDTH, height=HEIGHT, sample_rate=48000)
    state = [new_timeline("render bench", settings, timeline_id="bench")]

    def apply(ops: list[dict]):
        state[0] = apply_ops(state[0], ops, ctx)
        return state[0]

    return make_edit(apply, {name: name for name in assets})


def make_edit(apply, asset_ids: dict[str, str]):
    """Make the edit with three batches of ops; `apply(ops)` returns the new Timeline and
    `asset_ids` maps source names ("a", "b", "c", "bed") to asset ids."""
    tracks = [("video", "V1"), ("video", "V2"), ("audio", "A1"), ("audio", "A2")]
    timeline = apply([{"op": "add_track", "kind": k, "name": n} for k, n in tracks])
    v1, v2, a1, a2 = (track.id for track in timeline.tracks.children)
    ops: list[dict] = []
    for track in (v1, a1):
        for shot in SHOTS:
            source_range = {"start_time": rt(shot.start), "duration": rt(shot.duration)}
            asset = asset_ids[shot.source]
            ops.append({"op": "append_clip", "track_id": track, "asset_id": asset,
                        "source_range": source_range})  # fmt: skip
    ops.append({"op": "append_clip", "track_id": a2, "asset_id": asset_ids[BED],
                "source_range": {"start_time": rt(0), "duration": rt(DURATION_S)}})  # fmt: skip
    ops.append({"op": "add_title", "track_id": v2, "text": TITLE_TEXT, "at": rt(TITLE_AT),
                "duration": rt(TITLE_S), "style": {"font_size": TITLE_SIZE}})  # fmt: skip
    timeline = apply(ops)
    clips = {t.id: [c.id for c in t.children] for t in timeline.tracks.children}
    ops = []
    for track in (v1, a1):
        for left in DISSOLVES:
            ops.append({"op": "add_transition", "left_clip_id": clips[track][left],
                        "right_clip_id": clips[track][left + 1], "kind": "dissolve",
                        "duration": rt(DISSOLVE_S)})  # fmt: skip
    ops.append({"op": "set_clip_properties", "clip_id": clips[a2][0], "volume": BED_VOLUME})
    return apply(ops)


# ---- the same edit as one hand-written ffmpeg command ---------------------------------


def _fit(src: tuple[int, int], out: tuple[int, int]) -> str:
    """Filters conforming a source picture to the output: scale and pad only where needed."""
    (sw, sh), (w, h) = src, out
    if (sw, sh) == (w, h):
        return ""
    if sw * h == sh * w:
        return f"scale={w}:{h},"
    return (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,"
    )


# How the hand-written command dissolves. FFmpeg 5.1's xfade has no 4:2:0 formats, so it
# works in 4:4:4: "naive" leaves that to format negotiation (the whole timeline becomes 4:4:4,
# two conversions per frame), "whole" crossfades the two whole clips and converts back after
# xfade, "overlap" (the default) crossfades only the overlapping second (split + trim) with
# 4:2:0 pinned before the split, so only the 30 blended frames are converted.
DISSOLVE_STYLES = ("overlap", "whole", "naive")


def handwritten_args(
    paths: dict[str, Path],
    sizes: dict[str, tuple[int, int]],
    preset,
    output: Path,
    style: str = "overlap",
) -> list[str]:
    """One ffmpeg command doing the edit, as a user who knows ffmpeg would write it."""
    height = preset.height or HEIGHT
    out = (WIDTH * height // HEIGHT // 2 * 2, height)
    args: list[str] = []
    graph: list[str] = []
    for i, shot in enumerate(SHOTS):
        head, tail = handles(i)
        start, length = shot.start - head, shot.duration + head + tail
        args += ["-ss", f"{float(start):.6f}", "-t", f"{float(length):.6f}"]
        args += ["-i", str(paths[shot.source])]
        graph.append(f"[{i}:v]{_fit(sizes[shot.source], out)}setpts=PTS-STARTPTS[v{i}]")
        graph.append(f"[{i}:a]asetpts=PTS-STARTPTS[a{i}]")
    args += ["-t", f"{DURATION_S:.6f}", "-i", str(paths[BED])]
    video, audio, i = [], [], 0
    d, n = float(DISSOLVE_S), int(DISSOLVE_S * RATE)
    while i < len(SHOTS):
        if i not in DISSOLVES:
            video.append(f"[v{i}]")
            audio.append(f"[a{i}]")
            i += 1
            continue
        j, frames = i + 1, int((SHOTS[i].duration + sum(handles(i))) * RATE)
        if style == "overlap":
            graph += [
                # Pinning 4:2:0 before split keeps xfade's 4:4:4 to the 30 frames it blends.
                f"[v{i}]format=yuv420p,split[b{i}][t{i}]",
                f"[b{i}]trim=end_frame={frames - n}[vb{i}]",
                f"[t{i}]trim=start_frame={frames - n},setpts=PTS-STARTPTS[vt{i}]",
                f"[v{j}]format=yuv420p,split[h{j}][b{j}]",
                f"[h{j}]trim=end_frame={n}[vh{j}]",
                f"[b{j}]trim=start_frame={n},setpts=PTS-STARTPTS[vb{j}]",
                f"[vt{i}][vh{j}]xfade=transition=fade:duration={d}:offset=0,format=yuv420p[x{i}]",
            ]
            video += [f"[vb{i}]", f"[x{i}]", f"[vb{j}]"]
        else:
            back = ",format=yuv420p" if style == "whole" else ""
            offset = frames / RATE - d
            graph.append(
                f"[v{i}][v{j}]xfade=transition=fade:duration={d}:offset={offset}{back}[x{i}]"
            )
            video.append(f"[x{i}]")
        graph.append(f"[a{i}][a{j}]acrossfade=d={d}[xa{i}]")
        audio.append(f"[xa{i}]")
        i += 2
    graph.append(f"{''.join(video)}concat=n={len(video)}:v=1:a=0[cv]")
    graph.append(f"{''.join(audio)}concat=n={len(audio)}:v=0:a=1[ca]")
    size = round(TITLE_SIZE * out[1] / HEIGHT)
    end = TITLE_AT + TITLE_S
    text = TITLE_TEXT.replace(":", r"\:")
    graph.append(
        f"[cv]drawtext=fontfile={FONT}:text='{text}':fontsize={size}:fontcolor=white"
        f":x=(w-text_w)/2:y=(h-text_h)/2:enable='between(t,{float(TITLE_AT)},{float(end)})'[vout]"
    )
    graph.append(f"[{len(SHOTS)}:a]volume={BED_VOLUME}[bed]")
    graph.append("[ca][bed]amix=inputs=2:duration=first:normalize=0[aout]")
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]"]
    args += ["-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf)]
    args += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", preset.audio_bitrate]
    args += ["-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(output)]
    return args
