"""Search over HTTP: keyword stems and phrases, paraphrases, hybrid fusion, word-precise
ranges, filters, ownership, and the retrieval agent with its logged runs."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from database.models import Project
from database.search_models import AgentRun
from tests.handlers.search_library import index_asset, segment
from tests.handlers.test_auth import assert_error
from tests.support import login


def search(client: TestClient, pid: str, q: str, **params: object) -> list[dict]:
    response = client.get(f"/projects/{pid}/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    return body["results"]


def test_keyword_search_matches_stems_and_gives_the_words_times(
    user_client: TestClient, library: dict[str, str]
) -> None:
    hits = search(user_client, library["pid"], "jumping foxes", mode="keyword")
    assert hits[0]["asset_id"] == library["nature"]
    assert hits[0]["kind"] == "transcript"
    # "fox" is word 7 and "jumps" word 8 (from 0) of the segment placed at 20 s, 0.4 s per word.
    assert hits[0]["start"] == pytest.approx(20.0 + 7 * 0.4)
    assert hits[0]["end"] == pytest.approx(20.0 + 9 * 0.4 - 0.05)
    assert hits[0]["matched_words"] == ["fox", "jumps"]
    assert hits[0]["segment_start"] == 20.0
    assert hits[0]["thumbnail_url"] is None  # the row has no thumbnail rendition


def test_keyword_phrases_need_the_words_in_order(
    user_client: TestClient, library: dict[str, str]
) -> None:
    assert search(user_client, library["pid"], '"lazy dog"', mode="keyword")
    assert search(user_client, library["pid"], '"dog lazy"', mode="keyword") == []
    assert search(user_client, library["pid"], "zeppelin", mode="keyword") == []


def test_keyword_search_falls_back_to_any_word_when_all_find_nothing(
    user_client: TestClient, library: dict[str, str]
) -> None:
    hits = search(user_client, library["pid"], "lazy zeppelin", mode="keyword")
    assert hits[0]["asset_id"] == library["nature"]
    assert hits[0]["matched_words"] == ["lazy"]
    # A phrase or an explicit operator is taken as written.
    assert search(user_client, library["pid"], '"lazy zeppelin"', mode="keyword") == []
    assert search(user_client, library["pid"], "lazy -dog", mode="keyword") == []


def test_semantic_search_finds_paraphrases(
    user_client: TestClient, library: dict[str, str]
) -> None:
    hits = search(user_client, library["pid"], "a fox leaping", mode="semantic")
    assert hits[0]["asset_id"] == library["nature"]
    assert hits[0]["segment_start"] == 20.0
    hits = search(user_client, library["pid"], "company profits went up", mode="semantic")
    assert hits[0]["asset_id"] == library["finance"]
    assert hits[0]["start"] == 1.0
    # Nothing in the keyword index, yet the meaning is there.
    assert search(user_client, library["pid"], "company profits went up", mode="keyword") == []


def test_hybrid_fuses_both_and_filters_by_kind(
    user_client: TestClient, library: dict[str, str]
) -> None:
    hits = search(user_client, library["pid"], "fry onions")
    assert hits[0]["asset_id"] == library["cooking"]
    assert hits[0]["matched_words"] == ["onions", "fry"]
    hits = search(user_client, library["pid"], "chapter two")
    assert hits[0]["asset_id"] == library["titles"]
    assert hits[0]["kind"] == "shot"
    assert (hits[0]["start"], hits[0]["end"]) == (30.0, 34.0)
    assert hits[0]["thumbnail_url"].endswith(f"/assets/{library['titles']}/shots/3/keyframe")
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_asset_type_filter_and_limit(user_client: TestClient, library: dict[str, str]) -> None:
    assert search(user_client, library["pid"], "fox", asset_type="audio") == []
    assert len(search(user_client, library["pid"], "the", mode="semantic", limit=2)) <= 2


def test_bad_queries_are_422(user_client: TestClient, library: dict[str, str]) -> None:
    base = f"/projects/{library['pid']}/search"
    for params in ({"q": ""}, {"q": "x", "mode": "fuzzy"}, {"q": "x", "limit": 0}, {}):
        response = user_client.get(base, params=params)
        assert response.status_code == 422, params
        assert response.json()["ok"] is False


def test_another_users_project_is_404_and_never_leaks(
    user_client: TestClient, make_client, library: dict[str, str], db: Session
) -> None:
    other = make_client()
    login(other)
    assert_error(
        other.get(f"/projects/{library['pid']}/search", params={"q": "fox"}),
        404,
        "project_not_found",
    )
    mine = other.post("/projects", json={"name": "Mine"}).json()["project"]["id"]
    project = db.get(Project, uuid.UUID(mine))
    assert project is not None
    own = index_asset(db, project, "own.mp4", "transcript", [segment(0, 0.0, "a fox in my garden")])
    hits = search(other, mine, "fox jumps")
    assert {h["asset_id"] for h in hits} == {own}


def test_retrieve_merges_parts_and_logs_the_run(
    user_client: TestClient, library: dict[str, str], db: Session
) -> None:
    pid = library["pid"]
    response = user_client.post(
        f"/projects/{pid}/retrieve", json={"query": "the fox jumps and the lazy dog", "limit": 3}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["planner"] == "rules"
    best = body["candidates"][0]
    assert best["asset_id"] == library["nature"]
    assert 20.0 <= best["t0"] < best["t1"] <= 35.0
    assert any("fox" in reason for reason in best["reasons"])
    run = db.get(AgentRun, uuid.UUID(body["run_id"]))
    assert run is not None and run.status == "completed"
    assert [step["step"] for step in run.trace][:1] == ["plan"]
    assert run.trace[0]["parts"] == ["the fox jumps", "the lazy dog"]
    logged = user_client.get(f"/projects/{pid}/agent_runs/{body['run_id']}").json()["run"]
    assert logged["results"][0]["asset_id"] == library["nature"]
    assert sum(1 for step in logged["trace"] if step["step"] == "tool") == 2


def test_retrieve_validates_input_and_ownership(
    user_client: TestClient, make_client, library: dict[str, str]
) -> None:
    pid = library["pid"]
    assert user_client.post(f"/projects/{pid}/retrieve", json={"query": ""}).status_code == 422
    assert (
        user_client.post(f"/projects/{pid}/retrieve", json={"query": "x", "limit": 0}).status_code
        == 422
    )
    other = make_client()
    login(other)
    assert_error(
        other.post(f"/projects/{pid}/retrieve", json={"query": "fox"}), 404, "project_not_found"
    )
    run = user_client.post(f"/projects/{pid}/retrieve", json={"query": "fox"}).json()["run_id"]
    assert_error(other.get(f"/projects/{pid}/agent_runs/{run}"), 404, "project_not_found")
