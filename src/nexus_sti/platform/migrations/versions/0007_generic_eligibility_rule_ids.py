"""Eligibility rule ids that name no program: an officer's overrides of the lead rule and of the
countries rule keep applying after the rules became program-agnostic (format 2 program files).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from nexus_sti.programs.upgrade import FORMAT_1_RULE_IDS

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The old ids are format 1's, kept with the rest of that format's history.
RENAMED = tuple(FORMAT_1_RULE_IDS.items())


def _rename(pairs: Sequence[tuple[str, str]]) -> None:
    overrides = sa.table("eligibility_overrides", sa.column("rule_id", sa.String))
    for old, new in pairs:
        op.execute(overrides.update().where(overrides.c.rule_id == old).values(rule_id=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename([(new, old) for old, new in RENAMED])
