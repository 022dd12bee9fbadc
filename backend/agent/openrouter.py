"""OpenRouter client (the OpenAI-compatible protocol): chat with tools, and embeddings.

Sync httpx; retries with backoff on 408/429/5xx and connection failures, honouring
`Retry-After`; every failure surfaces as `OpenRouterError` carrying the provider's message.
The API key goes only into the Authorization header: never into logs, errors or reprs.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0
RETRY_AFTER_MAX_S = 60.0  # a hostile or confused Retry-After must not park a worker for hours
EMBED_BATCH = 64


class OpenRouterError(Exception):
    """A failed OpenRouter call; `status` is the HTTP status (None when no response came)."""

    def __init__(self, status: int | None, message: str, code: str | int | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"OpenRouter error {self.status}: {self.message}" if self.status else self.message


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str
    # Set when the model produced arguments that are not a JSON object; the agent loop can
    # send this back as the tool result so the model corrects itself instead of crashing us.
    arguments_error: str | None = None

    def result_message(self, content: str) -> dict[str, Any]:
        """The `tool` message that answers this call in the next request."""
        return {"role": "tool", "tool_call_id": self.id, "content": content}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True)
class ChatResult:
    content: str | None
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    model: str
    finish_reason: str | None = None
    # The assistant message as received, to append to the conversation verbatim.
    message: dict[str, Any] = field(default_factory=dict)


def image_part(path: Path) -> dict[str, Any]:
    """An image as an OpenAI `image_url` content part holding a base64 data URL."""
    mime = mimetypes.guess_type(path.name)[0]
    if not mime or not mime.startswith("image/"):
        mime = "image/jpeg"
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}


def parse_arguments(raw: Any) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments as a dict, plus an error message when they are not a JSON object."""
    if isinstance(raw, dict):  # some providers send an object instead of a JSON string
        return raw, None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}, None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError) as exc:
        return {}, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def parse_tool_calls(raw_calls: Any) -> tuple[ToolCall, ...]:
    """The tool calls of an assistant message, skipping entries that are not objects."""
    calls = []
    for i, call in enumerate(raw_calls if isinstance(raw_calls, list) else []):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        raw = fn.get("arguments")
        args, error = parse_arguments(raw)
        raw_text = raw if isinstance(raw, str) else json.dumps(raw or {})
        call_id = call.get("id") or f"call_{i}"
        calls.append(ToolCall(call_id, str(fn.get("name") or ""), args, raw_text, error))
    return tuple(calls)


def message_text(content: Any) -> str | None:
    """Assistant content as text: a string, or the text parts of a content-part list."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def retry_after_s(response: httpx.Response) -> float | None:
    """The server's Retry-After (seconds or an HTTP date) in seconds, capped; None if absent."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def error_from_body(status: int | None, body: Any) -> OpenRouterError:
    """An OpenRouterError from an OpenAI/OpenRouter error body `{"error": {message, code}}`."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        message = str(err.get("message") or "unknown error")
        meta = err.get("metadata")
        if isinstance(meta, dict) and meta.get("provider_name"):
            message += f" (provider: {meta['provider_name']})"
        return OpenRouterError(status, message, err.get("code"))
    if isinstance(err, str):
        return OpenRouterError(status, err)
    return OpenRouterError(status, "unexpected response without an error message")


class OpenRouterClient:
    """Calls OpenRouter (or any OpenAI-compatible server) over a pooled sync HTTP client."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 120.0,
        max_retries: int = 3,
        app_name: str | None = "vedit",
        referer: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("an OpenRouter API key is required")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self._sleep = sleep  # injectable so tests can see the waits without waiting
        headers = {"Authorization": f"Bearer {api_key}"}
        # OpenRouter's optional attribution headers (app rankings and dashboards).
        if referer:
            headers["HTTP-Referer"] = referer
        if app_name:
            headers["X-Title"] = app_name
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"OpenRouterClient(base_url={self.base_url!r})"  # no key

    def __enter__(self) -> OpenRouterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        temperature: float = 0,
        max_tokens: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatResult:
        """One chat completion: the assistant's text and/or parsed tool calls."""
        body: dict[str, Any] = {"model": model, "messages": list(messages)}
        optional = {
            "temperature": temperature,
            "tools": list(tools) if tools else None,
            "tool_choice": tool_choice,
            "response_format": dict(response_format) if response_format else None,
            "max_tokens": max_tokens,
        }
        body.update({k: v for k, v in optional.items() if v is not None}, **(extra or {}))
        data = self._post("chat/completions", body)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise OpenRouterError(200, "response has no choices")
        message = choices[0].get("message") or {}
        usage = data.get("usage") or {}
        return ChatResult(
            content=message_text(message.get("content")),
            tool_calls=parse_tool_calls(message.get("tool_calls")),
            usage=Usage(*(int(usage.get(k) or 0) for k in Usage.__dataclass_fields__)),
            model=str(data.get("model") or model),
            finish_reason=choices[0].get("finish_reason"),
            message={"role": "assistant", **message},
        )

    def embed(
        self, texts: Sequence[str], *, model: str, dimensions: int | None = None
    ) -> np.ndarray:
        """Embeddings of `texts` as an (n, d) float32 array of unit rows, in input order."""
        batches = [
            self._embed_batch(list(texts[i : i + EMBED_BATCH]), model, dimensions)
            for i in range(0, len(texts), EMBED_BATCH)
        ]
        if not batches:
            return np.zeros((0, dimensions or 0), dtype=np.float32)
        out = np.concatenate(batches).astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)  # a zero vector stays zero, not NaN

    def _embed_batch(self, texts: list[str], model: str, dimensions: int | None) -> np.ndarray:
        body: dict[str, Any] = {"model": model, "input": texts, "encoding_format": "float"}
        if dimensions is not None:
            body["dimensions"] = dimensions
        data = self._post("embeddings", body).get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            got = len(data) if isinstance(data, list) else 0
            raise OpenRouterError(200, f"expected {len(texts)} embeddings, got {got}")
        try:
            # The API may answer out of order; `index` says which input each row belongs to.
            rows = sorted(data, key=lambda d: d["index"])
            if [r["index"] for r in rows] != list(range(len(texts))):
                raise ValueError("indexes do not cover the inputs")
            return np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise OpenRouterError(200, f"malformed embeddings response: {exc}") from exc

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON, retrying transient failures; the decoded body of a success."""
        for attempt in range(self.max_retries + 1):
            wait: float | None = None
            try:
                response = self._http.post(path, json=body)
            except httpx.TimeoutException as exc:
                msg = f"OpenRouter /{path} timed out after {self._timeout:g}s ({exc})"
                error, retry = OpenRouterError(None, msg), True
            except httpx.TransportError as exc:
                msg = f"cannot reach OpenRouter /{path}: {exc}"
                error, retry = OpenRouterError(None, msg), True
            else:
                data, error = decode(response)
                if error is None:
                    return data
                retry = error.status in RETRY_STATUSES
                wait = retry_after_s(response)
            if not retry or attempt == self.max_retries:
                raise error
            if wait is None:
                # Exponential backoff with jitter so parallel workers do not retry in step.
                wait = min(BACKOFF_BASE_S * 2**attempt, BACKOFF_MAX_S) * random.uniform(0.5, 1)
            logger.warning(
                "OpenRouter /%s failed (%s); retry %d/%d in %.1fs",
                path, error, attempt + 1, self.max_retries, wait,
            )  # fmt: skip
            self._sleep(wait)
        raise AssertionError("unreachable")


def decode(response: httpx.Response) -> tuple[dict[str, Any], OpenRouterError | None]:
    """A response's JSON object, or the error it stands for (with a retryable-aware status)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    status = response.status_code
    if isinstance(data, dict) and data.get("error"):
        error = error_from_body(status, data)
        if response.is_success:
            # OpenRouter reports a failure after generation started as a 200 whose body holds
            # the error; its code is the real status (an upstream failure if not numeric).
            error.status = error.code if isinstance(error.code, int) else 502
        return {}, error
    if isinstance(data, dict) and response.is_success:
        return data, None
    snippet = " ".join(response.text[:200].split())
    if response.is_success:
        # Treated like a bad gateway: a proxy or a truncated body, worth another try.
        return {}, OpenRouterError(502, f"response is not a JSON object: {snippet!r}")
    return {}, OpenRouterError(status, f"{response.reason_phrase}: {snippet}".rstrip(": "))
