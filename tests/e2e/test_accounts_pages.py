"""An administrator links an account to a researcher profile on the accounts page; nobody else
may, and a wrong id is named."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.accounts.tables import User
from nexus_sti.people.tables import Researcher
from nexus_sti.platform.context import Platform
from tests.e2e.conftest import csrf_of, login


def test_an_admin_links_the_analyst_to_a_researcher(
    client: TestClient, demo_platform: Platform
) -> None:
    with demo_platform.session() as s:
        taken = set(s.scalars(select(User.researcher_id).where(User.researcher_id.is_not(None))))
        free = s.scalar(select(Researcher).where(Researcher.id.not_in(taken)).limit(1))
        assert free is not None
        rid, name = free.id, free.name_latin
    login(client, "officer")
    assert client.get("/accounts").status_code == 403
    page = client.get("/")  # any page of the officer's carries their session's CSRF token
    refused = client.post(
        "/accounts/link",
        data={"username": "analyst", "researcher_id": str(rid), "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/accounts")
    token = csrf_of(page.text)
    wrong = client.post(
        "/accounts/link", data={"username": "analyst", "researcher_id": "x1", "csrf_token": token}
    )
    assert wrong.status_code == 422 and "a whole number" in wrong.text
    linked = client.post(
        "/accounts/link",
        data={"username": "analyst", "researcher_id": str(rid), "csrf_token": token},
    )
    assert linked.status_code == 303
    page = unescape(client.get("/accounts").text)
    assert f"analyst is now linked to researcher {rid}." in page
    assert f"{rid}: {name}" in page
    with demo_platform.session() as s:
        assert s.scalar(select(User.researcher_id).where(User.username == "analyst")) == rid
