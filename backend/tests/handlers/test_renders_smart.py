"""Smart rendering through HTTP: untouched stretches are copied, not re-encoded, unless the
request says `smart: false`; the file shows the same either way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runtime import Runtime
from tests.handlers.asset_helpers import project_for
from tests.handlers.render_helpers import (
    BLUE,
    RED,
    Cut,
    close_to,
    colour_clip,
    duration_of,
    pixel,
    stored_asset,
)
from tests.handlers.test_auth import assert_error


@pytest.fixture
def client(committed: Runtime, make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("smart-media")
    return {name: colour_clip(folder / f"{name}.mp4", name) for name in ("red", "blue")}


def _cut(client: TestClient, runtime: Runtime, clips: dict[str, Path]) -> Cut:
    # The timeline has the clips' own size and rate: nothing needs re-encoding but the title.
    cut = Cut(client, project_for(client))
    red, blue = (stored_asset(runtime, cut.pid, clips[name]) for name in ("red", "blue"))
    cut.append(red, 48)
    cut.append(blue, 48)
    return cut


def _download(client: TestClient, render: dict, path: Path) -> Path:
    path.write_bytes(client.get(render["content_url"]).content)
    return path


def test_untouched_clips_are_copied_and_play_as_cut(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = _cut(client, committed, clips)
    created = cut.render(preset="high")
    assert created.status_code == 202, created.text
    assert created.json()["render"]["smart"] is True
    done = cut.wait(created.json()["render"]["id"])
    assert done["status"] == "completed", done["error"]
    assert done["stats"] == {"segments": 2, "copied_s": 4.0, "encoded_s": 0.0}
    out = _download(client, done, tmp_path / "smart.mp4")
    assert abs(duration_of(out) - 4.0) <= 1 / 24 + 0.03
    assert close_to(pixel(out, 1.0), RED) and close_to(pixel(out, 3.0), BLUE)


def test_smart_false_re_encodes_everything(
    client: TestClient, committed: Runtime, clips: dict[str, Path], tmp_path: Path
) -> None:
    cut = _cut(client, committed, clips)
    done = cut.wait(cut.render(preset="high", smart=False).json()["render"]["id"])
    assert done["status"] == "completed", done["error"]
    assert done["smart"] is False
    assert done["stats"] == {"segments": 1, "copied_s": 0.0, "encoded_s": 4.0}
    out = _download(client, done, tmp_path / "full.mp4")
    assert close_to(pixel(out, 1.0), RED) and close_to(pixel(out, 3.0), BLUE)


def test_smart_must_be_a_boolean(
    client: TestClient, committed: Runtime, clips: dict[str, Path]
) -> None:
    cut = _cut(client, committed, clips)
    assert_error(cut.render(preset="high", smart="sometimes"), 422, "validation_error")
    assert client.get(f"{cut.base}/renders").json()["total"] == 0
