"""Deleting a project removes its stored files through the job queue (either runner)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from database.models import Project
from database.session import session_scope
from jobs.maintenance import delete_project_files
from operators.project_operator import delete_project
from runtime import Runtime
from tests.factories import make_project
from tests.support import login, wait_for, wait_for_jobs
from utils.storage import project_prefix


def store(runtime: Runtime, project_id: str, name: str = "original.mp4") -> str:
    key = f"{project_prefix(project_id)}assets/{uuid.uuid4()}/{name}"
    runtime.storage.write(key, io.BytesIO(b"\x00" * 1024))
    return key


def test_delete_project_removes_its_files(
    committed: Runtime, make_client: Callable[[], TestClient]
) -> None:
    client = make_client()
    login(client)
    doomed = client.post("/projects", json={"name": "doomed"}).json()["project"]["id"]
    kept = client.post("/projects", json={"name": "kept"}).json()["project"]["id"]
    doomed_keys = [store(committed, doomed), store(committed, doomed, "proxy.mp4")]
    kept_key = store(committed, kept)

    assert client.delete(f"/projects/{doomed}").status_code == 200
    assert wait_for(lambda: not any(committed.storage.exists(k) for k in doomed_keys), 30)
    assert wait_for_jobs(committed)
    assert committed.storage.exists(kept_key)
    assert client.get(f"/projects/{kept}").status_code == 200


def test_job_from_rolled_back_transaction_never_runs(committed: Runtime) -> None:
    with session_scope(committed.sessions) as db:
        project_id = str(make_project(db, name="survivor").id)
    key = store(committed, project_id)

    with pytest.raises(RuntimeError), session_scope(committed.sessions) as db:
        project = db.get(Project, uuid.UUID(project_id))
        assert project is not None
        delete_project(db, project)
        raise RuntimeError("the request failed after the delete")

    assert wait_for_jobs(committed)
    # Give a (wrongly) enqueued job time to run before checking it did not.
    assert not wait_for(lambda: not committed.storage.exists(key), timeout=1.5)
    with session_scope(committed.sessions) as db:
        assert db.get(Project, uuid.UUID(project_id)) is not None


def test_job_keeps_files_of_a_live_project(committed: Runtime) -> None:
    with session_scope(committed.sessions) as db:
        project_id = str(make_project(db, name="alive").id)
    key = store(committed, project_id)
    assert delete_project_files(project_id) == 0
    assert committed.storage.exists(key)
