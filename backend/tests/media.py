"""Test media made with ffmpeg's lavfi sources (argument lists, never shell strings)."""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]


def run(args: list[str]) -> None:
    subprocess.run([*FFMPEG, *args], check=True, capture_output=True, timeout=120)


def make_video(
    path: Path,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: str = "25",
    tone_hz: int = 440,
    audio: bool = True,
    faststart: bool = True,
) -> Path:
    """testsrc2 video with a stereo sine tone, H.264/AAC in MP4."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={tone_hz}:sample_rate=48000:duration={seconds}",
        ]
        args += ["-ac", "2", "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if faststart:
        args += ["-movflags", "+faststart"]
    run([*args, "-shortest", str(path)])
    return path


def make_tone_then_silence(path: Path, tone_s: float = 1.0, silence_s: float = 1.0) -> Path:
    """WAV: a loud sine, then silence (for waveform checks)."""
    total = tone_s + silence_s
    run(
        [
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={total}",
            "-af", f"volume=enable='gte(t,{tone_s})':volume=0,volume=8",
            "-ac", "1", str(path),
        ]
    )  # fmt: skip
    return path


def make_image(path: Path, size: str = "640x360", color: str = "red") -> Path:
    run(["-f", "lavfi", "-i", f"color=c={color}:size={size}", "-frames:v", "1", str(path)])
    return path


def make_wav(path: Path, seconds: float = 1.0) -> Path:
    run(["-f", "lavfi", "-i", f"sine=frequency=1000:duration={seconds}", str(path)])
    return path


def probe_json(path: Path) -> dict:
    import json

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return json.loads(out)
