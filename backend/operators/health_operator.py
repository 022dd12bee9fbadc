"""Health: which backends are in use and whether each answers."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis
from sqlalchemy import text

from models.api_models import ComponentHealth, HealthResponse
from runtime import Runtime


def _probe(backend: str, check: Callable[[], object]) -> ComponentHealth:
    try:
        answered = check()
    except Exception as exc:  # any failure means "not answering"; report it, don't raise
        return ComponentHealth(backend=backend, ok=False, error=str(exc)[:300])
    if answered is False:
        return ComponentHealth(backend=backend, ok=False, error="no answer")
    return ComponentHealth(backend=backend, ok=True)


def _ping_database(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _ping_redis(runtime: Runtime) -> None:
    urls = {runtime.settings.redis_auth_url, runtime.settings.redis_rq_url} - {None}
    for url in urls:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()


def check_health(runtime: Runtime) -> HealthResponse:
    """Ping the database, Redis (when configured), the job queue and storage."""
    settings = runtime.settings
    uses_redis = bool(settings.redis_auth_url or settings.redis_rq_url)
    database = _probe(runtime.database_backend, lambda: _ping_database(runtime))
    redis = (
        _probe("redis", lambda: _ping_redis(runtime))
        if uses_redis
        else ComponentHealth(backend="none", ok=True)
    )
    queue = _probe(runtime.queue.backend, runtime.queue.ping)
    storage = _probe(runtime.storage.backend, runtime.storage.ping)
    parts = (database, redis, queue, storage)
    return HealthResponse(
        ok=all(part.ok for part in parts),
        database=database,
        redis=redis,
        queue=queue,
        storage=storage,
    )
