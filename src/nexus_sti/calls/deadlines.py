"""Deadlines: stored in UTC, enforced with the server's clock, shown in each user's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nexus_sti.core.countries import country, is_country


def accepting(
    status: str,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    grace: timedelta = timedelta(0),
) -> str | None:
    """None when the call takes submissions at ``now``, else the reason it does not.

    The deadline itself is the last accepted instant: a submission during the final second is
    in time, one after it is not. ``grace`` (the operator's setting, none by default) extends
    the last accepted instant; the message still names the published deadline."""
    if status != "open":
        return f"the call is {status}, not open"
    if now < opens_at:
        return f"the call opens at {opens_at:%Y-%m-%d %H:%M} UTC"
    if now > closes_at + grace:
        return f"the deadline passed at {closes_at:%Y-%m-%d %H:%M:%S} UTC"
    return None


def zone_for(country_code: str | None) -> ZoneInfo:
    """A user's time zone: their country's, else UTC."""
    if country_code and is_country(country_code):
        return ZoneInfo(country(country_code).time_zone)
    return ZoneInfo("UTC")


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """``2027-01-31 17:00 (UTC+07:00, Asia/Ho_Chi_Minh)``."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    sign, hours, minutes = offset[0], offset[1:3], offset[3:5]
    return f"{local:%Y-%m-%d %H:%M} (UTC{sign}{hours}:{minutes}, {zone.key})"


def time_left(closes_at: datetime, now: datetime) -> str:
    """``12 days 4 hours``, ``3 hours 20 minutes``, ``45 seconds`` or ``closed``."""
    left = closes_at - now
    if left < timedelta(0):
        return "closed"
    days, rest = divmod(int(left.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} day{'s' * (days != 1)} {hours} hour{'s' * (hours != 1)}"
    if hours:
        return f"{hours} hour{'s' * (hours != 1)} {minutes} minute{'s' * (minutes != 1)}"
    if minutes:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    return f"{seconds} second{'s' * (seconds != 1)}"
