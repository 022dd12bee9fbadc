"""analyse_shots(): keyframe JPEGs from the right shot, colours, brightness and OCR text."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from agent.shots import Shot, detect_shots
from agent.visual import ShotInfo, analyse_shots
from tests.agent.conftest import ffmpeg, make_shots, text_filter
from utils.ffmpeg import MediaError, probe

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 128, 0)


def rgb_of(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def near(colour: str | np.ndarray, expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    """Every channel within `tolerance` (H.264 and JPEG shift solid colours a little)."""
    actual = rgb_of(colour) if isinstance(colour, str) else tuple(int(c) for c in colour)
    return all(abs(a - b) <= tolerance for a, b in zip(actual, expected, strict=True))


def jpeg_pixels(path: Path) -> np.ndarray:
    """Decode a JPEG to an RGB array, checking that it is one."""
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def analyse(src: Path, workdir: Path, **detect: float) -> list[ShotInfo]:
    info = probe(src)
    return analyse_shots(src, info, detect_shots(src, info, **detect), workdir)


def test_each_shot_gets_a_keyframe_of_its_own_colour(rgb_shots: Path, tmp_path: Path) -> None:
    infos = analyse(rgb_shots, tmp_path)

    assert len(infos) == 3
    for info, colour in zip(infos, [RED, BLUE, GREEN], strict=True):
        assert info.shot.start_s < info.keyframe_s < info.shot.end_s
        assert info.keyframe.parent == tmp_path
        pixels = jpeg_pixels(info.keyframe)
        assert pixels.shape == (240, 320, 3) == (info.height, info.width, 3)
        assert near(pixels[120, 160], colour)
        assert near(info.colors[0].hex, colour)
        assert info.colors[0].fraction > 0.9
        assert info.ocr_text == "" and info.ocr_words == ()
    assert not list(tmp_path.glob("ocr-*")), "OCR scratch files are removed"


@pytest.mark.parametrize(
    "x264",
    [
        "keyint=600:scenecut=0",  # no coded keyframe at the cuts: decodes from frame 0
        "keyint=5:min-keyint=5",  # keyframes every 0.2 s: takes one in each shot's middle
    ],
)
def test_keyframes_match_their_shot_whatever_the_gop(x264: str, tmp_path: Path) -> None:
    colours = ["red", "blue", "green", "yellow", "red", "blue"]
    src = make_shots(tmp_path / "gop.mp4", [(f"color=c={c}", 30, "") for c in colours], x264=x264)

    infos = analyse(src, tmp_path / "out")

    expected = [RED, BLUE, GREEN, (255, 255, 0), RED, BLUE]
    assert [info.shot.start_frame for info in infos] == [0, 30, 60, 90, 120, 150]
    for info, colour in zip(infos, expected, strict=True):
        assert near(info.colors[0].hex, colour), (info.shot, info.colors)


def test_keyframes_are_at_most_640_wide(tmp_path: Path) -> None:
    src = make_shots(tmp_path / "hd.mp4", [("color=c=red", 25, "")], size="1280x720")

    (info,) = analyse(src, tmp_path / "out")

    assert (info.width, info.height) == (640, 360)
    assert jpeg_pixels(info.keyframe).shape == (360, 640, 3)


def test_brightness_runs_from_black_to_white(tmp_path: Path) -> None:
    shots = [("color=c=black", 25, ""), ("color=c=white", 25, ""), ("color=c=gray", 25, "")]
    src = make_shots(tmp_path / "bw.mp4", shots)

    black, white, grey = analyse(src, tmp_path / "out")

    assert black.brightness < 0.03
    assert white.brightness > 0.97
    assert 0.4 < grey.brightness < 0.6
    assert near(black.colors[0].hex, (0, 0, 0)) and near(white.colors[0].hex, (255, 255, 255))


def test_colours_of_a_split_picture_come_with_their_shares(tmp_path: Path) -> None:
    # Left three quarters red, right quarter blue.
    halves = "drawbox=x=240:y=0:w=80:h=240:color=blue:t=fill"
    src = make_shots(tmp_path / "split.mp4", [("color=c=red", 25, halves)])

    (info,) = analyse(src, tmp_path / "out")

    assert [near(c.hex, RED) or near(c.hex, BLUE) for c in info.colors[:2]] == [True, True]
    assert near(info.colors[0].hex, RED) and near(info.colors[1].hex, BLUE)
    assert info.colors[0].fraction == pytest.approx(0.75, abs=0.05)
    assert info.colors[1].fraction == pytest.approx(0.25, abs=0.05)
    assert sum(c.fraction for c in info.colors) == pytest.approx(1.0, abs=0.02)


def test_ocr_reads_burned_in_text_and_nothing_elsewhere(tmp_path: Path) -> None:
    shots = [
        ("color=c=black", 40, text_filter("KESTREL", 72)),
        ("color=c=blue", 40, ""),
        ("color=c=white", 40, text_filter("Harbour Lights", 40, "black")),
    ]
    src = make_shots(tmp_path / "text.mp4", shots, size="640x360")

    title, plain, caption = analyse(src, tmp_path / "out")

    assert title.ocr_text == "KESTREL"
    assert [word.text for word in title.ocr_words] == ["KESTREL"]
    assert title.ocr_words[0].confidence >= 60
    left, top, width, height = title.ocr_words[0].box
    assert 0.1 < left < 0.5 and 0.3 < top < 0.6 and 0 < width < 0.8 and 0 < height < 0.4
    assert plain.ocr_text == "" and plain.ocr_words == ()
    assert caption.ocr_text == "Harbour Lights"


def test_small_pictures_are_upscaled_for_ocr(tmp_path: Path) -> None:
    src = make_shots(tmp_path / "tiny.mp4", [("color=c=black", 25, text_filter("HELLO", 24))])

    (info,) = analyse(src, tmp_path / "out")

    assert info.ocr_text == "HELLO"
    assert (info.width, info.height) == (320, 240)


def test_rotated_video_gives_an_upright_keyframe(rotated_video: Path, tmp_path: Path) -> None:
    (info,) = analyse(rotated_video, tmp_path)

    assert (info.width, info.height) == (240, 320)
    pixels = jpeg_pixels(info.keyframe)
    # The display matrix turns the picture a quarter anticlockwise (as ffmpeg shows it): the
    # red corner, top left as stored, ends up bottom left.
    assert near(pixels[310, 10], RED, 40)
    assert near(pixels[10, 230], BLUE, 40)


def test_an_image_is_analysed_as_one_shot(tmp_path: Path) -> None:
    src = tmp_path / "still.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=green:size=200x100", "-frames:v", "1", str(src))

    (info,) = analyse(src, tmp_path / "out")

    assert (info.width, info.height) == (200, 100)
    assert near(info.colors[0].hex, GREEN)


def test_results_serialise_to_json(rgb_shots: Path, tmp_path: Path) -> None:
    infos = analyse(rgb_shots, tmp_path)

    data = json.loads(json.dumps([info.to_dict() for info in infos]))

    assert data[0]["keyframe"] == infos[0].keyframe.name == "shot-0000.jpg"
    assert data[1]["shot"]["start_frame"] == infos[1].shot.start_frame
    assert data[2]["colors"][0] == {"hex": infos[2].colors[0].hex, "fraction": pytest.approx(1.0)}
    assert data[0]["ocr_words"] == [] and data[0]["ocr_text"] == ""


def test_progress_rises_to_one(rgb_shots: Path, tmp_path: Path) -> None:
    info = probe(rgb_shots)
    shots = detect_shots(rgb_shots, info)
    seen: list[float] = []

    analyse_shots(rgb_shots, info, shots, tmp_path, seen.append)

    assert seen == sorted(seen) and seen[-1] == 1.0


def test_no_shots_give_nothing(rgb_shots: Path, tmp_path: Path) -> None:
    assert analyse_shots(rgb_shots, probe(rgb_shots), [], tmp_path) == []


def test_audio_has_no_pictures(tmp_path: Path) -> None:
    src = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(src))

    with pytest.raises(MediaError):
        analyse_shots(src, probe(src), [Shot(0, 0.0, 1.0, 0, 25)], tmp_path)
