"""Stream a multipart upload to a staging file chunk by chunk (memory stays flat).

Starlette's form parser would spool the file and we would copy it again; parsing the stream
here writes each byte once, hashes it on the way and stops at the size limit.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from errors import BadRequest, PayloadTooLarge, UnsupportedMedia

FLUSH_BYTES = 1024 * 1024
# Room for the multipart boundaries and part headers on top of the file itself.
ENVELOPE_BYTES = 64 * 1024


@dataclass
class StagedUpload:
    path: Path
    filename: str
    content_type: str | None
    size: int
    sha256: str


def safe_filename(raw: str | None) -> str:
    """A display name only (storage keys are ids): strip paths and control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "upload"


class _FilePart:
    """Receives the bytes of the first `file` field; everything else is ignored."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.handle = open(path, "wb")  # noqa: SIM115 (closed in finish/abort)
        self.hasher = hashlib.sha256()
        self.buffer = bytearray()
        self.size = 0
        self.found = False
        self.done = False
        self.filename: str | None = None
        self.content_type: str | None = None
        self._in_file = False
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}

    # -- parser callbacks (synchronous, called from parser.write) ------------------------
    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        key = self._header_field.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def on_header_end(self) -> None:
        self._header_field = b""

    def on_headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._in_file = (
            disposition == b"form-data" and name == "file" and b"filename" in params
        ) and not self.found
        if self._in_file:
            self.found = True
            self.filename = params[b"filename"].decode("utf-8", "replace")
            content_type = self._headers.get(b"content-type")
            self.content_type = content_type.decode("latin-1")[:100] if content_type else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.size += end - start
        if self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"file is larger than the limit of {self.max_bytes} bytes",
                limit_bytes=self.max_bytes,
            )
        self.buffer += data[start:end]

    def on_part_end(self) -> None:
        if self._in_file:
            self.done = True
        self._in_file = False

    # -- buffered writes, off the event loop ---------------------------------------------
    def drain(self) -> None:
        if self.buffer:
            chunk = bytes(self.buffer)
            self.buffer.clear()
            self.hasher.update(chunk)
            self.handle.write(chunk)

    def close(self) -> None:
        self.drain()
        self.handle.close()


async def stage_upload(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    staging_dir: Path,
    max_bytes: int,
) -> StagedUpload:
    """Parse a multipart body and write its `file` field to a staging file."""
    if (
        content_length
        and content_length.isdigit()
        and int(content_length) > max_bytes + ENVELOPE_BYTES
    ):
        raise PayloadTooLarge(
            f"file is larger than the limit of {max_bytes} bytes", limit_bytes=max_bytes
        )
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest(
            "send the file as multipart/form-data in a field named 'file'", code="invalid_upload"
        )
    staging_dir.mkdir(parents=True, exist_ok=True)
    part = _FilePart(staging_dir / f"upload-{uuid.uuid4()}", max_bytes)
    callbacks = {
        name: getattr(part, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
            if len(part.buffer) >= FLUSH_BYTES:
                await run_in_threadpool(part.drain)
        parser.finalize()
        await run_in_threadpool(part.close)
    except MultipartParseError as exc:
        _abort(part)
        raise BadRequest(f"malformed multipart body: {exc}", code="invalid_upload") from None
    except BaseException:
        _abort(part)
        raise
    if not part.found or not part.done:
        part.path.unlink(missing_ok=True)
        raise BadRequest(
            "no complete file in field 'file' of the multipart body", code="invalid_upload"
        )
    if part.size == 0:
        part.path.unlink(missing_ok=True)
        raise UnsupportedMedia("the uploaded file is empty", code="empty_file")
    return StagedUpload(
        path=part.path,
        filename=safe_filename(part.filename),
        content_type=part.content_type,
        size=part.size,
        sha256=part.hasher.hexdigest(),
    )


def _abort(part: _FilePart) -> None:
    part.handle.close()
    part.path.unlink(missing_ok=True)


def discard(staged: StagedUpload) -> None:
    if staged.path.exists():
        os.unlink(staged.path)
