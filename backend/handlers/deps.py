"""Request dependencies: the DB session, the caller, and owned resources."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from database.models import Project
from database.session import session_scope
from errors import Unauthorized
from operators.auth_operator import Authenticated, authenticate
from operators.project_operator import get_owned_project
from runtime import get_runtime

SESSION_COOKIE = "sid"

bearer_scheme = HTTPBearer(auto_error=False, description="the token from POST /auth/session")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


def get_db() -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on error."""
    with session_scope(get_runtime().sessions) as db:
        yield db


# scope="function": commit before the response is sent, so a failed commit is a 500.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def request_token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> str | None:
    if bearer is not None:
        return bearer.credentials
    return cookie or None


TokenDep = Annotated[str | None, Depends(request_token)]


def set_session_cookie(response: Response, token: str, max_age: int) -> None:
    """Send the session token as the httpOnly `sid` cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=get_runtime().settings.session_cookie_secure,
    )


def current_auth(
    db: SessionDep,
    token: TokenDep,
    response: Response,
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Authenticated:
    if not token:
        raise Unauthorized("no session: POST /auth/session first", code="not_authenticated")
    auth = authenticate(db, token)
    if auth.renewed and cookie == token:
        # The session's expiry slid forward; the browser's cookie must outlive it too.
        set_session_cookie(response, token, get_runtime().settings.session_lifetime_seconds)
    return auth


CurrentAuth = Annotated[Authenticated, Depends(current_auth, scope="function")]


def optional_auth(db: SessionDep, token: TokenDep) -> Authenticated | None:
    if not token:
        return None
    try:
        return authenticate(db, token)
    except Unauthorized:
        return None


OptionalAuth = Annotated[Authenticated | None, Depends(optional_auth, scope="function")]


def current_user_id(auth: CurrentAuth) -> uuid.UUID:
    return auth.user_id


CurrentUser = Annotated[uuid.UUID, Depends(current_user_id, scope="function")]


def owned_project(project_id: uuid.UUID, db: SessionDep, user_id: CurrentUser) -> Project:
    return get_owned_project(db, user_id, project_id)


OwnedProject = Annotated[Project, Depends(owned_project, scope="function")]


def user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")
