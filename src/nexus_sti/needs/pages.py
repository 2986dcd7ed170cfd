"""Pages of the needs area: the needs index, one profile per country, and country targets.

The targets page recomputes with GET (the form's fields are the query) and saves with a POST
that carries the same fields, a note and the CSRF token.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.core.access import check, require
from nexus_sti.core.areas import priority_area
from nexus_sti.core.countries import country
from nexus_sti.core.errors import InvalidInput, NotFound
from nexus_sti.needs.assessment import NeedsAssessment
from nexus_sti.needs.charts import capacity_chart, indicator_series_chart, shares_chart
from nexus_sti.needs.export import assessment_csv, assessment_json, targets_csv
from nexus_sti.needs.service import (
    country_series,
    current_assessment,
    decision_summary,
    get_target_decision,
    list_target_decisions,
    save_targets,
    targets_for,
)
from nexus_sti.needs.tables import TargetDecision
from nexus_sti.needs.targets import (
    PRESET_LABELS,
    SCALE_INDICATORS,
    TargetParams,
    default_slots,
    target_countries,
)
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import csv_download, json_download
from nexus_sti.platform.webdeps import SessionDep, get_platform, render, require_csrf
from nexus_sti.programs.model import ProgramConfig
from nexus_sti.programs.service import current_program
from nexus_sti.reference.snapshot import load_snapshot

router = APIRouter(include_in_schema=False)


def _index_file(request: Request) -> Path | None:
    return get_platform(request).settings.needs_index_file


PARAM_FIELDS: tuple[str, ...] = tuple(TargetParams.model_fields)
METHOD_LABELS = {
    "huntington_hill": "Huntington-Hill (geometric mean rounding)",
    "webster": "Webster (standard rounding)",
    "largest_remainder": "Largest remainder (Hamilton)",
}
# How the sensitivity sentence names each Monte Carlo factor.
FACTOR_WORDS = {
    "weights": "the weights",
    "normalisation": "the normalisation method",
    "aggregation": "the aggregation method",
    "outliers": "the outlier treatment",
    "imputation": "how missing values are imputed",
}


def _labels(assessment: NeedsAssessment) -> dict[str, str]:
    return {i.code: i.label for c in assessment.countries for i in c.indicators}


@router.get("/needs")
def needs_overview(request: Request, user: PageUser) -> Response:
    assessment = current_assessment(actor=actor_for(user), index_file=_index_file(request))
    sensitivity = sorted(assessment.sensitivity, key=lambda e: e.mean_rank_shift, reverse=True)
    return render(
        request,
        "needs_overview.html",
        user,
        title="Needs & targets",
        assessment=assessment,
        chart=capacity_chart(assessment),
        countries=sorted(assessment.countries, key=lambda c: c.rank),
        labels=_labels(assessment),
        sensitivity=sensitivity,
        moves_most=sensitivity[0] if sensitivity else None,
        factor_words=FACTOR_WORDS,
        areas=[(priority_area(a.area).name, a) for a in assessment.areas],
        sources=load_snapshot().attribution_lines(),
    )


@router.get("/needs/index.json")
def needs_index_json(request: Request, user: PageUser) -> Response:
    """The index as the API gives it (schema nexus-needs-index/1), for the signed-in reader."""
    assessment = current_assessment(actor=actor_for(user), index_file=_index_file(request))
    return json_download(assessment_json(assessment), "needs-index.json")


@router.get("/needs/index.csv")
def needs_index_csv(request: Request, user: PageUser) -> Response:
    """One row per country and indicator."""
    assessment = current_assessment(actor=actor_for(user), index_file=_index_file(request))
    return csv_download(assessment_csv(assessment), "needs-index.csv")


@router.get("/needs/decisions/{decision_id}.json")
def decision_json(decision_id: int, user: PageUser, session: SessionDep) -> Response:
    """A saved target decision, as the API gives it, for the signed-in reader."""
    decision = get_target_decision(session, actor=actor_for(user), decision_id=decision_id)
    return json_download(
        decision_summary(decision), f"targets-{decision.track}-v{decision.version}.json"
    )


@router.get("/needs/decisions/{decision_id}.csv")
def decision_csv(decision_id: int, user: PageUser, session: SessionDep) -> Response:
    decision = get_target_decision(session, actor=actor_for(user), decision_id=decision_id)
    summary = decision_summary(decision)
    return csv_download(
        targets_csv({"countries": summary["result"]["countries"]}),
        f"targets-{decision.track}-v{decision.version}.csv",
    )


@functools.lru_cache(maxsize=64)
def _series_chart(
    iso3: str, codes: tuple[str, ...], labels: tuple[tuple[str, str], ...], window: tuple[int, int]
) -> str:
    """A country's indicator charts, drawn once per process: they come from the built-in
    snapshot, which changes only with a new release (or a restart with another index file)."""
    return indicator_series_chart(country_series(iso3, list(codes)), dict(labels), window)


@router.get("/needs/countries/{iso3}")
def country_profile(iso3: str, request: Request, user: PageUser) -> Response:
    assessment = current_assessment(actor=actor_for(user), index_file=_index_file(request))
    try:
        row = assessment.country(iso3.upper())
    except KeyError:
        raise NotFound("country", iso3) from None
    codes = [i.code for i in row.indicators]
    labels = _labels(assessment)
    series = country_series(row.iso3, codes)
    chart = _series_chart(row.iso3, tuple(codes), tuple(sorted(labels.items())), assessment.window)
    return render(
        request,
        "needs_country.html",
        user,
        title=f"Needs: {row.iso3}",
        assessment=assessment,
        row=row,
        sources=list(dict.fromkeys(i.source for i in row.indicators)),
        chart=chart,
        without_series=[labels[c] for c in codes if c not in series],
        others=[c.iso3 for c in assessment.countries if c.iso3 != row.iso3],
    )


def _submitted(fields: Mapping[str, Any]) -> dict[str, str]:
    """The target parameters a form sent, without empty fields (those take the defaults)."""
    out = {}
    for name in PARAM_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            out[name] = value.strip()
    return out


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        # A rule across fields (a + b + c, floor vs cap) names its fields in the message.
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)


def _default_track(config: ProgramConfig) -> str:
    research = [t.code for t in config.tracks if t.kind == "research"]
    return research[0] if research else config.tracks[0].code


def _defaults() -> dict[str, str]:
    out = {}
    for name, field in TargetParams.model_fields.items():
        if not field.is_required():
            out[name] = "" if field.default is None else str(field.default)
    return out


def _targets_view(
    request: Request,
    user: Viewer,
    session: Session,
    raw: dict[str, str],
    *,
    note: str = "",
    saved: TargetDecision | None = None,
    error: str | None = None,
) -> Response:
    actor = actor_for(user)
    config = current_program(session).config
    raw = {"track": _default_track(config), **raw}
    decisions = list_target_decisions(session, actor=actor, track=raw["track"])
    track_codes = [t.code for t in config.tracks]
    placeholder: int | str = ""
    hint = None
    if raw["track"] in track_codes:
        try:
            placeholder = default_slots(config, raw["track"])
        except InvalidInput as exc:  # a track with no per-project maximum: ask for the places
            if not str(raw.get("slots", "")).strip():
                hint = exc.message.split(": ", 1)[-1]
    result = None
    if error is None and (placeholder != "" or str(raw.get("slots", "")).strip()):
        try:
            result = targets_for(
                session,
                actor=actor,
                params=TargetParams.model_validate(raw),
                index_file=_index_file(request),
            )
        except ValidationError as exc:
            error = _validation_message(exc)
        except InvalidInput as exc:
            error = exc.message
    return render(
        request,
        "needs_targets.html",
        user,
        status_code=422 if error else 200,
        title="Country targets",
        form={**_defaults(), **raw},
        error=error,
        note=note,
        result=result,
        chart=shares_chart(result) if result else None,
        saved=saved,
        decisions=decisions,
        tracks=config.tracks,
        track_names={t.code: t.name for t in config.tracks},
        slots_placeholder=placeholder,
        hint=hint,
        member_count=len(target_countries(config)),
        partners_name=config.program.partners_name,
        home_name=country(config.home_country).name if config.home_country else None,
        presets=PRESET_LABELS,
        methods=METHOD_LABELS,
        scale_indicators=SCALE_INDICATORS,
        can_save=bool(check(actor, "targets.save")),
    )


def _saved_decision(session: Session, user: Viewer, value: str | None) -> TargetDecision | None:
    if not value or not value.isdigit():
        return None
    try:
        return get_target_decision(session, actor=actor_for(user), decision_id=int(value))
    except NotFound:
        return None


@router.get("/needs/targets")
def targets_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    raw = _submitted(request.query_params)
    saved = _saved_decision(session, user, request.query_params.get("saved"))
    if saved is not None and set(raw) <= {"track"}:
        # Straight after saving: show the parameters that were saved.
        raw = _submitted({k: str(v) for k, v in saved.parameters.items() if v is not None})
    return _targets_view(request, user, session, raw, saved=saved)


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@router.post("/needs/targets", dependencies=[Depends(require_csrf)])
def save_targets_page(
    request: Request, user: PageUser, session: SessionDep, form: FormFields
) -> Response:
    actor = actor_for(user)
    require(actor, "targets.save", "save country targets")
    raw = _submitted(form)
    note = form.get("note", "")
    try:
        params = TargetParams.model_validate(raw)
        decision = save_targets(
            session,
            actor=actor,
            params=params,
            note=note,
            now=utcnow(),
            index_file=_index_file(request),
        )
    except ValidationError as exc:
        return _targets_view(request, user, session, raw, note=note, error=_validation_message(exc))
    except InvalidInput as exc:
        session.rollback()
        return _targets_view(request, user, session, raw, note=note, error=exc.message)
    query = urlencode({"track": decision.track, "saved": decision.id})
    return RedirectResponse(f"/needs/targets?{query}", status_code=303)
