"""Test fixtures: one real database per test session, migrated with Alembic.

Default: the app starts its own embedded PostgreSQL and runs jobs in-process.
With TEST_DATABASE_URL and TEST_REDIS_URL: an external Postgres, the Redis session cache,
RQ, and a real `python -m redis_client.worker` subprocess.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from database.base import Base
from database.embedded import EmbeddedPostgres
from database.session import session_scope
from handlers.deps import get_db
from main import create_app
from runtime import Runtime, get_runtime
from tests.support import BACKEND_DIR, PYTHON, login, recreate_database, wait_for_jobs

pytest_plugins = ["tests.gcs_fixtures"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
EXTERNAL = bool(TEST_DATABASE_URL)


def _pg_safe_dir() -> Iterator[Path]:
    # Not under pytest's basetemp: pytest re-chmods that to 0700 whenever another pytest run
    # starts, which would lock out the embedded server's system user mid-session.
    path = Path(tempfile.mkdtemp(prefix="vedit-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        cluster = EmbeddedPostgres(path / "postgres")
        if cluster.is_running():
            cluster.stop()
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    yield from _pg_safe_dir()


@pytest.fixture
def server_dir() -> Iterator[Path]:
    """A DATA_DIR for a server process that runs its own embedded PostgreSQL."""
    yield from _pg_safe_dir()


@pytest.fixture(scope="session")
def settings(data_dir: Path, request: pytest.FixtureRequest) -> Settings:
    database_url = recreate_database(TEST_DATABASE_URL, "vedit_test") if EXTERNAL else None
    if TEST_REDIS_URL:
        Redis.from_url(TEST_REDIS_URL).flushdb()
    gcs: dict[str, str | None] = {}
    if EXTERNAL:
        # The production stack stores media in GCS: a real emulator on loopback.
        server = request.getfixturevalue("gcs_server")
        gcs = {
            "gcs_bucket": server.bucket,
            "gcs_endpoint": server.endpoint,
            "gcp_credentials": server.credentials_json,
        }
    return Settings(
        _env_file=None,
        database_url=database_url,
        redis_auth_url=TEST_REDIS_URL,
        redis_rq_url=TEST_REDIS_URL,
        **gcs,
        data_dir=data_dir,
        in_process_workers=2,
        # Tests call recover_assets() themselves; a background pass would race with them.
        reaper_interval_s=3600,
        # The callback receivers in the tests listen on loopback.
        render_callbacks_private=True,
    )


class RQWorkers:
    """Real `python -m redis_client.worker` processes for the production-stack run."""

    def __init__(self, settings: Settings, data_dir: Path, log_path: Path) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": get_runtime().database_url,
            "REDIS_RQ_URL": self.settings.redis_rq_url or "",
            "REDIS_AUTH_URL": self.settings.redis_auth_url or "",
            "DATA_DIR": str(self.data_dir),
            "GCS_BUCKET": self.settings.gcs_bucket or "",
            "GCS_ENDPOINT": self.settings.gcs_endpoint or "",
            "GCP_CREDENTIALS": self.settings.gcp_credentials or "",
            "RENDER_CALLBACKS_PRIVATE": str(self.settings.render_callbacks_private).lower(),
        }
        with open(self.log_path, "ab") as log:
            # Its own process group, so a test can kill -9 the worker and its work-horse.
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "redis_client.worker"],
                cwd=BACKEND_DIR,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def kill(self) -> None:
        """kill -9 the worker and every descendant (RQ puts its work-horse in its own group)."""
        assert self.proc is not None
        family = psutil.Process(self.proc.pid).children(recursive=True)
        os.killpg(self.proc.pid, signal.SIGKILL)
        for proc in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


@pytest.fixture(scope="session")
def app(
    settings: Settings, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    application = create_app(settings)
    with TestClient(application):
        log_path = tmp_path_factory.getbasetemp() / "worker.log"
        workers = RQWorkers(settings, data_dir, log_path)
        application.state.rq_workers = workers
        if settings.redis_rq_url:
            workers.start()
        try:
            yield application
        finally:
            workers.stop()


@pytest.fixture
def rq_workers(app: FastAPI) -> RQWorkers:
    return app.state.rq_workers


@pytest.fixture(scope="session")
def runtime(app: FastAPI) -> Runtime:
    return get_runtime()


@pytest.fixture
def db_factory(app: FastAPI, runtime: Runtime) -> Iterator[Callable[[], Session]]:
    """Sessions inside one outer transaction that is rolled back after the test."""
    connection = runtime.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )

    def override() -> Iterator[Session]:
        with session_scope(factory) as db:
            yield db

    app.dependency_overrides[get_db] = override
    try:
        yield factory
    finally:
        app.dependency_overrides.pop(get_db, None)
        outer.rollback()
        connection.close()


@pytest.fixture
def db(db_factory: Callable[[], Session]) -> Iterator[Session]:
    """A session in the test's transaction, to arrange and inspect rows."""
    session = db_factory()
    yield session
    session.close()


@pytest.fixture
def committed(app: FastAPI, runtime: Runtime) -> Iterator[Runtime]:
    """Real commits (for jobs run by other threads or processes); tables emptied afterwards."""
    yield runtime
    wait_for_jobs(runtime)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with runtime.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture
def make_client(app: FastAPI) -> Callable[[], TestClient]:
    """A new HTTP client (its own cookie jar); no lifespan, the session app is running."""
    return lambda: TestClient(app)


@pytest.fixture
def client(db_factory: Callable[[], Session], make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def user_client(client: TestClient) -> TestClient:
    login(client)
    return client


@pytest.fixture(autouse=True)
def fail_on_error_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """A test fails if anything logged an ERROR it did not declare it expects."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("allow_error_logs"):
        return
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if errors:
        pytest.fail("unexpected ERROR logs: " + "; ".join(r.getMessage() for r in errors))
