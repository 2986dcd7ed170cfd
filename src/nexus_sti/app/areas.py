"""The areas of the platform, which roles reach them, and which are built yet.

An area that is not built yet says so plainly and names the work it is waiting for; it never
shows made-up content.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_sti.core.access import Role

_ALL = frozenset(Role)
_STAFF = frozenset({Role.ADMIN, Role.OFFICER})


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    title: str
    summary: str
    roles: frozenset[Role]
    built: bool
    planned: str = ""

    def visible_to(self, role: Role) -> bool:
        return role in self.roles


AREAS: tuple[Area, ...] = (
    Area(
        "needs",
        "Needs & targets",
        "Each country's STI capacity and need, and the country targets derived from them.",
        _STAFF | {Role.ANALYST, Role.FUNDING_PARTNER},
        built=True,
        planned="needs index with uncertainty, need-based country targets (issue 3)",
    ),
    Area(
        "calls",
        "Calls",
        "Open and past calls for proposals, their tracks, rules and deadlines.",
        _ALL,
        built=True,
        planned="call lifecycle, submission forms and eligibility screening (issue 4)",
    ),
    Area(
        "proposals",
        "Proposals",
        "Proposals you may see: your own, your country's, or all of them.",
        _STAFF | {Role.APPLICANT, Role.FUNDING_PARTNER},
        built=True,
    ),
    Area(
        "review",
        "Review",
        "Conflicts of interest, reviewer assignment, reviews and score calibration.",
        _STAFF | {Role.REVIEWER},
        built=True,
        planned="conflicts, expertise matching, assignment and calibration (issue 5)",
    ),
    Area(
        "selection",
        "Selection",
        "A balanced portfolio under the budget, explained and reproducible.",
        _STAFF,
        built=True,
        planned="portfolio optimisation against the country targets (issue 6)",
    ),
    Area(
        "mobility",
        "Mobility",
        "Exchange schemes, applicants and host offers, and their matching.",
        _STAFF | {Role.APPLICANT, Role.FUNDING_PARTNER},
        built=False,
        planned="stable matching of applicants to hosts (a later issue)",
    ),
    Area(
        "partners",
        "Partner search",
        "Find researchers and organisations across borders by expertise.",
        _ALL,
        built=False,
        planned="expertise search and consortium building (a later issue)",
    ),
    Area(
        "policy",
        "Policy synergy",
        "National STI plans side by side, country by country.",
        _STAFF | {Role.ANALYST, Role.FUNDING_PARTNER},
        built=False,
        planned="policy document alignment by area and country (a later issue)",
    ),
    Area(
        "monitoring",
        "Monitoring",
        "Projects, outputs and the program's inclusiveness over time.",
        _STAFF | {Role.ANALYST, Role.FUNDING_PARTNER},
        built=False,
        planned="reports, outputs and inclusiveness metrics (a later issue)",
    ),
    Area("program", "Program", "The program's configuration: budget, tracks, rules.", _ALL, True),
    Area("audit", "Audit log", "Every state change, who made it and when.", _STAFF, True),
    Area("accounts", "Accounts", "Users and their roles.", frozenset({Role.ADMIN}), True),
)

_BY_CODE = {a.code: a for a in AREAS}


def area(code: str) -> Area | None:
    return _BY_CODE.get(code)


def areas_for(role: Role) -> list[Area]:
    return [a for a in AREAS if a.visible_to(role)]
