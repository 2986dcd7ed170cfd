"""Seeded synthetic demo data for a call: organisations, researchers, proposals and mobility.

``generate_demo`` is pure: every random draw comes from the ``numpy.random.Generator`` passed in,
so the same seed and parameters give an identical ``DemoDataset``. Volumes and shapes follow the
reference data the caller passes in ``DemoParams``:

- institutions per country grow with the square root of research capacity, clamped to
  [min, max]; about a fifth are companies and every country has at least one;
- researchers per institution grow with its size; the first researcher of each is senior;
- reviewers are mid-career or senior, apportioned to countries by capacity (D'Hondt) after one
  per country;
- every proposal has a Japanese lead and one co-lead per ASEAN partner country; bilateral
  proposals have exactly one partner country, regional ones at least two and an industry member;
  partner countries are drawn in proportion to their recent co-authorship with Japan. For a
  multilateral program (``lead_country`` None) the lead's country is drawn among ``countries``
  by research capacity, and the partner countries among the others in the same way;
- mobility applicants mostly travel from ASEAN to Japan; host offers are mostly in Japan.

All keys are local integers 1..n within the dataset; the storing service maps them to ids.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ASEAN_MEMBERS, ISO3_CODES, country
from nexus_sti.demo.institutions import OrgKind, make_organisation_name
from nexus_sti.demo.names import PersonName, ascii_fold, make_person_name
from nexus_sti.demo.params import (
    BUDGET_STEP_JPY,
    DemoParams,
    DemoParamsError,
    fail,
    institution_counts,
)
from nexus_sti.demo.records import (
    CareerStage,
    DemoDataset,
    DemoHostOffer,
    DemoMember,
    DemoMobilityApplicant,
    DemoOrganisation,
    DemoProposal,
    DemoResearcher,
    MemberRole,
    Scheme,
    Track,
)
from nexus_sti.demo.texts import proposal_text

__all__ = [
    "BUDGET_STEP_JPY",
    "COMPANY_SHARE",
    "DemoDataset",
    "DemoHostOffer",
    "DemoMember",
    "DemoMobilityApplicant",
    "DemoOrganisation",
    "DemoParams",
    "DemoParamsError",
    "DemoProposal",
    "DemoResearcher",
    "generate_demo",
    "institution_counts",
]

COMPANY_SHARE = 0.2

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_BoolArray = npt.NDArray[np.bool_]

_STAGES: tuple[CareerStage, ...] = ("early", "mid", "senior")
_STAGE_P = (0.4, 0.35, 0.25)
_AREA_COUNT_P = (0.4, 0.4, 0.2)  # a researcher works in 1, 2 or 3 priority areas
_KIND_SIZE: dict[OrgKind, float] = {"university": 1.25, "institute": 0.9, "company": 0.5}
_UNIVERSITY_SHARE = 0.65  # of the academic organisations after the first university
_REGIONAL_SIZE_P = (0.45, 0.35, 0.15, 0.05)  # 2, 3, 4 or 5 ASEAN member states
_REGIONAL_DURATIONS = (36, 48, 60)
_REGIONAL_DURATION_P = (0.3, 0.4, 0.3)
_BILATERAL_MONTHS = 36
_TO_JAPAN_SHARE = 0.8
_HOST_IN_JAPAN_SHARE = 0.75
_SHORT_SCHEME_SHARE = 0.65  # of mobility applicants
_SHORT_OFFER_SHARE = 0.55  # of host offers
# Every member state gets this share of the total co-authorship weight on top of its own, so
# that one with almost no joint papers with Japan can still appear in the call.
_PARTNER_FLOOR = 0.002
_LINK_WORDS = frozenset({"bin", "binti", "a/l", "a/p", "s/o", "d/o"})
_JAPAN = ISO3_CODES.index("JPN")
_ASEAN_INDEX = np.array([ISO3_CODES.index(c) for c in ASEAN_MEMBERS], dtype=np.int64)


def generate_demo(params: DemoParams, rng: np.random.Generator) -> DemoDataset:
    """Generate a complete synthetic call; see the module docstring for the rules it follows."""
    organisations = _organisations(params, rng)
    researchers = _researchers(params, organisations, rng)
    pool = _Pool.of(organisations, researchers)
    reviewers = set(_reviewers(params, pool, rng))
    researchers = tuple(
        replace(r, is_reviewer=True) if i in reviewers else r for i, r in enumerate(researchers)
    )
    return DemoDataset(
        organisations=organisations,
        researchers=researchers,
        proposals=_proposals(params, pool, rng),
        mobility_applicants=_mobility_applicants(params, pool, researchers, rng),
        host_offers=_host_offers(params, pool, researchers, rng),
        seed_note=_seed_note(rng),
    )


def _seed_note(rng: np.random.Generator) -> str:
    sequence = rng.bit_generator.seed_seq
    if isinstance(sequence, np.random.SeedSequence):
        seed = str(sequence.entropy)
        if sequence.spawn_key:
            seed += f" (spawn key {sequence.spawn_key})"
    else:
        seed = "(unrecorded)"
    return f"synthetic demo data generated with seed {seed} — not real people or institutions"


def _organisations(params: DemoParams, rng: np.random.Generator) -> tuple[DemoOrganisation, ...]:
    taken: set[str] = set()
    out: list[DemoOrganisation] = []
    for iso3, count in institution_counts(params).items():
        companies = max(1, round(COMPANY_SHARE * count))
        kinds: list[OrgKind] = ["university"]
        for _ in range(count - companies - 1):
            kinds.append("university" if rng.random() < _UNIVERSITY_SHARE else "institute")
        kinds.extend(["company"] * companies)
        for kind in kinds:
            name = make_organisation_name(iso3, kind, rng, taken)
            taken.add(name.english)
            size = round(float(rng.lognormal(0.0, 0.5)) * _KIND_SIZE[kind], 3)
            out.append(DemoOrganisation(len(out) + 1, name.english, name.local, iso3, kind, size))
    return tuple(out)


def _researchers(
    params: DemoParams, organisations: Sequence[DemoOrganisation], rng: np.random.Generator
) -> tuple[DemoResearcher, ...]:
    n_areas = len(AREA_CODES)
    # Countries, and organisations within them, concentrate on a few areas.
    profiles = {c: rng.dirichlet(np.full(n_areas, 1.5)) for c in ISO3_CODES}
    orcids: set[str] = set()
    emails: set[str] = set()
    out: list[DemoResearcher] = []
    for org in organisations:
        focus = 0.9 * rng.dirichlet(profiles[org.country] * 10 + 0.2) + 0.1 / n_areas
        focus /= focus.sum()
        minimum = 1 if org.kind == "company" else 2
        headcount = max(minimum, round(params.researchers_per_institution * org.size_weight))
        for j in range(headcount):
            stage = 2 if j == 0 else int(rng.choice(3, p=_STAGE_P))
            n_own = 1 + int(rng.choice(3, p=_AREA_COUNT_P))
            own = sorted(int(a) for a in rng.choice(n_areas, size=n_own, replace=False, p=focus))
            name = make_person_name(org.country, rng)
            out.append(
                DemoResearcher(
                    key=len(out) + 1,
                    organisation_key=org.key,
                    country=org.country,
                    name=name,
                    areas=tuple(AREA_CODES[a] for a in own),
                    career_stage=_STAGES[stage],
                    orcid=_orcid(rng, orcids),
                    email=_email(name, emails),
                    is_reviewer=False,
                )
            )
    return tuple(out)


def _orcid_check(base: str) -> str:
    """ISO 7064 MOD 11-2 check character of 15 digits, as ORCID uses."""
    total = 0
    for digit in base:
        total = (total + int(digit)) * 2
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _orcid(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        base = f"0000000{int(rng.integers(1, 4))}{int(rng.integers(0, 10**7)):07d}"
        full = base + _orcid_check(base)
        orcid = f"{full[0:4]}-{full[4:8]}-{full[8:12]}-{full[12:16]}"
        if orcid not in used:
            used.add(orcid)
            return orcid


def _email(name: PersonName, used: set[str]) -> str:
    if name.family_latin:
        words = [name.given_latin, name.family_latin]
    else:
        words = [w for w in name.latin.split() if w.casefold() not in _LINK_WORDS]
    local = ".".join(re.findall(r"[a-z0-9]+", ascii_fold(" ".join(words)).casefold()))
    local = local or "researcher"
    candidate, number = local, 1
    while candidate in used:
        number += 1
        candidate = f"{local}{number}"
    used.add(candidate)
    return f"{candidate}@example.org"


@dataclass(frozen=True, slots=True)
class _Pool:
    """Researchers as arrays (row i is the researcher with key i + 1), for weighted draws."""

    country: _IntArray  # index into ISO3_CODES
    organisation_key: _IntArray
    company: _BoolArray
    stage: _IntArray  # index into _STAGES
    areas: _BoolArray  # researchers x AREA_CODES

    @classmethod
    def of(
        cls, organisations: Sequence[DemoOrganisation], researchers: Sequence[DemoResearcher]
    ) -> _Pool:
        kinds = {o.key: o.kind for o in organisations}
        areas = np.zeros((len(researchers), len(AREA_CODES)), dtype=np.bool_)
        for i, r in enumerate(researchers):
            areas[i, [AREA_CODES.index(a) for a in r.areas]] = True
        return cls(
            country=np.array([ISO3_CODES.index(r.country) for r in researchers], dtype=np.int64),
            organisation_key=np.array([r.organisation_key for r in researchers], dtype=np.int64),
            company=np.array([kinds[r.organisation_key] == "company" for r in researchers]),
            stage=np.array([_STAGES.index(r.career_stage) for r in researchers], dtype=np.int64),
            areas=areas,
        )

    def member(self, index: int, role: MemberRole) -> DemoMember:
        return DemoMember(
            index + 1,
            int(self.organisation_key[index]),
            ISO3_CODES[int(self.country[index])],
            role,
        )


def _draw(rng: np.random.Generator, weights: npt.ArrayLike) -> int | None:
    """An index drawn with probability proportional to ``weights``; None if all are zero."""
    weights = np.asarray(weights, dtype=np.float64)
    positive = np.flatnonzero(weights > 0)
    if positive.size == 0:
        return None
    cumulative = np.cumsum(weights[positive])
    at = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(positive[min(at, positive.size - 1)])


class _Team:
    """The members of one proposal as they are drawn; nobody is drawn twice."""

    def __init__(self, pool: _Pool, rng: np.random.Generator) -> None:
        self._pool = pool
        self._rng = rng
        self._taken = np.zeros(pool.country.size, dtype=np.bool_)
        self.members: list[DemoMember] = []

    def add(self, weights: npt.ArrayLike, role: MemberRole) -> int | None:
        index = _draw(self._rng, np.where(self._taken, 0.0, weights))
        if index is not None:
            self._taken[index] = True
            self.members.append(self._pool.member(index, role))
        return index


def _reviewers(params: DemoParams, pool: _Pool, rng: np.random.Generator) -> list[int]:
    eligible = pool.stage >= 1
    pools = [np.flatnonzero(eligible & (pool.country == c)) for c in range(len(ISO3_CODES))]
    available = np.array([p.size for p in pools])
    if params.n_reviewers > available.sum():
        fail(
            "n_reviewers",
            "available",
            f"must not exceed the {available.sum()} mid-career and senior researchers generated; "
            "lower it or raise researchers_per_institution",
        )
    capacity = np.array([params.research_capacity[c] for c in ISO3_CODES])
    quota = np.ones(len(ISO3_CODES), dtype=np.int64)  # every country has a senior researcher
    for _ in range(params.n_reviewers - len(ISO3_CODES)):
        score = np.where(quota < available, capacity / (quota + 1), -1.0)
        quota[int(np.argmax(score))] += 1
    chosen: list[int] = []
    for candidates, q in zip(pools, quota, strict=True):
        weights = np.where(pool.stage[candidates] == 2, 2.0, 1.0)
        picks = rng.choice(candidates, size=int(q), replace=False, p=weights / weights.sum())
        chosen.extend(int(i) for i in picks)
    return sorted(chosen)


def partner_probabilities(params: DemoParams) -> _FloatArray:
    weights = np.array([params.coauthorship_with_japan[c] for c in ASEAN_MEMBERS])
    weights = weights + _PARTNER_FLOOR * weights.sum()
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _requested_jpy(budget: tuple[int, int], rng: np.random.Generator, skew: float = 1.0) -> int:
    low = math.ceil(budget[0] / BUDGET_STEP_JPY)
    high = budget[1] // BUDGET_STEP_JPY
    # skew > 1 pushes requests towards the top of the range (bigger consortia ask for more).
    step = min(int(rng.random() ** (1.0 / skew) * (high - low + 1)), high - low)
    return (low + step) * BUDGET_STEP_JPY


def _prefer_fresh(weights: _FloatArray, led: _FloatArray) -> _FloatArray:
    """Only people who lead nothing yet, while there are any; otherwise the least used."""
    fresh = weights * (led == 0)
    if fresh.sum() > 0:
        return np.asarray(fresh, dtype=np.float64)
    return np.asarray(weights / (1.0 + led) ** 2, dtype=np.float64)


def _multilateral_countries(
    params: DemoParams, size: int, rng: np.random.Generator
) -> tuple[int, list[int]]:
    """A lead country and ``size`` partner countries (indexes into ISO3_CODES), each drawn by
    the square root of research capacity among the program's countries."""
    weights = np.sqrt([params.research_capacity[c] for c in params.countries])
    lead = int(rng.choice(len(params.countries), p=weights / weights.sum()))
    others = [i for i in range(len(params.countries)) if i != lead]
    rest = weights[others]
    picks = rng.choice(len(others), size=min(size, len(others)), replace=False, p=rest / rest.sum())
    index = [ISO3_CODES.index(c) for c in params.countries]
    return index[lead], [index[others[int(i)]] for i in picks]


def _proposals(
    params: DemoParams, pool: _Pool, rng: np.random.Generator
) -> tuple[DemoProposal, ...]:
    # The track shares are exact; only the order of the tracks is random.
    n_bilateral = round(params.n_proposals * params.bilateral_share)
    bilateral = rng.permutation(np.arange(params.n_proposals) < n_bilateral)
    partner_p = partner_probabilities(params)
    area_p = rng.dirichlet(np.full(len(AREA_CODES), 8.0))
    if set(params.areas) != set(AREA_CODES):  # only the program's areas (the draws stay aligned)
        area_p = np.where(np.isin(AREA_CODES, params.areas), area_p, 0.0)
        area_p = area_p / area_p.sum()
    # Leads and co-leads per track (each track is its own call): the eligibility rule allows a
    # person to lead one proposal per call, so the generator reuses someone only when a
    # country's pool has nobody left.
    led = {"bilateral": np.zeros(pool.country.size), "regional": np.zeros(pool.country.size)}
    academic = ~pool.company
    stage_lead = np.array([0.0, 1.0, 1.5])[pool.stage]
    stage_co_lead = np.array([0.1, 1.0, 1.5])[pool.stage]
    stage_partner = np.array([1.0, 1.0, 0.7])[pool.stage]
    out: list[DemoProposal] = []
    for key in range(1, params.n_proposals + 1):
        track: Track = "bilateral" if bilateral[key - 1] else "regional"
        area = int(rng.choice(len(AREA_CODES), p=area_p))
        size = 1 if track == "bilateral" else 2 + int(rng.choice(4, p=_REGIONAL_SIZE_P))
        if params.lead_country is None:
            lead_country, partners = _multilateral_countries(params, size, rng)
        else:
            drawn = rng.choice(
                len(ASEAN_MEMBERS), size=min(size, len(ASEAN_MEMBERS)), replace=False, p=partner_p
            )
            lead_country, partners = _JAPAN, [int(_ASEAN_INDEX[i]) for i in drawn]
        team_countries = np.isin(pool.country, [lead_country, *partners])
        fits = np.where(pool.areas[:, area], 1.0, 0.2)
        team = _Team(pool, rng)
        lead_academic = academic & (pool.country == lead_country)
        leading = led[track]
        lead = team.add(_prefer_fresh(lead_academic * fits * stage_lead, leading), "lead")
        assert lead is not None  # every country's university has a senior researcher
        leading[lead] += 1
        for partner in partners:
            weights = (academic & (pool.country == partner)) * fits * stage_co_lead
            co_lead = team.add(_prefer_fresh(weights, leading), "co_lead")
            if co_lead is not None:
                leading[co_lead] += 1
        for _ in range(int(rng.integers(0, 3))):
            team.add((academic & team_countries) * fits * stage_partner, "partner")
        if track == "regional":
            industry = (pool.company & team_countries) * fits
            first = team.add(industry, "industry")
            assert first is not None  # every country has a company with a researcher
            if rng.random() < 0.3:
                team.add(industry, "industry")
            budget = _requested_jpy(params.regional_budget_jpy, rng, skew=len(partners) - 1.0)
            months = int(rng.choice(_REGIONAL_DURATIONS, p=_REGIONAL_DURATION_P))
        else:
            budget = _requested_jpy(params.bilateral_budget_jpy, rng)
            months = _BILATERAL_MONTHS
        title, abstract = proposal_text(
            area=AREA_CODES[area],
            track=track,
            partner_names=[country(ISO3_CODES[p]).name for p in partners],
            duration_months=months,
            rng=rng,
        )
        out.append(
            DemoProposal(
                key=key,
                track=track,
                area=AREA_CODES[area],
                title=title,
                abstract=abstract,
                lead_key=lead + 1,
                members=tuple(team.members),
                requested_jpy=budget,
                duration_months=months,
            )
        )
    return tuple(out)


def _mobility_applicants(
    params: DemoParams,
    pool: _Pool,
    researchers: Sequence[DemoResearcher],
    rng: np.random.Generator,
) -> tuple[DemoMobilityApplicant, ...]:
    capacity = np.array([params.research_capacity[c] for c in ISO3_CODES])
    # Applicants are mostly early-career academics; capacity matters less than for reviewers.
    base = (
        np.sqrt(capacity)[pool.country]
        * np.array([3.0, 2.0, 0.5])[pool.stage]
        * np.where(pool.company, 0.3, 1.0)
    )
    in_japan = pool.country == _JAPAN
    partner_p = partner_probabilities(params)
    used = np.zeros(pool.country.size, dtype=np.bool_)
    out: list[DemoMobilityApplicant] = []
    for key in range(1, params.n_mobility_applicants + 1):
        to_japan = bool(rng.random() < _TO_JAPAN_SHARE)
        index = _draw(rng, np.where(used | (in_japan == to_japan), 0.0, base))
        if index is None:  # that side has run out of researchers: take one from the other
            to_japan = not to_japan
            index = _draw(rng, np.where(used | (in_japan == to_japan), 0.0, base))
        if index is None:
            fail(
                "n_mobility_applicants",
                "available",
                f"must not exceed the {pool.country.size} researchers generated",
            )
        used[index] = True
        if to_japan:
            preferred: tuple[str, ...] = ("JPN",)
        else:
            count = 1 + int(rng.choice(3, p=(0.5, 0.35, 0.15)))
            picks = rng.choice(len(ASEAN_MEMBERS), size=count, replace=False, p=partner_p)
            preferred = tuple(ASEAN_MEMBERS[int(i)] for i in picks)
        out.append(
            DemoMobilityApplicant(
                key=key,
                researcher_key=index + 1,
                direction="to_japan" if to_japan else "to_asean",
                scheme="short" if rng.random() < _SHORT_SCHEME_SHARE else "long",
                areas=researchers[index].areas,
                preferred_countries=preferred,
            )
        )
    return tuple(out)


def _host_offers(
    params: DemoParams,
    pool: _Pool,
    researchers: Sequence[DemoResearcher],
    rng: np.random.Generator,
) -> tuple[DemoHostOffer, ...]:
    capacity = np.array([params.research_capacity[c] for c in ASEAN_MEMBERS])
    asean_p = capacity / capacity.sum()
    hosts = (~pool.company) & (pool.stage >= 1)
    hosted = np.zeros(pool.country.size)
    out: list[DemoHostOffer] = []
    for key in range(1, params.n_host_offers + 1):
        if rng.random() < _HOST_IN_JAPAN_SHARE:
            where = _JAPAN
        else:
            where = int(_ASEAN_INDEX[int(rng.choice(len(ASEAN_MEMBERS), p=asean_p))])
        index = _draw(rng, (hosts & (pool.country == where)) / (1.0 + hosted) ** 2)
        assert index is not None  # every country has a university with a senior researcher
        hosted[index] += 1
        host = researchers[index]
        scheme: Scheme = "short" if rng.random() < _SHORT_OFFER_SHARE else "long"
        # Short visits are group courses (up to about 8 people); long stays take one or two.
        seats = int(rng.integers(2, 9)) if scheme == "short" else int(rng.integers(1, 3))
        out.append(
            DemoHostOffer(
                key=key,
                organisation_key=host.organisation_key,
                host_researcher_key=host.key,
                country=host.country,
                area=host.areas[int(rng.integers(len(host.areas)))],
                capacity=seats,
                scheme=scheme,
            )
        )
    return tuple(out)
