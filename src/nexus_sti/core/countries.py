"""The 12 NEXUS countries: Japan and the 11 ASEAN member states (ISO 3166 alpha-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nexus_sti.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Country:
    """One country as the platform knows it."""

    iso3: str
    iso2: str
    name: str
    asean_member: bool
    time_zone: str
    currency: str
    asean_since: date | None = None


COUNTRIES: tuple[Country, ...] = (
    Country("JPN", "JP", "Japan", False, "Asia/Tokyo", "JPY"),
    Country("BRN", "BN", "Brunei Darussalam", True, "Asia/Brunei", "BND", date(1984, 1, 7)),
    Country("KHM", "KH", "Cambodia", True, "Asia/Phnom_Penh", "KHR", date(1999, 4, 30)),
    Country("IDN", "ID", "Indonesia", True, "Asia/Jakarta", "IDR", date(1967, 8, 8)),
    Country("LAO", "LA", "Lao PDR", True, "Asia/Vientiane", "LAK", date(1997, 7, 23)),
    Country("MYS", "MY", "Malaysia", True, "Asia/Kuala_Lumpur", "MYR", date(1967, 8, 8)),
    Country("MMR", "MM", "Myanmar", True, "Asia/Yangon", "MMK", date(1997, 7, 23)),
    Country("PHL", "PH", "Philippines", True, "Asia/Manila", "PHP", date(1967, 8, 8)),
    Country("SGP", "SG", "Singapore", True, "Asia/Singapore", "SGD", date(1967, 8, 8)),
    Country("THA", "TH", "Thailand", True, "Asia/Bangkok", "THB", date(1967, 8, 8)),
    Country("VNM", "VN", "Viet Nam", True, "Asia/Ho_Chi_Minh", "VND", date(1995, 7, 28)),
    # Timor-Leste became the 11th member state at the October 2025 ASEAN summit.
    Country("TLS", "TL", "Timor-Leste", True, "Asia/Dili", "USD", date(2025, 10, 26)),
)

_BY_ISO3 = {c.iso3: c for c in COUNTRIES}

ISO3_CODES: tuple[str, ...] = tuple(c.iso3 for c in COUNTRIES)
ASEAN_MEMBERS: tuple[str, ...] = tuple(c.iso3 for c in COUNTRIES if c.asean_member)


class UnknownCountryError(InvalidInput, KeyError):
    """Raised for a code that is not one of the platform's countries. Part of the error
    hierarchy (422, field ``country``) and still a ``KeyError`` for lookups that expect one."""

    def __init__(self, message: str) -> None:
        super().__init__("country", "country", message)

    def __str__(self) -> str:
        return self.message


def country(iso3: str) -> Country:
    """Return the country for an ISO 3166 alpha-3 code (case-insensitive)."""
    try:
        return _BY_ISO3[iso3.upper()]
    except KeyError:
        allowed = ", ".join(ISO3_CODES)
        raise UnknownCountryError(f"unknown country code {iso3!r}; allowed: {allowed}") from None


def is_country(iso3: str) -> bool:
    return iso3.upper() in _BY_ISO3
