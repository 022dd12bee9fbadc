"""Google Cloud Storage backend of the `Storage` protocol (`GCS_BUCKET`)."""

from __future__ import annotations

import json
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote

import google.auth
from google.api_core.exceptions import NotFound, RequestRangeNotSatisfiable
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud.storage import Blob, Client
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account

from utils.storage import CHUNK, ObjectInfo, check_key

# Resumable uploads send this much per request (a multiple of 256 KiB, as GCS requires): it
# bounds the memory an upload holds, whatever the file size (the library's default is 100 MiB).
UPLOAD_CHUNK = 8 * 1024 * 1024
PING_TIMEOUT_S = 5.0


def _emulator_endpoint(endpoint: str | None) -> str | None:
    """The explicit endpoint, else STORAGE_EMULATOR_HOST (which some tools set without scheme)."""
    value = endpoint or os.environ.get("STORAGE_EMULATOR_HOST") or None
    if value and "://" not in value:
        value = f"http://{value}"
    return value.rstrip("/") if value else None


def _load_credentials(credentials_json: str | None) -> tuple[Credentials | None, str | None]:
    """Credentials and project from a service-account (or other) JSON key, or (None, None)."""
    if not credentials_json:
        return None, None
    info: dict[str, Any] = json.loads(credentials_json)
    if info.get("type") == "service_account":
        creds: Credentials = service_account.Credentials.from_service_account_info(info)
    else:  # authorized_user, external_account...: usable for calls, not for signing
        creds, _ = google.auth.load_credentials_from_dict(info)
    return creds, info.get("project_id")


def content_disposition(filename: str) -> str:
    """An attachment header naming `filename`, with an ASCII fallback and the UTF-8 form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class GcsStorage:
    backend = "gcs"

    def __init__(
        self,
        bucket: str,
        credentials_json: str | None = None,
        endpoint: str | None = None,
        *,
        temp_dir: Path | None = None,
        timeout: float = 60.0,
    ) -> None:
        creds, project = _load_credentials(credentials_json)
        self.endpoint = _emulator_endpoint(endpoint)
        # Only a key can sign URLs offline; ADC on a VM has none, so it gets no signed URLs.
        self._signer = creds if isinstance(creds, service_account.Credentials) else None
        if self.endpoint:
            # Emulators accept anyone; anonymous credentials also keep the client from asking
            # Google's token endpoint (on the internet) for an access token.
            self.client = Client(
                project=project or "emulator",
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.endpoint},
            )
        else:
            # No JSON: Application Default Credentials (workload identity, metadata server).
            self.client = Client(project=project, credentials=creds)
        self.bucket = self.client.bucket(bucket)
        self.temp_dir = temp_dir or Path(tempfile.gettempdir())
        self.timeout = timeout

    def _blob(self, key: str, **kwargs: Any) -> Blob:
        return self.bucket.blob(check_key(key), **kwargs)

    @staticmethod
    def _info(blob: Blob) -> ObjectInfo:
        return ObjectInfo(
            key=blob.name,
            size=int(blob.size or 0),
            # The JSON API's etag changes with every rewrite (generation), as an ETag must.
            etag=blob.etag or str(blob.generation),
            # Every object resource the API returns has `updated`; the fallback only types it.
            updated=blob.updated or datetime.now(UTC),
            content_type=blob.content_type,
        )

    def put_file(
        self, key: str, path: Path, content_type: str | None = None, *, move: bool = False
    ) -> ObjectInfo:
        """Upload from disk without holding the file: up to 8 MiB the library sends one
        request; above, a resumable upload in UPLOAD_CHUNK pieces, whatever the file size."""
        blob = self._blob(key, chunk_size=UPLOAD_CHUNK)
        # The local name is a staging name; the key's suffix says more about the content.
        content_type = content_type or mimetypes.guess_type(blob.name)[0]
        # Keys are ids and a retried upload writes the same bytes, so retrying is safe.
        blob.upload_from_filename(
            str(path), content_type=content_type, timeout=self.timeout, retry=DEFAULT_RETRY
        )
        if move:
            path.unlink(missing_ok=True)
        return self._info(blob)

    def write(self, key: str, stream: BinaryIO, content_type: str | None = None) -> ObjectInfo:
        """Copy a stream chunk by chunk into a resumable upload (the stream need not seek)."""
        blob = self._blob(key)
        content_type = content_type or mimetypes.guess_type(blob.name)[0]
        writer = blob.open(
            "wb",
            chunk_size=UPLOAD_CHUNK,
            ignore_flush=True,
            content_type=content_type,
            timeout=self.timeout,
        )
        # On an error the writer cancels the upload, so no partial object becomes visible.
        with writer:
            while chunk := stream.read(CHUNK):
                writer.write(chunk)
        # The writer does not keep the final metadata; one GET fetches it.
        blob.reload(timeout=self.timeout)
        return self._info(blob)

    def stat(self, key: str) -> ObjectInfo | None:
        blob = self.bucket.get_blob(check_key(key), timeout=self.timeout)
        return None if blob is None else self._info(blob)

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """One ranged GET per CHUNK, so a reader that stops early costs nothing more."""
        blob = self._blob(key)
        generation: int | None = None
        pos = start
        while end is None or pos <= end:
            last = pos + CHUNK - 1 if end is None else min(pos + CHUNK - 1, end)
            try:
                chunk = blob.download_as_bytes(
                    start=pos,
                    end=last,
                    # Stored bytes as they are: offsets match `size` even for gzip objects.
                    raw_download=True,
                    checksum=None,  # a range has no checksum to verify
                    # Later chunks must come from the generation the first one came from, so
                    # a concurrent rewrite fails the read instead of splicing two versions.
                    if_generation_match=generation,
                    timeout=self.timeout,
                )
            except RequestRangeNotSatisfiable:
                return  # `pos` is at or past the end (an empty object answers this too)
            except NotFound as exc:
                if generation is None:
                    raise FileNotFoundError(key) from exc
                raise
            if generation is None and blob.generation is not None:
                generation = int(blob.generation)
            if chunk:
                yield chunk
            if len(chunk) < last - pos + 1:
                return  # the object ended before `last`
            pos += len(chunk)

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        return self._download(key)

    @contextmanager
    def _download(self, key: str) -> Iterator[Path]:
        """One streamed GET to a temporary file (checksum verified), removed after the block."""
        blob = self._blob(key)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        # Keep the suffix: some tools (ffmpeg muxers) look at it.
        suffix = PurePosixPath(blob.name).suffix
        fd, name = tempfile.mkstemp(prefix="gcs-", suffix=suffix, dir=self.temp_dir)
        os.close(fd)
        target = Path(name)
        try:
            try:
                blob.download_to_filename(name, raw_download=True, timeout=self.timeout)
            except NotFound as exc:
                raise FileNotFoundError(key) from exc
            yield target
        finally:
            target.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._blob(key).exists(timeout=self.timeout)

    def delete(self, key: str) -> None:
        # Deleting is idempotent here (a retry after a lost reply finds nothing: fine).
        with suppress(NotFound):
            self._blob(key).delete(timeout=self.timeout, retry=DEFAULT_RETRY)

    def delete_prefix(self, prefix: str) -> int:
        """Delete the object `prefix` and everything under `prefix/`, like LocalStorage (so
        "projects/1" never touches "projects/10/..."); returns how many were deleted."""
        base = check_key(prefix.rstrip("/"))
        names = [base] if self.exists(base) else []
        listing = self.client.list_blobs(self.bucket, prefix=base + "/", timeout=self.timeout)
        names.extend(blob.name for blob in listing)
        count = 0
        # One DELETE per object: the batch endpoint is not offered by emulators, and this
        # runs in background jobs where a few seconds per thousand objects do not matter.
        for name in names:
            try:
                self.bucket.blob(name).delete(timeout=self.timeout, retry=DEFAULT_RETRY)
                count += 1
            except NotFound:  # deleted by someone else meanwhile
                pass
        return count

    def signed_url(
        self, key: str, expires_s: int = 3600, filename: str | None = None
    ) -> str | None:
        """A V4 signed GET URL, signed locally with the service-account key (no network)."""
        if self._signer is None:
            return None
        return self._blob(key).generate_signed_url(
            version="v4",
            method="GET",
            expiration=timedelta(seconds=expires_s),
            credentials=self._signer,
            # Emulators serve signed URLs on their own address; None means storage.googleapis.com.
            api_access_endpoint=self.endpoint,
            response_disposition=content_disposition(filename) if filename else None,
        )

    def ping(self) -> bool:
        """True if the bucket answers a one-item listing (what an object-level role allows,
        unlike reading the bucket's metadata); no retries, so a health check cannot hang."""
        try:
            listing = self.client.list_blobs(
                self.bucket, max_results=1, timeout=PING_TIMEOUT_S, retry=None
            )
            next(iter(listing), None)
        except Exception:  # any failure (HTTP, network, auth) means "not answering"
            return False
        return True
