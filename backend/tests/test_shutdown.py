"""Stopping the server (SIGTERM, Ctrl-C) while it renders: it stops promptly, the render is not
lost, not failed and not counted as an attempt, and the next start runs it again."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.support import ServerProcess, wait_for
from tests.test_server_process import EMBEDDED_ENV

RATE = 24


def rt(frames: int) -> dict:
    return {"value": frames, "rate": RATE}


def test_stopping_the_server_mid_render_puts_it_back_for_the_next_start(
    tmp_path: Path, server_dir: Path
) -> None:
    env = {**EMBEDDED_ENV, "DATA_DIR": str(server_dir), "REAPER_INTERVAL_S": "1"}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    try:
        http = httpx.Client(base_url=server.url, timeout=30)
        token = http.post("/auth/session").json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        pid = http.post("/projects", json={"name": "shutdown"}).json()["project"]["id"]
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
        # A shutdown that waited for the render would take minutes: stop() would time out.
        # (uvicorn re-raises the signal once it has shut down cleanly.)
        assert server.stop(signal.SIGTERM, timeout=30) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
        log = (tmp_path / "server.log").read_text()
        assert "stopped for the shutdown" in log

        server.start()
        state = http.get(url).json()["render"]
        assert state["status"] in ("pending", "processing"), state
        assert "server shutdown" in (state["error"] or "")
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
