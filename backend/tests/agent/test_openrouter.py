"""The OpenRouter client, describer and embedder against a real local OpenRouter-speaking server."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from agent.describe import Description, OpenRouterDescriber, OpenRouterEmbedder
from agent.embeddings import Embedder
from agent.openrouter import OpenRouterClient, OpenRouterError
from tests.agent.conftest import ffmpeg
from tests.agent.openrouter_server import (
    FakeOpenRouter,
    Reply,
    chat_reply,
    error_reply,
    fake_description,
    fake_embedding,
    malformed_reply,
    request_text,
    tool_call,
)

MODEL = "google/gemini-2.5-flash"
EMBED_MODEL = "openai/text-embedding-3-small"


@pytest.fixture
def fake() -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter("sk-or-v1-secret-test-key") as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeOpenRouter, sleeps: list[float]) -> Iterator[OpenRouterClient]:
    with OpenRouterClient(
        fake.api_key,
        fake.base_url,
        timeout=5,
        app_name="vedit-tests",
        referer="https://vedit.example",
        sleep=sleeps.append,  # records the backoff instead of waiting it out
    ) as c:
        yield c


@pytest.fixture(scope="module")
def keyframe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keyframes") / "shot.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1", str(path))
    return path


def test_shot_request_carries_key_model_and_image(
    fake: FakeOpenRouter, client: OpenRouterClient, keyframe: Path
) -> None:
    described = OpenRouterDescriber(client, MODEL).describe_shot([keyframe], "beach.mp4 at 3.0s")

    [request] = fake.requests_to("/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-or-v1-secret-test-key"
    assert request.headers["x-title"] == "vedit-tests"
    assert request.headers["http-referer"] == "https://vedit.example"
    assert request.body["model"] == MODEL
    assert request.body["response_format"] == {"type": "json_object"}
    parts = request.body["messages"][-1]["content"]
    [image] = [p for p in parts if p["type"] == "image_url"]
    prefix = "data:image/jpeg;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :]) == keyframe.read_bytes()
    assert "beach.mp4 at 3.0s" in request_text(request.body)[0]
    expected = fake_description(*request_text(request.body))
    assert described == Description.from_dict(expected)
    assert described.summary.endswith("of 1 image(s).")


def test_rate_limit_is_retried_after_the_servers_delay(
    fake: FakeOpenRouter, client: OpenRouterClient, sleeps: list[float]
) -> None:
    fake.script(error_reply(429, "Rate limit exceeded: free-models-per-min", retry_after="1"))
    result = client.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert result.content and result.model == MODEL
    assert len(fake.requests_to("/chat/completions")) == 2
    assert sleeps == [1.0]


def test_server_errors_and_garbage_are_retried_with_real_waits(fake: FakeOpenRouter) -> None:
    fake.script(
        error_reply(503, "No available provider", retry_after="0"),
        malformed_reply(),
        Reply(
            body={"error": {"code": 502, "message": "Upstream error"}}, headers={"Retry-After": "0"}
        ),
    )
    with OpenRouterClient(fake.api_key, fake.base_url, timeout=5) as real_sleeping:
        result = real_sleeping.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert result.content
    assert len(fake.requests) == 4


def test_exhausted_retries_raise_the_last_provider_message(
    fake: FakeOpenRouter,
    client: OpenRouterClient,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script(*[error_reply(500, "Internal Server Error at provider")] * 4)
    with pytest.raises(OpenRouterError) as raised:
        client.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert raised.value.status == 500
    assert raised.value.message == "Internal Server Error at provider"
    assert len(fake.requests) == 4 and len(sleeps) == 3
    assert "retry 3/3" in caplog.text and fake.api_key not in caplog.text


def test_bad_key_raises_the_providers_message_without_retrying(
    fake: FakeOpenRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        OpenRouterClient("sk-or-v1-wrong-key", fake.base_url) as bad,
        pytest.raises(OpenRouterError) as raised,
    ):
        bad.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert raised.value.status == 401
    assert raised.value.message == "No auth credentials found"
    assert len(fake.requests) == 1
    assert "wrong-key" not in caplog.text + str(raised.value) + repr(bad)


@pytest.mark.parametrize("status", [400, 402, 403])
def test_client_errors_are_not_retried(
    fake: FakeOpenRouter, client: OpenRouterClient, status: int
) -> None:
    fake.script(error_reply(status, f"problem {status}"))
    with pytest.raises(OpenRouterError, match=f"problem {status}"):
        client.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert len(fake.requests) == 1


def test_tool_calling_round_trip(fake: FakeOpenRouter, client: OpenRouterClient) -> None:
    fake.script(
        chat_reply(tool_calls=[tool_call("search_media", {"query": "beach", "limit": 3}, "c1")]),
        lambda request: chat_reply(f"Found it after {len(request.body['messages'])} messages."),
    )
    tools = [
        {
            "type": "function",
            "function": {
                "name": "search_media",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
            },
        }
    ]
    messages: list[dict] = [{"role": "user", "content": "find the beach"}]
    first = client.chat(messages, model=MODEL, tools=tools, tool_choice="auto")
    [call] = first.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "c1",
        "search_media",
        {"query": "beach", "limit": 3},
    )
    assert first.finish_reason == "tool_calls" and first.usage.total_tokens == 15
    messages += [first.message, call.result_message('[{"asset_id": "a1", "start": 2.0}]')]
    final = client.chat(messages, model=MODEL, tools=tools)
    assert final.content == "Found it after 3 messages." and final.tool_calls == ()

    sent_first, sent_second = (r.body for r in fake.requests_to("/chat/completions"))
    assert sent_first["tools"] == tools and sent_first["tool_choice"] == "auto"
    assert sent_second["messages"][1]["tool_calls"][0]["id"] == "c1"
    assert sent_second["messages"][2] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": '[{"asset_id": "a1", "start": 2.0}]',
    }


def test_malformed_tool_arguments_do_not_crash(
    fake: FakeOpenRouter, client: OpenRouterClient
) -> None:
    fake.script(
        chat_reply(tool_calls=[tool_call("search_media", '{"query": "bea'), tool_call("x", "[1]")])
    )
    broken, not_object = client.chat([{"role": "user", "content": "go"}], model=MODEL).tool_calls
    assert broken.name == "search_media" and broken.arguments == {}
    assert broken.raw_arguments == '{"query": "bea' and "not valid JSON" in broken.arguments_error
    assert not_object.arguments == {} and "JSON object" in not_object.arguments_error


def test_embeddings_in_input_order_normalised_at_requested_dimension(
    fake: FakeOpenRouter, client: OpenRouterClient
) -> None:
    fake.reverse_embeddings = True  # the API may answer out of order
    fake.embedding_scale = 3.0  # and not every model returns unit vectors
    texts = [f"text {i}" for i in range(70)]  # more than one batch
    embedder: Embedder = OpenRouterEmbedder(client, EMBED_MODEL, 16)
    vectors = embedder.embed(texts)

    assert vectors.shape == (70, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    expected = np.stack([fake_embedding(t, 16) for t in texts])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    bodies = [r.body for r in fake.requests_to("/embeddings")]
    assert [len(b["input"]) for b in bodies] == [64, 6]
    assert all(b["dimensions"] == 16 and b["model"] == EMBED_MODEL for b in bodies)
    assert embedder.embed([]).shape == (0, 16)


def test_embedder_refuses_vectors_of_the_wrong_width(
    fake: FakeOpenRouter, client: OpenRouterClient
) -> None:
    fake.script(Reply(body={"data": [{"index": 0, "embedding": [0.6, 0.8]}]}), path="/embeddings")
    with pytest.raises(OpenRouterError, match="2-dim vectors, expected 16"):
        OpenRouterEmbedder(client, EMBED_MODEL, 16).embed(["hello"])


def test_describer_reads_fenced_json_and_falls_back_to_prose(
    fake: FakeOpenRouter, client: OpenRouterClient, keyframe: Path
) -> None:
    fenced = (
        "Sure! Here is the description:\n```json\n"
        '{"summary": "A red car passes a lighthouse.", "tags": ["Car", "coast", "car"],'
        ' "objects": "car, lighthouse", "events": ["car drives by"]}\n```\nHope this helps.'
    )
    fake.script(chat_reply(fenced), chat_reply("Just a grey test card."))
    describer = OpenRouterDescriber(client, MODEL)
    assert describer.describe_shot([keyframe], "") == Description(
        summary="A red car passes a lighthouse.",
        tags=("car", "coast"),
        objects=("car", "lighthouse"),
        events=("car drives by",),
    )
    assert describer.describe_shot([keyframe], "") == Description("Just a grey test card.")


def test_describer_retries_without_json_mode_when_the_model_refuses_it(
    fake: FakeOpenRouter, client: OpenRouterClient
) -> None:
    fake.script(error_reply(400, "response_format json_object is not supported by this model"))
    shots = [Description("Waves on a beach."), Description("A surfer stands up.")]
    asset = OpenRouterDescriber(client, MODEL).describe_asset(
        shots, "Welcome to the surf report.", {"duration_s": 12.0, "filename": "surf.mp4"}
    )
    first, second = (r.body for r in fake.requests_to("/chat/completions"))
    assert "response_format" in first and "response_format" not in second
    prompt = request_text(second)[0]
    assert "A surfer stands up." in prompt and "surf report" in prompt and "surf.mp4" in prompt
    assert asset.summary.startswith("Fake description") and asset.tags[0] == "fake"
    assert Description.from_dict(asset.to_dict()) == asset


def test_timeout_raises_a_clear_error(fake: FakeOpenRouter, sleeps: list[float]) -> None:
    fake.script(Reply(delay_s=5, body={}), Reply(delay_s=5, body={}))
    with (
        OpenRouterClient(
            fake.api_key, fake.base_url, timeout=0.3, max_retries=1, sleep=sleeps.append
        ) as slow,
        pytest.raises(OpenRouterError, match=r"timed out after 0\.3s") as raised,
    ):
        slow.chat([{"role": "user", "content": "hi"}], model=MODEL)
    assert raised.value.status is None
    assert len(fake.requests) == 2  # a timeout is transient: retried once, then reported
