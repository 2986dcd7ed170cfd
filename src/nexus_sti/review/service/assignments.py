"""Assignment use cases: solve a call's reviewer assignment and save it as an audited decision
record (:class:`AssignmentRun`), read it back, and apply an officer's manual swap after checking
it against every rule.

The solver (``algorithms/assignment.py``) sees arrays only; this module is the encoder, and
``review/assignment_model.py`` holds its rules as pure functions (labels, diversity rules, the
run's record). Rows
are the call's assignable proposals (by id), columns the accepted and available pool members
(by profile id). Reviewer labels for the diversity rules:

* the program file's reviewer groups (``[[reviewer_groups]]``: NEXUS has a home-country group
  and a partner-country group): a reviewer takes the code of the first group whose countries
  include theirs, and each proposal needs at least each group's minimum (an officer may change
  the minimums for one run with ``group_minimums``);
* with ``outside_minimum`` > 0 (the bilateral-call rule "at least one reviewer from outside the
  countries involved"), reviewers of groups whose minimum is 0 take the label ``outside`` when
  they are based in none of the proposal's countries. The solver takes one label per reviewer,
  so this is exact only when every proposal of the call involves the same countries (a
  bilateral call with one partner country) and every group that keeps a minimum lies inside
  them; for other calls the service refuses the rule and says so, rather than silently
  enforcing something else. It is a diversity rule, not a conflict: inside reviewers may still
  review, as long as someone outside does too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexus_sti.algorithms.assignment import (
    AssignmentInfeasible,
    DiversityRule,
    check_assignment,
    solve_assignment,
    swap,
)
from nexus_sti.algorithms.similarity import (
    BACKENDS,
    DEFAULT_BACKEND,
    SimilarityBackend,
    TfidfBackend,
    affinity,
    backend_by_name,
)
from nexus_sti.calls.service import call_by_reference
from nexus_sti.core.access import Actor, require
from nexus_sti.core.errors import Conflict, NotFound, RuleViolation
from nexus_sti.core.workflow import step
from nexus_sti.platform.auditlog import inputs_digest, record
from nexus_sti.platform.jobqueue import Progress, no_progress
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import program_version
from nexus_sti.proposals.queries import ProposalCard
from nexus_sti.review.assignment_model import group_minimums, labels_and_rules, run_record
from nexus_sti.review.conflicts import DEFAULT_COAUTHORSHIP_YEARS
from nexus_sti.review.service.pool import CallConflicts, call_conflicts
from nexus_sti.review.tables import (
    AssignmentRun,
    Review,
    ReviewAssignment,
    ReviewForm,
)
from nexus_sti.review.vectors import DatabaseVectorStore
from nexus_sti.review.workflow import ASSIGNMENT

DEFAULT_K = 3


class AssignmentParams(BaseModel):
    """An officer's choices for one assignment. ``k`` defaults to the call's review form
    (``reviews_per_proposal``), else 3."""

    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(None, ge=1, le=20, description="reviewers per proposal")
    group_minimums: dict[str, int] = Field(
        default_factory=dict,
        description="reviewer group code -> reviewers of that group per proposal, for this run "
        "(groups left out keep the program file's minimum)",
    )
    outside_minimum: int = Field(
        0, ge=0, le=10, description="reviewers from outside the proposal's countries"
    )
    fairness: bool = Field(False, description="first maximise the worst proposal's affinity")
    coauthorship_years: int = Field(DEFAULT_COAUTHORSHIP_YEARS, ge=0, le=50)
    backend: str = Field(DEFAULT_BACKEND, description="similarity backend")
    time_limit: float = Field(60.0, gt=0, le=600)

    @field_validator("group_minimums")
    @classmethod
    def _minimums(cls, value: dict[str, int]) -> dict[str, int]:
        for code, minimum in value.items():
            if not 0 <= minimum <= 10:
                raise ValueError(f"{code}: a minimum runs from 0 to 10, not {minimum}")
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in BACKENDS:
            raise ValueError(f"unknown backend {value!r}; allowed: {', '.join(BACKENDS)}")
        return value


@functools.lru_cache(maxsize=4)
def _backend(name: str) -> SimilarityBackend:
    """Loaded once per process: the MiniLM session takes about a second to open."""
    return backend_by_name(name)


def proposal_text(p: ProposalCard) -> str:
    return " ".join([p.title, p.abstract, *p.keywords])


def reviewer_text(expertise: str, publications: list[dict[str, Any]]) -> str:
    return " ".join([expertise, *(str(pub.get("title", "")) for pub in publications)])


@dataclass(frozen=True)
class Problem:
    """The encoded assignment problem of a call."""

    found: CallConflicts
    k: np.ndarray
    loads: np.ndarray
    labels: list[str | None]
    rules: list[DiversityRule]
    affinity: np.ndarray
    embedding: dict[str, Any]

    @property
    def proposals(self) -> list[ProposalCard]:
        return self.found.proposals

    def references(self, indices: Any) -> list[str]:
        return [self.found.proposals[int(i)].reference for i in indices]

    def reviewer_name(self, index: int) -> str:
        return self.found.entries[index].label

    def readable(self, sentence: str) -> str:
        """A checker's sentence with positions replaced by references and names."""
        sentence = re.sub(
            r"proposal (\d+)",
            lambda m: f"proposal {self.found.proposals[int(m.group(1))].reference}",
            sentence,
        )
        return re.sub(
            r"reviewer (\d+)", lambda m: f"reviewer {self.reviewer_name(int(m.group(1)))}", sentence
        )


def _k_for(session: Session, call_id: int, params: AssignmentParams) -> int:
    if params.k is not None:
        return params.k
    form = session.scalar(select(ReviewForm).where(ReviewForm.call_id == call_id))
    return form.reviews_per_proposal if form is not None else DEFAULT_K


def _labels_and_rules(
    found: CallConflicts, config: ProgramConfig, params: AssignmentParams
) -> tuple[list[str | None], list[DiversityRule]]:
    """The run's labels and rules (see ``review.assignment_model``) for the call's facts."""
    minimums = group_minimums(
        {g.code: g.minimum for g in config.reviewer_groups}, params.group_minimums
    )
    groups = [
        (g.code, frozenset(config.place_countries(g.countries))) for g in config.reviewer_groups
    ]
    return labels_and_rules(
        [e.researcher.country for e in found.entries],
        [frozenset(m.country for m in found.members[p.id]) for p in found.proposals],
        groups,
        minimums,
        params.outside_minimum,
    )


def build_problem(
    session: Session, *, actor: Actor, call_reference: str, params: AssignmentParams, year: int
) -> Problem:
    """Encode the call: accepted pool, conflicts, loads, k, labels and affinities (through the
    vector cache for backends whose vectors do not depend on the batch)."""
    require(actor, "review.manage", "assign reviewers")
    found = call_conflicts(
        session,
        actor=actor,
        call_reference=call_reference,
        as_of_year=year,
        coauthorship_years=params.coauthorship_years,
        statuses=("accepted",),
    )
    if not found.proposals:
        raise RuleViolation(
            "review.no_proposals", f"call {call_reference} has no submitted or eligible proposal"
        )
    if not found.entries:
        raise RuleViolation(
            "review.empty_pool",
            f"call {call_reference} has no reviewer who accepted an invitation: invite some",
        )
    k = np.full(len(found.proposals), _k_for(session, found.call.id, params), dtype=np.int64)
    loads = np.array(
        [e.membership.max_load if e.profile.available else 0 for e in found.entries],
        dtype=np.int64,
    )
    config = program_version(session, found.call.program_version_id).config
    labels, rules = _labels_and_rules(found, config, params)
    backend = _backend(params.backend)
    store = None if isinstance(backend, TfidfBackend) else DatabaseVectorStore(session)
    scores = affinity(
        backend,
        [proposal_text(p) for p in found.proposals],
        [reviewer_text(e.profile.expertise, e.profile.publications) for e in found.entries],
        store=store,
    )
    embedding = {
        "backend": backend.name,
        "cached": store is not None,
        "computed": store.computed if store is not None else None,
        "reused": store.fetched if store is not None else None,
    }
    return Problem(found, k, loads, labels, rules, np.asarray(scores, np.float64), embedding)


def _problem_digest(problem: Problem, params: AssignmentParams) -> str:
    return inputs_digest(
        {
            "parameters": params.model_dump(mode="json"),
            "proposals": [p.reference for p in problem.proposals],
            "reviewers": [e.profile.id for e in problem.found.entries],
            "k": problem.k.tolist(),
            "loads": problem.loads.tolist(),
            "labels": problem.labels,
            "conflicts": np.argwhere(problem.found.conflicts.matrix).tolist(),
            "affinity": np.round(problem.affinity, 6).tolist(),
        }
    )


def run_assignment(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    params: AssignmentParams,
    now: datetime,
    progress: Progress = no_progress,
) -> AssignmentRun:
    """Solve the call's assignment and save it as the call's next, audited run; its rows
    replace the call's active assignment. Infeasible inputs raise ``AssignmentInfeasible``
    with the solver's message unchanged and the proposals' references in its details."""
    progress(0, 3, "reading the pool, the conflicts and the texts")
    problem = build_problem(
        session, actor=actor, call_reference=call_reference, params=params, year=now.year
    )
    call = problem.found.call
    started = session.scalar(
        select(func.count())
        .select_from(Review)
        .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
        .where(ReviewAssignment.call_id == call.id, ReviewAssignment.status == "active")
    )
    if started:
        raise Conflict(
            f"{started} reviews of call {call.reference} have started: a new assignment would "
            "discard them; swap reviewers one by one instead"
        )
    progress(
        1,
        3,
        f"assigning {len(problem.found.entries)} reviewers to {len(problem.proposals)} proposals",
    )
    try:
        result = solve_assignment(
            problem.affinity,
            problem.found.conflicts.matrix,
            k=problem.k,
            loads=problem.loads,
            reviewer_groups=problem.labels,
            diversity=problem.rules,
            fairness="max_min" if params.fairness else None,
            time_limit=params.time_limit,
        )
    except AssignmentInfeasible as exc:
        exc.details["proposal_references"] = problem.references(exc.proposals)
        raise
    progress(2, 3, "saving the assignment")
    version = (
        session.scalar(
            select(func.max(AssignmentRun.version)).where(AssignmentRun.call_id == call.id)
        )
        or 0
    ) + 1
    body = run_record(
        result,
        references=[p.reference for p in problem.proposals],
        reviewer_ids=[e.profile.id for e in problem.found.entries],
        labels=problem.labels,
        rules=problem.rules,
        k=int(problem.k[0]),
        conflicts=problem.found.conflicts,
        embedding=problem.embedding,
    )
    run = AssignmentRun(
        call_id=call.id,
        version=version,
        parameters=params.model_dump(mode="json"),
        inputs_digest=_problem_digest(problem, params),
        result=body,
        created_by=actor.user_id,
        created_by_label=actor.username,
        created_at=now,
    )
    session.add(run)
    session.flush()
    session.execute(
        update(ReviewAssignment)
        .where(ReviewAssignment.call_id == call.id, ReviewAssignment.status == "active")
        .values(status=step(ASSIGNMENT, "active", "replace", actor.role))
    )
    session.add_all(
        ReviewAssignment(
            call_id=call.id,
            proposal_id=problem.proposals[pair.proposal].id,
            reviewer_id=problem.found.entries[pair.reviewer].profile.id,
            run_id=run.id,
            affinity=round(pair.affinity, 6),
            status="active",
            created_at=now,
        )
        for pair in result.pairs
    )
    record(
        session,
        action="review.assignment_saved",
        actor=actor,
        subject_type="assignment_run",
        subject_id=run.id,
        inputs={
            "call": call.reference,
            "parameters": run.parameters,
            "digest": run.inputs_digest,
        },
        now=now,
        summary={
            "call": call.reference,
            "version": version,
            "pairs": len(result.pairs),
            "objective": body["objective"],
            "status": result.status,
        },
    )
    session.commit()
    return run


def get_run(session: Session, *, actor: Actor, run_id: int) -> AssignmentRun:
    require(actor, "review.manage", "see assignment runs")
    run = session.get(AssignmentRun, run_id)
    if run is None:
        raise NotFound("assignment run", run_id)
    return run


def latest_runs(session: Session) -> dict[int, AssignmentRun]:
    """Per call id, its latest assignment run."""
    out: dict[int, AssignmentRun] = {}
    for run in session.scalars(select(AssignmentRun).order_by(AssignmentRun.version)):
        out[run.call_id] = run
    return out


@dataclass(frozen=True)
class ActiveAssignment:
    run: AssignmentRun | None
    rows: list[ReviewAssignment]


def active_assignment(session: Session, *, actor: Actor, call_reference: str) -> ActiveAssignment:
    """The call's latest run and its active rows (including rows added by swaps)."""
    require(actor, "review.manage", "see a call's assignment")
    call = call_by_reference(session, call_reference)
    run = session.scalar(
        select(AssignmentRun)
        .where(AssignmentRun.call_id == call.id)
        .order_by(AssignmentRun.version.desc())
        .limit(1)
    )
    rows = list(
        session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.call_id == call.id, ReviewAssignment.status == "active")
            .order_by(ReviewAssignment.proposal_id, ReviewAssignment.id)
        )
    )
    return ActiveAssignment(run, rows)


def swap_reviewer(
    session: Session,
    *,
    actor: Actor,
    call_reference: str,
    proposal_reference: str,
    old_reviewer_id: int,
    new_reviewer_id: int,
    now: datetime,
) -> ReviewAssignment:
    """Replace reviewer ``old`` by ``new`` (profile ids) on a proposal of the active assignment.
    The change is checked against every rule of the run (conflicts as they are now, loads, k,
    diversity); if it breaks any, ``RuleViolation`` lists them and nothing changes."""
    require(actor, "review.manage", "swap reviewers")
    current = active_assignment(session, actor=actor, call_reference=call_reference)
    if current.run is None:
        raise Conflict(f"call {call_reference} has no assignment yet: run one first")
    params = AssignmentParams.model_validate(current.run.parameters)
    call = call_by_reference(session, call_reference)
    found = call_conflicts(
        session,
        actor=actor,
        call_reference=call_reference,
        as_of_year=now.year,
        coauthorship_years=params.coauthorship_years,
        statuses=("accepted",),
    )
    p_index = {p.id: i for i, p in enumerate(found.proposals)}
    r_index = {e.profile.id: j for j, e in enumerate(found.entries)}
    target = next((p for p in found.proposals if p.reference == proposal_reference), None)
    if target is None:
        raise NotFound("assignable proposal of this call", proposal_reference)
    if new_reviewer_id not in r_index:
        raise RuleViolation(
            "review.swap",
            f"reviewer {new_reviewer_id} has not accepted a place in the pool of {call_reference}",
            violations=[f"reviewer {new_reviewer_id} is not an accepted pool member"],
        )
    old_row = next(
        (
            r
            for r in current.rows
            if r.proposal_id == target.id and r.reviewer_id == old_reviewer_id
        ),
        None,
    )
    if old_row is None:
        raise NotFound(f"assignment of reviewer {old_reviewer_id} to", proposal_reference)
    if session.scalar(select(Review.id).where(Review.assignment_id == old_row.id)) is not None:
        raise Conflict("the reviewer has started this review: it cannot be swapped away")
    k = np.full(len(found.proposals), int(current.run.result.get("k", DEFAULT_K)), np.int64)
    loads = np.array(
        [e.membership.max_load if e.profile.available else 0 for e in found.entries], np.int64
    )
    config = program_version(session, found.call.program_version_id).config
    labels, rules = _labels_and_rules(found, config, params)
    pairs = np.array(
        [
            (p_index[r.proposal_id], r_index.get(r.reviewer_id, -1))
            for r in current.rows
            if r.proposal_id in p_index
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    problem = Problem(found, k, loads, labels, rules, np.zeros((0, 0)), {})
    outcome = swap(
        pairs,
        p_index[target.id],
        r_index.get(old_reviewer_id, -1),
        r_index[new_reviewer_id],
        conflicts=found.conflicts.matrix,
        k=k,
        loads=loads,
        reviewer_groups=labels,
        diversity=rules,
    )
    if not outcome.accepted:
        violations = [problem.readable(v) for v in outcome.violations]
        for reason in found.conflicts.reasons_for(target.reference, new_reviewer_id):
            violations.append(f"conflict ({reason.kind}): {reason.detail}")
        raise RuleViolation(
            "review.swap",
            "the swap breaks the assignment's rules: " + "; ".join(violations),
            violations=violations,
        )
    new_affinity = _pair_affinity(session, found, params, target, r_index[new_reviewer_id])
    old_row.status = step(ASSIGNMENT, old_row.status, "swap", actor.role)
    row = ReviewAssignment(
        call_id=call.id,
        proposal_id=target.id,
        reviewer_id=new_reviewer_id,
        run_id=current.run.id,
        affinity=round(new_affinity, 6),
        status="active",
        created_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="review.reviewer_swapped",
        actor=actor,
        subject_type="review_assignment",
        subject_id=row.id,
        inputs={
            "call": call_reference,
            "proposal": proposal_reference,
            "old": old_reviewer_id,
            "new": new_reviewer_id,
            "run": current.run.id,
        },
        now=now,
        summary={
            "proposal": proposal_reference,
            "old": old_reviewer_id,
            "new": new_reviewer_id,
            "affinity": row.affinity,
        },
    )
    session.commit()
    return row


def _pair_affinity(
    session: Session,
    found: CallConflicts,
    params: AssignmentParams,
    proposal: ProposalCard,
    reviewer: int,
) -> float:
    """The new pair's affinity with the run's backend (TF-IDF fitted on the whole call, as in
    the run, so the figure is comparable)."""
    backend = _backend(params.backend)
    entry = found.entries[reviewer]
    if isinstance(backend, TfidfBackend):
        scores = affinity(
            backend,
            [proposal_text(p) for p in found.proposals],
            [reviewer_text(e.profile.expertise, e.profile.publications) for e in found.entries],
        )
        return float(scores[found.proposals.index(proposal), reviewer])
    store = DatabaseVectorStore(session)
    value = affinity(
        backend,
        [proposal_text(proposal)],
        [reviewer_text(entry.profile.expertise, entry.profile.publications)],
        store=store,
    )
    return float(value[0, 0])


def check_active(session: Session, *, actor: Actor, call_reference: str, year: int) -> list[str]:
    """Every rule the call's active assignment breaks now (empty when it holds), e.g. after a
    conflict was declared since the run."""
    current = active_assignment(session, actor=actor, call_reference=call_reference)
    if current.run is None:
        return []
    params = AssignmentParams.model_validate(current.run.parameters)
    found = call_conflicts(
        session,
        actor=actor,
        call_reference=call_reference,
        as_of_year=year,
        coauthorship_years=params.coauthorship_years,
        statuses=("accepted",),
    )
    p_index = {p.id: i for i, p in enumerate(found.proposals)}
    r_index = {e.profile.id: j for j, e in enumerate(found.entries)}
    pairs = [
        (p_index[r.proposal_id], r_index[r.reviewer_id])
        for r in current.rows
        if r.proposal_id in p_index and r.reviewer_id in r_index
    ]
    k = np.full(len(found.proposals), int(current.run.result.get("k", DEFAULT_K)), np.int64)
    loads = np.array(
        [e.membership.max_load if e.profile.available else 0 for e in found.entries], np.int64
    )
    config = program_version(session, found.call.program_version_id).config
    labels, rules = _labels_and_rules(found, config, params)
    problem = Problem(found, k, loads, labels, rules, np.zeros((0, 0)), {})
    return [
        problem.readable(v)
        for v in check_assignment(
            np.array(pairs, dtype=np.int64).reshape(-1, 2),
            conflicts=found.conflicts.matrix,
            k=k,
            loads=loads,
            reviewer_groups=labels,
            diversity=rules,
        )
    ]
