"""20 writers at once on one timeline: every edit lands exactly once, in order."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from database.models import TimelineOp
from runtime import Runtime
from tests.support import login

WRITERS = 20


def test_parallel_writers_with_retries(
    committed: Runtime, make_client: Callable[[], TestClient]
) -> None:
    owner = make_client()
    token = login(owner)
    pid = owner.post("/projects", json={"name": "busy"}).json()["project"]["id"]
    base = f"/projects/{pid}/timeline"
    assert owner.post(base, json={}).status_code == 201
    conflicts = [0] * WRITERS
    errors: list[str] = []
    start = threading.Barrier(WRITERS)

    def writer(index: int) -> None:
        client = make_client()
        client.headers["Authorization"] = f"Bearer {token}"
        start.wait()
        for _ in range(200):
            version = client.get(base).json()["version"]
            response = client.post(
                f"{base}/ops",
                json={"ops": [{"op": "add_track", "kind": "video", "name": f"w{index}"}]},
                headers={"X-Expected-Version": str(version)},
            )
            if response.status_code == 200:
                return
            if response.status_code != 409:
                errors.append(response.text)
                return
            conflicts[index] += 1
        errors.append(f"writer {index} never got through")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sum(conflicts) > 0  # they really raced
    current = owner.get(base).json()
    assert current["version"] == WRITERS
    names = sorted(track["name"] for track in current["timeline"]["tracks"]["children"])
    assert names == sorted(f"w{i}" for i in range(WRITERS))
    with committed.sessions() as db:
        audit = db.scalars(select(TimelineOp).order_by(TimelineOp.version)).all()
    assert [op.version for op in audit] == list(range(WRITERS + 1))
    assert sorted(op.payload["name"] for op in audit[1:]) == names
