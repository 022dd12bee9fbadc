"""Random NLE edits for the timeline benchmark, and the same edits on an OpenTimelineIO tree.

`draw_op` picks an op against the current timeline (our model) that is valid there; `OtioMirror`
applies the equivalent edit in place to an `opentimelineio` object tree, the way a script
using OTIO's Python API would.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime as ORT
from opentimelineio.opentime import TimeRange as OTR

from models.timeline_models import Clip, Timeline
from operators.timeline_editor import item_ranges

RATE = 24
WEIGHTS = {
    "trim_clip": 14,
    "split_clip": 10,
    "slip_clip": 10,
    "slide_clip": 6,
    "roll_edit": 6,
    "insert_clip": 8,
    "overwrite_clip": 6,
    "remove_clip": 8,
    "move_clip": 6,
    "set_clip_properties": 10,
    "add_transition": 6,
    "add_marker": 10,
}


def rt(frames: int) -> dict[str, Any]:
    return {"value": frames, "rate": RATE}


def rng(start: int, length: int) -> dict[str, Any]:
    return {"start_time": rt(start), "duration": rt(length)}


def frames(t: Any) -> int:
    return round(t.value * RATE / t.rate)


def draw_op(r: random.Random, tl: Timeline, assets: dict[str, tuple[str, int]]) -> dict:
    """One random edit. `assets` maps asset id -> (track kind, media frames)."""
    kind = r.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    track = r.choice(tl.tracks.children)
    ranges = item_ranges(track, RATE)
    clips = [(i, item, rec) for i, (item, rec) in enumerate(ranges) if isinstance(item, Clip)]
    i, clip, rec = r.choice(clips)
    start, length = frames(rec.start_time), frames(rec.duration)
    src = frames(clip.source_range.start_time)
    fitting = [a for a, (k, _) in assets.items() if k == track.kind]
    asset = r.choice(fitting)
    media = assets[asset][1]
    new_len = r.randrange(24, 73)
    new_src = r.randrange(0, media - new_len)
    at = r.randrange(0, start + length)
    delta = r.choice([-1, 1]) * r.randrange(1, 6)
    if kind == "trim_clip":
        return {"op": kind, "clip_id": clip.id, "edge": r.choice(["head", "tail"]),
                "delta": rt(delta), "ripple": r.random() < 0.7}  # fmt: skip
    if kind == "split_clip":
        return {"op": kind, "clip_id": clip.id, "at": rt(start + max(1, length // 2))}
    if kind == "slip_clip":
        return {"op": kind, "clip_id": clip.id, "delta": rt(delta)}
    if kind == "slide_clip":
        return {"op": kind, "clip_id": clip.id, "delta": rt(delta)}
    if kind == "roll_edit":
        return {"op": kind, "left_clip_id": clip.id, "delta": rt(delta)}
    if kind in ("insert_clip", "overwrite_clip"):
        return {"op": kind, "track_id": track.id, "asset_id": asset, "at": rt(at),
                "source_range": rng(new_src, new_len)}  # fmt: skip
    if kind == "remove_clip":
        return {"op": kind, "clip_id": clip.id, "ripple": r.random() < 0.5}
    if kind == "move_clip":
        same = [t for t in tl.tracks.children if t.kind == track.kind]
        return {"op": kind, "clip_id": clip.id, "track_id": r.choice(same).id, "at": rt(at)}
    if kind == "set_clip_properties":
        return {"op": kind, "clip_id": clip.id, "volume": round(r.uniform(0, 2), 2),
                "opacity": round(r.uniform(0.2, 1), 2)}  # fmt: skip
    if kind == "add_transition":
        following = [c for c in clips if c[0] == i + 1]
        if following:
            return {"op": kind, "left_clip_id": clip.id, "right_clip_id": following[0][1].id,
                    "kind": "dissolve", "duration": rt(r.randrange(2, 12))}  # fmt: skip
        return {"op": "slip_clip", "clip_id": clip.id, "delta": rt(delta)}
    del src
    return {"op": "add_marker", "clip_id": clip.id, "at": rt(start + r.randrange(0, length)),
            "name": f"m{r.randrange(1000)}"}  # fmt: skip


class OtioMirror:
    """The same edits, in place, on an opentimelineio tree (no versions, no validation)."""

    def __init__(self, tree: otio.schema.Timeline) -> None:
        self.tree = tree
        self.by_id: dict[str, Any] = {}
        self.tracks: dict[str, otio.schema.Track] = {}
        for track in tree.tracks:
            self.tracks[track.metadata["vedit"]["id"]] = track
            for item in track:
                self.by_id[item.metadata["vedit"]["id"]] = item

    def _where(self, item_id: str) -> tuple[otio.schema.Track, int, Any]:
        item = self.by_id[item_id]
        track = item.parent()
        if track is None:  # removed by an edit the mirror made differently
            raise KeyError(item_id)
        return track, track.index(item), item

    def _child_at(self, track: otio.schema.Track, at: int) -> tuple[int, Any, int] | None:
        pos = 0
        for i, child in enumerate(track):
            if isinstance(child, otio.schema.Transition):
                continue
            length = frames(child.duration())
            if pos <= at < pos + length:
                return i, child, at - pos
            pos += length
        return None

    def _split(self, track: otio.schema.Track, i: int, offset: int, new_id: str) -> None:
        item = track[i]
        right = copy.deepcopy(item)
        sr = item.source_range
        item.source_range = OTR(sr.start_time, ORT(offset, RATE))
        right.source_range = OTR(sr.start_time + ORT(offset, RATE), sr.duration - ORT(offset, RATE))
        right.metadata["vedit"] = {"id": new_id}
        self.by_id[new_id] = right
        track.insert(i + 1, right)

    def apply(self, op: dict, created: list[str]) -> None:
        ids = iter(created)
        kind = op["op"]
        if kind in ("trim_clip", "slip_clip"):
            _, _, clip = self._where(op["clip_id"])
            sr, d = clip.source_range, ORT(op["delta"]["value"], RATE)
            if kind == "slip_clip":
                clip.source_range = OTR(sr.start_time + d, sr.duration)
            elif op["edge"] == "tail":
                clip.source_range = OTR(sr.start_time, sr.duration + d)
            else:
                clip.source_range = OTR(sr.start_time + d, sr.duration - d)
        elif kind == "split_clip":
            track, i, clip = self._where(op["clip_id"])
            start = frames(track.range_of_child_at_index(i).start_time)
            self._split(track, i, op["at"]["value"] - start, next(ids, "x"))
        elif kind in ("slide_clip", "roll_edit"):
            track, i, clip = self._where(op.get("clip_id") or op["left_clip_id"])
            d = ORT(op["delta"]["value"], RATE)
            if i > 0 and kind == "slide_clip":
                prev = track[i - 1]
                prev.source_range = OTR(
                    prev.source_range.start_time, prev.source_range.duration + d
                )
            if i + 1 < len(track):
                nxt = track[i + 1]
                nxt.source_range = OTR(
                    nxt.source_range.start_time + d, nxt.source_range.duration - d
                )
            if kind == "roll_edit":
                clip.source_range = OTR(
                    clip.source_range.start_time, clip.source_range.duration + d
                )
        elif kind in ("insert_clip", "overwrite_clip"):
            track = self.tracks[op["track_id"]]
            src = op["source_range"]
            clip = otio.schema.Clip(
                name="new",
                source_range=OTR(
                    ORT(src["start_time"]["value"], RATE), ORT(src["duration"]["value"], RATE)
                ),
            )
            hit = self._child_at(track, op["at"]["value"])
            index = len(track)
            if hit is not None:
                index, _, offset = hit
                if offset:
                    self._split(track, index, offset, "split")
                    index += 1
            if kind == "overwrite_clip":
                need = src["duration"]["value"]
                while need > 0 and index < len(track):
                    length = frames(track[index].duration())
                    if length > need:
                        self._split(track, index, need, "rest")
                        length = need
                    del track[index]
                    need -= length
            track.insert(index, clip)
        elif kind == "remove_clip":
            track, i, clip = self._where(op["clip_id"])
            if op["ripple"]:
                del track[i]
            else:
                track[i] = otio.schema.Gap(source_range=clip.source_range)
        elif kind == "move_clip":
            track, i, clip = self._where(op["clip_id"])
            track[i] = otio.schema.Gap(source_range=clip.source_range)
            target = self.tracks[op["track_id"]]
            target.append(copy.deepcopy(clip))
        elif kind == "set_clip_properties":
            _, _, clip = self._where(op["clip_id"])
            clip.metadata["vedit"] = {**clip.metadata["vedit"], "volume": op["volume"]}
        elif kind == "add_transition":
            track, i, _ = self._where(op["left_clip_id"])
            half = op["duration"]["value"] // 2
            rest = op["duration"]["value"] - half
            trans = otio.schema.Transition(in_offset=ORT(half, RATE), out_offset=ORT(rest, RATE))
            track.insert(i + 1, trans)
        elif kind == "add_marker":
            _, _, clip = self._where(op["clip_id"])
            clip.markers.append(otio.schema.Marker(name=op["name"]))
