"""Assets through HTTP: upload, probe, indexing, renditions, ranges, errors, ownership."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from runtime import Runtime
from tests import media
from tests.handlers.asset_helpers import project_for, upload, wait_indexed
from tests.handlers.test_auth import assert_error
from tests.support import login, wait_for, wait_for_jobs
from utils.storage import asset_prefix


@pytest.fixture
def client(committed: Runtime, make_client: Callable[[], TestClient]) -> TestClient:
    """Asset tests commit for real: indexing runs in other threads or processes."""
    return make_client()


def test_video_is_probed_indexed_and_served(client: TestClient, tmp_path: Path) -> None:
    pid = project_for(client)
    src = media.make_video(tmp_path / "clip.mp4", seconds=2, size="1280x720", rate="30000/1001")
    response = upload(client, pid, src, content_type="video/mp4")
    assert response.status_code == 201, response.text
    asset = response.json()["asset"]
    assert asset["indexing_status"] == "pending"
    assert asset["kind"] == "video"
    assert asset["fps"] == {"num": 30000, "den": 1001}
    assert (asset["width"], asset["height"]) == (1280, 720)
    assert asset["video_codec"] == "h264" and asset["audio_codec"] == "aac"
    assert asset["audio_channels"] == 2 and asset["sample_rate"] == 48000
    assert abs(asset["duration_s"] - 2.0) < 0.1
    assert asset["size_bytes"] == src.stat().st_size

    done = wait_indexed(client, pid, asset["id"])
    assert done["indexing_status"] == "completed", done["indexing_error"]
    assert done["indexing_progress"] == 100.0 and done["indexing_attempts"] == 1
    assert done["indexing_started_at"] <= done["indexing_completed_at"]
    assert set(done["stages"]) == {
        "probe", "thumbnail", "filmstrip", "waveform", "proxy",
        "transcribe", "shots", "summarise", "embed", "visual_embed",
    }  # fmt: skip
    assert all(stage["status"] == "completed" for stage in done["stages"].values())
    assert {"original", "thumbnail", "filmstrip", "waveform", "proxy"} <= set(done["renditions"])

    base = f"/projects/{pid}/assets/{asset['id']}"
    thumb = client.get(f"{base}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    (tmp_path / "thumb.jpg").write_bytes(thumb.content)
    stream = media.probe_json(tmp_path / "thumb.jpg")["streams"][0]
    assert stream["width"] / stream["height"] == pytest.approx(16 / 9, rel=0.02)

    proxy = client.get(f"{base}/proxy")
    assert proxy.status_code == 200
    (tmp_path / "proxy.mp4").write_bytes(proxy.content)
    probed = media.probe_json(tmp_path / "proxy.mp4")
    video = next(s for s in probed["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["height"]) == ("h264", 540)
    assert abs(float(probed["format"]["duration"]) - 2.0) < 0.1

    waveform = client.get(f"{base}/waveform").json()
    assert max(peak[1] for peak in waveform["peaks"]) > 0.05  # lavfi sine: amplitude 1/8
    index = client.get(f"{base}/filmstrip/index").json()
    assert index["count"] >= 1 and len(index["frames"]) == index["count"]
    assert client.get(f"{base}/filmstrip").headers["content-type"] == "image/jpeg"


def test_range_requests(client: TestClient, tmp_path: Path) -> None:
    pid = project_for(client)
    src = media.make_video(tmp_path / "clip.mp4", seconds=1)
    data = src.read_bytes()
    asset = upload(client, pid, src).json()["asset"]
    url = f"/projects/{pid}/assets/{asset['id']}/content"

    full = client.get(url)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    assert 'filename="clip.mp4"' in full.headers["content-disposition"]

    part = client.get(url, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.content == data[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(data)}"
    assert part.headers["content-length"] == "90"

    tail = client.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == data[-16:]
    rest = client.get(url, headers={"Range": f"bytes={len(data) - 5}-"})
    assert rest.content == data[-5:]

    beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == data
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    wait_indexed(client, pid, asset["id"])


def test_not_media_is_415_and_nothing_is_kept(
    client: TestClient, committed: Runtime, tmp_path: Path
) -> None:
    pid = project_for(client)
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video, whatever the extension says\n" * 50)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.mov"
    noise.write_bytes(bytes(range(256)) * 64)
    for path in (text, empty, noise):
        response = upload(client, pid, path)
        assert response.status_code == 415, response.text
        assert response.json()["error"]["code"] in ("unsupported_media", "empty_file")
    assert client.get(f"/projects/{pid}/assets").json()["total"] == 0
    assert not list((committed.settings.work_dir / "uploads").glob("*"))


def test_too_large_is_413(client: TestClient, committed: Runtime, tmp_path: Path) -> None:
    pid = project_for(client)
    src = media.make_video(tmp_path / "clip.mp4", seconds=1)
    original = committed.settings.max_upload_bytes
    committed.settings.max_upload_bytes = src.stat().st_size - 1
    try:
        response = upload(client, pid, src)
    finally:
        committed.settings.max_upload_bytes = original
    assert_error(response, 413, "payload_too_large")
    assert client.get(f"/projects/{pid}/assets").json()["total"] == 0
    assert not list((committed.settings.work_dir / "uploads").glob("*"))


def test_bad_upload_requests(client: TestClient) -> None:
    pid = project_for(client)
    url = f"/projects/{pid}/assets"
    assert_error(client.post(url, json={"file": "x"}), 400, "invalid_upload")
    no_file = client.post(url, data={"other": "field"}, files={"x": ("a.mp4", b"123")})
    assert_error(no_file, 400, "invalid_upload")


def test_filenames_never_become_paths(
    client: TestClient, committed: Runtime, tmp_path: Path
) -> None:
    pid = project_for(client)
    src = media.make_wav(tmp_path / "a.wav")
    response = upload(client, pid, src, filename="../../../etc/evil.wav")
    assert response.status_code == 201, response.text
    asset = response.json()["asset"]
    assert asset["filename"] == "evil.wav"
    key = asset_prefix(pid, asset["id"]) + "original"
    assert committed.storage.exists(key)
    assert not (committed.settings.data_dir.parent / "etc").exists()
    wait_indexed(client, pid, asset["id"])


def test_image_and_audio_assets(client: TestClient, tmp_path: Path) -> None:
    pid = project_for(client)
    image = upload(client, pid, media.make_image(tmp_path / "still.png", "640x360")).json()
    audio = upload(client, pid, media.make_tone_then_silence(tmp_path / "tone.wav")).json()
    assert image["asset"]["kind"] == "image" and image["asset"]["duration_s"] is None
    assert audio["asset"]["kind"] == "audio" and audio["asset"]["width"] is None

    image_done = wait_indexed(client, pid, image["asset"]["id"])
    assert image_done["indexing_status"] == "completed"
    assert set(image_done["renditions"]) == {"original", "thumbnail", "shots", "summary"}
    shots = client.get(f"/projects/{pid}/assets/{image['asset']['id']}/shots").json()["shots"]
    assert [(s["start"], s["end"]) for s in shots] == [(0.0, 0.0)]
    red = shots[0]["colors"][0]["hex"]  # YUV rounding: near, not exact
    assert int(red[1:3], 16) > 240 and int(red[3:5], 16) < 10 and int(red[5:7], 16) < 10

    audio_done = wait_indexed(client, pid, audio["asset"]["id"])
    assert audio_done["indexing_status"] == "completed"
    assert "proxy" not in audio_done["renditions"] and "thumbnail" not in audio_done["renditions"]
    waveform = client.get(f"/projects/{pid}/assets/{audio['asset']['id']}/waveform").json()
    per_s = waveform["peaks_per_second"]
    loud = waveform["peaks"][: int(0.9 * per_s)]
    quiet = waveform["peaks"][int(1.1 * per_s) :]
    assert max(p[1] for p in loud) > 0.5
    assert quiet and max(max(abs(p[0]), abs(p[1])) for p in quiet) < 0.01
    # A tone and silence hold no words: none are invented.
    transcript = client.get(f"/projects/{pid}/assets/{audio['asset']['id']}/transcript").json()
    assert transcript["segments"] == []

    listed = client.get(f"/projects/{pid}/assets", params={"kind": "audio"}).json()
    assert [a["id"] for a in listed["assets"]] == [audio["asset"]["id"]]
    assert client.get(f"/projects/{pid}/assets").json()["total"] == 2
    completed = client.get(f"/projects/{pid}/assets", params={"status": "completed"}).json()
    assert completed["total"] == 2
    assert_error(
        client.get(f"/projects/{pid}/assets/{image['asset']['id']}/proxy"),
        404,
        "rendition_not_found",
    )


def test_delete_and_reindex(client: TestClient, committed: Runtime, tmp_path: Path) -> None:
    pid = project_for(client)
    asset = upload(client, pid, media.make_video(tmp_path / "c.mp4", seconds=1)).json()["asset"]
    base = f"/projects/{pid}/assets/{asset['id']}"
    first = wait_indexed(client, pid, asset["id"])
    assert first["indexing_status"] == "completed"

    again = client.post(f"{base}/reindex")
    assert again.status_code == 202 and again.json()["asset"]["indexing_status"] == "pending"
    second = wait_indexed(client, pid, asset["id"])
    assert second["indexing_status"] == "completed"
    assert second["indexing_completed_at"] > first["indexing_completed_at"]

    keys = [r["url"] for r in second["renditions"].values()]
    assert len(keys) >= 5
    assert client.delete(base).json() == {"ok": True}
    assert_error(client.get(base), 404, "asset_not_found")
    prefix = asset_prefix(pid, asset["id"])
    assert wait_for(lambda: not committed.storage.exists(prefix + "original"), 30)
    assert wait_for_jobs(committed)
    assert not committed.storage.exists(prefix + "proxy.mp4")


def test_other_users_cannot_touch_assets(
    client: TestClient, make_client: Callable[[], TestClient], tmp_path: Path
) -> None:
    pid = project_for(client)
    asset = upload(client, pid, media.make_wav(tmp_path / "a.wav")).json()["asset"]
    other = make_client()
    login(other)
    other_pid = project_for(other, "mine")
    base = f"/projects/{pid}/assets"
    assert_error(other.get(base), 404, "project_not_found")
    assert_error(other.get(f"{base}/{asset['id']}"), 404, "project_not_found")
    assert_error(other.get(f"{base}/{asset['id']}/content"), 404, "project_not_found")
    assert_error(upload(other, pid, tmp_path / "a.wav"), 404, "project_not_found")
    # Through the other user's own project the asset id does not resolve either.
    own = f"/projects/{other_pid}/assets/{asset['id']}"
    assert_error(other.get(own), 404, "asset_not_found")
    assert_error(other.delete(own), 404, "asset_not_found")
    assert client.get(f"{base}/{asset['id']}").status_code == 200
    wait_indexed(client, pid, asset["id"])


def test_openapi_documents_the_upload(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/projects/{project_id}/assets"]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"]["format"] == "binary"
    assert {"201", "413", "415"} <= set(post["responses"])
    assert json.dumps(spec)  # serialisable


def test_zero_length_audio_and_wrong_extension(client: TestClient, tmp_path: Path) -> None:
    pid = project_for(client)
    silent = tmp_path / "nothing.wav"
    media.run(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "0", str(silent)])
    response = upload(client, pid, silent)
    assert response.status_code == 415, response.text
    assert "media" in response.json()["error"]["message"].lower()

    # The name does not decide what a file is: a WAV called .mp4 is audio.
    disguised = upload(client, pid, media.make_wav(tmp_path / "a.wav"), filename="song.mp4")
    assert disguised.status_code == 201
    asset = disguised.json()["asset"]
    assert asset["kind"] == "audio" and asset["filename"] == "song.mp4"
    assert wait_indexed(client, pid, asset["id"])["indexing_status"] == "completed"


def test_deleting_the_project_removes_asset_files(
    client: TestClient, committed: Runtime, tmp_path: Path
) -> None:
    pid = project_for(client)
    asset = upload(client, pid, media.make_video(tmp_path / "c.mp4", seconds=1)).json()["asset"]
    wait_indexed(client, pid, asset["id"])
    prefix = asset_prefix(pid, asset["id"])
    names = ["original", "proxy.mp4", "thumbnail.jpg", "transcript.json", "shots/0.jpg"]
    assert all(committed.storage.exists(prefix + name) for name in names)
    assert client.delete(f"/projects/{pid}").status_code == 200
    # The deletion job removes objects one by one, in no promised order.
    assert wait_for(lambda: not any(committed.storage.exists(prefix + name) for name in names), 30)


def test_download_url(client: TestClient, committed: Runtime, tmp_path: Path) -> None:
    pid = project_for(client)
    src = media.make_wav(tmp_path / "a.wav")
    asset = upload(client, pid, src).json()["asset"]
    body = client.get(f"/projects/{pid}/assets/{asset['id']}/url").json()
    assert body["ok"] is True
    if committed.storage.backend == "gcs":
        # A signed URL straight to the bucket: no session needed, the bytes are the file's.
        assert body["direct"] is True and "X-Goog-Signature" in body["url"]
        assert httpx.get(body["url"], timeout=10).content == src.read_bytes()
    else:
        assert body["direct"] is False
        assert client.get(body["url"]).content == src.read_bytes()
    assert_error(
        client.get(f"/projects/{pid}/assets/{asset['id']}/url", params={"rendition": "nope"}),
        422,
        "validation_error",
    )
    wait_indexed(client, pid, asset["id"])
