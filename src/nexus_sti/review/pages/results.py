"""The officer's pages of review results: a call's reviews per proposal with the reminders due
and the calibration form; the ranking with calibrated scores and their intervals (chart),
reviewers' leniency, disagreement flags, panel notes and the ranked list (also as CSV)."""

from __future__ import annotations

import io
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from matplotlib.figure import Figure
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser
from nexus_sti.core import spreadsheet
from nexus_sti.core.errors import InvalidInput, RuleViolation
from nexus_sti.platform.charts import svg_of
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.table_view import table_view
from nexus_sti.platform.webdeps import SessionDep, render, require_csrf
from nexus_sti.review.pages.table_views import (
    RANKING,
    REVIEWS,
    ranking_in_view,
    reviews_in_view,
)
from nexus_sti.review.ranking import DEFAULT_TIE_BREAKS, RankedRow, parse_tie_breaks
from nexus_sti.review.service import reviews

router = APIRouter(include_in_schema=False)

SCORE = "#2b6cb0"
FLAGGED = "#c53030"


def _tidy(ax: Any) -> None:
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


LABELLED_ROWS = 60  # beyond this, every k-th rank is labelled and the chart keeps its height


def scores_chart(rows: list[RankedRow], level: float | None) -> str:
    """Calibrated scores in ranked order with their intervals as error bars; proposals flagged
    for disagreement in red. A long list keeps the height of a 60-row chart and labels every
    k-th rank (the table under it lists them all): matplotlib lays out each label, so a label per
    row would make a 1,500-proposal call's chart take seconds."""
    step = -(-len(rows) // LABELLED_ROWS)  # ceiling division
    shown = min(len(rows), LABELLED_ROWS)
    fig = Figure(figsize=(6.8, 0.26 * max(shown, 4) + 1.2))
    ax = fig.subplots()
    for flagged, color in ((False, SCORE), (True, FLAGGED)):  # one call per colour, not per row
        at = [i for i, r in enumerate(rows) if r.candidate.flagged is flagged]
        if not at:
            continue
        score = np.array([rows[i].candidate.score for i in at])
        low = np.array([_or(rows[i].candidate.low, rows[i].candidate.score) for i in at])
        high = np.array([_or(rows[i].candidate.high, rows[i].candidate.score) for i in at])
        ax.errorbar(
            score, at, xerr=[score - low, high - score], fmt="o", ms=4 if step == 1 else 2,
            capsize=2 if step == 1 else 0, color=color, linestyle="none",
        )  # fmt: skip
    ticks = range(0, len(rows), step)
    ax.set_yticks(ticks, [f"{rows[i].rank}. {rows[i].candidate.reference}" for i in ticks])
    ax.invert_yaxis()
    interval = f"{level:.0%} interval" if level else "interval"
    ax.set_xlabel(f"calibrated total score ({interval}; red: reviewers disagree)", fontsize=8)
    _tidy(ax)
    fig.tight_layout()
    return svg_of(fig)


def leniency_chart(reviewers: list[dict[str, Any]]) -> str:
    """Each reviewer's estimated leniency (± one standard deviation) and their review count."""
    items = sorted(reviewers, key=lambda r: r["leniency"])
    fig = Figure(figsize=(6.8, 0.26 * max(len(items), 4) + 1.2))
    ax = fig.subplots()
    ax.errorbar(
        [r["leniency"] for r in items], range(len(items)),
        xerr=[r["leniency_sd"] for r in items], fmt="s", ms=4, capsize=2, color=SCORE,
        linestyle="none",
    )  # fmt: skip
    ax.axvline(0.0, color="#a0aec0", lw=0.8)
    ax.set_yticks(range(len(items)), [f"{r['name']} ({r['reviews']})" for r in items])
    ax.set_xlabel("leniency: points above (+) or below (−) the panel; (n reviews)", fontsize=8)
    _tidy(ax)
    fig.tight_layout()
    return svg_of(fig)


@router.get("/review/calls/{reference}/reviews")
def call_reviews_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    actor = actor_for(user)
    call = reviews.call_for_officer(session, actor=actor, reference=reference)
    view = table_view(REVIEWS, request.query_params, request.url.path)
    proposals = reviews.call_reviews(session, actor=actor, call_reference=reference)
    return render(
        request,
        "review_results_reviews.html",
        user,
        title=f"Reviews: {call.reference}",
        call=call,
        proposals=proposals,
        view=view,
        page=view.page(reviews_in_view(proposals, view)),
        reminders=reviews.reminders_due(
            session, actor=actor, now=utcnow(), call_reference=reference
        ),
        run=reviews.latest_calibration(session, actor=actor, call_reference=reference),
        form=reviews.form_of(session, call.id),
        error=request.session.pop("review_error", None),
    )


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _float(fields: dict[str, str], name: str) -> float | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInput(name, "not_a_number", f"{name}: {text!r} is not a number") from exc


@router.post("/review/calls/{reference}/calibration", dependencies=[Depends(require_csrf)])
def run_calibration_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    try:
        level = _float(form, "level") or 0.9
        reviews.run_calibration(
            session,
            actor=actor,
            call_reference=reference,
            now=utcnow(),
            level=level,
            reviewer_scale=form.get("reviewer_scale") == "on",
            disagreement_threshold=_float(form, "disagreement_threshold"),
            confidence_weights=form.get("unweighted") != "on",
        )
    except (InvalidInput, RuleViolation) as exc:
        session.rollback()
        request.session["review_error"] = exc.message
        return RedirectResponse(f"/review/calls/{reference}/reviews", status_code=303)
    return RedirectResponse(f"/review/calls/{reference}/ranking", status_code=303)


def _tie_breaks(request: Request) -> tuple[str, ...]:
    text = request.query_params.get("tie_breaks")
    if text is None:
        return DEFAULT_TIE_BREAKS
    return parse_tie_breaks(text.replace("\n", ",").split(","))


@router.get("/review/calls/{reference}/ranking")
def ranking_page(reference: str, request: Request, user: PageUser, session: SessionDep) -> Response:
    """The charts, the flags and the notes' choices cover the whole ranked list; its table
    shows the rows the filters keep, in the order asked for, a page at a time."""
    actor = actor_for(user)
    view = table_view(RANKING, request.query_params, request.url.path)
    error = None
    try:
        tie_breaks = _tie_breaks(request)
    except InvalidInput as exc:
        error, tie_breaks = exc.message, DEFAULT_TIE_BREAKS
    ranking = reviews.ranked_list(
        session, actor=actor, call_reference=reference, tie_breaks=tie_breaks
    )
    run = ranking.run
    reviewers = run.result["reviewers"] if run else []
    return render(
        request,
        "review_results_ranking.html",
        user,
        status_code=422 if error else 200,
        title=f"Ranking: {ranking.call.reference}",
        call=ranking.call,
        ranking=ranking,
        view=view,
        page=view.page(ranking_in_view(ranking.rows, view)),
        areas=sorted({r.candidate.area for r in ranking.rows}),
        run=run,
        error=error,
        scores_chart=scores_chart(ranking.rows, run.result["level"] if run else None)
        if ranking.rows
        else None,
        leniency_chart=leniency_chart(reviewers) if reviewers else None,
        reviewers=sorted(reviewers, key=lambda r: -abs(r["leniency"])),
        flagged=[r for r in ranking.rows if r.candidate.flagged],
        notes=reviews.panel_notes(session, actor=actor, call_reference=reference),
        tie_breaks_text=", ".join(ranking.tie_breaks),
        note_error=request.session.pop("note_error", None),
    )


@router.post("/review/calls/{reference}/notes", dependencies=[Depends(require_csrf)])
def add_note_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    try:
        reviews.add_panel_note(
            session,
            actor=actor_for(user),
            call_reference=reference,
            proposal_reference=form.get("proposal", ""),
            note=form.get("note", ""),
            now=utcnow(),
        )
    except InvalidInput as exc:
        session.rollback()
        request.session["note_error"] = exc.message
    return RedirectResponse(f"/review/calls/{reference}/ranking#notes", status_code=303)


RANKING_COLUMNS = [
    "rank", "reference", "score", "low", "high", "area", "disagreement", "flagged",
    "tied_with", "broken_by", "explanation",
]  # fmt: skip


def ranking_csv(reference: str, rows: list[RankedRow]) -> Response:
    """The ranked list as CSV (UTF-8 with BOM, so spreadsheet programs read it as UTF-8)."""
    out = io.StringIO()
    writer = spreadsheet.DictWriter(out, fieldnames=RANKING_COLUMNS)
    writer.writeheader()
    for r in rows:
        c = r.candidate
        writer.writerow(
            {
                "rank": r.rank,
                "reference": c.reference,
                "score": f"{c.score:.4f}",
                "low": "" if c.low is None else f"{c.low:.4f}",
                "high": "" if c.high is None else f"{c.high:.4f}",
                "area": c.area,
                "disagreement": f"{c.disagreement:.4f}",
                "flagged": "yes" if c.flagged else "no",
                "tied_with": " ".join(r.tied_with),
                "broken_by": r.broken_by or "",
                "explanation": r.explanation,
            }
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ranking-{reference}.csv"'},
    )


@router.get("/review/calls/{reference}/ranking.csv")
def ranking_download(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    """Every row of the ranked list, filtered and sorted as the page's address asks."""
    view = table_view(RANKING, request.query_params)
    ranking = reviews.ranked_list(
        session, actor=actor_for(user), call_reference=reference, tie_breaks=_tie_breaks(request)
    )
    return ranking_csv(ranking.call.reference, ranking_in_view(ranking.rows, view))
