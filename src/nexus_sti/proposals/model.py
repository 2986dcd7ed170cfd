"""What a proposal says, as one validated value: the content applicants edit, import and export,
and that eligibility rules read. Pure; names in any script are welcome."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import InvalidInput
from nexus_sti.core.money import MINOR_UNITS

Sector = Literal["university", "institute", "industry", "government", "nonprofit"]
SECTORS: tuple[str, ...] = ("university", "institute", "industry", "government", "nonprofit")
# A role is a code of the program's consortium roles (``[[roles]]`` in the program file); the
# eligibility rule ``consortium.roles`` checks it against the call's program.
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{1,19}$"
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
# ROR ids: a leading 0, six characters of Crockford base32 (no i, l, o, u), two check digits.
ROR_RE = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}\d{2}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The most people one consortium lists, whatever the program (no program caps it lower).
MAX_MEMBERS = 30
# Limits pydantic reports in an error's context, kept (as text) in ``details["problems"]``.
_LIMITS = ("min_length", "max_length", "ge", "le", "gt", "lt", "decimal_places", "max_digits")


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, as ORCID defines its last character."""
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MemberContent(_Frozen):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    country: str
    organisation_name: str = Field(min_length=1, max_length=300)
    sector: Sector
    role: str = Field(pattern=ROLE_PATTERN)
    orcid: str | None = None
    ror_id: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError("must be an e-mail address")
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        v = v.upper()
        if v not in ISO3_CODES:
            raise ValueError(f"unknown country code; allowed: {', '.join(ISO3_CODES)}")
        return v

    @field_validator("orcid")
    @classmethod
    def _orcid(cls, v: str | None) -> str | None:
        if not v:
            return None
        v = v.removeprefix("https://orcid.org/").upper()
        if not ORCID_RE.match(v) or not orcid_checksum_ok(v):
            raise ValueError("not a valid ORCID iD (0000-0000-0000-000X with its check digit)")
        return v

    @field_validator("ror_id")
    @classmethod
    def _ror(cls, v: str | None) -> str | None:
        if not v:
            return None
        v = v.removeprefix("https://ror.org/").lower()
        if not ROR_RE.match(v):
            raise ValueError("not a ROR id (9 characters such as 05dxps055)")
        return v


class BudgetContent(_Frozen):
    """Money one funder gives one member's team in one year, in the funder's currency."""

    member: int = Field(ge=0, description="Index of the member in the consortium list")
    year: int = Field(ge=2000, le=2100)
    funder: str = Field(min_length=1)
    amount: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    currency: str

    @field_validator("amount")
    @classmethod
    def _cents(cls, v: Decimal) -> Decimal:
        # One representation per amount, so content digests do not depend on how it was typed.
        return v.quantize(Decimal("0.01"))

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        v = v.upper()
        if v not in MINOR_UNITS:
            raise ValueError(f"unknown currency; allowed: {', '.join(sorted(MINOR_UNITS))}")
        return v


class ProposalContent(_Frozen):
    title: str = Field(min_length=3, max_length=400)
    abstract: str = Field(min_length=1, max_length=5000)
    keywords: tuple[str, ...] = Field(default=(), max_length=10)
    area: str
    secondary_areas: tuple[str, ...] = ()
    duration_months: int = Field(ge=1, le=120)
    members: tuple[MemberContent, ...] = Field(min_length=1, max_length=MAX_MEMBERS)
    budget: tuple[BudgetContent, ...] = ()

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        if v not in AREA_CODES:
            raise ValueError(f"unknown priority area; allowed: {', '.join(AREA_CODES)}")
        return v

    @field_validator("secondary_areas")
    @classmethod
    def _areas(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [a for a in v if a not in AREA_CODES]
        if unknown:
            raise ValueError(f"unknown priority areas {unknown}; allowed: {', '.join(AREA_CODES)}")
        return v

    @model_validator(mode="after")
    def _references(self) -> Self:
        for i, line in enumerate(self.budget):
            if line.member >= len(self.members):
                raise ValueError(
                    f"budget[{i}].member: {line.member} is not a member "
                    f"(the consortium has {len(self.members)})"
                )
        emails = [m.email.lower() for m in self.members]
        repeated = sorted({e for e in emails if emails.count(e) > 1})
        if repeated:
            raise ValueError(f"members: each person once; repeated e-mail {', '.join(repeated)}")
        return self

    def total_by_funder(self) -> dict[tuple[str, str], Decimal]:
        """(funder, currency) -> total over all years and members."""
        out: dict[tuple[str, str], Decimal] = {}
        for line in self.budget:
            key = (line.funder, line.currency)
            out[key] = out.get(key, Decimal(0)) + line.amount
        return out


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``("members", 1, "orcid")`` -> ``members[1].orcid``; the whole proposal -> ``proposal``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "proposal"


def parse_content(raw: object) -> ProposalContent:
    """Validate raw content (a dict from a form, JSON or an import), or raise InvalidInput
    naming the field (e.g. ``members[1].orcid``) and the rule of the first problem; every
    problem is in ``details["problems"]`` (field, rule, pydantic's error type and its limits),
    for callers that word them for a form."""
    try:
        return ProposalContent.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            rule = "required" if error["type"] == "missing" else str(error["msg"])
            ctx = error.get("ctx") or {}
            problems.append(
                {
                    "field": _field_path(tuple(error["loc"])),
                    "rule": rule.removeprefix("Value error, "),
                    "type": error["type"],
                    **{k: str(ctx[k]) for k in _LIMITS if k in ctx},
                }
            )
        first = problems[0]
        field, rule = first["field"], first["rule"]
        raise InvalidInput(
            field, rule, f"{field}: {rule}", errors=exc.error_count(), problems=problems
        ) from None
