"""make_filmstrip(): tile count, layout and timing agree with the sprite that was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent import filmstrip
from agent.filmstrip import make_filmstrip
from tests.agent.conftest import ffmpeg, make_color_steps, make_video
from utils.ffmpeg import MediaError, probe

COLOURS = {"red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255)}


def tile_colours(sprite: Path, index: dict, tmp: Path) -> list[str]:
    """The named colour closest to the centre pixel of each tile, in index order."""
    width = probe(sprite).width
    assert width is not None
    raw = tmp / "sprite.rgb"
    ffmpeg("-i", str(sprite), "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw))
    pixels = raw.read_bytes()
    names = []
    for frame in index["frames"]:
        x, y = frame["x"] + index["tile_width"] // 2, frame["y"] + index["tile_height"] // 2
        pixel = pixels[(y * width + x) * 3 :][:3]
        distance = {
            name: sum((a - b) ** 2 for a, b in zip(rgb, pixel, strict=True))
            for name, rgb in COLOURS.items()
        }
        names.append(min(distance, key=distance.__getitem__))
    return names


def test_default_index_matches_the_sprite(tmp_path: Path) -> None:
    src = make_video(tmp_path / "v.mp4", seconds=10.0, size="320x240", audio=False)
    out = tmp_path / "strip.jpg"

    index = make_filmstrip(src, probe(src), out)

    assert json.loads(json.dumps(index)) == index
    assert index["interval_s"] == 1.0
    assert (index["count"], index["columns"], index["rows"]) == (10, 10, 1)
    assert (index["tile_width"], index["tile_height"]) == (160, 120)
    assert [f["t"] for f in index["frames"]] == [float(i) for i in range(10)]
    assert [(f["x"], f["y"]) for f in index["frames"]] == [(i * 160, 0) for i in range(10)]
    sprite = probe(out)
    assert (sprite.kind, sprite.video_codec) == ("image", "mjpeg")
    assert (sprite.width, sprite.height) == (10 * 160, 1 * 120)


def test_tiles_wrap_into_rows(tmp_path: Path) -> None:
    src = make_video(tmp_path / "v.mp4", seconds=3.0, size="640x360", audio=False)
    out = tmp_path / "strip.jpg"

    index = make_filmstrip(src, probe(src), out, interval_s=0.25, tile_width=100)

    assert (index["count"], index["columns"], index["rows"]) == (12, 10, 2)
    assert (index["tile_width"], index["tile_height"]) == (100, 56)
    assert index["frames"][10] == {"t": 2.5, "x": 0, "y": 56}
    sprite = probe(out)
    assert (sprite.width, sprite.height) == (10 * 100, 2 * 56)


@pytest.mark.parametrize(
    ("x264", "decoder"),
    [
        # One keyframe only: every frame must be decoded to show the right picture.
        ("keyint=1000:min-keyint=1000:scenecut=0", "-skip_loop_filter"),
        # A keyframe every 0.48 s: keyframes alone are close enough to each tile's time.
        ("keyint=12:min-keyint=12:scenecut=0", "nokey"),
    ],
)
def test_each_tile_shows_the_frame_at_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, x264: str, decoder: str
) -> None:
    src = make_color_steps(tmp_path / "steps.mp4", ["red", "green", "blue"], 2.0, x264)
    chosen: list[list[str]] = []
    decode_options = filmstrip._decode_options
    monkeypatch.setattr(
        filmstrip, "_decode_options", lambda *a: chosen.append(decode_options(*a)) or chosen[-1]
    )
    out = tmp_path / "strip.jpg"

    index = make_filmstrip(src, probe(src), out, interval_s=1.0)

    assert decoder in chosen[0]
    assert index["count"] == 6
    colours = tile_colours(out, index, tmp_path)
    assert [colours[i] for i in (1, 3, 5)] == ["red", "green", "blue"]


def test_parallel_parts_join_without_a_seam(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_color_steps(tmp_path / "steps.mp4", ["red", "green", "blue"], 2.0, "keyint=1000")
    monkeypatch.setattr(filmstrip.os, "cpu_count", lambda: 2)
    out = tmp_path / "strip.jpg"

    index = make_filmstrip(src, probe(src), out, interval_s=0.25)

    assert index["count"] == 24  # two processes, 12 tiles each
    colours = tile_colours(out, index, tmp_path)
    for frame, colour in zip(index["frames"], colours, strict=True):
        if frame["t"] not in (2.0, 4.0):  # a change of colour lands exactly there
            assert colour == ["red", "green", "blue"][int(frame["t"] // 2)], frame


def test_keyframes_only_when_full_decoding_is_too_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_color_steps(tmp_path / "steps.mp4", ["red", "blue"], 2.0, "keyint=1000")
    monkeypatch.setattr(filmstrip, "FULL_DECODE_BUDGET_S", 0.0)
    info = probe(src)

    assert "nokey" in filmstrip._decode_options(src, info, 1.0)
    index = make_filmstrip(src, info, tmp_path / "strip.jpg", interval_s=1.0)
    # Tiles after the last keyframe repeat it, so the index still covers the whole clip.
    assert index["count"] == 4


def test_default_interval_keeps_about_a_hundred_tiles() -> None:
    assert filmstrip.default_interval(30.0) == 1.0
    assert filmstrip.default_interval(100.0) == 1.0
    assert filmstrip.default_interval(101.0) == 2.0
    assert filmstrip.default_interval(3600.0) == 36.0


def test_image_gives_one_tile(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=400x300", "-frames:v", "1", str(src))

    index = make_filmstrip(src, probe(src), tmp_path / "strip.jpg")

    assert (index["count"], index["tile_width"], index["tile_height"]) == (1, 160, 120)


def test_audio_has_no_filmstrip(tmp_path: Path) -> None:
    src = tmp_path / "a.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(src))

    with pytest.raises(MediaError):
        make_filmstrip(src, probe(src), tmp_path / "strip.jpg")
