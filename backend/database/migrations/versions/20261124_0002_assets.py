"""assets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:51:37.229545+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assets',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=500), nullable=False),
    sa.Column('format_name', sa.String(length=100), nullable=True),
    sa.Column('duration_s', sa.Double(), nullable=True),
    sa.Column('fps_num', sa.Integer(), nullable=True),
    sa.Column('fps_den', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.Column('video_codec', sa.String(length=50), nullable=True),
    sa.Column('pix_fmt', sa.String(length=50), nullable=True),
    sa.Column('audio_codec', sa.String(length=50), nullable=True),
    sa.Column('audio_channels', sa.Integer(), nullable=True),
    sa.Column('sample_rate', sa.Integer(), nullable=True),
    sa.Column('bit_rate', sa.BigInteger(), nullable=True),
    sa.Column('indexing_status', sa.String(length=20), nullable=False),
    sa.Column('indexing_stage', sa.String(length=30), nullable=True),
    sa.Column('indexing_progress', sa.Double(), nullable=False),
    sa.Column('indexing_attempts', sa.Integer(), nullable=False),
    sa.Column('indexing_error', sa.Text(), nullable=True),
    sa.Column('indexing_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('indexing_completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stages', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('renditions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("indexing_status IN ('pending', 'processing', 'completed', 'failed')", name=op.f('ck_assets_indexing_status')),
    sa.CheckConstraint("kind IN ('video', 'audio', 'image')", name=op.f('ck_assets_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_assets_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets'))
    )
    op.create_index(op.f('ix_assets_indexing_status'), 'assets', ['indexing_status'], unique=False)
    op.create_index(op.f('ix_assets_project_id'), 'assets', ['project_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_assets_project_id'), table_name='assets')
    op.drop_index(op.f('ix_assets_indexing_status'), table_name='assets')
    op.drop_table('assets')
