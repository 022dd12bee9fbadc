"""make_proxy(): a 540p H.264/AAC MP4 (or AAC-only) that plays and lasts as long as the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.proxy import make_proxy
from tests.agent.conftest import ffmpeg, make_video, top_level_atoms
from tests.agent.test_probe import red_corner
from utils.ffmpeg import MediaError, probe


def test_video_proxy_plays_at_540p(video_720p: Path, tmp_path: Path) -> None:
    source = probe(video_720p)
    out = tmp_path / "proxy.mp4"
    fractions: list[float] = []

    meta = make_proxy(video_720p, source, out, progress=fractions.append)

    proxy = probe(out)
    assert (proxy.width, proxy.height) == (960, 540)
    assert (proxy.video_codec, proxy.pix_fmt, proxy.audio_codec) == ("h264", "yuv420p", "aac")
    assert (proxy.fps_num, proxy.fps_den) == (25, 1)
    assert proxy.duration_s == pytest.approx(source.duration_s, abs=1 / 25)
    assert meta == {"width": 960, "height": 540, "duration_s": proxy.duration_s}
    atoms = [kind for kind, _ in top_level_atoms(out)]
    assert atoms.index("moov") < atoms.index("mdat")  # faststart
    assert fractions and fractions[-1] == 1.0


def test_small_source_is_not_upscaled(tmp_path: Path) -> None:
    src = make_video(tmp_path / "small.mp4", size="320x240")

    meta = make_proxy(src, probe(src), tmp_path / "proxy.mp4")

    assert (meta["width"], meta["height"]) == (320, 240)


def test_portrait_keeps_its_aspect_with_an_even_width(tmp_path: Path) -> None:
    src = make_video(tmp_path / "portrait.mp4", size="720x1280", seconds=1.0, audio=False)

    meta = make_proxy(src, probe(src), tmp_path / "proxy.mp4")

    assert meta["height"] == 540
    assert meta["width"] % 2 == 0
    assert meta["width"] / meta["height"] == pytest.approx(720 / 1280, rel=0.01)


def test_ntsc_rate_and_duration_are_kept(tmp_path: Path) -> None:
    src = make_video(tmp_path / "ntsc.mp4", seconds=1.0, rate="30000/1001")
    source = probe(src)

    make_proxy(src, source, tmp_path / "proxy.mp4")

    proxy = probe(tmp_path / "proxy.mp4")
    assert (proxy.fps_num, proxy.fps_den) == (30000, 1001)
    assert proxy.duration_s == pytest.approx(source.duration_s, abs=1001 / 30000)


def test_rotated_video_is_turned_upright(rotated_video: Path, tmp_path: Path) -> None:
    source = probe(rotated_video)
    out = tmp_path / "proxy.mp4"

    make_proxy(rotated_video, source, out)

    proxy = probe(out)
    assert (proxy.width, proxy.height, proxy.rotation) == (240, 320, 0)
    # The picture was turned, not just flagged: it shows what the source displays.
    assert red_corner(out, proxy) == red_corner(rotated_video, source)


def test_audio_only_gives_an_aac_proxy(tmp_path: Path) -> None:
    src = tmp_path / "voice.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=sample_rate=44100:duration=2", "-ac", "2", str(src))

    meta = make_proxy(src, probe(src), tmp_path / "proxy.m4a")

    proxy = probe(tmp_path / "proxy.m4a")
    assert (proxy.kind, proxy.audio_codec, proxy.video_codec) == ("audio", "aac", None)
    assert meta["width"] is None and meta["height"] is None
    assert meta["duration_s"] == pytest.approx(2.0, abs=0.05)


def test_image_has_no_proxy(tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(src))

    with pytest.raises(MediaError):
        make_proxy(src, probe(src), tmp_path / "proxy.mp4")
