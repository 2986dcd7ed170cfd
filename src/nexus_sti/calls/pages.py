"""Pages: the proposals the user may see, and their CSV export."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.calls.service import list_proposals
from nexus_sti.platform.webdeps import PageUser, SessionDep, render

router = APIRouter(include_in_schema=False)


@router.get("/proposals")
def proposals_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    country: str = Query("", pattern="^([A-Z]{3})?$"),
    page: int = Query(1, ge=1),
) -> Response:
    result = list_proposals(session, actor=actor_for(user), country=country or None, page=page)
    return render(
        request, "proposals.html", user, result=result, country=country, title="Proposals"
    )


@router.get("/proposals.csv")
def proposals_csv(
    user: PageUser, session: SessionDep, country: str = Query("", pattern="^([A-Z]{3})?$")
) -> Response:
    """Every proposal the user may see, as UTF-8 CSV (with BOM, so spreadsheet programs show
    Thai, Khmer, Lao, Burmese and Japanese names correctly)."""
    actor = actor_for(user)
    first = list_proposals(session, actor=actor, country=country or None, per_page=500)
    rows = list(first.rows)
    for page in range(2, first.pages + 1):
        rows += list_proposals(
            session, actor=actor, country=country or None, page=page, per_page=500
        ).rows
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "reference",
            "title",
            "track",
            "area",
            "status",
            "lead",
            "lead_local_script",
            "countries",
            "requested",
            "synthetic",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.reference,
                r.title,
                r.track,
                r.area,
                r.status,
                r.lead_name,
                r.lead_name_local,
                " ".join(r.countries),
                r.requested,
                "yes" if r.synthetic else "no",
            ]
        )
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="proposals.csv"'},
    )
