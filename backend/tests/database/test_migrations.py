"""Migrations go up to head, down to base and up again on a fresh database."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import database.models
import database.render_models
import database.search_models  # noqa: F401  (the imports register the tables)
from database import migrate
from database.base import Base
from runtime import Runtime
from tests.support import recreate_database

TABLES = set(Base.metadata.tables)


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def extensions(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        names = set(conn.scalars(text("SELECT extname FROM pg_extension")))
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade(runtime: Runtime) -> None:
    server = make_url(runtime.database_url).set(database="postgres")
    url = recreate_database(server.render_as_string(hide_password=False), "vedit_migrations")
    migrate.upgrade(url)
    assert tables(url) >= TABLES
    assert "vector" in extensions(url)
    migrate.downgrade(url, "base")
    assert tables(url) == set()
    assert "vector" not in extensions(url)
    migrate.upgrade(url)
    assert tables(url) >= TABLES
