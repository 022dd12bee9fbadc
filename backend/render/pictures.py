"""One piece's picture as a filter chain: its media opened at the right source time, conformed
to the output (size, rate, format), with the clip's opacity and fades.

Every chain ends at the output frame rate in time base 1/rate, so later filters can shift and
count frames exactly. The bottom layer is opaque yuv420p (gaps, bars and fades are black);
upper layers are yuva420p (transparent), which overlay and xfade blend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from pydantic import ValidationError

from models.timeline_models import ClipProperties, clip_properties, clip_speed
from operators.timeline_ops.core import describe
from render.graph import Graph, escape_value, number, ratio, seconds
from render.layout import Piece, Slot
from render.titles import drawtext, ffmpeg_color, solid_rgb

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Canvas:
    """The output picture: size, rate, and output height over the timeline's height."""

    width: int
    height: int
    rate: Fraction
    scale: Fraction

    def black(self, bottom: bool, frames: int, color: str | None = None) -> str:
        """A colour source lasting `frames` (black, or transparent above the bottom layer)."""
        color = color or ("black" if bottom else "black@0")
        # Half a frame short of the end, so float rounding can't add or drop a frame.
        length = seconds((Fraction(frames) - Fraction(1, 2)) / self.rate)
        return f"color=c={color}:s={self.width}x{self.height}:r={ratio(self.rate)}:d={length}"


def pixel_format(bottom: bool) -> str:
    """The layer's pixel format."""
    return "yuv420p" if bottom else "yuva420p"


def properties(slot: Slot, warn: Warn) -> ClipProperties:
    """The clip's volume/opacity/fades (defaults, with a warning, when malformed)."""
    if slot.clip is None:
        return ClipProperties()
    try:
        return clip_properties(slot.clip)
    except ValidationError:
        warn(f"{describe(slot.clip)} has invalid properties; rendered with the defaults")
        return ClipProperties()


def fade_frames(slot: Slot, props: ClipProperties, rate: Fraction) -> tuple[int, int]:
    """(fade in, fade out) in whole frames."""
    frames = [
        max(0, round(f.to_fraction_seconds() * rate)) if f is not None else 0
        for f in (props.fade_in, props.fade_out)
    ]
    return frames[0], frames[1]


def source_time(slot: Slot, frame: int, rate: Fraction) -> Fraction:
    """The media time (seconds) a clip shows at record `frame` (before its start in a
    transition's handle)."""
    assert slot.clip is not None
    start = slot.clip.source_range.start_time.to_fraction_seconds()
    return start + (frame - slot.start) * clip_speed(slot.clip) / rate


def conform(cv: Canvas, bottom: bool, pad: bool) -> list[str]:
    """Scale to fit by the display aspect (never stretch), convert the pixel format, pad to
    the canvas. Expressions, not probed sizes: ffmpeg has already applied any rotation and
    the pixel aspect is read from the frames. Both are pass-throughs when nothing changes."""
    fmt, bars = pixel_format(bottom), "black" if bottom else "black@0"
    w, h, aspect = cv.width, cv.height, f"{cv.width}/{cv.height}"
    width = f"if(gte(dar,{aspect}),{w},2*round({h}*dar/2))"
    height = f"if(gte(dar,{aspect}),2*round({w}/dar/2),{h})"
    # format right after scale: one swscale pass does both.
    out = [f"scale=w={escape_value(width)}:h={escape_value(height)}", f"format={fmt}"]
    if pad:
        out.append(f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color={bars}")
    out.append("setsar=1")
    return out


def open_media(g: Graph, slot: Slot, first: int, last: int, rate: Fraction, stream: str) -> str:
    """The input stream for a clip's frames [first, last), seeked before decoding; a clip's
    picture and sound over the same frames share one input."""
    assert slot.media is not None and slot.clip is not None
    speed = clip_speed(slot.clip)
    start = max(source_time(slot, first, rate), Fraction(0))
    # One frame more than needed: the chain trims to an exact count.
    length = (last - first + 1) * speed / rate
    args = ["-ss", seconds(start, floor=True)] if start > 0 else []
    index = g.input([*args, "-t", seconds(length), "-i", slot.media.path], share=(first,))
    return f"{index}:{stream}"


def _fades(piece: Piece, props: ClipProperties, cv: Canvas, bottom: bool) -> list[str]:
    slot = piece.slot
    fade_in, fade_out = fade_frames(slot, props, cv.rate)
    events = []  # (kind, first frame) of each fade this piece shows
    if fade_in and piece.start < slot.start + fade_in:
        events.append(("in", slot.start, fade_in))
    if fade_out and piece.end > slot.end - fade_out:
        events.append(("out", slot.end - fade_out, fade_out))
    if not events:
        return []
    # The fade filter can't start before a stream's first frame: shift time so it can.
    shift = max(0, piece.start - min(at for _, at, _ in events))
    out = [f"setpts=PTS+{shift}"] if shift else []
    for kind, at, length in events:
        start = seconds(Fraction(at - piece.start + shift) / cv.rate)
        fade = f"fade=t={kind}:st={start}:d={seconds(Fraction(length) / cv.rate)}"
        out.append(fade if bottom else fade + ":alpha=1")
    if shift:
        out.append(f"setpts=PTS-{shift}")
    return out


def dim(level: Fraction | float, bottom: bool) -> list[str]:
    """Scale a picture's presence by `level`: towards black on the bottom layer, towards
    transparent above it."""
    if level >= 1:
        return []
    k = number(max(level, 0))
    if bottom:
        return [f"lutyuv=y=16+(val-16)*{k}:u=128+(val-128)*{k}:v=128+(val-128)*{k}"]
    return [f"lut=a=val*{k}"]


def fade_level(slot: Slot, props: ClipProperties, frame: int, rate: Fraction) -> Fraction:
    """How far the clip's fades let it show at `frame` (as the fade filter computes it)."""
    fade_in, fade_out = fade_frames(slot, props, rate)
    level = Fraction(1)
    if fade_in:
        level = min(level, max(Fraction(0), Fraction(frame - slot.start, fade_in)))
    if fade_out:
        level = min(level, max(Fraction(0), Fraction(slot.end - frame, fade_out)))
    return level


def generated(slot: Slot, cv: Canvas, bottom: bool, frames: int, warn: Warn) -> list[str]:
    """A title, solid or blank piece as a source chain lasting `frames`."""
    fmt = pixel_format(bottom)
    params = slot.clip.media_reference.parameters if slot.kind in ("title", "solid") else {}  # type: ignore[union-attr]
    if slot.kind == "solid":
        rgb, alpha = solid_rgb(params, warn)
        if bottom and alpha < 255:  # nothing below the bottom layer but black
            value = int(rgb, 16)
            parts = [(value >> s & 255) * alpha // 255 for s in (16, 8, 0)]
            rgb, alpha = "0x" + "".join(f"{p:02X}" for p in parts), 255
        return [cv.black(bottom, frames, ffmpeg_color(rgb, alpha)), f"format={fmt}"]
    out = [cv.black(bottom, frames), f"format={fmt}"]
    if slot.kind == "title":
        text = drawtext(params, height=cv.height, scale=cv.scale, warn=warn)
        out += [text] if text else []
    return out


def piece_picture(
    g: Graph, piece: Piece, cv: Canvas, *, bottom: bool, pad: bool, warn: Warn
) -> str:
    """The piece's frames [start, end) as a labelled stream (exactly that many frames)."""
    slot, frames = piece.slot, piece.end - piece.start
    props = properties(slot, warn)
    looks = dim(Fraction(props.opacity), bottom) + _fades(piece, props, cv, bottom)
    rate = ratio(cv.rate)
    if slot.kind == "media":
        assert slot.media is not None and slot.clip is not None
        speed = clip_speed(slot.clip)
        src = open_media(g, slot, piece.start, piece.end, cv.rate, "v")
        retime = [f"setpts=PTS*{speed.denominator}/{speed.numerator}"] if speed != 1 else []
        fps = [f"fps={rate}:start_time=0"]
        if _steady(slot, piece, cv.rate):
            # Already one frame per output frame from the first: number them, no resampling.
            fps = [f"settb=expr={ratio(1 / cv.rate)}", "setpts=N"]
        shape = conform(cv, bottom, pad)
        # Drop surplus frames before scaling them; duplicate only scaled frames.
        dense = slot.media.fps is not None and slot.media.fps * speed > cv.rate
        chain = retime + (fps + shape if dense else shape + fps)
        if _may_run_short(slot, piece, cv.rate):
            chain.append("tpad=stop_mode=clone:stop=-1")
        return g.chain([src], [*chain, f"trim=end_frame={frames}", *looks])
    if slot.kind == "still":
        assert slot.media is not None
        index = g.input(["-i", slot.media.path])
        # Decode and scale the image once, then repeat the frame.
        hold = [f"loop=loop={frames - 1}:size=1:start=0", f"settb=expr={ratio(1 / cv.rate)}"]
        hold += ["setpts=N", f"fps={rate}"]
        shape = conform(cv, bottom, pad)
        return g.chain([f"{index}:v"], ["trim=end_frame=1", *shape, *hold, *looks])
    return g.chain([], [*generated(slot, cv, bottom, frames, warn), *looks])


def _steady(slot: Slot, piece: Piece, rate: Fraction) -> bool:
    """Whether the piece's frames are exactly the media's, one per output frame, from a frame
    boundary (so the `fps` filter, which buffers and resamples, is not needed)."""
    media = slot.media
    assert media is not None and slot.clip is not None
    if not media.constant_rate or media.fps != rate or clip_speed(slot.clip) != 1:
        return False
    at = source_time(slot, piece.start, rate)
    return at >= 0 and (at * rate).denominator == 1


def _may_run_short(slot: Slot, piece: Piece, rate: Fraction) -> bool:
    # Media that ends early would shorten the piece and shift everything after it.
    media = slot.media
    assert media is not None
    if media.duration_s is None:
        return True
    end = source_time(slot, piece.end, rate)
    return float(end) > media.duration_s - 0.001


def frame_picture(g: Graph, slot: Slot, frame: int, cv: Canvas, *, bottom: bool, warn: Warn) -> str:
    """One frame of a slot at record `frame` (for a still of the timeline), faded as the
    render would show it."""
    props = properties(slot, warn)
    looks = dim(props.opacity * fade_level(slot, props, frame, cv.rate), bottom)
    if slot.kind == "media":
        assert slot.media is not None and slot.clip is not None
        at = source_time(slot, frame, cv.rate)
        rate = slot.media.fps or cv.rate
        # Half a source frame early, so the frame nearest the time comes first.
        start = max(at - 1 / (2 * rate), Fraction(0))
        args = ["-ss", seconds(start, floor=True)] if start > 0 else []
        args += ["-t", seconds(3 / min(rate, cv.rate) * clip_speed(slot.clip))]
        index = g.input([*args, "-i", slot.media.path])
        head = ["trim=end_frame=1", "setpts=PTS-STARTPTS"]
        return g.chain([f"{index}:v"], [*head, *conform(cv, bottom, True), *looks])
    if slot.kind == "still":
        assert slot.media is not None
        index = g.input(["-i", slot.media.path])
        head = ["trim=end_frame=1", "setpts=PTS-STARTPTS"]
        return g.chain([f"{index}:v"], [*head, *conform(cv, bottom, True), *looks])
    return g.chain([], [*generated(slot, cv, bottom, 1, warn), *looks])
