"""Eligibility rules: each names what to change, on NEXUS's tracks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from nexus_sti.programs.loader import load_preset
from nexus_sti.proposals.eligibility import (
    CallRules,
    Context,
    apply_overrides,
    check_eligibility,
    is_eligible,
    rules_for_call,
)
from nexus_sti.proposals.model import ProposalContent, parse_content

CONFIG = load_preset().config
EASIA = load_preset("easia").config


def rules(track: str, config: Any = CONFIG) -> CallRules:
    return rules_for_call(
        config,
        track,
        call_reference="NEXUS-2027-BIL",
        call_areas=("climate", "energy", "ai"),
        rate_date=date(2027, 1, 1),
    )


def member(name: str, country: str, role: str, sector: str = "university") -> dict[str, Any]:
    return {
        "name": name,
        "email": f"{name.split()[0].lower()}@example.org",
        "country": country,
        "organisation_name": f"{country} University",
        "sector": sector,
        "role": role,
    }


def bilateral(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "title": "Flood forecasting for the Mekong delta",
        "abstract": "Joint work on hydrological models.",
        "area": "climate",
        "duration_months": 36,
        "members": [member("Sato Ken", "JPN", "lead_jp"), member("Nguyen Lan", "VNM", "lead_ams")],
        "budget": [
            {"member": 0, "year": 2027, "funder": "jst", "amount": "12000000", "currency": "JPY"},
            {"member": 0, "year": 2028, "funder": "jst", "amount": "12000000", "currency": "JPY"},
            {"member": 1, "year": 2027, "funder": "cofunder-vnm", "amount": "900000000",
             "currency": "VND"},
        ],
    }  # fmt: skip
    return raw | changes


def failing(content: ProposalContent, track: str = "bilateral", **ctx: Any) -> dict[str, str]:
    context = Context(attachments=ctx.pop("attachments", ("project_description",)), **ctx)
    return {
        v.rule_id: v.message
        for v in check_eligibility(content, rules(track), context)
        if not v.passed
    }


def test_a_good_bilateral_proposal_passes_every_rule() -> None:
    verdicts = check_eligibility(
        parse_content(bilateral()),
        rules("bilateral"),
        Context(attachments=("project_description",)),
    )
    assert is_eligible(verdicts)
    assert {v.rule_id for v in verdicts} >= {"consortium.lead", "consortium.countries",
                                             "budget.caps", "attachments.required"}  # fmt: skip


def test_bilateral_means_exactly_one_partner_country() -> None:
    raw = bilateral()
    raw["members"] = [*raw["members"], member("Somchai Jaidee", "THA", "lead_ams")]
    assert (
        "exactly 1 partner country; this consortium has 2 (Thailand, Viet Nam)"
        in failing(parse_content(raw))["consortium.countries"]
    )


def test_the_lead_must_be_based_where_the_track_says() -> None:
    raw = bilateral()
    raw["members"][0]["country"] = "THA"
    problems = failing(parse_content(raw))
    assert "must be based in Japan" in problems["consortium.lead"]
    raw = bilateral()
    raw["members"][1]["country"] = "JPN"
    assert "must be based in BRN, KHM" in failing(parse_content(raw))["consortium.roles"]
    raw["members"][1]["role"] = "observer"
    assert (
        "'observer' is not a role of this program"
        in failing(parse_content(raw))["consortium.roles"]
    )


def test_regional_needs_two_member_states_and_industry() -> None:
    problems = failing(parse_content(bilateral(duration_months=48)), "regional")
    assert "at least 2 partner countries" in problems["consortium.countries"]
    assert "at least 1 industry partner" in problems["consortium.industry"]
    raw = bilateral(duration_months=48)
    raw["members"] = [*raw["members"], member("Somchai Jaidee", "THA", "lead_ams"),
                      member("Tanaka Corp", "JPN", "partner", sector="industry")]  # fmt: skip
    raw["budget"] = raw["budget"][:2]
    assert failing(parse_content(raw), "regional") == {}


def test_budget_rules_name_what_to_change() -> None:
    raw = bilateral()
    raw["budget"][2] = {"member": 1, "year": 2027, "funder": "cofunder-tha", "amount": "1000",
                        "currency": "THB"}  # fmt: skip
    assert (
        "pays only for teams in THA; Nguyen Lan is in VNM"
        in failing(parse_content(raw))["budget.funder_pays_own"]
    )
    raw = bilateral()
    raw["budget"][0]["amount"] = "16000000"
    assert (
        "2027: 16,000,000 JPY from the implementing agency; the most per year is 15,000,000 JPY"
        in failing(parse_content(raw))["budget.caps"]
    )
    raw = bilateral()
    raw["budget"][0]["currency"] = "USD"
    raw["budget"][0]["amount"] = "100000"  # 15,000,000 JPY at the planning rate: still in range
    assert "jst" not in failing(parse_content(raw)).get("budget.funder_pays_own", "")
    assert "budgets in JPY, not USD" in failing(parse_content(raw))["budget.funder_pays_own"]


def test_duration_areas_attachments_and_leads() -> None:
    problems = failing(parse_content(bilateral(duration_months=60, area="quantum")), attachments=())
    assert problems["duration.range"] == "duration must be 24 to 36 months, not 60"
    assert "not quantum" in problems["areas.in_call"]
    assert "project description" in problems["attachments.required"]
    elsewhere = failing(
        parse_content(bilateral()), leads_elsewhere={"sato@example.org": "NEXUS-2027-BIL-0007"}
    )
    assert "Sato Ken already leads NEXUS-2027-BIL-0007" in elsewhere["leads.one_per_call"]
    waiting = failing(parse_content(bilateral()), unconfirmed=(1,))
    assert (
        waiting["consortium.confirmed"] == "waiting for Nguyen Lan to confirm their participation"
    )


def test_overrides_replace_a_verdict_and_keep_the_reason() -> None:
    verdicts = check_eligibility(parse_content(bilateral(duration_months=40)), rules("bilateral"),
                                 Context(attachments=("project_description",)))  # fmt: skip
    assert not is_eligible(verdicts)
    fixed = apply_overrides(verdicts, {"duration.range": (True, "agreed 4-month extension")})
    assert is_eligible(fixed)
    assert "agreed 4-month extension (was: duration must be 24 to 36 months" in next(
        v.message for v in fixed if v.rule_id == "duration.range"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"members": [member("佐藤 健", "XXX", "lead_jp")]}, "members[0].country"),
        (
            {
                "budget": [
                    {"member": 0, "year": 2027, "funder": "jst", "amount": "-5", "currency": "JPY"}
                ]
            },
            "budget[0].amount",
        ),
        (
            {
                "budget": [
                    {"member": 0, "year": 2027, "funder": "jst", "amount": "5", "currency": "YEN"}
                ]
            },
            "budget[0].currency",
        ),
        (
            {
                "members": [
                    member("สมชาย ใจดี", "THA", "lead_ams") | {"orcid": "0000-0002-1825-0098"}
                ]
            },
            "members[0].orcid",
        ),
        ({"title": ""}, "title"),
    ],
)
def test_bad_content_names_the_field(change: dict[str, Any], field: str) -> None:
    from nexus_sti.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        parse_content(bilateral(**change))
    assert caught.value.field == field


def test_names_in_every_script_are_accepted() -> None:
    raw = bilateral()
    raw["members"] = [
        member("佐藤 健", "JPN", "lead_jp"),
        member("ສົມພອນ ແກ້ວມະນີ", "LAO", "lead_ams"),
        member("សុខ ដារ៉ា", "KHM", "partner"),
        member("အောင်ကျော်", "MMR", "partner"),
        member("Nguyễn Thị Lan", "VNM", "partner"),
    ]
    for i, m in enumerate(raw["members"]):
        m["email"] = f"person{i}@example.org"
    raw["members"][0]["orcid"] = "0000-0002-1825-0097"
    content = parse_content(raw)
    assert content.members[1].name == "ສົມພອນ ແກ້ວມະນີ"
    assert content.members[0].orcid == "0000-0002-1825-0097"


def test_a_co_funders_own_caps_apply_in_its_currency() -> None:
    vietnam = CONFIG.funders[10]
    assert vietnam.country == "VNM"
    capped = vietnam.model_copy(update={"max_per_year": 500_000_000})
    call = rules("bilateral")
    call = CallRules(**{**call.__dict__, "funders": {**call.funders, vietnam.code: capped}})
    verdicts = check_eligibility(
        parse_content(bilateral()), call, Context(attachments=("project_description",))
    )
    failing = {v.rule_id: v.message for v in verdicts if not v.passed}
    assert failing["budget.caps"] == (
        "2027: Viet Nam national co-funding agency is asked for 900,000,000 VND; "
        "most per year 500,000,000 VND"
    )


def easia_proposal(*countries: str) -> dict[str, Any]:
    """A joint proposal led from the first country, one PI per other country, each team
    budgeted by its own country's agency."""
    funder = {f.country: f.code for f in EASIA.funders}
    members = [member(f"Lead{countries[0]} One", countries[0], "lead_pi")]
    members += [member(f"Pi{c} Two", c, "pi") for c in countries[1:]]
    budget = [
        {"member": i, "year": 2027, "funder": funder[c], "amount": "1000",
         "currency": {"JPN": "JPY", "THA": "THB", "VNM": "VND", "PHL": "PHP"}[c]}
        for i, c in enumerate(countries)
    ]  # fmt: skip
    return bilateral(members=members, budget=budget)


def test_a_multilateral_program_lets_any_member_country_lead_with_three_countries() -> None:
    joint = rules("joint", EASIA)
    led_from_thailand = parse_content(easia_proposal("THA", "VNM", "PHL"))
    verdicts = check_eligibility(
        led_from_thailand, joint, Context(attachments=("project_description",))
    )
    assert is_eligible(verdicts), [v.message for v in verdicts if not v.passed]
    two = check_eligibility(parse_content(easia_proposal("JPN", "VNM")), joint, Context())
    message = next(v.message for v in two if v.rule_id == "consortium.countries")
    assert "at least 3 countries; this consortium has 2 (Japan, Viet Nam)" in message
    # Every agency pays its own team only, and no implementing agency's cap applies.
    wrong = easia_proposal("THA", "VNM", "PHL")
    wrong["budget"][1]["funder"] = "nstda"
    paid = check_eligibility(parse_content(wrong), joint, Context())
    assert "pays only for teams in THA" in next(
        v.message for v in paid if v.rule_id == "budget.funder_pays_own"
    )
