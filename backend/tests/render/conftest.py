"""Test media made once per session: small, so every render takes a fraction of a second."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from render.plan import SourceMedia
from tests.media import run
from tests.render.media import make_clip_media, make_png, source


def _tone_then_silence(path: Path) -> Path:
    # 22.05 kHz mono: a tone for 2 s, then 2 s of silence.
    run(
        ["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=22050:d=4",
         "-af", "volume=enable='gte(t,2)':volume=0", "-ac", "1", str(path)]
    )  # fmt: skip
    return path


def _red_then_blue(path: Path) -> Path:
    # Red for 2 s then blue for 2 s: shows which source time a retimed clip reached.
    run(
        ["-f", "lavfi", "-i", "color=c=red:s=320x180:r=25:d=2",
         "-f", "lavfi", "-i", "color=c=blue:s=320x180:r=25:d=2",
         "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", str(path)]
    )  # fmt: skip
    return path


def _rotated(path: Path) -> Path:
    # A landscape recording a phone marks "turn 90 degrees": it plays portrait (180x320).
    coded = path.with_name("coded.mp4")
    make_clip_media(coded, "white", tone_hz=None)
    run(["-i", str(coded), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path)])
    return path


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SourceMedia]:
    """asset id -> SourceMedia for the test media."""
    d = tmp_path_factory.mktemp("render-media")
    files = {
        "red": make_clip_media(d / "red.mp4", "red", tone_hz=440),
        "blue": make_clip_media(d / "blue.mp4", "blue", tone_hz=880),
        # 4:3, 30 fps, 44.1 kHz: everything differs from the 16:9/25/48k timelines.
        "green43": make_clip_media(
            d / "green43.mp4", "lime", size="160x120", rate="30", tone_hz=660, sample_rate=44100
        ),
        # Wider than 16:9: letterboxed.
        "wide": make_clip_media(d / "wide.mp4", "white", size="320x120", tone_hz=None),
        "silent": make_clip_media(d / "silent.mp4", "magenta", tone_hz=None),
        "still": make_png(d / "still.png", "yellow", "200x200"),
        "tone": _tone_then_silence(d / "tone.wav"),
        "redblue": _red_then_blue(d / "redblue.mp4"),
    }
    found = {name: source(path) for name, path in files.items()}
    # As stored for an asset: the coded size, rotation aside.
    rotated = source(_rotated(d / "rotated.mp4"))
    found["rotated"] = replace(rotated, width=320, height=180)
    return found
