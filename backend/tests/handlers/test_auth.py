"""Sessions through HTTP, with the Redis session cache on and off."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session

from database.base import utcnow
from database.models import AuthSession
from operators.auth_operator import hash_secret, purge_expired_sessions
from redis_client.session_cache import NoSessionCache, RedisSessionCache
from runtime import Runtime, get_runtime
from tests.conftest import TEST_REDIS_URL
from tests.support import login

REDIS_URL = TEST_REDIS_URL or "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["table-only", "redis-cache"])
def cache_mode(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[str]:
    original = runtime.session_cache
    if request.param == "redis-cache":
        runtime.session_cache = RedisSessionCache(REDIS_URL)
    else:
        runtime.session_cache = NoSessionCache()
    try:
        yield request.param
    finally:
        runtime.session_cache = original


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_create_session_sets_cookie_and_token(client: TestClient, cache_mode: str) -> None:
    response = client.post("/auth/session")
    assert response.status_code == 201
    body = response.json()
    assert body["ok"] is True
    assert body["token"].startswith(body["session_id"] + ".")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sid=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie

    # The cookie alone authenticates ...
    by_cookie = client.get("/auth/session")
    assert by_cookie.status_code == 200
    assert by_cookie.json()["user_id"] == body["user_id"]
    # ... and so does the bearer token alone.
    other = TestClient(client.app)
    by_bearer = other.get("/auth/session", headers={"Authorization": f"Bearer {body['token']}"})
    assert by_bearer.json()["user_id"] == body["user_id"]


def test_secret_is_stored_hashed(client: TestClient, db: Session, cache_mode: str) -> None:
    token = login(client)
    session_id, secret = token.split(".", 1)
    row = db.get(AuthSession, uuid.UUID(session_id))
    assert row is not None
    assert row.secret_hash == hash_secret(secret)
    assert secret not in row.secret_hash


def test_no_or_bad_token_is_401(client: TestClient, cache_mode: str) -> None:
    assert_error(client.get("/auth/session"), 401, "not_authenticated")
    assert_error(client.get("/projects"), 401, "not_authenticated")
    token = login(client)
    session_id = token.split(".", 1)[0]
    for forged in (f"{session_id}.wrong-secret", f"{uuid.uuid4()}.x", "garbage", f"{session_id}."):
        response = client.get("/projects", headers={"Authorization": f"Bearer {forged}"})
        assert_error(response, 401, "invalid_session")
    bad_cookie = TestClient(client.app, cookies={"sid": f"{session_id}.forged"})
    assert_error(bad_cookie.get("/auth/session"), 401, "invalid_session")


def test_expired_session_is_401(client: TestClient, db: Session, cache_mode: str) -> None:
    token = login(client)
    assert client.get("/auth/session").status_code == 200
    session_id = uuid.UUID(token.split(".", 1)[0])
    past = utcnow() - timedelta(seconds=1)
    db.execute(update(AuthSession).where(AuthSession.id == session_id).values(expires_at=past))
    db.flush()
    if cache_mode == "redis-cache":
        # A warm cache entry carries its own expiry; a cold one reads the table.
        Redis.from_url(REDIS_URL).delete(f"vedit:session:{session_id}")
    assert_error(client.get("/auth/session"), 401, "session_expired")


def test_expired_sessions_are_purged(client: TestClient, db: Session, cache_mode: str) -> None:
    live = uuid.UUID(login(client).split(".", 1)[0])
    expired = uuid.UUID(login(client).split(".", 1)[0])
    past = utcnow() - timedelta(seconds=1)
    db.execute(update(AuthSession).where(AuthSession.id == expired).values(expires_at=past))
    assert purge_expired_sessions(db) >= 1
    assert db.get(AuthSession, expired) is None
    assert db.get(AuthSession, live) is not None


def test_logout_is_immediate(client: TestClient, cache_mode: str) -> None:
    token = login(client)
    assert client.get("/projects").status_code == 200  # warms the cache
    response = client.delete("/auth/session")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert_error(client.get("/projects"), 401, "invalid_session")
    assert_error(
        client.get("/auth/session", headers={"Authorization": f"Bearer {token}"}),
        401,
        "invalid_session",
    )


def test_redis_flush_keeps_sessions_valid(client: TestClient, cache_mode: str) -> None:
    login(client)
    assert client.get("/auth/session").status_code == 200
    Redis.from_url(REDIS_URL).flushdb()
    assert client.get("/auth/session").status_code == 200
    assert client.get("/projects").status_code == 200


def test_activity_slides_expiry(client: TestClient, db: Session, cache_mode: str) -> None:
    token = login(client)
    session_id = uuid.UUID(token.split(".", 1)[0])
    old = utcnow() - timedelta(hours=1)
    db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id)
        .values(last_activity=old, expires_at=old + timedelta(days=1))
    )
    db.flush()
    Redis.from_url(REDIS_URL).delete(f"vedit:session:{session_id}")
    body = client.get("/auth/session").json()
    db.expire_all()
    row = db.get(AuthSession, session_id)
    assert row is not None and row.last_activity > old + timedelta(minutes=59)
    assert row.expires_at > utcnow() + timedelta(days=29)
    assert body["last_activity"] != old.isoformat()


def test_a_cookie_session_gets_its_cookie_again_when_the_expiry_slides(
    client: TestClient, db: Session, cache_mode: str
) -> None:
    created = client.post("/auth/session")
    token = created.json()["token"]
    assert client.cookies.get("sid") == token
    assert "set-cookie" not in client.get("/auth/session").headers  # fresh: nothing slid
    session_id = uuid.UUID(token.split(".", 1)[0])
    old = utcnow() - timedelta(hours=1)
    db.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_activity=old))
    db.flush()
    Redis.from_url(REDIS_URL).delete(f"vedit:session:{session_id}")
    cookie = client.get("/auth/session").headers["set-cookie"]
    assert cookie.startswith(f"sid={token};") and "HttpOnly" in cookie
    assert f"Max-Age={get_runtime().settings.session_lifetime_seconds}" in cookie


def test_second_session_for_same_user(
    client: TestClient, make_client: Callable[[], TestClient], cache_mode: str
) -> None:
    first = login(client)
    again = client.post("/auth/session")
    assert again.status_code == 201
    assert again.json()["user_id"] == client.get("/auth/session").json()["user_id"]
    assert again.json()["token"] != first
    stranger = make_client().post("/auth/session").json()
    assert stranger["user_id"] != again.json()["user_id"]
