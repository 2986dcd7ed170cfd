"""Pages of a proposal: the editor with its live eligibility checks, the proposal with its
checks, attachments, submission and its receipt, withdrawal, versions, and the invited members'
answer page.

Invitation links are secrets that work once. After a save they are kept in the (signed) session
and the browser is redirected (POST, redirect, GET); the proposal page takes them out of the
session and shows them once. A token never appears in a URL other than its own link, so it does
not end up in the history or a Referer header, and reloading the page does not save again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from nexus_sti.accounts.service import actor_for
from nexus_sti.accounts.webdeps import PageUser, Viewer
from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.service import call_by_id, get_call
from nexus_sti.core import spreadsheet
from nexus_sti.core.access import Actor, Role, require
from nexus_sti.core.areas import PRIORITY_AREAS
from nexus_sti.core.errors import InvalidInput, RuleViolation
from nexus_sti.platform import paging
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.downloads import file_download
from nexus_sti.platform.table_view import TableView, table_view
from nexus_sti.platform.webdeps import SessionDep, render, require_csrf, submission_clock
from nexus_sti.programs.service import program_version
from nexus_sti.proposals import draft_checks, files, service
from nexus_sti.proposals.attachments import ATTACHMENT_KINDS
from nexus_sti.proposals.eligibility import CallRules, Verdict
from nexus_sti.proposals.forms import (
    EditorForm,
    blank_form,
    form_from_content,
    form_from_fields,
    raw_content,
    read_form,
    verdicts_in_words,
)
from nexus_sti.proposals.pages.editor import (
    PostedForm,
    edit_rows,
    editor_options,
    limits_of,
    live_checks,
    summary_of,
)
from nexus_sti.proposals.pages.table_views import PROPOSALS
from nexus_sti.proposals.ports import DECIDED, outcome_port
from nexus_sti.proposals.queries import ProposalList, funder_split, list_proposals
from nexus_sti.proposals.tables import Proposal, ProposalMember
from nexus_sti.proposals.workflow import PROPOSAL

if TYPE_CHECKING:
    from nexus_sti.calls.tables import Call

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 10 * 1024 * 1024 + 1  # one byte over the limit, so the check can say "too large"
EDITABLE = ("draft", "submitted")
SUBMITTED = ("submitted", "eligible", "ineligible")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A call's deadline as the user reads it."""

    local: str
    utc: str
    left: str
    closed_reason: str | None


def deadline_of(call: Call, user: Viewer) -> Deadline:
    now = utcnow()
    return Deadline(
        local=local_time(call.closes_at, zone_for(user.country)),
        utc=f"{call.closes_at:%Y-%m-%d %H:%M} UTC",
        left=time_left(call.closes_at, now),
        closed_reason=accepting(call.status, call.opens_at, call.closes_at, now),
    )


def _remember_invitations(
    request: Request, reference: str, invitations: list[service.Invitation]
) -> None:
    if invitations:
        request.session["invitations"] = {
            "reference": reference,
            "links": [[i.name, i.email, f"/invitations/{i.token}"] for i in invitations],
        }


# --- the editor for a new proposal ---------------------------------------------------------


def _require_applicant(user: Viewer) -> Actor:
    actor = actor_for(user)
    require(actor, "proposals.create", "write proposals")
    return actor


def _open_call(session: Session, actor: Actor, reference: str) -> Call:
    call = get_call(session, actor=actor, reference=reference)
    reason = accepting(call.status, call.opens_at, call.closes_at, utcnow())
    if reason:
        raise RuleViolation("call.deadline", f"call {reference} takes no submissions: {reason}")
    return call


def _new_page(
    request: Request,
    user: Viewer,
    session: Session,
    call: Call,
    form: EditorForm,
    *,
    problems: dict[str, str] | None = None,
    editor_notice: str | None = None,
) -> Response:
    return render(
        request,
        "proposal_edit.html",
        user,
        status_code=422 if problems else 200,
        title="New proposal",
        call=call,
        deadline=deadline_of(call, user),
        form=form,
        error=summary_of(problems) if problems else None,
        problems=problems or {},
        editor_notice=editor_notice,
        editor_action="/proposals/new",
        editor_check="/proposals/new/check",
        editor_label="Save draft",
        **editor_options(session, call),
    )


def _starting_role(rules: CallRules, country: str | None) -> str:
    """The role the applicant who starts a proposal most likely holds: the project lead where
    they may lead from their country, else their country team's lead."""
    by_kind: dict[str, str] = {role.kind: code for code, role in rules.roles.items()}
    if country in rules.lead_countries or "country_lead" not in by_kind:
        return by_kind["lead"]
    return by_kind["country_lead"]


@router.get("/proposals/new")
def new_proposal(
    request: Request, user: PageUser, session: SessionDep, call: str = Query(min_length=1)
) -> Response:
    actor = _require_applicant(user)
    found = _open_call(session, actor, call)
    lead_role = _starting_role(service.call_rules(session, found), user.country)
    me = {"name": user.display_name, "email": user.email or "", "country": user.country or ""}
    form = blank_form(
        limits_of(session, found),
        area=found.areas[0] if found.areas else "",
        member={**me, "role": lead_role},
    )
    return _new_page(request, user, session, found, form)


@router.post("/proposals/new", dependencies=[Depends(require_csrf)])
def create_proposal_page(
    request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    actor = _require_applicant(user)
    fields, areas = posted
    call = _open_call(session, actor, str(fields.get("call", "")))
    limits = limits_of(session, call)
    form = form_from_fields(fields, areas)
    rows = edit_rows(fields, form, limits)
    if rows is not None:
        return _new_page(
            request, user, session, call, rows.form, problems=rows.problems,
            editor_notice=rows.notice,
        )  # fmt: skip
    read = read_form(form, limits)
    if read.content is None:
        return _new_page(
            request, user, session, call, form.padded(limits), problems=read.by_field()
        )
    saved = service.create_proposal(
        session, actor=actor, call_reference=call.reference, content=read.content, now=utcnow()
    )
    reference = saved.proposal.reference
    _remember_invitations(request, reference, saved.invitations)
    request.session["notice"] = f"Draft {reference} saved as version 1."
    return RedirectResponse(f"/proposals/{reference}", status_code=303)


@router.post("/proposals/new/check", dependencies=[Depends(require_csrf)])
def check_new_proposal_page(
    request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    """The live checks of a new proposal's editor (a fragment); nothing is saved."""
    actor = _require_applicant(user)
    fields, areas = posted
    call = _open_call(session, actor, str(fields.get("call", "")))
    return live_checks(
        request,
        form_from_fields(fields, areas),
        limits_of(session, call),
        lambda content: draft_checks.check_new_draft(
            session, actor=actor, call_reference=call.reference, content=content, now=utcnow()
        ),
    )


# --- one proposal ----------------------------------------------------------------------------


def _proposal_page(
    request: Request,
    user: Viewer,
    session: Session,
    reference: str,
    *,
    form: EditorForm | None = None,
    error: str | None = None,
    problems: dict[str, str] | None = None,
    editor_notice: str | None = None,
    failing: tuple[Verdict, ...] = (),
    upload_error: str | None = None,
) -> Response:
    actor = actor_for(user)
    proposal = service.readable_proposal(session, actor=actor, reference=reference)
    call = call_by_id(session, proposal.call_id)
    deadline = deadline_of(call, user)
    owner = actor.role is Role.APPLICANT and proposal.owner_id == user.id
    can_edit = owner and proposal.status in EDITABLE and deadline.closed_reason is None
    content = service.content_of(session, proposal)
    members = list(
        session.scalars(
            select(ProposalMember)
            .where(ProposalMember.proposal_id == proposal.id)
            .order_by(ProposalMember.id)
        )
    )
    if problems:
        error = summary_of(problems)
    invitations = None
    if error is None and not failing and not upload_error:
        flashed = request.session.pop("invitations", None)
        if isinstance(flashed, dict) and flashed.get("reference") == reference:
            invitations = flashed.get("links")
    notice = request.session.pop("notice", None) if error is None else None
    status = 422 if error or failing or upload_error else 200
    outcome = None
    if proposal.status in DECIDED:
        outcome = outcome_port(request).outcome(
            session, call_id=call.id, proposal_id=proposal.id, reference=proposal.reference
        )
    config = program_version(session, call.program_version_id).config
    limits = limits_of(session, call)
    saved_form = form_from_content(content, limits)
    verdicts = service.check_proposal(session, actor=actor, reference=reference)
    return render(
        request,
        "proposal_view.html",
        user,
        status_code=status,
        title=f"Proposal {reference}",
        proposal=proposal,
        call=call,
        deadline=deadline,
        owner=owner,
        can_edit=can_edit,
        content=content,
        members=members,
        checks=verdicts_in_words(verdicts, raw_content(saved_form)),
        attachments=files.list_attachments(session, actor=actor, reference=reference),
        attachment_kinds=ATTACHMENT_KINDS,
        role_labels={code: r.name for code, r in service.call_rules(session, call).roles.items()},
        versions=service.versions_of(session, actor=actor, reference=reference),
        outcome=outcome,
        funder_split=funder_split(session, proposal.id) if outcome and outcome.funded else [],
        funder_names={f.code: f.name for f in config.funders},
        receipt=proposal.status in SUBMITTED and proposal.submitted_at is not None,
        submitted_at=(
            local_time(proposal.submitted_at, zone_for(user.country))
            if proposal.submitted_at
            else None
        ),
        show_receipt=request.query_params.get("receipt") == "1",
        invitations=invitations,
        notice=notice,
        form=form or saved_form,
        error=error,
        problems=problems or {},
        editor_error=error is not None and form is not None,
        editor_notice=editor_notice,
        failing=verdicts_in_words(failing, raw_content(saved_form)),
        upload_error=upload_error,
        editor_action=f"/proposals/{reference}",
        editor_check=f"/proposals/{reference}/check",
        editor_label=f"Save as version {proposal.version + 1}",
        **(editor_options(session, call) if can_edit else {}),
    )


@router.get("/proposals/{reference}")
def proposal_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _proposal_page(request, user, session, reference)


@router.post("/proposals/{reference}", dependencies=[Depends(require_csrf)])
def update_proposal_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    actor = _require_applicant(user)
    proposal = service.readable_proposal(session, actor=actor, reference=reference)
    was_submitted = proposal.status == "submitted"
    fields, areas = posted
    limits = limits_of(session, call_by_id(session, proposal.call_id))
    form = form_from_fields(fields, areas)
    rows = edit_rows(fields, form, limits)
    if rows is not None:
        return _proposal_page(
            request, user, session, reference, form=rows.form, problems=rows.problems,
            editor_notice=rows.notice,
        )  # fmt: skip
    read = read_form(form, limits)
    if read.content is None:
        return _proposal_page(
            request, user, session, reference, form=form.padded(limits), problems=read.by_field()
        )
    try:
        saved = service.update_proposal(
            session, actor=actor, reference=reference, content=read.content, now=utcnow()
        )
    except RuleViolation as exc:
        session.rollback()
        return _proposal_page(
            request, user, session, reference, form=form.padded(limits), error=exc.message
        )
    _remember_invitations(request, reference, saved.invitations)
    notice = f"Saved as version {saved.proposal.version}."
    if was_submitted and saved.proposal.status == "draft":
        notice += (
            " The content changed since it was submitted: the proposal is a draft again and "
            "must be submitted again before the deadline."
        )
    request.session["notice"] = notice
    return RedirectResponse(f"/proposals/{reference}", status_code=303)


@router.post("/proposals/{reference}/check", dependencies=[Depends(require_csrf)])
def check_proposal_page(
    reference: str, request: Request, user: PageUser, session: SessionDep, posted: PostedForm
) -> Response:
    """The live checks of the proposal's editor: every rule's verdict on what the editor holds
    (a fragment), for the proposal's owner only; nothing is saved."""
    actor = _require_applicant(user)
    proposal = service.owned_proposal(session, actor, reference)
    fields, areas = posted
    return live_checks(
        request,
        form_from_fields(fields, areas),
        limits_of(session, call_by_id(session, proposal.call_id)),
        lambda content: draft_checks.check_draft(
            session, actor=actor, reference=reference, content=content, now=utcnow()
        ),
    )


@router.post("/proposals/{reference}/submit", dependencies=[Depends(require_csrf)])
def submit_proposal_page(
    reference: str,
    request: Request,
    user: PageUser,
    session: SessionDep,
    arrival_proof: Annotated[str | None, Form()] = None,
) -> Response:
    actor = _require_applicant(user)
    service.readable_proposal(session, actor=actor, reference=reference)
    try:
        service.submit_proposal(
            session,
            actor=actor,
            reference=reference,
            now=utcnow(),
            **submission_clock(request, arrival_proof),
        )
    except RuleViolation as exc:
        session.rollback()
        verdicts = service.check_proposal(session, actor=actor, reference=reference)
        failing = tuple(v for v in verdicts if not v.passed)
        if not failing:  # the deadline, not a rule of the proposal
            return _proposal_page(request, user, session, reference, error=exc.message)
        return _proposal_page(request, user, session, reference, failing=failing)
    return RedirectResponse(f"/proposals/{reference}?receipt=1", status_code=303)


@router.post("/proposals/{reference}/withdraw", dependencies=[Depends(require_csrf)])
def withdraw_proposal_page(
    reference: str, request: Request, user: PageUser, session: SessionDep
) -> Response:
    actor = _require_applicant(user)
    service.readable_proposal(session, actor=actor, reference=reference)
    try:
        service.withdraw_proposal(session, actor=actor, reference=reference, now=utcnow())
    except RuleViolation as exc:
        session.rollback()
        return _proposal_page(request, user, session, reference, error=exc.message)
    request.session["notice"] = f"{reference} is withdrawn; it will not be reviewed."
    return RedirectResponse(f"/proposals/{reference}", status_code=303)


@router.post("/proposals/{reference}/attachments", dependencies=[Depends(require_csrf)])
def upload_attachment_page(
    reference: str,
    request: Request,
    user: PageUser,
    session: SessionDep,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    actor = _require_applicant(user)
    service.readable_proposal(session, actor=actor, reference=reference)
    try:
        attachment = files.save_attachment(
            session,
            actor=actor,
            reference=reference,
            kind=kind,
            filename=file.filename or "",
            data=file.file.read(MAX_UPLOAD),
            now=utcnow(),
        )
    except (InvalidInput, RuleViolation) as exc:
        session.rollback()
        return _proposal_page(request, user, session, reference, upload_error=exc.message)
    request.session["notice"] = (
        f"Uploaded {attachment.filename} as the {ATTACHMENT_KINDS.get(kind, kind).lower()}."
    )
    return RedirectResponse(f"/proposals/{reference}#attachments", status_code=303)


@router.get("/proposals/{reference}/attachments/{attachment_id}")
def download_attachment(
    reference: str, attachment_id: int, user: PageUser, session: SessionDep
) -> Response:
    a = files.get_attachment(
        session, actor=actor_for(user), reference=reference, attachment_id=attachment_id
    )
    return file_download(a.content, a.media_type, a.filename)


# --- invitations (no login: the token in the link is the credential) ---------------------


@router.get("/invitations/{token}")
def invitation_page(token: str, request: Request, session: SessionDep) -> Response:
    member, proposal = service.read_invitation(session, token=token)
    return render(
        request,
        "invitation.html",
        title="Invitation to a consortium",
        member=member,
        proposal=proposal,
        role_labels=service.role_names(session, proposal.call_id),
        answered=None,
    )


@router.post("/invitations/{token}", dependencies=[Depends(require_csrf)])
def answer_invitation_page(
    token: str, request: Request, session: SessionDep, answer: Annotated[str, Form()]
) -> Response:
    if answer not in ("accept", "decline"):
        raise InvalidInput("answer", "accept or decline")
    member = service.respond_to_invitation(
        session, token=token, accept=answer == "accept", now=utcnow()
    )
    proposal = session.get(Proposal, member.proposal_id)
    assert proposal is not None
    return render(
        request,
        "invitation.html",
        title="Invitation answered",
        member=member,
        proposal=proposal,
        role_labels=service.role_names(session, proposal.call_id),
        answered=member.confirmation,
    )


# --- proposals the user may see --------------------------------------------------------------


@router.get("/proposals")
def proposals_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    country: str = Query("", pattern="^([A-Z]{3})?$"),
) -> Response:
    """The proposals the user may see, sorted and filtered by the database a page at a time."""
    view = table_view(PROPOSALS, request.query_params, request.url.path)
    actor = actor_for(user)

    def listed(number: int) -> ProposalList:
        return list_proposals(
            session, actor=actor, country=country or None, page=number,
            per_page=paging.PAGE_SIZE, **_wanted(view),
        )  # fmt: skip

    result = listed(view.number)
    if result.page > result.pages:  # past the end: the last page, as the other tables do
        result = listed(result.pages)
    return render(
        request,
        "proposals.html",
        user,
        result=result,
        page=paging.Page(result.rows, result.page, result.per_page, result.total),
        view=view,
        statuses=PROPOSAL.states,
        areas=PRIORITY_AREAS,
        title="Proposals",
    )


def _wanted(view: TableView) -> dict[str, Any]:
    """The view's sort and filters as ``list_proposals`` arguments."""
    return {
        "sort": view.sort,
        "descending": view.descending,
        "status": view.filter("status") or None,
        "area": view.filter("area") or None,
        "text": view.filter("q") or None,
    }


@router.get("/proposals.csv")
def proposals_csv(
    request: Request,
    user: PageUser,
    session: SessionDep,
    country: str = Query("", pattern="^([A-Z]{3})?$"),
) -> Response:
    """Every proposal the user may see, as UTF-8 CSV (with BOM, so spreadsheet programs show
    Thai, Khmer, Lao, Burmese, kana and kanji names correctly); sorted and filtered as the
    list page's address asks, on every page."""
    actor = actor_for(user)
    wanted = _wanted(table_view(PROPOSALS, request.query_params))
    first = list_proposals(session, actor=actor, country=country or None, per_page=500, **wanted)
    rows = list(first.rows)
    for page in range(2, first.pages + 1):
        rows += list_proposals(
            session, actor=actor, country=country or None, page=page, per_page=500, **wanted
        ).rows
    buf = io.StringIO()
    writer = spreadsheet.writer(buf)
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
