from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_sti.core.areas import AREA_CODES, priority_area
from nexus_sti.core.countries import ASEAN_MEMBERS, COUNTRIES, ISO3_CODES, country
from nexus_sti.core.money import CurrencyError, ExchangeRate, Money, RateTable, total


def test_twelve_countries_japan_plus_eleven_asean_members() -> None:
    assert len(COUNTRIES) == 12
    assert len(ASEAN_MEMBERS) == 11
    assert "JPN" not in ASEAN_MEMBERS
    assert "TLS" in ASEAN_MEMBERS  # joined in October 2025
    assert country("tls").asean_since == date(2025, 10, 26)
    assert country("VNM").name == "Viet Nam"
    assert country("LAO").time_zone == "Asia/Vientiane"
    assert country("JPN").currency == "JPY"
    assert all(len(c) == 3 and c.isupper() for c in ISO3_CODES)


def test_unknown_country_names_the_allowed_codes() -> None:
    with pytest.raises(KeyError, match="allowed: JPN, BRN"):
        country("XYZ")


def test_seven_priority_areas() -> None:
    assert AREA_CODES == (
        "climate", "energy", "ai", "robotics", "quantum", "semiconductors", "biotech",
    )  # fmt: skip
    assert priority_area("ai").name == "Artificial intelligence"
    with pytest.raises(KeyError, match="allowed"):
        priority_area("space")


def test_money_is_decimal_and_refuses_floats_and_mixed_currencies() -> None:
    assert Money.of("0.1", "USD") + Money.of("0.2", "USD") == Money.of("0.3", "USD")
    with pytest.raises(TypeError):
        Money.of(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="convert one first"):
        Money.of(1, "USD") + Money.of(1, "JPY")
    with pytest.raises(CurrencyError, match="unknown currency"):
        Money.of(1, "XXX")


def test_rounding_follows_minor_units() -> None:
    assert str(Money.of("1234.5", "JPY")) == "1,234 JPY"  # half-even: 1234.5 -> 1234
    assert str(Money.of("1235.5", "JPY")) == "1,236 JPY"
    assert str(Money.of("10.005", "USD")) == "10.00 USD"


def test_dated_rates_use_latest_on_or_before_and_invert() -> None:
    table = RateTable(
        [
            ExchangeRate(date(2025, 1, 1), "USD", "JPY", Decimal("150")),
            ExchangeRate(date(2026, 1, 1), "USD", "JPY", Decimal("140")),
        ]
    )
    assert table.convert(Money.of(10, "USD"), "JPY", date(2025, 6, 1)) == Money.of(1500, "JPY")
    assert table.convert(Money.of(10, "USD"), "JPY", date(2026, 6, 1)) == Money.of(1400, "JPY")
    assert table.convert(Money.of(1400, "JPY"), "USD", date(2026, 6, 1)) == Money.of(10, "USD")
    with pytest.raises(CurrencyError, match="on or before 2024-12-31"):
        table.convert(Money.of(1, "USD"), "JPY", date(2024, 12, 31))


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=30))
def test_total_is_exact_for_any_amounts(cents: list[int]) -> None:
    amounts = [Money(Decimal(c).scaleb(-2), "USD") for c in cents]
    assert total(amounts, "USD").amount == Decimal(sum(cents)).scaleb(-2)
