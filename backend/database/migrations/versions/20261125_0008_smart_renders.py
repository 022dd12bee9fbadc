"""smart rendering on renders

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:00:00+00:00

`smart` says whether a render may copy untouched stretches of its sources instead of
re-encoding them; `stats` records what it did (segments, seconds copied and encoded).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "renders", sa.Column("smart", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("renders", sa.Column("stats", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("renders", "stats")
    op.drop_column("renders", "smart")
