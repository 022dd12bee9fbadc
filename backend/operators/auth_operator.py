"""Anonymous users and their sessions: tokens, hashing, expiry, the Redis cache."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from database.models import AuthSession, User
from database.session import after_commit
from errors import Unauthorized
from redis_client.session_cache import CachedSession
from runtime import get_runtime

# last_activity (and the sliding expiry) is written at most this often per session.
ACTIVITY_WRITE_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Authenticated:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime
    last_activity: datetime
    # True when this request slid the expiry forward (a cookie should be sent again).
    renewed: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _lifetime() -> timedelta:
    return timedelta(seconds=get_runtime().settings.session_lifetime_seconds)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[uuid.UUID, str]:
    session_part, _, secret = token.partition(".")
    try:
        session_id = uuid.UUID(session_part)
    except ValueError:
        raise Unauthorized("invalid session token", code="invalid_session") from None
    if not secret:
        raise Unauthorized("invalid session token", code="invalid_session")
    return session_id, secret


def _cached(row: AuthSession) -> CachedSession:
    return CachedSession(
        session_id=str(row.id),
        user_id=str(row.user_id),
        secret_hash=row.secret_hash,
        expires_at=row.expires_at,
        last_activity=row.last_activity,
    )


def create_session(
    db: Session, user_id: uuid.UUID | None, user_agent: str | None
) -> tuple[AuthSession, str]:
    """Start a session for `user_id`, or for a new anonymous user; return it and its token."""
    if user_id is None:
        user = User()
        db.add(user)
        db.flush()
        user_id = user.id
    secret = secrets.token_urlsafe(32)
    now = _now()
    row = AuthSession(
        user_id=user_id,
        secret_hash=hash_secret(secret),
        created_at=now,
        last_activity=now,
        expires_at=now + _lifetime(),
        user_agent=(user_agent or "")[:400] or None,
    )
    db.add(row)
    db.flush()
    return row, f"{row.id}.{secret}"


def authenticate(db: Session, token: str) -> Authenticated:
    """Resolve a token to its user, or raise 401; refreshes activity now and then."""
    session_id, secret = parse_token(token)
    cache = get_runtime().session_cache
    entry = cache.get(str(session_id))
    if entry is None:
        row = db.get(AuthSession, session_id)
        if row is None:
            raise Unauthorized("invalid session token", code="invalid_session")
        entry = _cached(row)
        cache.put(entry)
    if not hmac.compare_digest(entry.secret_hash, hash_secret(secret)):
        raise Unauthorized("invalid session token", code="invalid_session")
    now = _now()
    if entry.expires_at <= now:
        raise Unauthorized("session expired", code="session_expired")
    renewed = now - entry.last_activity >= ACTIVITY_WRITE_INTERVAL
    if renewed:
        entry = _touch(db, session_id) or entry
    return Authenticated(
        user_id=uuid.UUID(entry.user_id),
        session_id=session_id,
        expires_at=entry.expires_at,
        last_activity=entry.last_activity,
        renewed=renewed,
    )


def _touch(db: Session, session_id: uuid.UUID) -> CachedSession | None:
    row = db.get(AuthSession, session_id, with_for_update=True)
    if row is None:
        raise Unauthorized("invalid session token", code="invalid_session")
    now = _now()
    row.last_activity = now
    row.expires_at = now + _lifetime()
    db.flush()
    entry = _cached(row)
    after_commit(db, lambda: get_runtime().session_cache.put(entry))
    return entry


def end_session(db: Session, session_id: uuid.UUID) -> None:
    """Log out: the row goes, and the cache entry with it, before and after the commit."""
    cache = get_runtime().session_cache
    db.execute(delete(AuthSession).where(AuthSession.id == session_id))
    cache.delete(str(session_id))
    after_commit(db, lambda: cache.delete(str(session_id)))


def purge_expired_sessions(db: Session, now: datetime | None = None) -> int:
    """Delete sessions past their expiry (they can never authenticate again)."""
    result = db.execute(delete(AuthSession).where(AuthSession.expires_at < (now or _now())))
    db.flush()
    return result.rowcount or 0
