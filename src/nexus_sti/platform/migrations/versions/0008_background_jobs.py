"""Background jobs: the queue that workers claim with a row lock, with each job's progress and
result (see nexus_sti.platform.jobqueue).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:06:05.697231
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexus_sti.platform.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_url", sa.String(length=2000), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("owner_label", sa.String(length=100), nullable=False),
        sa.Column("created_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_jobs_pending_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_pending_key")
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_key"))

    op.drop_table("jobs")
