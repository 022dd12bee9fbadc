"""Postgres advisory locks: held by a connection, so they vanish when a worker dies."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

logger = logging.getLogger(__name__)


def lock_key(namespace: str, ident: object) -> int:
    """A signed 64-bit key for (namespace, id), as pg_advisory_lock takes."""
    digest = hashlib.sha1(f"{namespace}:{ident}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def try_advisory_lock(engine: Engine, key: int) -> Iterator[bool]:
    """Yield True while holding the lock, or False at once if someone else holds it."""
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    acquired = False
    try:
        acquired = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        yield acquired
    finally:
        try:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.close()
        except Exception:
            # A lock must never leak back into the pool with the connection.
            logger.warning("could not release advisory lock %s", key, exc_info=True)
            conn.invalidate()


def is_locked(engine: Engine, key: int) -> bool:
    """True when some live session holds the lock."""
    with try_advisory_lock(engine, key) as acquired:
        return not acquired


@contextmanager
def advisory_lock(engine: Engine, key: int, timeout_s: float = 60.0) -> Iterator[None]:
    """Wait (up to `timeout_s`) for the lock and hold it for the block."""
    conn = engine.connect()
    try:
        conn.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_s * 1000)}ms'"))
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
    finally:
        conn.close()
