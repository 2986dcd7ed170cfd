from datetime import UTC, datetime, timedelta

from nexus_sti.accounts.throttle import LIMITS, Limit, wait_seconds

NOW = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
PAIR = Limit("account+address", 5, timedelta(minutes=15))


def test_under_the_limit_there_is_no_wait() -> None:
    assert wait_seconds(PAIR, 4, NOW - timedelta(minutes=1), NOW) == 0
    assert wait_seconds(PAIR, 0, None, NOW) == 0


def test_at_the_limit_the_wait_lasts_until_the_oldest_failure_leaves_the_window() -> None:
    oldest = NOW - timedelta(minutes=10)
    assert wait_seconds(PAIR, 5, oldest, NOW) == 5 * 60 + 1
    # Never "try again in 0 seconds" while still refused.
    assert wait_seconds(PAIR, 9, NOW - PAIR.window, NOW) == 1


def test_the_owner_facing_limit_is_the_tightest_and_the_account_wide_one_the_loosest() -> None:
    by_scope = {limit.scope: limit for limit in LIMITS}
    assert by_scope["account+address"].failures < by_scope["address"].failures
    assert by_scope["address"].failures < by_scope["account"].failures
