from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import NotFound, PermissionDenied
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform
from nexus_sti.programs.loader import load_preset, parse_program
from nexus_sti.programs.service import current_program, load_program

NOW = datetime(2026, 5, 1, tzinfo=UTC)
OFFICER = Actor(user_id=None, username="officer", role=Role.OFFICER)


def test_load_is_versioned_idempotent_and_audited(platform: Platform) -> None:
    preset = load_preset()
    with platform.session() as s:
        with pytest.raises(NotFound):
            current_program(s)
        first = load_program(s, actor=OFFICER, loaded=preset, now=NOW)
        again = load_program(s, actor=OFFICER, loaded=preset, now=NOW)
        assert (first.version, again.id) == (1, first.id)
        edited = parse_program(
            preset.text.replace('cap = "22000000"', 'cap = "25000000"'), source="edited.toml"
        )
        second = load_program(s, actor=OFFICER, loaded=edited, now=NOW)
        assert second.version == 2
        current = current_program(s, code="nexus")
        assert current.row.id == second.id
        assert current.config.years[0].cap == 25_000_000
        actions = s.scalars(select(AuditEntry.action)).all()
        assert actions == ["program.loaded", "program.loaded"]


def test_applicants_cannot_load_programs(platform: Platform) -> None:
    applicant = Actor(user_id=None, username="a", role=Role.APPLICANT)
    with platform.session() as s, pytest.raises(PermissionDenied):
        load_program(s, actor=applicant, loaded=load_preset(), now=NOW)
