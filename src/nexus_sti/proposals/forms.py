"""The proposal editor's HTML form, and its conversion to and from the raw content dict that
``parse_content`` validates.

The form has a fixed table of consortium rows and budget rows; blank rows are left out, so the
members' list indexes (``members[1]``) differ from the rows people see (row 3). The conversion
keeps both, so an error can name the field and point at the row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nexus_sti.core.errors import InvalidInput
from nexus_sti.proposals.model import ProposalContent

MEMBER_ROWS = 8
BUDGET_ROWS = 12
MEMBER_FIELDS = ("name", "email", "country", "organisation_name", "ror_id", "orcid", "sector")
# A row counts as blank when none of these is filled (selects always send a value).
MEMBER_TEXT = ("name", "email", "organisation_name", "ror_id", "orcid")
BUDGET_FIELDS = ("member", "year", "funder", "amount", "currency")
BUDGET_TEXT = ("member", "year", "amount")
_INDEXED = re.compile(r"^(members|budget)\[(\d+)\]")


@dataclass
class EditorForm:
    """What the editor shows and sends, as strings, exactly as typed."""

    title: str = ""
    abstract: str = ""
    keywords: str = ""
    area: str = ""
    secondary_areas: tuple[str, ...] = ()
    duration_months: str = ""
    members: list[dict[str, str]] = field(default_factory=list)
    budget: list[dict[str, str]] = field(default_factory=list)

    def padded(self) -> EditorForm:
        """The same form with blank rows up to the table sizes."""
        members = self.members + [_blank_member() for _ in range(MEMBER_ROWS - len(self.members))]
        budget = self.budget + [_blank_line() for _ in range(BUDGET_ROWS - len(self.budget))]
        return EditorForm(
            title=self.title,
            abstract=self.abstract,
            keywords=self.keywords,
            area=self.area,
            secondary_areas=self.secondary_areas,
            duration_months=self.duration_months,
            members=members,
            budget=budget,
        )


def _blank_member() -> dict[str, str]:
    return dict.fromkeys((*MEMBER_FIELDS, "role"), "")


def _blank_line() -> dict[str, str]:
    return dict.fromkeys(BUDGET_FIELDS, "")


def blank_form(*, area: str = "", member: Mapping[str, str] | None = None) -> EditorForm:
    """A new proposal's editor, optionally with the first consortium row filled in."""
    rows = [{**_blank_member(), **member}] if member else []
    return EditorForm(area=area, members=rows).padded()


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _rows(fields: Mapping[str, Any], prefix: str, names: Sequence[str]) -> list[dict[str, str]]:
    rows = []
    i = 0
    while f"{prefix}{i}_{names[0]}" in fields:
        rows.append({n: _text(fields, f"{prefix}{i}_{n}") for n in names})
        i += 1
    return rows


def form_from_fields(fields: Mapping[str, Any], secondary_areas: Sequence[str]) -> EditorForm:
    """The editor's values from a posted form (``secondary_areas`` is the checkbox list)."""
    return EditorForm(
        title=_text(fields, "title"),
        abstract=_text(fields, "abstract"),
        keywords=_text(fields, "keywords"),
        area=_text(fields, "area"),
        secondary_areas=tuple(a for a in secondary_areas if a),
        duration_months=_text(fields, "duration_months"),
        members=_rows(fields, "m", (*MEMBER_FIELDS, "role")),
        budget=_rows(fields, "b", BUDGET_FIELDS),
    ).padded()


def form_from_content(content: ProposalContent) -> EditorForm:
    """The editor filled with saved content; budget lines name members by row number."""
    return EditorForm(
        title=content.title,
        abstract=content.abstract,
        keywords=", ".join(content.keywords),
        area=content.area,
        secondary_areas=content.secondary_areas,
        duration_months=str(content.duration_months),
        members=[
            {
                "name": m.name,
                "email": m.email,
                "country": m.country,
                "organisation_name": m.organisation_name,
                "ror_id": m.ror_id or "",
                "orcid": m.orcid or "",
                "sector": m.sector,
                "role": m.role,
            }
            for m in content.members
        ],
        budget=[
            {
                "member": str(b.member + 1),
                "year": str(b.year),
                "funder": b.funder,
                "amount": f"{b.amount:f}",
                "currency": b.currency,
            }
            for b in content.budget
        ],
    ).padded()


@dataclass(frozen=True, slots=True)
class RawContent:
    """The dict for ``parse_content`` and, for each list entry, the form row it came from."""

    data: dict[str, Any]
    member_rows: tuple[int, ...]
    budget_rows: tuple[int, ...]

    def where(self, field_: str) -> str:
        """Which form row an error's field names, in the words the form uses (1-based)."""
        found = _INDEXED.match(field_)
        if not found:
            return ""
        rows = self.member_rows if found.group(1) == "members" else self.budget_rows
        index = int(found.group(2))
        if index >= len(rows):
            return ""
        table = "consortium" if found.group(1) == "members" else "budget"
        return f"{table} row {rows[index] + 1}"


def raw_content(form: EditorForm) -> RawContent:
    """The content dict the form describes; blank rows are left out. Raises InvalidInput when a
    budget line names a consortium row that is blank or does not exist."""
    member_rows = tuple(
        i for i, row in enumerate(form.members) if any(row.get(n) for n in MEMBER_TEXT)
    )
    position = {row: n for n, row in enumerate(member_rows)}
    members = []
    for i in member_rows:
        row = form.members[i]
        members.append(
            {
                "name": row.get("name", ""),
                "email": row.get("email", ""),
                "country": row.get("country", ""),
                "organisation_name": row.get("organisation_name", ""),
                "sector": row.get("sector", ""),
                "role": row.get("role", ""),
                "orcid": row.get("orcid") or None,
                "ror_id": row.get("ror_id") or None,
            }
        )
    budget_rows = tuple(
        i for i, row in enumerate(form.budget) if any(row.get(n) for n in BUDGET_TEXT)
    )
    lines = []
    for n, i in enumerate(budget_rows):
        row = form.budget[i]
        member = row.get("member", "")
        if not member.isdigit() or int(member) - 1 not in position:
            filled = ", ".join(str(r + 1) for r in member_rows) or "none"
            raise InvalidInput(
                f"budget[{n}].member",
                "not a filled consortium row",
                f"budget[{n}].member (budget row {i + 1}): {member or '(empty)'} is not a "
                f"filled consortium row; filled rows: {filled}",
            )
        lines.append(
            {
                "member": position[int(member) - 1],
                "year": row.get("year", ""),
                "funder": row.get("funder", ""),
                "amount": row.get("amount", ""),
                "currency": row.get("currency", ""),
            }
        )
    data: dict[str, Any] = {
        "title": form.title,
        "abstract": form.abstract,
        "keywords": [k.strip() for k in form.keywords.split(",") if k.strip()],
        "area": form.area,
        "secondary_areas": list(form.secondary_areas),
        "duration_months": form.duration_months,
        "members": members,
        "budget": lines,
    }
    if not form.duration_months:
        del data["duration_months"]
    return RawContent(data, member_rows, budget_rows)
