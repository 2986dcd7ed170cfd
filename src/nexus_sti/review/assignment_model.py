"""The rules of a reviewer assignment, apart from any query: which label each reviewer takes
and which diversity rules a run enforces (from the program's reviewer groups and the officer's
choices), and the decision record a solved run stores. Plain values in, plain values out;
``review.service.assignments`` reads the call and writes the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from nexus_sti.algorithms.assignment import AssignmentResult, DiversityRule
from nexus_sti.core.errors import InvalidInput
from nexus_sti.review.conflicts import ConflictMatrix

OUTSIDE = "outside"


def group_minimums(
    program_minimums: Mapping[str, int], overrides: Mapping[str, int]
) -> dict[str, int]:
    """Each reviewer group's minimum for this run: the officer's, else the program file's.
    ``InvalidInput`` names a group the program does not have."""
    unknown = sorted(set(overrides) - set(program_minimums))
    if unknown:
        raise InvalidInput(
            "group_minimums",
            f"no reviewer group {', '.join(unknown)}; the program's groups: "
            f"{', '.join(program_minimums) or 'none'}",
        )
    return dict(program_minimums) | dict(overrides)


def labels_and_rules(
    reviewer_countries: Sequence[str],
    proposal_countries: Sequence[frozenset[str]],
    groups: Sequence[tuple[str, frozenset[str]]],
    minimums: Mapping[str, int],
    outside_minimum: int,
) -> tuple[list[str | None], list[DiversityRule]]:
    """One label per reviewer and the run's diversity rules.

    ``groups`` are the program's reviewer groups in file order with their countries; a
    reviewer takes the first group that has their country. With ``outside_minimum`` > 0,
    reviewers of groups whose minimum is 0 are labelled ``outside`` when based in none of the
    proposals' countries; the solver takes one label per reviewer, so the rule is refused
    (``InvalidInput``) unless every proposal involves the same countries and every group that
    keeps a minimum lies inside them."""

    def group_of(country: str) -> str | None:
        return next((code for code, countries in groups if country in countries), None)

    rules = [DiversityRule(code, m) for code, m in minimums.items() if m]
    if not outside_minimum:
        return [group_of(c) for c in reviewer_countries], rules
    involved = set(proposal_countries)
    common = frozenset.intersection(*involved) if involved else frozenset()
    for code, countries in groups:
        if minimums.get(code) and not countries <= common:
            raise InvalidInput(
                f"group_minimums.{code}",
                "must be 0 with the outside rule",
                "the solver takes one label per reviewer, so the outside rule replaces the "
                f"groups that reach outside the proposals' countries: set the {code} "
                "minimum to 0",
            )
    if len(involved) > 1:
        raise InvalidInput(
            "outside_minimum",
            "needs proposals that all involve the same countries",
            f"the outside rule is exact only when every proposal involves the same "
            f"countries; this call's proposals involve {len(involved)} different sets "
            "(declare national conflicts instead, or leave the rule off)",
        )
    inside = next(iter(involved), frozenset())
    labels: list[str | None] = []
    for c in reviewer_countries:
        label = group_of(c)
        if label is not None and minimums.get(label):
            labels.append(label)
        else:
            labels.append(OUTSIDE if c not in inside else None)
    rules.append(DiversityRule(OUTSIDE, outside_minimum))
    return labels, rules


def run_record(
    result: AssignmentResult,
    *,
    references: Sequence[str],
    reviewer_ids: Sequence[int],
    labels: Sequence[str | None],
    rules: Sequence[DiversityRule],
    k: int,
    conflicts: ConflictMatrix,
    embedding: Mapping[str, Any],
) -> dict[str, Any]:
    """What a solved run stores and shows: its pairs by proposal reference and reviewer
    profile id, each proposal's total affinity, the loads and their histogram, the labels and
    rules it enforced, the solver's figures and the conflicts it respected."""
    histogram = Counter(int(x) for x in result.loads)
    return {
        "pairs": [
            {
                "proposal": references[pair.proposal],
                "reviewer": reviewer_ids[pair.reviewer],
                "affinity": round(pair.affinity, 6),
            }
            for pair in result.pairs
        ],
        "per_proposal": {
            ref: round(float(v), 6) for ref, v in zip(references, result.per_proposal, strict=True)
        },
        "min_per_proposal": round(result.min_per_proposal, 6),
        "min_pair_affinity": round(min((p.affinity for p in result.pairs), default=0.0), 6),
        "load_histogram": {str(n): histogram[n] for n in sorted(histogram)},
        "loads": {str(r): int(n) for r, n in zip(reviewer_ids, result.loads, strict=True)},
        "k": k,
        "labels": {str(r): label for r, label in zip(reviewer_ids, labels, strict=True)},
        "rules": [{"group": r.group, "minimum": r.minimum} for r in rules],
        "solver": result.solver,
        "status": result.status,
        "objective": round(result.objective, 6),
        "proven_optimal": result.proven_optimal,
        "seconds": round(result.seconds, 3),
        "conflicts": int(conflicts.matrix.sum()),
        "conflict_kinds": conflicts.count_by_kind(),
        "proposals": len(references),
        "reviewers": len(reviewer_ids),
        "embedding": dict(embedding),
    }
