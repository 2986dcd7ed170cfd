"""Review forms as rules: what a review must contain, and whether a proposal passes.

Horizon Europe style: each criterion is marked on its scale (0 to 5 in half points by default);
the total is the weighted sum of the marks; a proposal passes only if every criterion reaches its
own threshold and the total reaches the total threshold. A draft may be incomplete, but every
mark it holds must already be a valid mark; a submitted review needs every criterion, comments
of a minimum length and a confidence from 1 (low) to 5 (expert).

Pure: values in, values (or ``InvalidInput`` naming the field and the rule) out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.model import ProgramConfig

__all__ = [
    "CONFIDENCE_MAX",
    "CONFIDENCE_MIN",
    "MIN_COMMENT_LENGTH",
    "Assessment",
    "CriterionSpec",
    "FormProblem",
    "FormSettings",
    "FormSpec",
    "ReviewMarks",
    "assess",
    "check_form_settings",
    "check_review",
    "default_form",
    "parse_mark",
    "validate_form_settings",
    "validate_review",
]

MIN_COMMENT_LENGTH = 50
CONFIDENCE_MIN = 1
CONFIDENCE_MAX = 5
MAX_REVIEWS_PER_PROPOSAL = 20  # the assignment's own limit on k
MAX_REMINDER_DAYS = 365
_EPS = 1e-9
# The program file's pattern for codes: a lower-case letter, then letters, digits, _ or -.
CODE_RULE = re.compile(r"[a-z][a-z0-9_-]{1,39}")


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    code: str
    name: str
    weight: float
    scale_min: float = 0.0
    scale_max: float = 5.0
    step: float = 0.5
    threshold: float | None = None
    description: str = ""

    def on_step(self, value: float) -> bool:
        units = (value - self.scale_min) / self.step
        return abs(units - round(units)) < 1e-6

    @property
    def marks(self) -> list[float]:
        """Every mark a reviewer can give, lowest first."""
        n = round((self.scale_max - self.scale_min) / self.step)
        return [round(self.scale_min + i * self.step, 6) for i in range(n + 1)]

    def as_row(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "weight": self.weight,
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "step": self.step,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A call's review form: criteria, the total threshold and the minimum comment length."""

    criteria: tuple[CriterionSpec, ...]
    total_threshold: float | None = None
    min_comment_length: int = MIN_COMMENT_LENGTH

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Mapping[str, Any]],
        total_threshold: float | None = None,
        *,
        min_comment_length: int = MIN_COMMENT_LENGTH,
    ) -> FormSpec:
        """From the stored JSON rows (``ReviewForm.criteria``); a malformed row is refused."""
        criteria = []
        for i, row in enumerate(rows):
            try:
                threshold = row.get("threshold")
                spec = CriterionSpec(
                    code=str(row["code"]),
                    name=str(row.get("name") or row["code"]),
                    weight=float(row.get("weight", 1.0)),
                    scale_min=float(row.get("scale_min", 0.0)),
                    scale_max=float(row.get("scale_max", 5.0)),
                    step=float(row.get("step", 0.5)),
                    threshold=None if threshold is None else float(threshold),
                    description=str(row.get("description", "")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"criteria[{i}]", f"malformed criterion: {exc}") from exc
            if spec.weight <= 0 or spec.step <= 0 or spec.scale_max <= spec.scale_min:
                raise InvalidInput(
                    f"criteria[{i}]", "needs weight > 0, step > 0 and scale_max > scale_min"
                )
            criteria.append(spec)
        if not criteria:
            raise InvalidInput("criteria", "a review form needs at least one criterion")
        codes = [c.code for c in criteria]
        if len(set(codes)) != len(codes):
            raise InvalidInput("criteria", f"criterion codes must be unique, got {codes}")
        return cls(tuple(criteria), total_threshold, min_comment_length)

    def rows(self) -> list[dict[str, Any]]:
        return [c.as_row() for c in self.criteria]

    @property
    def total_range(self) -> tuple[float, float]:
        low = sum(c.weight * c.scale_min for c in self.criteria)
        high = sum(c.weight * c.scale_max for c in self.criteria)
        return low, high


def default_form(config: ProgramConfig) -> FormSpec:
    """The program's review criteria and total threshold as a form."""
    threshold = config.program.total_threshold
    return FormSpec(
        criteria=tuple(
            CriterionSpec(
                code=c.code,
                name=c.name,
                weight=float(c.weight),
                scale_min=float(c.scale_min),
                scale_max=float(c.scale_max),
                step=float(c.step),
                threshold=None if c.threshold is None else float(c.threshold),
                description=c.description,
            )
            for c in config.review_criteria
        ),
        total_threshold=None if threshold is None else float(threshold),
    )


@dataclass(frozen=True, slots=True)
class FormProblem:
    """One thing wrong with a review: the field (``scores.excellence``, ``comments``,
    ``confidence``), the rule it breaks and a sentence for the reviewer."""

    field: str
    rule: str
    message: str


def parse_mark(text: str | None) -> float | None:
    """A mark as typed in a form: empty is ``None``; a decimal comma is accepted."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError as exc:
        raise InvalidInput("score", "not_a_number", f"{text!r} is not a number") from exc
    return value


def check_review(
    form: FormSpec,
    scores: Mapping[str, float | None],
    comments: str,
    confidence: int | None,
    *,
    final: bool,
) -> list[FormProblem]:
    """Every problem with a review, in form order. ``final`` is a submission (all required)."""
    problems: list[FormProblem] = []
    known = {c.code for c in form.criteria}
    for code in sorted(set(scores) - known):
        problems.append(
            FormProblem(f"scores.{code}", "unknown_criterion", f"{code} is not on this form")
        )
    for c in form.criteria:
        value = scores.get(c.code)
        where = f"scores.{c.code}"
        if value is None:
            if final:
                problems.append(FormProblem(where, "required", f"{c.name}: give a mark"))
            continue
        if not math.isfinite(value):
            problems.append(FormProblem(where, "not_a_number", f"{c.name}: not a number"))
        elif not c.scale_min - _EPS <= value <= c.scale_max + _EPS:
            problems.append(
                FormProblem(
                    where,
                    "out_of_scale",
                    f"{c.name}: {value:g} is outside the scale {c.scale_min:g}–{c.scale_max:g}",
                )
            )
        elif not c.on_step(value):
            problems.append(
                FormProblem(
                    where,
                    "off_step",
                    f"{c.name}: {value:g} is not a mark on the scale "
                    f"(steps of {c.step:g} from {c.scale_min:g})",
                )
            )
    if final and len(comments.strip()) < form.min_comment_length:
        problems.append(
            FormProblem(
                "comments",
                "too_short",
                f"comments: write at least {form.min_comment_length} characters "
                f"(now {len(comments.strip())})",
            )
        )
    if confidence is None:
        if final:
            problems.append(FormProblem("confidence", "required", "confidence: choose 1 to 5"))
    elif not CONFIDENCE_MIN <= confidence <= CONFIDENCE_MAX:
        problems.append(
            FormProblem(
                "confidence",
                "out_of_range",
                f"confidence: {confidence} is outside {CONFIDENCE_MIN}–{CONFIDENCE_MAX}",
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class Assessment:
    """The total of a complete set of marks and whether it passes every threshold;
    ``failed`` names each threshold missed (``excellence``, ``total``)."""

    total: float
    passed: bool
    failed: tuple[str, ...]


def assess(form: FormSpec, scores: Mapping[str, float]) -> Assessment:
    """Weighted total and thresholds of complete marks (every criterion present)."""
    total = sum(c.weight * scores[c.code] for c in form.criteria)
    failed = [
        c.code
        for c in form.criteria
        if c.threshold is not None and scores[c.code] < c.threshold - _EPS
    ]
    if form.total_threshold is not None and total < form.total_threshold - _EPS:
        failed.append("total")
    return Assessment(round(total, 6), not failed, tuple(failed))


@dataclass(frozen=True, slots=True)
class ReviewMarks:
    """A review that passed validation: its marks, total (when complete) and assessment."""

    scores: dict[str, float]
    comments: str
    confidence: int | None
    assessment: Assessment | None


def validate_review(
    form: FormSpec,
    scores: Mapping[str, float | None],
    comments: str,
    confidence: int | None,
    *,
    final: bool,
) -> ReviewMarks:
    """The review's marks, or ``InvalidInput`` for the first problem (every problem is listed
    in ``details["problems"]``)."""
    problems = check_review(form, scores, comments, confidence, final=final)
    if problems:
        first = problems[0]
        raise InvalidInput(
            first.field,
            first.rule,
            "; ".join(p.message for p in problems),
            problems=[{"field": p.field, "rule": p.rule, "message": p.message} for p in problems],
        )
    marks = {c.code: float(v) for c in form.criteria if (v := scores.get(c.code)) is not None}
    complete = len(marks) == len(form.criteria)
    return ReviewMarks(
        scores=marks,
        comments=comments.strip(),
        confidence=confidence,
        assessment=assess(form, marks) if complete else None,
    )


# --- a call's form as an officer configures it ------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormSettings:
    """A call's review form that passed :func:`validate_form_settings`: the criteria as rules,
    the number of reviews per proposal, the deadline and the reminder days (largest first)."""

    spec: FormSpec
    reviews_per_proposal: int
    due_at: datetime
    reminder_days: tuple[int, ...]


def _number(
    row: Mapping[str, Any], key: str, where: str, problems: list[FormProblem]
) -> float | None:
    """A criterion's numeric field: a number, a numeric string (decimal comma accepted), or
    empty (``None``); anything else adds a ``not_a_number`` problem."""
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        problems.append(FormProblem(where, "not_a_number", f"{where}: {value!r} is not a number"))
        return None
    return number


def _criterion(i: int, row: Mapping[str, Any], problems: list[FormProblem]) -> CriterionSpec | None:
    where = f"criteria[{i}]"
    before = len(problems)
    code = str(row.get("code") or "").strip()
    name = str(row.get("name") or "").strip()
    if not CODE_RULE.fullmatch(code):
        problems.append(
            FormProblem(
                f"{where}.code",
                "slug",
                f"{where}.code: {code!r} must be 2 to 40 characters: a lower-case letter, then "
                "lower-case letters, digits, _ or -",
            )
        )
    if not name:
        problems.append(FormProblem(f"{where}.name", "required", f"{where}.name: give a name"))
    values = {
        key: _number(row, key, f"{where}.{key}", problems)
        for key in ("weight", "scale_min", "scale_max", "step", "threshold")
    }
    weight, low, high, step = (values[k] for k in ("weight", "scale_min", "scale_max", "step"))
    threshold = values["threshold"]
    for key, value in (("weight", weight), ("scale_min", low), ("scale_max", high)):
        if value is None and not any(p.field == f"{where}.{key}" for p in problems):
            problems.append(FormProblem(f"{where}.{key}", "required", f"{where}.{key}: required"))
    if weight is not None and weight <= 0:
        problems.append(
            FormProblem(f"{where}.weight", "positive", f"{where}.weight: must be above 0")
        )
    if low is not None and high is not None and high <= low:
        problems.append(
            FormProblem(
                f"{where}.scale_max",
                "above_scale_min",
                f"{where}.scale_max: {high:g} must be above scale_min {low:g}",
            )
        )
    elif step is None or step <= 0:
        if not any(p.field == f"{where}.step" for p in problems):
            problems.append(
                FormProblem(f"{where}.step", "positive", f"{where}.step: must be above 0")
            )
    elif low is not None and high is not None:
        units = (high - low) / step
        if abs(units - round(units)) > 1e-6:
            problems.append(
                FormProblem(
                    f"{where}.step",
                    "divides_range",
                    f"{where}.step: {step:g} does not divide the scale {low:g}–{high:g} "
                    "into whole steps",
                )
            )
        elif threshold is not None and not low - _EPS <= threshold <= high + _EPS:
            problems.append(
                FormProblem(
                    f"{where}.threshold",
                    "out_of_scale",
                    f"{where}.threshold: {threshold:g} is outside the scale {low:g}–{high:g}",
                )
            )
        elif threshold is not None:
            off = (threshold - low) / step
            if abs(off - round(off)) > 1e-6:
                problems.append(
                    FormProblem(
                        f"{where}.threshold",
                        "off_step",
                        f"{where}.threshold: {threshold:g} is not a mark a reviewer can give "
                        f"(steps of {step:g} from {low:g})",
                    )
                )
    if len(problems) > before:
        return None
    assert weight is not None and low is not None and high is not None and step is not None
    return CriterionSpec(
        code=code,
        name=name,
        weight=weight,
        scale_min=low,
        scale_max=high,
        step=step,
        threshold=threshold,
        description=str(row.get("description") or "").strip(),
    )


def check_form_settings(
    criteria: Sequence[Mapping[str, Any]],
    *,
    total_threshold: float | None,
    reviews_per_proposal: int,
    due_at: datetime | None,
    reminder_days: Sequence[int],
    now: datetime,
    deadline_may_be_past: bool = False,
) -> tuple[list[FormProblem], FormSettings | None]:
    """Every problem with a call's review form, in form order, and the form when there is none.

    ``criteria`` are rows as stored (``code``, ``name``, ``description``, ``weight``,
    ``scale_min``, ``scale_max``, ``step``, ``threshold``); numbers may be given as text.
    The deadline must lie after ``now`` unless ``deadline_may_be_past`` (an edit of texts
    only, on a form whose deadline has passed)."""
    problems: list[FormProblem] = []
    if not criteria:
        problems.append(
            FormProblem("criteria", "required", "criteria: a review form needs a criterion")
        )
    specs = [_criterion(i, row, problems) for i, row in enumerate(criteria)]
    seen: dict[str, int] = {}
    for i, row in enumerate(criteria):
        code = str(row.get("code") or "").strip()
        if code and code in seen:
            problems.append(
                FormProblem(
                    f"criteria[{i}].code",
                    "duplicate",
                    f"criteria[{i}].code: {code!r} is already the code of criteria[{seen[code]}]",
                )
            )
        seen.setdefault(code, i)
    complete = [s for s in specs if s is not None]
    if total_threshold is not None and complete and len(complete) == len(specs):
        if not math.isfinite(total_threshold):
            problems.append(
                FormProblem("total_threshold", "not_a_number", "total_threshold: not a number")
            )
        else:
            low = sum(c.weight * c.scale_min for c in complete)
            high = sum(c.weight * c.scale_max for c in complete)
            if not low - _EPS <= total_threshold <= high + _EPS:
                problems.append(
                    FormProblem(
                        "total_threshold",
                        "unreachable",
                        f"total_threshold: {total_threshold:g} cannot be reached: weighted "
                        f"totals run from {low:g} to {high:g}",
                    )
                )
    if not 1 <= reviews_per_proposal <= MAX_REVIEWS_PER_PROPOSAL:
        problems.append(
            FormProblem(
                "reviews_per_proposal",
                "out_of_range",
                f"reviews_per_proposal: {reviews_per_proposal} must lie between 1 and "
                f"{MAX_REVIEWS_PER_PROPOSAL}",
            )
        )
    if due_at is None:
        problems.append(FormProblem("due_at", "required", "due_at: give the review deadline"))
    elif due_at.tzinfo is None:
        problems.append(
            FormProblem("due_at", "time_zone", "due_at: give the deadline with its time zone")
        )
    elif due_at <= now and not deadline_may_be_past:
        problems.append(
            FormProblem(
                "due_at",
                "in_the_future",
                f"due_at: {due_at:%Y-%m-%d %H:%M} UTC has already passed; choose a later deadline",
            )
        )
    days = list(reminder_days)
    for n, day in enumerate(days):
        if not 1 <= day <= MAX_REMINDER_DAYS:
            problems.append(
                FormProblem(
                    f"reminder_days[{n}]",
                    "before_deadline",
                    f"reminder_days[{n}]: {day} must be a whole number of days before the "
                    f"deadline, from 1 to {MAX_REMINDER_DAYS}",
                )
            )
        elif day in days[:n]:
            problems.append(
                FormProblem(
                    f"reminder_days[{n}]",
                    "duplicate",
                    f"reminder_days[{n}]: {day} days is listed twice",
                )
            )
    if problems or due_at is None:
        return problems, None
    settings = FormSettings(
        spec=FormSpec(tuple(complete), total_threshold),
        reviews_per_proposal=reviews_per_proposal,
        due_at=due_at,
        reminder_days=tuple(sorted(days, reverse=True)),
    )
    return problems, settings


def validate_form_settings(
    criteria: Sequence[Mapping[str, Any]],
    *,
    total_threshold: float | None,
    reviews_per_proposal: int,
    due_at: datetime | None,
    reminder_days: Sequence[int],
    now: datetime,
    deadline_may_be_past: bool = False,
) -> FormSettings:
    """The form, or ``InvalidInput`` for its first problem (every problem is listed in
    ``details["problems"]``)."""
    problems, settings = check_form_settings(
        criteria,
        total_threshold=total_threshold,
        reviews_per_proposal=reviews_per_proposal,
        due_at=due_at,
        reminder_days=reminder_days,
        now=now,
        deadline_may_be_past=deadline_may_be_past,
    )
    if problems or settings is None:
        first = problems[0]
        raise InvalidInput(
            first.field,
            first.rule,
            "; ".join(p.message for p in problems),
            problems=[{"field": p.field, "rule": p.rule, "message": p.message} for p in problems],
        )
    return settings
