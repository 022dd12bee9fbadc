"""Projects through HTTP: CRUD, pagination, ownership, validation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.handlers.test_auth import assert_error
from tests.support import login


def create(client: TestClient, name: str, **extra: str) -> dict:
    response = client.post("/projects", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ok"] is True
    return body["project"]


def test_crud(user_client: TestClient) -> None:
    project = create(user_client, "  Trailer cut  ", description="teaser")
    assert project["name"] == "Trailer cut"
    assert project["description"] == "teaser"
    got = user_client.get(f"/projects/{project['id']}").json()
    assert got == {"ok": True, "project": project}

    renamed = user_client.patch(f"/projects/{project['id']}", json={"name": "Final cut"})
    assert renamed.status_code == 200
    assert renamed.json()["project"]["name"] == "Final cut"
    assert renamed.json()["project"]["description"] == "teaser"
    assert renamed.json()["project"]["updated_at"] > project["updated_at"]

    deleted = user_client.delete(f"/projects/{project['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}
    assert_error(user_client.get(f"/projects/{project['id']}"), 404, "project_not_found")
    assert user_client.get("/projects").json()["total"] == 0


def test_list_is_paginated_newest_first(user_client: TestClient) -> None:
    names = [f"p{i}" for i in range(5)]
    for name in names:
        create(user_client, name)
    page1 = user_client.get("/projects", params={"limit": 2}).json()
    page2 = user_client.get("/projects", params={"limit": 2, "offset": 2}).json()
    page3 = user_client.get("/projects", params={"limit": 2, "offset": 4}).json()
    listed = [p["name"] for page in (page1, page2, page3) for p in page["projects"]]
    assert listed == list(reversed(names))
    assert page1["total"] == 5 and page1["limit"] == 2 and page2["offset"] == 2
    assert_error(user_client.get("/projects", params={"limit": 0}), 422, "validation_error")
    assert_error(user_client.get("/projects", params={"limit": 101}), 422, "validation_error")


def test_other_users_see_nothing(
    user_client: TestClient, make_client: Callable[[], TestClient]
) -> None:
    mine = create(user_client, "secret edit")
    other = make_client()
    login(other)
    assert other.get("/projects").json()["projects"] == []
    url = f"/projects/{mine['id']}"
    assert_error(other.get(url), 404, "project_not_found")
    assert_error(other.patch(url, json={"name": "hijacked"}), 404, "project_not_found")
    assert_error(other.delete(url), 404, "project_not_found")
    # Nothing changed for the owner.
    assert user_client.get(url).json()["project"]["name"] == "secret edit"


def test_bad_input_is_422_and_changes_nothing(user_client: TestClient) -> None:
    project = create(user_client, "keep me")
    url = f"/projects/{project['id']}"
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"nam": "typo"}, {}):
        assert_error(user_client.post("/projects", json=body), 422, "validation_error")
    assert_error(user_client.patch(url, json={"name": " "}), 422, "validation_error")
    assert_error(user_client.patch(url, json={"owner_id": "x"}), 422, "validation_error")
    bad_json = user_client.post(
        "/projects", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(bad_json, 422, "validation_error")
    assert_error(user_client.get("/projects/not-a-uuid"), 422, "validation_error")
    listed = user_client.get("/projects").json()
    assert [p["name"] for p in listed["projects"]] == ["keep me"]
    error = user_client.post("/projects", json={"name": ""}).json()["error"]
    assert error["message"].startswith("body.name")
    assert error["details"]["errors"][0]["loc"] == "body.name"
