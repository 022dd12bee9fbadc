"""Transitions: dissolves and wipes in renders and in single frames, audio cross-fades, and
transitions cut by a range."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from render.plan import SourceMedia
from tests.render.media import (
    audio,
    clip,
    duration,
    frame_at,
    gap,
    near,
    render,
    rms,
    still_frame,
    timeline,
    transition,
)

RED, BLUE, BLACK = (255, 0, 0), (0, 0, 255), (0, 0, 0)
FRAME = 1 / 25


def _cut(kind: str = "SMPTE_Dissolve", before: int = 10, after: int = 10) -> list:
    # Red then blue, cut at 2 s; both have 1 s of media beyond the part on the track.
    return [clip("red", 50, src=25), transition(before, after, kind), clip("blue", 50, src=25)]


def test_a_dissolve_blends_across_the_cut_and_keeps_the_length(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", _cut()), ("Audio", _cut()))
    out = tmp_path / "dissolve.mp4"
    plan = render(tl, sources, out)
    assert plan.warnings == []
    assert abs(duration(out) - 4.0) <= FRAME
    assert near(frame_at(out, 1.5), RED) and near(frame_at(out, 2.5), BLUE)
    middle = frame_at(out, 2.0)  # frame 50: half way through frames 40-59
    assert near(middle, (128, 0, 128), tolerance=16)
    early, late = frame_at(out, 1.64), frame_at(out, 2.36)
    assert early[90, 160, 0] > middle[90, 160, 0] > late[90, 160, 0]
    # The sound cross-fades too: no silence in the overlap (linear fades of two different
    # tones dip by 3 dB at the midpoint).
    sound = audio(out)
    level = rms(sound, 1.0, 1.5)
    assert all(rms(sound, t, t + 0.05) > 0.6 * level for t in np.arange(1.6, 2.4, 0.05))
    assert abs(duration(out) - 4.0) <= FRAME


LEFT, RIGHT = (slice(None), slice(None, 150)), (slice(None), slice(170, None))
TOP, BOTTOM = (slice(None, 80), slice(None)), (slice(100, None), slice(None))


@pytest.mark.parametrize(
    ("kind", "blue_part", "red_part"),
    [
        ("wipe_left", RIGHT, LEFT),  # the incoming clip enters from the right
        ("wipe_right", LEFT, RIGHT),
        ("wipe_up", BOTTOM, TOP),
        ("wipe_down", TOP, BOTTOM),
    ],
)
def test_a_wipe_is_half_and_half_at_its_midpoint(
    sources: dict[str, SourceMedia], tmp_path: Path, kind: str, blue_part: tuple, red_part: tuple
) -> None:
    tl = timeline(("Video", _cut(kind)))
    out = tmp_path / f"{kind}.mp4"
    render(tl, sources, out)
    middle = frame_at(out, 2.0)
    assert near(middle[blue_part], BLUE) and near(middle[red_part], RED)
    assert (middle[..., 2] > 128).mean() == pytest.approx(0.5, abs=0.05)
    # compile_frame shows the same picture.
    picture, _ = still_frame(tl, sources, Fraction(2))
    assert near(picture[blue_part], BLUE) and near(picture[red_part], RED)
    assert (picture[..., 2] > 128).mean() == pytest.approx(0.5, abs=0.05)


def test_an_unknown_transition_is_a_dissolve_with_a_warning(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", _cut("Iris_Star")))
    out = tmp_path / "iris.mp4"
    plan = render(tl, sources, out)
    assert any("Iris_Star" in w for w in plan.warnings)
    assert near(frame_at(out, 2.0), (128, 0, 128), tolerance=16)


def test_a_range_starting_inside_a_transition_starts_blended(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", _cut()), ("Audio", _cut()))
    out = tmp_path / "range.mp4"
    render(tl, sources, out, start=Fraction(2), end=Fraction(3))
    assert abs(duration(out) - 1.0) <= FRAME
    assert near(frame_at(out, 0.0), (128, 0, 128), tolerance=16)
    assert near(frame_at(out, 0.6), BLUE)
    assert rms(audio(out), 0.0, 0.95) > 0.05


def test_a_range_ending_inside_a_transition(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [gap(10), *_cut()]), ("Video", [gap(10), *_cut("wipe_left")]))
    out = tmp_path / "range_end.mp4"
    render(tl, sources, out, start=Fraction(1), end=Fraction(21, 10))
    assert abs(duration(out) - 1.1) <= FRAME
    assert near(frame_at(out, 0.1), RED)
    assert near(frame_at(out, 1.04)[:, :100], RED)  # the wipe has only just begun


def test_a_dissolve_on_an_upper_track_shows_the_track_below_through_a_missing_clip(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    # Red dissolves into a clip whose media is gone: it fades to the blue below, not to black.
    tl = timeline(
        ("Video", [clip("blue", 100)]),
        ("Video", [clip("red", 50, src=25), transition(10, 10), clip(None, 50, name="Offline")]),
    )
    out = tmp_path / "upper.mp4"
    plan = render(tl, sources, out)
    assert any("Offline" in w for w in plan.warnings)
    assert near(frame_at(out, 1.0), RED)
    assert near(frame_at(out, 2.0), (128, 0, 128), tolerance=16)
    assert near(frame_at(out, 3.0), BLUE)
    picture, _ = still_frame(tl, sources, Fraction(2))
    assert near(picture, (128, 0, 128), tolerance=16)


def test_compile_frame_inside_a_dissolve_is_a_blend(sources: dict[str, SourceMedia]) -> None:
    tl = timeline(("Video", _cut()))
    picture, plan = still_frame(tl, sources, Fraction(2))
    assert near(picture, (128, 0, 128), tolerance=16)
    assert plan.args.count("-i") == 2
    before, _ = still_frame(tl, sources, Fraction(41, 25))  # frame 41 of 40-59
    assert near(before, (242, 0, 13), tolerance=16)
