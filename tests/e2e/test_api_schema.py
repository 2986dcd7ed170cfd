"""The OpenAPI document says what the API really does: schemathesis generates requests for every
operation from the document and checks every answer with all of its checks (status codes,
content types, headers, bodies, data the schema rejects or accepts, 405 with Allow, ...)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from nexus_sti.app.web import create_app
from nexus_sti.platform.context import Platform
from tests.e2e.conftest import api_token

EXAMPLES = int(os.environ.get("NEXUS_SCHEMA_EXAMPLES", "12"))
# Schema-valid data may still break a rule that lives in the program's configuration (its
# areas, tracks and funders), in account rules (password length) or across fields (a band's
# low above its high): the API answers those 422, naming the field and the rule, and the check
# for accepted data counts that as an answer the document allows.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""


def _checks() -> list[Any]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return list(CHECKS.get_all())


def test_the_api_does_what_its_document_says(demo_platform: Platform) -> None:
    app = create_app(demo_platform)
    with TestClient(app) as client:
        headers = api_token(client, "admin")
    config = schemathesis.config.SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    checks = _checks()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except BaseException as exc:  # every operation's failure is reported, not just the first
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, f"{len(failures)} operation(s) fail:\n\n" + "\n\n".join(failures)
