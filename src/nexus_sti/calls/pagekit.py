"""What the call and proposal pages share: permission checks, posted forms, one-time notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


async def posted_form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted fields, and the repeated ones (checkbox lists) separately."""
    form = await request.form()
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return {k: v for k, v in form.items() if isinstance(v, str)}, lists


PostedForm = Annotated[tuple[dict[str, str], dict[str, list[str]]], Depends(posted_form)]


def take_notice(request: Request) -> str | None:
    notice = request.session.pop("notice", None)
    return notice if isinstance(notice, str) else None
