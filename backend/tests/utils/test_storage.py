"""The `Storage` contract, checked on LocalStorage and on GcsStorage against fake-gcs-server."""

from __future__ import annotations

import io
import os
import socket
import tracemalloc
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from config import Settings

# Imported under other names so the test parameters below do not shadow the imports (F811);
# pytest registers them as `gcs_server` and `gcs_storage` all the same.
from tests.gcs_fixtures import gcs_server as _gcs_server  # noqa: F401
from tests.gcs_fixtures import gcs_storage as _gcs_storage  # noqa: F401
from tests.gcs_server import GcsServer, verify_v4_signature
from utils.gcs_storage import GcsStorage
from utils.storage import CHUNK, LocalStorage, Storage
from utils.storage_factory import make_storage

MIB = 1024 * 1024
BAD_KEYS = ["", "/abs/key", "../escape", "a/../b", "a/..", ".."]


@pytest.fixture(params=["local", "gcs"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    return request.getfixturevalue("gcs_storage")


def _file(tmp_path: Path, data: bytes, name: str = "src.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(storage: Storage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(storage.iter_range(key, start, end))


class ChunkedStream(io.RawIOBase):
    """A stream that cannot seek or tell, like a request body; optionally fails midway."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._fail_after is not None and self._pos >= self._fail_after:
            raise ConnectionError("client went away")
        size = len(self._data) - self._pos if size < 0 else size
        chunk = bytes(self._data[self._pos : self._pos + size])
        self._pos += len(chunk)
        return chunk


def test_put_file_then_stat(storage: Storage, tmp_path: Path) -> None:
    src = _file(tmp_path, b"first version")
    info = storage.put_file("projects/p1/a.bin", src, "application/octet-stream")
    assert info.key == "projects/p1/a.bin"
    assert info.size == len(b"first version")
    assert src.exists()  # without move the source stays
    stat = storage.stat("projects/p1/a.bin")
    assert stat is not None
    assert (stat.size, stat.etag) == (info.size, info.etag)
    assert stat.updated.tzinfo is not None

    info2 = storage.put_file("projects/p1/a.bin", _file(tmp_path, b"second, longer version"))
    assert info2.size == len(b"second, longer version")
    assert info2.etag != info.etag
    assert storage.stat("projects/p1/a.bin") == info2
    assert storage.stat("projects/p1/missing.bin") is None


def test_put_file_move_removes_source(storage: Storage, tmp_path: Path) -> None:
    src = _file(tmp_path, b"moved bytes")
    info = storage.put_file("k/moved.bin", src, move=True)
    assert not src.exists()
    assert info.size == len(b"moved bytes")
    assert _read(storage, "k/moved.bin") == b"moved bytes"


def test_put_file_larger_than_one_upload_request(storage: Storage, tmp_path: Path) -> None:
    # Above 8 MiB GcsStorage sends a resumable upload in several requests.
    data = os.urandom(9 * MIB + 4321)
    info = storage.put_file("big/file.mp4", _file(tmp_path, data), "video/mp4")
    assert info.size == len(data)
    with storage.local_copy("big/file.mp4") as path:
        assert path.read_bytes() == data


def test_write_stream_then_stat(storage: Storage) -> None:
    data = os.urandom(3 * CHUNK + 17)
    info = storage.write("w/stream.bin", ChunkedStream(data), "application/octet-stream")
    assert info.size == len(data)
    assert storage.stat("w/stream.bin") == info
    assert _read(storage, "w/stream.bin") == data

    again = storage.write("w/stream.bin", io.BytesIO(b"short"))
    assert again.size == 5
    assert again.etag != info.etag


def test_write_empty_stream(storage: Storage) -> None:
    info = storage.write("w/empty", io.BytesIO(b""))
    assert info.size == 0
    assert storage.exists("w/empty")
    assert _read(storage, "w/empty") == b""


def test_failed_write_leaves_no_object(storage: Storage) -> None:
    data = os.urandom(10 * MIB)
    with pytest.raises(ConnectionError):
        storage.write("w/broken.bin", ChunkedStream(data, fail_after=9 * MIB))
    assert storage.stat("w/broken.bin") is None


def test_iter_range_returns_exactly_the_asked_bytes(storage: Storage) -> None:
    data = os.urandom(2 * CHUNK + 1000)
    n = len(data)
    storage.write("r/data.bin", io.BytesIO(data))
    cases = [
        (0, 0),  # first byte
        (0, 99),
        (1000, 2999),  # middle
        (CHUNK - 5, CHUNK + 5),  # across a chunk boundary
        (n - 1, n - 1),  # last byte
        (n - 10, None),  # to the end
        (0, None),  # everything
        (n - 5, n + 100),  # an end past the object is clamped
    ]
    for start, end in cases:
        expected = data[start : None if end is None else end + 1]
        assert _read(storage, "r/data.bin", start, end) == expected, (start, end)
    assert _read(storage, "r/data.bin", n) == b""  # starting at the end: nothing


def test_five_mib_object_streams_in_several_chunks(storage: Storage) -> None:
    data = os.urandom(5 * MIB)
    storage.write("r/five.bin", io.BytesIO(data))
    chunks = list(storage.iter_range("r/five.bin"))
    assert len(chunks) >= 5
    assert all(len(chunk) <= CHUNK for chunk in chunks)
    assert b"".join(chunks) == data


def test_large_transfers_never_hold_the_whole_object(storage: Storage, tmp_path: Path) -> None:
    # Python-level allocations, measured, not timed: uploads and downloads go through in
    # bounded pieces (GcsStorage peaks near 8 MiB upload chunks plus copies, under 20 MiB).
    size = 40 * MIB
    src = tmp_path / "large.bin"
    with open(src, "wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
    peaks: list[int] = []
    tracemalloc.start()
    try:
        storage.put_file("large/a.bin", src)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        with open(src, "rb") as stream:
            storage.write("large/b.bin", stream)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        assert sum(len(chunk) for chunk in storage.iter_range("large/a.bin")) == size
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        with storage.local_copy("large/b.bin") as path:
            assert path.stat().st_size == size
        peaks.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    assert max(peaks) < size * 3 // 4, [peak // MIB for peak in peaks]


def test_local_copy_has_the_same_bytes(storage: Storage) -> None:
    data = os.urandom(CHUNK + 99)
    storage.write("c/clip.mp4", io.BytesIO(data))
    with storage.local_copy("c/clip.mp4") as path:
        assert path.is_file()
        assert path.read_bytes() == data
    with pytest.raises(FileNotFoundError), storage.local_copy("c/missing.mp4"):
        pass


def test_missing_object_cannot_be_read(storage: Storage) -> None:
    with pytest.raises(FileNotFoundError):
        _read(storage, "nothing/here.bin")


def test_exists_and_delete(storage: Storage) -> None:
    assert not storage.exists("d/x.bin")
    storage.write("d/x.bin", io.BytesIO(b"x"))
    assert storage.exists("d/x.bin")
    storage.delete("d/x.bin")
    assert not storage.exists("d/x.bin")
    storage.delete("d/x.bin")  # deleting a missing object is fine


def test_delete_prefix_removes_only_that_prefix(storage: Storage) -> None:
    for key in ["p/a/1", "p/a/2", "p/a/sub/3", "p/ab/4", "p/b/5", "q/6"]:
        storage.write(key, io.BytesIO(key.encode()))
    assert storage.delete_prefix("p/a/") == 3
    assert not any(storage.exists(k) for k in ["p/a/1", "p/a/2", "p/a/sub/3"])
    # "p/ab" shares the string "p/a" but is another folder: untouched.
    assert all(storage.exists(k) for k in ["p/ab/4", "p/b/5", "q/6"])
    assert storage.delete_prefix("p/a") == 0
    assert storage.delete_prefix("p/b/5") == 1  # a single object
    assert storage.delete_prefix("p") == 1
    assert storage.exists("q/6")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_are_refused(storage: Storage, tmp_path: Path, key: str) -> None:
    src = _file(tmp_path, b"x")
    calls = [
        lambda: storage.put_file(key, src),
        lambda: storage.write(key, io.BytesIO(b"x")),
        lambda: storage.stat(key),
        lambda: _read(storage, key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.delete_prefix(key),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()


def test_ping(storage: Storage) -> None:
    assert storage.ping() is True


def test_local_has_no_signed_url(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.write("s/a.bin", io.BytesIO(b"a"))
    assert storage.signed_url("s/a.bin", 60, "a.bin") is None


# GCS only: signed URLs, credentials, endpoints.


def test_gcs_signed_url_is_signed_and_served(
    gcs_server: GcsServer, gcs_storage: GcsStorage
) -> None:
    gcs_storage.write("s/clip.mp4", io.BytesIO(b"signed bytes"), "video/mp4")
    url = gcs_storage.signed_url("s/clip.mp4", 600, 'my "clip" é.mp4')
    assert url is not None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == gcs_server.endpoint
    assert parts.path == f"/{gcs_storage.bucket.name}/s/clip.mp4"
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "600"
    assert query["X-Goog-Credential"].startswith("tests@vedit-test.iam.gserviceaccount.com/")
    assert query["response-content-disposition"] == (
        "attachment; filename=\"my _clip_ _.mp4\"; filename*=UTF-8''my%20%22clip%22%20%C3%A9.mp4"
    )
    # The emulator does not check signatures, so check it against the key's public half.
    assert verify_v4_signature(url, gcs_server.private_key_pem)
    assert not verify_v4_signature(
        url.replace("X-Goog-Expires=600", "X-Goog-Expires=601"), gcs_server.private_key_pem
    )
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"signed bytes"
    assert gcs_storage.signed_url("s/clip.mp4") is not None  # no filename: no disposition


def test_gcs_without_a_key_has_no_signed_url(gcs_server: GcsServer) -> None:
    storage = GcsStorage(gcs_server.bucket, endpoint=gcs_server.endpoint, timeout=10)
    storage.write("s/anon.bin", io.BytesIO(b"anon"))
    assert storage.signed_url("s/anon.bin", 60) is None
    assert _read(storage, "s/anon.bin") == b"anon"


def test_gcs_honours_storage_emulator_host(
    gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some tools set it without a scheme.
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint.removeprefix("http://"))
    storage = GcsStorage(gcs_server.bucket, credentials_json=gcs_server.credentials_json)
    assert storage.endpoint == gcs_server.endpoint
    assert storage.ping()
    storage.write("env/x.bin", io.BytesIO(b"via env"))
    assert _read(storage, "env/x.bin") == b"via env"


def test_gcs_ping_fails_for_a_missing_bucket_or_a_dead_server(gcs_server: GcsServer) -> None:
    assert not GcsStorage("no-such-bucket", endpoint=gcs_server.endpoint, timeout=10).ping()
    with socket.socket() as sock:  # a port with nobody listening: refused at once
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert not GcsStorage("bucket", endpoint=dead, timeout=10).ping()


def test_gcs_local_copy_is_removed_after_the_block(gcs_storage: GcsStorage) -> None:
    gcs_storage.write("c/x.mov", io.BytesIO(b"movie"))
    with gcs_storage.local_copy("c/x.mov") as path:
        assert path.suffix == ".mov"
        assert path.parent == gcs_storage.temp_dir
    assert not path.exists()


def test_make_storage_picks_the_backend(gcs_server: GcsServer, tmp_path: Path) -> None:
    # gcs_bucket=None explicitly: a GCS_BUCKET in the environment must not change this test.
    local = make_storage(Settings(_env_file=None, data_dir=tmp_path, gcs_bucket=None))
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path / "storage"

    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        gcs_bucket=gcs_server.bucket,
        gcp_credentials=gcs_server.credentials_json,
        gcs_endpoint=gcs_server.endpoint,
    )
    gcs = make_storage(settings)
    assert isinstance(gcs, GcsStorage)
    assert gcs.backend == "gcs"
    assert gcs.ping()
    assert gcs.temp_dir == settings.work_dir
