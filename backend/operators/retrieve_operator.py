"""The retrieval agent's front door: plan (rules offline, tool calls with OpenRouter), log the
run in `agent_runs`, return ranked candidate moments."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy.orm import Session

from agent.providers import get_providers
from database.models import Project
from database.search_models import AgentRun
from errors import NotFound
from models import search_api as sa
from operators.retrieval_rules import plan_with_rules

logger = logging.getLogger(__name__)


def retrieve(
    db: Session, project: Project, user_id: uuid.UUID, query: str, limit: int
) -> sa.RetrieveResponse:
    """Find the moments that answer `query`; the run and its trace are kept."""
    started = time.perf_counter()
    providers = get_providers()
    trace: list[dict[str, Any]] = []
    planner, model = "rules", None
    results: list[dict[str, Any]] | None = None
    if providers.chat is not None and providers.chat_model:
        from operators.retrieval_llm import plan_with_model

        planner, model = "openrouter", providers.chat_model
        try:
            results = plan_with_model(
                db, project, query, limit, trace, providers.chat, providers.chat_model
            )
        except Exception as exc:  # the provider is optional: fall back, and say so
            logger.warning("retrieval model failed, falling back to rules: %s", exc)
            trace.append({"step": "fallback", "error": str(exc)[:500]})
            planner, results = "rules (model failed)", None
    if results is None:
        results = plan_with_rules(db, project, query, limit, trace)
    run = AgentRun(
        project_id=project.id,
        user_id=user_id,
        query=query,
        planner=planner,
        model=model,
        status="completed",
        trace=trace,
        results=results,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    db.add(run)
    db.flush()
    return sa.RetrieveResponse(
        run_id=run.id,
        planner=planner,
        candidates=[sa.Candidate.model_validate(r) for r in results],
    )


def get_run(db: Session, project: Project, run_id: uuid.UUID) -> sa.AgentRunResponse:
    """One logged run of the retrieval agent, with its trace."""
    run = db.get(AgentRun, run_id)
    if run is None or run.project_id != project.id:
        raise NotFound("no such agent run in this project", code="agent_run_not_found")
    return sa.AgentRunResponse(run=sa.AgentRun.model_validate(run, from_attributes=True))
