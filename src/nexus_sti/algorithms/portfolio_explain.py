"""Why each proposal left out of a portfolio was not funded.

The test is one addition at a time: put the proposal on top of the funded set and list the
constraint groups that would then break, by the names the optimisation model gives them (the
names in ``PortfolioResult.binding`` and the keys of ``rule_costs``). A proposal that would
break only budgets is *out-ranked*: budgets are how ranking works, the money went to others.
One that would break any other rule is *blocked* by those rules. The rare proposal whose
addition breaks nothing is reported as *fits*: the selection left room for it (a time limit or
optimality gap, a baseline rule that ignores part of the rules, or a merit of zero or less).
Proposals the caller screened out before selection (below a score threshold, ineligible) are
merged in as *excluded* with the caller's reason.

Every candidate is tested at once: the model's rows are evaluated for all flips in one pass over
the sparse matrix, so a call of thousands of proposals is explained in milliseconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from nexus_sti.algorithms.portfolio import CandidateProposal, PortfolioProblem
from nexus_sti.algorithms.portfolio_model import BINDING_TOLERANCE, Model, build_model
from nexus_sti.core.errors import InvalidInput

__all__ = [
    "Explanation",
    "ExplanationKind",
    "explain_unfunded",
    "explanation_to_dict",
    "explanations_to_dicts",
    "funding_line",
]

ExplanationKind = Literal["out-ranked", "blocked", "fits", "excluded"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why ``proposal_id`` was not funded. ``groups``: the constraint groups its addition to the
    funded set would break (model names, e.g. ``"budget agency-a 2028"``, ``"lead L-4 one award"``);
    for ``"blocked"`` only the non-budget ones; empty for ``"fits"`` and ``"excluded"``."""

    proposal_id: str
    kind: ExplanationKind
    groups: tuple[str, ...]
    reason: str


def funding_line(problem: PortfolioProblem, selected: Iterable[str]) -> float | None:
    """The lowest merit among the funded proposals (``None`` when nothing is funded)."""
    chosen = set(selected)
    merits = [c.merit for c in problem.candidates if c.id in chosen]
    return min(merits) if merits else None


def explain_unfunded(
    problem: PortfolioProblem,
    selected: Iterable[str],
    *,
    excluded: Mapping[str, str] | None = None,
) -> tuple[Explanation, ...]:
    """One explanation per candidate not in ``selected``, in the problem's order, followed by
    one per ``excluded`` id (id → the caller's reason, e.g. "below the score threshold")."""
    ids = [c.id for c in problem.candidates]
    chosen = set(selected)
    unknown = sorted(chosen - set(ids))
    if unknown:
        raise InvalidInput("selected", "names proposals that are not candidates", ids=unknown)
    clash = sorted(set(excluded or {}) & set(ids))
    if clash:
        raise InvalidInput("excluded", "must not name a candidate", ids=clash)

    model = build_model(problem)
    x = np.array([pid in chosen for pid in ids], dtype=bool)
    broken = _groups_broken_by_adding(model, x)
    context = _Context(problem, model, x)
    out: list[Explanation] = []
    for i in np.flatnonzero(~x).tolist():
        out.append(context.explain(i, broken.get(i, ())))
    out.extend(Explanation(pid, "excluded", (), reason) for pid, reason in (excluded or {}).items())
    return tuple(out)


def explanation_to_dict(explanation: Explanation) -> dict[str, Any]:
    return {
        "proposal_id": explanation.proposal_id,
        "kind": explanation.kind,
        "groups": list(explanation.groups),
        "reason": explanation.reason,
    }


def explanations_to_dicts(explanations: Iterable[Explanation]) -> list[dict[str, Any]]:
    return [explanation_to_dict(e) for e in explanations]


def _groups_broken_by_adding(model: Model, x: np.ndarray) -> dict[int, tuple[int, ...]]:
    """For each unfunded column, the groups whose row would be out of bounds after adding it and
    further out than before (so a rule the selection already breaks is blamed only on proposals
    that make it worse)."""
    lengths = np.diff(model.start)
    row_of = np.repeat(np.arange(len(lengths)), lengths)
    activity = np.bincount(row_of, weights=model.value * x[model.index], minlength=len(lengths))
    adds = ~x[model.index]
    rows, cols, vals = row_of[adds], model.index[adds], model.value[adds]
    before, after = activity[rows], activity[rows] + vals
    lower, upper = model.lower[rows], model.upper[rows]
    tol = BINDING_TOLERANCE * np.maximum(1.0, np.abs(before))
    excess_after = np.maximum(after - upper, lower - after)
    excess_before = np.maximum(before - upper, lower - before)
    breaks = (excess_after > tol) & (excess_after > excess_before + tol)
    found: dict[int, list[int]] = {}
    for col, group in zip(
        cols[breaks].tolist(), model.row_group[rows[breaks]].tolist(), strict=True
    ):
        found.setdefault(col, []).append(group)
    return {col: tuple(sorted(set(groups))) for col, groups in found.items()}


class _Context:
    """What the reasons quote: who already holds a lead or an organisation's places, what is
    left in each budget, the funding line."""

    def __init__(self, problem: PortfolioProblem, model: Model, x: np.ndarray) -> None:
        self.problem = problem
        self.model = model
        funded = [c for c, chosen in zip(problem.candidates, x, strict=True) if chosen]
        self.line = min((c.merit for c in funded), default=None)
        self.lead_holder: dict[str, str] = {}
        for c in sorted(funded, key=lambda c: c.id):
            self.lead_holder.setdefault(c.lead, c.id)
        self.funded = len(funded)
        self.org_count: Counter[str] = Counter(o for c in funded for o in set(c.organisations))
        self.participations: Counter[str] = Counter(k for c in funded for k in c.countries)
        self.track_count: Counter[str] = Counter(c.track for c in funded)
        self.country_funding: defaultdict[str, float] = defaultdict(float)
        for c in funded:
            for code, amount in c.country_funding.items():
                self.country_funding[code] += amount
        self.total_funding = sum(self.country_funding.values())
        lengths = np.diff(model.start)
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        self.activity = np.bincount(
            row_of, weights=model.value * x[model.index], minlength=len(lengths)
        )
        self.group_row = {int(g): r for r, g in enumerate(model.row_group.tolist())}

    def explain(self, i: int, groups: tuple[int, ...]) -> Explanation:
        model, cand = self.model, self.problem.candidates[i]
        names = tuple(model.groups[g] for g in groups)
        if not groups:
            return Explanation(cand.id, "fits", (), self._fits_reason(cand))
        blocking = tuple(g for g in groups if model.families[g] != "budget")
        if not blocking:
            return Explanation(cand.id, "out-ranked", names, self._outranked_reason(i, groups))
        sentences = [self._blocked_clause(i, g) for g in blocking]
        reason = "blocked: " + sentences[0]
        if len(sentences) > 1:
            reason += "; it would also break " + ", ".join(model.groups[g] for g in blocking[1:])
        return Explanation(cand.id, "blocked", tuple(model.groups[g] for g in blocking), reason)

    def _fits_reason(self, cand: CandidateProposal) -> str:
        if cand.merit <= 0:
            return f"fits: adding it breaks no rule, but its merit {cand.merit:.2f} adds nothing"
        return (
            "fits: adding it breaks no rule; the selection stopped short of it "
            "(a time limit or optimality gap, or a selection rule that ignores part of the rules)"
        )

    def _merit_vs_line(self, cand: CandidateProposal) -> str:
        if self.line is None:
            return f"merit {cand.merit:.2f}, nothing funded"
        return f"merit {cand.merit:.2f} vs funding line {self.line:.2f}"

    def _outranked_reason(self, i: int, groups: tuple[int, ...]) -> str:
        cand = self.problem.candidates[i]
        what = _budgets_phrase([self.model.groups[g] for g in groups])
        verb = "is" if len(groups) == 1 else "are"
        if self.line is None or cand.merit < self.line:
            return (
                f"out-ranked: {what} {verb} spent on higher-merit proposals "
                f"({self._merit_vs_line(cand)})"
            )
        row = self.group_row[groups[0]]
        left = max(self.model.upper[row] - self.activity[row], 0.0)
        need = _coefficient(self.model, row, i)
        first = _budgets_phrase([self.model.groups[groups[0]]])
        return (
            f"out-ranked: it asks {need:,.0f} of {first}, which has only {left:,.0f} left "
            f"after proposals that give more merit for the money ({self._merit_vs_line(cand)})"
        )

    def _blocked_clause(self, i: int, g: int) -> str:
        model, cand = self.model, self.problem.candidates[i]
        family, name = model.families[g], model.groups[g]
        if family == "lead":
            holder = self.lead_holder.get(cand.lead, "another proposal")
            return (
                f"its lead investigator already leads funded proposal {holder} (one award per lead)"
            )
        if family == "organisation":
            cap = self.problem.rules.organisation_cap
            full = [
                o for o in sorted(set(cand.organisations)) if self.org_count.get(o, 0) >= (cap or 0)
            ]
            org = full[0] if full else name.split(" ")[1]
            return (
                f"{org} already takes part in {self.org_count.get(org, 0)} funded proposals, "
                f"the organisation cap ({cap})"
            )
        if family in ("band", "track"):
            return self._band_clause(i, name)
        return f"funding it would break {name}"

    def _band_clause(self, i: int, name: str) -> str:
        # Band groups are named "band <code> min|max" and "track <code> min|max".
        family, code, side = name.split(" ")
        cand, rules = self.problem.candidates[i], self.problem.rules
        bands = rules.country_bands if family == "band" else rules.track_bands
        band = (bands or {}).get(code)
        bound = None if band is None else (band.low if side == "min" else band.high)
        if band is None or bound is None:
            return f"funding it would break {name}"
        where = "above its maximum" if side == "max" else "below its minimum"
        if family == "band":
            subject = code
            if band.measure == "count":
                after = self.participations.get(code, 0) + (code in cand.countries)
                return (
                    f"funding it would give {code} {after} funded participations, "
                    f"{where} of {bound:g}"
                )
            total = self.total_funding + sum(cand.country_funding.values())
            ours = self.country_funding.get(code, 0.0) + cand.country_funding.get(code, 0.0)
            share, unit = (ours / total if total > 0 else 0.0), "share of funding"
        else:
            subject = f"the {code} track"
            count = self.track_count.get(code, 0) + (cand.track == code)
            if band.measure == "count":
                return (
                    f"funding it would give {subject} {count} funded projects, {where} of {bound:g}"
                )
            share, unit = count / (self.funded + 1), "share of funded projects"
        return f"funding it would move {subject}'s {unit} to {share:.1%}, {where} of {bound:.1%}"


def _coefficient(model: Model, row: int, col: int) -> float:
    lo, hi = int(model.start[row]), int(model.start[row + 1])
    hits = np.flatnonzero(model.index[lo:hi] == col)
    return float(model.value[lo + hits[0]]) if hits.size else 0.0


def _budgets_phrase(groups: list[str]) -> str:
    """ "agency-a's 2028/2029 and cofunder-vnm's total budgets" from budget group names, which the
    model writes "budget <funder> <year>" and "budget <funder> total"."""
    periods: dict[str, list[str]] = {}
    for group in groups:
        _, funder, period = group.rsplit(" ", 2)
        periods.setdefault(funder, []).append(period)
    parts = [f"{funder}'s {'/'.join(p)}" for funder, p in periods.items()]
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return joined + (" budget" if len(groups) == 1 else " budgets")
