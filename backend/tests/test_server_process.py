"""The server as a user runs it: `python main.py` on the embedded default.

Start, stop, kill -9 and restart keep the data; a bad setting stops start-up with one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from database.embedded import EmbeddedPostgres
from tests.support import BACKEND_DIR, PYTHON, ServerProcess

EMBEDDED_ENV = {
    "DATABASE_URL": "",
    "REDIS_AUTH_URL": "",
    "REDIS_RQ_URL": "",
    "GCS_BUCKET": "",
}


def make_project(server: ServerProcess, name: str, token: str | None = None) -> tuple[str, str]:
    token = token or httpx.post(f"{server.url}/auth/session").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.post(f"{server.url}/projects", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return token, response.json()["project"]["id"]


def project_names(server: ServerProcess, token: str) -> list[str]:
    response = httpx.get(f"{server.url}/projects", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["projects"]]


def test_restart_and_kill_keep_the_data(tmp_path: Path, server_dir: Path) -> None:
    data_dir = server_dir
    server = ServerProcess({**EMBEDDED_ENV, "DATA_DIR": str(data_dir)}, tmp_path / "server.log")
    pg = EmbeddedPostgres(data_dir / "postgres")
    server.start()
    try:
        health = httpx.get(f"{server.url}/health").json()
        assert health["database"]["backend"] == "embedded-postgres"
        assert httpx.get(f"{server.url}/docs").status_code == 200
        token, _ = make_project(server, "before restart")

        # A clean stop also stops the embedded database (uvicorn re-raises SIGTERM at exit).
        assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.log_path.read_text()
        assert not pg.is_running()

        server.start()
        assert project_names(server, token) == ["before restart"]
        make_project(server, "before kill", token)

        # kill -9: the server dies, the database outlives it and is adopted on restart.
        server.stop(signal.SIGKILL)
        server.start()
        assert project_names(server, token) == ["before kill", "before restart"]

        # The database itself crashes and leaves a stale pid file: the next start recovers.
        server.stop(signal.SIGKILL)
        pid_file = data_dir / "postgres" / "postmaster.pid"
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        lines = pid_file.read_text().splitlines()
        lines[0] = str(os.getpid())  # a live process that is not postgres
        pid_file.write_text("\n".join(lines) + "\n")
        server.start()
        assert project_names(server, token) == ["before kill", "before restart"]
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(signal.SIGTERM)
        pg.stop()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("REDIS_RQ_URL", "http://localhost:6379"),
        ("PORT", "eighty"),
        ("MAX_UPLOAD_BYTES", "-1"),
    ],
)
def test_bad_setting_stops_startup_with_one_line(tmp_path: Path, name: str, value: str) -> None:
    env = {**os.environ, **EMBEDDED_ENV, "DATA_DIR": str(tmp_path), name: value}
    result = subprocess.run(
        [PYTHON, "main.py"], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"invalid setting {name}:")


def test_worker_needs_redis(tmp_path: Path) -> None:
    env = {**os.environ, **EMBEDDED_ENV, "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [PYTHON, "-m", "redis_client.worker"],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "REDIS_RQ_URL" in result.stderr.strip().splitlines()[-1]
