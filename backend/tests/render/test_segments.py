"""Smart rendering's plan: which output frames copy a source and which are encoded."""

from __future__ import annotations

from fractions import Fraction

from render.packets import StreamFacts
from render.plan import SourceMedia
from render.segments import Segment, encode_runs, plan_segments, video_slots
from tests.render.media import RATE, SIZE, clip, gap, solid, timeline, title, transition

A = SourceMedia(path="/a.mp4", kind="video", duration_s=4, width=320, height=180, fps=Fraction(25))
FPS = Fraction(RATE)
SOURCES = {"a": A, "b": SourceMedia(**{**A.__dict__, "path": "/b.mp4"})}


def facts(frames: int = 100, keys: tuple[int, ...] = (0, 25, 50, 75), **changes) -> StreamFacts:
    values = dict(
        codec="h264", width=320, height=180, rate=FPS, pix_fmt="yuv420p",
        frames=frames, keyframes=keys, nal_length_size=4, copyable=True, reason=None,
    )  # fmt: skip
    return StreamFacts(**{**values, **changes})


def plan(tl, found: StreamFacts | None = None, first: int = 0, last: int | None = None, **kw):
    info = found or facts()
    end = last if last is not None else 100
    return plan_segments(
        video_slots(tl, SOURCES), FPS, lambda _path: info, SIZE, first, end, min_copy=25, **kw
    )


def test_a_whole_clip_on_keyframes_is_copied_in_one_piece() -> None:
    assert plan(timeline(("Video", [clip("a", 100)]))) == [Segment(0, 100, "/a.mp4", 0)]


def test_cut_points_between_keyframes_are_encoded_up_to_the_next_keyframe() -> None:
    # Source frames 10-69: keyframes 25 and 50 bound the only whole GOP inside.
    tl = timeline(("Video", [clip("a", 60, src=10), clip("b", 40)]))
    assert plan(tl) == [
        Segment(0, 15),
        Segment(15, 40, "/a.mp4", 25),
        Segment(40, 60),
        # Source frames 0-39 of b: one whole GOP, then the start of the next.
        Segment(60, 85, "/b.mp4", 0),
        Segment(85, 100),
    ]


def test_a_copy_shorter_than_the_minimum_is_encoded() -> None:
    tl = timeline(("Video", [clip("a", 40, src=10), clip("a", 60, src=20)]))
    assert plan(tl, facts(keys=(0, 50))) == [Segment(0, 100)]


def test_a_title_above_splits_the_copy_and_its_frames_are_encoded() -> None:
    tl = timeline(("Video", [clip("a", 100)]), ("Video", [gap(30), title("Hi", 20)]))
    assert plan(tl) == [
        Segment(0, 25, "/a.mp4", 0),
        Segment(25, 50),
        Segment(50, 100, "/a.mp4", 50),
    ]


def test_an_opaque_clip_on_an_upper_track_hides_the_track_below_and_is_copied() -> None:
    tl = timeline(("Video", [solid("red", 100)]), ("Video", [gap(25), clip("a", 50, src=25)]))
    assert plan(tl) == [Segment(0, 25), Segment(25, 75, "/a.mp4", 25), Segment(75, 100)]


def test_transitions_fades_opacity_and_speed_are_encoded() -> None:
    dissolve = timeline(("Video", [clip("a", 50), transition(10, 10), clip("b", 50, src=50)]))
    assert plan(dissolve) == [
        Segment(0, 25, "/a.mp4", 0),
        Segment(25, 75),
        Segment(75, 100, "/b.mp4", 75),
    ]
    for changed in (clip("a", 100, opacity=0.5), clip("a", 100, speed=2)):
        assert plan(timeline(("Video", [changed]))) == [Segment(0, 100)], changed
    # A 30-frame fade in: copying starts at the first keyframe after it.
    faded = timeline(("Video", [clip("a", 100, fade_in={"value": 30, "rate": RATE})]))
    assert plan(faded) == [Segment(0, 50), Segment(50, 100, "/a.mp4", 50)]


def test_media_that_does_not_match_the_output_is_encoded() -> None:
    tl = timeline(("Video", [clip("a", 100)]))
    for found in (
        facts(copyable=False, reason="variable frame rate"),
        facts(width=640, height=360),
        facts(rate=Fraction(30)),
    ):
        assert plan(tl, found) == [Segment(0, 100)], found
    unread = plan_segments(video_slots(tl, SOURCES), FPS, None, SIZE, 0, 100, min_copy=25)
    assert unread == [Segment(0, 100)]
    turned = {"a": SourceMedia(**{**A.__dict__, "rotation": 90})}
    assert plan_segments(
        video_slots(tl, turned), FPS, lambda _p: facts(), SIZE, 0, 100, min_copy=25
    ) == [Segment(0, 100)]


def test_a_copy_never_reads_past_the_media_and_ends_at_its_last_frame() -> None:
    # The clip asks for 100 frames of media that has 90: the copy stops at the media's end.
    tl = timeline(("Video", [clip("a", 100)]))
    assert plan(tl, facts(frames=90, keys=(0, 25, 50, 75))) == [
        Segment(0, 90, "/a.mp4", 0),
        Segment(90, 100),
    ]


def test_a_range_copies_only_inside_it() -> None:
    tl = timeline(("Video", [clip("a", 100)]))
    assert plan(tl, first=10, last=90) == [
        Segment(10, 25),
        Segment(25, 75, "/a.mp4", 25),
        Segment(75, 90),
    ]


def test_long_cuts_are_encoded_a_bounded_number_of_clips_at_a_time() -> None:
    tl = timeline(("Video", [solid(c, 5) for c in ["red", "blue"] * 30]))
    segments = plan_segments(
        video_slots(tl, SOURCES), FPS, None, SIZE, 0, 300, min_copy=25, max_clips=24
    )
    assert [(s.start, s.end) for s in segments] == [(0, 120), (120, 240), (240, 300)]
    assert not any(s.copied for s in segments)


def test_encoded_stretches_share_a_run_up_to_the_clip_limit() -> None:
    titles = ("Video", [gap(30), title("Hi", 15), gap(35), title("Bye", 10)])
    tl = timeline(("Video", [clip("a", 100)]), titles)
    segments = plan(tl)
    assert [s.copied for s in segments] == [True, False, True, False]
    # Each encoded stretch shows the clip and one title; the clip, opened once per
    # stretch, counts twice.
    assert encode_runs(video_slots(tl, SOURCES), segments, max_clips=4) == [[1, 3]]
    assert encode_runs(video_slots(tl, SOURCES), segments, max_clips=3) == [[1], [3]]
