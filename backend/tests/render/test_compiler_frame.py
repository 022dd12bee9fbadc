"""compile_frame: one PNG of the composed picture, reading only the clips visible then."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from render.compiler import compile_frame
from render.plan import RenderError, SourceMedia
from tests.render.media import clip, ffmpeg, gap, near, png_pixels, still_frame, timeline

RED, BLUE, BLACK, YELLOW = (255, 0, 0), (0, 0, 255), (0, 0, 0), (255, 255, 0)


def _layers() -> object:
    return timeline(
        ("Video", [clip("red", 25), clip("blue", 25), clip("still", 25),
                   clip("redblue", 25, src=25, speed=2)]),
        ("Video", [gap(25), clip("red", 25, opacity=0.5), gap(25), clip("gone", 25, name="Lost")]),
        ("Audio", [clip("red", 100)]),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("t", "color", "inputs"),
    [
        (Fraction(0), RED, 1),
        (Fraction(24, 25), RED, 1),
        (Fraction(3, 2), (128, 0, 128), 2),  # half red over blue
        (Fraction(59, 25), YELLOW, 1),  # a still, pillarboxed (checked in its middle)
        (Fraction(76, 25), RED, 1),  # 2x from 1 s: source 1.08 s, red
        (Fraction(99, 25), BLUE, 1),  # source 2.92 s, blue (an upper clip is missing)
    ],
)
def test_the_frame_shows_the_composed_picture_at_t(
    sources: dict[str, SourceMedia], t: Fraction, color: tuple, inputs: int
) -> None:
    picture, plan = still_frame(_layers(), sources, t)
    assert picture.shape == (180, 320, 3)
    assert near(picture[:, 100:220], color, tolerance=16)
    # Only what is visible is read, and never the sound.
    assert plan.args.count("-i") == inputs
    assert "[0:a]" not in plan.args[plan.args.index("-filter_complex") + 1]


def test_missing_media_is_black_with_a_warning(sources: dict[str, SourceMedia]) -> None:
    tl = timeline(("Video", [clip("gone", 25, name="Lost")]), ("Video", [clip(None, 25)]))
    picture, plan = still_frame(tl, sources, Fraction(1, 2))
    assert near(picture, BLACK)
    assert any("Lost" in w for w in plan.warnings) and len(plan.warnings) == 2


def test_a_fade_and_a_smaller_size(sources: dict[str, SourceMedia]) -> None:
    tl = timeline(("Video", [clip("red", 50, fade_in={"value": 50, "rate": 25})]))
    picture, plan = still_frame(tl, sources, Fraction(1), height=90)
    assert (plan.width, plan.height) == picture.shape[1::-1] == (160, 90)
    assert near(picture, (128, 0, 0), tolerance=16)


def test_it_can_write_a_file(sources: dict[str, SourceMedia], tmp_path: Path) -> None:
    out = tmp_path / "frame.png"
    plan = compile_frame(timeline(("Video", [clip("blue", 25)])), sources, Fraction(0), str(out))
    ffmpeg(plan.args)
    assert near(png_pixels(out.read_bytes()), BLUE)


@pytest.mark.parametrize("t", [Fraction(-1, 100), Fraction(2), Fraction(5)])
def test_a_time_outside_the_timeline_is_refused(
    sources: dict[str, SourceMedia], t: Fraction
) -> None:
    with pytest.raises(RenderError, match="outside"):
        compile_frame(timeline(("Video", [clip("red", 50)])), sources, t)
    with pytest.raises(RenderError):
        compile_frame(timeline(), sources, Fraction(0))
