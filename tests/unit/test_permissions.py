"""Each role may do exactly what the permission table says, and every answer has a reason."""

import pytest

from nexus_sti.app.areas import AREAS, areas_for
from nexus_sti.core.access import PERMISSIONS, Actor, Role, check

# The expected matrix, written out by hand so a change to the table must change this test too.
EXPECTED: dict[str, set[Role]] = {
    "program.read": set(Role),
    "program.load": {Role.ADMIN, Role.OFFICER},
    "audit.read": {Role.ADMIN, Role.OFFICER},
    "accounts.manage": {Role.ADMIN},
    "demo.seed": {Role.ADMIN},
    "proposals.read_all": {Role.ADMIN, Role.OFFICER},
    "proposals.read_country": {Role.ADMIN, Role.OFFICER, Role.FUNDING_PARTNER},
    "proposals.read_own": {Role.APPLICANT},
    "statistics.read": {Role.ADMIN, Role.OFFICER, Role.ANALYST, Role.FUNDING_PARTNER},
    "reviews.read_assigned": {Role.REVIEWER},
    "people.read": set(Role),
    "needs.read": {Role.ADMIN, Role.OFFICER, Role.ANALYST, Role.FUNDING_PARTNER},
    "targets.save": {Role.ADMIN, Role.OFFICER},
    "calls.manage": {Role.ADMIN, Role.OFFICER},
    "proposals.create": {Role.APPLICANT},
    "proposals.screen": {Role.ADMIN, Role.OFFICER},
    "review.manage": {Role.ADMIN, Role.OFFICER},
    "review.submit": {Role.REVIEWER},
    "selection.read": {Role.ADMIN, Role.OFFICER},
    "awards.read_country": {Role.ADMIN, Role.OFFICER, Role.FUNDING_PARTNER},
    "selection.run": {Role.ADMIN, Role.OFFICER},
    "selection.decide": {Role.ADMIN, Role.OFFICER},
}


def actor(role: Role, country: str | None = None) -> Actor:
    return Actor(user_id=1, username=role.value, role=role, country=country)


def test_matrix_covers_every_action() -> None:
    assert set(EXPECTED) == set(PERMISSIONS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(action: str, role: Role) -> None:
    decision = check(actor(role, "THA"), action, country="THA")
    assert decision.allowed == (role in EXPECTED[action])
    assert decision.reason


def test_funding_partner_is_scoped_to_its_country() -> None:
    partner = actor(Role.FUNDING_PARTNER, "THA")
    assert check(partner, "proposals.read_country", country="THA")
    refused = check(partner, "proposals.read_country", country="VNM")
    assert not refused
    assert "scoped to THA, not VNM" in refused.reason
    assert not check(partner, "proposals.read_country")


def test_refusal_names_who_may() -> None:
    refused = check(actor(Role.APPLICANT), "audit.read")
    assert "Applicant accounts may not browse the audit log" in refused.reason
    assert "Program officer" in refused.reason


def test_unknown_action_is_refused() -> None:
    assert not check(actor(Role.ADMIN), "everything.delete")


def test_navigation_fits_each_role() -> None:
    codes = {role: {a.code for a in areas_for(role)} for role in Role}
    assert "accounts" in codes[Role.ADMIN]
    assert "accounts" not in codes[Role.OFFICER]
    assert "selection" in codes[Role.OFFICER]
    assert "selection" not in codes[Role.APPLICANT]
    assert "review" in codes[Role.REVIEWER]
    assert "audit" not in codes[Role.REVIEWER]
    assert "policy" in codes[Role.ANALYST]
    assert "proposals" not in codes[Role.ANALYST]
    # Every area named by the design has a place, built or not.
    assert {"needs", "calls", "proposals", "review", "selection", "mobility", "partners",
            "policy", "monitoring"} <= {a.code for a in AREAS}  # fmt: skip
    assert all(a.planned for a in AREAS if not a.built)
