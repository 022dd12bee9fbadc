"""Stream facts and clean keyframes of a file's video, read from its packets (no decoding)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

# A packet is on the frame grid when its exact frame position is within 1/100 of a frame.
GRID_TOLERANCE = Fraction(1, 100)
NAL_IDR = 5
# AVFieldOrder: 0 unknown, 1 progressive; the rest are interlaced.
PROGRESSIVE_FIELD_ORDERS = (0, 1)


@dataclass(frozen=True)
class StreamFacts:
    """What a copy needs to know about a file's video, and whether it can be copied."""

    codec: str
    width: int
    height: int
    rate: Fraction
    pix_fmt: str | None
    frames: int
    keyframes: tuple[int, ...]
    nal_length_size: int | None
    copyable: bool
    reason: str | None = None
    # Every frame sits on the grid of `rate` from index 0, none missing or repeated: the
    # renderer can number frames instead of resampling time (no `fps` filter).
    constant_rate: bool = False


@dataclass(frozen=True)
class AvcC:
    """The parts of an avcC record (ISO 14496-15) a splice needs."""

    nal_length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]


def format_start(container: Any) -> Fraction:
    """The container's start time in seconds: what ffmpeg's input `-ss` counts from."""
    start = container.start_time
    return Fraction(start, 1_000_000) if start is not None else Fraction(0)


def stream_rate(stream: Any) -> Fraction | None:
    """The stream's exact frame rate: r_frame_rate unless the average differs (as probe does)."""
    real, average = stream.base_rate, stream.average_rate
    # r_frame_rate is exact for constant-rate video but a timebase-like guess for variable.
    if real and average and abs(real - average) > real * Fraction(1, 200):
        return Fraction(average)
    rate = real or average or stream.guessed_rate
    return Fraction(rate) if rate else None


@dataclass(frozen=True)
class FrameGrid:
    """A stream's timestamps as frame positions: (pts * time_base - start) * rate, exactly."""

    scale: int  # position = (pts * scale - offset) / den, in integers for speed
    offset: int
    den: int

    @classmethod
    def of(cls, time_base: Fraction, start: Fraction, rate: Fraction) -> FrameGrid:
        step, origin = Fraction(time_base) * rate, Fraction(start) * rate
        den = math.lcm(step.denominator, origin.denominator)
        return cls(
            step.numerator * (den // step.denominator),
            origin.numerator * (den // origin.denominator),
            den,
        )

    def locate(self, pts: int) -> tuple[int, bool]:
        """The frame index of a timestamp, and whether it lies on the grid."""
        num = pts * self.scale - self.offset
        index = (2 * num + self.den) // (2 * self.den)
        tolerance = GRID_TOLERANCE
        return index, abs(num - index * self.den) * tolerance.denominator <= (
            self.den * tolerance.numerator
        )


def frame_index(pts: int, time_base: Fraction, start: Fraction, rate: Fraction) -> int:
    """round((pts * time_base - start) * rate): the frame a timestamp shows."""
    return round((pts * Fraction(time_base) - start) * rate)


def parse_avcc(extradata: bytes | None) -> AvcC | None:
    """Parse an avcC record; None for Annex B or missing extradata."""
    if not extradata or len(extradata) < 7 or extradata[0] != 1:
        return None
    data = memoryview(extradata)
    nal_length_size = (data[4] & 3) + 1
    pos = 5
    found: list[tuple[bytes, ...]] = []
    try:
        for mask in (0x1F, 0xFF):  # 3 reserved bits sit above the SPS count, none above PPS
            count = data[pos] & mask
            pos += 1
            units = []
            for _ in range(count):
                size = int.from_bytes(data[pos : pos + 2], "big")
                unit = bytes(data[pos + 2 : pos + 2 + size])
                if len(unit) != size:
                    return None
                units.append(unit)
                pos += 2 + size
            found.append(tuple(units))
    except IndexError:
        return None
    return AvcC(nal_length_size, found[0], found[1])


def nal_types(data: bytes, nal_length_size: int) -> list[int]:
    """The NAL unit types in a length-prefixed (avcC style) access unit."""
    types = []
    pos = 0
    while pos + nal_length_size < len(data):
        size = int.from_bytes(data[pos : pos + nal_length_size], "big")
        pos += nal_length_size
        if size == 0 or pos + size > len(data):
            break
        types.append(data[pos] & 0x1F)
        pos += size
    return types


def facts_to_json(facts: StreamFacts) -> dict[str, Any]:
    """The facts as JSON (kept per asset, so a render need not read the file again)."""
    return {
        "codec": facts.codec,
        "width": facts.width,
        "height": facts.height,
        "rate": [facts.rate.numerator, facts.rate.denominator],
        "pix_fmt": facts.pix_fmt,
        "frames": facts.frames,
        "keyframes": list(facts.keyframes),
        "nal_length_size": facts.nal_length_size,
        "copyable": facts.copyable,
        "reason": facts.reason,
        "constant_rate": facts.constant_rate,
    }


def facts_from_json(data: Any) -> StreamFacts | None:
    """Facts stored by `facts_to_json`; None when absent or not in that shape."""
    try:
        num, den = data["rate"]
        return StreamFacts(
            codec=str(data["codec"]),
            width=int(data["width"]),
            height=int(data["height"]),
            rate=Fraction(int(num), int(den)),
            pix_fmt=data["pix_fmt"],
            frames=int(data["frames"]),
            keyframes=tuple(int(k) for k in data["keyframes"]),
            nal_length_size=data["nal_length_size"],
            copyable=bool(data["copyable"]),
            reason=data["reason"],
            constant_rate=bool(data["constant_rate"]),
        )
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def stream_facts(path: str | Path) -> StreamFacts | None:
    """Facts about a file's first video stream from one demux pass; None when it has none."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            return _read_facts(container, container.streams.video[0])
    except (av.FFmpegError, OSError):
        return None


def _read_facts(container: Any, stream: Any) -> StreamFacts:
    ctx = stream.codec_context
    rate = stream_rate(stream) or Fraction(0)
    avcc = parse_avcc(ctx.extradata) if ctx.name == "h264" else None
    grid = FrameGrid.of(stream.time_base, format_start(container), rate) if rate else None
    indices: list[int] = []
    off_grid = False
    # Keyframe index -> clean so far; a later packet of its GOP showing earlier makes it open.
    keyframes: dict[int, bool] = {}
    current: int | None = None
    first_key = None
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue  # the flush packet at the end, or an unusable one
        if grid is not None:
            index, fits = grid.locate(packet.pts)
            off_grid = off_grid or not fits
        else:
            index = len(indices)
        indices.append(index)
        if packet.is_keyframe:
            idr = avcc is None or NAL_IDR in nal_types(bytes(packet), avcc.nal_length_size)
            keyframes[index], current = idr, index
            if first_key is None:
                first_key = packet
        elif current is not None and index < current:
            keyframes[current] = False
    on_frame_grid = bool(rate) and not off_grid
    frames = max(indices) + 1 if on_frame_grid and indices else len(indices)
    steady = on_frame_grid and sorted(indices) == list(range(len(indices)))
    facts = StreamFacts(
        codec=ctx.name,
        width=ctx.width,
        height=ctx.height,
        rate=rate,
        pix_fmt=ctx.pix_fmt,
        frames=frames,
        keyframes=tuple(sorted(i for i, clean in keyframes.items() if clean)),
        nal_length_size=avcc.nal_length_size if avcc else None,
        copyable=False,
        constant_rate=steady,
    )
    reason = _why_not_copyable(facts, stream, avcc, steady, on_frame_grid)
    if reason is None and first_key is not None and _rotation(stream, first_key):
        reason = "rotated"
    if reason is None:
        return replace(facts, copyable=True)
    return replace(facts, reason=reason)


def _why_not_copyable(
    facts: StreamFacts, stream: Any, avcc: AvcC | None, steady: bool, on_frame_grid: bool
) -> str | None:
    sar = stream.sample_aspect_ratio
    if facts.codec != "h264":
        return f"codec {facts.codec} is not h264"
    if avcc is None:
        return "no avcC extradata (Annex B or missing)"
    if facts.pix_fmt != "yuv420p":
        return f"pixel format {facts.pix_fmt} is not yuv420p"
    if int(stream.codec_context.field_order or 0) not in PROGRESSIVE_FIELD_ORDERS:
        return "interlaced"
    if sar and sar != 1:
        return f"sample aspect ratio {sar} is not 1:1"
    if not facts.rate:
        return "no frame rate"
    if not on_frame_grid:
        return "variable frame rate: timestamps off the frame grid"
    if not steady:
        return "frames missing or repeated (variable frame rate)"
    return None


def _rotation(stream: Any, keyframe: Any) -> int:
    # PyAV exposes no stream side data, but a decoded frame carries the display matrix:
    # decode just the first keyframe (the decoder may hold it back until flushed).
    try:
        frames = stream.codec_context.decode(keyframe) or stream.codec_context.decode(None)
    except av.FFmpegError:
        return 0
    return int(frames[0].rotation) if frames else 0
