"""The selection problem and result as documented JSON (``docs/selection.md``), so officers and
auditors can re-run a selection on exported data with ``nexus selection solve``.

Reading validates the whole file and names the field and the rule that failed; writing is the
exact inverse, so a problem written by a saved selection run reads back to the same problem and
the same digest.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nexus_sti.algorithms.portfolio import (
    Band,
    CandidateProposal,
    PortfolioProblem,
    PortfolioResult,
    PortfolioRules,
)
from nexus_sti.core.configfile import field_path
from nexus_sti.core.errors import InvalidInput

PROBLEM_FORMAT = "nexus-selection-problem/1"
RESULT_FORMAT = "nexus-selection-result/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CostLine(_Strict):
    funder: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2200)
    amount: float = Field(ge=0, allow_inf_nan=False)


class CandidateIn(_Strict):
    id: str = Field(min_length=1)
    merit: float = Field(allow_inf_nan=False)
    merit_interval: tuple[float, float] | None = None
    costs: list[CostLine] = []
    countries: list[str] = Field(min_length=1)
    country_funding: dict[str, float] = {}
    area: str
    track: str = ""
    organisations: list[str] = []
    lead: str = ""


class BandIn(_Strict):
    measure: Literal["share", "count"]
    low: float | None = Field(None, ge=0, allow_inf_nan=False)
    high: float | None = Field(None, ge=0, allow_inf_nan=False)


class RulesIn(_Strict):
    budgets: list[CostLine] = []
    funder_totals: dict[str, float] = {}
    country_bands: dict[str, BandIn] = {}
    inclusive_countries: list[str] = []
    area_minimums: dict[str, int] = {}
    track_bands: dict[str, BandIn] = {}
    organisation_cap: int | None = Field(None, ge=0)
    one_award_per_lead: bool = False


class OptionsIn(_Strict):
    time_limit: float = Field(10.0, gt=0, le=3600)
    gap: float = Field(1e-4, ge=0, le=1)
    lottery: bool = False
    seed: int = Field(0, ge=0, le=2**31 - 1)
    explain: bool = True
    rule_costs: bool = False
    # "auto": HiGHS branch and cut below 1,000 candidates, the racing search from there on;
    # decision records use "branch_and_cut", whose answer does not depend on thread timing.
    method: Literal["auto", "branch_and_cut", "search"] = "auto"


class ProblemIn(_Strict):
    format: Literal["nexus-selection-problem/1"]
    objective: Literal["merit", "merit_per_cost"] = "merit"
    currency: str = ""
    candidates: list[CandidateIn]
    rules: RulesIn = RulesIn()
    options: OptionsIn = OptionsIn()


def _band(band: BandIn | None) -> Band | None:
    return None if band is None else Band(band.measure, band.low, band.high)


def read_problem(
    raw: Mapping[str, Any], *, source: str = "problem"
) -> tuple[PortfolioProblem, OptionsIn]:
    """The problem and the solve options in ``raw`` (parsed JSON), or :class:`InvalidInput`
    naming the first field that breaks a rule (and the next few)."""
    try:
        parsed = ProblemIn.model_validate(raw)
    except ValidationError as exc:
        problems = [(field_path(tuple(e["loc"])), str(e["msg"])) for e in exc.errors()]
        field, rule = problems[0]
        if len(problems) > 1:
            rule += "; also " + "; ".join(f"{f}: {r}" for f, r in problems[1:6])
        raise InvalidInput(field, rule, f"{source}: {field}: {rule}") from None
    rules = parsed.rules
    try:
        problem = PortfolioProblem(
            candidates=tuple(
                CandidateProposal(
                    id=c.id,
                    merit=c.merit,
                    merit_interval=c.merit_interval,
                    costs={(line.funder, line.year): line.amount for line in c.costs},
                    countries=tuple(c.countries),
                    country_funding=dict(c.country_funding),
                    area=c.area,
                    track=c.track,
                    organisations=tuple(c.organisations),
                    lead=c.lead,
                )
                for c in parsed.candidates
            ),
            rules=PortfolioRules(
                budgets={(b.funder, b.year): b.amount for b in rules.budgets} or None,
                funder_totals=dict(rules.funder_totals) or None,
                country_bands={
                    k: Band(v.measure, v.low, v.high) for k, v in rules.country_bands.items()
                }
                or None,
                inclusive_countries=tuple(rules.inclusive_countries),
                area_minimums=dict(rules.area_minimums) or None,
                track_bands={
                    k: Band(v.measure, v.low, v.high) for k, v in rules.track_bands.items()
                }
                or None,
                organisation_cap=rules.organisation_cap,
                one_award_per_lead=rules.one_award_per_lead,
            ),
            objective=parsed.objective,
        )
    except InvalidInput as exc:
        where = exc.details.get("proposal")
        field = f"candidates[id={where}].{exc.field}" if where else exc.field
        raise InvalidInput(field, exc.rule, f"{source}: {field}: {exc.rule}") from None
    return problem, parsed.options


def _band_out(band: Band) -> dict[str, Any]:
    return {"measure": band.measure, "low": band.low, "high": band.high}


def write_problem(
    problem: PortfolioProblem, options: OptionsIn | None = None, *, currency: str = ""
) -> dict[str, Any]:
    """``problem`` (and ``options``) in the documented format; :func:`read_problem` inverts it."""
    rules = problem.rules
    return {
        "format": PROBLEM_FORMAT,
        "objective": problem.objective,
        "currency": currency,
        "candidates": [
            {
                "id": c.id,
                "merit": c.merit,
                "merit_interval": list(c.merit_interval) if c.merit_interval else None,
                "costs": [
                    {"funder": f, "year": y, "amount": a} for (f, y), a in sorted(c.costs.items())
                ],
                "countries": list(c.countries),
                "country_funding": dict(sorted(c.country_funding.items())),
                "area": c.area,
                "track": c.track,
                "organisations": list(c.organisations),
                "lead": c.lead,
            }
            for c in problem.candidates
        ],
        "rules": {
            "budgets": [
                {"funder": f, "year": y, "amount": a}
                for (f, y), a in sorted((rules.budgets or {}).items())
            ],
            "funder_totals": dict(sorted((rules.funder_totals or {}).items())),
            "country_bands": {
                k: _band_out(v) for k, v in sorted((rules.country_bands or {}).items())
            },
            "inclusive_countries": list(rules.inclusive_countries),
            "area_minimums": dict(sorted((rules.area_minimums or {}).items())),
            "track_bands": {k: _band_out(v) for k, v in sorted((rules.track_bands or {}).items())},
            "organisation_cap": rules.organisation_cap,
            "one_award_per_lead": rules.one_award_per_lead,
        },
        "options": (options or OptionsIn()).model_dump(),
    }


def digest_of(document: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``document`` (sorted keys, no spaces)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def write_result(
    result: PortfolioResult,
    *,
    inputs_digest: str,
    seed: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``result`` in the documented result format; ``extra`` adds explanations, rule costs..."""
    lottery = result.lottery
    out: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "inputs_digest": inputs_digest,
        "seed": seed,
        "status": result.status,
        "objective": result.objective,
        "gap": _finite(result.gap),
        "seconds": round(result.seconds, 3),
        "solver": result.solver,
        "selected": sorted(result.selected),
        "binding": list(result.binding),
        "lottery": None
        if lottery is None
        else {
            "line": _finite(lottery.line),
            "group": list(lottery.group),
            "draw": list(lottery.draw),
            "funded": list(lottery.funded),
            "forced_in": list(lottery.forced_in),
            "skipped": [{"id": s.id, "rules": list(s.rules)} for s in lottery.skipped],
            "rule": lottery.rule,
        },
    }
    out.update(extra or {})
    return out
