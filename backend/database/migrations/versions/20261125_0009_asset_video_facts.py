"""video stream facts on assets

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 06:30:00+00:00

What the renderer needs to know about an asset's video packets (clean keyframes, constant
rate, whether its GOPs can be copied), for the original and its proxy, read once at ingest.
Internal: the keyframe lists are long, so this stays out of the API.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("video_facts", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("assets", "video_facts")
