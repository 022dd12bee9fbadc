"""The timeline over HTTP: versions, ops, conflicts, undo/redo, rollback, history, diff."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from database.models import Project
from tests.factories import make_media_row
from tests.handlers.test_auth import assert_error
from tests.support import login


def rt(value: float, rate: float = 24) -> dict:
    return {"value": value, "rate": rate}


def rng(start: float, duration: float, rate: float = 24) -> dict:
    return {"start_time": rt(start, rate), "duration": rt(duration, rate)}


class Editor:
    """A user's view of one project's timeline."""

    def __init__(self, client: TestClient, project_id: str) -> None:
        self.client = client
        self.base = f"/projects/{project_id}/timeline"
        self.version = 0

    def create(self, **settings: object):
        return self.client.post(self.base, json={"name": "Cut", "rate": 24, **settings})

    def ops(self, *ops: dict, expected: int | None = None, **extra: object):
        headers = {"X-Expected-Version": str(self.version if expected is None else expected)}
        response = self.client.post(
            f"{self.base}/ops", json={"ops": list(ops), **extra}, headers=headers
        )
        if response.status_code == 200:
            self.version = response.json()["version"]
        return response

    def ok(self, *ops: dict, **extra: object) -> dict:
        response = self.ops(*ops, **extra)
        assert response.status_code == 200, response.text
        return response.json()["timeline"]

    def get(self, version: int | None = None) -> dict:
        params = {"version": version} if version is not None else {}
        response = self.client.get(self.base, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, **headers: str):
        response = self.client.post(f"{self.base}/{path}", headers=headers)
        if response.status_code == 200:
            self.version = response.json()["version"]
        return response


def tracks(timeline: dict) -> list[dict]:
    return timeline["tracks"]["children"]


def clips(track: dict) -> list[dict]:
    return [c for c in track["children"] if c["OTIO_SCHEMA"].startswith("Clip")]


@pytest.fixture
def setup(user_client: TestClient, db: Session) -> tuple[Editor, dict[str, str]]:
    project_id = user_client.post("/projects", json={"name": "edit"}).json()["project"]["id"]
    project = db.get(Project, uuid.UUID(project_id))
    assert project is not None
    assets = {
        "a": str(make_media_row(db, project, duration_s=10.0).id),
        "b": str(make_media_row(db, project, duration_s=4.0).id),
        "music": str(make_media_row(db, project, kind="audio", duration_s=30.0, fps=None).id),
    }
    editor = Editor(user_client, project_id)
    assert editor.create().status_code == 201
    return editor, assets


def test_create_and_read(user_client: TestClient) -> None:
    pid = user_client.post("/projects", json={"name": "p"}).json()["project"]["id"]
    editor = Editor(user_client, pid)
    assert_error(user_client.get(editor.base), 404, "timeline_not_found")
    created = editor.create(width=1280, height=720, sample_rate=44100)
    assert created.status_code == 201
    body = created.json()
    assert body["version"] == 0
    timeline = body["timeline"]
    assert timeline["OTIO_SCHEMA"] == "Timeline.1"
    assert timeline["settings"] == {"rate": 24, "width": 1280, "height": 720, "sample_rate": 44100}
    assert timeline["tracks"]["OTIO_SCHEMA"] == "Stack.1" and tracks(timeline) == []
    assert_error(editor.create(), 409, "timeline_exists")
    assert editor.get()["version"] == 0


def test_ops_make_versions(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, assets = setup
    timeline = editor.ok({"op": "add_track", "kind": "video", "name": "V1"})
    assert editor.version == 1
    v1 = tracks(timeline)[0]
    assert v1["OTIO_SCHEMA"] == "Track.1" and v1["kind"] == "Video" and v1["id"]
    timeline = editor.ok(
        {
            "op": "append_clip",
            "track_id": v1["id"],
            "asset_id": assets["a"],
            "source_range": rng(0, 48),
        },
        {
            "op": "append_clip",
            "track_id": v1["id"],
            "asset_id": assets["b"],
            "source_range": rng(24, 24),
        },
        description="rough cut",
    )
    assert editor.version == 2
    placed = clips(tracks(timeline)[0])
    assert [c["media_reference"]["asset_id"] for c in placed] == [assets["a"], assets["b"]]
    assert placed[1]["source_range"] == {**rng(24, 24), "OTIO_SCHEMA": "TimeRange.1"} or (
        placed[1]["source_range"]["duration"]["value"] == 24
    )
    assert len({c["id"] for c in placed}) == 2
    # Earlier versions stay readable.
    assert tracks(editor.get(1)["timeline"])[0]["children"] == []
    assert editor.get(0)["timeline"]["tracks"]["children"] == []
    assert_error(editor.client.get(editor.base, params={"version": 99}), 404, "version_not_found")


def test_stale_version_is_409_and_bad_ops_are_422(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, assets = setup
    track = tracks(editor.ok({"op": "add_track", "kind": "video"}))[0]["id"]
    stale = editor.ops({"op": "add_track", "kind": "audio"}, expected=0)
    assert_error(stale, 409, "version_conflict")
    assert stale.json()["error"]["details"]["current_version"] == 1

    before = editor.get()
    beyond = {
        "op": "append_clip",
        "track_id": track,
        "asset_id": assets["b"],
        "source_range": rng(0, 200),
    }
    good = {"op": "add_track", "kind": "audio"}
    for bad in (
        [beyond],
        [good, beyond],  # atomic: the good op is not kept either
        [{"op": "no_such_op"}],
        [{"op": "remove_clip", "clip_id": "nope", "ripple": True}],
        [
            {
                "op": "append_clip",
                "track_id": track,
                "asset_id": "00000000-0000-0000-0000-000000000000",
                "source_range": rng(0, 1),
            }
        ],
    ):
        response = editor.ops(*bad)
        assert response.status_code == 422, response.text
        assert response.json()["ok"] is False and response.json()["error"]["message"]
    assert editor.get() == before
    missing_header = editor.client.post(f"{editor.base}/ops", json={"ops": [good]})
    assert_error(missing_header, 422, "validation_error")


def test_undo_redo_rollback(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, assets = setup
    assert_error(editor.post("undo"), 409, "nothing_to_undo")
    v1 = editor.ok({"op": "add_track", "kind": "video", "name": "V1"})
    track = tracks(v1)[0]["id"]
    v2 = editor.ok(
        {
            "op": "append_clip",
            "track_id": track,
            "asset_id": assets["a"],
            "source_range": rng(0, 24),
        }
    )
    v3 = editor.ok({"op": "rename_track", "track_id": track, "name": "Main"})

    undone = editor.post("undo")
    assert undone.status_code == 200 and undone.json()["version"] == 4
    assert undone.json()["timeline"] == v2
    assert editor.post("undo").json()["timeline"] == v1
    assert editor.post("redo").json()["timeline"] == v2
    assert editor.post("redo").json()["timeline"] == v3
    assert_error(editor.post("redo"), 409, "nothing_to_redo")

    assert editor.post("undo").json()["timeline"] == v2
    editor.ok({"op": "add_track", "kind": "audio"})  # a new edit clears the redo stack
    assert_error(editor.post("redo"), 409, "nothing_to_redo")

    rolled = editor.post("rollback/1")
    assert rolled.json()["timeline"] == v1
    assert editor.post("undo").json()["timeline"]["tracks"]["children"][1]["kind"] == "Audio"
    stale = editor.post("rollback/0", **{"X-Expected-Version": "1"})
    assert_error(stale, 409, "version_conflict")
    history = editor.client.get(f"{editor.base}/history", params={"limit": 100}).json()
    assert history["current_version"] == editor.version
    assert [v["version"] for v in history["versions"]] == list(range(editor.version, -1, -1))


def test_minimal_response_returns_created_ids(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, assets = setup
    response = editor.ops({"op": "add_track", "kind": "video"}, return_timeline=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timeline"] is None and body["version"] == 1
    (track,) = body["created_ids"]
    append = {
        "op": "append_clip",
        "track_id": track,
        "asset_id": assets["a"],
        "source_range": rng(0, 48),
    }
    (clip,) = editor.ops(append, return_timeline=False).json()["created_ids"]
    split = {"op": "split_clip", "clip_id": clip, "at": rt(12)}
    (right,) = editor.ops(split, return_timeline=False).json()["created_ids"]
    timeline = editor.get()["timeline"]
    assert [c["id"] for c in clips(tracks(timeline)[0])] == [clip, right]


def test_history_records_authors_and_ops(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, _ = setup
    user_id = editor.client.get("/auth/session").json()["user_id"]
    editor.ok({"op": "add_track", "kind": "video"}, description="by hand")
    editor.ok({"op": "add_track", "kind": "audio"}, description="by the bot", agent="cutter")
    history = editor.client.get(f"{editor.base}/history", params={"ops": "true"}).json()
    newest, older = history["versions"][0], history["versions"][1]
    assert newest["author"] == "agent:cutter" and newest["description"] == "by the bot"
    assert older["author"] == f"user:{user_id}" and older["parent_version"] == 0
    assert newest["ops"][0]["op"] == "add_track" and newest["ops"][0]["kind"] == "audio"
    assert history["total"] == 3 and history["can_undo"] and not history["can_redo"]
    page = editor.client.get(f"{editor.base}/history", params={"limit": 1, "offset": 1}).json()
    assert [v["version"] for v in page["versions"]] == [1]


def test_diff(setup: tuple[Editor, dict[str, str]]) -> None:
    editor, assets = setup
    track = tracks(editor.ok({"op": "add_track", "kind": "video"}))[0]["id"]
    first = editor.ok(
        {
            "op": "append_clip",
            "track_id": track,
            "asset_id": assets["a"],
            "source_range": rng(0, 24),
        },
        {
            "op": "append_clip",
            "track_id": track,
            "asset_id": assets["b"],
            "source_range": rng(0, 24),
        },
    )
    one, two = clips(tracks(first)[0])
    editor.ok(
        {"op": "remove_clip", "clip_id": two["id"], "ripple": True},
        {"op": "rename_track", "track_id": track, "name": "renamed"},
        {
            "op": "append_clip",
            "track_id": track,
            "asset_id": assets["b"],
            "source_range": rng(24, 12),
        },
    )
    body = editor.client.get(f"{editor.base}/diff", params={"from": 2, "to": 3}).json()
    assert {i["id"] for i in body["removed"]} == {two["id"]}
    assert [i["kind"] for i in body["added"]] == ["clip"]
    changed = {c["id"]: c for c in body["changed"]}
    assert "name" in changed[track]["fields"]
    assert one["id"] not in changed


def test_other_users_get_404(
    setup: tuple[Editor, dict[str, str]], make_client: Callable[[], TestClient]
) -> None:
    editor, _ = setup
    other = make_client()
    login(other)
    assert_error(other.get(editor.base), 404, "project_not_found")
    response = other.post(
        f"{editor.base}/ops",
        json={"ops": [{"op": "add_track", "kind": "video"}]},
        headers={"X-Expected-Version": "0"},
    )
    assert_error(response, 404, "project_not_found")
    assert_error(other.post(f"{editor.base}/undo"), 404, "project_not_found")
    assert editor.get()["version"] == 0
