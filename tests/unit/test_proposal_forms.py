"""The proposal editor's form, without the web app: rows numbered as the form shows them (gaps
after removals), the row limits each program's tracks allow, and problems and verdicts in the
words of the form."""

from __future__ import annotations

from typing import Any

import pytest

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.loader import load_preset
from nexus_sti.proposals.eligibility import Verdict
from nexus_sti.proposals.forms import (
    FieldProblem,
    RowLimits,
    blank_form,
    form_from_fields,
    raw_content,
    read_form,
    row_action,
    row_limits,
    verdicts_in_words,
)

LIMITS = RowLimits(members=30, years=3, funders_per_team=1)
SATO = {
    "name": "佐藤 健", "email": "sato@example.org", "country": "JPN",
    "organisation_name": "Ginga University", "sector": "university", "role": "lead_jp",
}  # fmt: skip
LAN = {
    "name": "Nguyễn Thị Lan", "email": "lan@example.org", "country": "VNM",
    "organisation_name": "Song Hong Institute", "sector": "institute", "role": "lead_ams",
}  # fmt: skip
LINE = {"member": "1", "year": "2027", "funder": "jst", "amount": "1000", "currency": "JPY"}


def posted(
    members: dict[int, dict[str, str]], lines: dict[int, dict[str, str]], **about: str
) -> dict[str, Any]:
    """The fields a form sends; ``members`` and ``lines`` by their 0-based field index."""
    fields: dict[str, Any] = {
        "title": "Flood forecasting", "abstract": "Models.", "area": "climate",
        "duration_months": "36", **about,
    }  # fmt: skip
    for i, m in members.items():
        fields |= {f"m{i}_{k}": v for k, v in m.items()}
    for i, line in lines.items():
        fields |= {f"b{i}_{k}": v for k, v in line.items()}
    return fields


def test_limits_come_from_each_programs_tracks() -> None:
    nexus = load_preset().config
    assert row_limits(nexus, nexus.track("bilateral")) == RowLimits(30, 3, 1)
    assert row_limits(nexus, nexus.track("regional")).budget_lines == 30 * 5
    assert row_limits(nexus, nexus.track("mobility")).budget_lines == 30
    easia = load_preset("easia").config
    assert row_limits(easia, easia.track("joint")).budget_lines == 30 * 3
    assert LIMITS.full("members") == "A consortium lists at most 30 people."
    assert LIMITS.full("budget") == (
        "At most 90 budget lines: one for each member, year and funder "
        "(30 members, 3 years, 1 funder per team)."
    )


def test_rows_keep_their_numbers_and_budget_lines_name_members_by_them() -> None:
    # Member row 2 was removed in the browser: rows 1 and 3 remain; line 1 names row 3.
    form = form_from_fields(posted({0: SATO, 2: LAN}, {0: {**LINE, "member": "3"}}), [])
    assert [r.number for r in form.members] == [1, 3]
    read = read_form(form, LIMITS)
    assert read.problems == ()
    assert read.content is not None
    assert [m.name for m in read.content.members] == [SATO["name"], LAN["name"]]
    assert read.content.budget[0].member == 1  # Lan, the second member
    assert read.raw.member_rows == (1, 3)


def test_the_form_pads_one_blank_row_within_the_limits() -> None:
    form = blank_form(LIMITS, member=SATO)
    assert [(r.number, r.blank) for r in form.members] == [(1, False), (2, True)]
    assert [r.number for r in form.budget] == [1]
    form.padded(LIMITS)  # already has its blank rows
    assert len(form.members) == 2 and len(form.budget) == 1
    people = {i: {**SATO, "email": f"p{i}@x.org"} for i in range(30)}
    full = form_from_fields(posted(people, {}), [])
    assert len(full.padded(LIMITS).members) == 30  # no room for a blank row


def test_row_buttons_add_within_the_limit_and_remove_a_member_from_budget_lines() -> None:
    assert row_action({"add": "members"}) == ("add", "members")
    assert row_action({"remove": "b3"}) == ("remove", "b3")
    assert row_action({"remove": "x; drop"}) is None
    assert row_action({}) is None
    form = form_from_fields(posted({0: SATO, 1: LAN}, {0: {**LINE, "member": "2"}}), [])
    form.add_row("members", LIMITS)
    assert [r.number for r in form.members] == [1, 2, 3]
    form.remove_row("m1")
    assert [r.number for r in form.members] == [1, 3]
    assert form.budget[0].value["member"] == ""  # it named the member removed
    tight = RowLimits(members=3, years=1, funders_per_team=1)
    form.add_row("members", tight)
    with pytest.raises(InvalidInput, match="at most 3 people"):
        form.add_row("members", tight)


def test_problems_are_sentences_naming_the_row_and_field_people_see() -> None:
    bad_line = {**LINE, "amount": "-5"}
    empty_year = {**LINE, "year": ""}
    form = form_from_fields(
        posted(
            {0: SATO, 2: {**LAN, "email": "", "sector": ""}},
            {0: LINE, 1: empty_year, 3: bad_line},
            duration_months="",
        ),
        [],
    )
    read = read_form(form, LIMITS)
    assert read.content is None
    assert set(read.problems) == {
        FieldProblem("duration_months", "Duration (months) is required"),
        FieldProblem("m2_email", "Member 3: e-mail is required"),
        FieldProblem("m2_sector", "Member 3: sector is required"),
        FieldProblem("b1_year", "Budget line 2: year is required"),
        FieldProblem("b3_amount", "Budget line 4: amount must be a positive number"),
    }


def test_a_consortium_whose_every_row_has_a_problem_is_not_also_called_empty() -> None:
    form = form_from_fields(posted({0: {**SATO, "sector": ""}}, {}), [])
    problems = {p.field: p.message for p in read_form(form, LIMITS).problems}
    assert problems == {"m0_sector": "Member 1: sector is required"}
    empty = form_from_fields(posted({}, {}), [])
    problems = {p.field: p.message for p in read_form(empty, LIMITS).problems}
    assert problems == {"members": "Consortium needs at least one member"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "ab"}, "title", "Title needs at least 3 characters"),
        (
            {"m1_orcid": "0000-0002-1825-0098"},
            "m1_orcid",
            "Member 2: ORCID iD is not a valid ORCID iD",
        ),
        (
            {"m1_email": "not an address"},
            "m1_email",
            "Member 2: e-mail must be an e-mail address",
        ),
        (
            {"m1_email": SATO["email"]},
            "members",
            "Consortium: each person once; repeated e-mail",
        ),
        ({"b0_year": "2027.5"}, "b0_year", "Budget line 1: year must be a whole number"),
        ({"b0_year": "1999"}, "b0_year", "Budget line 1: year must be at least 2000"),
        (
            {"b0_amount": "12.345"},
            "b0_amount",
            "Budget line 1: amount can have at most 2 decimal places",
        ),
        (
            {"b0_member": "7"},
            "b0_member",
            "Budget line 1: member 7 is not a filled consortium row; choose one of rows 1, 2",
        ),
        (
            {"b0_member": ""},
            "b0_member",
            "Budget line 1: choose the member it pays for (rows 1, 2)",
        ),
    ],
)
def test_each_kind_of_problem_in_words(change: dict[str, str], field: str, message: str) -> None:
    form = form_from_fields({**posted({0: SATO, 1: LAN}, {0: LINE}), **change}, [])
    problems = {p.field: p.message for p in read_form(form, LIMITS).problems}
    assert field in problems, problems
    assert problems[field].startswith(message), problems[field]
    assert "[" not in problems[field]  # no list positions such as members[1]


def test_more_rows_than_the_limits_are_refused_naming_them() -> None:
    tight = RowLimits(members=2, years=1, funders_per_team=1)
    third = {**LAN, "email": "third@example.org", "role": "partner"}
    three = {0: LINE, 1: LINE, 2: LINE}
    form = form_from_fields(posted({0: SATO, 1: LAN, 2: third}, three), [])
    problems = {p.field: p.message for p in read_form(form, tight).problems}
    assert problems["members"] == "A consortium lists at most 2 people. Remove 1 of the rows."
    assert problems["budget"].startswith("At most 2 budget lines:")
    assert problems["budget"].endswith("Remove 1 of the rows.")


def test_verdicts_name_rows_as_the_form_numbers_them() -> None:
    # Budget row 1 is blank, so budget[0] is the form's line 2; member row 2 is a gap.
    form = form_from_fields(posted({0: SATO, 2: LAN}, {1: {**LINE, "member": "3"}}), [])
    raw = raw_content(form)
    verdicts = [
        Verdict("budget.funder_pays_own", False, "budget[0]: JST pays only for teams in JPN; "
                "Nguyễn Thị Lan is in VNM", "budget[0].funder"),
        Verdict("consortium.roles", False, "members[1].role: 'x' is not a role", "members[1].role"),
        Verdict("duration.range", True, "36 months"),
    ]  # fmt: skip
    lines = verdicts_in_words(verdicts, raw)
    assert lines[0].message == (
        "Budget line 2: JST pays only for teams in JPN; Nguyễn Thị Lan is in VNM"
    )
    assert lines[0].field == "b1_funder"
    assert lines[1].message == "Member 3: 'x' is not a role"
    assert lines[1].field == "m2_role"
    assert (lines[2].message, lines[2].field) == ("36 months", "")
