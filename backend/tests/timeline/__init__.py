"""Shared helpers for the timeline editor tests: a small asset set, ids, builders."""

from __future__ import annotations

import itertools
from typing import Any

from models.timeline_models import (
    Clip,
    Gap,
    RationalTime,
    Timeline,
    TimelineSettings,
    Track,
    Transition,
    new_timeline,
)
from operators.timeline_editor import AssetInfo, EditContext, apply_op, parse_op

RATE = 24
ASSETS = {
    "v10": AssetInfo("v10", "video", RationalTime(value=10, rate=1), 24, True, True, "Beach"),
    "a4": AssetInfo("a4", "audio", RationalTime(value=4, rate=1), 48000, False, True, "Music"),
    "img": AssetInfo("img", "image", None, 24, True, False, "Logo"),
    "mute": AssetInfo("mute", "video", RationalTime(value=240, rate=24), 24, True, False, "Mute"),
}


def rt(frames: float) -> dict[str, Any]:
    """A RationalTime dict of `frames` at 24 fps."""
    return {"value": frames, "rate": RATE}


def sr(start: float, duration: float) -> dict[str, Any]:
    """A source range dict, in frames at 24 fps."""
    return {"start_time": rt(start), "duration": rt(duration)}


def make_ctx() -> EditContext:
    """A context over ASSETS with ids id-1, id-2, ... in order."""
    counter = itertools.count(1)
    return EditContext(assets=ASSETS, new_id=lambda: f"id-{next(counter)}")


def empty() -> Timeline:
    """A 24 fps timeline without tracks."""
    return new_timeline("test", TimelineSettings(rate=RATE), timeline_id="tl")


def run(tl: Timeline, ctx: EditContext, *ops: dict[str, Any]) -> Timeline:
    """Apply ops one by one, checking that none changes its input."""
    for op in ops:
        before = tl.model_dump()
        out = apply_op(tl, parse_op(op), ctx)
        assert tl.model_dump() == before
        tl = out
    return tl


def track(tl: Timeline, index: int = 0) -> Track:
    """The track at `index`."""
    return tl.tracks.children[index]


def layout(tr: Track) -> list[tuple[Any, ...]]:
    """A compact picture: ('C', id, source start, source duration) / ('G', dur) / ('T', in, out)."""
    out: list[tuple[Any, ...]] = []
    for child in tr.children:
        if isinstance(child, Clip):
            src = child.source_range
            out.append(("C", child.id, src.start_time.value, src.duration.value))
        elif isinstance(child, Gap):
            out.append(("G", child.source_range.duration.value))
        elif isinstance(child, Transition):
            out.append(("T", child.in_offset.value, child.out_offset.value))
    return out


def video_timeline(ctx: EditContext, *clips: tuple[int, int]) -> Timeline:
    """One video track (id-1) holding v10 clips with the given (start, duration) frames."""
    tl = run(empty(), ctx, {"op": "add_track", "kind": "video"})
    for start, duration in clips:
        tl = run(
            tl,
            ctx,
            {
                "op": "append_clip",
                "track_id": "id-1",
                "asset_id": "v10",
                "source_range": sr(start, duration),
            },
        )
    return tl


def seeded_timeline() -> tuple[Timeline, EditContext]:
    """Tracks V1, V2, A1 with a few clips that have media to spare on both sides."""
    ctx = make_ctx()
    tl = run(empty(), ctx, *[{"op": "add_track", "kind": k} for k in ("video", "video", "audio")])
    seed = [("id-1", "v10", 24, 48), ("id-1", "v10", 96, 48), ("id-1", "v10", 150, 30),
            ("id-2", "img", 0, 40), ("id-3", "a4", 10, 40), ("id-3", "a4", 50, 30)]  # fmt: skip
    for track_id, asset, start, dur in seed:
        source_range = {"start_time": rt(start), "duration": rt(dur)}
        tl = run(tl, ctx, {"op": "append_clip", "track_id": track_id, "asset_id": asset,
                           "source_range": source_range})  # fmt: skip
    return tl, ctx
