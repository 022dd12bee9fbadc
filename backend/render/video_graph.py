"""The picture of a range: the bottom video track as one concatenation (gaps black), each
upper track's runs overlaid where they play (no full-length canvases), titles drawn straight
onto the picture below them."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from models.timeline_models import Timeline
from operators.timeline_ops.core import clock_of
from render.graph import Graph, escape_value, number, seconds
from render.layout import Join, Run, Slot, track_runs, track_slots, visible_tracks
from render.pictures import Canvas, Warn, fade_frames, piece_picture, properties
from render.plan import SourceMedia
from render.titles import drawtext, solid_rgb

Item = tuple[str, int, Join | None]  # (label, frames, transition from the previous item)


def concat_video(g: Graph, labels: list[str], cv: Canvas) -> str:
    """Pictures one after another, on the timeline's time base."""
    if len(labels) == 1:
        return labels[0]
    # concat answers in microseconds; back to 1/rate so frame shifts stay exact.
    tb = Fraction(1) / cv.rate
    return g.chain(
        labels, [f"concat=n={len(labels)}:v=1:a=0", f"settb=expr={tb.numerator}/{tb.denominator}"]
    )


def _parts(g: Graph, label: str, frames: int, head: int, tail: int) -> list[str | None]:
    """[head, body, tail] of a stream (None where empty): only the ends meet xfade."""
    bounds = [(0, head), (head, frames - tail), (frames - tail, frames)]
    wanted = [(a, b) for a, b in bounds if b > a]
    copies = iter(g.split(label, len(wanted)))
    out: list[str | None] = []
    for a, b in bounds:
        if b <= a:
            out.append(None)
        elif len(wanted) == 1:
            out.append(next(copies))
        else:
            cut = [f"trim=start_frame={a}:end_frame={b}"] if a else [f"trim=end_frame={b}"]
            out.append(g.chain([next(copies)], cut + (["setpts=PTS-STARTPTS"] if a else [])))
    return out


def sequence(g: Graph, items: list[Item], cv: Canvas, fmt: str) -> str:
    """Items back to back: cuts concatenate, transitions cross with xfade, which sees only
    the overlapping frames (it works in 4:4:4, so the rest skips two conversions)."""
    parts: list[str] = []
    tail_of_previous: str | None = None
    for i, (label, frames, join) in enumerate(items):
        following = items[i + 1][2] if i + 1 < len(items) else None
        head = join.before + join.after if join else 0
        tail = following.before + following.after if following else 0
        start, body, end = _parts(g, label, frames, head, tail)
        if start is not None and join is not None:
            assert tail_of_previous is not None
            xfade = (
                f"xfade=transition={join.style}:duration={seconds(Fraction(head) / cv.rate)}"
                ":offset=0"
            )
            ins = [tail_of_previous, start]
            after = ["setpts=N"]  # xfade (5.1) leaves a hole in the timestamps: renumber
            if fmt == "yuva420p":
                # Mixing straight alpha would darken a fade to transparent: premultiply.
                ins = [g.chain([i], ["format=yuva444p", "premultiply=inplace=1"]) for i in ins]
                after.append("unpremultiply=inplace=1")
            parts.append(g.chain(ins, [xfade, *after, f"format={fmt}"]))
        if body is not None:
            parts.append(body)
        tail_of_previous = end
    return concat_video(g, parts, cv)


def _run_items(g: Graph, run: Run, cv: Canvas, *, bottom: bool, warn: Warn) -> list[Item]:
    # A lone upper piece is overlaid centred at its own size: no transparent bars to blend.
    pad = bottom or len(run.pieces) > 1
    return [
        (piece_picture(g, p, cv, bottom=bottom, pad=pad, warn=warn), p.end - p.start, p.join)
        for p in run.pieces
    ]


def _trim(g: Graph, label: str, skip: int, frames: int, total: int) -> str:
    if skip == 0 and frames == total:
        return label
    return g.chain(
        [label], [f"trim=start_frame={skip}:end_frame={skip + frames}", "setpts=PTS-STARTPTS"]
    )


def _lone(run: Run) -> Slot | None:
    return run.pieces[0].slot if len(run.pieces) == 1 else None


def _title_filter(slot: Slot, run: Run, cv: Canvas, first: int, warn: Warn) -> str | None:
    """A lone title drawn onto the picture below it while it plays (alpha does the fades)."""
    assert slot.clip is not None
    props = properties(slot, warn)
    fade_in, fade_out = fade_frames(slot, props, cv.rate)
    alpha = [number(props.opacity)] if props.opacity < 1 else []
    if fade_in:
        start = number(Fraction(slot.start - first) / cv.rate)
        alpha.append(f"clip((t-{start})/{number(Fraction(fade_in) / cv.rate)},0,1)")
    if fade_out:
        end = number(Fraction(slot.end - first) / cv.rate)
        alpha.append(f"clip(({end}-t)/{number(Fraction(fade_out) / cv.rate)},0,1)")
    return drawtext(
        slot.clip.media_reference.parameters,  # type: ignore[union-attr]
        height=cv.height,
        scale=cv.scale,
        warn=warn,
        alpha="*".join(alpha) or None,
        enable=_between(run, first),
    )


def _between(run: Run, first: int) -> str:
    return f"between(n,{run.show_start - first},{run.show_end - first - 1})"


def _opaque(slot: Slot, cv: Canvas, warn: Warn) -> bool:
    assert slot.clip is not None
    props = properties(slot, warn)
    _, alpha = solid_rgb(slot.clip.media_reference.parameters, warn)  # type: ignore[union-attr]
    return alpha == 255 and props.opacity == 1 and fade_frames(slot, props, cv.rate) == (0, 0)


def _box_filter(slot: Slot, run: Run, first: int, warn: Warn) -> str:
    """A lone opaque solid as a filled box over the picture below (drawbox's own blending of
    translucent colours is wrong, so those are overlaid)."""
    assert slot.clip is not None
    rgb, _ = solid_rgb(slot.clip.media_reference.parameters, warn)  # type: ignore[union-attr]
    enable = escape_value(_between(run, first))
    return f"drawbox=x=0:y=0:w=iw:h=ih:t=fill:color={rgb}:enable={enable}"


def _drawn(
    slot: Slot | None, run: Run, cv: Canvas, first: int, warn: Warn, bottom: bool
) -> str | None:
    """A filter that draws a lone title (or, above the bottom, a fade-less solid) in place."""
    if slot is None:
        return None
    if slot.kind == "title":
        return _title_filter(slot, run, cv, first, warn) or "null"
    if slot.kind == "solid" and not bottom and _opaque(slot, cv, warn):
        return _box_filter(slot, run, first, warn)
    return None


def _bottom(g: Graph, runs: list[Run], cv: Canvas, first: int, last: int, warn: Warn) -> str:
    items: list[Item] = []
    drawn: list[str] = []
    start = pos = first
    for run in runs:
        draw = _drawn(_lone(run), run, cv, first, warn, bottom=True)
        if draw is not None:
            drawn += [draw] if draw != "null" else []
            continue  # the frames stay black underneath
        if run.start > pos:
            items.append(
                (
                    g.chain([], [cv.black(True, run.start - pos), "format=yuv420p"]),
                    run.start - pos,
                    None,
                )
            )
        start = min(start, run.start)  # a transition cut by the range plays from its start
        items += _run_items(g, run, cv, bottom=True, warn=warn)
        pos = run.end
    if pos < last:
        items.append(
            (g.chain([], [cv.black(True, last - pos), "format=yuv420p"]), last - pos, None)
        )
    label = sequence(g, items, cv, "yuv420p")
    label = _trim(g, label, first - start, last - first, max(pos, last) - start)
    return g.chain([label], drawn)


def _upper(g: Graph, base: str, runs: list[Run], cv: Canvas, first: int, warn: Warn) -> str:
    for run in runs:
        draw = _drawn(_lone(run), run, cv, first, warn, bottom=False)
        if draw is not None:
            base = g.chain([base], [draw] if draw != "null" else [])
            continue
        label = sequence(g, _run_items(g, run, cv, bottom=False, warn=warn), cv, "yuva420p")
        label = _trim(
            g, label, run.show_start - run.start, run.show_end - run.show_start, run.end - run.start
        )
        shift = run.show_start - first
        label = g.chain([label], [f"setpts=PTS+{shift}"] if shift else [])
        overlay = "overlay=x=(W-w)/2:y=(H-h)/2:eof_action=pass"
        base = g.chain([base, label], [overlay])
    return base


def video_stream(
    g: Graph,
    timeline: Timeline,
    sources: Mapping[str, SourceMedia],
    cv: Canvas,
    first: int,
    last: int,
    warn: Warn,
) -> str:
    """The composed picture of frames [first, last): yuv420p, exactly last - first frames."""
    clock = clock_of(timeline)
    tracks = visible_tracks(timeline, "Video")
    if not tracks:
        return g.chain([], [cv.black(True, last - first), "format=yuv420p"])
    base = ""
    for i, track in enumerate(tracks):
        runs = track_runs(track_slots(track, clock, sources), first, last, warn)
        if i == 0:
            base = _bottom(g, runs, cv, first, last, warn)
        else:
            base = _upper(g, base, runs, cv, first, warn)
    return base
