"""Stopping the server (SIGTERM, Ctrl-C) while it renders or indexes: it stops promptly, the job
is not lost, not failed and not counted as an attempt, and the next start runs it again."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runtime import Runtime
from tests import media
from tests.conftest import EXTERNAL, RQWorkers
from tests.handlers.asset_helpers import project_for
from tests.handlers.render_helpers import Cut, rt
from tests.support import ServerProcess, wait_for
from tests.test_server_process import EMBEDDED_ENV

RATE = 24  # render_helpers.rt's default rate


def stop_cleanly(server: ServerProcess) -> str:
    """SIGTERM, as Ctrl-C or a service manager stops it; the server's log."""
    # A shutdown that waited for the job would take far longer: stop() would time out.
    # (uvicorn re-raises the signal once it has shut down cleanly.)
    assert server.stop(signal.SIGTERM, timeout=30) in (0, -signal.SIGTERM)
    log = server.log_path.read_text()
    assert "Application shutdown complete" in log
    return log


def test_stopping_the_server_mid_index_resumes_at_the_next_start(
    tmp_path: Path, server_dir: Path
) -> None:
    clip = media.make_video(tmp_path / "long.mp4", seconds=20, size="1280x720")
    env = {**EMBEDDED_ENV, "DATA_DIR": str(server_dir), "REAPER_INTERVAL_S": "1"}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    try:
        http, pid = server.signed_in("shutdown")
        with open(clip, "rb") as handle:
            created = http.post(f"/projects/{pid}/assets", files={"file": ("long.mp4", handle)})
        url = f"/projects/{pid}/assets/{created.json()['asset']['id']}"

        def asset() -> dict:
            return http.get(url).json()["asset"]

        assert wait_for(lambda: asset()["indexing_stage"] == "proxy", 60, 0.05)
        before = asset()["stages"]
        assert "indexing of" in stop_cleanly(server)

        server.start()
        assert wait_for(lambda: asset()["indexing_status"] in ("completed", "failed"), 120, 0.2)
        done = asset()
        assert done["indexing_status"] == "completed", done["indexing_error"]
        assert done["indexing_attempts"] == 1 and done["indexing_error"] is None
        # What was finished before the shutdown was kept, not done again.
        assert done["stages"]["thumbnail"] == before["thumbnail"]
        assert done["stages"]["proxy"]["status"] == "completed"
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(signal.SIGTERM)


def test_stopping_the_server_mid_render_puts_it_back_for_the_next_start(
    tmp_path: Path, server_dir: Path
) -> None:
    env = {**EMBEDDED_ENV, "DATA_DIR": str(server_dir), "REAPER_INTERVAL_S": "1"}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    try:
        http, pid = server.signed_in("shutdown")
        base = f"/projects/{pid}"
        size = {"rate": RATE, "width": 1920, "height": 1080}
        assert http.post(f"{base}/timeline", json={"name": "Cut", **size}).status_code == 201

        def edit(version: int, op: dict) -> dict:
            headers = {"X-Expected-Version": str(version)}
            response = http.post(f"{base}/timeline/ops", json={"ops": [op]}, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        track = edit(0, {"op": "add_track", "kind": "video"})["created_ids"][0]
        # Ten minutes of a title at the slow preset: far longer than a shutdown may take.
        edit(1, {"op": "add_title", "track_id": track, "text": "Still rendering",
                 "at": rt(0), "duration": rt(600 * RATE)})  # fmt: skip
        render = http.post(f"{base}/renders", json={"preset": "high"}).json()["render"]
        url = f"{base}/renders/{render['id']}"

        def encoding() -> bool:
            state = http.get(url).json()["render"]
            return state["status"] == "processing" and state["progress"] > 0

        assert wait_for(encoding, 60, 0.05)
        assert "stopped for the shutdown" in stop_cleanly(server)

        server.start()
        state = http.get(url).json()["render"]
        assert state["status"] in ("pending", "processing"), state
        assert "shutdown" in (state["error"] or "")
        assert state["output_key"] is None
        # The next start's reaper runs it again, from its first attempt.
        assert wait_for(encoding, 60, 0.05)
        assert http.get(url).json()["render"]["attempts"] == 1
        assert http.post(f"{url}/cancel").status_code == 200
        ended = wait_for(lambda: http.get(url).json()["render"]["status"] == "cancelled", 10, 0.1)
        assert ended
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(signal.SIGTERM)


@pytest.mark.skipif(not EXTERNAL, reason="RQ workers run on the production-stack pass")
def test_an_rq_worker_stopped_mid_render_hands_it_to_the_next_worker(
    committed: Runtime, make_client, rq_workers: RQWorkers
) -> None:
    client: TestClient = make_client()
    cut = Cut(client, project_for(client), size="1920x1080")
    cut.ops({"op": "add_title", "track_id": cut.track, "text": "Still rendering",
             "at": rt(0), "duration": rt(600 * RATE)})  # fmt: skip
    render = cut.render(preset="high").json()["render"]

    def encoding() -> bool:
        state = cut.get(render["id"])
        return state["status"] == "processing" and state["progress"] > 0

    assert wait_for(encoding, 60, 0.05)
    # SIGTERM: RQ's warm shutdown, which used to wait for the whole render.
    rq_workers.stop()
    state = cut.get(render["id"])
    assert state["status"] == "pending" and state["attempts"] == 0, state
    assert "shutdown" in state["error"] and state["output_key"] is None

    # It went back to the queue: the next worker takes it.
    rq_workers.start()
    assert wait_for(encoding, 60, 0.05)
    assert cut.get(render["id"])["attempts"] == 1
    assert client.post(f"{cut.base}/renders/{render['id']}/cancel").status_code == 200
    assert wait_for(lambda: cut.get(render["id"])["status"] == "cancelled", 10, 0.1)
