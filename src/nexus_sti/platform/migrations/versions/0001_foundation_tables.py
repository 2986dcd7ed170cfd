"""Foundation tables: accounts, audit log, programs, people, calls, mobility.

The audit log is made append-only in the database itself with triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 03:44:16.908518
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nexus_sti.platform.db

_APPEND_ONLY = "audit_entries is append-only: entries cannot be changed or deleted"

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("local_name", sa.String(length=300), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ror_id", sa.String(length=40), nullable=True),
        sa.Column("size_weight", sa.Float(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_country"), ["country"], unique=False)

    op.create_table(
        "program_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("config_text", sa.Text(), nullable=False),
        sa.Column("config_digest", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_versions")),
        sa.UniqueConstraint("code", "version", name="uq_program_versions_code_version"),
    )
    with op.batch_alter_table("program_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_versions_code"), ["code"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_version_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opens_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_version_id"],
            ["program_versions.id"],
            name=op.f("fk_calls_program_version_id_program_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("reference", name=op.f("uq_calls_reference")),
    )
    op.create_table(
        "researchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name_local", sa.String(length=200), nullable=False),
        sa.Column("name_latin", sa.String(length=200), nullable=False),
        sa.Column("name_script", sa.String(length=4), nullable=False),
        sa.Column("sort_name", sa.String(length=200), nullable=False),
        sa.Column("orcid", sa.String(length=19), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("career_stage", sa.String(length=10), nullable=False),
        sa.Column("is_reviewer", sa.Boolean(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_researchers_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_researchers")),
        sa.UniqueConstraint("orcid", name=op.f("uq_researchers_orcid")),
    )
    with op.batch_alter_table("researchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_researchers_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_researchers_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "host_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("host_researcher_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_researcher_id"],
            ["researchers.id"],
            name=op.f("fk_host_offers_host_researcher_id_researchers"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_host_offers_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_offers")),
    )
    with op.batch_alter_table("host_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_offers_country"), ["country"], unique=False)

    op.create_table(
        "mobility_applicants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("preferred_countries", sa.JSON(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["researcher_id"],
            ["researchers.id"],
            name=op.f("fk_mobility_applicants_researcher_id_researchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobility_applicants")),
    )
    with op.batch_alter_table("mobility_applicants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mobility_applicants_researcher_id"), ["researcher_id"], unique=False
        )

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("track", sa.String(length=40), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("lead_researcher_id", sa.Integer(), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_proposals_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["lead_researcher_id"],
            ["researchers.id"],
            name=op.f("fk_proposals_lead_researcher_id_researchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("reference", name=op.f("uq_proposals_reference")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_proposals_lead_researcher_id"), ["lead_researcher_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("created_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["researcher_id"], ["researchers.id"], name=op.f("fk_users_researcher_id_researchers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", nexus_sti.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_at"), ["at"], unique=False)

    op.create_table(
        "proposal_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_proposal_members_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_members_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["researcher_id"],
            ["researchers.id"],
            name=op.f("fk_proposal_members_researcher_id_researchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_members")),
    )
    with op.batch_alter_table("proposal_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_members_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_proposal_members_proposal_id"), ["proposal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proposal_members_researcher_id"), ["researcher_id"], unique=False
        )

    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION nexus_audit_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION nexus_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION nexus_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{event.lower()} BEFORE {event} ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION nexus_audit_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entries_no_update")
        op.execute("DROP TRIGGER audit_entries_no_delete")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("proposal_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_members_researcher_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_members_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_members_country"))

    op.drop_table("proposal_members")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))

    op.drop_table("audit_entries")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_lead_researcher_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_call_id"))

    op.drop_table("proposals")
    with op.batch_alter_table("mobility_applicants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mobility_applicants_researcher_id"))

    op.drop_table("mobility_applicants")
    with op.batch_alter_table("host_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_offers_country"))

    op.drop_table("host_offers")
    with op.batch_alter_table("researchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_researchers_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_researchers_country"))

    op.drop_table("researchers")
    op.drop_table("calls")
    with op.batch_alter_table("program_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_versions_code"))

    op.drop_table("program_versions")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_country"))

    op.drop_table("organisations")
