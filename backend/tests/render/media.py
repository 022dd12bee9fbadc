"""Tiny test media (ffmpeg lavfi), timelines built in code, and ways to look at a render."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from models.timeline_models import (
    Clip,
    ExternalReference,
    Gap,
    GeneratorReference,
    LinearTimeWarp,
    MissingReference,
    RationalTime,
    Stack,
    Timeline,
    TimelineSettings,
    TimeRange,
    Track,
    Transition,
)
from render.compiler import compile_frame, compile_render
from render.plan import RenderPlan, SourceMedia
from render.presets import PRESETS
from tests.media import run
from utils.probe import probe

FFMPEG = ["/usr/bin/ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
RATE = 25
SIZE = (320, 180)


def make_clip_media(
    path: Path,
    color: str,
    *,
    seconds: float = 4,
    size: str = "320x180",
    rate: str = "25",
    tone_hz: int | None = 440,
    sample_rate: int = 48000,
) -> Path:
    """A solid-colour H.264 video (with a sine tone unless `tone_hz` is None)."""
    args = ["-f", "lavfi", "-i", f"color=c={color}:s={size}:r={rate}:d={seconds}"]
    if tone_hz is not None:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={tone_hz}:sample_rate={sample_rate}:d={seconds}",
        ]
        args += ["-c:a", "aac", "-b:a", "64k", "-ac", "2"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"]
    run([*args, "-shortest", str(path)])
    return path


def make_png(path: Path, color: str, size: str = "320x180") -> Path:
    """A one-colour PNG still."""
    run(["-f", "lavfi", "-i", f"color=c={color}:s={size}", "-frames:v", "1", str(path)])
    return path


def source(path: Path) -> SourceMedia:
    """The SourceMedia a renderer would be given for a file (from ffprobe)."""
    info = probe(path)
    size = info.display_size or (None, None)
    fps = Fraction(info.fps_num, info.fps_den) if info.fps_num and info.fps_den else None
    return SourceMedia(
        path=str(path),
        kind=info.kind,
        duration_s=info.duration_s,
        width=size[0],
        height=size[1],
        fps=fps,
        has_video=info.video_codec is not None,
        has_audio=info.audio_codec is not None,
        sample_rate=info.sample_rate,
    )


# --- timelines -------------------------------------------------------------------------------

_ids = iter(range(1, 1_000_000))


def _id() -> str:
    return f"r{next(_ids)}"


def rt(frames: float) -> RationalTime:
    """Frames at the test rate."""
    return RationalTime(value=frames, rate=RATE)


def clip(
    asset: str | None,
    frames: int,
    *,
    src: float = 0,
    speed: float | None = None,
    name: str = "",
    enabled: bool = True,
    **props: Any,
) -> Clip:
    """A clip of `frames` on the track, from `src` frames into asset `asset` (None: missing)."""
    ref: Any = (
        MissingReference()
        if asset is None
        else ExternalReference(target_url=f"asset://{asset}", asset_id=asset)
    )
    length = frames * (speed or 1)
    return Clip(
        id=_id(),
        name=name or (asset or "missing"),
        source_range=TimeRange(start_time=rt(src), duration=rt(length)),
        media_reference=ref,
        effects=[LinearTimeWarp(id=_id(), time_scalar=speed)] if speed else [],
        enabled=enabled,
        metadata={"vedit": props} if props else {},
    )


def title(text: str, frames: int, **params: Any) -> Clip:
    """A title generator clip."""
    return Clip(
        id=_id(),
        name="title",
        source_range=TimeRange(start_time=rt(0), duration=rt(frames)),
        media_reference=GeneratorReference(
            generator_kind="title", parameters={"text": text, **params}
        ),
    )


def solid(color: str, frames: int, **props: Any) -> Clip:
    """A solid colour generator clip."""
    return Clip(
        id=_id(),
        name="solid",
        source_range=TimeRange(start_time=rt(0), duration=rt(frames)),
        media_reference=GeneratorReference(generator_kind="solid", parameters={"color": color}),
        metadata={"vedit": props} if props else {},
    )


def gap(frames: int) -> Gap:
    """A gap of `frames`."""
    return Gap(id=_id(), source_range=TimeRange(start_time=rt(0), duration=rt(frames)))


def transition(before: int, after: int, kind: str = "SMPTE_Dissolve") -> Transition:
    """A transition reaching `before` frames before the cut and `after` after it."""
    return Transition(id=_id(), transition_type=kind, in_offset=rt(before), out_offset=rt(after))


def nested(frames: int) -> Stack:
    """A nested stack (not rendered) lasting `frames`."""
    inner = Track(id=_id(), kind="Video", children=[gap(frames)])
    return Stack(id=_id(), children=[inner])


def timeline(
    *tracks: tuple[str, Sequence[Any]] | Track,
    size: tuple[int, int] = SIZE,
    sample_rate: int = 48000,
) -> Timeline:
    """A timeline from ("Video"|"Audio", children) pairs, bottom track first."""
    built = [
        t if isinstance(t, Track) else Track(id=_id(), kind=t[0], children=list(t[1]))
        for t in tracks
    ]
    settings = TimelineSettings(rate=RATE, width=size[0], height=size[1], sample_rate=sample_rate)
    return Timeline(id=_id(), settings=settings, tracks=Stack(children=built))


# --- looking at output -----------------------------------------------------------------------


def ffmpeg(args: list[str]) -> None:
    """Run a compiled plan (fails the test with ffmpeg's message)."""
    result = subprocess.run([*FFMPEG, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def frame_at(path: Path, t: float, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The decoded RGB frame shown at `t` seconds (frame-accurate: decode, not seek)."""
    out = subprocess.run(
        [*FFMPEG, "-i", str(path), "-vf", f"select=gte(t\\,{t - 0.001})", "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return np.frombuffer(out, np.uint8).reshape(size[1], size[0], 3).astype(int)


def png_pixels(data: bytes) -> np.ndarray:
    """A PNG's pixels as an RGB array (decoded by PyAV, as the app has no imaging library)."""
    from io import BytesIO

    import av

    with av.open(BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(int)


def duration(path: Path) -> float:
    """The container's duration (ffprobe)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return float(out)


def stream_durations(path: Path) -> dict[str, float]:
    """Each stream's duration by codec type."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return {line.split(",")[0]: float(line.split(",")[1]) for line in out.split()}


def audio(path: Path, sample_rate: int = 48000) -> np.ndarray:
    """The decoded sound as (samples, 2) floats in [-1, 1]."""
    out = subprocess.run(
        [*FFMPEG, "-i", str(path), "-vn", "-f", "f32le", "-ac", "2", "-ar", str(sample_rate),
         "pipe:1"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return np.frombuffer(out, np.float32).reshape(-1, 2)


def rms(samples: np.ndarray, start: float, end: float, sample_rate: int = 48000) -> float:
    """Root mean square level of [start, end) seconds."""
    part = samples[int(start * sample_rate) : int(end * sample_rate)]
    return float(np.sqrt(np.mean(part.astype(np.float64) ** 2)))


def near(pixel: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    """Whether a pixel (or the mean of an area) is the colour, give or take codec error."""
    value = pixel.reshape(-1, 3).mean(axis=0) if pixel.ndim > 1 else pixel
    return bool(np.all(np.abs(value - np.array(rgb)) <= tolerance))


def render(
    tl: Timeline,
    sources: dict[str, SourceMedia],
    path: Path,
    preset: str = "high",
    **kwargs: Any,
) -> RenderPlan:
    """Compile and run a render to `path`."""
    plan = compile_render(tl, sources, PRESETS[preset], str(path), **kwargs)
    ffmpeg(plan.args)
    return plan


def still_frame(
    tl: Timeline, sources: dict[str, SourceMedia], t: Fraction, **kwargs: Any
) -> tuple[np.ndarray, RenderPlan]:
    """compile_frame at `t`, run to a pipe: the PNG's pixels and the plan."""
    plan = compile_frame(tl, sources, t, **kwargs)
    result = subprocess.run([*FFMPEG, *plan.args], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert result.stdout.startswith(b"\x89PNG"), "not a PNG"
    return png_pixels(result.stdout), plan
