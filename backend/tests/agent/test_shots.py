"""detect_shots(): cuts on the right frame, shots that tile the video, no cuts in motion."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path

import pytest

from agent import shots as shots_module
from agent.shots import Shot, detect_shots
from tests.agent.conftest import ffmpeg, make_shots, make_video
from utils.ffmpeg import MediaError, probe


def assert_tiles(shots: list[Shot], duration: float) -> None:
    """Shots are numbered in order, start at 0, end at the duration and leave no gaps."""
    assert [shot.index for shot in shots] == list(range(len(shots)))
    assert shots[0].start_s == 0.0 and shots[0].start_frame == 0
    assert shots[-1].end_s == pytest.approx(duration)
    for before, after in itertools.pairwise(shots):
        assert before.end_s == after.start_s
        assert before.end_frame == after.start_frame
        assert before.start_s < before.end_s


def test_hard_cuts_are_found_within_a_frame_at_25_fps(rgb_shots: Path) -> None:
    info = probe(rgb_shots)

    shots = detect_shots(rgb_shots, info)

    assert len(shots) == 3
    assert_tiles(shots, info.duration_s or 0)
    for shot, (frame, time_s) in zip(shots[1:], [(50, 2.0), (80, 3.2)], strict=True):
        assert abs(shot.start_frame - frame) <= 1
        assert shot.start_s == pytest.approx(time_s, abs=1 / 25 + 1e-6)
    assert shots[-1].end_frame == 125


def test_hard_cuts_are_found_within_a_frame_at_29_97_fps(tmp_path: Path) -> None:
    shots_in = [("color=c=white", 45, ""), ("color=c=navy", 55, ""), ("color=c=orange", 40, "")]
    src = make_shots(tmp_path / "ntsc.mp4", shots_in, rate="30000/1001")
    info = probe(src)
    rate = Fraction(30000, 1001)

    shots = detect_shots(src, info)

    assert len(shots) == 3
    assert_tiles(shots, info.duration_s or 0)
    for shot, frame in zip(shots[1:], [45, 100], strict=True):
        assert abs(shot.start_frame - frame) <= 1
        assert shot.start_s == pytest.approx(float(frame / rate), abs=float(1 / rate) + 1e-6)


def test_a_single_shot_spans_the_whole_video(tmp_path: Path) -> None:
    src = make_shots(tmp_path / "one.mp4", [("color=c=teal", 60, "")])
    info = probe(src)

    shots = detect_shots(src, info)

    assert len(shots) == 1
    assert (shots[0].start_s, shots[0].start_frame, shots[0].end_frame) == (0.0, 0, 60)
    assert shots[0].end_s == pytest.approx(info.duration_s)


def test_a_moving_busy_pattern_has_no_cuts(tmp_path: Path) -> None:
    src = make_video(tmp_path / "busy.mp4", seconds=8.0, size="640x360", audio=False)

    shots = detect_shots(src, probe(src))

    assert [(shot.start_frame, shot.end_frame) for shot in shots] == [(0, 200)]


def test_shots_shorter_than_the_minimum_are_merged(tmp_path: Path) -> None:
    # A 0.32 s blue flash between red and green.
    shots_in = [("color=c=red", 50, ""), ("color=c=blue", 8, ""), ("color=c=green", 50, "")]
    src = make_shots(tmp_path / "short.mp4", shots_in)
    info = probe(src)

    merged = detect_shots(src, info, min_shot_s=0.5)
    kept = detect_shots(src, info, min_shot_s=0.2)

    assert len(merged) == 2
    assert merged[1].start_frame in (50, 58)
    assert min(shot.end_s - shot.start_s for shot in merged) >= 0.5
    assert [shot.start_frame for shot in kept] == [0, 50, 58]


def test_a_higher_threshold_ignores_a_small_change(tmp_path: Path) -> None:
    # Two close greys: a real cut, but a faint one.
    shots_in = [("color=c=0x606060", 40, ""), ("color=c=0x909090", 40, "")]
    src = make_shots(tmp_path / "faint.mp4", shots_in)
    info = probe(src)

    assert len(detect_shots(src, info, threshold=0.04)) == 2
    assert len(detect_shots(src, info, threshold=0.2)) == 1


def test_a_fade_through_black_splits_the_shots(tmp_path: Path) -> None:
    shots_in = [
        ("color=c=red", 50, "fade=t=out:start_frame=38:nb_frames=12"),
        ("color=c=black", 10, ""),
        ("color=c=green", 50, "fade=t=in:start_frame=0:nb_frames=12"),
    ]
    src = make_shots(tmp_path / "fade.mp4", shots_in)
    info = probe(src)

    shots = detect_shots(src, info)

    assert len(shots) == 2
    assert_tiles(shots, info.duration_s or 0)
    # Somewhere in the black between the two pictures.
    assert 48 <= shots[1].start_frame <= 62


def test_progress_rises_to_one(rgb_shots: Path) -> None:
    seen: list[float] = []

    detect_shots(rgb_shots, probe(rgb_shots), seen.append)

    assert seen and seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0, abs=0.05)


def test_shots_serialise_to_json(rgb_shots: Path) -> None:
    shots = detect_shots(rgb_shots, probe(rgb_shots))

    data = json.loads(json.dumps([shot.to_dict() for shot in shots]))

    assert data[1]["start_frame"] == shots[1].start_frame
    assert set(data[0]) == {"index", "start_s", "end_s", "start_frame", "end_frame", "cut_score"}
    assert data[1]["cut_score"] > 0.1


def test_an_image_is_one_shot(tmp_path: Path) -> None:
    src = tmp_path / "still.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x48", "-frames:v", "1", str(src))

    shots = detect_shots(src, probe(src))

    assert [(shot.start_s, shot.end_s) for shot in shots] == [(0.0, 0.0)]


def test_audio_has_no_shots(tmp_path: Path) -> None:
    src = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(src))

    with pytest.raises(MediaError):
        detect_shots(src, probe(src))


SPLIT_SHOTS = [
    ("testsrc2", 100, ""),
    ("color=c=red", 40, ""),
    ("testsrc2", 60, "hue=h=120"),
    ("color=c=blue", 55, ""),
]


@pytest.fixture(scope="module")
def moving_ntsc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8.5 s at 29.97 fps: moving patterns around the points where a 3-way split falls."""
    path = tmp_path_factory.mktemp("split") / "split.mp4"
    return make_shots(path, SPLIT_SHOTS, rate="30000/1001")


def test_decoding_in_parallel_stretches_gives_the_same_shots(
    moving_ntsc: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    info = probe(moving_ntsc)
    whole = detect_shots(moving_ntsc, info)
    monkeypatch.setattr(shots_module, "MIN_PART_S", 1.0)
    monkeypatch.setattr(shots_module.os, "cpu_count", lambda: 3)

    split = detect_shots(moving_ntsc, info)

    assert [shot.start_frame for shot in whole] == [0, 100, 140, 200]
    assert split == whole
    assert "did not line up" not in caplog.text  # really decoded in three stretches


def test_stretches_that_do_not_line_up_fall_back_to_one_process(
    moving_ntsc: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(shots_module, "MIN_PART_S", 1.0)
    monkeypatch.setattr(shots_module, "_shift", lambda *_: None)

    shots = detect_shots(moving_ntsc, probe(moving_ntsc))

    assert [shot.start_frame for shot in shots] == [0, 100, 140, 200]
    assert "did not line up" in caplog.text
