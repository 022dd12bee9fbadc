"""Listing pages: the one ordering every list endpoint uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def newest_first(
    db: Session,
    model: type[Row],
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    """One page of `model` rows matching `conditions`, newest first, and how many match."""
    table: Any = model
    total = db.scalar(select(func.count()).select_from(table).where(*conditions)) or 0
    rows = db.scalars(
        select(table)
        .where(*conditions)
        .order_by(table.created_at.desc(), table.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total
