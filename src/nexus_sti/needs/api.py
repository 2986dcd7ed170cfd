"""JSON API for the needs index, country profiles, targets and saved decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nexus_sti.accounts.webdeps import ApiActor
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import NotFound
from nexus_sti.needs import service
from nexus_sti.needs.export import assessment_csv, assessment_json, targets_csv, targets_json
from nexus_sti.needs.schemas import TargetDecisionCreate
from nexus_sti.needs.targets import TargetParams
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import csv_download
from nexus_sti.platform.openapi import answers_as
from nexus_sti.platform.webdeps import SessionDep, get_platform

router = APIRouter(prefix="/api/v1/needs", tags=["needs"])

Format = Literal["json", "csv"]


def _index_file(request: Request) -> Path | None:
    return get_platform(request).settings.needs_index_file


def _csv(text: str, filename: str) -> Response:
    return csv_download(text, filename)


@router.get("/index", responses=answers_as("application/json", "text/csv"))
def read_index(
    actor: ApiActor,
    request: Request,
    format: Format = "json",
    draws: int | None = Query(None, ge=100, le=200_000),
    seed: int | None = Query(None, ge=0, le=2**31 - 1),
) -> Any:
    """Every country's capacity, need, rank and 5-95 % rank interval, with each indicator's
    value, year, source, normalised score and imputation rule (schema nexus-needs-index/1)."""
    assessment = service.current_assessment(
        actor=actor, draws=draws, seed=seed, index_file=_index_file(request)
    )
    if format == "csv":
        return _csv(assessment_csv(assessment), "needs-index.csv")
    return assessment_json(assessment)


@router.get("/countries/{iso3}")
def read_country(iso3: str, actor: ApiActor, request: Request) -> dict[str, Any]:
    """One country's profile: the index row plus its indicators' yearly series."""
    code = iso3.upper()
    if code not in ISO3_CODES:
        raise NotFound("country", iso3)
    body = assessment_json(service.current_assessment(actor=actor, index_file=_index_file(request)))
    row: dict[str, Any] = next(c for c in body["countries"] if c["iso3"] == code)
    codes = [i["code"] for i in row["indicators"]]
    series = service.country_series(code, codes)
    row["series"] = {k: {str(y): v for y, v in s.items()} for k, s in series.items()}
    return row


def target_params(
    track: str,
    preset: Literal["formula", "widening", "balkans"] = "formula",
    a: float = 0.3,
    b: float = 0.5,
    c: float = 0.2,
    floor: float = 0.03,
    cap: float = 0.25,
    slots: int | None = None,
    method: Literal["huntington_hill", "webster", "largest_remainder"] = "huntington_hill",
    minimum: int = 1,
    scale_indicator: str = "IP.JRN.ARTC.SC",
    max_change: float | None = None,
) -> TargetParams:
    return TargetParams(
        track=track, preset=preset, a=a, b=b, c=c, floor=floor, cap=cap, slots=slots,
        method=method, minimum=minimum, scale_indicator=scale_indicator, max_change=max_change,
    )  # fmt: skip


@router.get("/targets", responses=answers_as("application/json", "text/csv"))
def read_targets(
    actor: ApiActor,
    request: Request,
    session: SessionDep,
    params: Annotated[TargetParams, Depends(target_params)],
    format: Format = "json",
) -> Any:
    """Shares and slots for a track under the given parameters (nothing is saved)."""
    body = targets_json(
        service.targets_for(session, actor=actor, params=params, index_file=_index_file(request))
    )
    if format == "csv":
        return _csv(targets_csv(body), f"targets-{params.track}.csv")
    return body


@router.post("/decisions", status_code=201)
def create_decision(
    body: TargetDecisionCreate, actor: ApiActor, session: SessionDep, request: Request
) -> dict[str, Any]:
    """Save targets as the track's next decision version (officers and administrators)."""
    decision = service.save_targets(
        session,
        actor=actor,
        params=body.parameters,
        note=body.note,
        now=utcnow(),
        index_file=_index_file(request),
    )
    return service.decision_summary(decision)


@router.get("/decisions")
def read_decisions(
    actor: ApiActor, session: SessionDep, track: str | None = None
) -> list[dict[str, Any]]:
    return [
        service.decision_summary(d)
        for d in service.list_target_decisions(session, actor=actor, track=track)
    ]


@router.get("/decisions/{decision_id}", responses=answers_as("application/json", "text/csv"))
def read_decision(
    decision_id: int, actor: ApiActor, session: SessionDep, format: Format = "json"
) -> Any:
    decision = service.get_target_decision(session, actor=actor, decision_id=decision_id)
    summary = service.decision_summary(decision)
    if format == "csv":
        return _csv(
            targets_csv({"countries": summary["result"]["countries"]}),
            f"targets-{decision.track}-v{decision.version}.csv",
        )
    return summary
