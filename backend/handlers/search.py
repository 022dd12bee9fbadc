"""Search a project's media by what is said and shown, and the retrieval agent."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from handlers.deps import CurrentUser, OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from models import search_api as sa
from models.asset_models import AssetKind
from operators import retrieve_operator, search_operator
from operators.search_operator import SearchMode

router = APIRouter(prefix="/projects/{project_id}", tags=["search"], responses=ERROR_RESPONSES)


@router.get("/search", response_model=sa.SearchResponse)
def search(
    project: OwnedProject,
    db: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    mode: SearchMode = "hybrid",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    asset_type: AssetKind | None = None,
) -> sa.SearchResponse:
    """Time-ranged hits in transcripts, shots and asset summaries."""
    hits = search_operator.search(db, project, q, mode, limit, asset_type)
    return sa.SearchResponse(
        query=q,
        mode=mode,
        results=[sa.SearchHit.model_validate(h, from_attributes=True) for h in hits],
    )


@router.post("/retrieve", response_model=sa.RetrieveResponse)
def retrieve(
    body: sa.RetrieveRequest, project: OwnedProject, db: SessionDep, user_id: CurrentUser
) -> sa.RetrieveResponse:
    """The retrieval agent: ranked candidate moments with reasons; the run is logged."""
    return retrieve_operator.retrieve(db, project, user_id, body.query, body.limit)


@router.get("/agent_runs/{run_id}", response_model=sa.AgentRunResponse)
def agent_run(project: OwnedProject, db: SessionDep, run_id: uuid.UUID) -> sa.AgentRunResponse:
    """One logged retrieval run with its trace."""
    return retrieve_operator.get_run(db, project, run_id)
