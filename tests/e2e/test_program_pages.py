"""The pages of a program with no home country and no implementing agency render its own
rules: the call page says who pays, the program page lists its roles, and the targets page asks
for the number of places instead of failing (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from nexus_sti.app.web import create_app
from nexus_sti.calls import service as calls
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from tests.e2e.conftest import login
from tests.e2e.test_program_chain_api import SYSTEM, user
from tests.service.test_program_chain import PASSWORD


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), follow_redirects=False) as client:
        yield client


def test_a_multilateral_programs_pages_show_its_rules(platform: Platform, web: TestClient) -> None:
    now = utcnow()
    with platform.session() as s:
        load_program(s, actor=SYSTEM, loaded=load_preset("nexus"), now=now)
        load_program(s, actor=SYSTEM, loaded=load_preset("easia"), now=now)
        call = calls.create_call(
            s, actor=SYSTEM, track="joint", title="Joint call", opens_at=now,
            closes_at=now + timedelta(days=30), now=now, program="easia",
        )  # fmt: skip
        ref = call.reference
    user(platform, "olivia", "officer")
    login(web, "olivia", PASSWORD)
    page = web.get(f"/calls/{ref}")
    assert page.status_code == 200, page.text
    assert "lead from any; 3+ countries" in page.text
    assert "paid by its own country" in page.text and "35,100,000 JPY" in page.text
    program = web.get("/program?code=easia")
    assert program.status_code == 200
    assert (
        "Multilateral: no home country" in program.text
        and "Lead principal investigator" in program.text
    )
    assert 'href="/program?code=nexus"' in program.text
    targets = web.get("/needs/targets?track=joint")
    assert targets.status_code == 200
    assert "enter the number of places" in targets.text
    sized = web.get("/needs/targets?track=joint&slots=27")
    assert sized.status_code == 200 and "<svg" in sized.text
