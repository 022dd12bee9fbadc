"""make_thumbnail(): a decodable JPEG poster of the right size, aspect and time."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.thumbnail import make_thumbnail
from tests.agent.conftest import ffmpeg, make_video
from utils.ffmpeg import MediaError, probe


def test_video_poster_is_a_640_wide_jpeg_a_little_way_in(video_720p: Path, tmp_path: Path) -> None:
    out = tmp_path / "thumb.jpg"

    meta = make_thumbnail(video_720p, probe(video_720p), out)

    assert meta == {"width": 640, "height": 360, "time_s": pytest.approx(0.2)}
    image = probe(out)
    assert (image.kind, image.video_codec) == ("image", "mjpeg")
    assert (image.width, image.height) == (640, 360)


def test_poster_time_is_capped_at_three_seconds(tmp_path: Path) -> None:
    src = make_video(tmp_path / "long.mp4", seconds=40.0, size="160x120", audio=False)

    meta = make_thumbnail(src, probe(src), tmp_path / "thumb.jpg")

    assert meta["time_s"] == 3.0


def test_small_source_is_not_upscaled(tmp_path: Path) -> None:
    src = make_video(tmp_path / "small.mp4", size="320x240", audio=False)

    meta = make_thumbnail(src, probe(src), tmp_path / "thumb.jpg")

    assert (meta["width"], meta["height"]) == (320, 240)


def test_odd_sizes_become_even_and_keep_the_aspect(tmp_path: Path) -> None:
    src = tmp_path / "odd.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=1001x561", "-frames:v", "1", str(src))
    info = probe(src)
    assert (info.width, info.height) == (1001, 561)

    meta = make_thumbnail(src, info, tmp_path / "thumb.jpg", width=333)

    assert meta["width"] % 2 == 0 and meta["height"] % 2 == 0
    assert meta["width"] <= 333
    assert meta["width"] / meta["height"] == pytest.approx(1001 / 561, rel=0.02)


def test_image_is_scaled(tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=800x600", "-frames:v", "1", str(src))

    meta = make_thumbnail(src, probe(src), tmp_path / "thumb.jpg")

    assert meta == {"width": 640, "height": 480, "time_s": 0.0}
    assert probe(tmp_path / "thumb.jpg").kind == "image"


def test_transparent_image_is_laid_on_white(tmp_path: Path) -> None:
    src = tmp_path / "logo.png"
    alpha = "if(between(X,50,149)*between(Y,25,74),255,0)"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=blue:size=200x100,format=rgba,"
        f"geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='{alpha}'",
        "-frames:v", "1", str(src),
    )  # fmt: skip
    out = tmp_path / "thumb.jpg"

    make_thumbnail(src, probe(src), out)

    raw = tmp_path / "thumb.rgb"
    ffmpeg("-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw))
    pixels = raw.read_bytes()
    corner, centre = pixels[0:3], pixels[(50 * 200 + 100) * 3 :][:3]
    assert min(corner) > 240  # white, not black
    assert centre[2] > 200 and centre[0] < 60  # blue


def test_rotated_video_poster_is_upright(rotated_video: Path, tmp_path: Path) -> None:
    meta = make_thumbnail(rotated_video, probe(rotated_video), tmp_path / "thumb.jpg")

    assert (meta["width"], meta["height"]) == (240, 320)


def test_audio_has_no_thumbnail(tmp_path: Path) -> None:
    src = tmp_path / "a.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(src))

    with pytest.raises(MediaError):
        make_thumbnail(src, probe(src), tmp_path / "thumb.jpg")
