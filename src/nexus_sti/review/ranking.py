"""The ranked list of a call's proposals, and which proposals the panel should discuss.

Proposals are ordered by calibrated score. Proposals whose scores are equal (within
``tie_tolerance``) are ordered by tie-break rules applied in turn, Horizon Europe style:

* ``new_area`` — a proposal whose priority area is not yet covered by any proposal higher in
  the list goes first;
* ``criterion:<code>`` — the higher mean mark on that criterion goes first (e.g.
  ``criterion:excellence``, then ``criterion:impact``).

Each place inside a tie is filled in turn: the rules are applied in order to the proposals still
tied, until one remains; that rule is recorded as what broke the tie. If every rule leaves them
equal, the proposal reference decides, and the row says so.

Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from nexus_sti.core.errors import InvalidInput

__all__ = [
    "DEFAULT_TIE_BREAKS",
    "RankCandidate",
    "RankedRow",
    "consensus_flags",
    "parse_tie_breaks",
    "rank_proposals",
    "tie_break_label",
]

DEFAULT_TIE_BREAKS = ("new_area", "criterion:excellence", "criterion:impact")
REFERENCE_ORDER = "reference"


@dataclass(frozen=True, slots=True)
class RankCandidate:
    reference: str
    score: float
    area: str = ""
    criteria: Mapping[str, float] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None
    disagreement: float = 0.0
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One place in the list. ``tied_with`` lists the other proposals of its tie (empty when its
    score alone placed it); ``broken_by`` is the rule that decided its place in the tie and
    ``explanation`` says so in words."""

    rank: int
    candidate: RankCandidate
    tied_with: tuple[str, ...] = ()
    broken_by: str | None = None
    explanation: str = ""


def consensus_flags(disagreement: Sequence[float], threshold: float) -> list[bool]:
    """Which proposals to discuss: disagreement (the spread of their leniency-corrected marks)
    above ``threshold``."""
    if threshold < 0:
        raise InvalidInput("disagreement_threshold", "must be >= 0")
    return [d > threshold for d in disagreement]


def parse_tie_breaks(rules: Sequence[str]) -> tuple[str, ...]:
    """Check tie-break rule names (``new_area`` or ``criterion:<code>``), each at most once."""
    out: list[str] = []
    for i, rule in enumerate(r.strip() for r in rules):
        if not rule:
            continue
        kind, _, code = rule.partition(":")
        if not (rule == "new_area" or (kind == "criterion" and code)):
            raise InvalidInput(
                f"tie_breaks[{i}]",
                "unknown_rule",
                f"tie-break rule {rule!r}: use new_area or criterion:<code>",
            )
        if rule in out:
            raise InvalidInput(f"tie_breaks[{i}]", "repeated", f"{rule!r} is listed twice")
        out.append(rule)
    return tuple(out)


def tie_break_label(rule: str) -> str:
    if rule == "new_area":
        return "covers a priority area not yet covered higher in the list"
    if rule == REFERENCE_ORDER:
        return "still equal after every rule: proposal reference order"
    return f"higher mean {rule.partition(':')[2]} mark"


def _key(rule: str, c: RankCandidate, covered: set[str]) -> float:
    """Higher is better."""
    if rule == "new_area":
        return 1.0 if c.area and c.area not in covered else 0.0
    return float(c.criteria.get(rule.partition(":")[2], float("-inf")))


def _pick(
    tied: list[RankCandidate], rules: Sequence[str], covered: set[str]
) -> tuple[RankCandidate, str]:
    """The proposal to place next among ``tied``, and the rule that singled it out."""
    remaining = tied
    for rule in rules:
        keys = {c.reference: _key(rule, c, covered) for c in remaining}
        best = max(keys.values())
        narrowed = [c for c in remaining if keys[c.reference] >= best - 1e-9]
        if len(narrowed) < len(remaining):
            remaining = narrowed
            if len(remaining) == 1:
                return remaining[0], rule
    return min(remaining, key=lambda c: c.reference), REFERENCE_ORDER


def _groups(ordered: list[RankCandidate], tolerance: float) -> list[list[RankCandidate]]:
    groups: list[list[RankCandidate]] = []
    for c in ordered:
        if groups and groups[-1][0].score - c.score <= tolerance + 1e-12:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def rank_proposals(
    candidates: Sequence[RankCandidate],
    tie_breaks: Sequence[str] = DEFAULT_TIE_BREAKS,
    *,
    tie_tolerance: float = 0.0,
    label: Callable[[str], str] = tie_break_label,
) -> list[RankedRow]:
    """The ranked list: by score, ties broken by ``tie_breaks`` in order (see the module)."""
    if tie_tolerance < 0:
        raise InvalidInput("tie_tolerance", "must be >= 0")
    rules = parse_tie_breaks(tie_breaks)
    refs = [c.reference for c in candidates]
    if len(set(refs)) != len(refs):
        raise InvalidInput("candidates", "proposal references must be unique")
    ordered = sorted(candidates, key=lambda c: (-c.score, c.reference))
    covered: set[str] = set()
    rows: list[RankedRow] = []
    for group in _groups(ordered, tie_tolerance):
        if len(group) == 1:
            rows.append(RankedRow(len(rows) + 1, group[0]))
            covered.add(group[0].area)
            continue
        remaining = list(group)
        previous: tuple[str, str] | None = None  # (reference, rule) of the last pick
        while remaining:
            if len(remaining) == 1:
                chosen = remaining[0]
                assert previous is not None
                rule = previous[1]
                text = f"placed below {previous[0]}: {label(rule)}"
            else:
                chosen, rule = _pick(remaining, rules, covered)
                others = [c.reference for c in remaining if c is not chosen]
                text = f"placed above {', '.join(others)}: {label(rule)}"
            others_in_group = tuple(c.reference for c in group if c is not chosen)
            rows.append(RankedRow(len(rows) + 1, chosen, others_in_group, rule, text))
            covered.add(chosen.area)
            remaining.remove(chosen)
            previous = (chosen.reference, rule)
    return rows
