"""Pick the storage backend from settings: GCS when `GCS_BUCKET` is set, else a local directory."""

from __future__ import annotations

from config import Settings
from utils.storage import LocalStorage, Storage


def make_storage(settings: Settings) -> Storage:
    if settings.gcs_bucket:
        # Imported here so a local-only setup never loads the Google client libraries.
        from utils.gcs_storage import GcsStorage

        return GcsStorage(
            settings.gcs_bucket,
            credentials_json=settings.gcp_credentials,
            endpoint=settings.gcs_endpoint,
            # Downloads for ffmpeg can be large: the data volume, not a possibly small /tmp.
            temp_dir=settings.work_dir,
        )
    return LocalStorage(settings.storage_dir)
