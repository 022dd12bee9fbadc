"""Signed HTTP callbacks about a render's progress and end.

Each callback is a JSON POST with two headers:
    X-Vedit-Timestamp: <unix seconds>
    X-Vedit-Signature: sha256=<hex HMAC-SHA256 of b"<timestamp>." + raw body>
keyed by the render callback secret. A receiver recomputes the HMAC over the timestamp and the
exact bytes it received, compares in constant time, and rejects old timestamps (replays).
Delivery is best effort: retried with backoff, logged as a warning, and never fails a render.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import queue
import secrets
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from config import Settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Vedit-Signature"
TIMESTAMP_HEADER = "X-Vedit-Timestamp"
RETRY_DELAYS_S = (0.5, 2.0, 5.0)
TIMEOUT_S = 5.0
# Progress posts: at most one per step of percent, or per interval when progress moves.
PROGRESS_STEP = 10.0
PROGRESS_INTERVAL_S = 2.0
_SECRET_FILE = "render_callback_secret"


def callback_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept under DATA_DIR/secrets/."""
    if settings.render_callback_secret:
        return settings.render_callback_secret
    path = settings.data_dir / "secrets" / _SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: the server and workers starting together agree on the first one written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.01)  # the creator is between open and write
        raise RuntimeError(f"{path} is empty: delete it or set RENDER_CALLBACK_SECRET") from None
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True when `signature` is ours for this timestamp and body (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def private_target(url: str) -> str | None:
    """Why `url` must not receive callbacks when private targets are off (its host resolves to
    a loopback, private, link-local or otherwise non-public address, or not at all)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"its host {host!r} cannot be resolved"
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not address.is_global:
            return f"its host {host!r} is a non-public address ({address})"
    return None


def deliver(
    url: str,
    secret: str,
    payload: dict[str, Any],
    *,
    retry: bool = True,
    allow_private: bool = True,
) -> bool:
    """POST one signed payload (retrying with backoff when `retry`); False, with a warning,
    if it never got a 2xx answer. Without `allow_private`, the host is checked before every
    attempt, since DNS may have changed since the URL was accepted."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    last = ""
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S) if retry else (0.0,)):
        time.sleep(delay)
        refused = None if allow_private else private_target(url)
        if refused is not None:
            last = f"not sent: {refused}"
            break
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "vedit-render-callback/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                return True
            last = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                break  # the receiver refuses this request; sending it again will not help
        logger.info("render callback attempt %d to %s failed: %s", attempt + 1, url, last)
    logger.warning(
        "render callback %s for render %s not delivered to %s: %s",
        payload.get("event"),
        payload.get("render_id"),
        url,
        last,
    )
    return False


class Notifier:
    """Sends one render's callbacks in order from a background thread, so a slow receiver
    never holds up the encode; `close()` sends the final one and waits for delivery."""

    def __init__(
        self, url: str | None, secret: str, base: dict[str, Any], *, allow_private: bool = True
    ) -> None:
        self.url = url
        self.secret = secret
        self.base = base
        self.allow_private = allow_private
        self._last_percent = -PROGRESS_STEP
        self._last_time = 0.0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        if url:
            self._thread = threading.Thread(target=self._send_all, daemon=True, name="callback")
            self._thread.start()

    def _send_all(self) -> None:
        while (payload := self._queue.get()) is not None:
            is_progress = payload["event"] == "render.progress"
            if is_progress and self._newer_progress_waiting():
                continue  # behind a slow receiver: only the latest progress matters
            try:
                # Progress goes once (the next one supersedes it); the end state is retried.
                deliver(
                    self.url or "", self.secret, payload, retry=not is_progress,
                    allow_private=self.allow_private,
                )  # fmt: skip
            except Exception:  # a callback must never take the render down
                logger.warning("render callback failed", exc_info=True)

    def _newer_progress_waiting(self) -> bool:
        with self._queue.mutex:
            head = self._queue.queue[0] if self._queue.queue else None
        return head is not None and head["event"] == "render.progress"

    def _post(self, event: str, **fields: Any) -> None:
        if self._thread is None:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._queue.put({**self.base, "event": event, **fields, "sent_at": stamp})

    def progress(self, percent: float, *, force: bool = False) -> None:
        """Report progress, throttled to every PROGRESS_STEP percent or PROGRESS_INTERVAL_S."""
        now = time.monotonic()
        moved = percent > self._last_percent
        due = percent >= self._last_percent + PROGRESS_STEP
        if force or due or (moved and now - self._last_time >= PROGRESS_INTERVAL_S):
            self._last_percent, self._last_time = percent, now
            self._post("render.progress", status="processing", progress=round(percent, 1))

    def close(self, final: dict[str, Any] | None = None, timeout: float = 60.0) -> None:
        """Send `final` (the end state) after everything queued, and wait for delivery."""
        if self._thread is None:
            return
        if final is not None:
            self._post(f"render.{final['status']}", **final)
        self._queue.put(None)
        self._thread.join(timeout)
