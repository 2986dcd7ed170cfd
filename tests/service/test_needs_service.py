"""Saved targets can be explained and re-run: the recorded parameters and seed give the same
result, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import PermissionDenied
from nexus_sti.needs import service
from nexus_sti.needs.assessment import assess_needs
from nexus_sti.needs.model import load_index_config
from nexus_sti.needs.targets import TargetParams, compute_targets
from nexus_sti.platform.context import Platform
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.reference.snapshot import load_snapshot

NOW = datetime(2026, 6, 1, tzinfo=UTC)
OFFICER = Actor(user_id=None, username="officer", role=Role.OFFICER)


def test_saved_decision_reruns_to_the_same_targets(platform: Platform) -> None:
    with platform.session() as s:
        load_program(s, actor=OFFICER, loaded=load_preset(), now=NOW)
        params = TargetParams(track="regional", preset="widening", slots=20)
        decision = service.save_targets(s, actor=OFFICER, params=params, note="", now=NOW)
        assert decision.version == 1
        assert decision.seed == load_index_config().config.seed
        stored_params = TargetParams.model_validate(decision.parameters)
    rerun = compute_targets(
        assessment=assess_needs(load_snapshot(), load_index_config(), seed=decision.seed),
        snapshot=load_snapshot(),
        config=load_preset().config,
        params=stored_params,
    )
    assert rerun.shares.shares == pytest.approx(decision.result["shares"])
    assert rerun.apportionment.slots == decision.result["slots"]
    assert decision.inputs["index_config_digest"] == load_index_config().digest


def test_only_staff_save_targets(platform: Platform) -> None:
    analyst = Actor(user_id=None, username="analyst", role=Role.ANALYST)
    with platform.session() as s:
        load_program(s, actor=OFFICER, loaded=load_preset(), now=NOW)
        with pytest.raises(PermissionDenied, match="Policy analyst accounts may not"):
            service.save_targets(
                s, actor=analyst, params=TargetParams(track="bilateral"), note="", now=NOW
            )
        assert service.list_target_decisions(s, actor=analyst) == []
