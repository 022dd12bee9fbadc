"""The render compiler: a timeline version to ONE ffmpeg invocation (inputs, a -filter_complex
graph, encoder settings). Pure: it reads no files and runs nothing but `fc-match` (cached)
for title fonts.

Graph design (see video_graph, audio_graph): every clip is its own input, seeked with -ss/-t
so only the frames used are decoded, conformed to the output size/rate/format; the bottom
video track is one concat (gaps black); upper tracks' runs are shifted to their place and
overlaid; transitions cross only their overlapping frames; titles are drawtext on the picture
below; audio tracks are concatenated (gaps silent) and summed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Literal

from models.timeline_models import Timeline, round_half_up
from operators.timeline_ops.core import clock_of
from render.audio_graph import audio_stream
from render.frame import frame_stream
from render.graph import Graph, ratio, seconds
from render.layout import output_size, total_frames
from render.pictures import Canvas
from render.plan import Preset, RenderError, RenderPlan, SourceMedia
from render.video_graph import concat_video, video_stream


def timeline_duration(timeline: Timeline) -> Fraction:
    """The longest track's length in exact seconds."""
    return Fraction(total_frames(timeline)) / clock_of(timeline).rate


class _Warnings(list[str]):
    def __call__(self, message: str) -> None:
        if message not in self:
            self.append(message)


def _canvas(timeline: Timeline, height: int | None) -> Canvas:
    width, out_height = output_size(timeline.settings, height)
    rate = clock_of(timeline).rate
    return Canvas(width, out_height, rate, Fraction(out_height, timeline.settings.height))


def frame_range(timeline: Timeline, start: Fraction, end: Fraction | None) -> tuple[int, int]:
    """Frames [first, last) of the timeline that [start, end) seconds cover (checked)."""
    total = total_frames(timeline)
    if total <= 0:
        raise RenderError("the timeline is empty: there is nothing to render")
    rate = clock_of(timeline).rate
    first = round_half_up(Fraction(start) * rate)
    last = total if end is None else round_half_up(Fraction(end) * rate)
    length = Fraction(total) / rate
    if first < 0 or last > total:
        raise RenderError(
            f"the range {float(start):g}-{float(end if end is not None else length):g} s is "
            f"outside the timeline (0-{float(length):g} s)"
        )
    if last <= first:
        raise RenderError("the range is empty: its end must come at least a frame after its start")
    return first, last


def _x264(preset: Preset, cv: Canvas) -> list[str]:
    return [
        "-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf),
        "-pix_fmt", "yuv420p", "-r", ratio(cv.rate),
    ]  # fmt: skip


def compile_render(
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    preset: Preset,
    output: str,
    *,
    start: Fraction = Fraction(0),
    end: Fraction | None = None,
    streams: Literal["av", "audio"] = "av",
) -> RenderPlan:
    """One ffmpeg run rendering [start, end) of the timeline to an MP4 (H.264/AAC); `streams`
    "audio" renders only the sound (smart rendering's; its pictures: `compile_pieces`)."""
    first, last = frame_range(timeline, start, end)
    cv = _canvas(timeline, preset.height)
    warn = _Warnings()
    g = Graph()
    duration = Fraction(last - first) / cv.rate
    args: list[str] = []
    if streams != "audio":
        video = video_stream(g, timeline, sources, cv, first, last, warn)
        args += ["-map", f"[{video}]", *_x264(preset, cv)]
    audio = audio_stream(g, timeline, sources, first, last, warn)
    args += ["-map", f"[{audio}]", "-c:a", "aac", "-b:a", preset.audio_bitrate]
    args += ["-ar", str(timeline.settings.sample_rate), "-ac", "2"]
    # The graph is already exact; -t only guards against a stray frame.
    args += ["-t", seconds(duration)]
    # Pieces are joined afterwards; only a whole file needs its index at the front.
    args += ["-movflags", "+faststart"] if streams == "av" else []
    args = [*g.input_args, "-filter_complex", g.script(), *args, "-f", "mp4", output]
    return RenderPlan(args, float(duration), cv.width, cv.height, list(warn))


def compile_pieces(
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    preset: Preset,
    output: str,
    pieces: Sequence[tuple[int, int]],
) -> RenderPlan:
    """One ffmpeg run encoding the pictures of several frame ranges back to back into one MP4
    (video only), each starting on an IDR keyframe, so each can be spliced on its own."""
    if not pieces:
        raise RenderError("there are no pieces to encode")
    total = total_frames(timeline)
    for first, last in pieces:
        if not 0 <= first < last <= total:
            raise RenderError(f"frames {first}-{last} are not a range of the timeline")
    cv = _canvas(timeline, preset.height)
    warn = _Warnings()
    g = Graph()
    labels = [video_stream(g, timeline, sources, cv, a, b, warn) for a, b in pieces]
    video = concat_video(g, labels, cv)
    starts, at = [], 0
    for a, b in pieces:
        starts.append(at)
        at += b - a
    # Exact frame numbers, not times: a keyframe exactly where each piece begins, an IDR so
    # no frame before it is referenced after it.
    keys = "+".join(f"eq(n,{n})" for n in starts)
    args = [*g.input_args, "-filter_complex", g.script(), "-map", f"[{video}]", *_x264(preset, cv)]
    args += ["-force_key_frames:v", f"expr:{keys}", "-forced-idr", "1"]
    args += ["-t", seconds(Fraction(at) / cv.rate), "-f", "mp4", output]
    return RenderPlan(args, float(Fraction(at) / cv.rate), cv.width, cv.height, list(warn))


def compile_frame(
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    t: Fraction,
    output: str = "pipe:1",
    *,
    height: int | None = None,
) -> RenderPlan:
    """One ffmpeg run writing the composed picture at `t` seconds as a PNG."""
    total = total_frames(timeline)
    rate = clock_of(timeline).rate
    frame = math.floor(Fraction(t) * rate)
    if total <= 0 or not 0 <= frame < total:
        raise RenderError(
            f"{float(t):g} s is outside the timeline (0-{float(Fraction(total) / rate):g} s)"
        )
    cv = _canvas(timeline, height)
    warn = _Warnings()
    g = Graph()
    picture = frame_stream(g, timeline, sources, cv, frame, warn)
    args = [*g.input_args, "-filter_complex", g.script(), "-map", f"[{picture}]", "-frames:v", "1"]
    if output.startswith("pipe:"):
        args += ["-c:v", "png", "-f", "image2pipe", output]
    else:
        args += ["-c:v", "png", "-update", "1", "-f", "image2", output]
    return RenderPlan(args, float(1 / rate), cv.width, cv.height, list(warn))
