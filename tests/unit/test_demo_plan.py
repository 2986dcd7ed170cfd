"""How a generated demo data set maps onto a program, without a database: both presets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.demo.generator import DemoDataset, DemoParams, generate_demo
from nexus_sti.demo.plan import CallSlot, demo_tracks, plan_proposals
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.model import ProgramConfig

CLOSED = datetime(2026, 4, 15, tzinfo=UTC)


def dataset(lead_country: str | None, countries: tuple[str, ...]) -> DemoDataset:
    capacity = dict.fromkeys(ISO3_CODES, 1000.0)
    coauthorship = {c: 100.0 for c in ISO3_CODES if c != "JPN"}
    params = DemoParams(
        research_capacity=capacity,
        coauthorship_with_japan=coauthorship,
        n_proposals=60,
        n_reviewers=12,
        n_mobility_applicants=5,
        n_host_offers=5,
        lead_country=lead_country,
        countries=countries,
    )
    return generate_demo(params, np.random.default_rng(7))


def slots(config: ProgramConfig) -> dict[str, CallSlot]:
    return {
        track: CallSlot(f"DEMO-{track[:3].upper()}", track, CLOSED)
        for track in set(demo_tracks(config).values())
    }


@pytest.mark.parametrize("preset", ["nexus", "easia"])
def test_every_proposal_fits_its_tracks_rules_and_speaks_the_programs_roles(preset: str) -> None:
    config = load_preset(preset).config
    home = config.program.home_country
    countries = tuple(config.program.countries)
    data = dataset(home, countries)
    plan = plan_proposals(data, config, slots(config))
    assert [p.key for p in plan] == [p.key for p in data.proposals]
    assert len({p.reference for p in plan}) == len(plan)
    role_codes = {r.code for r in config.roles}
    for p in plan:
        track = config.track(p.call_track)
        assert p.reference.startswith(f"DEMO-{p.call_track[:3].upper()}-")
        assert track.min_duration_months <= p.duration_months <= track.max_duration_months
        assert p.currency == track.budget_currency
        assert p.submitted_at == CLOSED - timedelta(days=1)
        assert p.members[0].role == config.lead_role.code
        assert p.members[0].researcher_key == p.lead_key
        assert {m.role for m in p.members} <= role_codes
        assert all(m.sector in {"university", "institute", "industry"} for m in p.members)


def test_a_program_with_an_agency_records_the_request_and_one_without_records_none() -> None:
    nexus, easia = load_preset("nexus").config, load_preset("easia").config
    data = dataset("JPN", tuple(ISO3_CODES))
    with_agency = plan_proposals(data, nexus, slots(nexus))
    without = plan_proposals(data, easia, slots(easia))
    assert all(p.requested_amount > 0 for p in with_agency)
    assert [int(p.requested_amount) for p in with_agency] == [
        p.requested_jpy for p in data.proposals
    ]
    assert all(p.requested_amount == 0 for p in without)
