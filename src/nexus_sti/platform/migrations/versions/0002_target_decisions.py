"""Saved country targets: versioned decisions with inputs, parameters, seed and result.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:11:26.396707
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexus_sti.platform.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "target_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_version_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_label", sa.String(length=100), nullable=False),
        sa.Column("created_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_target_decisions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_version_id"],
            ["program_versions.id"],
            name=op.f("fk_target_decisions_program_version_id_program_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_decisions")),
        sa.UniqueConstraint(
            "program_version_id",
            "track",
            "version",
            name="uq_target_decisions_program_track_version",
        ),
    )
    with op.batch_alter_table("target_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_target_decisions_program_version_id"),
            ["program_version_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("target_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_decisions_program_version_id"))

    op.drop_table("target_decisions")
