"""Timeline JSON from per-item pieces (`timeline_ops.encoding`): the same bytes as pydantic's
own serializer, and snapshots that decode to the same timeline with or without their index."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.timeline_models import Timeline
from operators.timeline_editor import (
    InvalidOp,
    apply_op,
    load_snapshot,
    parse_op,
    snapshot_json,
    timeline_json,
)
from operators.timeline_ops import encoding
from tests.timeline import rt, seeded_timeline, sr
from tests.timeline.test_properties import draw_op


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_version_serializes_and_decodes_exactly(data: st.DataObject) -> None:
    tl, ctx = seeded_timeline()
    versions = [tl]
    for _ in range(data.draw(st.integers(1, 15))):
        op, _unknown = draw_op(data, tl)
        try:
            tl = apply_op(tl, parse_op(op), ctx)
        except InvalidOp:
            continue
        versions.append(tl)
    # Items shared between versions reuse their JSON; each version must still be exact.
    for doc in versions:
        assert timeline_json(doc) == doc.model_dump_json().encode()
        text, index = snapshot_json(doc)
        assert text == doc.model_dump_json().encode()
        for loaded in (load_snapshot(text, index), load_snapshot(text, None)):
            assert loaded == doc
            assert timeline_json(loaded) == text


def odd_timeline() -> Timeline:
    """Metadata that looks like our JSON structure, an empty track and a nested stack."""
    tl, ctx = seeded_timeline()
    tl = apply_op(tl, {"op": "add_track", "kind": "audio"}, ctx)
    data = tl.model_dump(mode="json")
    tracks = data["tracks"]["children"]
    tracks[0]["metadata"] = {"children": [], "x": '"children":[]', "nested": {"children": [1]}}
    tracks[0]["name"] = 'V "children":[]'
    tracks[1]["children"].append(
        {"OTIO_SCHEMA": "Stack.1", "id": "st", "children": [
            {"OTIO_SCHEMA": "Track.1", "id": "inner", "kind": "Video", "children": [
                {"OTIO_SCHEMA": "Gap.1", "id": "g", "source_range": sr(0, 5)}]}]}
    )  # fmt: skip
    data["metadata"] = {"tracks": {"children": []}}
    return Timeline.model_validate(data)


def test_structure_lookalikes_in_metadata_do_not_confuse_the_index() -> None:
    doc = odd_timeline()
    text, index = snapshot_json(doc)
    assert text == doc.model_dump_json().encode()
    loaded = load_snapshot(text, index)
    assert loaded == doc and timeline_json(loaded) == text


def test_a_second_decode_shares_the_items_of_the_first() -> None:
    doc, _ = seeded_timeline()
    text, index = snapshot_json(doc)
    first = load_snapshot(text, index)
    second = load_snapshot(text, index)
    assert second == doc
    for a, b in zip(first.tracks.children, second.tracks.children, strict=True):
        assert a is not b
        assert all(x is y for x, y in zip(a.children, b.children, strict=True))


def test_a_damaged_index_falls_back_to_the_whole_json() -> None:
    doc, _ = seeded_timeline()
    text, index = snapshot_json(doc)
    entries = json.loads(index)
    entries[0][1][0] += 3  # the first item is said to be longer than it is
    encoding._DECODED.clear()
    for bad in (json.dumps(entries).encode(), b"[[1, [2]]]", b"not json", b"[]"):
        assert load_snapshot(text, bad) == doc


def test_an_edited_item_gets_new_json() -> None:
    tl, ctx = seeded_timeline()
    before = timeline_json(tl)
    clip = tl.tracks.children[0].children[0]
    after = apply_op(
        tl, {"op": "trim_clip", "clip_id": clip.id, "edge": "tail", "delta": rt(-2)}, ctx
    )
    assert timeline_json(tl) == before == tl.model_dump_json().encode()
    assert timeline_json(after) == after.model_dump_json().encode() != before
