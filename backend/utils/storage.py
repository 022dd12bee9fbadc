"""Object storage: one small interface, a local-directory backend (GCS comes with assets)."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class Storage(Protocol):
    backend: str

    def write(self, key: str, stream: BinaryIO) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def ping(self) -> bool: ...


def check_key(key: str) -> str:
    """Keys are built from ids by the server; refuse anything that could escape the root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key.rstrip("/"))

    def write(self, key: str, stream: BinaryIO) -> int:
        """Copy a stream chunk by chunk into place; readers never see a partial object."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        written = 0
        with open(partial, "wb") as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                written += len(chunk)
        partial.replace(target)
        return written

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

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
        shutil.rmtree(path)
        return count

    def ping(self) -> bool:
        return self.root.is_dir()


def project_prefix(project_id: object) -> str:
    """Every object of a project lives under this prefix, keyed by ids, never by filenames."""
    return f"projects/{project_id}/"
