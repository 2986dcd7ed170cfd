"""Calls with tracks, areas and stages; proposals with versions, consortium details, budget
lines, attachments and eligibility overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:28:22.381353
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexus_sti.platform.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_attachments_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "eligibility_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_by_label", sa.String(length=100), nullable=False),
        sa.Column("decided_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_eligibility_overrides_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_eligibility_overrides_proposal_id_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_overrides")),
    )
    with op.batch_alter_table("eligibility_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eligibility_overrides_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("saved_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_versions_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["saved_by"], ["users.id"], name=op.f("fk_proposal_versions_saved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_versions")),
        sa.UniqueConstraint("proposal_id", "version", name="uq_proposal_versions_pv"),
    )
    with op.batch_alter_table("proposal_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_versions_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("funder", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["proposal_members.id"],
            name=op.f("fk_budget_lines_member_id_proposal_members"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_budget_lines_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_lines")),
    )
    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_lines_proposal_id"), ["proposal_id"], unique=False
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("track", sa.String(length=40), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("areas", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("description", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("budget", sa.Numeric(precision=18, scale=2), nullable=True))
        batch_op.add_column(
            sa.Column(
                "budget_currency",
                sa.String(length=3),
                nullable=False,
                server_default=sa.text("'JPY'"),
            )
        )
        batch_op.add_column(
            sa.Column("two_stage", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "concept_closes_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("proposal_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=200), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("email", sa.String(length=254), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("orcid", sa.String(length=19), nullable=True))
        batch_op.add_column(
            sa.Column(
                "organisation_name",
                sa.String(length=300),
                nullable=False,
                server_default=sa.text("''"),
            )
        )
        batch_op.add_column(sa.Column("ror_id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sector",
                sa.String(length=20),
                nullable=False,
                server_default=sa.text("'university'"),
            )
        )
        batch_op.add_column(
            sa.Column(
                "confirmation",
                sa.String(length=10),
                nullable=False,
                server_default=sa.text("'confirmed'"),
            )
        )
        batch_op.add_column(sa.Column("invite_token_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column("researcher_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("secondary_areas", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("keywords", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "stage", sa.String(length=10), nullable=False, server_default=sa.text("'full'")
            )
        )
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column(
                "content_digest", sa.String(length=64), nullable=False, server_default=sa.text("''")
            )
        )
        batch_op.alter_column("lead_researcher_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_proposals_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_proposals_owner_id_users"), "users", ["owner_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_proposals_owner_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_proposals_owner_id"))
        batch_op.alter_column("lead_researcher_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("content_digest")
        batch_op.drop_column("version")
        batch_op.drop_column("stage")
        batch_op.drop_column("owner_id")
        batch_op.drop_column("keywords")
        batch_op.drop_column("secondary_areas")

    with op.batch_alter_table("proposal_members", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("researcher_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("invite_token_hash")
        batch_op.drop_column("confirmation")
        batch_op.drop_column("sector")
        batch_op.drop_column("ror_id")
        batch_op.drop_column("organisation_name")
        batch_op.drop_column("orcid")
        batch_op.drop_column("email")
        batch_op.drop_column("name")

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("concept_closes_at")
        batch_op.drop_column("two_stage")
        batch_op.drop_column("budget_currency")
        batch_op.drop_column("budget")
        batch_op.drop_column("description")
        batch_op.drop_column("areas")
        batch_op.drop_column("track")

    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_lines_proposal_id"))

    op.drop_table("budget_lines")
    with op.batch_alter_table("proposal_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_versions_proposal_id"))

    op.drop_table("proposal_versions")
    with op.batch_alter_table("eligibility_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eligibility_overrides_proposal_id"))

    op.drop_table("eligibility_overrides")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_proposal_id"))

    op.drop_table("attachments")
