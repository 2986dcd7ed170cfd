"""Roles and permissions, as data: which role may do which action, and why not. Shared by every
context (the audit log records an :class:`Actor`, every service checks one), so it lives in the
core vocabulary rather than in the accounts context, which stores the users behind the actors.

A check returns a :class:`Decision` with a reason either way, so pages can explain a missing button
and the API can say why a request was refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    FUNDING_PARTNER = "funding_partner"
    ANALYST = "analyst"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.OFFICER: "Program officer",
    Role.APPLICANT: "Applicant",
    Role.REVIEWER: "Reviewer",
    Role.FUNDING_PARTNER: "Funding partner",
    Role.ANALYST: "Policy analyst",
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a user, or the system itself (CLI maintenance, migrations, demo seeding)."""

    user_id: int | None
    username: str
    role: Role | None
    country: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, username=label, role=None)

    @property
    def is_system(self) -> bool:
        return self.role is None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True, slots=True)
class Permission:
    """An action, the roles that may take it, and whether funding partners are held to their
    own country (``country_scoped``)."""

    action: str
    roles: frozenset[Role]
    description: str
    country_scoped: bool = False


_ALL = frozenset(Role)
_STAFF = frozenset({Role.ADMIN, Role.OFFICER})

PERMISSIONS: dict[str, Permission] = {
    p.action: p
    for p in (
        Permission("program.read", _ALL, "see the program's configuration"),
        Permission("program.load", _STAFF, "load a new version of a program configuration"),
        Permission("audit.read", _STAFF, "browse the audit log"),
        Permission("accounts.manage", frozenset({Role.ADMIN}), "create and deactivate accounts"),
        Permission("demo.seed", frozenset({Role.ADMIN}), "load the synthetic demo data set"),
        Permission(
            "proposals.read_all", _STAFF, "see every proposal, including applicants' details"
        ),
        Permission(
            "proposals.read_country",
            _STAFF | {Role.FUNDING_PARTNER},
            "see the proposals that involve a country's teams",
            country_scoped=True,
        ),
        Permission("proposals.read_own", frozenset({Role.APPLICANT}), "see one's own proposals"),
        Permission(
            "statistics.read",
            _STAFF | {Role.ANALYST, Role.FUNDING_PARTNER},
            "see aggregate program statistics (no personal data)",
        ),
        Permission(
            "reviews.read_assigned", frozenset({Role.REVIEWER}), "see one's review assignments"
        ),
        Permission("people.read", _ALL, "search researcher and organisation profiles"),
        Permission(
            "needs.read",
            _STAFF | {Role.ANALYST, Role.FUNDING_PARTNER},
            "see the needs assessment and country targets",
        ),
        Permission("targets.save", _STAFF, "save country targets as the program's decision"),
        Permission("calls.manage", _STAFF, "create calls and move them through their lifecycle"),
        Permission("proposals.create", frozenset({Role.APPLICANT}), "create and submit proposals"),
        Permission(
            "proposals.screen", _STAFF, "screen proposals' eligibility and override a verdict"
        ),
        Permission(
            "review.manage",
            _STAFF,
            "manage reviewer pools, conflicts, assignments, review forms and calibration",
        ),
        Permission(
            "review.submit",
            frozenset({Role.REVIEWER}),
            "declare conflicts, read assigned proposals and submit reviews",
        ),
        Permission("selection.read", _STAFF, "see selection runs, their explanations and awards"),
        Permission(
            "awards.read_country",
            _STAFF | {Role.FUNDING_PARTNER},
            "see the awards to projects with a country's teams",
            country_scoped=True,
        ),
        Permission("selection.run", _STAFF, "run a portfolio selection and save it for decision"),
        Permission("selection.decide", _STAFF, "approve or reject another officer's selection run"),
    )
}


def check(actor: Actor, action: str, *, country: str | None = None) -> Decision:
    """May ``actor`` take ``action`` (on something belonging to ``country``)?"""
    permission = PERMISSIONS.get(action)
    if permission is None:
        return Decision(False, f"unknown action {action!r}")
    if actor.is_system:
        return Decision(True, "system actions are always allowed")
    assert actor.role is not None
    if actor.role not in permission.roles:
        allowed = ", ".join(sorted(r.label for r in permission.roles))
        return Decision(
            False, f"{actor.role.label} accounts may not {permission.description}; {allowed} may"
        )
    if permission.country_scoped and actor.role is Role.FUNDING_PARTNER:
        if country is None:
            return Decision(False, "funding partners act for one country: name the country")
        if actor.country != country:
            return Decision(
                False,
                f"this funding-partner account is scoped to {actor.country}, not {country}",
            )
    return Decision(True, f"{actor.role.label} accounts may {permission.description}")


def require(actor: Actor, action: str, what: str, *, country: str | None = None) -> None:
    """Raise :class:`~nexus_sti.core.errors.PermissionDenied` ("may not <what>: <reason>")
    unless the permission table lets ``actor`` take ``action`` (on something of ``country``,
    for the actions a funding partner takes for its own country only). Every service checks
    permissions with this one function."""
    from nexus_sti.core.errors import PermissionDenied

    decision = check(actor, action, country=country)
    if not decision:
        raise PermissionDenied(what, decision.reason)
