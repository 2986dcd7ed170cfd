import pytest

from nexus_sti.accounts.throttle import LoginThrottle
from nexus_sti.core.errors import RateLimited


def test_failures_lock_the_account_for_the_window_only() -> None:
    throttle = LoginThrottle(max_failures=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        throttle.check("Officer", t)
        throttle.failed("Officer", t)
    with pytest.raises(RateLimited) as caught:
        throttle.check("officer", 10.0)  # the key ignores case
    assert caught.value.retry_after_s == 51
    throttle.check("someone-else", 10.0)
    throttle.check("officer", 60.5)  # the first failure has left the window


def test_success_clears_the_count() -> None:
    throttle = LoginThrottle(max_failures=2, window_s=60)
    throttle.failed("a", 0.0)
    throttle.succeeded("a")
    throttle.failed("a", 1.0)
    throttle.check("a", 2.0)
