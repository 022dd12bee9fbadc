"""Join spans of H.264 packets from several MP4 files into one MP4 without re-encoding."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from render.packets import (
    NAL_IDR,
    AvcC,
    FrameGrid,
    format_start,
    nal_types,
    parse_avcc,
    stream_rate,
)

# Packets between looks at the cancel event and between progress reports.
CHECK_EVERY = 32
_END = "the span must end right before a clean keyframe or at the end"


@dataclass(frozen=True)
class Span:
    """Frames [first, first + frames) of a file's video; `first` is a clean keyframe."""

    path: str | Path
    first: int  # frame index from the format start (render.packets.frame_index)
    frames: int  # ends right before a clean keyframe or at the stream's end


class SpliceError(RuntimeError):
    """The spans cannot be joined by copying packets."""


class SpliceCancelled(Exception):
    """The splice was cancelled; the partial output was deleted."""


@dataclass(frozen=True)
class _Head:
    """What a span's file says about its video, and how far its packets reorder at most."""

    codec: str
    width: int
    height: int
    avcc: AvcC
    delay: int


def splice(
    spans: Sequence[Span],
    rate: Fraction,
    output: Path,
    *,
    audio: Path | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Write `output` (MP4, +faststart) holding the spans' video packets back to back, and the
    first audio stream of `audio` (copied) when given."""
    output = Path(output)
    try:
        _splice(spans, Fraction(rate), output, audio, cancel, progress)
    except (av.FFmpegError, ValueError) as error:
        output.unlink(missing_ok=True)
        raise SpliceError(f"cannot splice into {output.name}: {error}") from error
    except BaseException:
        output.unlink(missing_ok=True)
        raise


def _splice(
    spans: Sequence[Span],
    rate: Fraction,
    output: Path,
    audio: Path | None,
    cancel: threading.Event | None,
    progress: Callable[[float], None] | None,
) -> None:
    if not spans:
        raise SpliceError("nothing to splice")
    _check_cancel(cancel)
    total = sum(span.frames for span in spans)
    with ExitStack() as stack:
        # Each file is opened once however many spans it gives: opening probes by decoding
        # the first frames, tens of milliseconds at 1080p.
        files = _Files(stack)
        heads = [_head(span, rate, files) for span in spans]
        _check_compatible(spans, heads)
        # dts = n - delay stays <= pts (= n's display position) in every span; see
        # _video_packets.
        delay = max(head.delay for head in heads)
        out = stack.enter_context(
            av.open(str(output), "w", format="mp4", options={"movflags": "+faststart"})
        )
        video = out.add_stream_from_template(files.open(spans[0]).streams.video[0])
        video.time_base = 1 / rate
        sources = [_video_packets(spans, heads, rate, delay, video, files)]
        if audio is not None:
            audio_in = stack.enter_context(av.open(str(audio)))
            if not audio_in.streams.audio:
                raise SpliceError(f"{Path(audio).name} has no audio stream")
            source = audio_in.streams.audio[0]
            sound = out.add_stream_from_template(source)
            sources.append(_audio_packets(audio_in, source, sound))
        written = 0
        # Interleave by decode time so the file plays while it downloads.
        for count, (_, is_video, _, packet) in enumerate(heapq.merge(*sources)):
            out.mux(packet)
            written += is_video
            if count % CHECK_EVERY == 0:
                _check_cancel(cancel)
                if progress is not None:
                    progress(written / total)
    if progress is not None:
        progress(1.0)


class _Files:
    """Input files opened once each, closed with the stack."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._open: dict[str, Any] = {}

    def open(self, span: Span) -> Any:
        key = str(span.path)
        if key not in self._open:
            try:
                self._open[key] = self._stack.enter_context(av.open(key))
            except (av.FFmpegError, OSError) as error:
                raise SpliceError(f"{_name(span)}: cannot open: {error}") from error
        return self._open[key]


def _video_packets(
    spans: Sequence[Span],
    heads: list[_Head],
    rate: Fraction,
    delay: int,
    stream: Any,
    files: _Files,
) -> Iterator[tuple[Fraction, bool, int, Any]]:
    """The spans' packets retimed: k-th shown frame has pts k, n-th decoded has dts n - delay."""
    base = 0
    # Once spans disagree about their SPS/PPS, every keyframe carries its own in-band: a
    # player that seeks starts decoding at any keyframe and only has the avcC's (the first
    # span's) otherwise.
    first = _parameter_sets(heads[0].avcc)
    mixed = any(_parameter_sets(head.avcc) != first for head in heads)
    for span, head in zip(spans, heads, strict=True):
        inband = _parameter_sets(head.avcc) if mixed else b""
        container = files.open(span)
        shown: set[int] = set()
        for order, (index, packet) in enumerate(_span_packets(container, span)):
            position = index - span.first
            if position < 0:
                raise SpliceError(f"{_name(span)}: frame {index} shows before the start")
            if position >= span.frames:
                raise SpliceError(f"{_name(span)}: {_END}, found frame {index}")
            if position in shown:
                raise SpliceError(f"{_name(span)}: frame {index} is repeated")
            if order - position > delay:
                raise SpliceError(f"{_name(span)}: reorders more than its stream declares")
            shown.add(position)
            if inband and packet.is_keyframe:
                packet = _prefixed(packet, inband)
            packet.stream = stream
            packet.time_base = 1 / rate
            packet.pts, packet.dts, packet.duration = base + position, base + order - delay, 1
            yield (base + order - delay) / rate, True, base + order, packet
        if len(shown) != span.frames:
            raise SpliceError(f"{_name(span)}: {_END}, found {len(shown)} frames")
        base += span.frames


def _span_packets(container: Any, span: Span) -> Iterator[tuple[int, Any]]:
    """(frame index, packet) in decode order from keyframe `first` to the next at first+frames."""
    stream = container.streams.video[0]
    start, rate = format_start(container), stream_rate(stream)
    target = math.floor((start + Fraction(span.first) / rate) / stream.time_base)
    container.seek(target, stream=stream, backward=True)
    grid = FrameGrid.of(stream.time_base, start, rate)
    packets = _indexed(container, stream, span, grid)
    head = next(packets, None)
    if head is not None and head[0] > span.first:
        # MP4 seeks by dts, so it can land on a later keyframe: read from the beginning.
        container.seek(stream.start_time or 0, stream=stream, backward=True)
        packets = _indexed(container, stream, span, grid)
        head = next(packets, None)
    end = span.first + span.frames
    for index, packet in itertools.chain([head] if head else [], packets):
        if packet.is_keyframe and index == span.first:
            break
        if packet.is_keyframe and index > span.first:
            raise SpliceError(f"{_name(span)}: frame {span.first} is not a keyframe")
    else:
        raise SpliceError(f"{_name(span)}: frame {span.first} is not a keyframe")
    yield index, packet
    for index, packet in packets:
        if packet.is_keyframe and index == end:
            return
        yield index, packet


def _indexed(container: Any, stream: Any, span: Span, grid: FrameGrid) -> Iterator[tuple[int, Any]]:
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue  # the flush packet at the end
        index, fits = grid.locate(packet.pts)
        if not fits:
            raise SpliceError(f"{_name(span)}: timestamps are off the frame grid")
        yield index, packet


def _head(span: Span, rate: Fraction, files: _Files) -> _Head:
    """A span's video parameters, with its start and reorder depth checked."""
    container = files.open(span)
    if not container.streams.video:
        raise SpliceError(f"{_name(span)}: no video stream")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    avcc = parse_avcc(ctx.extradata) if ctx.name == "h264" else None
    if avcc is None:
        raise SpliceError(f"{_name(span)}: not H.264 with avcC extradata")
    if stream_rate(stream) != rate:
        raise SpliceError(f"{_name(span)}: frame rate {stream_rate(stream)} is not {rate}")
    if span.first < 0 or span.frames <= 0:
        raise SpliceError(f"{_name(span)}: empty span")
    _, first = next(_span_packets(container, span))
    if NAL_IDR not in nal_types(bytes(first), avcc.nal_length_size):
        raise SpliceError(f"{_name(span)}: frame {span.first} is not a clean (IDR) keyframe")
    # The source's own dts lag behind its pts by at least its reorder depth.
    offset = (first.pts - first.dts) * stream.time_base * rate if first.dts is not None else 0
    delay = max(ctx.reorder_depth, math.ceil(offset), 0)
    return _Head(ctx.name, ctx.width, ctx.height, avcc, delay)


def _check_compatible(spans: Sequence[Span], heads: list[_Head]) -> None:
    first = heads[0]
    for span, head in zip(spans[1:], heads[1:], strict=True):
        for name in ("codec", "width", "height"):
            if getattr(head, name) != getattr(first, name):
                raise SpliceError(f"{_name(span)}: {name} differs from the first span's")
        if head.avcc.nal_length_size != first.avcc.nal_length_size:
            raise SpliceError(f"{_name(span)}: NAL length size differs from the first span's")


def _parameter_sets(avcc: AvcC) -> bytes:
    """The avcC's SPS and PPS as length-prefixed NAL units, ready to lead a packet."""
    size = avcc.nal_length_size
    return b"".join(len(unit).to_bytes(size, "big") + unit for unit in (*avcc.sps, *avcc.pps))


def _prefixed(packet: Any, prefix: bytes) -> Any:
    copy = av.Packet(prefix + bytes(packet))
    copy.is_keyframe = True
    return copy


def _audio_packets(
    container: Any, source: Any, stream: Any
) -> Iterator[tuple[Fraction, bool, int, Any]]:
    for order, packet in enumerate(container.demux(source)):
        if packet.size == 0 or packet.dts is None:
            continue
        time = packet.dts * packet.time_base
        packet.stream = stream
        yield time, False, order, packet


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SpliceCancelled("splice cancelled")


def _name(span: Span) -> str:
    return f"{Path(span.path).name} [{span.first}, {span.first + span.frames})"
