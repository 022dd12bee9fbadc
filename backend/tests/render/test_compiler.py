"""compile_render: cuts, gaps, layers, opacity, conforming mixed media, stills, missing media,
ranges. Each test runs the compiled command and decodes what it wrote."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from render.compiler import compile_render, timeline_duration
from render.plan import RenderError, SourceMedia
from render.presets import PRESETS
from render.runner import MAX_INLINE_GRAPH, graph_in_file
from tests.render.media import (
    audio,
    clip,
    duration,
    frame_at,
    gap,
    near,
    nested,
    render,
    rms,
    stream_durations,
    timeline,
)

RED, BLUE, BLACK = (255, 0, 0), (0, 0, 255), (0, 0, 0)
LIME, YELLOW, WHITE = (0, 255, 0), (255, 255, 0), (255, 255, 255)
FRAME = 1 / 25


def test_cuts_play_each_clip_in_its_place_for_the_timeline_length(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [clip("red", 25, src=10), clip("blue", 25)]),
        ("Audio", [clip("red", 25, src=10), clip("blue", 25)]),
    )
    out = tmp_path / "cuts.mp4"
    plan = render(tl, sources, out)
    assert timeline_duration(tl) == 2
    assert (plan.width, plan.height, plan.duration_s, plan.warnings) == (320, 180, 2.0, [])
    assert near(frame_at(out, 0.0), RED) and near(frame_at(out, 0.96), RED)
    assert near(frame_at(out, 1.0), BLUE) and near(frame_at(out, 1.96), BLUE)
    assert abs(duration(out) - 2.0) <= FRAME
    assert all(abs(d - 2.0) <= FRAME for d in stream_durations(out).values())
    sound = audio(out)
    assert rms(sound, 0.1, 0.9) > 0.05 and rms(sound, 1.1, 1.9) > 0.05
    # A linked clip's picture and sound come from one input, not two.
    assert plan.args.count("-i") == 2


def test_the_output_is_h264_aac_mp4_with_the_presets_settings(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [clip("red", 10)]), sample_rate=44100)
    out = tmp_path / "draft.mp4"
    plan = render(tl, sources, out, preset="draft")
    assert (plan.width, plan.height) == (960, 540)  # 540p, the timeline's 16:9
    args = plan.args
    assert args[args.index("-crf") + 1] == "28" and args[args.index("-preset") + 1] == "veryfast"
    assert "+faststart" in args and args[-1] == str(out)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_name,width,height,pix_fmt,r_frame_rate,sample_rate,channels",
         "-of", "csv=p=0", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert probe[0] == "h264,960,540,yuv420p,25/1"
    assert probe[1].startswith("aac,44100,2")  # silent, but present


def test_gaps_are_black_and_silent_and_upper_gaps_show_the_track_below(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [gap(25), clip("blue", 25), gap(25)]),
        ("Video", [clip("red", 25), gap(25), clip("silent", 10), gap(15)]),
        ("Audio", [clip("red", 25), gap(50)]),
    )
    out = tmp_path / "gaps.mp4"
    render(tl, sources, out)
    assert near(frame_at(out, 0.5), RED)  # over a gap on the bottom track
    assert near(frame_at(out, 1.5), BLUE)  # the upper track's gap shows the bottom one
    assert near(frame_at(out, 2.2), (255, 0, 255))
    assert near(frame_at(out, 2.8), BLACK)  # a gap on both
    sound = audio(out)
    assert rms(sound, 0.1, 0.9) > 0.05
    assert rms(sound, 1.1, 2.9) < 0.001
    assert abs(duration(out) - 3.0) <= FRAME


def test_opacity_blends_with_what_is_below(sources: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(
        ("Video", [clip("blue", 25), clip("red", 25, opacity=0.5)]),
        ("Video", [clip("red", 25, opacity=0.5)]),
    )
    out = tmp_path / "opacity.mp4"
    render(tl, sources, out)
    assert near(frame_at(out, 0.5), (128, 0, 128))  # half red over blue
    assert near(frame_at(out, 1.5), (128, 0, 0))  # the bottom layer has only black below


def test_other_shapes_are_letterboxed_or_pillarboxed_never_stretched(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [clip("green43", 25), clip("wide", 25)]))
    out = tmp_path / "shapes.mp4"
    render(tl, sources, out)
    four_three = frame_at(out, 0.5)
    lime_columns = np.flatnonzero(four_three[90, :, 1] > 128)
    assert 236 <= len(lime_columns) <= 244  # 4:3 at 180 high is 240 wide
    assert near(four_three[:, :30], BLACK) and near(four_three[:, -30:], BLACK)
    assert near(four_three[:, 100:220], LIME)
    wide = frame_at(out, 1.5)
    white_rows = np.flatnonzero(wide[:, 160, 0] > 128)
    assert 116 <= len(white_rows) <= 124  # 8:3 at 320 wide is 120 high
    assert near(wide[:20], BLACK) and near(wide[-20:], BLACK) and near(wide[50:130], WHITE)


def test_a_rotated_phone_video_plays_upright_and_pillarboxed(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [clip("rotated", 25)]))
    out = tmp_path / "rotated.mp4"
    render(tl, sources, out)
    picture = frame_at(out, 0.5)
    white_columns = np.flatnonzero(picture[90, :, 0] > 128)
    assert 98 <= len(white_columns) <= 106  # 9:16 at 180 high is 101 wide
    assert near(picture[:, :100], BLACK) and near(picture[:, 120:200], WHITE)


def test_mixed_frame_rates_and_sample_rates_conform(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [clip("green43", 25, src=5), clip("red", 25)]),
        ("Audio", [clip("green43", 25, src=5), clip("tone", 25), clip("red", 25)]),
    )
    out = tmp_path / "mixed.mp4"
    render(tl, sources, out)
    rates = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=r_frame_rate,sample_rate,nb_frames",
         "-of", "csv=p=0", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert rates[0] == "25/1,75" and rates[1].startswith("48000")
    assert near(frame_at(out, 0.5)[:, 100:220], LIME) and near(frame_at(out, 1.5), RED)
    sound = audio(out)
    # 44.1 kHz, 22.05 kHz mono and 48 kHz sources all play, one after another.
    assert rms(sound, 0.1, 0.9) > 0.05 and rms(sound, 1.1, 1.9) > 0.05
    assert rms(sound, 2.1, 2.9) > 0.05
    assert abs(duration(out) - 3.0) <= FRAME


def test_a_still_is_held_for_the_clip(sources: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(("Video", [clip("still", 50), clip("red", 10)]))
    out = tmp_path / "still.mp4"
    render(tl, sources, out)
    for t in (0.0, 1.0, 1.96):
        picture = frame_at(out, t)
        assert near(picture[:, 80:240], YELLOW), t  # square: 180 wide in the middle
        assert near(picture[:, :60], BLACK), t
    assert near(frame_at(out, 2.0), RED)
    assert abs(duration(out) - 2.4) <= FRAME


def test_missing_media_is_a_black_gap_with_a_warning(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        (
            "Video",
            [clip("red", 25), clip("gone", 25, name="Lost shot"), clip(None, 25, name="Offline")],
        ),
        ("Audio", [clip("gone", 50, name="Lost sound")]),
    )
    out = tmp_path / "missing.mp4"
    plan = render(tl, sources, out)
    assert any("Lost shot" in w and "missing" in w for w in plan.warnings)
    assert any("Offline" in w for w in plan.warnings)
    assert any("Lost sound" in w for w in plan.warnings)
    assert near(frame_at(out, 0.5), RED)
    assert near(frame_at(out, 1.5), BLACK) and near(frame_at(out, 2.5), BLACK)
    assert rms(audio(out), 0.1, 2.9) < 0.001
    assert abs(duration(out) - 3.0) <= FRAME


def test_disabled_tracks_clips_and_nested_stacks_are_not_shown(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(
        ("Video", [clip("blue", 25), clip("red", 25, enabled=False), nested(25)]),
        ("Video", [clip("red", 25)]),
    )
    tl.tracks.children[1].enabled = False
    out = tmp_path / "disabled.mp4"
    plan = render(tl, sources, out)
    assert near(frame_at(out, 0.5), BLUE)
    assert near(frame_at(out, 1.5), BLACK) and near(frame_at(out, 2.5), BLACK)
    assert any("nested" in w for w in plan.warnings)


def test_a_video_without_sound_on_an_audio_track_is_silent(
    sources: dict[str, SourceMedia], tmp_path: Path
) -> None:
    tl = timeline(("Video", [clip("red", 50)]), ("Audio", [clip("silent", 25), clip("red", 25)]))
    out = tmp_path / "nosound.mp4"
    render(tl, sources, out)
    sound = audio(out)
    assert rms(sound, 0.05, 0.95) < 0.001 and rms(sound, 1.1, 1.9) > 0.05


def test_a_range_renders_only_its_part(sources: dict[str, SourceMedia], tmp_path: Path) -> None:
    tl = timeline(
        ("Video", [clip("red", 25), clip("blue", 25), clip("green43", 25)]),
        ("Audio", [clip("red", 25), clip("blue", 25), gap(25)]),
    )
    out = tmp_path / "range.mp4"
    plan = render(tl, sources, out, start=Fraction(1), end=Fraction(13, 5))
    assert plan.duration_s == pytest.approx(1.6)
    assert abs(duration(out) - 1.6) <= FRAME
    assert near(frame_at(out, 0.0), BLUE) and near(frame_at(out, 0.96), BLUE)
    assert near(frame_at(out, 1.0)[:, 100:220], LIME)
    sound = audio(out)
    assert rms(sound, 0.05, 0.95) > 0.05 and rms(sound, 1.05, 1.55) < 0.001
    # The red clip lies outside the range: its file is not even opened.
    assert sources["red"].path not in plan.args
    # A range to the end, its start snapped to a whole frame (1/30 s is nearest frame 1).
    tail = compile_render(tl, sources, PRESETS["high"], "x.mp4", start=Fraction(1, 30))
    assert tail.duration_s == pytest.approx(74 / 25)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (Fraction(2), Fraction(1), "empty"),
        (Fraction(1), Fraction(1), "empty"),
        (Fraction(-1), None, "outside"),
        (Fraction(0), Fraction(5), "outside"),
    ],
)
def test_bad_ranges_are_refused(
    sources: dict[str, SourceMedia], start: Fraction, end: Fraction | None, message: str
) -> None:
    tl = timeline(("Video", [clip("red", 50)]))
    with pytest.raises(RenderError, match=message):
        compile_render(tl, sources, PRESETS["high"], "out.mp4", start=start, end=end)


def test_an_empty_timeline_is_refused(sources: dict[str, SourceMedia]) -> None:
    for tl in (timeline(), timeline(("Video", []), ("Audio", []))):
        with pytest.raises(RenderError, match="empty"):
            compile_render(tl, sources, PRESETS["high"], "out.mp4")


def test_a_graph_too_long_for_one_argument_goes_in_a_file(tmp_path: Path) -> None:
    graph = "null" + ",null" * (MAX_INLINE_GRAPH // 5)
    args = ["-i", "in.mp4", "-filter_complex", graph, "-map", "[v]", "out.mp4"]
    moved = graph_in_file(args, tmp_path / "g.txt")
    assert moved == ["-i", "in.mp4", "-filter_complex_script", str(tmp_path / "g.txt"), *args[4:]]
    assert (tmp_path / "g.txt").read_text() == graph
    short = ["-filter_complex", "null", "out.mp4"]
    assert graph_in_file(short, tmp_path / "h.txt") == short
