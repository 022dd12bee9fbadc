"""probe(): what it reports for generated media, and what it refuses."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.agent.conftest import ffmpeg, make_video, top_level_atoms
from utils.ffmpeg import MediaError, MediaInfo, probe


def test_video_values_match_what_was_generated(tmp_path: Path) -> None:
    info = probe(make_video(tmp_path / "v.mp4", seconds=2.0, size="320x240", rate="25"))

    assert info.kind == "video"
    assert "mp4" in info.format_name
    assert info.duration_s == pytest.approx(2.0, abs=1 / 25)
    assert (info.fps_num, info.fps_den) == (25, 1)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.audio_codec, info.audio_channels, info.sample_rate) == ("aac", 2, 48000)
    assert info.bit_rate and info.bit_rate > 0
    assert json.loads(json.dumps(info.to_dict())) == info.to_dict()


def test_ntsc_frame_rate_is_an_exact_rational(tmp_path: Path) -> None:
    path = make_video(tmp_path / "ntsc.mp4", seconds=1.0, rate="30000/1001", audio=False)

    info = probe(path)

    assert (info.fps_num, info.fps_den) == (30000, 1001)
    assert info.duration_s == pytest.approx(1.0, abs=1001 / 30000)
    assert info.audio_codec is None and info.sample_rate is None


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [("png", "png"), ("jpg", "mjpeg"), ("webp", "webp"), ("bmp", "bmp"), ("tiff", "tiff")],
)
def test_still_images_are_images(tmp_path: Path, suffix: str, codec: str) -> None:
    path = tmp_path / f"still.{suffix}"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=400x300", "-frames:v", "1", str(path))

    info = probe(path)

    assert info.kind == "image"
    assert (info.width, info.height, info.video_codec) == (400, 300, codec)
    assert info.duration_s is None and info.fps_num is None and info.audio_codec is None


def test_wav_is_audio(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1.5", str(path))

    info = probe(path)

    assert info.kind == "audio"
    assert info.duration_s == pytest.approx(1.5, abs=0.01)
    assert (info.audio_codec, info.audio_channels, info.sample_rate) == ("pcm_s16le", 1, 44100)
    assert info.width is None and info.fps_num is None and info.video_codec is None


def test_mp3_with_cover_art_is_audio(tmp_path: Path) -> None:
    cover, song = tmp_path / "cover.jpg", tmp_path / "song.mp3"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x64", "-frames:v", "1", str(cover))
    ffmpeg(
        "-f", "lavfi", "-i", "sine=duration=2", "-i", str(cover), "-map", "0:a", "-map", "1:v",
        "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", str(song),
    )  # fmt: skip

    info = probe(song)

    assert info.kind == "audio"
    assert info.audio_codec == "mp3"
    assert info.video_codec is None and info.width is None


def test_rotation_is_clockwise_degrees_as_ffmpeg_applies_them(rotated_video: Path) -> None:
    info = probe(rotated_video)

    assert (info.width, info.height) == (320, 240)  # coded size
    assert info.rotation in (90, 270)
    assert info.display_size == (240, 320)
    # ffmpeg 5.1 writes rotate=90 as a counter-clockwise matrix, so check the direction
    # against what ffmpeg shows rather than the tag: the red top-left corner must land where
    # a clockwise turn by `rotation` puts it.
    expected = {90: "top_right", 180: "bottom_right", 270: "bottom_left"}[info.rotation]
    assert red_corner(rotated_video, info) == expected


def red_corner(path: Path, info: MediaInfo) -> str:
    """Which corner of the first displayed (auto-rotated) frame is red."""
    assert info.display_size is not None
    width, height = info.display_size
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    pixels = subprocess.run(cmd, capture_output=True, check=True).stdout
    assert len(pixels) == width * height * 3
    corners = {
        "top_left": (4, 4),
        "top_right": (width - 5, 4),
        "bottom_left": (4, height - 5),
        "bottom_right": (width - 5, height - 5),
    }
    red = [
        name
        for name, (x, y) in corners.items()
        if pixels[(y * width + x) * 3] > 200 and pixels[(y * width + x) * 3 + 2] < 60
    ]
    assert len(red) == 1, red
    return red[0]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda d: write(d / "notes.txt", b"hello\nnot a video\n" * 20), id="text"),
        pytest.param(
            lambda d: write(d / "noise.mp4", random.Random(7).randbytes(200_000)), id="random"
        ),
        pytest.param(lambda d: write(d / "empty.mp4", b""), id="empty"),
        pytest.param(lambda d: d / "missing.mp4", id="missing"),
    ],
)
def test_non_media_raises_media_error(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)

    with pytest.raises(MediaError) as caught:
        probe(path)

    assert str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_random_bytes_never_probe_as_media(tmp_path: Path) -> None:
    rng = random.Random(2024)
    for size in (100, 4096, 65_536, 300_000):
        path = write(tmp_path / f"noise-{size}.bin", rng.randbytes(size))
        with pytest.raises(MediaError):
            probe(path)


def test_truncated_video_raises_media_error(tmp_path: Path) -> None:
    whole = make_video(tmp_path / "whole.mp4", seconds=3.0)
    cut = write(tmp_path / "cut.mp4", whole.read_bytes()[:2048])

    with pytest.raises(MediaError):
        probe(cut)


def test_video_cut_after_its_index_raises_media_error(tmp_path: Path) -> None:
    whole = make_video(tmp_path / "whole.mp4", seconds=3.0)
    # With faststart the index comes first: keeping it whole but none of the frame data
    # lets ffprobe list the streams, yet nothing decodes.
    mdat = dict(top_level_atoms(whole))["mdat"]
    cut = write(tmp_path / "cut.mp4", whole.read_bytes()[: mdat + 64])

    with pytest.raises(MediaError, match="damaged or truncated"):
        probe(cut)


@pytest.mark.parametrize("suffix", ["wav", "m4a"])
def test_zero_length_audio_raises_media_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"silent.{suffix}"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=sample_rate=48000", "-t", "0", str(path))

    with pytest.raises(MediaError):
        probe(path)
