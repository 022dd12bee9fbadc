"""Row factories for arranging tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from database.models import Project, User


def make_user(db: Session) -> User:
    user = User()
    db.add(user)
    db.flush()
    return user


def make_project(db: Session, owner: User | None = None, name: str = "project") -> Project:
    owner = owner or make_user(db)
    project = Project(owner_id=owner.id, name=name)
    db.add(project)
    db.flush()
    return project
