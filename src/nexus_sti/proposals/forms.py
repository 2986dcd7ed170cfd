"""The proposal editor's HTML form: its rows and their limits, its conversion to and from the
raw content dict that ``parse_content`` validates, and every problem and verdict in the words
of the form ("Budget line 3: amount must be a positive number", not ``budget[1].amount``).

A row keeps the number the form shows it with: member row 3 sends ``m2_name``, ``m2_email``...,
and budget lines name their member by that number. Rows can be removed anywhere, so the posted
numbers may have gaps (1, 2, 4); blank rows are left out of the content. The members' list
indexes (``members[1]``) therefore differ from the rows people see, and the conversion keeps
both, so a problem names the row the person sees and the field (``m3_orcid``) it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.model import ProgramConfig, Track
from nexus_sti.proposals.eligibility import Verdict
from nexus_sti.proposals.model import MAX_MEMBERS, ProposalContent, parse_content

MEMBER_FIELDS = ("name", "email", "country", "organisation_name", "ror_id", "orcid", "sector")
# A row counts as blank when none of these is filled (selects always send a value).
MEMBER_TEXT = ("name", "email", "organisation_name", "ror_id", "orcid")
BUDGET_FIELDS = ("member", "year", "funder", "amount", "currency")
BUDGET_TEXT = ("member", "year", "amount")
PREFIX = {"members": "m", "budget": "b"}
_TABLE = {"m": "members", "b": "budget"}
_COLUMNS = {"members": (*MEMBER_FIELDS, "role"), "budget": BUDGET_FIELDS}
_TEXT = {"members": MEMBER_TEXT, "budget": BUDGET_TEXT}
_POSTED = re.compile(r"^([mb])(\d{1,4})_([a-z_]+)$")
_PATH = re.compile(r"^(members|budget)\[(\d+)\](?:\.(\w+))?$")

LABELS = {
    "title": "Title",
    "abstract": "Abstract",
    "keywords": "Keywords",
    "area": "Primary priority area",
    "secondary_areas": "Secondary priority areas",
    "duration_months": "Duration (months)",
    "members": "Consortium",
    "budget": "Budget",
    "proposal": "The proposal",
}
COLUMN_LABELS = {
    "name": "name",
    "email": "e-mail",
    "country": "country",
    "organisation_name": "organisation",
    "ror_id": "ROR id",
    "orcid": "ORCID iD",
    "sector": "sector",
    "role": "role",
    "member": "member",
    "year": "year",
    "funder": "funder",
    "amount": "amount",
    "currency": "currency",
}
ROW_LABELS = {"members": "Member", "budget": "Budget line"}


# --- rows and their limits -----------------------------------------------------------------


@dataclass
class Row:
    """One row of the consortium or budget table, as typed, under the number the form shows."""

    table: str  # "members" or "budget"
    number: int  # 1-based
    value: dict[str, str]

    @property
    def key(self) -> str:
        """The row's field prefix: ``m2`` for member row 3."""
        return f"{PREFIX[self.table]}{self.number - 1}"

    def name(self, column: str) -> str:
        """The form field of one cell: ``m2_email``."""
        return f"{self.key}_{column}"

    @property
    def blank(self) -> bool:
        return not any(self.value.get(n) for n in _TEXT[self.table])


def _blank(table: str, number: int) -> Row:
    return Row(table, number, dict.fromkeys(_COLUMNS[table], ""))


@dataclass(frozen=True, slots=True)
class RowLimits:
    """How many rows each table of a track's editor takes.

    A consortium lists at most ``MAX_MEMBERS`` people (programs set no lower cap). A budget line
    is what one funder gives one member in one year, so a proposal needs at most one line per
    member, year of the longest project the track allows and funder that may pay a team.
    """

    members: int
    years: int
    funders_per_team: int

    @property
    def budget_lines(self) -> int:
        return self.members * self.years * self.funders_per_team

    def full(self, table: str) -> str:
        """What the form says when a table is full."""
        if table == "members":
            return f"A consortium lists at most {self.members} people."
        years = "1 year" if self.years == 1 else f"{self.years} years"
        funders = "1 funder" if self.funders_per_team == 1 else f"{self.funders_per_team} funders"
        return (
            f"At most {self.budget_lines} budget lines: one for each member, year and funder "
            f"({self.members} members, {years}, {funders} per team)."
        )

    def most(self, table: str) -> int:
        return self.members if table == "members" else self.budget_lines


def row_limits(config: ProgramConfig, track: Track) -> RowLimits:
    """The editor's row limits for a call of ``track`` in ``config``'s program."""
    years = -(-track.max_duration_months // 12)
    payers = [sum(1 for f in config.funders if c in f.pays_for) for c in config.program.countries]
    return RowLimits(MAX_MEMBERS, years, max(1, *payers))


# --- the form ------------------------------------------------------------------------------


@dataclass
class EditorForm:
    """What the editor shows and sends, as strings, exactly as typed."""

    title: str = ""
    abstract: str = ""
    keywords: str = ""
    area: str = ""
    secondary_areas: tuple[str, ...] = ()
    duration_months: str = ""
    members: list[Row] = field(default_factory=list)
    budget: list[Row] = field(default_factory=list)

    def rows(self, table: str) -> list[Row]:
        return self.members if table == "members" else self.budget

    @property
    def member_numbers(self) -> list[int]:
        """The numbers a budget line may name (every member row the form shows)."""
        return [r.number for r in self.members]

    def next_number(self, table: str) -> int:
        return max((r.number for r in self.rows(table)), default=0) + 1

    def padded(self, limits: RowLimits) -> EditorForm:
        """The same form with one blank row at the end of each table, where there is room."""
        for table in PREFIX:
            rows = self.rows(table)
            if (not rows or not rows[-1].blank) and len(rows) < limits.most(table):
                rows.append(_blank(table, self.next_number(table)))
        return self

    def add_row(self, table: str, limits: RowLimits) -> EditorForm:
        """One more blank row in ``table``; InvalidInput (in words) when the table is full."""
        if len(self.rows(table)) >= limits.most(table):
            raise InvalidInput(table, "too_many_rows", limits.full(table))
        self.rows(table).append(_blank(table, self.next_number(table)))
        return self

    def remove_row(self, key: str) -> EditorForm:
        """The form without row ``key`` (``m2``, ``b0``); budget lines that named a removed
        member name none, so the form asks which member they are for."""
        for table in PREFIX:
            kept = [r for r in self.rows(table) if r.key != key]
            if len(kept) == len(self.rows(table)):
                continue
            self.rows(table)[:] = kept
            if table == "members":
                gone = str(int(key[1:]) + 1)
                for line in self.budget:
                    if line.value.get("member") == gone:
                        line.value["member"] = ""
        return self


def blank_form(
    limits: RowLimits, *, area: str = "", member: Mapping[str, str] | None = None
) -> EditorForm:
    """A new proposal's editor, optionally with the first consortium row filled in."""
    rows = [Row("members", 1, {**_blank("members", 1).value, **member})] if member else []
    return EditorForm(area=area, members=rows).padded(limits)


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _posted_rows(fields: Mapping[str, Any], table: str) -> list[Row]:
    """Every row of ``table`` the form sent, in the order of their numbers (gaps allowed)."""
    numbers = sorted(
        {
            int(found.group(2)) + 1
            for name in fields
            if (found := _POSTED.match(name)) and _TABLE[found.group(1)] == table
        }
    )
    rows = []
    for number in numbers:
        row = _blank(table, number)
        row.value = {c: _text(fields, row.name(c)) for c in _COLUMNS[table]}
        rows.append(row)
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
        members=_posted_rows(fields, "members"),
        budget=_posted_rows(fields, "budget"),
    )


def row_action(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """The row button pressed, if any: ``("add", "members")`` or ``("remove", "m2")``."""
    add, remove = _text(fields, "add"), _text(fields, "remove")
    if add in PREFIX:
        return "add", add
    if re.fullmatch(r"[mb]\d{1,4}", remove):
        return "remove", remove
    return None


def form_from_content(content: ProposalContent, limits: RowLimits) -> EditorForm:
    """The editor filled with saved content; budget lines name members by row number."""
    members = [
        Row(
            "members",
            n,
            {
                "name": m.name,
                "email": m.email,
                "country": m.country,
                "organisation_name": m.organisation_name,
                "ror_id": m.ror_id or "",
                "orcid": m.orcid or "",
                "sector": m.sector,
                "role": m.role,
            },
        )
        for n, m in enumerate(content.members, start=1)
    ]
    budget = [
        Row(
            "budget",
            n,
            {
                "member": str(b.member + 1),
                "year": str(b.year),
                "funder": b.funder,
                "amount": f"{b.amount:f}",
                "currency": b.currency,
            },
        )
        for n, b in enumerate(content.budget, start=1)
    ]
    return EditorForm(
        title=content.title,
        abstract=content.abstract,
        keywords=", ".join(content.keywords),
        area=content.area,
        secondary_areas=content.secondary_areas,
        duration_months=str(content.duration_months),
        members=members,
        budget=budget,
    ).padded(limits)


# --- from the form to content --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawContent:
    """The dict for ``parse_content`` and, for each list entry, the number of the form row it
    came from (``member_rows[1] == 3``: ``members[1]`` is member row 3)."""

    data: dict[str, Any]
    member_rows: tuple[int, ...]
    budget_rows: tuple[int, ...]

    def row_of(self, table: str, index: int) -> int | None:
        rows = self.member_rows if table == "members" else self.budget_rows
        return rows[index] if 0 <= index < len(rows) else None


def raw_content(form: EditorForm) -> RawContent:
    """The content dict the form describes; blank rows are left out. A budget line that names
    no filled member row gets member ``-1``, which ``parse_content`` refuses."""
    members = [r for r in form.members if not r.blank]
    position = {r.number: n for n, r in enumerate(members)}
    lines = [r for r in form.budget if not r.blank]
    data: dict[str, Any] = {
        "title": form.title,
        "abstract": form.abstract,
        "keywords": [k.strip() for k in form.keywords.split(",") if k.strip()],
        "area": form.area,
        "secondary_areas": list(form.secondary_areas),
        "duration_months": form.duration_months,
        "members": [
            {
                "name": r.value.get("name", ""),
                "email": r.value.get("email", ""),
                "country": r.value.get("country", ""),
                "organisation_name": r.value.get("organisation_name", ""),
                "sector": r.value.get("sector", ""),
                "role": r.value.get("role", ""),
                "orcid": r.value.get("orcid") or None,
                "ror_id": r.value.get("ror_id") or None,
            }
            for r in members
        ],
        "budget": [
            {
                "member": position.get(_number(r.value.get("member", "")), -1),
                "year": r.value.get("year", ""),
                "funder": r.value.get("funder", ""),
                "amount": r.value.get("amount", ""),
                "currency": r.value.get("currency", ""),
            }
            for r in lines
        ],
    }
    if not form.duration_months:
        del data["duration_months"]
    return RawContent(data, tuple(r.number for r in members), tuple(r.number for r in lines))


def _number(text: str) -> int:
    return int(text) if text.isdigit() else -1


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with what was typed: the form field it belongs to (``duration_months``,
    ``m2_orcid``, or a whole table, ``members``) and what to change, in plain words."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ReadForm:
    """The form read: its raw content, the content when it is valid, and every problem."""

    raw: RawContent
    content: ProposalContent | None
    problems: tuple[FieldProblem, ...]

    def by_field(self) -> dict[str, str]:
        """Field -> its problem's words, for the summary and the notes next to the fields."""
        return {p.field: p.message for p in self.problems}


def read_form(form: EditorForm, limits: RowLimits) -> ReadForm:
    """The content the form holds, or every problem with it in plain words (one per field)."""
    raw = raw_content(form)
    problems: list[FieldProblem] = []
    for table in PREFIX:
        filled = sum(1 for r in form.rows(table) if not r.blank)
        most = limits.most(table)
        if filled > most:
            problems.append(
                FieldProblem(table, f"{limits.full(table)} Remove {filled - most} of the rows.")
            )
    member_numbers = [str(n) for n in raw.member_rows]
    for line in form.budget:
        if line.blank or line.value.get("member") in member_numbers:
            continue
        chosen = line.value.get("member", "")
        where = f"Budget line {line.number}"
        if not member_numbers:
            message = f"{where}: fill in the consortium member it pays for first"
        elif not chosen:
            message = f"{where}: choose the member it pays for (rows {', '.join(member_numbers)})"
        else:
            message = (
                f"{where}: member {chosen} is not a filled consortium row; choose one of rows "
                f"{', '.join(member_numbers)}"
            )
        problems.append(FieldProblem(line.name("member"), message))
    try:
        content = parse_content(raw.data)
    except InvalidInput as exc:
        listed = exc.details.get("problems") or [{"field": exc.field, "rule": exc.rule}]
        # Pydantic counts only the valid entries of a list, so a consortium whose every row has
        # a problem is also "too short": the rows' own problems say what to fix.
        rows = {str(p["field"]).split("[", 1)[0] for p in listed if "[" in str(p["field"])}
        problems += [
            problem_in_words(p, raw)
            for p in listed
            if not (p.get("type") == "too_short" and p["field"] in rows)
        ]
        content = None
    unique: dict[str, FieldProblem] = {}
    for p in problems:  # the first problem of a field is the one to fix first
        unique.setdefault(p.field, p)
    found = tuple(unique.values())
    return ReadForm(raw, None if found else content, found)


# --- words ---------------------------------------------------------------------------------


def field_of(path: str, raw: RawContent) -> str:
    """The form field a content path names: ``members[1].orcid`` -> ``m3_orcid`` when
    ``members[1]`` is member row 4; ``duration_months`` -> itself; ``keywords[2]`` ->
    ``keywords``."""
    found = _PATH.match(path)
    if found:
        table, index, column = found.group(1), int(found.group(2)), found.group(3)
        number = raw.row_of(table, index)
        if number is None:
            return table
        key = f"{PREFIX[table]}{number - 1}"
        return f"{key}_{column}" if column else key
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _where(path: str, raw: RawContent) -> tuple[str, str, str]:
    """(the row's words, the field's words, the field's name): ("Budget line 3", "amount",
    "amount"), ("", "Duration (months)", "duration_months")."""
    found = _PATH.match(path)
    if found:
        table, index, column = found.group(1), int(found.group(2)), found.group(3) or ""
        number = raw.row_of(table, index)
        row = f"{ROW_LABELS[table]} {number if number is not None else index + 1}"
        return row, COLUMN_LABELS.get(column, column), column
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    return "", LABELS.get(top, top.replace("_", " ").capitalize()), top


def _phrase(problem: Mapping[str, Any], name: str) -> str:
    """Pydantic's error, as the end of a sentence about the field ("is required")."""
    kind = str(problem.get("type", ""))
    rule = str(problem.get("rule", ""))
    if kind == "missing" or rule == "required":
        return "is required"
    if kind == "string_too_short":
        n = problem.get("min_length", "1")
        return "is required" if n == "1" else f"needs at least {n} characters"
    if kind == "string_too_long":
        return f"can have at most {problem.get('max_length')} characters"
    if kind == "too_short":
        if name == "members":
            return "needs at least one member"
        return f"needs at least {problem.get('min_length')} entries"
    if kind == "too_long":
        return f"can have at most {problem.get('max_length')} entries"
    if name == "amount" and kind in ("decimal_parsing", "decimal_type", "greater_than_equal"):
        return "must be a positive number"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("decimal_parsing", "decimal_type", "float_parsing"):
        return "must be a number"
    if kind == "greater_than_equal":
        return f"must be at least {problem.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {problem.get('le')}"
    if kind == "decimal_max_places":
        return f"can have at most {problem.get('decimal_places')} decimal places"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "is too large"
    if kind in ("literal_error", "string_pattern_mismatch", "enum"):
        return "must be one of the choices listed"
    return rule


def _sentence(subject: str, phrase: str) -> str:
    if phrase.startswith(("is ", "must ", "can ", "needs ", "has ")):
        return f"{subject} {phrase}"
    if phrase.startswith("not "):
        return f"{subject} is {phrase}"
    return f"{subject}: {phrase}"


def _value_at(data: Mapping[str, Any], path: str) -> Any:
    found = _PATH.match(path)
    if not found:
        return data.get(path)
    rows = data.get(found.group(1)) or []
    index = int(found.group(2))
    if index >= len(rows) or not found.group(3):
        return None
    return rows[index].get(found.group(3))


def problem_in_words(problem: Mapping[str, Any], raw: RawContent) -> FieldProblem:
    """One of ``parse_content``'s problems (field, rule, type) in the form's words."""
    path, rule = str(problem["field"]), str(problem.get("rule", ""))
    if path == "proposal":  # a rule over several fields: "members: each person once; ..."
        head, _, rest = rule.partition(": ")
        found = _PATH.match(head) or head in LABELS
        if found and rest:
            path, problem = head, {"rule": rest}
    row, words, name = _where(path, raw)
    # An empty e-mail or year is missing, not malformed.
    phrase = "is required" if _value_at(raw.data, path) == "" else _phrase(problem, name)
    if not row:
        message = _sentence(words, phrase)
    else:
        message = f"{row}: {_sentence(words, phrase) if words else phrase}"
    return FieldProblem(field_of(path, raw), message)


@dataclass(frozen=True, slots=True)
class VerdictLine:
    """An eligibility verdict as the editor shows it: the row it names as the form numbers it,
    and the form field it concerns (``b2_funder``, ``members``, ``duration_months``)."""

    rule_id: str
    passed: bool
    message: str
    field: str


_AT_ROW = re.compile(r"^(members|budget)\[(\d+)\](?:\.\w+)?: ")


def verdicts_in_words(verdicts: Iterable[Verdict], raw: RawContent) -> tuple[VerdictLine, ...]:
    """Verdicts whose message starts with a list position (``budget[0]: ...``) name the row
    instead ("Budget line 2: ..."), counted as the form counts its rows."""
    lines = []
    for v in verdicts:
        message = v.message
        found = _AT_ROW.match(message)
        if found:
            table, index = found.group(1), int(found.group(2))
            number = raw.row_of(table, index)
            row = f"{ROW_LABELS[table]} {number if number is not None else index + 1}"
            message = f"{row}: {message[found.end() :]}"
        lines.append(VerdictLine(v.rule_id, v.passed, message, field_of(v.field, raw)))
    return tuple(lines)
