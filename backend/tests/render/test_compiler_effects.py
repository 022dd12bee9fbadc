"""Clip properties and generators: speed, volume, fades, titles, solids, unknown effects."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from models.timeline_models import Effect
from render.audio_graph import atempo
from render.compiler import compile_render
from render.plan import SourceMedia
from render.presets import PRESETS
from render.titles import DEFAULT_FONT
from tests.render.media import (
    audio,
    clip,
    duration,
    frame_at,
    gap,
    near,
    render,
    rms,
    solid,
    still_frame,
    timeline,
    title,
)

RED, BLUE, BLACK, WHITE = (255, 0, 0), (0, 0, 255), (0, 0, 0), (255, 255, 255)
FRAME = 1 / 25


def test_a_faster_clip_lasts_less_and_reaches_further_into_its_media(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    # redblue is red for 2 s then blue for 2 s; at 2x its 4 s take 2 s on the track.
    tl = timeline(
        ("Video", [clip("redblue", 50, speed=2), clip("silent", 25)]),
        ("Audio", [clip("tone", 25, speed=4), gap(50)]),
    )
    out = tmp_path / "speed.mp4"
    render(tl, sources, out)
    assert abs(duration(out) - 3.0) <= FRAME
    assert near(frame_at(out, 0.9), RED) and near(frame_at(out, 1.1), BLUE)
    assert near(frame_at(out, 2.5), (255, 0, 255))
    # 2 s of tone then 2 s of silence at 4x: a tone for 0.5 s, silence for 0.5 s.
    sound = audio(out)
    assert rms(sound, 0.05, 0.45) > 0.05
    assert rms(sound, 0.55, 0.95) < 0.005


def test_a_slower_clip_lasts_longer(sources: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(
        ("Video", [clip("redblue", 100, src=40, speed=0.25)]),  # source 1.6-2.6 s over 4 s
        ("Audio", [clip("tone", 100, src=40, speed=0.25)]),  # source 1.6-2.6 s: tone until 1.6 s
    )
    out = tmp_path / "slow.mp4"
    render(tl, sources, out)
    assert abs(duration(out) - 4.0) <= FRAME
    assert near(frame_at(out, 1.4), RED) and near(frame_at(out, 1.8), BLUE)
    sound = audio(out)
    assert rms(sound, 0.1, 1.4) > 0.05 and rms(sound, 1.8, 3.9) < 0.005


def test_atempo_chains_stay_within_its_limits() -> None:
    assert atempo(Fraction(4)) == ["atempo=2", "atempo=2"]
    assert atempo(Fraction(1, 4)) == ["atempo=0.5", "atempo=0.5"]
    assert atempo(Fraction(3)) == ["atempo=2", "atempo=1.5"]
    assert atempo(Fraction(1)) == []


def test_volume_scales_a_clip_and_tracks_are_summed_not_averaged(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [clip("red", 75)]),
        ("Audio", [clip("red", 25), clip("red", 25, src=25, volume=0.25), clip("red", 25, src=50)]),
        ("Audio", [gap(50), clip("red", 25, src=50)]),
    )
    out = tmp_path / "volume.mp4"
    render(tl, sources, out)
    sound = audio(out)
    full, quiet, both = rms(sound, 0.1, 0.9), rms(sound, 1.1, 1.9), rms(sound, 2.1, 2.9)
    assert full == pytest.approx(rms(audio(Path(sources["red"].path)), 0.1, 0.9), rel=0.1)
    assert quiet / full == pytest.approx(0.25, rel=0.1)
    # The same tone in phase on two tracks: twice the level, as a mixer would play it.
    assert both / full == pytest.approx(2.0, rel=0.1)


def test_fades_go_from_black_below_and_to_transparent_above(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    half_second = {"value": 12.5, "rate": 25}
    tl = timeline(
        ("Video", [clip("red", 50, fade_in={"value": 25, "rate": 25}), clip("blue", 50)]),
        ("Video", [gap(50), clip("red", 50, fade_out={"value": 25, "rate": 25})]),
        ("Audio", [clip("red", 50, fade_out=half_second)]),
    )
    out = tmp_path / "fades.mp4"
    render(tl, sources, out)
    assert near(frame_at(out, 0.0), BLACK)
    assert near(frame_at(out, 0.5), (128, 0, 0), tolerance=20)
    assert near(frame_at(out, 1.5), RED)
    assert near(frame_at(out, 3.5), (128, 0, 128), tolerance=20)  # half red over blue
    sound = audio(out)
    assert rms(sound, 1.0, 1.5) > 0.05
    assert rms(sound, 1.8, 2.0) < 0.5 * rms(sound, 1.5, 1.6)
    # A range that starts half way through a fade starts half faded.
    part = tmp_path / "fade_range.mp4"
    render(tl, sources, part, start=Fraction(1, 2), end=Fraction(3, 2))
    assert near(frame_at(part, 0.0), (128, 0, 0), tolerance=20)


def _text_mask(with_title: np.ndarray, without: np.ndarray) -> np.ndarray:
    return np.abs(with_title - without).sum(axis=2) > 60


@pytest.mark.parametrize("text", ["Hello", "It's 50% off: a, b", "[x];\\ 'q' \"w\" {%d} =,:"])
def test_a_title_draws_text_where_placed_and_nowhere_else(
    sources: dict[str, SourceMedia], tmp_path: Path, text: str
) -> None:
    tl = timeline(
        ("Video", [clip("blue", 50)]),
        ("Video", [gap(25), title(text, 25, position="bottom", font_size=24, color="#FFFFFF")]),
    )
    out = tmp_path / "title.mp4"
    plan = render(tl, sources, out)
    assert plan.warnings == []
    changed = _text_mask(frame_at(out, 1.5), frame_at(out, 0.5))
    assert changed.sum() > 100  # letters were drawn
    rows = np.flatnonzero(changed.any(axis=1))
    assert rows.min() > 120  # all near the bottom
    assert near(frame_at(out, 1.5)[:100], BLUE)
    picture, _ = still_frame(tl, sources, Fraction(3, 2))
    assert _text_mask(picture, frame_at(out, 0.5)).sum() > 100


def test_a_title_on_the_bottom_track_is_drawn_on_black_with_its_box(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [title("Top left", 25, position="top_left", color="#FF0000", font="DejaVu Serif",
                         background="#FFFFFF", font_size=20)]),
    )  # fmt: skip
    out = tmp_path / "bottom_title.mp4"
    plan = render(tl, sources, out, preset="draft")  # 540p: three times the timeline's size
    frame = frame_at(out, 0.5, size=(960, 540))
    assert near(frame[300:], BLACK) and near(frame[:, 600:], BLACK)
    box = frame[:100, :400]
    assert (np.abs(box - np.array(WHITE)).sum(axis=2) < 60).sum() > 1000  # the background box
    assert (np.abs(box - np.array(RED)).sum(axis=2) < 90).sum() > 100  # red letters
    script = plan.args[plan.args.index("-filter_complex") + 1]
    assert "fontsize=60" in script and "DejaVuSerif" in script and DEFAULT_FONT not in script


def test_titles_fall_back_to_the_default_font(sources: dict[str, SourceMedia]) -> None:
    tl = timeline(("Video", [title("x", 25, font="")]))
    plan = compile_render(tl, sources, PRESETS["high"], "out.mp4")
    assert DEFAULT_FONT in plan.args[plan.args.index("-filter_complex") + 1]


def test_solids_fill_the_frame_and_blend_by_their_alpha(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [solid("#00FF00", 25), clip("blue", 25)]),
        ("Video", [gap(25), solid("#FF000080", 25), solid("#FFFFFF", 25)]),
    )
    out = tmp_path / "solids.mp4"
    render(tl, sources, out)
    assert near(frame_at(out, 0.5), (0, 255, 0))
    assert near(frame_at(out, 1.5), (128, 0, 127), tolerance=20)
    assert near(frame_at(out, 2.5), (255, 255, 255))  # past the end of the track below


def test_unknown_effects_are_skipped_with_a_warning(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    shot = clip("red", 25, name="Graded shot")
    shot.effects.append(Effect(id="fx1", effect_name="ColorCorrect"))
    tl = timeline(("Video", [shot]))
    out = tmp_path / "effect.mp4"
    plan = render(tl, sources, out)
    assert any("ColorCorrect" in w and "Graded shot" in w for w in plan.warnings)
    assert near(frame_at(out, 0.5), RED)
