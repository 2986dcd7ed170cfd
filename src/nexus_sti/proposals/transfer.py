"""Proposals in and out of NEXUS as files, for migrating from and to other systems: the
versioned ``nexus-proposals/1`` format as JSON, as one long-format CSV sheet, and as an XLSX
workbook (documented in docs/proposals-import.md).

Export and import are lossless for ``ProposalContent`` in every format. Import checks a whole
file and reports every problem it finds; it returns items only when there is none, so a caller
stores all proposals of a file or none. Pure: bytes and values in, values out.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from nexus_sti.core.errors import InvalidInput
from nexus_sti.core.spreadsheet import FORMULA_STARTS
from nexus_sti.proposals.model import ProposalContent, parse_content

SCHEMA = "nexus-proposals/1"
Format = Literal["json", "csv", "xlsx"]
PROPOSAL_COLUMNS = (
    "reference", "call", "status", "title", "abstract", "keywords", "area", "secondary_areas",
    "duration_months",
)  # fmt: skip
MEMBER_COLUMNS = (
    "reference", "member_index", "name", "email", "country", "organisation_name", "sector",
    "role", "orcid", "ror_id",
)  # fmt: skip
BUDGET_COLUMNS = ("reference", "member_index", "year", "funder", "amount", "currency")
RECORD_COLUMNS = {"proposal": PROPOSAL_COLUMNS, "member": MEMBER_COLUMNS, "budget": BUDGET_COLUMNS}
# One long sheet: the record type, then every column of the three records, each once.
CSV_COLUMNS = ("record", *dict.fromkeys(PROPOSAL_COLUMNS + MEMBER_COLUMNS + BUDGET_COLUMNS))
SHEETS: dict[str, str] = {"proposals": "proposal", "members": "member", "budget": "budget"}
OPTIONAL_COLUMNS = frozenset({"call", "status", "keywords", "secondary_areas", "orcid", "ror_id"})
LIST_SEPARATOR = ";"
FILE = "(file)"

# Spreadsheets run a cell that starts with one of these as a formula; the export puts an
# apostrophe before it. A leading apostrophe is guarded too, so that the import can strip
# exactly the one the export added and give back the text as it was.
_FORMULA_STARTS = (*FORMULA_STARTS, "'")
# Characters XML cannot carry (and CR, which XML turns into LF) travel in XLSX cells as
# OOXML's _xHHHH_ escapes; an underscore that would read as the start of one is escaped itself.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTENT_PATH = re.compile(r"^(members|budget)\[(\d+)\]")

Cell = str | int | Decimal | None


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One proposal as it travels: its reference, call and status next to its content."""

    reference: str | None
    call: str | None
    status: str | None
    content: ProposalContent


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Why a file cannot be imported: where (``row`` as a spreadsheet numbers it, the header
    being row 1, or a JSON proposal's position), which field or column, and the rule."""

    row: int | None
    sheet: str | None
    reference: str | None
    field: str
    rule: str

    def describe(self) -> str:
        where = [f"sheet {self.sheet}"] if self.sheet else []
        where += [f"row {self.row}"] if self.row is not None else []
        where += [f"proposal {self.reference}"] if self.reference else []
        return f"{', '.join(where) + ': ' if where else ''}{self.field}: {self.rule}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Every proposal of the file, or no proposal and every problem found."""

    items: tuple[ExportItem, ...]
    errors: tuple[ImportProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def export_json(items: Sequence[ExportItem]) -> str:
    """The ``nexus-proposals/1`` JSON document; references may be null but not repeated."""
    _check_references(items, required=False)
    proposals = []
    for item in items:
        content = item.content.model_dump(mode="json")
        for line, budget in zip(content["budget"], item.content.budget, strict=True):
            line["amount"] = format(budget.amount, "f")  # "1000.00", never "1E+3"
        proposals.append(
            {"reference": item.reference, "call": item.call, "status": item.status}
            | {"content": content}
        )
    return json.dumps({"schema": SCHEMA, "proposals": proposals}, ensure_ascii=False, indent=2)


def export_csv(items: Sequence[ExportItem]) -> str:
    """One long-format sheet with a ``record`` column, UTF-8 BOM first; encode it as UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for record, cells in _records(items):
        writer.writerow(_csv_text(cells.get(c)) if c != "record" else record for c in CSV_COLUMNS)
    return "\ufeff" + buf.getvalue()


def export_xlsx(items: Sequence[ExportItem]) -> bytes:
    """A workbook with sheets ``proposals``, ``members`` and ``budget``; headers bold, frozen."""
    from openpyxl import Workbook  # 0.4 s to import: only when a workbook is asked for
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheets = {}
    for n, (name, record) in enumerate(SHEETS.items()):
        sheet = workbook.active if n == 0 else workbook.create_sheet()
        sheet.title = name
        sheet.append(RECORD_COLUMNS[record])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheets[record] = sheet
    for record, cells in _records(items):
        sheet = sheets[record]
        row = sheet.max_row + 1
        for col, name in enumerate(RECORD_COLUMNS[record], start=1):
            value = cells.get(name)
            target = sheet.cell(row=row, column=col, value=_xlsx_value(value))
            if isinstance(value, Decimal):
                target.number_format = "#,##0.00"
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def import_proposals(data: bytes, *, format: Format) -> ImportResult:
    """Read a ``nexus-proposals/1`` file and validate every proposal with ``parse_content``."""
    if format == "json":
        return _from_json(data)
    rows, problems = _read_csv(data) if format == "csv" else _read_xlsx(data)
    if any(p.row in (None, 1) for p in problems):  # the file, a sheet or a header: stop here
        return ImportResult((), tuple(problems))
    return _assemble(rows, problems)


# --- export helpers ---------------------------------------------------------------------------


def _check_references(items: Sequence[ExportItem], *, required: bool) -> None:
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if item.reference is None or not item.reference.strip():
            if required:
                raise InvalidInput(
                    "reference",
                    "required",
                    f"proposal {n} has no reference; CSV and XLSX rows link members and budget "
                    "lines to their proposal by reference (JSON does not need one)",
                )
        elif item.reference in seen:
            raise InvalidInput("reference", "unique", f"reference {item.reference!r} repeats")
        else:
            seen.add(item.reference)


def _records(items: Sequence[ExportItem]) -> Iterator[tuple[str, dict[str, Cell]]]:
    _check_references(items, required=True)
    for item in items:
        c, ref = item.content, item.reference
        yield "proposal", {
            "reference": ref, "call": item.call, "status": item.status, "title": c.title,
            "abstract": c.abstract, "keywords": _join(c.keywords, "keywords", ref),
            "area": c.area, "secondary_areas": _join(c.secondary_areas, "secondary_areas", ref),
            "duration_months": c.duration_months,
        }  # fmt: skip
        for index, member in enumerate(c.members):
            yield "member", {"reference": ref, "member_index": index, **member.model_dump()}
        for line in c.budget:
            yield "budget", {
                "reference": ref, "member_index": line.member, "year": line.year,
                "funder": line.funder, "amount": line.amount, "currency": line.currency,
            }  # fmt: skip


def _join(values: Iterable[str], name: str, reference: str | None) -> str:
    for value in values:
        if not value or LIST_SEPARATOR in value:
            raise InvalidInput(
                name,
                "list_separator",
                f"proposal {reference}: {name} entry {value!r} is empty or contains ';', which "
                "CSV and XLSX put between entries; change the entry or export JSON",
            )
    return f"{LIST_SEPARATOR} ".join(values)


def _guard(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _unguard(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] and text[1] in _FORMULA_STARTS else text


def _csv_text(value: Cell) -> str:
    if isinstance(value, str):
        return _guard(value)
    return "" if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)


def _xlsx_value(value: Cell) -> str | int | float | None:
    if isinstance(value, str):
        return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()[0]):04X}_", _guard(value))
    if isinstance(value, Decimal):
        # A number where a float holds the amount exactly (Excel keeps 15 digits); text beyond.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    return value


# --- import: reading the files ----------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    record: str
    sheet: str | None
    number: int
    cells: dict[str, object]


def _file_problem(rule: str) -> ImportProblem:
    return ImportProblem(None, None, None, FILE, rule)


def _read_csv(data: bytes) -> tuple[list[_Row], list[ImportProblem]]:
    try:
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except UnicodeDecodeError as exc:
        return [], [_file_problem(f"not UTF-8 text (byte {exc.start}); save it as UTF-8")]
    except csv.Error as exc:
        return [], [_file_problem(f"not a readable CSV file: {exc}")]
    if not table or "record" not in (header := [h.strip() for h in table[0]]):
        return [], [_file_problem("no header row with a 'record' column")]
    rows: list[_Row] = []
    problems: list[ImportProblem] = []
    for number, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        cells: dict[str, object] = dict(zip(header, values, strict=False))
        record = str(cells.get("record", "")).strip().lower()
        if len(values) > len(header):
            problems.append(ImportProblem(number, None, None, "(row)", "more cells than columns"))
        elif record not in RECORD_COLUMNS:
            rule = f"unknown record type {record!r}; expected proposal, member or budget"
            problems.append(ImportProblem(number, None, None, "record", rule))
        else:
            rows.append(_Row(record, None, number, cells))
    return rows, _column_problems(header, CSV_COLUMNS, {r.record for r in rows}, None) + problems


def _read_xlsx(data: bytes) -> tuple[list[_Row], list[ImportProblem]]:
    from openpyxl import load_workbook

    rows: list[_Row] = []
    problems: list[ImportProblem] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for name, record in SHEETS.items():
                if name not in workbook.sheetnames:
                    if record != "budget":  # a file without money may leave the sheet out
                        problems.append(ImportProblem(None, name, None, "(sheet)", "missing"))
                    continue
                table = workbook[name].iter_rows(values_only=True)
                header = [str(h).strip() if h is not None else "" for h in next(table, ())]
                found = False
                for number, values in enumerate(table, start=2):
                    if all(v is None or v == "" for v in values):
                        continue
                    found = True
                    cells = {h: _ooxml_text(v) for h, v in zip(header, values, strict=False)}
                    rows.append(_Row(record, name, number, cells))
                needs = {record} if found else set()
                problems += _column_problems(header, RECORD_COLUMNS[record], needs, name)
        finally:
            workbook.close()
    # openpyxl and zipfile raise many types on damaged or foreign files (BadZipFile, KeyError,
    # InvalidFileException, XML parse errors): all mean the file is not a workbook it can read.
    except Exception as exc:
        return [], [_file_problem(f"not a readable XLSX workbook: {exc}")]
    return rows, problems


def _ooxml_text(value: object) -> object:
    if isinstance(value, str):
        return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def _column_problems(
    header: list[str], allowed: tuple[str, ...], records: set[str], sheet: str | None
) -> list[ImportProblem]:
    """Unknown and repeated columns, and the columns that rows of ``records`` need."""
    needed = {c for r in records for c in RECORD_COLUMNS[r]} - OPTIONAL_COLUMNS
    found = [(c, f"unknown column; expected {', '.join(allowed)}") for c in header if c]
    found = [(c, r) for c, r in found if c not in allowed]
    found += [(c, "column appears twice") for i, c in enumerate(header) if c and c in header[:i]]
    found += [(c, "missing column") for c in allowed if c in needed and c not in header]
    return [ImportProblem(1, sheet, None, column, rule) for column, rule in found]


# --- import: building and validating proposals ------------------------------------------------

Raw = dict[str, Any]


@dataclass(slots=True)
class _Draft:
    row: _Row
    reference: str
    call: str | None
    status: str | None
    raw: Raw
    ok: bool
    members: dict[int, tuple[_Row, Raw]] = field(default_factory=dict)
    budget: list[tuple[_Row, Raw]] = field(default_factory=list)


class _Cells:
    """Typed reading of one row; a value that is not what its column holds becomes a problem."""

    def __init__(self, row: _Row, problems: list[ImportProblem]) -> None:
        self.row, self.problems, self.ok = row, problems, True
        self.reference = self.text("reference", strip=True)

    def fail(self, column: str, rule: str) -> None:
        row = self.row
        self.problems.append(ImportProblem(row.number, row.sheet, self.reference, column, rule))
        self.ok = False

    def text(self, column: str, *, strip: bool = False) -> str | None:
        value = self.row.cells.get(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a reference such as 2024001 that a spreadsheet made a number
        text = "" if value is None else _unguard(value if isinstance(value, str) else str(value))
        return (text.strip() if strip else text) or None

    def whole(self, column: str) -> int | None:
        number = self._number(column)
        if number is None or number == number.to_integral_value():
            return None if number is None else int(number)
        self.fail(column, f"not a whole number: {self.row.cells.get(column)!r}")
        return None

    def amount(self, column: str) -> Decimal | None:
        number = self._number(column)
        if number is not None and isinstance(self.row.cells.get(column), float):
            cents = number.quantize(Decimal("0.01"))  # XLSX numbers are floats: keep 2 decimals
            number = cents if cents == number else number
        return number

    def _number(self, column: str) -> Decimal | None:
        value = self.row.cells.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = None if isinstance(value, bool) else Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail(column, f"not a number: {value!r}")
            return None
        return number


def _present(raw: Raw) -> Raw:
    """Leave out empty cells, so that the content model reports a missing value as required."""
    return {k: v for k, v in raw.items() if v is not None}


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(LIST_SEPARATOR) if part.strip()]


def _assemble(rows: list[_Row], problems: list[ImportProblem]) -> ImportResult:
    drafts: dict[str, _Draft] = {}
    for row in (r for r in rows if r.record == "proposal"):
        cells = _Cells(row, problems)
        if cells.reference is None or cells.reference in drafts:
            first = drafts[cells.reference].row.number if cells.reference else None
            cells.fail("reference", f"repeats the proposal on row {first}" if first else "required")
            continue
        raw: Raw = {c: cells.text(c) for c in ("title", "abstract", "area")}
        raw |= {c: _split(cells.text(c)) for c in ("keywords", "secondary_areas")}
        raw["duration_months"] = cells.whole("duration_months")
        call, status = cells.text("call", strip=True), cells.text("status", strip=True)
        drafts[cells.reference] = _Draft(row, cells.reference, call, status, raw, cells.ok)
    for row in (r for r in rows if r.record != "proposal"):
        cells = _Cells(row, problems)
        draft = drafts.get(cells.reference or "")
        if draft is None:
            cells.fail("reference", "no proposal row has it" if cells.reference else "required")
            continue
        if (index := cells.whole("member_index")) is None and cells.ok:
            cells.fail("member_index", "required")
        if row.record == "budget":
            raw = {"member": index, "year": cells.whole("year"), "funder": cells.text("funder")}
            raw |= {"amount": cells.amount("amount"), "currency": cells.text("currency")}
            draft.budget.append((row, raw))
        elif index in draft.members:
            cells.fail(
                "member_index", f"repeats the member on row {draft.members[index][0].number}"
            )
        elif index is not None:
            draft.members[index] = (row, {c: cells.text(c) for c in MEMBER_COLUMNS[2:]})
        draft.ok = draft.ok and cells.ok
    items = [item for d in drafts.values() if d.ok and (item := _validate(d, problems))]
    order = [None, *SHEETS]
    problems.sort(key=lambda p: (order.index(p.sheet), p.row or 0))
    return ImportResult(() if problems else tuple(items), tuple(problems))


def _validate(draft: _Draft, problems: list[ImportProblem]) -> ExportItem | None:
    """The draft's content through ``parse_content``; a problem inside a member or a budget
    line is reported on that row."""
    indexes, row = sorted(draft.members), draft.row
    if indexes != list(range(len(indexes))):
        rule = f"members are numbered 0, 1, 2, ... without gaps; found {indexes}"
        problems.append(ImportProblem(row.number, row.sheet, draft.reference, "member_index", rule))
        return None
    raw = _present(draft.raw) | {
        "members": [_present(draft.members[i][1]) for i in indexes],
        "budget": [_present(line) for _, line in draft.budget],
    }
    try:
        content = parse_content(raw)
    except InvalidInput as exc:
        if found := _CONTENT_PATH.match(exc.field):
            members = [draft.members[i][0] for i in indexes]
            group = members if found[1] == "members" else [r for r, _ in draft.budget]
            row = group[int(found[2])] if int(found[2]) < len(group) else row
        problems.append(ImportProblem(row.number, row.sheet, draft.reference, exc.field, exc.rule))
        return None
    return ExportItem(draft.reference, draft.call, draft.status, content)


def _from_json(data: bytes) -> ImportResult:
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
        return ImportResult((), (_file_problem(f"not valid JSON: {exc}"),))
    schema = document.get("schema") if isinstance(document, dict) else None
    entries = document.get("proposals") if schema == SCHEMA else None
    if schema != SCHEMA or not isinstance(entries, list):
        rule = f"schema must be {SCHEMA!r}; found {schema!r}"
        rule = rule if schema != SCHEMA else "'proposals' must be a list"
        return ImportResult((), (_file_problem(rule),))
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    items = [item for n, e in enumerate(entries, 1) if (item := _json_item(n, e, problems, seen))]
    return ImportResult(() if problems else tuple(items), tuple(problems))


def _json_item(
    n: int, raw: object, problems: list[ImportProblem], seen: dict[str, int]
) -> ExportItem | None:
    if not isinstance(raw, dict):
        problems.append(ImportProblem(n, None, None, "(proposal)", "must be an object"))
        return None
    entry: dict[str, Any] = raw
    reference, keys = entry.get("reference"), ("reference", "call", "status", "content")
    found = [(k, f"unknown key; expected {', '.join(keys)}") for k in entry if k not in keys]
    found += [
        (k, "must be text or null") for k in keys[:3] if not isinstance(entry.get(k), str | None)
    ]
    if isinstance(reference, str) and seen.setdefault(reference, n) != n:
        found.append(("reference", f"repeats proposal {seen[reference]}"))
    if not isinstance(entry.get("content"), dict):
        found.append(("content", "required: an object with the proposal's content"))
    content = None
    try:
        content = None if found else parse_content(entry["content"])
    except InvalidInput as exc:
        found.append((exc.field, exc.rule))
    ref = reference if isinstance(reference, str) else None
    problems.extend(ImportProblem(n, None, ref, key, rule) for key, rule in found)
    return ExportItem(ref, entry.get("call"), entry.get("status"), content) if content else None
