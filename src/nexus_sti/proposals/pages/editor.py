"""What the proposal editor's pages share (``proposals.py`` has the routes): the options and row
limits of a call's editor, the posted form, the row buttons that work without JavaScript, and
the live checks' fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from nexus_sti.core.areas import PRIORITY_AREAS
from nexus_sti.core.countries import COUNTRIES
from nexus_sti.core.errors import InvalidInput, RuleViolation
from nexus_sti.platform.webdeps import render
from nexus_sti.programs.service import program_version
from nexus_sti.proposals import service
from nexus_sti.proposals.eligibility import Verdict
from nexus_sti.proposals.forms import (
    EditorForm,
    RowLimits,
    read_form,
    row_action,
    row_limits,
    verdicts_in_words,
)
from nexus_sti.proposals.model import SECTORS, ProposalContent

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call


def limits_of(session: Session, call: Call) -> RowLimits:
    config = program_version(session, call.program_version_id).config
    return row_limits(config, config.track(call.track))


def editor_options(session: Session, call: Call) -> dict[str, Any]:
    """What the editor's template needs besides the form: choices, rules and row limits."""
    rules = service.call_rules(session, call)
    config = program_version(session, call.program_version_id).config
    return {
        "consortium_rule": config.consortium_rule(rules.track),
        "budget_rule": config.budget_rule(rules.track),
        "areas": [(a.code, a.name, a.code in call.areas) for a in PRIORITY_AREAS],
        "countries": [(c.iso3, c.name) for c in COUNTRIES],
        "sectors": SECTORS,
        "roles": {code: role.name for code, role in rules.roles.items()},
        "funders": [(f.code, f.name) for f in rules.funders.values()],
        "currencies": sorted({c.currency for c in COUNTRIES} | {rules.track.budget_currency}),
        "track": rules.track,
        "limits": row_limits(config, rules.track),
    }


async def _posted(request: Request) -> tuple[dict[str, Any], list[str]]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    areas = [v for v in form.getlist("secondary_areas") if isinstance(v, str)]
    return fields, areas


PostedForm = Annotated[tuple[dict[str, Any], list[str]], Depends(_posted)]


@dataclass(frozen=True, slots=True)
class RowEdit:
    """The form after a row button (Add member, Remove...) pressed without JavaScript: nothing
    is saved; the page comes back with the row added or removed, or says why not."""

    form: EditorForm
    notice: str | None
    problems: dict[str, str]


def edit_rows(fields: dict[str, Any], form: EditorForm, limits: RowLimits) -> RowEdit | None:
    """The row button's effect, or None when the form was sent to be saved."""
    action = row_action(fields)
    if action is None:
        return None
    kind, what = action
    if kind == "remove":
        form.remove_row(what)
        return RowEdit(form.padded(limits), "Row removed; nothing is saved yet.", {})
    try:
        form.add_row(what, limits)
    except InvalidInput as exc:
        return RowEdit(form, None, {what: exc.message})
    return RowEdit(form, "Row added at the end of the table; nothing is saved yet.", {})


def summary_of(problems: dict[str, str]) -> str:
    n = len(problems)
    return f"Nothing was saved: {'1 problem' if n == 1 else f'{n} problems'} to fix."


def live_checks(
    request: Request,
    form: EditorForm,
    limits: RowLimits,
    verdicts_of: Callable[[ProposalContent], tuple[Verdict, ...]],
) -> Response:
    """The live checks' fragment: every rule's verdict on what the editor holds, or, while it
    holds something that is not a proposal yet, what to fix first. Saves nothing."""
    read = read_form(form, limits)
    checks: tuple[Any, ...] = ()
    closed = None
    if read.content is not None:
        try:
            checks = verdicts_in_words(verdicts_of(read.content), read.raw)
        except RuleViolation as exc:  # the deadline passed while the applicant typed
            closed = exc.message
    return render(
        request,
        "_proposal_live_checks.html",
        checks=checks,
        problems=read.by_field(),
        closed=closed,
    )
