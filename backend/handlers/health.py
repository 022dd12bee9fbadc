"""GET /health: the backends in use and whether each answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from models.api_models import HealthResponse
from operators.health_operator import check_health
from runtime import get_runtime

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
def health() -> JSONResponse:
    report = check_health(get_runtime())
    return JSONResponse(status_code=200 if report.ok else 503, content=report.model_dump())
