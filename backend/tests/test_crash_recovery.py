"""A worker killed with kill -9 mid-job leaves no asset stuck in `processing`."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jobs.recovery import recover_assets
from runtime import Runtime
from tests import media
from tests.conftest import EXTERNAL, RQWorkers
from tests.handlers.asset_helpers import project_for, upload, wait_indexed
from tests.support import ServerProcess, wait_for
from tests.test_server_process import EMBEDDED_ENV


def long_clip(tmp_path: Path) -> Path:
    # Long enough that the proxy stage is still running when the test pulls the plug.
    return media.make_video(tmp_path / "long.mp4", seconds=20, size="1280x720")


def test_server_killed_mid_index_retries_on_restart(tmp_path: Path, server_dir: Path) -> None:
    """In-process runner: the job dies with the server; the next start picks it up."""
    env = {**EMBEDDED_ENV, "DATA_DIR": str(server_dir), "REAPER_INTERVAL_S": "1"}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    try:
        http, pid = server.signed_in("crash")
        with open(long_clip(tmp_path), "rb") as handle:
            created = http.post(f"/projects/{pid}/assets", files={"file": ("long.mp4", handle)})
        asset_url = f"/projects/{pid}/assets/{created.json()['asset']['id']}"

        def in_proxy() -> bool:
            asset = http.get(asset_url).json()["asset"]
            return asset["indexing_status"] == "processing" and asset["indexing_stage"] == "proxy"

        assert wait_for(in_proxy, 60, 0.05)
        server.stop(signal.SIGKILL)
        server.start()

        def finished() -> bool:
            return http.get(asset_url).json()["asset"]["indexing_status"] in ("completed", "failed")

        assert wait_for(finished, 120, 0.2)
        asset = http.get(asset_url).json()["asset"]
        assert asset["indexing_status"] == "completed", asset["indexing_error"]
        assert asset["indexing_attempts"] == 2
        assert asset["stages"]["proxy"]["status"] == "completed"
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(signal.SIGTERM)


@pytest.mark.skipif(not EXTERNAL, reason="RQ workers run on the production-stack pass")
def test_rq_worker_killed_mid_index_is_recovered(
    committed: Runtime,
    make_client,
    rq_workers: RQWorkers,
    tmp_path: Path,
) -> None:
    client: TestClient = make_client()
    pid = project_for(client)
    asset = upload(client, pid, long_clip(tmp_path)).json()["asset"]
    url = f"/projects/{pid}/assets/{asset['id']}"

    def in_proxy() -> bool:
        state = client.get(url).json()["asset"]
        return state["indexing_status"] == "processing" and state["indexing_stage"] == "proxy"

    assert wait_for(in_proxy, 60, 0.05)
    rq_workers.kill()
    try:
        # The dead run's advisory lock went with its connection: the reaper sees that.
        assert wait_for(lambda: recover_assets(committed)["requeued"] == 1, 30, 0.5)
    finally:
        rq_workers.start()
    done = wait_indexed(client, pid, asset["id"], timeout=120)
    assert done["indexing_status"] == "completed", done["indexing_error"]
    assert done["indexing_attempts"] >= 2
