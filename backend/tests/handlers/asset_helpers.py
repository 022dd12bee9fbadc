"""Helpers for asset tests over HTTP."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support import login, wait_for


def project_for(client: TestClient, name: str = "footage") -> str:
    if "Authorization" not in client.headers:
        login(client)
    response = client.post("/projects", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["project"]["id"]


def upload(
    client: TestClient,
    project_id: str,
    path: Path,
    filename: str | None = None,
    content_type: str = "application/octet-stream",
):
    with open(path, "rb") as handle:
        return client.post(
            f"/projects/{project_id}/assets",
            files={"file": (filename or path.name, handle, content_type)},
        )


def wait_indexed(client: TestClient, project_id: str, asset_id: str, timeout: float = 90) -> dict:
    """Poll until indexing completes or fails; return the asset."""
    state: dict = {}

    def done() -> bool:
        response = client.get(f"/projects/{project_id}/assets/{asset_id}")
        assert response.status_code == 200, response.text
        state.update(response.json()["asset"])
        return state["indexing_status"] in ("completed", "failed")

    assert wait_for(done, timeout, 0.1), f"still {state.get('indexing_status')}: {state}"
    return state
