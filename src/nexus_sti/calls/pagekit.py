"""What the call and proposal pages share: permission checks, posted forms, one-time notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from nexus_sti.accounts.model import Actor, check
from nexus_sti.core.errors import PermissionDenied


def require(actor: Actor, action: str, what: str) -> None:
    decision = check(actor, action)
    if not decision:
        raise PermissionDenied(what, decision.reason)


async def posted_form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted fields, and the repeated ones (checkbox lists) separately."""
    form = await request.form()
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return {k: v for k, v in form.items() if isinstance(v, str)}, lists


PostedForm = Annotated[tuple[dict[str, str], dict[str, list[str]]], Depends(posted_form)]


def take_notice(request: Request) -> str | None:
    notice = request.session.pop("notice", None)
    return notice if isinstance(notice, str) else None
