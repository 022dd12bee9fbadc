"""visual vectors on search items

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:30:00+00:00

A second vector per shot from an image-text model (CLIP class): the picture itself, in a space
whose text tower embeds the query. 512 dims is CLIP ViT-B/32's size; a model of another size
needs its own migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("search_items", sa.Column("visual_embedding", Vector(512), nullable=True))
    op.add_column("search_items", sa.Column("visual_model", sa.String(200), nullable=True))
    op.execute("ALTER TABLE search_items ALTER COLUMN visual_embedding SET STORAGE MAIN")
    op.create_index(
        "ix_search_items_visual_embedding",
        "search_items",
        ["visual_embedding"],
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"visual_embedding": "vector_cosine_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_search_items_visual_embedding", table_name="search_items")
    op.drop_column("search_items", "visual_model")
    op.drop_column("search_items", "visual_embedding")
