"""Object storage: one small interface; a local directory (default) or GCS (`GCS_BUCKET`)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    updated: datetime
    content_type: str | None = None


class Storage(Protocol):
    backend: str

    def put_file(
        self, key: str, path: Path, content_type: str | None = None, *, move: bool = False
    ) -> ObjectInfo:
        """Store a local file under `key` (moving it when `move` and the backend can)."""
        ...

    def write(self, key: str, stream: BinaryIO, content_type: str | None = None) -> ObjectInfo:
        """Store a stream under `key`, read chunk by chunk."""
        ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes `start`..`end` inclusive (to the end when `end` is None), in chunks."""
        ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local path holding the object for the duration of the block (for ffmpeg)."""
        ...

    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def signed_url(
        self, key: str, expires_s: int = 3600, filename: str | None = None
    ) -> str | None:
        """A time-limited direct download URL, or None where the backend has none."""
        ...

    def ping(self) -> bool: ...


def check_key(key: str) -> str:
    """Keys are built from ids by the server; refuse anything that could escape the root."""
    # Split by hand: PurePosixPath would normalise "a//b" and "./a" into valid-looking keys.
    parts = key.rstrip("/").split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def project_prefix(project_id: object) -> str:
    """Every object of a project lives under this prefix, keyed by ids, never by filenames."""
    return f"projects/{project_id}/"


def asset_prefix(project_id: object, asset_id: object) -> str:
    return f"{project_prefix(project_id)}assets/{asset_id}/"


class LocalStorage:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key.rstrip("/"))

    def _info(self, key: str, path: Path) -> ObjectInfo:
        st = path.stat()
        # Size and mtime in nanoseconds change with every rewrite, as an ETag must.
        etag = hashlib.sha1(f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}".encode()).hexdigest()
        updated = datetime.fromtimestamp(st.st_mtime, UTC)
        return ObjectInfo(key=key, size=st.st_size, etag=etag, updated=updated)

    def put_file(
        self, key: str, path: Path, content_type: str | None = None, *, move: bool = False
    ) -> ObjectInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        if move:
            try:
                os.replace(path, target)
                return self._info(key, target)
            except OSError:  # another filesystem: copy instead
                pass
        shutil.copyfile(path, partial)
        partial.replace(target)
        if move:
            path.unlink(missing_ok=True)
        return self._info(key, target)

    def write(self, key: str, stream: BinaryIO, content_type: str | None = None) -> ObjectInfo:
        """Copy a stream chunk by chunk into place; readers never see a partial object."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
        partial.replace(target)
        return self._info(key, target)

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return self._info(key, path) if path.is_file() else None

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self._path(key), "rb") as handle:
            handle.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return nullcontext(path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        path = self._path(prefix)
        if path.is_file():
            path.unlink()
            return 1
        if not path.is_dir():
            return 0
        count = sum(1 for item in path.rglob("*") if item.is_file())
        shutil.rmtree(path, ignore_errors=True)
        return count

    def signed_url(
        self, key: str, expires_s: int = 3600, filename: str | None = None
    ) -> str | None:
        return None

    def ping(self) -> bool:
        return self.root.is_dir()
