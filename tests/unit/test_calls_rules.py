"""Call deadlines and lifecycles: pure rules with known answers."""

from datetime import UTC, datetime, timedelta

import pytest

from nexus_sti.calls.deadlines import accepting, local_time, time_left, zone_for
from nexus_sti.calls.workflow import CALL
from nexus_sti.core.access import Role
from nexus_sti.core.errors import PermissionDenied, RuleViolation
from nexus_sti.core.workflow import step
from nexus_sti.proposals.workflow import PROPOSAL

OPENS = datetime(2027, 1, 10, tzinfo=UTC)
CLOSES = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)


def test_the_last_second_is_in_time_and_the_next_is_not() -> None:
    assert accepting("open", OPENS, CLOSES, CLOSES - timedelta(milliseconds=500)) is None
    assert accepting("open", OPENS, CLOSES, CLOSES) is None
    late = accepting("open", OPENS, CLOSES, CLOSES + timedelta(microseconds=1))
    assert late == "the deadline passed at 2027-03-31 08:00:00 UTC"
    assert accepting("open", OPENS, CLOSES, OPENS - timedelta(seconds=1)) is not None
    assert (
        accepting("closed", OPENS, CLOSES, OPENS + timedelta(days=1))
        == "the call is closed, not open"
    )


def test_deadlines_show_in_each_users_time_zone() -> None:
    assert local_time(CLOSES, zone_for("JPN")) == "2027-03-31 17:00 (UTC+09:00, Asia/Tokyo)"
    assert local_time(CLOSES, zone_for("MMR")) == "2027-03-31 14:30 (UTC+06:30, Asia/Yangon)"
    assert local_time(CLOSES, zone_for("VNM")) == "2027-03-31 15:00 (UTC+07:00, Asia/Ho_Chi_Minh)"
    assert local_time(CLOSES, zone_for(None)).endswith("(UTC+00:00, UTC)")


def test_time_left_reads_naturally() -> None:
    assert time_left(CLOSES, CLOSES - timedelta(days=12, hours=4)) == "12 days 4 hours"
    assert time_left(CLOSES, CLOSES - timedelta(hours=1, minutes=1)) == "1 hour 1 minute"
    assert time_left(CLOSES, CLOSES - timedelta(seconds=45)) == "45 seconds"
    assert time_left(CLOSES, CLOSES + timedelta(seconds=1)) == "closed"


def test_call_lifecycle_is_a_table() -> None:
    assert step(CALL, "draft", "open", Role.OFFICER) == "open"
    assert step(CALL, "open", "close", Role.ADMIN) == "closed"
    with pytest.raises(
        RuleViolation, match="cannot screen a call that is open; possible from open: close"
    ):
        step(CALL, "open", "screen", Role.OFFICER)
    with pytest.raises(PermissionDenied, match="only Administrator, Program officer may"):
        step(CALL, "draft", "open", Role.APPLICANT)
    with pytest.raises(RuleViolation, match="no action 'fly'"):
        step(CALL, "draft", "fly", Role.OFFICER)
    states = set(CALL.states)
    for t in CALL.transitions:
        assert t.source <= states
        assert t.target in states


def test_proposal_lifecycle() -> None:
    assert step(PROPOSAL, "draft", "submit", Role.APPLICANT) == "submitted"
    assert step(PROPOSAL, "submitted", "withdraw", Role.APPLICANT) == "withdrawn"
    with pytest.raises(RuleViolation):
        step(PROPOSAL, "withdrawn", "submit", Role.APPLICANT)
    assert step(PROPOSAL, "submitted", "fail_screening", Role.OFFICER) == "ineligible"
    assert step(PROPOSAL, "ineligible", "pass_screening", Role.OFFICER) == "eligible"
    with pytest.raises(PermissionDenied):
        step(PROPOSAL, "submitted", "pass_screening", Role.APPLICANT)
