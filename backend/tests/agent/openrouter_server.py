"""A real local HTTP server speaking OpenRouter's (OpenAI-compatible) API, for tests.

`FakeOpenRouter` listens on 127.0.0.1 (ephemeral port) in a thread, records every request,
checks the bearer key, and answers each path from a queue of scripted replies (`Reply` values
or callables taking the `Recorded` request), falling back to deterministic defaults: a JSON
description for `/chat/completions`, hash-seeded unit vectors for `/embeddings`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from agent.openrouter import OpenRouterClient

API_PREFIX = "/api/v1"
DEFAULT_DIM = 32


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None  # sent verbatim instead of `body` (malformed JSON)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (for client timeouts)


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v1 prefix, e.g. "/chat/completions"
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None when it was not JSON


Handler = Callable[[Recorded], "Reply | dict[str, Any]"]


def tool_call(name: str, arguments: Mapping[str, Any] | str, call_id: str | None = None) -> dict:
    """A tool call as the API sends it; `arguments` as a dict or a (possibly broken) string."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": call_id or f"call_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": name, "arguments": args},
    }


def chat_reply(
    content: str | None = None,
    *,
    tool_calls: list[dict] | None = None,
    model: str = "",
    finish_reason: str | None = None,
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
) -> Reply:
    """A chat completion response; an empty `model` is filled with the requested model."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    reason = finish_reason or ("tool_calls" if tool_calls else "stop")
    return Reply(
        body={
            "id": f"gen-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "provider": "Fake",
            "choices": [{"index": 0, "message": message, "finish_reason": reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error_reply(
    status: int, message: str, *, retry_after: str | None = None, delay_s: float = 0.0
) -> Reply:
    """An error in OpenRouter's shape `{"error": {"code", "message"}}`."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"error": {"code": status, "message": message}}
    return Reply(status=status, body=body, headers=headers, delay_s=delay_s)


def malformed_reply(status: int = 200) -> Reply:
    """A response whose body is not JSON (a proxy page, a truncated body)."""
    return Reply(status=status, raw=b'{"choices": [ <html>Bad Gateway')


def fake_embedding(text: str, dim: int) -> np.ndarray:
    """The deterministic unit vector the server returns for `text` at `dim` dimensions."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    vec = np.random.default_rng(seed).standard_normal(dim)
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def request_text(body: Mapping[str, Any]) -> tuple[str, int]:
    """The text of a chat request's messages, and how many images they carry."""
    texts, images = [], 0
    for message in body.get("messages") or []:
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in parts:
            if part.get("type") == "image_url":
                images += 1
            elif isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "\n".join(texts), images


def fake_description(text: str, images: int = 0) -> dict[str, Any]:
    """The deterministic description the default chat handler answers with."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return {
        "summary": f"Fake description {digest} of {images} image(s).",
        "tags": ["fake", f"tag-{digest}"],
        "objects": ["test pattern"],
        "events": ["nothing happens"],
    }


class FakeOpenRouter:
    """A scripted OpenRouter on 127.0.0.1; use as a context manager or call start/close."""

    def __init__(self, api_key: str = "sk-or-test-key", *, default_dim: int = DEFAULT_DIM) -> None:
        self.api_key = api_key
        self.default_dim = default_dim
        self.reverse_embeddings = False  # answer `data` in reverse order (clients must sort)
        self.embedding_scale = 1.0  # scale vectors so clients must normalise them
        self.requests: list[Recorded] = []
        self._queues: dict[str, deque[Reply | Handler]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The API root to give the client, like https://openrouter.ai/api/v1."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"

    def client(self) -> OpenRouterClient:
        """A client of this server that retries once, without waiting."""
        return OpenRouterClient(
            self.api_key, base_url=self.base_url, max_retries=1, sleep=lambda s: None
        )

    def script(self, *replies: Reply | Handler, path: str = "/chat/completions") -> None:
        """Queue replies for `path`, used in order before falling back to the default."""
        with self._lock:
            self._queues[path].extend(replies)

    def requests_to(self, path: str) -> list[Recorded]:
        """The recorded requests to one path, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> FakeOpenRouter:
        """Bind an ephemeral port and serve in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        self._server.daemon_threads = True
        # A short poll interval so close() (which waits for the loop to notice) is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; slow replies still waiting are woken and dropped."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenRouter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer(self, request: Recorded) -> Reply:
        """The reply to a recorded request: auth, then the script, then the default."""
        with self._lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return error_reply(401, "No auth credentials found")
            queue = self._queues.get(request.path)
            scripted = queue.popleft() if queue else None
        if scripted is not None:
            reply = scripted(request) if callable(scripted) else scripted
            reply = reply if isinstance(reply, Reply) else Reply(body=reply)
        elif not isinstance(request.body, dict):
            return error_reply(400, "Request body must be a JSON object")
        elif request.path == "/chat/completions":
            reply = self.default_chat(request.body)
        elif request.path == "/embeddings":
            reply = self.default_embeddings(request.body)
        else:
            return error_reply(404, f"Not found: {request.path}")
        body = reply.body
        if isinstance(body, dict) and body.get("object") == "chat.completion" and not body["model"]:
            body["model"] = (request.body or {}).get("model", "")
        return reply

    def default_chat(self, body: dict[str, Any]) -> Reply:
        """A JSON description of what the request showed (deterministic in its text)."""
        if not body.get("model") or not body.get("messages"):
            return error_reply(400, "model and messages are required")
        text, images = request_text(body)
        return chat_reply(json.dumps(fake_description(text, images)), model=body["model"])

    def default_embeddings(self, body: dict[str, Any]) -> Reply:
        """Hash-seeded vectors for each input, at `dimensions` if asked."""
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not body.get("model") or not isinstance(inputs, list):
            return error_reply(400, "model and input are required")
        dim = int(body.get("dimensions") or self.default_dim)
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": (fake_embedding(t, dim) * self.embedding_scale).tolist(),
            }
            for i, t in enumerate(inputs)
        ]
        if self.reverse_embeddings:
            data.reverse()
        tokens = sum(len(str(t).split()) for t in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return Reply(body={"object": "list", "data": data, "model": body["model"], "usage": usage})


def make_handler(fake: FakeOpenRouter) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one FakeOpenRouter."""

    class OpenRouterHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects
        timeout = 30  # an idle keep-alive connection gives up its thread eventually

        def do_POST(self) -> None:
            self.handle_api()

        def do_GET(self) -> None:
            self.handle_api()

        def handle_api(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0]
            path = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.answer(Recorded(self.command, path, headers, body))
            if reply.delay_s and fake._closing.wait(reply.delay_s):
                return  # shutting down: drop the reply
            payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read `fake.requests`, not stderr

    return OpenRouterHandler
