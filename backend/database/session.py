"""Engine, sessions and the one-commit-per-unit-of-work scope."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

AFTER_COMMIT_KEY = "after_commit"


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver whatever postgres URL flavour the user gave."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, pool_size: int = 10) -> Engine:
    engine = create_engine(
        normalize_url(url), pool_size=pool_size, max_overflow=20, pool_pre_ping=True
    )
    # A forked RQ work-horse must not reuse the parent's sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def after_commit(db: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this unit of work commits; dropped if it rolls back."""
    db.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


@contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """Commit on success, roll back on error, then run the after-commit callbacks."""
    db = factory()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        db.info.pop(AFTER_COMMIT_KEY, None)
        raise
    finally:
        callbacks = db.info.pop(AFTER_COMMIT_KEY, [])
        db.close()
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The data is committed; a lost enqueue must not turn the request into a 500.
            logger.exception("after-commit callback failed")
