"""Eligibility rules as data, and the one function that checks a proposal against them.

Each rule has a stable id, a description the call page shows, and a check that returns a
:class:`Verdict`: pass or fail, with a message saying what to change. The rules a call applies
come from its track's configuration (``programs/model.py``) and the call itself, so another
program gets other rules by configuration, not code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from nexus_sti.core.countries import country
from nexus_sti.core.money import CurrencyError, Money, RateTable
from nexus_sti.programs.model import ConsortiumRole, Funder, ProgramConfig, Track
from nexus_sti.proposals.model import ProposalContent


@dataclass(frozen=True, slots=True)
class Verdict:
    rule_id: str
    passed: bool
    message: str
    field: str = ""


@dataclass(frozen=True)
class CallRules:
    """Everything the checks need to know about the call, as plain values."""

    call_reference: str
    track: Track
    call_areas: tuple[str, ...]
    funders: Mapping[str, Funder]
    implementing_agency: str | None
    rates: RateTable
    rate_date: date
    roles: Mapping[str, ConsortiumRole]
    role_countries: Mapping[str, tuple[str, ...]]  # role code -> where its holders may be based
    lead_countries: tuple[str, ...]  # where this track's project lead may be based
    home_country: str | None = None
    required_attachments: tuple[str, ...] = ("project_description",)


def rules_for_call(
    config: ProgramConfig,
    track: str,
    *,
    call_reference: str,
    call_areas: tuple[str, ...],
    rate_date: date,
) -> CallRules:
    """A call's eligibility inputs from its program's configuration."""
    agency = config.implementing_agency
    chosen = config.track(track)
    return CallRules(
        call_reference=call_reference,
        track=chosen,
        call_areas=call_areas,
        funders={f.code: f for f in config.funders},
        implementing_agency=agency.code if agency else None,
        rates=config.rate_table(),
        rate_date=rate_date,
        roles={r.code: r for r in config.roles},
        role_countries={r.code: config.place_countries(r.based_in) for r in config.roles},
        lead_countries=config.place_countries(config.lead_place(chosen)),
        home_country=config.home_country,
    )


@dataclass(frozen=True)
class Context:
    """Facts from outside the proposal: attachments uploaded and other proposals' leads."""

    attachments: Collection[str] = ()
    leads_elsewhere: Mapping[str, str] = field(default_factory=dict)  # person key -> reference
    unconfirmed: Collection[int] = ()  # member indexes still to confirm


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    description: str
    check: Callable[[ProposalContent, CallRules, Context], Verdict]


def _ok(rule_id: str, message: str) -> Verdict:
    return Verdict(rule_id, True, message)


def _fail(rule_id: str, message: str, field_: str) -> Verdict:
    return Verdict(rule_id, False, message, field_)


def _kind(r: CallRules, kind: str) -> set[str]:
    return {code for code, role in r.roles.items() if role.kind == kind}


def _roles(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "consortium.roles"
    for i, m in enumerate(p.members):
        role = r.roles.get(m.role)
        if role is None:
            return _fail(
                rid, f"members[{i}].role: {m.role!r} is not a role of this program; roles: "
                f"{', '.join(r.roles)}", f"members[{i}].role"
            )  # fmt: skip
        allowed = r.role_countries[m.role]
        if role.kind != "lead" and m.country not in allowed:
            return _fail(
                rid,
                f"{m.name} is based in {country(m.country).name}; a {role.name.lower()} must be "
                f"based in {', '.join(allowed)}",
                f"members[{i}].country",
            )
    return _ok(rid, "every member's role and country fit the program")


def _lead(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "consortium.lead"
    lead_roles = _kind(r, "lead")
    leads = [m for m in p.members if m.role in lead_roles]
    title = r.roles[next(iter(lead_roles))].name.lower() if lead_roles else "project lead"
    if len(leads) != 1:
        return _fail(rid, f"name exactly one {title} (found {len(leads)})", "members")
    lead = leads[0]
    if lead.country not in r.lead_countries:
        where = ", ".join(country(c).name for c in r.lead_countries)
        return _fail(
            rid, f"the {title}, {lead.name}, must be based in {where}", "members"
        )  # fmt: skip
    return _ok(rid, f"{r.roles[lead.role].name}: {lead.name} ({country(lead.country).name})")


def _wanted(low: int, high: int | None) -> str:
    if low == high:
        return f"exactly {low}"
    return f"at least {low}" if high is None else f"{low} to {high}"


def _countries(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "consortium.countries"
    leading = _kind(r, "lead") | _kind(r, "country_lead")
    countries = sorted({m.country for m in p.members if m.role in leading})
    partners = [c for c in countries if c != r.home_country]
    t = r.track
    checks = (
        (partners, t.min_partner_countries, t.max_partner_countries, "partner country"),
        (countries, t.min_countries, t.max_countries, "country"),
    )
    for found, low, high, noun in checks:
        if (low == 0 and high is None) or low <= len(found) <= (high if high is not None else 99):
            continue
        names = ", ".join(country(c).name for c in found) or "none"
        plural = noun if low == high == 1 else noun.replace("country", "countries")
        return _fail(
            rid,
            f"{t.name} needs lead investigators from {_wanted(low, high)} {plural}; "
            f"this consortium has {len(found)} ({names})",
            "members",
        )
    return _ok(rid, f"leads from {len(countries)} countries: {', '.join(countries)}")


def _industry(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "consortium.industry"
    n = sum(1 for m in p.members if m.sector == "industry")
    need = r.track.min_industry_partners
    if n < need:
        return _fail(
            rid,
            f"{r.track.name} needs at least {need} industry partner(s); "
            "add a member with sector 'industry'",
            "members",
        )
    return _ok(rid, f"{n} industry partner(s)")


def _confirmed(p: ProposalContent, _r: CallRules, c: Context) -> Verdict:
    rid = "consortium.confirmed"
    waiting = [p.members[i].name for i in c.unconfirmed if i < len(p.members)]
    if waiting:
        return _fail(
            rid, f"waiting for {', '.join(waiting)} to confirm their participation", "members"
        )
    return _ok(rid, "every member has confirmed")


def _duration(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "duration.range"
    low, high = r.track.min_duration_months, r.track.max_duration_months
    if not low <= p.duration_months <= high:
        return _fail(
            rid,
            f"duration must be {low} to {high} months, not {p.duration_months}",
            "duration_months",
        )
    return _ok(rid, f"{p.duration_months} months")


def _areas(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "areas.in_call"
    outside = [a for a in (p.area, *p.secondary_areas) if a not in r.call_areas]
    if outside:
        return _fail(
            rid, f"this call covers {', '.join(r.call_areas)}; not {', '.join(outside)}", "area"
        )
    return _ok(rid, "areas within the call")


def _funders_pay_own(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "budget.funder_pays_own"
    for i, line in enumerate(p.budget):
        funder = r.funders.get(line.funder)
        if funder is None:
            known = ", ".join(r.funders)
            return _fail(
                rid,
                f"budget[{i}]: unknown funder {line.funder!r}; funders: {known}",
                f"budget[{i}].funder",
            )
        member = p.members[line.member]
        if member.country not in funder.pays_for:
            return _fail(
                rid,
                f"budget[{i}]: {funder.name} pays only for teams in "
                f"{', '.join(funder.pays_for)}; {member.name} is in {member.country}",
                f"budget[{i}].funder",
            )
        expected = country(funder.country).currency
        if line.currency != expected:
            return _fail(
                rid,
                f"budget[{i}]: {funder.name} budgets in {expected}, not {line.currency}",
                f"budget[{i}].currency",
            )
    return _ok(rid, "each funder pays only its own country's teams, in its own currency")


def _agency_total(p: ProposalContent, r: CallRules) -> tuple[Money, dict[int, Money]] | str:
    currency = r.track.budget_currency
    total = Money.zero(currency)
    by_year: dict[int, Money] = {}
    for line in p.budget:
        if r.implementing_agency is not None and line.funder != r.implementing_agency:
            continue
        try:
            amount = r.rates.convert(Money(line.amount, line.currency), currency, r.rate_date)
        except CurrencyError as exc:
            return str(exc)
        total = total + amount
        by_year[line.year] = by_year.get(line.year, Money.zero(currency)) + amount
    return total, by_year


def _budget_caps(p: ProposalContent, r: CallRules, _c: Context) -> Verdict:
    rid = "budget.caps"
    result = _agency_total(p, r)
    if isinstance(result, str):
        return _fail(rid, result, "budget")
    total, by_year = result
    payer = "the implementing agency" if r.implementing_agency else "the funders together"
    cap_amount = r.track.max_budget_per_project
    cap = None if cap_amount is None else Money(cap_amount, r.track.budget_currency)
    if cap is not None and total.amount > cap.amount:
        return _fail(
            rid,
            f"{payer} are asked for {total}; the most per project is {cap}"
            if not r.implementing_agency
            else f"the implementing agency's share is {total}; the most per project is {cap}",
            "budget",
        )
    if r.track.max_budget_per_year is not None:
        year_cap = Money(r.track.max_budget_per_year, r.track.budget_currency)
        for year, amount in sorted(by_year.items()):
            if amount.amount > year_cap.amount:
                return _fail(
                    rid,
                    f"{year}: {amount} from the implementing agency; "
                    f"the most per year is {year_cap}",
                    "budget",
                )
    if total.amount <= Decimal(0):
        return _fail(rid, f"add the budget {payer} are asked for", "budget")
    for code, funder in r.funders.items():
        lines = [b for b in p.budget if b.funder == code]
        if not lines or code == r.implementing_agency:
            continue
        currency = lines[0].currency
        asked = sum((b.amount for b in lines), Decimal(0))
        if funder.max_per_project is not None and asked > funder.max_per_project:
            most = Money(funder.max_per_project, currency)
            message = (
                f"{funder.name} is asked for {Money(asked, currency)}; most per project {most}"
            )
            return _fail(rid, message, "budget")
        if funder.max_per_year is not None:
            per_year: dict[int, Decimal] = {}
            for b in lines:
                per_year[b.year] = per_year.get(b.year, Decimal(0)) + b.amount
            for year, yearly in sorted(per_year.items()):
                if yearly > funder.max_per_year:
                    most = Money(funder.max_per_year, currency)
                    asked_then = Money(yearly, currency)
                    message = (
                        f"{year}: {funder.name} is asked for {asked_then}; most per year {most}"
                    )
                    return _fail(rid, message, "budget")
    within = f" within {cap}" if cap is not None else ""
    if r.implementing_agency:
        return _ok(rid, f"implementing agency's share {total}{within}")
    return _ok(rid, f"{total} asked of the funders{within}, each within its own caps")


def _budget_years(p: ProposalContent, _r: CallRules, _c: Context) -> Verdict:
    rid = "budget.years"
    years = sorted({line.year for line in p.budget})
    allowed = -(-p.duration_months // 12)
    if years and (years[-1] - years[0] + 1) > allowed:
        return _fail(
            rid,
            f"budget spans {years[0]}-{years[-1]}, longer than the "
            f"{p.duration_months}-month project ({allowed} year(s))",
            "budget",
        )
    return _ok(rid, "budget years within the project's duration")


def _one_lead(p: ProposalContent, r: CallRules, c: Context) -> Verdict:
    rid = "leads.one_per_call"
    leading = _kind(r, "lead") | _kind(r, "country_lead")
    for m in p.members:
        if m.role not in leading:
            continue
        for key in filter(None, (m.orcid, m.email.lower())):
            if key in c.leads_elsewhere:
                return _fail(
                    rid,
                    f"{m.name} already leads {c.leads_elsewhere[key]} in call "
                    f"{r.call_reference}; one person leads at most one proposal per call",
                    "members",
                )
    return _ok(rid, "no lead investigator leads another proposal in this call")


def _attachments(_p: ProposalContent, r: CallRules, c: Context) -> Verdict:
    rid = "attachments.required"
    missing = [k for k in r.required_attachments if k not in c.attachments]
    if missing:
        return _fail(
            rid,
            "upload the required PDF attachment(s): "
            + ", ".join(k.replace("_", " ") for k in missing),
            "attachments",
        )
    return _ok(rid, "required attachments present")


def rules_for(track: Track) -> tuple[Rule, ...]:
    """The rules a call of ``track`` applies, in the order applicants should fix them."""
    rules = [
        Rule("consortium.roles", "every member in one of the program's roles", _roles),
        Rule("consortium.lead", "one project lead, based where the track says", _lead),
    ]
    if (
        track.min_partner_countries
        or track.max_partner_countries is not None
        or track.min_countries
        or track.max_countries is not None
    ):
        rules.append(
            Rule(
                "consortium.countries",
                "lead investigators from the required number of countries",
                _countries,
            )
        )
    if track.min_industry_partners:
        rules.append(
            Rule(
                "consortium.industry",
                f"at least {track.min_industry_partners} industry partner(s)",
                _industry,
            )
        )
    rules += [
        Rule("consortium.confirmed", "every invited member has confirmed", _confirmed),
        Rule(
            "duration.range",
            f"{track.min_duration_months}-{track.max_duration_months} months",
            _duration,
        ),
        Rule("areas.in_call", "priority areas within the call", _areas),
        Rule(
            "budget.funder_pays_own",
            "each funder pays only its own country's teams",
            _funders_pay_own,
        ),
        Rule("budget.caps", "within the per-project and per-year caps", _budget_caps),
        Rule("budget.years", "budget years within the duration", _budget_years),
        Rule("leads.one_per_call", "one person leads at most one proposal per call", _one_lead),
        Rule("attachments.required", "required attachments present", _attachments),
    ]
    return tuple(rules)


def check_eligibility(
    content: ProposalContent, rules: CallRules, context: Context = Context()
) -> tuple[Verdict, ...]:
    """Every rule's verdict for this proposal (all of them, so applicants see everything to fix)."""
    return tuple(rule.check(content, rules, context) for rule in rules_for(rules.track))


def apply_overrides(
    verdicts: tuple[Verdict, ...], overrides: Mapping[str, tuple[bool, str]]
) -> tuple[Verdict, ...]:
    """An officer's written override replaces a rule's verdict; the message keeps both."""
    out = []
    for v in verdicts:
        if v.rule_id in overrides:
            passed, why = overrides[v.rule_id]
            out.append(
                Verdict(
                    v.rule_id,
                    passed,
                    f"overridden by an officer: {why} (was: {v.message})",
                    v.field,
                )
            )
        else:
            out.append(v)
    return tuple(out)


def is_eligible(verdicts: tuple[Verdict, ...]) -> bool:
    return all(v.passed for v in verdicts)
