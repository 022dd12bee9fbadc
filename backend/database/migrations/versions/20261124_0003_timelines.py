"""timelines

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:26:19.293757+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('timelines',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('undo_stack', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('redo_stack', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_timelines_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timelines')),
    sa.UniqueConstraint('project_id', name=op.f('uq_timelines_project_id'))
    )
    op.create_table('timeline_ops',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('timeline_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('op_type', sa.String(length=40), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['timeline_id'], ['timelines.id'], name=op.f('fk_timeline_ops_timeline_id_timelines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_ops'))
    )
    op.create_index(op.f('ix_timeline_ops_timeline_id'), 'timeline_ops', ['timeline_id', 'version', 'seq'], unique=True)
    op.create_table('timeline_versions',
    sa.Column('timeline_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('parent_version', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source_version', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('op_count', sa.Integer(), nullable=False),
    sa.Column('replay_depth', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.LargeBinary(), nullable=True),
    sa.Column('snapshot_schema', sa.Integer(), nullable=True),
    sa.Column('replay', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint("kind IN ('create', 'edit', 'undo', 'redo', 'rollback', 'import')", name=op.f('ck_timeline_versions_kind')),
    sa.ForeignKeyConstraint(['timeline_id'], ['timelines.id'], name=op.f('fk_timeline_versions_timeline_id_timelines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_timeline_versions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('timeline_id', 'version', name=op.f('pk_timeline_versions'))
    )


def downgrade() -> None:
    op.drop_table('timeline_versions')
    op.drop_index(op.f('ix_timeline_ops_timeline_id'), table_name='timeline_ops')
    op.drop_table('timeline_ops')
    op.drop_table('timelines')
