"""Media for the agent tests, made with ffmpeg's lavfi sources (argument lists, no shell)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly, failing the test with its stderr if it fails."""
    result = subprocess.run([*FFMPEG, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def make_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: str = "25",
    audio: bool = True,
    extra: tuple[str, ...] = (),
) -> Path:
    """testsrc2 H.264 (+ stereo 48 kHz AAC sine) in MP4 with faststart."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
        args += ["-ac", "2", "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]
    ffmpeg(*args, "-movflags", "+faststart", str(path))
    return path


def make_color_steps(path: Path, colors: list[str], seconds_each: float, x264: str) -> Path:
    """A 25 fps video of solid colours, each for `seconds_each`, encoded with `x264` params."""
    sources = [f"color=c={c}:size=320x240:rate=25:duration={seconds_each}" for c in colors]
    graph = ";".join(f"{s}[v{i}]" for i, s in enumerate(sources))
    graph += ";" + "".join(f"[v{i}]" for i in range(len(colors)))
    graph += f"concat=n={len(colors)}:v=1:a=0[out]"
    args = ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "ultrafast"]
    ffmpeg(*args, "-x264-params", x264, "-pix_fmt", "yuv420p", str(path))
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for media shared by the agent tests."""
    return tmp_path_factory.mktemp("agent-media")


@pytest.fixture(scope="session")
def video_720p(media: Path) -> Path:
    """2 s of 1280x720 at 25 fps with stereo AAC."""
    return make_video(media / "720p.mp4", size="1280x720")


@pytest.fixture(scope="session")
def rotated_video(media: Path) -> Path:
    """320x240 blue with a red top-left corner, flagged as rotated by a quarter turn."""
    plain = media / "corner.mp4"
    ffmpeg(
        "-f", "lavfi", "-i",
        "color=c=blue:size=320x240:rate=25:duration=1,"
        "drawbox=x=0:y=0:w=80:h=60:color=red:t=fill",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(plain),
    )  # fmt: skip
    rotated = media / "rotated.mp4"
    # ffmpeg 5.1 has no -display_rotation; the rotate tag becomes a display matrix on copy.
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    return rotated


def top_level_atoms(path: Path) -> list[tuple[str, int]]:
    """The MP4 top-level boxes as (type, offset), in file order."""
    data = path.read_bytes()
    atoms, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        atoms.append((kind, offset))
        if size < 8:
            break
        offset += size
    return atoms


BOLD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def make_shots(
    path: Path,
    shots: list[tuple[str, int, str]],
    *,
    rate: str = "25",
    size: str = "320x240",
    x264: str = "",
) -> Path:
    """H.264 of lavfi sources joined by hard cuts: each (source, frames, extra filters), e.g.
    ("color=c=red", 50, "") or ("color=c=black", 40, text_filter("HELLO"))."""
    chains = []
    for index, (source, frames, extra) in enumerate(shots):
        options = f"{':' if '=' in source else '='}size={size}:rate={rate}"
        chain = source + options + (f",{extra}" if extra else "")
        chains.append(
            f"{chain},trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p[v{index}]"
        )
    inputs = "".join(f"[v{index}]" for index in range(len(shots)))
    graph = ";".join([*chains, f"{inputs}concat=n={len(shots)}:v=1:a=0[out]"])
    args = ["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "ultrafast"]
    args += ["-x264-params", x264] if x264 else []
    ffmpeg(*args, "-pix_fmt", "yuv420p", str(path))
    return path


def text_filter(text: str, size: int = 64, color: str = "white") -> str:
    """A drawtext filter writing `text` big and centred in DejaVu Sans Bold."""
    return (
        f"drawtext=fontfile={BOLD_FONT}:text='{text}':fontsize={size}:fontcolor={color}"
        ":x=(w-text_w)/2:y=(h-text_h)/2"
    )


@pytest.fixture(scope="session")
def rgb_shots(media: Path) -> Path:
    """25 fps 320x240: red 0-2 s, blue 2-3.2 s, green 3.2-5 s (cuts at frames 50 and 80)."""
    shots = [("color=c=red", 50, ""), ("color=c=blue", 30, ""), ("color=c=green", 45, "")]
    return make_shots(media / "rgb-shots.mp4", shots)
