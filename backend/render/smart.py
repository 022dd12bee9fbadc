"""Render a timeline to a file in one ffmpeg run, or, when it pays, in segments: stretches
where the picture is one untouched source are copied (no re-encode, no generation loss),
the rest is encoded a bounded number of clips at a time, the sound is rendered once, and the
pieces are spliced without re-encoding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from models.timeline_models import Timeline
from operators.timeline_ops.core import clock_of
from render.compiler import compile_pieces, compile_render, frame_range
from render.layout import output_size
from render.packets import StreamFacts, stream_facts
from render.plan import Preset, RenderPlan, SourceMedia
from render.runner import RenderCancelled, cancel_watch, run_plan
from render.segments import (
    MAX_CLIPS_PER_RUN,
    Segment,
    encode_runs,
    plan_segments,
    video_slots,
)
from render.splice import Span, SpliceCancelled, splice

# Shorter copies are not worth the extra encoder start they cost.
MIN_COPY_S = 1
# Share of the work given to the sound and to splicing, next to one encoded frame each.
AUDIO_WEIGHT, SPLICE_WEIGHT = 0.05, 0.02


@dataclass
class RenderWork:
    """What a render will run: one plan, or segments (encode plans for the encoded ones)
    plus a sound plan; and what the render row shows before it runs."""

    width: int
    height: int
    rate: Fraction
    duration_s: float
    warnings: list[str]
    single: RenderPlan | None = None
    segments: list[Segment] = field(default_factory=list)
    # One plan per encoder run; each encoded segment is frames [offset, offset + frames) of
    # a run's output: segment index -> (run index, offset).
    plans: list[RenderPlan] = field(default_factory=list)
    placed: dict[int, tuple[int, int]] = field(default_factory=dict)
    audio: RenderPlan | None = None

    def stats(self) -> dict[str, float | int]:
        """Segments and seconds copied and encoded."""
        if self.single is not None:
            return {"segments": 1, "copied_s": 0.0, "encoded_s": round(self.duration_s, 3)}
        copied = sum(s.frames for s in self.segments if s.copied)
        encoded = sum(s.frames for s in self.segments if not s.copied)
        return {
            "segments": len(self.segments),
            "copied_s": round(float(copied / self.rate), 3),
            "encoded_s": round(float(encoded / self.rate), 3),
        }


def probe_streams(
    sources: Mapping[str, SourceMedia], rate: Fraction
) -> dict[str, StreamFacts | None]:
    """Stream facts by path of the video sources at the timeline's rate: the ones that may be
    copied, or need no retiming. Facts kept at ingest are used; only files without them are
    read (the others not at all)."""
    return {
        media.path: media.facts if media.facts is not None else stream_facts(media.path)
        for media in sources.values()
        if media.kind == "video" and media.fps == rate
    }


def _steady(
    sources: Mapping[str, SourceMedia], facts: Mapping[str, StreamFacts | None]
) -> dict[str, SourceMedia]:
    """The sources, marked constant-rate where their packets showed it."""
    out = {}
    for key, media in sources.items():
        found = facts.get(media.path)
        out[key] = replace(media, constant_rate=True) if found and found.constant_rate else media
    return out


def plan_work(
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    preset: Preset,
    output: Path,
    *,
    start: Fraction = Fraction(0),
    end: Fraction | None = None,
    smart: bool = True,
    max_clips: int = MAX_CLIPS_PER_RUN,
) -> RenderWork:
    """Decide how to render [start, end) to `output`: copy where possible (`smart`), chunk
    long cuts; pieces go next to `output`."""
    workdir = output.parent
    first, last = frame_range(timeline, start, end)
    rate = clock_of(timeline).rate
    size = output_size(timeline.settings, preset.height)
    facts = probe_streams(sources, rate)
    sources = _steady(sources, facts)
    tracks = video_slots(timeline, sources)
    segments = plan_segments(
        tracks, rate, facts.get if smart else None, size, first, last,
        min_copy=MIN_COPY_S * rate, max_clips=max_clips,
    )  # fmt: skip
    duration = float(Fraction(last - first) / rate)
    work = RenderWork(size[0], size[1], rate, duration, [])
    if len(segments) == 1 and not segments[0].copied:
        work.single = compile_render(timeline, sources, preset, str(output), start=start, end=end)
        work.warnings = list(work.single.warnings)
        return work
    work.segments = segments
    for r, run in enumerate(encode_runs(tracks, segments, max_clips)):
        pieces = [(segments[i].start, segments[i].end) for i in run]
        out = str(workdir / f"pieces-{r}.mp4")
        work.plans.append(compile_pieces(timeline, sources, preset, out, pieces))
        offset = 0
        for i in run:
            work.placed[i] = (r, offset)
            offset += segments[i].frames
    work.audio = compile_render(
        timeline, sources, preset, str(workdir / "sound.m4a"), start=start, end=end, streams="audio"
    )
    # Each piece warns about what it shows; say each thing once, in order.
    plans = [*work.plans, work.audio]
    work.warnings = list(dict.fromkeys(w for plan in plans for w in plan.warnings))
    return work


def _output(plan: RenderPlan) -> Path:
    return Path(plan.args[-1])


def run_work(
    work: RenderWork,
    output: Path,
    *,
    progress: Callable[[float], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    timeout: float | None = None,
    parallel: int = 1,
) -> None:
    """Run the work, leaving the finished MP4 at `output` (percent 0-100 to `progress`).

    The sound renders alongside the picture. `parallel` encoder runs go at once: more uses
    more cores (x264 alone does not fill many), at up to `parallel` times the memory of one
    run of MAX_CLIPS_PER_RUN clips; on 2 cores a second run gained about 5 %.
    """
    report = progress or (lambda _percent: None)
    if work.single is not None:
        run_plan(work.single, output, progress=report, is_cancelled=is_cancelled, timeout=timeout)
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    frames = sum(s.frames for s in work.segments)
    total = sum(s.frames for s in work.segments if not s.copied)
    total += (AUDIO_WEIGHT + SPLICE_WEIGHT) * frames
    shares: dict[int, float] = {}  # piece -> weighted work done
    lock = threading.Lock()

    def step(key: int, weight: float) -> Callable[[float], None]:
        def update(percent: float) -> None:
            with lock:
                shares[key] = weight * percent / 100.0
                report(100.0 * sum(shares.values()) / total)

        return update

    def remaining() -> float | None:
        return None if deadline is None else max(1.0, deadline - time.monotonic())

    audio = work.audio
    assert audio is not None
    spans: list[Span] = []
    weights = [0] * len(work.plans)  # each run's encoded frames
    for i, seg in enumerate(work.segments):
        if seg.path is not None:
            spans.append(Span(seg.path, seg.source_first, seg.frames))
            continue
        r, offset = work.placed[i]
        spans.append(Span(_output(work.plans[r]), offset, seg.frames))
        weights[r] += seg.frames
    with (
        cancel_watch(is_cancelled) as cancel,
        ThreadPoolExecutor(1) as sound,
        ThreadPoolExecutor(max(1, parallel)) as pieces,
    ):

        def run(key: int, plan: RenderPlan, weight: float) -> Future[None]:
            progress = step(key, weight)
            return (sound if key == -1 else pieces).submit(
                run_plan, plan, _output(plan), progress=progress, cancel=cancel,
                timeout=remaining(),
            )  # fmt: skip

        runs = [run(-1, audio, AUDIO_WEIGHT * frames)]
        runs += [run(r, plan, weights[r]) for r, plan in enumerate(work.plans)]
        try:
            for done in as_completed(runs):
                done.result()
        except BaseException:
            cancel.set()  # stops the other pieces; their own outcome no longer matters
            for waiting in runs:
                waiting.cancel()
            raise
        joined = step(-2, SPLICE_WEIGHT * frames)
        try:
            splice(
                spans, work.rate, output, audio=_output(audio), cancel=cancel,
                progress=lambda fraction: joined(100.0 * fraction),
            )  # fmt: skip
        except SpliceCancelled:
            raise RenderCancelled("the render was cancelled") from None
