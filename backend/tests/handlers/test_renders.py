"""Renders through HTTP: the picture and length of the file, ranges, progress, cancel,
callbacks, frame previews, bad input, ownership and failures."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from database.models import Asset
from database.render_models import Render
from database.session import session_scope
from jobs.recovery import recover_renders
from jobs.render_job import render_key
from render.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, callback_secret, verify
from runtime import Runtime
from tests.handlers.asset_helpers import project_for, upload, wait_indexed
from tests.handlers.render_helpers import (
    BLUE,
    RED,
    Cut,
    callback_server,
    close_to,
    colour_clip,
    duration_of,
    pixel,
    refused_url,
    rng,
    stored_asset,
)
from tests.handlers.test_auth import assert_error
from tests.support import login, wait_for, wait_for_jobs

FRAME = 1 / 24


@pytest.fixture
def client(committed: Runtime, make_client: Callable[[], TestClient]) -> TestClient:
    """Render tests commit for real: the jobs run in other threads or processes."""
    return make_client()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("render-media")
    return {
        "red": colour_clip(folder / "red.mp4", "red"),
        "blue": colour_clip(folder / "blue.mp4", "blue"),
        "long": colour_clip(folder / "long.mp4", "red", seconds=30),
    }


def red_blue_cut(client: TestClient, runtime: Runtime, clips: dict[str, Path]) -> Cut:
    """A project whose timeline is 2 s of red then 2 s of blue (assets stored directly)."""
    cut = Cut(client, project_for(client))
    red, blue = (stored_asset(runtime, cut.pid, clips[name]) for name in ("red", "blue"))
    cut.append(red, 48)
    cut.append(blue, 48)
    return cut


def test_draft_render_of_uploaded_media(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = Cut(client, project_for(client))
    ids = []
    for name in ("red", "blue"):
        asset = upload(client, cut.pid, clips[name], content_type="video/mp4").json()["asset"]
        done = wait_indexed(client, cut.pid, asset["id"])
        assert "proxy" in done["renditions"], done["indexing_error"]
        ids.append(asset["id"])
        # What renders need about the packets was read once, at ingest (and is not in the API).
        assert "video_facts" not in done
        with session_scope(committed.sessions) as db:
            kept = db.get(Asset, uuid.UUID(asset["id"])).video_facts  # type: ignore[union-attr]
        assert kept["original"]["keyframes"][0] == 0 and kept["original"]["constant_rate"]
        # The proxy has a keyframe every second: 24 fps.
        assert kept["proxy"]["keyframes"][:2] == [0, 24] and kept["proxy"]["copyable"]
    cut.append(ids[0], 48)
    cut.append(ids[1], 48)

    created = cut.render(preset="draft")
    assert created.status_code == 202, created.text
    render = created.json()["render"]
    assert created.json()["ok"] is True
    assert render["status"] == "pending" and render["timeline_version"] == cut.version
    seen: list = []
    done = cut.wait(render["id"], seen=seen)
    assert done["status"] == "completed", done["error"]
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and done["progress"] == 100
    assert done["started_at"] <= done["completed_at"] and done["attempts"] == 1
    assert (done["width"], done["height"]) == (960, 540)

    content = client.get(done["content_url"])
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
    assert len(content.content) == done["size_bytes"]
    out = tmp_path / "out.mp4"
    out.write_bytes(content.content)
    assert abs(duration_of(out) - 4.0) <= FRAME + 0.03
    assert close_to(pixel(out, 1.0), RED) and close_to(pixel(out, 3.0), BLUE)
    part = client.get(done["content_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == content.content[:100]

    listed = client.get(f"{cut.base}/renders").json()
    assert listed["total"] == 1 and listed["renders"][0]["id"] == render["id"]
    assert_error(client.post(f"{cut.base}/renders/{render['id']}/cancel"), 409, "render_finished")


def test_range_render_has_the_range_only(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = red_blue_cut(client, committed, clips)
    # 1.5 s to 2.5 s: half a second of red, then half a second of blue.
    created = cut.render(preset="standard", range=rng(36, 24))
    assert created.status_code == 202, created.text
    assert (created.json()["render"]["start_s"], created.json()["render"]["end_s"]) == (1.5, 2.5)
    done = cut.wait(created.json()["render"]["id"])
    assert done["status"] == "completed", done["error"]
    out = tmp_path / "range.mp4"
    out.write_bytes(client.get(done["content_url"]).content)
    assert abs(duration_of(out) - 1.0) <= FRAME + 0.03
    assert close_to(pixel(out, 0.25), RED) and close_to(pixel(out, 0.75), BLUE)
    assert (done["width"], done["height"]) == (1920, 1080)


def test_cancel_a_running_render(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = Cut(client, project_for(client))
    asset = stored_asset(committed, cut.pid, clips["long"])
    cut.append(asset, 720)
    cut.append(asset, 720)  # 60 s at 1080p: long enough to still be encoding
    render = cut.render(preset="standard").json()["render"]
    url = f"{cut.base}/renders/{render['id']}"
    assert wait_for(lambda: cut.get(render["id"])["progress"] > 0, 60, 0.05)

    cancelled = client.post(f"{url}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["render"]["cancel_requested"] is True
    assert wait_for(lambda: cut.get(render["id"])["status"] == "cancelled", 3, 0.05)
    state = cut.get(render["id"])
    assert state["output_key"] is None and state["content_url"] is None
    assert not committed.storage.exists(render_key(cut.pid, render["id"]))
    assert not list(committed.settings.work_dir.glob(f"render-{render['id']}-*"))
    assert_error(client.get(f"{url}/content"), 409, "render_not_completed")
    again = client.post(f"{url}/cancel")  # idempotent
    assert again.status_code == 200 and again.json()["render"]["status"] == "cancelled"


def test_cancel_a_pending_render_at_once(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = red_blue_cut(client, committed, clips)
    with session_scope(committed.sessions) as db:  # a queued render no worker has taken yet
        row = Render(project_id=uuid.UUID(cut.pid), timeline_version=cut.version, preset="draft")
        db.add(row)
        db.flush()
        render_id = str(row.id)
    cancelled = client.post(f"{cut.base}/renders/{render_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["render"]["status"] == "cancelled"
    assert cancelled.json()["render"]["completed_at"] is not None


def test_bad_requests_create_no_render(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    pid = project_for(client)
    assert_error(client.post(f"/projects/{pid}/renders", json={}), 404, "timeline_not_found")
    cut = Cut(client, pid)
    assert_error(cut.render(), 422, "empty_timeline")
    red = stored_asset(committed, pid, clips["red"])
    cut.append(red, 48)
    assert_error(cut.render(preset="ultra"), 422, "unknown_preset")
    assert_error(cut.render(version=cut.version + 1), 404, "version_not_found")
    assert_error(cut.render(range=rng(24, 48)), 422, "range_outside_timeline")
    assert_error(cut.render(range=rng(0, 0)), 422, "invalid_range")
    assert_error(cut.render(range=rng(-24, 24)), 422, "invalid_range")
    assert_error(cut.render(callback_url="ftp://example.com/x"), 422, "validation_error")
    assert_error(cut.render(colour="red"), 422, "validation_error")
    assert client.get(f"{cut.base}/renders").json()["total"] == 0
    assert_error(cut.frame(2.0), 422, "time_outside_timeline")
    assert_error(cut.frame(-1), 422, "validation_error")


def test_other_users_get_404_everywhere(
    client: TestClient, committed: Runtime, make_client: Callable[[], TestClient]
) -> None:
    pid = project_for(client)
    with session_scope(committed.sessions) as db:
        row = Render(project_id=uuid.UUID(pid), timeline_version=0, preset="draft")
        row.status = "cancelled"
        db.add(row)
        db.flush()
        rid = str(row.id)
    other = make_client()
    login(other)
    other_pid = project_for(other, "mine")
    base = f"/projects/{pid}"
    for method, path in (
        ("post", "/renders"),
        ("get", "/renders"),
        ("get", f"/renders/{rid}"),
        ("post", f"/renders/{rid}/cancel"),
        ("get", f"/renders/{rid}/content"),
        ("delete", f"/renders/{rid}"),
        ("get", "/timeline/frame?t=0"),
    ):
        extra = {"json": {}} if method == "post" else {}
        response = getattr(other, method)(base + path, **extra)
        assert_error(response, 404, "project_not_found")
    assert_error(other.get(f"/projects/{other_pid}/renders/{rid}"), 404, "render_not_found")
    assert client.get(f"{base}/renders/{rid}").status_code == 200
    presets = other.get("/render/presets").json()["presets"]
    assert [p["name"] for p in presets] == ["draft", "standard", "high"]
    assert make_client().get("/render/presets").status_code == 401


def test_deleting_a_render_removes_its_file(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = red_blue_cut(client, committed, clips)
    done = cut.wait(cut.render().json()["render"]["id"])
    assert done["status"] == "completed", done["error"]
    key = render_key(cut.pid, done["id"])
    assert committed.storage.exists(key)

    deleted = client.delete(f"{cut.base}/renders/{done['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}
    assert_error(client.get(f"{cut.base}/renders/{done['id']}"), 404, "render_not_found")
    assert wait_for(lambda: not committed.storage.exists(key), 30)
    assert client.get(f"{cut.base}/renders").json()["total"] == 0


def test_deleting_a_running_render_stops_it_and_keeps_nothing(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = Cut(client, project_for(client))
    asset = stored_asset(committed, cut.pid, clips["long"])
    cut.append(asset, 720)
    rid = cut.render(preset="standard").json()["render"]["id"]
    assert wait_for(lambda: cut.get(rid)["status"] == "processing", 60)
    assert client.delete(f"{cut.base}/renders/{rid}").status_code == 200
    assert wait_for_jobs(committed, 60)
    assert not committed.storage.exists(render_key(cut.pid, rid))
    assert_error(client.get(f"{cut.base}/renders/{rid}"), 404, "render_not_found")


def test_callbacks_are_signed_progress_then_one_completion(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = red_blue_cut(client, committed, clips)
    with callback_server() as hooks:
        render = cut.render(preset="standard", callback_url=hooks.url).json()["render"]
        done = cut.wait(render["id"])
        assert done["status"] == "completed", done["error"]
        assert wait_for(lambda: "render.completed" in hooks.events, 30)
    secret = callback_secret(committed.settings)
    for post in hooks.posts:
        assert post.headers[SIGNATURE_HEADER.lower()].startswith("sha256=")
        stamp = post.headers[TIMESTAMP_HEADER.lower()]
        signature = post.headers[SIGNATURE_HEADER.lower()]
        assert verify(secret, stamp, post.body, signature)
        assert not verify("not the secret", stamp, post.body, signature)
        assert post.json["render_id"] == render["id"]
    assert hooks.events[-1] == "render.completed" and hooks.events.count("render.completed") == 1
    assert set(hooks.events[:-1]) == {"render.progress"} and len(hooks.events) >= 2
    progress = [post.json["progress"] for post in hooks.posts]
    assert progress == sorted(progress) and progress[-1] == 100
    final = hooks.posts[-1].json
    assert final["status"] == "completed" and final["size_bytes"] == done["size_bytes"]
    assert final["error"] is None and final["content_url"] == done["content_url"]


@pytest.mark.parametrize("receiver", ["500", "refused"])
def test_a_failing_callback_receiver_does_not_fail_the_render(
    client: TestClient, committed: Runtime, clips: dict[str, Path], receiver: str
) -> None:
    cut = red_blue_cut(client, committed, clips)
    with callback_server(status=500) as hooks:
        url = hooks.url if receiver == "500" else refused_url()
        done = cut.wait(cut.render(callback_url=url).json()["render"]["id"])
        assert done["status"] == "completed", done["error"]
        if receiver == "500":
            assert wait_for(lambda: "render.completed" in hooks.events, 30)


def test_frame_preview_shows_the_clip_at_t_in_any_version(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = red_blue_cut(client, committed, clips)
    both = cut.version
    track = client.get(f"{cut.base}/timeline").json()["timeline"]["tracks"]["children"][0]
    cut.ops({"op": "remove_clip", "clip_id": track["children"][0]["id"], "ripple": True})

    png = cut.frame(0.5)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert close_to(pixel(png.content), BLUE)  # the red clip was rippled away
    assert close_to(pixel(cut.frame(0.5, version=both).content), RED)
    assert close_to(pixel(cut.frame(3.0, version=both).content), BLUE)
    assert_error(cut.frame(3.0), 422, "time_outside_timeline")
    assert_error(cut.frame(0.5, version=99), 404, "version_not_found")
    small = cut.frame(0.5, version=both, height=90)
    assert small.status_code == 200 and close_to(pixel(small.content), RED)


@pytest.mark.allow_error_logs
@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_broken_source_media_fails_the_render_clearly(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    cut = red_blue_cut(client, committed, clips)
    with session_scope(committed.sessions) as db:
        keys = db.scalars(select(Asset.storage_key).where(Asset.project_id == uuid.UUID(cut.pid)))
        key = keys.first()
    if damage == "deleted":
        committed.storage.delete(key)
    else:
        junk = tmp_path / "junk.mp4"
        junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
        committed.storage.put_file(key, junk)
    done = cut.wait(cut.render(preset="standard").json()["render"]["id"])
    assert done["status"] == "failed" and done["output_key"] is None
    assert done["completed_at"] is not None and done["progress"] < 100
    expected = "is missing" if damage == "deleted" else "Invalid data found"
    assert expected in done["error"] and ".mp4)" in done["error"], done["error"]
    assert str(committed.settings.data_dir) not in done["error"]  # no server paths
    assert not committed.storage.exists(render_key(cut.pid, done["id"]))


def test_reaper_restarts_a_render_whose_worker_died(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = red_blue_cut(client, committed, clips)
    ids = []
    with session_scope(committed.sessions) as db:
        for cancel in (False, True):
            row = Render(project_id=uuid.UUID(cut.pid), timeline_version=cut.version)
            row.preset, row.status, row.attempts = "draft", "processing", 1
            row.cancel_requested = cancel
            db.add(row)
            db.flush()
            ids.append(str(row.id))
    counts = recover_renders(committed)
    assert counts == {"requeued": 1, "failed": 0, "cancelled": 1}
    restarted = cut.wait(ids[0])
    assert restarted["status"] == "completed" and restarted["attempts"] == 2
    assert cut.get(ids[1])["status"] == "cancelled"


def test_a_deleted_asset_renders_as_a_gap_with_a_warning(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = red_blue_cut(client, committed, clips)
    blue = client.get(f"{cut.base}/timeline").json()["timeline"]["tracks"]["children"][0]
    asset_id = blue["children"][1]["media_reference"]["asset_id"]
    assert client.delete(f"{cut.base}/assets/{asset_id}").status_code == 200
    done = cut.wait(cut.render(preset="standard").json()["render"]["id"])
    assert done["status"] == "completed", done["error"]
    assert any(asset_id in warning for warning in done["warnings"]), done["warnings"]
    out = tmp_path / "gap.mp4"
    out.write_bytes(client.get(done["content_url"]).content)
    assert close_to(pixel(out, 1.0), RED) and close_to(pixel(out, 3.0), (0, 0, 0))
