"""Projects: only the owner sees a project; anyone else gets 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from handlers.deps import CurrentUser, OwnedProject, SessionDep
from handlers.errors import ERROR_RESPONSES
from models.api_models import (
    OkResponse,
    Project,
    ProjectCreate,
    ProjectList,
    ProjectResponse,
    ProjectUpdate,
)
from operators import project_operator

router = APIRouter(prefix="/projects", tags=["projects"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=ProjectResponse)
def project_create(body: ProjectCreate, db: SessionDep, user_id: CurrentUser) -> ProjectResponse:
    project = project_operator.create_project(db, user_id, body)
    return ProjectResponse(project=Project.model_validate(project))


@router.get("", response_model=ProjectList)
def project_list(
    db: SessionDep,
    user_id: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProjectList:
    """The caller's projects, newest first."""
    rows, total = project_operator.list_projects(db, user_id, limit, offset)
    return ProjectList(
        projects=[Project.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{project_id}", response_model=ProjectResponse)
def project_get(project: OwnedProject) -> ProjectResponse:
    return ProjectResponse(project=Project.model_validate(project))


@router.patch("/{project_id}", response_model=ProjectResponse)
def project_update(body: ProjectUpdate, project: OwnedProject, db: SessionDep) -> ProjectResponse:
    project = project_operator.update_project(db, project, body)
    return ProjectResponse(project=Project.model_validate(project))


@router.delete("/{project_id}", response_model=OkResponse)
def project_delete(project: OwnedProject, db: SessionDep) -> OkResponse:
    """Delete the project; its stored files are removed by a background job."""
    project_operator.delete_project(db, project)
    return OkResponse()
