"""The retrieval agent with OpenRouter: a real tool-calling loop against a local server that
speaks the protocol, its trace in agent_runs, and the fall-back to rules when the model fails."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from agent.embeddings import get_local_embedder
from agent.providers import Providers, use_providers
from agent.transcribe import get_local_transcriber
from database.search_models import AgentRun
from tests.agent.openrouter_server import FakeOpenRouter, chat_reply, error_reply, tool_call

MODEL = "test/agent-model"


@pytest.fixture
def fake() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter() as server:
        client = server.client()
        use_providers(Providers(get_local_embedder(), get_local_transcriber(), None, client, MODEL))
        try:
            yield server
        finally:
            use_providers(None)


def test_model_calls_tools_and_its_answer_is_checked(
    user_client: TestClient, library: dict[str, str], fake: FakeOpenRouter, db: Session
) -> None:
    pid, nature = library["pid"], library["nature"]
    foreign = str(uuid.uuid4())
    answer = {
        "candidates": [
            {"asset_id": foreign, "t0": 0, "t1": 5, "score": 0.99, "reasons": ["made up"]},
            {"asset_id": nature, "t0": 22.8, "t1": 23.55, "score": 0.9, "reasons": ["fox jumps"]},
            {"asset_id": nature, "t0": 500, "t1": 600, "score": 0.5, "reasons": ["past the end"]},
        ]
    }
    fake.script(
        chat_reply(tool_calls=[tool_call("search_transcript", {"query": "fox jumps"})]),
        chat_reply(tool_calls=[tool_call("list_assets", "{not json")]),
        chat_reply("Here you go:\n```json\n" + json.dumps(answer) + "\n```"),
    )
    response = user_client.post(f"/projects/{pid}/retrieve", json={"query": "the fox jumping"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["planner"] == "openrouter"
    assert [(c["asset_id"], c["t0"], c["t1"]) for c in body["candidates"]] == [
        (nature, 22.8, 23.55)
    ]
    assert body["candidates"][0]["reasons"] == ["fox jumps"]

    calls = fake.requests_to("/chat/completions")
    assert len(calls) == 3
    assert calls[0].body["model"] == MODEL
    assert {t["function"]["name"] for t in calls[0].body["tools"]} == {
        "list_assets",
        "search_transcript",
        "semantic_search",
        "shot_search",
    }
    # The tool's result went back to the model: the fox segment of the nature asset.
    tool_message = calls[1].body["messages"][-1]
    assert tool_message["role"] == "tool"
    assert json.loads(tool_message["content"])[0]["asset_id"] == nature
    # Broken arguments come back to the model as an error instead of crashing the run.
    assert "error" in json.loads(calls[2].body["messages"][-1]["content"])

    run = db.get(AgentRun, uuid.UUID(body["run_id"]))
    assert run is not None and run.model == MODEL
    tools = [(s["tool"], s["results"]) for s in run.trace if s["step"] == "tool"]
    assert tools[0][0] == "search_transcript" and tools[0][1] >= 1
    assert {"step": "validate", "kept": 1, "dropped": 2} in run.trace


def test_a_failing_model_falls_back_to_rules(
    user_client: TestClient, library: dict[str, str], fake: FakeOpenRouter, db: Session
) -> None:
    fake.script(error_reply(401, "User not found."))
    response = user_client.post(f"/projects/{library['pid']}/retrieve", json={"query": "fox jumps"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["planner"] == "rules (model failed)"
    assert body["candidates"][0]["asset_id"] == library["nature"]
    run = db.get(AgentRun, uuid.UUID(body["run_id"]))
    assert run is not None
    assert any("User not found" in s.get("error", "") for s in run.trace)
