"""Anonymous sessions: POST/GET/DELETE /auth/session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from handlers.deps import (
    SESSION_COOKIE,
    CurrentAuth,
    OptionalAuth,
    SessionDep,
    set_session_cookie,
    user_agent,
)
from handlers.errors import ERROR_RESPONSES
from models.api_models import OkResponse, SessionCreated, SessionInfo
from operators.auth_operator import create_session, end_session
from runtime import get_runtime

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/session", status_code=201, response_model=SessionCreated)
def session_create(
    response: Response,
    db: SessionDep,
    auth: OptionalAuth,
    agent: Annotated[str | None, Depends(user_agent)],
) -> SessionCreated:
    """Start a session: a new anonymous user, or another session of the caller's user."""
    row, token = create_session(db, auth.user_id if auth else None, agent)
    set_session_cookie(response, token, get_runtime().settings.session_lifetime_seconds)
    return SessionCreated(
        user_id=row.user_id, session_id=row.id, token=token, expires_at=row.expires_at
    )


@router.get("/session", response_model=SessionInfo)
def session_get(auth: CurrentAuth) -> SessionInfo:
    """The caller's session."""
    return SessionInfo(
        user_id=auth.user_id,
        session_id=auth.session_id,
        expires_at=auth.expires_at,
        last_activity=auth.last_activity,
    )


@router.delete("/session", response_model=OkResponse)
def session_delete(response: Response, db: SessionDep, auth: CurrentAuth) -> OkResponse:
    """Log out: the token stops working at once."""
    end_session(db, auth.session_id)
    response.delete_cookie(SESSION_COOKIE)
    return OkResponse()
