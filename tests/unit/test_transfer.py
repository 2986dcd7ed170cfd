"""Proposals leave and enter NEXUS as nexus-proposals/1 files without losing a thing, and a
file with problems is refused whole with every problem named."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import InvalidInput
from nexus_sti.core.money import MINOR_UNITS
from nexus_sti.proposals.model import ROR_RE, SECTORS, ProposalContent, parse_content
from nexus_sti.proposals.transfer import (
    CSV_COLUMNS,
    SCHEMA,
    ExportItem,
    ImportProblem,
    ImportResult,
    export_csv,
    export_json,
    export_xlsx,
    import_proposals,
)

FORMATS = ("json", "csv", "xlsx")
Raw = dict[str, Any]
NAMES = ("สมชาย ใจดี", "សុខ ដារ៉ា", "ສົມພອນ", "အောင်ကျော်", "佐藤 健", "Nguyễn Thị Lan")


def member(name: str, email: str, country: str, role: str = "partner", **extra: str) -> Raw:
    base = {"name": name, "email": email, "country": country, "organisation_name": "Org"}
    return base | {"sector": "university", "role": role} | extra


def line(member: int, year: int, funder: str, amount: str, currency: str) -> Raw:
    return {
        "member": member,
        "year": year,
        "funder": funder,
        "amount": amount,
        "currency": currency,
    }


def sample_content(**changes: Any) -> ProposalContent:
    raw: dict[str, Any] = {
        "title": "Flood forecasting for the Mekong delta",
        "abstract": "Paragraph one.\r\nParagraph two, with a carriage return\rinside.",
        "keywords": ["hydrology", "機械学習", "ngập lụt"],
        "area": "climate",
        "secondary_areas": ["ai", "energy"],
        "duration_months": 36,
        "members": [
            member("佐藤 健", "sato@u-tokyo.ac.jp", "JPN", "lead_jp", orcid="0000-0002-1825-0097"),
            member("สมชาย ใจดี", "somchai@chula.ac.th", "THA", "lead_ams", ror_id="028wp3y58"),
            member("សុខ ដារ៉ា", "dara@rupp.edu.kh", "KHM"),
            member("ສົມພອນ", "somphone@nuol.edu.la", "LAO"),
            member("အောင်ကျော်", "aung@uy.edu.mm", "MMR"),
            member("Nguyễn Thị Lan", "lan@vnu.edu.vn", "VNM"),
        ],
        "budget": [
            line(0, 2026, "JST", "5000000", "JPY"),
            line(1, 2026, "NSTDA", "1234567.89", "THB"),
            line(5, 2027, "NAFOSTED", "0.5", "USD"),
        ],
    }
    return parse_content(raw | changes)


ITEMS = (
    ExportItem("NX-2026-001", "nexus-2026", "submitted", sample_content()),
    ExportItem("NX-2026-002", None, None, sample_content(budget=[], keywords=[])),
)


def export(items: tuple[ExportItem, ...] | list[ExportItem], fmt: str) -> bytes:
    if fmt == "json":
        return export_json(items).encode()
    return export_csv(items).encode() if fmt == "csv" else export_xlsx(items)


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def csv_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_csv(ITEMS[1:]).removeprefix("\ufeff"))))


def problems(result: ImportResult) -> list[tuple[int | None, str | None, str]]:
    assert result.items == ()  # all or nothing
    return [(p.row, p.sheet, p.field) for p in result.errors]


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_back_exactly_what_was_exported(fmt: str) -> None:
    result = import_proposals(export(ITEMS, fmt), format=fmt)  # type: ignore[arg-type]
    assert result.ok, result.errors
    assert result.items == ITEMS
    assert result.items[0].content.budget[1].amount == Decimal("1234567.89")
    assert result.items[0].content.members[3].name == "ສົມພອນ"


def test_json_is_readable_text_with_the_schema_and_exact_amounts() -> None:
    document = json.loads(export_json(ITEMS))
    assert document["schema"] == SCHEMA
    entry = document["proposals"][0]
    assert entry["reference"] == "NX-2026-001"
    assert entry["content"]["budget"][1]["amount"] == "1234567.89"
    assert "สมชาย ใจดี" in export_json(ITEMS)  # not \\u escapes


def test_json_proposals_need_no_reference() -> None:
    items = (ExportItem(None, None, None, sample_content()),)
    assert import_proposals(export_json(items).encode(), format="json").items == items


def test_json_accepts_amounts_written_as_numbers_without_float_rounding() -> None:
    document = json.loads(export_json(ITEMS[:1]))
    document["proposals"][0]["content"]["budget"][1]["amount"] = 1234567.89
    text = json.dumps(document).replace('"amount": "5000000"', '"amount": 5000000.00')
    result = import_proposals(text.encode(), format="json")
    assert result.items[0].content.budget[1].amount == Decimal("1234567.89")


def test_csv_starts_with_a_bom_and_one_header_in_the_documented_order() -> None:
    text = export_csv(ITEMS)
    assert text.startswith("\ufeffrecord,reference,call,status,title,")
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(header) == CSV_COLUMNS
    records = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert records[:8] == ["proposal"] + ["member"] * 6 + ["budget"]


def test_csv_without_a_bom_imports_too() -> None:
    data = export_csv(ITEMS).removeprefix("\ufeff").encode()
    assert import_proposals(data, format="csv").items == ITEMS


def test_xlsx_has_three_sheets_with_bold_frozen_headers_and_numeric_amounts() -> None:
    workbook = load_workbook(io.BytesIO(export_xlsx(ITEMS)))
    assert workbook.sheetnames == ["proposals", "members", "budget"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
    budget = workbook["budget"]
    assert [c.value for c in budget[1]] == [
        "reference", "member_index", "year", "funder", "amount", "currency",
    ]  # fmt: skip
    assert budget["E3"].value == pytest.approx(1234567.89)
    assert budget["E3"].data_type == "n"
    assert workbook["members"]["C3"].value == "สมชาย ใจดี"


def test_xlsx_keeps_amounts_beyond_float_precision_as_text() -> None:
    content = sample_content(budget=[line(0, 2026, "JST", "99999999999999.99", "JPY")])
    items = (ExportItem("R1", None, None, content),)
    result = import_proposals(export_xlsx(items), format="xlsx")
    assert result.items[0].content.budget[0].amount == Decimal("99999999999999.99")


# --- property: any valid content survives every format ----------------------------------------

CHARS = st.characters(exclude_categories=("Cc", "Cs", "Cn"), include_characters="\r\n\t")
WORD = st.one_of(st.sampled_from(NAMES), st.text(CHARS, min_size=1, max_size=20))
DIGITS = "0123456789"
ENTRY = WORD.filter(lambda w: w.strip() != "" and ";" not in w)


def orcid_from(digits: str) -> str:
    total = 0
    for ch in digits:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    d = digits + ("X" if check == 10 else str(check))
    return f"{d[:4]}-{d[4:8]}-{d[8:12]}-{d[12:]}"


@st.composite
def contents(draw: st.DrawFn) -> ProposalContent:
    n = draw(st.integers(1, 4))
    members = [
        {
            "name": draw(WORD.filter(str.strip)),
            "email": f"person{i}@example.org",
            "country": draw(st.sampled_from(ISO3_CODES)),
            "organisation_name": draw(WORD.filter(str.strip)),
            "sector": draw(st.sampled_from(SECTORS)),
            "role": draw(st.sampled_from(["lead_jp", "lead_ams", "partner"])),
            "orcid": draw(st.none() | st.text(DIGITS, min_size=15, max_size=15).map(orcid_from)),
            "ror_id": draw(st.none() | st.from_regex(ROR_RE, fullmatch=True)),
        }
        for i in range(n)
    ]
    budget = draw(st.lists(st.fixed_dictionaries({
        "member": st.integers(0, n - 1),
        "year": st.integers(2000, 2100),
        "funder": WORD.filter(str.strip),
        "amount": st.decimals(0, Decimal("99999999999999.99"), places=2),
        "currency": st.sampled_from(sorted(MINOR_UNITS)),
    }), max_size=4))  # fmt: skip
    return parse_content({
        "title": draw(st.sampled_from(NAMES)) + draw(st.text(CHARS, max_size=40)),
        "abstract": draw(st.sampled_from(NAMES)) + draw(st.text(CHARS, max_size=200)),
        "keywords": draw(st.lists(ENTRY, max_size=10)),
        "area": draw(st.sampled_from(["climate", "ai", "quantum"])),
        "secondary_areas": draw(st.lists(st.sampled_from(["energy", "robotics", "biotech"]))),
        "duration_months": draw(st.integers(1, 120)),
        "members": members,
        "budget": budget,
    })  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(contents(), min_size=1, max_size=3), st.sampled_from(["NX-", "=1+", "'", "@"]))
def test_any_valid_content_round_trips_through_every_format(
    drawn: list[ProposalContent], prefix: str
) -> None:
    items = [ExportItem(f"{prefix}{i}", "call", "draft", c) for i, c in enumerate(drawn)]
    for fmt in FORMATS:
        result = import_proposals(export(items, fmt), format=fmt)  # type: ignore[arg-type]
        assert result.errors == ()
        assert [i.content for i in result.items] == drawn, fmt
        assert [i.reference for i in result.items] == [i.reference for i in items]


# --- formula injection ------------------------------------------------------------------------

DANGEROUS = ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "'quoted")


def dangerous_item() -> ExportItem:
    content = sample_content(
        title=DANGEROUS[0], keywords=["-omics", "x"], members=[member("@dmin", "a@b.org", "SGP")],
        budget=[line(0, 2026, "+Fund", "1", "SGD")],
    )  # fmt: skip
    return ExportItem("=cmd|' /C calc'!A0", None, None, content)


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe() -> None:
    rows = list(csv.DictReader(io.StringIO(export_csv([dangerous_item()]).removeprefix("\ufeff"))))
    assert rows[0]["title"] == "'" + DANGEROUS[0]
    assert rows[0]["reference"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["keywords"] == "'-omics; x"
    assert rows[1]["name"] == "'@dmin"
    assert rows[2]["funder"] == "'+Fund"
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())


def test_xlsx_cells_are_text_never_formulas() -> None:
    workbook = load_workbook(io.BytesIO(export_xlsx([dangerous_item()])))
    title = workbook["proposals"]["D2"]
    assert title.value == "'" + DANGEROUS[0]
    assert title.data_type == "s"
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("text", DANGEROUS)
def test_the_import_strips_exactly_the_apostrophe_the_export_added(fmt: str, text: str) -> None:
    item = ExportItem("R1", None, None, sample_content(title=text + " study"))
    result = import_proposals(export([item], fmt), format=fmt)  # type: ignore[arg-type]
    assert result.items[0].content.title == text + " study"


def test_an_apostrophe_that_guards_nothing_is_kept_from_other_systems() -> None:
    rows = csv_rows()
    rows[1]["organisation_name"] = "'s-Hertogenbosch Institute"
    result = import_proposals(csv_bytes(rows), format="csv")
    assert result.items[0].content.members[0].organisation_name == "'s-Hertogenbosch Institute"


# --- export refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheets_need_a_reference_to_link_rows(fmt: str) -> None:
    with pytest.raises(InvalidInput) as info:
        export([ExportItem(None, None, None, sample_content())], fmt)
    assert (info.value.field, info.value.rule) == ("reference", "required")


def test_a_reference_may_not_repeat_in_any_export() -> None:
    with pytest.raises(InvalidInput, match="repeats"):
        export_json([ITEMS[0], ITEMS[0]])


def test_a_keyword_holding_the_list_separator_is_refused_rather_than_split() -> None:
    item = ExportItem("R1", None, None, sample_content(keywords=["A; B"]))
    with pytest.raises(InvalidInput, match="export JSON") as info:
        export_csv([item])
    assert info.value.field == "keywords"
    assert import_proposals(export_json([item]).encode(), format="json").items == (item,)


# --- import problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        (b"{not json", "json", "not valid JSON"),
        (b'{"schema": "other/2", "proposals": []}', "json", "schema must be 'nexus-proposals/1'"),
        (b'{"schema": "nexus-proposals/1", "proposals": {}}', "json", "must be a list"),
        (b"PK\x03\x04 not really a zip", "xlsx", "not a readable XLSX workbook"),
        (export_csv(ITEMS).encode(), "xlsx", "not a readable XLSX workbook"),
        (b"title,abstract\nx,y\n", "csv", "'record' column"),
        ("record\nproposal\n".encode("utf-16"), "csv", "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_one_problem_about_the_file(
    data: bytes, fmt: str, words: str
) -> None:
    result = import_proposals(data, format=fmt)  # type: ignore[arg-type]
    assert problems(result) == [(None, None, "(file)")]
    assert words in result.errors[0].rule


def test_every_problem_in_a_csv_is_reported_with_its_row_and_nothing_is_imported() -> None:
    rows = csv_rows()  # row 2: proposal, rows 3-8: members 0-5
    rows[0]["duration_months"] = "twelve"
    rows.append({"record": "partner", "reference": "NX-2026-002"})
    rows.append({"record": "member", "reference": "NX-9999", "member_index": "0"})
    rows.append(rows[0] | {"title": "Again"})
    result = import_proposals(csv_bytes(rows), format="csv")
    assert problems(result) == [
        (2, None, "duration_months"),
        (9, None, "record"),
        (10, None, "reference"),
        (11, None, "reference"),
    ]
    by_row = {p.row: p for p in result.errors}
    assert by_row[2].rule == "not a number: 'twelve'"
    assert by_row[9].rule == "unknown record type 'partner'; expected proposal, member or budget"
    assert by_row[10].rule == "no proposal row has it"
    assert by_row[11].rule == "repeats the proposal on row 2"
    assert by_row[11].describe() == (
        "row 11, proposal NX-2026-002: reference: repeats the proposal on row 2"
    )


def test_a_content_problem_is_reported_on_the_member_row_that_has_it() -> None:
    rows = csv_rows()
    rows[2]["orcid"] = "0000-0002-1825-0098"
    result = import_proposals(csv_bytes(rows), format="csv")
    [problem] = result.errors
    assert (problem.row, problem.reference, problem.field) == (4, "NX-2026-002", "members[1].orcid")
    assert "check digit" in problem.rule


def test_a_missing_or_unknown_column_is_named() -> None:
    rows = csv_rows()
    data = csv_bytes(rows).decode()
    data = data.replace("organisation_name", "organisation", 1)
    result = import_proposals(data.encode(), format="csv")
    assert sorted((p.field, p.rule.split(";")[0]) for p in result.errors) == [
        ("organisation", "unknown column"),
        ("organisation_name", "missing column"),
    ]
    assert {p.row for p in result.errors} == {1}


def test_optional_columns_may_be_left_out_by_other_systems() -> None:
    keep = [c for c in CSV_COLUMNS if c not in {"call", "status", "orcid", "ror_id", "keywords"}]
    rows = [{c: r[c] for c in keep} for r in csv_rows()]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keep)
    writer.writeheader()
    writer.writerows(rows)
    result = import_proposals(buf.getvalue().encode(), format="csv")
    assert result.ok, result.errors
    assert result.items[0].content.members[0].orcid is None


def test_members_must_be_numbered_from_zero_without_gaps() -> None:
    rows = csv_rows()
    for i, row in enumerate(rows[1:7], start=1):
        row["member_index"] = str(i)  # numbered from 1, as another system might
    result = import_proposals(csv_bytes(rows), format="csv")
    [problem] = result.errors
    assert (problem.row, problem.field) == (2, "member_index")
    assert "found [1, 2, 3, 4, 5, 6]" in problem.rule


def test_a_repeated_member_index_names_the_first_row() -> None:
    rows = csv_rows()
    rows[2]["member_index"] = "0"
    result = import_proposals(csv_bytes(rows), format="csv")
    assert [(p.row, p.rule) for p in result.errors] == [(4, "repeats the member on row 3")]


def test_xlsx_problems_name_the_sheet_and_its_row() -> None:
    workbook = load_workbook(io.BytesIO(export_xlsx(ITEMS)))
    workbook["members"]["E3"] = "XXX"  # country of the second member of NX-2026-001
    workbook["budget"]["E2"] = "lots"
    buf = io.BytesIO()
    workbook.save(buf)
    result = import_proposals(buf.getvalue(), format="xlsx")
    assert problems(result) == [(2, "budget", "amount")]
    workbook["budget"]["E2"] = 5000000
    buf = io.BytesIO()
    workbook.save(buf)
    [problem] = import_proposals(buf.getvalue(), format="xlsx").errors
    assert (problem.sheet, problem.row, problem.field) == ("members", 3, "members[1].country")
    assert problem.rule.startswith("unknown country code")


def test_a_hand_made_workbook_imports_numbers_typed_as_numbers() -> None:
    workbook = Workbook()
    proposals = workbook.active
    proposals.title = "proposals"
    proposals.append(["reference", "title", "abstract", "area", "duration_months"])
    proposals.append([2026001, "Batteries", "Sodium cells", "energy", 24.0])
    members = workbook.create_sheet("members")
    members.append(["reference", "member_index", "name", "email", "country",
                    "organisation_name", "sector", "role"])  # fmt: skip
    members.append([2026001, 0, "Siti", "siti@um.edu.my", "mys", "UM", "university", "lead_ams"])
    budget = workbook.create_sheet("budget")
    budget.append(["reference", "member_index", "year", "funder", "amount", "currency"])
    budget.append([2026001, 0, 2026, "MOHE", 1234567.8, "MYR"])
    budget.append([2026001, 0, 2027, "MOHE", 10.125, "MYR"])
    buf = io.BytesIO()
    workbook.save(buf)
    [problem] = import_proposals(buf.getvalue(), format="xlsx").errors
    assert (problem.sheet, problem.row, problem.field) == ("budget", 3, "budget[1].amount")
    budget.delete_rows(3)
    buf = io.BytesIO()
    workbook.save(buf)
    [item] = import_proposals(buf.getvalue(), format="xlsx").items
    assert item.reference == "2026001"
    assert item.content.members[0].country == "MYS"
    assert item.content.budget[0].amount == Decimal("1234567.80")
    assert str(item.content.budget[0].amount) == "1234567.80"


def test_json_problems_name_the_position_and_all_are_reported() -> None:
    document = json.loads(export_json(ITEMS))
    document["proposals"][1]["reference"] = "NX-2026-001"
    document["proposals"][1]["submitted_at"] = "2026-01-01"
    document["proposals"].append("not an object")
    document["proposals"].append({"reference": 7, "content": {"title": "x"}})
    result = import_proposals(json.dumps(document).encode(), format="json")
    assert [(p.row, p.field, p.rule.split(";")[0]) for p in result.errors] == [
        (2, "submitted_at", "unknown key"),
        (2, "reference", "repeats proposal 1"),
        (3, "(proposal)", "must be an object"),
        (4, "reference", "must be text or null"),
    ]
    assert result.items == ()


def test_json_content_problems_come_from_the_content_rules() -> None:
    document = json.loads(export_json(ITEMS[:1]))
    document["proposals"][0]["content"]["budget"][0]["currency"] = "XYZ"
    [problem] = import_proposals(json.dumps(document).encode(), format="json").errors
    assert problem == ImportProblem(1, None, "NX-2026-001", "budget[0].currency", problem.rule)
    assert problem.rule.startswith("unknown currency")


@pytest.mark.parametrize("fmt", FORMATS)
def test_characters_xml_cannot_hold_still_round_trip(fmt: str) -> None:
    abstract = "bell\x07 form-feed\x0c non-character\ufffe CR\r literal _x000D_ and _x41_ end"
    item = ExportItem("R1", None, None, sample_content(abstract=abstract))
    result = import_proposals(export([item], fmt), format=fmt)  # type: ignore[arg-type]
    assert result.items[0].content.abstract == abstract


def test_a_cr_in_an_xlsx_cell_is_stored_as_excel_stores_it() -> None:
    item = ExportItem("R1", None, None, sample_content(abstract="one\r\ntwo"))
    workbook = load_workbook(io.BytesIO(export_xlsx([item])))
    assert workbook["proposals"]["E2"].value == "one_x000D_\ntwo"


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("duration_months", "2.5", "not a whole number: '2.5'"),
        ("duration_months", "NaN", "not a number: 'NaN'"),
        ("title", "", "required"),
    ],
)
def test_a_bad_or_empty_cell_names_its_column_and_rule(column: str, value: str, rule: str) -> None:
    rows = csv_rows()
    rows[0][column] = value
    [problem] = import_proposals(csv_bytes(rows), format="csv").errors
    assert (problem.row, problem.field, problem.rule) == (2, column, rule)
