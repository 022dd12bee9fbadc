"""Timeline JSON built from per-item pieces, so a version costs only the items it changed.

Versions share their unchanged items (the objects themselves, see `core.own`), and an item
never changes once an op has finished with it. So the JSON of an item, once made, holds for
as long as the object lives: `timeline_json` joins cached item pieces and dumps only new
items, with the same bytes as `Timeline.model_dump_json()`.

A snapshot keeps where each item's JSON lies (`snapshot_json`), which lets `load_snapshot`
validate only the items no live version holds already: an item whose JSON is byte-identical
to one another version decoded is that (immutable) object, shared, as edits share them.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from models.timeline_models import Stack, Timeline, Track, TrackChild
from operators.timeline_ops.positions import is_tidy, mark_tidy


class _Piece(weakref.ref):  # type: ignore[type-arg]
    """A weak reference to an item with the item's JSON; when the item dies, so do its
    entries (a dead object's id can be reused, so entries are only trusted while alive)."""

    __slots__ = ("json", "key")


def _drop(piece: _Piece) -> None:
    if _PIECES.get(piece.key) is piece:
        del _PIECES[piece.key]
    if _DECODED.get(piece.json) is piece:
        del _DECODED[piece.json]


# id(item) -> its piece, and JSON -> the piece of the item decoded from it. Only decoded items
# are found by their JSON: an op-made object may hold values its JSON would not give back
# (say a Fraction in metadata), so it must not stand in for what the JSON decodes to.
_PIECES: dict[int, _Piece] = {}
_DECODED: dict[bytes, _Piece] = {}
_ITEMS = TypeAdapter(list[TrackChild])


def _split_fields(model: type[BaseModel], name: str) -> tuple[set[str], set[str]]:
    """The model's fields before and after `name`, in declaration (= JSON) order."""
    fields = list(model.model_fields)
    at = fields.index(name)
    # `_around` splices `name` in between: it needs a field on each side of it.
    assert 0 < at < len(fields) - 1, f"{model.__name__}.{name} must not be first or last"
    return set(fields[:at]), set(fields[at + 1 :])


_TRACK = _split_fields(Track, "children")
_STACK = _split_fields(Stack, "children")
_TIMELINE = _split_fields(Timeline, "tracks")


def _around(
    model: BaseModel, fields: tuple[set[str], set[str]], key: bytes, inner: bytes
) -> tuple[bytes, int]:
    """The model's JSON with `inner` as the value of field `key` (in its place), and where
    `inner` starts in it."""
    head = model.model_dump_json(include=fields[0]).encode()[:-1] + b',"' + key + b'":'
    tail = model.model_dump_json(include=fields[1]).encode()
    return b"".join((head, inner, b",", tail[1:])), len(head)


def _remember(item: object, text: bytes) -> _Piece:
    piece = _Piece(item, _drop)
    piece.key, piece.json = id(item), text
    _PIECES[piece.key] = piece
    return piece


def item_json(item: BaseModel) -> bytes:
    """One track child's JSON, made once per object."""
    piece = _PIECES.get(id(item))
    if piece is not None and piece() is item:
        return piece.json
    return _remember(item, item.model_dump_json().encode()).json


def _join(doc: Timeline) -> tuple[bytes, list[list[Any]]]:
    """The timeline's JSON and, per track, where its first child starts, their lengths and
    whether the track is tidy (`positions.mark_tidy`)."""
    tracks: list[bytes] = []
    index: list[list[Any]] = []
    pos = 1  # in the stack's children array, after its "["
    for track in doc.tracks.children:
        items = [item_json(child) for child in track.children]
        shell, at = _around(track, _TRACK, b"children", b"[]")
        tracks.append(shell[: at + 1] + b",".join(items) + shell[at + 1 :])
        # Whether the track is tidy travels with it, so a replay need not tidy it whole.
        index.append([pos + at + 1, [len(p) for p in items], int(is_tidy(track))])
        pos += len(tracks[-1]) + 1
    inner = b"[" + b",".join(tracks) + b"]"
    stack, in_stack = _around(doc.tracks, _STACK, b"children", inner)
    text, in_text = _around(doc, _TIMELINE, b"tracks", stack)
    for entry in index:
        entry[0] += in_text + in_stack
    return text, index


def timeline_json(doc: Timeline) -> bytes:
    """`doc.model_dump_json().encode()`, reusing the JSON of items other versions share."""
    return _join(doc)[0]


def snapshot_json(doc: Timeline) -> tuple[bytes, bytes]:
    """The timeline's JSON and an index of where each track child's JSON lies in it."""
    text, index = _join(doc)
    return text, json.dumps(index, separators=(",", ":")).encode()


def load_snapshot(text: bytes, index: bytes | None) -> Timeline:
    """The timeline of `snapshot_json`'s output; with the index, items other live versions
    decoded from the same JSON are shared, and only the rest are validated."""
    if index is not None:
        try:
            return _load_indexed(text, json.loads(index))
        except (ValueError, ValidationError, IndexError, TypeError):
            pass  # a damaged index: the JSON alone is complete
    return Timeline.model_validate_json(text)


def _load_indexed(text: bytes, index: list[list[Any]]) -> Timeline:
    skeleton: list[bytes] = []
    tracks: list[list[Any]] = []
    missing: list[bytes] = []
    pos = 0
    for start, lengths, *_ in index:
        if text[start - 1 : start] != b"[":
            raise ValueError("index does not match the snapshot")
        skeleton.append(text[pos:start])
        items: list[Any] = []  # the live item decoded from the same JSON, else the JSON
        for length in lengths:
            piece = text[start : start + length]
            known = _DECODED.get(piece)
            item = known() if known is not None else None
            items.append(item if item is not None else piece)
            if item is None:
                missing.append(piece)
            start += length + 1
        pos = start - 1 if lengths else start
        if text[pos : pos + 1] != b"]":
            raise ValueError("index does not match the snapshot")
        tracks.append(items)
    skeleton.append(text[pos:])
    doc = Timeline.model_validate_json(b"".join(skeleton))
    if len(doc.tracks.children) != len(tracks):
        raise ValueError("index does not match the snapshot")
    # The pieces are validated themselves, so a wrong index can't give an item wrong JSON.
    decoded = iter(_ITEMS.validate_json(b"[" + b",".join(missing) + b"]") if missing else [])
    for track, items, entry in zip(doc.tracks.children, tracks, index, strict=True):
        if track.children:
            raise ValueError("index does not match the snapshot")
        if entry[2:] == [1]:
            mark_tidy(track)
        for i, item in enumerate(items):
            if isinstance(item, bytes):
                items[i] = new = next(decoded)
                _DECODED[item] = _remember(new, item)
        track.children = items
    return doc
