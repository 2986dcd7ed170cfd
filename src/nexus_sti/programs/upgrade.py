"""Reading older program files: format 1 in, the current format's raw data out.

Format 1 had one shape of program built in: the implementing agency's country was the home
country, every consortium had a lead from there (``requires_japan``) and leads from a number
of "member states", and the consortium roles and reviewer groups were fixed in code. Format 2
writes all of that in the file; :func:`upgrade_format_1` writes it for a format-1 file, so
stored versions and files written before keep loading with the rules they had.
"""

from __future__ import annotations

from typing import Any

FORMAT_1_ROLES = (
    {"code": "lead_jp", "name": "Lead investigator, home side", "kind": "lead",
     "based_in": "home"},
    {"code": "lead_ams", "name": "Lead investigator, partner country's side",
     "kind": "country_lead", "based_in": "partner"},
    {"code": "partner", "name": "Partner", "kind": "member", "based_in": "any"},
)  # fmt: skip
FORMAT_1_REVIEWER_GROUPS = (
    {"code": "home", "name": "Reviewers based in the home country", "countries": "home",
     "minimum": 1},
    {"code": "member_state", "name": "Reviewers based in a partner country",
     "countries": "partner", "minimum": 1},
)  # fmt: skip
# The eligibility rule ids format 1 named after the reference program, and their names since
# format 2 (migration 0007 renames officers' stored overrides with this table).
FORMAT_1_RULE_IDS = {
    "consortium.japan_lead": "consortium.lead",
    "consortium.member_states": "consortium.countries",
}
_RENAMED = {"min_member_states": "min_partner_countries",
            "max_member_states": "max_partner_countries"}  # fmt: skip


def upgrade_format_1(raw: dict[str, Any]) -> dict[str, Any]:
    """The format-2 equivalent of a format-1 file's data (a new dict; ``raw`` is not changed)."""
    out = {k: v for k, v in raw.items() if k != "format_version"}
    out["format_version"] = 2
    agencies = [f for f in raw.get("funders", ()) if f.get("role") == "implementing_agency"]
    program = dict(raw.get("program", {}))
    if len(agencies) == 1 and "country" in agencies[0]:
        program["home_country"] = agencies[0]["country"]
    out["program"] = program
    tracks = []
    for track in raw.get("tracks", ()):
        new = {_RENAMED.get(k, k): v for k, v in track.items() if k != "requires_japan"}
        new.setdefault("budget_currency", "JPY")  # format 1's default
        if not track.get("requires_japan"):
            new["lead_from"] = "any"
        tracks.append(new)
    out["tracks"] = tracks
    out.setdefault("roles", [dict(r) for r in FORMAT_1_ROLES])
    out.setdefault("reviewer_groups", [dict(g) for g in FORMAT_1_REVIEWER_GROUPS])
    return out
