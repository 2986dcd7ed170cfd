"""Money as Decimal with an ISO 4217 currency, and dated exchange rates.

Amounts never pass through float. Conversion uses the latest rate published on or before the
date asked for, and rounds half-even to the target currency's minor unit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from nexus_sti.core.errors import InvalidInput

# ISO 4217 code -> number of minor-unit digits, for the currencies of the 12 countries plus USD/EUR.
MINOR_UNITS: dict[str, int] = {
    "JPY": 0,
    "USD": 2,
    "EUR": 2,
    "BND": 2,
    "KHR": 2,
    "IDR": 2,
    "LAK": 2,
    "MYR": 2,
    "MMK": 2,
    "PHP": 2,
    "SGD": 2,
    "THB": 2,
    "VND": 0,
}


class CurrencyError(InvalidInput, ValueError):
    """An unknown currency, a mix of currencies, or a missing exchange rate. Part of the error
    hierarchy (422, field ``currency``) and still a ``ValueError`` for callers that expect one."""

    def __init__(self, message: str) -> None:
        super().__init__("currency", "currency", message)

    def __str__(self) -> str:
        return self.message


def check_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise CurrencyError(
            f"unknown currency {code!r}; allowed ISO 4217 codes: {', '.join(sorted(MINOR_UNITS))}"
        )
    return code


def to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money amounts must not be floats; pass a Decimal, int or str")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise CurrencyError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise CurrencyError(f"not a finite amount: {value!r}")
    return result


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in one currency. Arithmetic only mixes equal currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        check_currency(self.currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyError(
                f"cannot combine {self.currency} and {other.currency}; convert one first"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self) -> Money:
        """Round half-even to the currency's minor unit (0 digits for JPY, 2 for USD)."""
        quantum = Decimal(1).scaleb(-MINOR_UNITS[self.currency])
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_EVEN), self.currency)

    def __str__(self) -> str:
        digits = MINOR_UNITS[self.currency]
        return f"{self.rounded().amount:,.{digits}f} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """1 unit of ``base`` = ``rate`` units of ``quote``, as published on ``on``."""

    on: date
    base: str
    quote: str
    rate: Decimal
    source: str = ""

    def __post_init__(self) -> None:
        check_currency(self.base)
        check_currency(self.quote)
        object.__setattr__(self, "rate", to_decimal(self.rate))
        if self.rate <= 0:
            raise CurrencyError(f"exchange rate {self.base}/{self.quote} must be positive")


class RateTable:
    """Dated exchange rates; looks up the latest rate on or before a date, in either direction."""

    def __init__(self, rates: Iterable[ExchangeRate]) -> None:
        series: dict[tuple[str, str], list[ExchangeRate]] = {}
        for r in rates:
            series.setdefault((r.base, r.quote), []).append(r)
        self._series = {k: sorted(v, key=lambda r: r.on) for k, v in series.items()}

    def _latest(self, base: str, quote: str, on: date) -> ExchangeRate | None:
        rows = self._series.get((base, quote), [])
        i = bisect_right([r.on for r in rows], on)
        return rows[i - 1] if i else None

    def rate(self, base: str, quote: str, on: date) -> Decimal:
        if base == quote:
            return Decimal(1)
        direct = self._latest(base, quote, on)
        inverse = self._latest(quote, base, on)
        # Prefer whichever quotation is more recent; both directions may be recorded.
        if direct and (not inverse or direct.on >= inverse.on):
            return direct.rate
        if inverse:
            return Decimal(1) / inverse.rate
        raise CurrencyError(f"no {base}/{quote} exchange rate on or before {on.isoformat()}")

    def convert(self, money: Money, to: str, on: date) -> Money:
        check_currency(to)
        return Money(money.amount * self.rate(money.currency, to, on), to).rounded()
