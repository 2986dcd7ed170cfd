"""Slowing down password guessing, counted in the database so every worker and host shares it.

Three limits, each over a sliding window of failed logins:

=====================================  ========  ==========
who                                    failures  window
=====================================  ========  ==========
one account from one client address    5         15 minutes
one client address, any account        30        15 minutes
one account, from any address          50        1 hour
=====================================  ========  ==========

The first is what a guesser meets, and it does not touch the account's owner logging in from
another address; the second stops one address spraying many accounts; the third bounds a
guesser who spreads over many addresses, at the price of slowing the owner too while such an
attack lasts. A successful login clears its own account-and-address count. The rules
(:func:`wait_seconds`) are pure; the counting queries sit beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nexus_sti.accounts.tables import LoginFailure
from nexus_sti.core.errors import RateLimited

Scope = Literal["account+address", "address", "account"]


@dataclass(frozen=True, slots=True)
class Limit:
    scope: Scope
    failures: int
    window: timedelta


LIMITS: tuple[Limit, ...] = (
    Limit("account+address", 5, timedelta(minutes=15)),
    Limit("address", 30, timedelta(minutes=15)),
    Limit("account", 50, timedelta(hours=1)),
)
_MESSAGES = {
    "account+address": "too many failed logins for this account from your address",
    "address": "too many failed logins from your address",
    "account": "too many failed logins for this account",
}


def wait_seconds(limit: Limit, failures: int, oldest: datetime | None, now: datetime) -> int:
    """Seconds until one more try is allowed under ``limit`` (0: allowed now), given the number
    of failures in the window and the oldest of them."""
    if failures < limit.failures or oldest is None:
        return 0
    return max(1, int((oldest + limit.window - now).total_seconds()) + 1)


def _key(username: str) -> str:
    return username.strip().casefold()[:254]


def check(session: Session, *, username: str, address: str, now: datetime) -> None:
    """Raise RateLimited, saying how long to wait, while any limit is used up."""
    account = _key(username)
    for limit in LIMITS:
        where = [LoginFailure.at > now - limit.window]
        if limit.scope != "address":
            where.append(LoginFailure.account == account)
        if limit.scope != "account":
            where.append(LoginFailure.address == address)
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(*where)
        ).one()
        if wait := wait_seconds(limit, count, oldest, now):
            raise RateLimited(f"{_MESSAGES[limit.scope]}; try again in {wait} seconds", wait)


def failed(session: Session, *, username: str, address: str, now: datetime) -> None:
    """Count a failed login (and forget failures older than every window)."""
    oldest_kept = now - max(limit.window for limit in LIMITS)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= oldest_kept))
    session.add(LoginFailure(account=_key(username), address=address[:64], at=now))
    session.commit()


def succeeded(session: Session, *, username: str, address: str) -> None:
    """A correct password clears its own account-and-address count."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.account == _key(username), LoginFailure.address == address[:64]
        )
    )
    session.commit()
