"""Callback URLs may not reach the server's own network (SSRF) unless an operator allows it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from render.callbacks import deliver, private_target
from runtime import Runtime
from tests.handlers.asset_helpers import project_for
from tests.handlers.render_helpers import Cut, callback_server, colour_clip, stored_asset
from tests.handlers.test_auth import assert_error


@pytest.fixture
def client(committed: Runtime, make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hook",
        "http://name-that-does-not-resolve.invalid/hook",
    ],
)
def test_private_and_unresolvable_targets_are_named(url: str) -> None:
    assert private_target(url) is not None


def test_a_public_address_is_accepted() -> None:
    assert private_target("https://93.184.216.34/hooks/render") is None


def test_a_private_callback_url_is_refused_and_creates_no_render(
    client: TestClient,
    committed: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(committed.settings, "render_callbacks_private", False)
    cut = Cut(client, project_for(client))
    cut.append(stored_asset(committed, cut.pid, colour_clip(tmp_path / "red.mp4", "red")), 24)
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/"):
        response = cut.render(callback_url=url)
        assert_error(response, 422, "callback_url_not_allowed")
        assert "RENDER_CALLBACKS_PRIVATE" in response.json()["error"]["message"]
    assert client.get(f"{cut.base}/renders").json()["total"] == 0


def test_delivery_checks_the_target_again_and_sends_nothing_private() -> None:
    # DNS may change after a URL was accepted: every attempt looks at the address again.
    with callback_server() as hooks:
        payload = {"event": "render.completed", "render_id": "r"}
        assert deliver(hooks.url, "s" * 32, payload, retry=False, allow_private=False) is False
        assert hooks.posts == []
        assert deliver(hooks.url, "s" * 32, payload, retry=False, allow_private=True) is True
        assert len(hooks.posts) == 1
