"""Projects: create, list, read, rename, delete; always scoped to the owner."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from database.base import utcnow
from database.models import Project
from errors import NotFound
from jobs.maintenance import delete_project_files
from models.api_models import ProjectCreate, ProjectUpdate
from operators.paging import newest_first
from runtime import enqueue_after_commit


def create_project(db: Session, owner_id: uuid.UUID, data: ProjectCreate) -> Project:
    """Create a project owned by `owner_id`."""
    project = Project(owner_id=owner_id, name=data.name, description=data.description)
    db.add(project)
    db.flush()
    return project


def list_projects(
    db: Session, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Project], int]:
    """One page of the owner's projects, newest first, with the total count."""
    mine = Project.owner_id == owner_id
    return newest_first(db, Project, [mine], limit, offset)


def get_owned_project(db: Session, owner_id: uuid.UUID, project_id: uuid.UUID) -> Project:
    """The project if `owner_id` owns it; 404 otherwise, so others' ids stay secret."""
    project = db.get(Project, project_id)
    if project is None or project.owner_id != owner_id:
        raise NotFound("project not found", code="project_not_found")
    return project


def update_project(db: Session, project: Project, data: ProjectUpdate) -> Project:
    """Rename or re-describe a project."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(project, field, value)
    if changes:
        project.updated_at = utcnow()
    db.flush()
    return project


def delete_project(db: Session, project: Project) -> None:
    """Delete the row now; its stored files go in a job once the delete is committed."""
    project_id = str(project.id)
    db.delete(project)
    db.flush()
    enqueue_after_commit(db, "maintenance", delete_project_files, project_id)
