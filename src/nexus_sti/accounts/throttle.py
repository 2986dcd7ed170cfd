"""Slowing down password guessing: at most a few failed logins per account in a time window.

Kept in the process's memory: each server process counts on its own, which bounds guessing per
process; a restart forgets. The clock is passed in, so the rule is testable without waiting.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from nexus_sti.core.errors import RateLimited


@dataclass
class LoginThrottle:
    max_failures: int = 5
    window_s: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key.casefold(), deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def check(self, key: str, now: float) -> None:
        """Raise RateLimited while ``key`` has used up its failed attempts."""
        times = self._recent(key, now)
        if len(times) >= self.max_failures:
            wait = int(times[0] + self.window_s - now) + 1
            raise RateLimited(
                f"too many failed logins for this account; try again in {wait} seconds", wait
            )

    def failed(self, key: str, now: float) -> None:
        self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key.casefold(), None)
