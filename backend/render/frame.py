"""One composed frame: only the clips visible at that frame, each input seeked to it, layered
as the render would layer them (a transition's two sides mixed at its progress)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from models.timeline_models import Timeline
from operators.timeline_ops.core import clock_of
from render.graph import Graph, number
from render.layout import Join, Slot, slots_at, track_slots, visible_tracks
from render.pictures import Canvas, Warn, fade_level, frame_picture, pixel_format, properties
from render.plan import SourceMedia
from render.titles import drawtext


def _mix(g: Graph, a: str, b: str, join: Join, done: Fraction, cv: Canvas, bottom: bool) -> str:
    """Both sides of a transition `done` of the way through, as xfade draws that frame."""
    progress = 1 - float(done)  # xfade's own variable: 1 at the start, 0 at the end
    if join.style == "fade":
        blend = f"blend=all_mode=normal:all_opacity={number(done)}"
        if bottom:
            return g.chain([b, a], [blend])
        # As the render does: mix premultiplied, or a fade to transparent would darken.
        b, a = (g.chain([x], ["format=yuva444p", "premultiply=inplace=1"]) for x in (b, a))
        return g.chain([b, a], [blend, "unpremultiply=inplace=1", "format=yuva420p"])
    w, h = cv.width, cv.height
    # The part of the incoming picture each wipe has revealed (xfade's pixel tests).
    if join.style == "wipeleft":
        z = int(w * progress)
        box = (w - z - 1, h, z + 1, 0)
    elif join.style == "wiperight":
        z = int(w * (1 - progress))
        box = (z + 1, h, 0, 0)
    elif join.style == "wipeup":
        z = int(h * progress)
        box = (w, h - z - 1, 0, z + 1)
    else:
        z = int(h * (1 - progress))
        box = (w, z + 1, 0, 0)
    bw, bh, x, y = min(box[0], w), min(box[1], h), box[2], box[3]
    if bw <= 0 or bh <= 0:
        return a
    crop = f"crop=w={bw}:h={bh}:x={x}:y={y}:exact=1"
    fmt = "yuv420" if bottom else "auto"
    cropped = g.chain([b], [crop])
    return g.chain(
        [a, cropped], [f"overlay=x={x}:y={y}:format={fmt}", f"format={pixel_format(bottom)}"]
    )


def _layer(g: Graph, slots: list[Slot], frame: int, cv: Canvas, bottom: bool, warn: Warn) -> str:
    pictures = [frame_picture(g, s, frame, cv, bottom=bottom, warn=warn) for s in slots]
    if len(pictures) == 1:
        return pictures[0]
    right = slots[1]
    join = right.head
    assert join is not None
    if join.note:
        warn(join.note)
    done = Fraction(frame - right.ext_start, join.before + join.after)
    return _mix(g, pictures[0], pictures[1], join, done, cv, bottom)


def _title(slot: Slot, frame: int, cv: Canvas, warn: Warn) -> str | None:
    props = properties(slot, warn)
    level = props.opacity * fade_level(slot, props, frame, cv.rate)
    assert slot.clip is not None
    return drawtext(
        slot.clip.media_reference.parameters,  # type: ignore[union-attr]
        height=cv.height,
        scale=cv.scale,
        warn=warn,
        alpha=number(level) if level < 1 else None,
    )


def frame_stream(
    g: Graph,
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    cv: Canvas,
    frame: int,
    warn: Warn,
) -> str:
    """The picture at `frame` as a one-frame rgb24 stream."""
    clock = clock_of(timeline)
    base: str | None = None
    for i, track in enumerate(visible_tracks(timeline, "Video")):
        bottom = i == 0
        slots = track_slots(track, clock, sources)
        for slot in slots:
            if slot.ext_start <= frame < slot.ext_end:
                for note in slot.notes:
                    warn(note)
        showing = slots_at(slots, frame)
        if not showing:
            continue
        if len(showing) == 1 and showing[0].kind == "title":
            # Drawn straight onto what is below it, as the render does.
            text = _title(showing[0], frame, cv, warn)
            base = base or g.chain([], [cv.black(True, 1), "format=yuv420p"])
            base = g.chain([base], [text] if text else [])
            continue
        layer = _layer(g, showing, frame, cv, bottom, warn)
        if base is None and bottom:
            base = layer
            continue
        base = base or g.chain([], [cv.black(True, 1), "format=yuv420p"])
        base = g.chain([base, layer], ["overlay=x=(W-w)/2:y=(H-h)/2"])
    base = base or g.chain([], [cv.black(True, 1), "format=yuv420p"])
    return g.chain([base], ["format=rgb24"])
