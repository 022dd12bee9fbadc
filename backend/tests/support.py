"""Helpers shared by the tests: databases, clients, waiting for jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from fastapi.testclient import TestClient
from rq import Worker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from redis_client.queue import InProcessQueue, RQQueue
from runtime import Runtime

BACKEND_DIR = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `server_url`; return its URL."""
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def login(client: TestClient) -> str:
    """Start an anonymous session on `client` and send its token as a Bearer header."""
    response = client.post("/auth/session")
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {token}"
    return token


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def wait_for_jobs(runtime: Runtime, timeout: float = 30.0) -> bool:
    """Wait until every queued job has run, on either runner."""
    queue = runtime.queue
    if isinstance(queue, InProcessQueue):
        return queue.wait_idle(timeout)
    assert isinstance(queue, RQQueue)

    def idle_now() -> bool:
        if any(q.count or q.scheduled_job_registry.count for q in queue.queues.values()):
            return False
        # A job a killed worker left "started" is not running: only live busy workers count.
        workers = Worker.all(connection=queue.redis)
        return not any(w.get_state() == "busy" and psutil.pid_exists(w.pid) for w in workers)

    def idle() -> bool:
        # Twice, a moment apart: a dequeued job is briefly neither queued nor busy.
        if not idle_now():
            return False
        time.sleep(0.2)
        return idle_now()

    return wait_for(idle, timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python main.py` in a subprocess, as a user runs it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "main.py"], cwd=BACKEND_DIR, env=self.env, stdout=log, stderr=log
            )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(up, timeout, 0.1), self.log_path.read_text()[-3000:]

    def stop(self, sig: int = 15, timeout: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def signed_in(self, project: str) -> tuple[httpx.Client, str]:
        """A client with a new user's session, and the id of a new project of theirs."""
        http = httpx.Client(base_url=self.url, timeout=30)
        http.headers["Authorization"] = f"Bearer {http.post('/auth/session').json()['token']}"
        created = http.post("/projects", json={"name": project})
        assert created.status_code == 201, created.text
        return http, created.json()["project"]["id"]
