"""The review stage on files, with no database (``docs/review.md``, "Batch interface").

Three inputs are read here: the assignment problem ``nexus-review-assignment/1`` (JSON), the
OpenReview matcher's CSV files (a scores file and an optional constraints file) and reviews
``nexus-review-reviews/1`` (JSON, or CSV with a header row). Records become the arrays the pure
algorithms take (:mod:`nexus_sti.algorithms.assignment`, :mod:`nexus_sti.algorithms.calibration`),
indexed by the position of each id in the input, and results become records keyed by those ids
again. Every error names the file and the field, or the row and column, and the rule it breaks.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nexus_sti.algorithms.assignment import (
    AssignmentInfeasible,
    AssignmentResult,
    DiversityRule,
    Fairness,
    check_assignment,
    solve_assignment,
)
from nexus_sti.algorithms.calibration import CalibrationResult, ReviewScores, calibrate_scores
from nexus_sti.core.configfile import field_path
from nexus_sti.core.errors import Infeasible, InvalidInput

ASSIGNMENT_FORMAT = "nexus-review-assignment/1"
REVIEWS_FORMAT = "nexus-review-reviews/1"
CALIBRATION_FORMAT = "nexus-review-calibration/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=BaseModel)


class ProposalIn(_Strict):
    id: str = Field(min_length=1)
    text: str | None = None
    k: int | None = Field(None, ge=0)


class ReviewerIn(_Strict):
    id: str = Field(min_length=1)
    text: str | None = None
    group: str | None = Field(None, min_length=1)
    max_load: int | None = Field(None, ge=0)


class AffinityIn(_Strict):
    proposal: str
    reviewer: str
    affinity: float = Field(allow_inf_nan=False)


class ConflictIn(_Strict):
    proposal: str
    reviewer: str
    reason: str = ""


class DiversityIn(_Strict):
    group: str = Field(min_length=1)
    minimum: int = Field(1, ge=0)
    proposals: list[str] | None = None


class AssignmentProblemIn(_Strict):
    format: Literal["nexus-review-assignment/1"]
    proposals: list[ProposalIn] = Field(min_length=1)
    reviewers: list[ReviewerIn] = Field(min_length=1)
    affinity: list[AffinityIn] | None = None
    backend: str | None = Field(None, min_length=1)
    conflicts: list[ConflictIn] = []
    k: int | None = Field(None, ge=0)
    max_load: int | None = Field(None, ge=0)
    diversity: list[DiversityIn] = []
    fairness: Literal["max_min"] | None = None
    time_limit: float = Field(60.0, gt=0, le=3600)


class ReviewIn(_Strict):
    proposal: str = Field(min_length=1)
    reviewer: str = Field(min_length=1)
    score: float = Field(allow_inf_nan=False)
    confidence: float | None = Field(None, gt=0, allow_inf_nan=False)


class CalibrationOptionsIn(_Strict):
    level: float = Field(0.9, gt=0, lt=1)
    reviewer_scale: bool = False
    disagreement_threshold: float | None = Field(None, ge=0, allow_inf_nan=False)


class ReviewsIn(_Strict):
    format: Literal["nexus-review-reviews/1"]
    reviews: list[ReviewIn] = Field(min_length=1)
    options: CalibrationOptionsIn = CalibrationOptionsIn()


def invalid(source: str, where: str, rule: str, **details: Any) -> InvalidInput:
    """The refusal of ``source`` at ``where`` (a field, or a row and column) for ``rule``."""
    return InvalidInput(where, rule, f"{source}: {where}: {rule}", file=source, **details)


def _rule(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against docs/review.md)"
    if kind == "missing":
        return "required field is missing"
    return message


def _validated(model: type[_M], raw: Mapping[str, Any], source: str) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [(field_path(tuple(e["loc"])), _rule(e["type"], e["msg"])) for e in exc.errors()]
        where, rule = problems[0]
        if len(problems) > 1:
            rule += "; also " + "; ".join(f"{f}: {r}" for f, r in problems[1:6])
        raise invalid(source, where, rule) from None


def digest_of(document: Mapping[str, Any], *blobs: bytes) -> str:
    """sha256 of the canonical JSON of ``document`` (sorted keys, no spaces), then ``blobs``."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256(text.encode())
    for blob in blobs:
        h.update(blob)
    return h.hexdigest()


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark is dropped), or :class:`InvalidInput`
    naming the option ``what``."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(what, f"no such file: {path}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(what, f"{path} is not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise InvalidInput(what, f"cannot read {path}: {exc.strerror}") from None


def read_json(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``, or :class:`InvalidInput` naming the option ``what``."""
    try:
        raw = json.loads(read_text(path, what))
    except json.JSONDecodeError as exc:
        raise InvalidInput(what, f"{path} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(what, f"{path} must hold a JSON object")
    return raw


# --- Assignment -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class AssignmentProblem:
    """An assignment problem as the solver takes it, with the ids its rows and columns stand
    for: proposal ``proposal_ids[p]`` is row ``p``, reviewer ``reviewer_ids[r]`` column ``r``."""

    proposal_ids: tuple[str, ...]
    reviewer_ids: tuple[str, ...]
    affinity: np.ndarray
    conflicts: np.ndarray
    k: np.ndarray
    loads: np.ndarray
    reviewer_groups: tuple[str | None, ...] | None = None
    diversity: tuple[DiversityRule, ...] = ()
    fairness: Fairness | None = None
    time_limit: float = 60.0
    notes: tuple[str, ...] = ()

    @property
    def inputs_digest(self) -> str:
        """sha256 of the problem as solved: the ids, the affinity matrix, the conflicts, k,
        loads, groups, diversity rules, fairness and time limit. Equivalent inputs (a CSV pair
        and the JSON file with the same rows, in any order) have the same digest."""
        document = {
            "format": ASSIGNMENT_FORMAT,
            "proposals": list(self.proposal_ids),
            "reviewers": list(self.reviewer_ids),
            "k": self.k.tolist(),
            "loads": self.loads.tolist(),
            "groups": None if self.reviewer_groups is None else list(self.reviewer_groups),
            "diversity": [[d.group, d.minimum, d.proposals] for d in self.diversity],
            "fairness": self.fairness,
            "time_limit": self.time_limit,
        }
        a = np.ascontiguousarray(self.affinity, dtype="<f8").tobytes()
        c = np.packbits(np.asarray(self.conflicts, dtype=bool)).tobytes()
        return digest_of(document, a, c)


def _indices(ids: Sequence[str], source: str, where: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(ids):
        if name in index:
            raise invalid(source, f"{where}[{i}].id", f"duplicate id {name!r}")
        index[name] = i
    return index


def _lookup(index: Mapping[str, int], name: str, source: str, where: str, kind: str) -> int:
    try:
        return index[name]
    except KeyError:
        raise invalid(source, where, f"unknown {kind} id {name!r}") from None


def _texts(parsed: AssignmentProblemIn) -> list[tuple[str, list[str | None]]]:
    return [
        ("proposals", [p.text for p in parsed.proposals]),
        ("reviewers", [r.text for r in parsed.reviewers]),
    ]


def _text_affinity(parsed: AssignmentProblemIn, source: str) -> np.ndarray:
    """Affinities from the texts with the file's backend (or the default one)."""
    from nexus_sti.algorithms.similarity import affinity, backend_by_name, default_backend

    for where, texts in _texts(parsed):
        for i, text in enumerate(texts):
            if text is None:
                raise invalid(
                    source, f"{where}[{i}].text",
                    "required: without affinity rows every proposal and reviewer needs a text",
                )  # fmt: skip
    try:
        backend = default_backend() if parsed.backend is None else backend_by_name(parsed.backend)
    except KeyError as exc:
        raise invalid(source, "backend", str(exc.args[0])) from None
    matrix = affinity(
        backend,
        [p.text or "" for p in parsed.proposals],
        [r.text or "" for r in parsed.reviewers],
    )
    return np.asarray(matrix, dtype=np.float64)


def read_assignment_problem(
    raw: Mapping[str, Any], *, source: str = "problem"
) -> AssignmentProblem:
    """The problem in ``raw`` (parsed ``nexus-review-assignment/1`` JSON). With texts the
    affinities are computed here, with the named similarity backend; :class:`InvalidInput`
    names the first field that breaks a rule."""
    parsed = _validated(AssignmentProblemIn, raw, source)
    p_index = _indices([p.id for p in parsed.proposals], source, "proposals")
    r_index = _indices([r.id for r in parsed.reviewers], source, "reviewers")
    n_p, n_r = len(p_index), len(r_index)
    if parsed.affinity is not None:
        for where, texts in _texts(parsed):
            for i, text in enumerate(texts):
                if text is not None:
                    raise invalid(
                        source, f"{where}[{i}].text",
                        "give either texts or affinity rows, not both",
                    )  # fmt: skip
        if parsed.backend is not None:
            raise invalid(source, "backend", "only used with texts, not with affinity rows")
        matrix = np.zeros((n_p, n_r))
        given = np.zeros((n_p, n_r), dtype=bool)
        for i, row in enumerate(parsed.affinity):
            p = _lookup(p_index, row.proposal, source, f"affinity[{i}].proposal", "proposal")
            r = _lookup(r_index, row.reviewer, source, f"affinity[{i}].reviewer", "reviewer")
            if given[p, r]:
                raise invalid(source, f"affinity[{i}]", "this pair is given twice")
            given[p, r] = True
            matrix[p, r] = row.affinity
    else:
        matrix = _text_affinity(parsed, source)
    conflicts = np.zeros((n_p, n_r), dtype=bool)
    for i, c in enumerate(parsed.conflicts):
        p = _lookup(p_index, c.proposal, source, f"conflicts[{i}].proposal", "proposal")
        r = _lookup(r_index, c.reviewer, source, f"conflicts[{i}].reviewer", "reviewer")
        conflicts[p, r] = True
    k = np.zeros(n_p, dtype=np.int64)
    for i, prop in enumerate(parsed.proposals):
        value = prop.k if prop.k is not None else parsed.k
        if value is None:
            raise invalid(source, f"proposals[{i}].k", "required when the file has no k")
        k[i] = value
    loads = np.zeros(n_r, dtype=np.int64)
    for i, rev in enumerate(parsed.reviewers):
        value = rev.max_load if rev.max_load is not None else parsed.max_load
        if value is None:
            raise invalid(
                source, f"reviewers[{i}].max_load", "required when the file has no max_load"
            )
        loads[i] = value
    rules: list[DiversityRule] = []
    for i, d in enumerate(parsed.diversity):
        scope = None
        if d.proposals is not None:
            scope = tuple(
                _lookup(p_index, name, source, f"diversity[{i}].proposals[{j}]", "proposal")
                for j, name in enumerate(d.proposals)
            )
        rules.append(DiversityRule(d.group, d.minimum, scope))
    groups = tuple(r.group for r in parsed.reviewers)
    return AssignmentProblem(
        proposal_ids=tuple(p_index),
        reviewer_ids=tuple(r_index),
        affinity=matrix,
        conflicts=conflicts,
        k=k,
        loads=loads,
        reviewer_groups=groups if rules or any(g is not None for g in groups) else None,
        diversity=tuple(rules),
        fairness=parsed.fairness,
        time_limit=parsed.time_limit,
    )


def is_number(cell: str) -> bool:
    """Whether Python's ``float`` reads ``cell`` (the rule for an OpenReview header row)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(row number counted from 1, stripped cells) of each non-blank CSV row."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise invalid(source, f"row {reader.line_num}", f"not valid CSV: {exc}") from None


_ID_COLUMNS = ("proposal id", "reviewer id")


def _triples(text: str, source: str, third: str) -> Iterator[tuple[int, str, str, str]]:
    """(row, proposal id, reviewer id, third cell) of an OpenReview matcher file; a first row
    whose third cell is not a number is a header and skipped."""
    first = True
    for line, cells in _csv_rows(text, source):
        if len(cells) != 3:
            raise invalid(
                source, f"row {line}",
                f"expected 3 columns (proposal id, reviewer id, {third}), found {len(cells)}",
                row=line,
            )  # fmt: skip
        if first and not is_number(cells[2]):
            first = False
            continue
        first = False
        for column, name in enumerate(_ID_COLUMNS):
            if not cells[column]:
                raise invalid(
                    source, f"row {line}, column {column + 1} ({name})", "is empty",
                    row=line, column=column + 1,
                )  # fmt: skip
        yield line, cells[0], cells[1], cells[2]


def cell_error(source: str, line: int, column: int, name: str, rule: str) -> InvalidInput:
    """The refusal of the cell at ``line`` and ``column`` (named ``name``) for ``rule``."""
    return invalid(source, f"row {line}, column {column} ({name})", rule, row=line, column=column)


def read_openreview(
    scores: str,
    constraints: str | None = None,
    *,
    k: int,
    max_load: int,
    scores_source: str = "scores",
    constraints_source: str = "constraints",
    fairness: Fairness | None = None,
    time_limit: float = 60.0,
) -> AssignmentProblem:
    """The problem in OpenReview matcher CSV text: ``scores`` rows ``proposal id, reviewer id,
    affinity`` and ``constraints`` rows ``proposal id, reviewer id, -1`` (a conflict; 0 is no
    constraint). The proposals and reviewers are the ids seen in the scores, in order of first
    appearance; pairs without a score have affinity 0."""
    if k < 0:
        raise InvalidInput("k", "must be ≥ 0")
    if max_load < 0:
        raise InvalidInput("max_load", "must be ≥ 0")
    p_index: dict[str, int] = {}
    r_index: dict[str, int] = {}
    rows: list[int] = []
    ps: list[int] = []
    rs: list[int] = []
    values: list[float] = []
    for line, p, r, cell in _triples(scores, scores_source, "affinity"):
        try:
            value = float(cell)
        except ValueError:
            raise cell_error(
                scores_source, line, 3, "affinity", f"{cell!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise cell_error(scores_source, line, 3, "affinity", "must be finite")
        rows.append(line)
        ps.append(p_index.setdefault(p, len(p_index)))
        rs.append(r_index.setdefault(r, len(r_index)))
        values.append(value)
    if not rows:
        raise invalid(scores_source, "rows", "no score rows (proposal id, reviewer id, affinity)")
    n_p, n_r = len(p_index), len(r_index)
    p_arr, r_arr = np.array(ps, dtype=np.int64), np.array(rs, dtype=np.int64)
    keys = p_arr * n_r + r_arr
    order = np.argsort(keys, kind="stable")
    repeated = np.flatnonzero(np.diff(keys[order]) == 0)
    if repeated.size:
        earlier, later = order[repeated[0]], order[repeated[0] + 1]
        pair = (list(p_index)[ps[later]], list(r_index)[rs[later]])
        raise invalid(
            scores_source, f"row {rows[later]}",
            f"the pair {pair} already has a score on row {rows[earlier]}",
            row=rows[later],
        )  # fmt: skip
    matrix = np.zeros((n_p, n_r))
    matrix[p_arr, r_arr] = values
    conflicts = np.zeros((n_p, n_r), dtype=bool)
    ignored = 0
    if constraints is not None:
        src = constraints_source
        for line, p, r, cell in _triples(constraints, src, "-1"):
            try:
                value = float(cell)
            except ValueError:
                raise cell_error(
                    src, line, 3, "constraint", f"{cell!r} is not a number: use -1 for a conflict"
                ) from None
            if value == 0:
                ignored += 1
                continue
            if value != -1:
                raise cell_error(
                    src, line, 3, "constraint",
                    f"{cell!r} is not supported: -1 marks a conflict and 0 no constraint "
                    "(forced assignments, 1, are not supported)",
                )  # fmt: skip
            if p not in p_index:
                raise cell_error(
                    src, line, 1, "proposal id", f"{p!r} has no row in {scores_source}"
                )
            if r not in r_index:
                raise cell_error(
                    src, line, 2, "reviewer id", f"{r!r} has no row in {scores_source}"
                )
            conflicts[p_index[p], r_index[r]] = True
    notes = [f"{len(rows)} scores, {int(conflicts.sum())} conflicts"]
    if ignored:
        notes.append(f"{ignored} constraint rows with 0 ignored")
    return AssignmentProblem(
        proposal_ids=tuple(p_index),
        reviewer_ids=tuple(r_index),
        affinity=matrix,
        conflicts=conflicts,
        k=np.full(n_p, k, dtype=np.int64),
        loads=np.full(n_r, max_load, dtype=np.int64),
        fairness=fairness,
        time_limit=time_limit,
        notes=tuple(notes),
    )


def _named(ids: Sequence[str], indices: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(ids[i] for i in indices[:limit])
    return shown + (f" and {len(indices) - limit} more" if len(indices) > limit else "")


def _infeasible(problem: AssignmentProblem, exc: AssignmentInfeasible) -> Infeasible:
    """``exc`` with the proposals named by id (the solver counts them from 0) and the hint in
    the message, which is all the CLI prints."""
    message = exc.message
    ids = problem.proposal_ids
    if exc.proposals:
        numbers = ", ".join(str(p) for p in exc.proposals[:10])
        if len(exc.proposals) > 10:
            numbers += f" and {len(exc.proposals) - 10} more"
        named = _named(ids, exc.proposals)
        if f"proposals {numbers}" in message:
            message = message.replace(f"proposals {numbers}", f"proposals {named}", 1)
            first = exc.proposals[0]
            message = message.replace(f"(proposal {first}:", f"(proposal {ids[first]}:", 1)
        else:
            message += f" (proposals {named})"
    return Infeasible(
        f"no assignment satisfies the rules: {message}; to fix: {exc.hint}",
        exc.hint,
        reason=exc.reason,
        proposals=[ids[p] for p in exc.proposals],
        group=exc.group,
        shortfall=exc.shortfall,
    )


def solve_problem(problem: AssignmentProblem) -> AssignmentResult:
    """The optimal assignment of ``problem``, checked by the independent checker.
    :class:`Infeasible` names the proposals by id and says what to relax."""
    try:
        result = solve_assignment(
            problem.affinity,
            problem.conflicts,
            k=problem.k,
            loads=problem.loads,
            reviewer_groups=problem.reviewer_groups,
            diversity=problem.diversity,
            fairness=problem.fairness,
            time_limit=problem.time_limit,
        )
    except AssignmentInfeasible as exc:
        raise _infeasible(problem, exc) from None
    except RuntimeError as exc:  # HiGHS stopped before an optimum (the time limit)
        raise Infeasible(f"no assignment found: {exc}", "raise the time limit") from None
    broken = check_assignment(
        [(x.proposal, x.reviewer) for x in result.pairs],
        conflicts=problem.conflicts, k=problem.k, loads=problem.loads,
        reviewer_groups=problem.reviewer_groups, diversity=problem.diversity,
    )  # fmt: skip
    if broken:
        raise RuntimeError(f"the solver returned an invalid assignment: {'; '.join(broken[:5])}")
    return result


def write_assignment(problem: AssignmentProblem, result: AssignmentResult) -> dict[str, Any]:
    """The result in OpenReview's shape (``status``, ``objective``, ``assignments``) plus the
    per-proposal totals, loads and solver figures, keyed by the input's ids."""
    p_ids, r_ids = problem.proposal_ids, problem.reviewer_ids
    loads = [int(n) for n in result.loads]
    histogram: dict[str, int] = {}
    for load in sorted(set(loads)):
        histogram[str(load)] = loads.count(load)
    return {
        "status": result.status,
        "objective": result.objective,
        "assignments": [
            {"proposal": p_ids[x.proposal], "reviewer": r_ids[x.reviewer], "affinity": x.affinity}
            for x in result.pairs
        ],
        "per_proposal": {p_ids[i]: float(v) for i, v in enumerate(result.per_proposal)},
        "min_per_proposal": result.min_per_proposal,
        "loads": {r_ids[i]: n for i, n in enumerate(loads)},
        "load_histogram": histogram,
        "solver": result.solver,
        "seconds": round(result.seconds, 3),
        "proven_optimal": result.proven_optimal,
        "inputs_digest": problem.inputs_digest,
    }


# --- Calibration ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ReviewsProblem:
    """Reviews keyed by position (``proposal_ids[p]``, ``reviewer_ids[r]``, in order of first
    appearance) and the calibration options."""

    proposal_ids: tuple[str, ...]
    reviewer_ids: tuple[str, ...]
    reviews: ReviewScores
    records: tuple[ReviewIn, ...]
    options: CalibrationOptionsIn

    @property
    def inputs_digest(self) -> str:
        """sha256 of the reviews and options in the JSON format (the same for a CSV file)."""
        return digest_of(
            {
                "format": REVIEWS_FORMAT,
                "reviews": [r.model_dump() for r in self.records],
                "options": self.options.model_dump(),
            }
        )


def _reviews_problem(
    records: Sequence[ReviewIn],
    options: CalibrationOptionsIn,
    source: str,
    places: Sequence[str],
) -> ReviewsProblem:
    p_index: dict[str, int] = {}
    r_index: dict[str, int] = {}
    seen: dict[tuple[str, str], str] = {}
    rows: list[tuple[int, int, float, float]] = []
    for rec, here in zip(records, places, strict=True):
        if (rec.proposal, rec.reviewer) in seen:
            raise invalid(
                source, here,
                f"reviewer {rec.reviewer!r} already scored proposal {rec.proposal!r} "
                f"({seen[rec.proposal, rec.reviewer]})",
            )  # fmt: skip
        seen[rec.proposal, rec.reviewer] = here
        p = p_index.setdefault(rec.proposal, len(p_index))
        r = r_index.setdefault(rec.reviewer, len(r_index))
        rows.append((p, r, rec.score, 1.0 if rec.confidence is None else rec.confidence))
    return ReviewsProblem(
        proposal_ids=tuple(p_index),
        reviewer_ids=tuple(r_index),
        reviews=ReviewScores.from_records(rows),
        records=tuple(records),
        options=options,
    )


def read_reviews(raw: Mapping[str, Any], *, source: str = "reviews") -> ReviewsProblem:
    """The reviews in ``raw`` (parsed ``nexus-review-reviews/1`` JSON)."""
    parsed = _validated(ReviewsIn, raw, source)
    places = [f"reviews[{i}]" for i in range(len(parsed.reviews))]
    return _reviews_problem(parsed.reviews, parsed.options, source, places)


_REVIEW_COLUMNS = ("proposal", "reviewer", "score", "confidence")


def read_reviews_csv(text: str, *, source: str = "reviews") -> ReviewsProblem:
    """Reviews from CSV with the header ``proposal,reviewer,score[,confidence]`` (any order);
    an empty confidence counts as 1. Options take their defaults."""
    rows = _csv_rows(text, source)
    header = next(rows, None)
    if header is None:
        raise invalid(source, "row 1", "empty file: expected the header proposal,reviewer,score")
    line, names = header
    names = [n.lower() for n in names]
    for column, name in enumerate(names, start=1):
        if name not in _REVIEW_COLUMNS or names.index(name) != column - 1:
            raise cell_error(
                source, line, column, name or "(blank)",
                f"unknown or repeated column; the header is {','.join(_REVIEW_COLUMNS)} "
                "(confidence optional)",
            )  # fmt: skip
    for needed in _REVIEW_COLUMNS[:3]:
        if needed not in names:
            raise invalid(source, f"row {line}", f"the header has no {needed!r} column", row=line)
    records: list[ReviewIn] = []
    places: list[str] = []
    for line, cells in rows:
        if len(cells) != len(names):
            raise invalid(
                source, f"row {line}", f"expected {len(names)} columns, found {len(cells)}",
                row=line,
            )  # fmt: skip
        value = dict(zip(names, cells, strict=True))
        if not value.get("confidence"):
            value.pop("confidence", None)
        try:
            records.append(ReviewIn.model_validate(value))
            places.append(f"row {line}")
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else "row"
            column = names.index(name) + 1 if name in names else 0
            raise cell_error(source, line, column, name, str(error["msg"])) from None
    if not records:
        raise invalid(source, "rows", "no reviews after the header")
    return _reviews_problem(records, CalibrationOptionsIn(), source, places)


def with_options(
    problem: ReviewsProblem, *, level: float | None = None, reviewer_scale: bool | None = None
) -> ReviewsProblem:
    """``problem`` with the options given here in place of the file's (``None`` keeps it)."""
    given = {"level": level, "reviewer_scale": reviewer_scale}
    options = {**problem.options.model_dump(), **{k: v for k, v in given.items() if v is not None}}
    checked = _validated(CalibrationOptionsIn, options, "options")
    return dataclasses.replace(problem, options=checked)


def calibrate(problem: ReviewsProblem) -> CalibrationResult:
    """Calibrated scores of ``problem``'s proposals with its options."""
    options = problem.options
    return calibrate_scores(
        problem.reviews,
        n_proposals=len(problem.proposal_ids),
        n_reviewers=len(problem.reviewer_ids),
        level=options.level,
        reviewer_scale=options.reviewer_scale,
        disagreement_threshold=options.disagreement_threshold,
    )


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def write_calibration(problem: ReviewsProblem, result: CalibrationResult) -> dict[str, Any]:
    """The result in the ``nexus-review-calibration/1`` format, keyed by the input's ids."""
    return {
        "format": CALIBRATION_FORMAT,
        "inputs_digest": problem.inputs_digest,
        "proposals": [
            {
                "id": pid,
                "score": float(result.score[i]),
                "score_sd": float(result.score_sd[i]),
                "lower": float(result.lower[i]),
                "upper": float(result.upper[i]),
                "raw_mean": _number(result.raw_mean[i]),
                "reviews": int(result.reviews[i]),
                "disagreement": float(result.disagreement[i]),
                "flagged": bool(result.flagged[i]),
            }
            for i, pid in enumerate(problem.proposal_ids)
        ],
        "reviewers": [
            {
                "id": rid,
                "leniency": float(result.leniency[i]),
                "leniency_sd": float(result.leniency_sd[i]),
                "scale": float(result.scale[i]),
                "reviews": int(result.reviewer_reviews[i]),
            }
            for i, rid in enumerate(problem.reviewer_ids)
        ],
        "model": {
            "mean": result.mean,
            "noise_sd": result.noise_sd,
            "quality_sd": result.quality_sd,
            "leniency_spread": result.leniency_spread,
            "level": result.level,
            "reviewer_scale": problem.options.reviewer_scale,
            "disagreement_threshold": result.disagreement_threshold,
            "iterations": result.iterations,
        },
    }
