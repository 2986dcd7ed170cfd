"""What every route needs: the platform, a database session, CSRF, templates and the page
layout. Who the caller is (``PageUser``, ``ApiActor``) is the accounts context's
(``accounts/webdeps.py``); the layout's user line and navigation come from the composition root,
which sets ``app.state.layout`` (``app/web.py``).

Every page form that changes state carries a CSRF token bound to the session.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from nexus_sti.core.countries import country
from nexus_sti.core.errors import NexusError, PermissionDenied
from nexus_sti.platform import arrival
from nexus_sti.platform.admission import arrived_at
from nexus_sti.platform.context import Platform
from nexus_sti.platform.paging import page_link

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Jinja's own ``capitalize`` lower-cases the rest, which would turn "THA" into "tha".
templates.env.filters["first_upper"] = lambda text: text[:1].upper() + text[1:]
templates.env.filters["country_name"] = lambda iso3: country(iso3).name
templates.env.globals["page_link"] = page_link
templates.env.filters["field_words"] = lambda field: field_in_words(field)

# Field names that plain words say better than their code does.
FIELD_WORDS = {
    "max_load": "Most proposals to review",
    "orcid": "ORCID iD",
    "person_orcid": "The person's ORCID iD",
    "person_name": "The person's name",
    "organisation_name": "The organisation's name",
    "proposal_reference": "The proposal",
    "reviewer_id": "The reviewer",
    "reviewer_ids": "The reviewers",
    "researcher_id": "The researcher",
    "coauthorship_years": "Years of co-authorship",
}
_INDEXED = re.compile(r"^(\w+?)s?\[(\d+)\]\.?(.*)$")


def field_in_words(field: str) -> str:
    """A form field's code as a person reads it: ``publications[2].title`` is "Publication 3:
    title", ``max_load`` is "Most proposals to review", ``person_name`` "The person's name"."""
    if field in FIELD_WORDS:
        return FIELD_WORDS[field]
    indexed = _INDEXED.match(field)
    if indexed:
        name, index, rest = indexed.groups()
        head = f"{name.replace('_', ' ').capitalize()} {int(index) + 1}"
        return f"{head}: {rest.replace('_', ' ')}" if rest else head
    words = field.replace("_", " ").replace(".", " ")
    return words[:1].upper() + words[1:]


class LoginRequired(NexusError):
    """A page needs a logged-in user; the boundary turns this into a redirect to /login."""

    code = "login_required"
    http_status = 303


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_session(request: Request) -> Iterator[Session]:
    with get_platform(request).session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def submission_clock(request: Request, proof: str | None = None) -> dict[str, Any]:
    """What a deadline is judged on: the request's arrival at the server (or the earlier one a
    proof of arrival states, sent as a header or, from a page, as the form field
    ``arrival_proof``) and the grace rule."""
    settings = get_platform(request).settings
    stamp = arrived_at(request.scope)
    if stamp is not None:  # a retry after a busy answer counts from its first arrival
        secret: str = request.app.state.secret
        proof = request.headers.get(arrival.HEADER) or proof
        stamp = arrival.earliest(stamp, secret, request.method, request.url.path, proof)
    return {"arrived_at": stamp, "grace": timedelta(seconds=settings.deadline_grace_s)}


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing form post whose CSRF token does not match the session's."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise PermissionDenied("submit this form", "the form's security token is missing")
    if not secrets.compare_digest(sent, expected):
        raise PermissionDenied("submit this form", "the form's security token does not match")


def render(
    request: Request, template: str, user: Any = None, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    """Render a page with what the layout needs: the user, their actor and areas (from the
    composition root's ``app.state.layout``) and a CSRF token."""
    layout = getattr(request.app.state, "layout", None)
    context = {
        "user": user,
        **(layout(user) if layout is not None and user is not None else {"actor": None, "nav": []}),
        "csrf_token": csrf_token(request),
        "synthetic_data": getattr(request.app.state, "synthetic_data", False),
        **ctx,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


async def posted_form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted fields, and the repeated ones (checkbox lists) separately."""
    form = await request.form()
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return {k: v for k, v in form.items() if isinstance(v, str)}, lists


PostedForm = Annotated[tuple[dict[str, str], dict[str, list[str]]], Depends(posted_form)]


def take_notice(request: Request) -> str | None:
    notice = request.session.pop("notice", None)
    return notice if isinstance(notice, str) else None
