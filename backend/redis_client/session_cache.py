"""Session cache in front of the sessions table. The table stays the source of truth."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedSession:
    session_id: str
    user_id: str
    secret_hash: str
    expires_at: datetime
    last_activity: datetime

    def to_json(self) -> str:
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat()
        data["last_activity"] = self.last_activity.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> CachedSession:
        data = json.loads(raw)
        data["expires_at"] = datetime.fromisoformat(data["expires_at"])
        data["last_activity"] = datetime.fromisoformat(data["last_activity"])
        return cls(**data)


class SessionCache(Protocol):
    backend: str

    def get(self, session_id: str) -> CachedSession | None: ...
    def put(self, entry: CachedSession) -> None: ...
    def delete(self, session_id: str) -> None: ...
    def ping(self) -> bool: ...


class NoSessionCache:
    """No cache: every request reads the sessions table (the embedded default)."""

    backend = "none"

    def get(self, session_id: str) -> CachedSession | None:
        return None

    def put(self, entry: CachedSession) -> None:
        return None

    def delete(self, session_id: str) -> None:
        return None

    def ping(self) -> bool:
        return True


class RedisSessionCache:
    """Redis entries whose TTL is the session's time left; misses fall back to the table."""

    backend = "redis"
    prefix = "vedit:session:"

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    def get(self, session_id: str) -> CachedSession | None:
        try:
            raw = self.redis.get(self.prefix + session_id)
        except RedisError:
            logger.warning("session cache unavailable, reading the table", exc_info=True)
            return None
        return CachedSession.from_json(raw) if raw else None

    def put(self, entry: CachedSession) -> None:
        ttl = int((entry.expires_at - datetime.now(UTC)).total_seconds())
        if ttl <= 0:
            return
        try:
            self.redis.set(self.prefix + entry.session_id, entry.to_json(), ex=ttl)
        except RedisError:
            logger.warning("session cache unavailable", exc_info=True)

    def delete(self, session_id: str) -> None:
        # A logout must not survive in the cache: let a Redis failure surface as an error.
        self.redis.delete(self.prefix + session_id)

    def ping(self) -> bool:
        return bool(self.redis.ping())
