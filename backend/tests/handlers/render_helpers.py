"""Helpers for render tests: solid-colour media, timelines, waiting, pixels, callback servers."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fastapi.testclient import TestClient

from database.models import Project
from database.session import session_scope
from runtime import Runtime
from tests import media
from tests.factories import make_asset
from tests.support import free_port, wait_for

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 128, 0)


def colour_clip(path: Path, colour: str, seconds: float = 2.0, size: str = "320x180") -> Path:
    """A solid-colour 24 fps H.264 clip with a stereo sine tone (AAC), as MP4."""
    media.run(
        [
            "-f", "lavfi", "-i", f"color=c={colour}:size={size}:rate=24:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-ac", "2", "-c:a", "aac", "-b:a", "64k",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-shortest", str(path),
        ]
    )  # fmt: skip
    return path


def stored_asset(runtime: Runtime, project_id: str, path: Path) -> str:
    """Store `path` as a probed, indexed-looking asset of the project (no indexing job)."""
    with session_scope(runtime.sessions) as db:
        project = db.get(Project, uuid.UUID(project_id))
        assert project is not None
        asset = make_asset(db, runtime.storage, project, path, status="completed")
        return str(asset.id)


def rt(frames: int, rate: int = 24) -> dict:
    return {"value": frames, "rate": rate}


def rng(start: int, duration: int, rate: int = 24) -> dict:
    return {"start_time": rt(start, rate), "duration": rt(duration, rate)}


class Cut:
    """One project's timeline, edited over HTTP; one video track V1."""

    def __init__(self, client: TestClient, project_id: str, size: str = "320x180") -> None:
        self.client = client
        self.pid = project_id
        self.base = f"/projects/{project_id}"
        width, height = (int(v) for v in size.split("x"))
        created = client.post(
            f"{self.base}/timeline",
            json={"name": "Cut", "rate": 24, "width": width, "height": height},
        )
        assert created.status_code == 201, created.text
        self.version = 0
        self.track = self.ops({"op": "add_track", "kind": "video", "name": "V1"})["created_ids"][0]

    def ops(self, *ops: dict) -> dict:
        response = self.client.post(
            f"{self.base}/timeline/ops",
            json={"ops": list(ops)},
            headers={"X-Expected-Version": str(self.version)},
        )
        assert response.status_code == 200, response.text
        self.version = response.json()["version"]
        return response.json()

    def append(self, asset_id: str, frames: int, start: int = 0) -> str:
        op = {"op": "append_clip", "track_id": self.track, "asset_id": asset_id}
        return self.ops({**op, "source_range": rng(start, frames)})["created_ids"][0]

    def render(self, **body: object):
        return self.client.post(f"{self.base}/renders", json={"preset": "draft", **body})

    def get(self, render_id: str) -> dict:
        response = self.client.get(f"{self.base}/renders/{render_id}")
        assert response.status_code == 200, response.text
        return response.json()["render"]

    def wait(self, render_id: str, timeout: float = 120, seen: list | None = None) -> dict:
        """Poll until the render ends; `seen` collects every (status, progress) observed."""
        state: dict = {}

        def ended() -> bool:
            state.update(self.get(render_id))
            if seen is not None:
                seen.append((state["status"], state["progress"]))
            return state["status"] in ("completed", "failed", "cancelled")

        assert wait_for(ended, timeout, 0.05), f"still {state.get('status')}: {state}"
        return state

    def frame(self, t: float, **params: object):
        return self.client.get(f"{self.base}/timeline/frame", params={"t": t, **params})


def pixel(path_or_png: Path | bytes, t: float | None = None) -> tuple[int, int, int]:
    """The mean colour of the picture's centre (at `t` s of a video), as RGB."""
    crop = ["-vf", "crop=iw/4:ih/4:iw*3/8:ih*3/8,scale=1:1:flags=area", "-frames:v", "1"]
    out = ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    if isinstance(path_or_png, bytes):
        args, data = ["-f", "png_pipe", "-i", "pipe:0", *crop, *out], path_or_png
    else:
        args, data = ["-ss", f"{t or 0:.3f}", "-i", str(path_or_png), *crop, *out], None
    result = subprocess.run(
        [*media.FFMPEG, *args], input=data, capture_output=True, check=True, timeout=60
    )
    r, g, b = result.stdout[:3]
    return r, g, b


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(colour, expected, strict=True))


def duration_of(path: Path) -> float:
    return float(media.probe_json(path)["format"]["duration"])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class CallbackServer:
    """A local HTTP server recording the POSTs it gets; answers `status`."""

    status: int = 200
    posts: list[Received] = field(default_factory=list)
    url: str = ""

    @property
    def events(self) -> list[str]:
        return [post.json["event"] for post in self.posts]


@contextmanager
def callback_server(status: int = 200) -> Iterator[CallbackServer]:
    record = CallbackServer(status=status)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                record.posts.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(record.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/render"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def refused_url() -> str:
    """A URL on a port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/hook"
