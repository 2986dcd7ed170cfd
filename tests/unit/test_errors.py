import pytest

from nexus_sti.core.errors import (
    ERROR_TYPES,
    Busy,
    Conflict,
    Infeasible,
    InvalidInput,
    NexusError,
    NotFound,
    PermissionDenied,
    RateLimited,
    RuleViolation,
    Unauthenticated,
)

EXAMPLES: dict[type[NexusError], NexusError] = {
    NotFound: NotFound("proposal", "P-1"),
    Unauthenticated: Unauthenticated(),
    PermissionDenied: PermissionDenied("load a program", "applicants may not"),
    Conflict: Conflict("username taken", field="username"),
    RateLimited: RateLimited("too many failed logins", retry_after_s=300),
    Busy: Busy(),
    InvalidInput: InvalidInput("email", "must be an e-mail address"),
    RuleViolation: RuleViolation("track.regional.industry", "needs an industry partner"),
    Infeasible: Infeasible("budget too small", hint="relax the country floors"),
}


def test_every_error_type_has_an_example_and_distinct_code() -> None:
    assert set(EXAMPLES) == set(ERROR_TYPES)
    assert len({t.code for t in ERROR_TYPES}) == len(ERROR_TYPES)
    assert all(t.exit_code != 0 for t in ERROR_TYPES)


@pytest.mark.parametrize("error", EXAMPLES.values(), ids=lambda e: type(e).__name__)
def test_error_dict_shape(error: NexusError) -> None:
    body = error.to_dict()
    assert set(body) == {"code", "message", "details"}
    assert body["message"]


def test_errors_carry_what_the_user_needs() -> None:
    assert EXAMPLES[PermissionDenied].details["reason"] == "applicants may not"
    assert EXAMPLES[InvalidInput].details == {"field": "email", "rule": "must be an e-mail address"}
    assert EXAMPLES[RuleViolation].details["rule_id"] == "track.regional.industry"
    assert EXAMPLES[Infeasible].details["hint"] == "relax the country floors"


def test_errors_raised_by_the_vocabulary_join_the_hierarchy() -> None:
    from nexus_sti.core.countries import UnknownCountryError, country
    from nexus_sti.core.money import CurrencyError, check_currency

    with pytest.raises(CurrencyError) as money:
        check_currency("XYZ")
    assert isinstance(money.value, InvalidInput) and isinstance(money.value, ValueError)
    assert money.value.to_dict()["details"]["field"] == "currency"
    assert str(money.value).startswith("unknown currency 'XYZ'")
    with pytest.raises(UnknownCountryError) as place:
        country("ATL")
    assert isinstance(place.value, InvalidInput) and isinstance(place.value, KeyError)
    assert place.value.field == "country"
    assert str(place.value).startswith("unknown country code 'ATL'")  # not KeyError's quoting
