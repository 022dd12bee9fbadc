"""The render benchmark's HTTP leg (bench/bench_render.py --http): the same edit made and
rendered through the API of `python main.py` on the embedded default, as a user would.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import render_edit as edit

from models.timeline_models import Timeline
from tests.support import ServerProcess, wait_for


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _upload(http: httpx.Client, pid: str, paths: dict[str, Path]) -> dict[str, str]:
    """Upload the sources and wait until they are indexed (the draft preset reads proxies)."""
    ids = {}
    for name, path in paths.items():
        with open(path, "rb") as handle:
            response = http.post(f"/projects/{pid}/assets", files={"file": (path.name, handle)})
        response.raise_for_status()
        ids[name] = response.json()["asset"]["id"]
    states: dict[str, dict] = {}

    def indexed() -> bool:
        for name, aid in ids.items():
            states[name] = http.get(f"/projects/{pid}/assets/{aid}").json()["asset"]
        done = [s for s in states.values() if s["indexing_status"] in ("completed", "failed")]
        mean = sum(s["indexing_progress"] or 0 for s in states.values()) / len(states)
        if sys.stdout.isatty():
            print(f"\r  http: indexing the {len(ids)} uploads {mean:5.1f}%", end="", flush=True)
        return len(done) == len(states)

    started = time.perf_counter()
    wait_for(indexed, 1800, 1.0)
    print(f"\r  http: the uploads were indexed in {time.perf_counter() - started:.1f} s")
    failed = {
        n: s["indexing_error"] for n, s in states.items() if s["indexing_status"] != "completed"
    }
    assert not failed, failed
    return ids


def _render(http: httpx.Client, pid: str, preset: str, output: Path) -> dict:
    """POST /renders, poll it to the end, download the file; wall and job seconds."""
    start = time.perf_counter()
    response = http.post(f"/projects/{pid}/renders", json={"preset": preset})
    assert response.status_code == 202, response.text
    url = f"/projects/{pid}/renders/{response.json()['render']['id']}"
    state: dict = {}

    def finished() -> bool:
        state.update(http.get(url).json()["render"])
        if sys.stdout.isatty():
            print(f"\r  http {preset}: {state['status']} {state['progress']:5.1f}%", end="")
        return state["status"] in ("completed", "failed", "cancelled")

    wait_for(finished, 3600, 0.25)
    wall = time.perf_counter() - start
    print(f"\r  http {preset}: {state['status']} in {wall:.2f} s")
    assert state["status"] == "completed", state["error"]
    with http.stream("GET", f"{url}/content") as body, open(output, "wb") as out:
        for chunk in body.iter_bytes():
            out.write(chunk)
    return {"wall": wall, "job": _seconds(state["started_at"], state["completed_at"])}


def http_renders(paths: dict[str, Path], presets: list[str], out_dir: Path) -> dict[str, dict]:
    """Make the edit over HTTP and render it once per preset (into out_dir); results by preset."""
    with tempfile.TemporaryDirectory(prefix="bench-render-http-") as tmp:
        env = {"DATA_DIR": str(Path(tmp) / "data"), "DATABASE_URL": "", "REDIS_RQ_URL": "",
               "REDIS_AUTH_URL": "", "LOG_LEVEL": "WARNING"}  # fmt: skip
        server = ServerProcess(env, Path(tmp) / "server.log")
        server.start()
        try:
            return _session(server.url, paths, presets, out_dir)
        finally:
            server.stop()


def _session(url: str, paths: dict[str, Path], presets: list[str], out_dir: Path) -> dict:
    http = httpx.Client(base_url=url, timeout=600)
    http.headers["Authorization"] = "Bearer " + http.post("/auth/session").json()["token"]
    pid = http.post("/projects", json={"name": "render bench"}).json()["project"]["id"]
    ids = _upload(http, pid, paths)
    base = f"/projects/{pid}/timeline"
    settings = {"name": "render bench", "rate": edit.RATE, "width": edit.WIDTH,
                "height": edit.HEIGHT, "sample_rate": 48000}  # fmt: skip
    http.post(base, json=settings).raise_for_status()
    version = [0]

    def apply(ops: list[dict]) -> Timeline:
        headers = {"X-Expected-Version": str(version[0])}
        response = http.post(f"{base}/ops", json={"ops": ops}, headers=headers)
        assert response.status_code == 200, response.text
        version[0] = response.json()["version"]
        return Timeline.model_validate(response.json()["timeline"])

    edit.make_edit(apply, ids)
    return {p: _render(http, pid, p, out_dir / f"{p}-http.mp4") for p in presets}
