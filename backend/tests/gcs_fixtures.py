"""Fixtures for code that stores objects in GCS: a real fake-gcs-server for the session.

Use from a test module with
    from tests.gcs_fixtures import gcs_server, gcs_storage  # noqa: F401
or, so that ruff's F811 does not flag every test parameter named like the import, with
    from tests.gcs_fixtures import gcs_server as _gcs_server  # noqa: F401
    from tests.gcs_fixtures import gcs_storage as _gcs_storage  # noqa: F401
(the fixtures keep their names whatever they are imported as: `name=` below fixes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gcs_server import GcsServer, start_gcs_server
from utils.gcs_storage import GcsStorage

# Loopback answers fast; a short limit turns a stuck emulator into a failure, not a hang.
CLIENT_TIMEOUT_S = 15.0


@pytest.fixture(scope="session", name="gcs_server")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsServer]:
    """The emulator (`endpoint`, default `bucket`, `credentials_json`), stopped at the end."""
    server = start_gcs_server(tmp_path_factory.mktemp("gcs"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="gcs_storage")
def gcs_storage(gcs_server: GcsServer, tmp_path: Path) -> GcsStorage:
    """A GcsStorage on a bucket of its own, so counts and listings see only this test."""
    return GcsStorage(
        gcs_server.create_bucket(),
        credentials_json=gcs_server.credentials_json,
        endpoint=gcs_server.endpoint,
        temp_dir=tmp_path / "gcs-tmp",
        timeout=CLIENT_TIMEOUT_S,
    )
