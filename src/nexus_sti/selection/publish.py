"""Awards in the 360Giving data standard (JSON), the format grant-makers publish their grants in.

Each award becomes one grant: the identifier is ``360G-<program>-<award reference>``; the
recipient is the lead investigator's organisation (its ROR id where the consortium gave one); the
funders are the implementing agency where the program has one, else every funder that pays a
team of the project (each national funder paying its own teams); the beneficiary locations are
the consortium's countries; the planned dates follow the proposal's duration from the first
budget year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from nexus_sti.core.countries import country

SCHEMA_NOTE = "360Giving Data Standard, grants package"


@dataclass(frozen=True, slots=True)
class PublishedAward:
    reference: str
    title: str
    description: str
    amount: Decimal
    currency: str
    awarded_on: date
    recipient_name: str
    recipient_ror: str | None
    recipient_local_id: str
    countries: tuple[str, ...]
    start_year: int
    duration_months: int
    funders: tuple[tuple[str, str], ...]  # (code, name) of each funder paying for it


def grants_package(awards: Sequence[PublishedAward], *, program_code: str) -> dict[str, Any]:
    """The awards as a 360Giving grants package (a dict ready for JSON)."""
    prefix = f"360G-{program_code}"
    grants = []
    for a in awards:
        recipient_id = (
            f"XI-ROR-{a.recipient_ror.rsplit('/', 1)[-1]}"
            if a.recipient_ror
            else f"{prefix}-ORG-{a.recipient_local_id}"
        )
        end_year = a.start_year + (a.duration_months - 1) // 12
        grants.append(
            {
                "id": f"{prefix}-{a.reference}",
                "title": a.title,
                "description": a.description,
                "currency": a.currency,
                "amountAwarded": float(a.amount),
                "awardDate": a.awarded_on.isoformat(),
                "recipientOrganization": [{"id": recipient_id, "name": a.recipient_name}],
                "fundingOrganization": [
                    {"id": f"{prefix}-FUNDER-{code}", "name": name} for code, name in a.funders
                ],
                "beneficiaryLocation": [
                    {"name": country(c).name, "countryCode": country(c).iso2} for c in a.countries
                ],
                "plannedDates": [
                    {
                        "startDate": f"{a.start_year}-04-01",
                        "endDate": f"{end_year + 1}-03-31",
                        "duration": a.duration_months,
                    }
                ],
            }
        )
    return {"grants": grants}
