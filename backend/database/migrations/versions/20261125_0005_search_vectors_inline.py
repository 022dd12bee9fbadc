"""search vectors inline

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 01:10:00+00:00

A 384-dim vector is 1.5 KB, which pushes a search row past the 2 KB TOAST threshold; with
the default EXTERNAL storage every distance computed outside the HNSW index then reads the
vector from the TOAST table. MAIN keeps it in the row unless the row cannot fit a page.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE search_items ALTER COLUMN embedding SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE search_items ALTER COLUMN embedding SET STORAGE EXTERNAL")
