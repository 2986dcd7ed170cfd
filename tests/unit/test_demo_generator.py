"""The synthetic demo data generator: seeded, realistic in shape, and honest about its rules."""

from __future__ import annotations

import ast
import copy
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES
from nexus_sti.core.errors import InvalidInput
from nexus_sti.demo.generator import (
    BUDGET_STEP_JPY,
    DemoDataset,
    DemoParams,
    DemoParamsError,
    generate_demo,
    institution_counts,
)
from nexus_sti.demo.institutions import organisation_name_options
from nexus_sti.demo.names import make_person_name
from nexus_sti.demo.texts import proposal_text

# Orders of magnitude from the reference data: internationally co-authored works per country
# (OpenAlex, 2023) and works co-authored with Japan.
CAPACITY = {
    "JPN": 59574.0,
    "BRN": 1222.0,
    "KHM": 2656.0,
    "IDN": 26773.0,
    "LAO": 393.0,
    "MYS": 30039.0,
    "MMR": 709.0,
    "PHL": 5426.0,
    "SGP": 24273.0,
    "THA": 13923.0,
    "VNM": 10955.0,
    "TLS": 179.0,
}
COAUTHORSHIP = {
    "BRN": 25.0,
    "KHM": 128.0,
    "IDN": 2348.0,
    "LAO": 47.0,
    "MYS": 1399.0,
    "MMR": 104.0,
    "PHL": 563.0,
    "SGP": 1477.0,
    "THA": 1799.0,
    "VNM": 1218.0,
    "TLS": 5.0,
}
PARAMS = DemoParams(research_capacity=CAPACITY, coauthorship_with_japan=COAUTHORSHIP)

# Unicode blocks of the local scripts (Japanese also uses kana and the iteration mark 々).
SCRIPT_RANGES = {
    "THA": [(0x0E00, 0x0E7F)],
    "LAO": [(0x0E80, 0x0EFF)],
    "KHM": [(0x1780, 0x17FF)],
    "MMR": [(0x1000, 0x109F)],
    "JPN": [(0x4E00, 0x9FFF), (0x3040, 0x30FF), (0x3005, 0x3005)],
}


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return generate_demo(PARAMS, np.random.default_rng(42))


def in_script(text: str, iso3: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in SCRIPT_RANGES[iso3])


def only_script(text: str, iso3: str) -> bool:
    return all(
        ch.isspace() or any(lo <= ord(ch) <= hi for lo, hi in SCRIPT_RANGES[iso3]) for ch in text
    )


def orcid_is_valid(orcid: str) -> bool:
    if not re.fullmatch(r"0000-000\d-\d{4}-\d{3}[\dX]", orcid):
        return False
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def ranks(values: list[float]) -> np.ndarray:
    """Average ranks (ties share the mean rank), as Spearman's coefficient needs."""
    array = np.asarray(values, dtype=float)
    order = np.argsort(array, kind="stable")
    result = np.empty(len(array))
    result[order] = np.arange(len(array), dtype=float)
    for value in np.unique(array):
        tied = array == value
        result[tied] = result[tied].mean()
    return result


def spearman(a: list[float], b: list[float]) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def check_invariants(data: DemoDataset, params: DemoParams) -> None:
    """Rules every generated data set obeys, whatever the seed and sizes."""
    orgs = {o.key: o for o in data.organisations}
    people = {r.key: r for r in data.researchers}
    assert list(orgs) == list(range(1, len(orgs) + 1))
    assert list(people) == list(range(1, len(people) + 1))
    assert len(data.proposals) == params.n_proposals
    assert len(data.mobility_applicants) == params.n_mobility_applicants
    assert len(data.host_offers) == params.n_host_offers
    for r in data.researchers:
        assert orgs[r.organisation_key].country == r.country
        assert 1 <= len(r.areas) <= 3
        assert set(r.areas) <= set(AREA_CODES)
        assert orcid_is_valid(r.orcid), r.orcid
        assert r.email.isascii()
        assert r.email.endswith("@example.org")
    assert len({r.email for r in data.researchers}) == len(data.researchers)
    assert len({r.orcid for r in data.researchers}) == len(data.researchers)

    reviewers = [r for r in data.researchers if r.is_reviewer]
    assert len(reviewers) == params.n_reviewers
    assert {r.country for r in reviewers} == set(ISO3_CODES)
    assert all(r.career_stage in ("mid", "senior") for r in reviewers)

    for p in data.proposals:
        countries = [m.country for m in p.members]
        asean = set(countries) & set(ASEAN_MEMBERS)
        assert p.members[0].role == "lead"
        assert p.members[0].researcher_key == p.lead_key
        assert people[p.lead_key].country == "JPN"
        assert [m.role for m in p.members].count("lead") == 1
        assert len({m.researcher_key for m in p.members}) == len(p.members)
        for m in p.members:
            person = people[m.researcher_key]
            assert (m.organisation_key, m.country) == (person.organisation_key, person.country)
            is_company = orgs[m.organisation_key].kind == "company"
            assert is_company == (m.role == "industry")
        co_leads = [m.country for m in p.members if m.role == "co_lead"]
        assert sorted(co_leads) == sorted(asean), "one co-lead per ASEAN partner country"
        if p.track == "bilateral":
            assert set(countries) == {"JPN", *asean}
            assert len(asean) == 1
            budget = params.bilateral_budget_jpy
            assert p.duration_months == 36
        else:
            assert len(asean) >= 2
            assert any(m.role == "industry" for m in p.members)
            budget = params.regional_budget_jpy
            assert 36 <= p.duration_months <= 60
        assert budget[0] <= p.requested_jpy <= budget[1]
        assert p.requested_jpy % BUDGET_STEP_JPY == 0
        assert p.area in AREA_CODES
        assert p.title
        assert p.abstract

    applicants = [a.researcher_key for a in data.mobility_applicants]
    assert len(set(applicants)) == len(applicants)
    for a in data.mobility_applicants:
        home = people[a.researcher_key].country
        if a.direction == "to_japan":
            assert home in ASEAN_MEMBERS
            assert a.preferred_countries == ("JPN",)
        else:
            assert home == "JPN"
            assert set(a.preferred_countries) <= set(ASEAN_MEMBERS)
            assert len(set(a.preferred_countries)) == len(a.preferred_countries) >= 1
        assert a.areas == people[a.researcher_key].areas
    for h in data.host_offers:
        host = people[h.host_researcher_key]
        assert (host.organisation_key, host.country) == (h.organisation_key, h.country)
        assert orgs[h.organisation_key].kind != "company"
        assert h.area in host.areas
        assert h.capacity >= 1


def test_same_seed_gives_the_same_data_and_another_seed_different_data(demo: DemoDataset) -> None:
    assert generate_demo(PARAMS, np.random.default_rng(42)) == demo
    other = generate_demo(PARAMS, np.random.default_rng(43))
    assert other != demo
    assert [r.name for r in other.researchers] != [r.name for r in demo.researchers]


def test_seed_note_labels_the_data_synthetic(demo: DemoDataset) -> None:
    assert "seed 42" in demo.seed_note
    assert "synthetic" in demo.seed_note
    assert "not real people" in demo.seed_note


def test_full_size_data_set_obeys_every_rule(demo: DemoDataset) -> None:
    check_invariants(demo, PARAMS)


def test_generation_does_not_mutate_params_or_see_later_caller_changes() -> None:
    capacity = dict(CAPACITY)
    params = DemoParams(research_capacity=capacity, coauthorship_with_japan=COAUTHORSHIP)
    snapshot = copy.deepcopy(params)
    generate_demo(params, np.random.default_rng(1))
    assert params == snapshot
    capacity["JPN"] = -1.0  # the caller's dict changes after validation
    assert params.research_capacity["JPN"] == CAPACITY["JPN"]


def test_institutions_follow_research_capacity(demo: DemoDataset) -> None:
    counts = institution_counts(PARAMS)
    actual = Counter(o.country for o in demo.organisations)
    assert dict(actual) == counts
    by_capacity = sorted(ISO3_CODES, key=lambda c: CAPACITY[c])
    assert [counts[c] for c in by_capacity] == sorted(counts.values())
    assert counts["JPN"] == PARAMS.max_institutions_per_country
    assert min(counts.values()) >= PARAMS.min_institutions_per_country
    kinds = Counter(o.kind for o in demo.organisations)
    assert 0.1 <= kinds["company"] / len(demo.organisations) <= 0.3
    for iso3 in ISO3_CODES:
        own = [o.kind for o in demo.organisations if o.country == iso3]
        assert "company" in own
        assert "university" in own
    assert len({o.name for o in demo.organisations}) == len(demo.organisations)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.5, 1e6), min_size=12, max_size=12))
def test_institution_counts_are_monotone_in_capacity(capacities: list[float]) -> None:
    params = DemoParams(
        research_capacity=dict(zip(ISO3_CODES, capacities, strict=True)),
        coauthorship_with_japan=COAUTHORSHIP,
    )
    counts = institution_counts(params)
    ordered = sorted(ISO3_CODES, key=lambda c: params.research_capacity[c])
    assert [counts[c] for c in ordered] == sorted(counts.values())
    assert all(2 <= n <= 25 for n in counts.values())


def test_bigger_institutions_have_more_researchers(demo: DemoDataset) -> None:
    headcount = Counter(r.organisation_key for r in demo.researchers)
    sizes = [o.size_weight for o in demo.organisations]
    assert spearman(sizes, [float(headcount[o.key]) for o in demo.organisations]) > 0.8


def test_reviewers_come_from_every_country_and_more_from_big_ones(demo: DemoDataset) -> None:
    reviewers = Counter(r.country for r in demo.researchers if r.is_reviewer)
    assert set(reviewers) == set(ISO3_CODES)
    assert reviewers["JPN"] > reviewers["TLS"]
    assert spearman([CAPACITY[c] for c in ISO3_CODES], [reviewers[c] for c in ISO3_CODES]) > 0.8


def test_partner_countries_follow_coauthorship_with_japan(demo: DemoDataset) -> None:
    appearances = Counter(
        m.country for p in demo.proposals for m in p.members if m.role == "co_lead"
    )
    weights = [COAUTHORSHIP[c] for c in ASEAN_MEMBERS]
    counts = [float(appearances[c]) for c in ASEAN_MEMBERS]
    assert appearances["IDN"] > appearances["TLS"]  # highest vs lowest weight
    assert spearman(weights, counts) > 0.7
    tracks = Counter(p.track for p in demo.proposals)
    assert tracks["bilateral"] == round(PARAMS.n_proposals * PARAMS.bilateral_share)


def test_every_member_state_can_appear_despite_tiny_coauthorship() -> None:
    params = DemoParams(
        research_capacity=CAPACITY, coauthorship_with_japan=COAUTHORSHIP, n_proposals=1500
    )
    data = generate_demo(params, np.random.default_rng(7))
    seen = {m.country for p in data.proposals for m in p.members}
    assert seen == set(ISO3_CODES)


def test_titles_are_varied(demo: DemoDataset) -> None:
    titles = [p.title for p in demo.proposals]
    assert len(set(titles)) >= 0.9 * len(titles)
    assert len({p.abstract for p in demo.proposals}) == len(titles)


def test_every_priority_area_has_text_material() -> None:
    rng = np.random.default_rng(0)
    for area in AREA_CODES:
        title, abstract = proposal_text(
            area=area,
            track="regional",
            partner_names=["Thailand", "Philippines"],
            duration_months=48,
            rng=rng,
        )
        assert title[0].isupper()
        assert "four-year" in abstract
        assert "Japan, Thailand and the Philippines" in abstract


@pytest.mark.parametrize("iso3", sorted(SCRIPT_RANGES))
def test_names_are_written_in_the_local_script(iso3: str, demo: DemoDataset) -> None:
    names = [r.name for r in demo.researchers if r.country == iso3]
    assert names
    for name in names:
        assert in_script(name.local, iso3), name
        assert only_script(name.local, iso3), name
        assert name.latin.isascii()
        assert name.latin.strip()
        assert unicodedata.normalize("NFC", name.local) == name.local
    for option in organisation_name_options(iso3, "university"):
        assert option.local is not None
        assert in_script(option.local, iso3)


def test_name_conventions_per_country() -> None:
    rng = np.random.default_rng(3)
    sato = make_person_name("JPN", rng)
    assert sato.script == "Jpan"
    assert sato.latin == f"{sato.family_latin} {sato.given_latin}"
    thai = make_person_name("THA", rng)
    assert thai.latin == f"{thai.given_latin} {thai.family_latin}"
    assert thai.sort_key.startswith(thai.family_latin.casefold())
    burmese = [make_person_name("MMR", rng) for _ in range(50)]
    assert all(n.family_latin == "" and 2 <= len(n.latin.split()) <= 3 for n in burmese)
    viet = [make_person_name("VNM", rng) for _ in range(50)]
    assert any(not n.local.isascii() for n in viet)
    assert all(n.latin.isascii() for n in viet)
    assert all(n.latin.split()[0] == n.family_latin for n in viet)
    malaysian = [make_person_name("MYS", rng).latin for _ in range(200)]
    assert any(re.search(r" (bin|binti) ", n) for n in malaysian)
    assert any(re.search(r" a/[lp] ", n) for n in malaysian)
    singaporean = [make_person_name("SGP", rng) for _ in range(100)]
    assert any(n.script == "Hans" for n in singaporean)


def test_orcids_emails_and_budgets(demo: DemoDataset) -> None:
    assert all(orcid_is_valid(r.orcid) for r in demo.researchers)
    assert not orcid_is_valid("0000-0002-1825-0098")  # a wrong check digit is caught
    assert orcid_is_valid("0000-0002-1825-0097")  # ORCID's own documented example
    assert all(r.email.isascii() for r in demo.researchers)
    regional = [p.requested_jpy for p in demo.proposals if p.track == "regional"]
    bilateral = [p.requested_jpy for p in demo.proposals if p.track == "bilateral"]
    assert min(regional) >= 90_000_000
    assert max(regional) <= 150_000_000
    assert min(bilateral) >= 25_000_000
    assert max(bilateral) <= 40_000_000


def test_mobility_mostly_flows_to_japan_and_hosts_are_mostly_japanese(demo: DemoDataset) -> None:
    directions = Counter(a.direction for a in demo.mobility_applicants)
    assert directions["to_japan"] > 2 * directions["to_asean"] > 0
    hosts = Counter(h.country for h in demo.host_offers)
    assert hosts["JPN"] > len(demo.host_offers) / 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"research_capacity": {c: 1.0 for c in ISO3_CODES if c != "LAO"}}, "research_capacity"),
        ({"research_capacity": {**CAPACITY, "TLS": 0.0}}, "research_capacity"),
        ({"research_capacity": {**CAPACITY, "XXX": 3.0}}, "research_capacity"),
        ({"coauthorship_with_japan": dict.fromkeys(ASEAN_MEMBERS, 0.0)}, "coauthorship_with_japan"),
        ({"coauthorship_with_japan": {**COAUTHORSHIP, "JPN": 1.0}}, "coauthorship_with_japan"),
        ({"n_proposals": -1}, "n_proposals"),
        ({"n_reviewers": 5}, "n_reviewers"),
        ({"min_institutions_per_country": 1}, "min_institutions_per_country"),
        ({"max_institutions_per_country": 1}, "max_institutions_per_country"),
        ({"bilateral_share": 1.5}, "bilateral_share"),
        ({"bilateral_budget_jpy": (40_000_000, 25_000_000)}, "bilateral_budget_jpy"),
        ({"regional_budget_jpy": (90_000_001, 90_000_099)}, "regional_budget_jpy"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "research_capacity": CAPACITY,
        "coauthorship_with_japan": COAUTHORSHIP,
        **change,
    }
    with pytest.raises(ValueError, match=field) as raised:
        DemoParams(**arguments)  # type: ignore[arg-type]
    assert isinstance(raised.value, InvalidInput)
    assert raised.value.field == field


def test_more_reviewers_than_researchers_is_refused() -> None:
    params = DemoParams(
        research_capacity=CAPACITY,
        coauthorship_with_japan=COAUTHORSHIP,
        n_reviewers=10_000,
        max_institutions_per_country=3,
    )
    with pytest.raises(DemoParamsError, match="n_reviewers"):
        generate_demo(params, np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_proposals=st.integers(0, 25),
    n_reviewers=st.integers(12, 24),
    n_mobility=st.integers(0, 15),
    n_hosts=st.integers(0, 8),
    min_institutions=st.integers(2, 3),
    extra_institutions=st.integers(0, 3),
    per_institution=st.integers(1, 4),
    bilateral_share=st.floats(0.0, 1.0),
    capacities=st.lists(st.floats(1.0, 1e5), min_size=12, max_size=12),
    coauthorship=st.lists(st.floats(0.0, 1e4), min_size=11, max_size=11).filter(any),
)
def test_invariants_hold_for_any_seed_and_small_sizes(
    seed: int,
    n_proposals: int,
    n_reviewers: int,
    n_mobility: int,
    n_hosts: int,
    min_institutions: int,
    extra_institutions: int,
    per_institution: int,
    bilateral_share: float,
    capacities: list[float],
    coauthorship: list[float],
) -> None:
    params = DemoParams(
        research_capacity=dict(zip(ISO3_CODES, capacities, strict=True)),
        coauthorship_with_japan=dict(zip(ASEAN_MEMBERS, coauthorship, strict=True)),
        n_proposals=n_proposals,
        n_reviewers=n_reviewers,
        n_mobility_applicants=n_mobility,
        n_host_offers=n_hosts,
        min_institutions_per_country=min_institutions,
        max_institutions_per_country=min_institutions + extra_institutions,
        researchers_per_institution=per_institution,
        bilateral_share=bilateral_share,
    )
    data = generate_demo(params, np.random.default_rng(seed))
    check_invariants(data, params)
    assert data == generate_demo(params, np.random.default_rng(seed))


def test_demo_core_imports_no_database_web_or_settings() -> None:
    demo_dir = Path(__file__).resolve().parents[2] / "src" / "nexus_sti" / "demo"
    pure = ["generator.py", "names.py", "institutions.py", "params.py", "records.py", "texts.py"]
    forbidden = ("sqlalchemy", "fastapi", "starlette", "nexus_sti.platform", "typer", "alembic")
    for name in pure:
        text = (demo_dir / name).read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(forbidden), f"{name} imports {node.module}"
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith(forbidden) for a in node.names), name
        assert "datetime.now" not in text
        assert "np.random.seed" not in text
        assert "default_rng(" not in text, f"{name} must take its generator from the caller"
