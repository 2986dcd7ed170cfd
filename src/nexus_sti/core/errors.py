"""The platform's one error hierarchy.

::

    NexusError                      (base; never raised directly)
    ├── NotFound                    a record that does not exist or is not visible to the actor
    ├── PermissionDenied            the actor may not do this; carries the reason
    ├── Unauthenticated             no valid session or token
    ├── Conflict                    the request clashes with current state (duplicate, stale)
    ├── RateLimited                 too many attempts; says when to try again
    ├── Busy                        the server is saturated right now; says when to try again
    ├── InvalidInput                a field's value breaks a rule; names field and rule
    ├── RuleViolation               a domain rule (eligibility, workflow) is broken; has a rule id
    └── Infeasible                  a solver cannot satisfy the constraints; says what to relax

Entry points translate these once: the JSON API into one error shape, pages into an HTML error
page, the CLI into a message and a non-zero exit code.
"""

from __future__ import annotations

from typing import Any, ClassVar


class NexusError(Exception):
    """Base of every error the platform reports to a user."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(NexusError):
    code = "not_found"
    http_status = 404
    exit_code = 4

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!s} not found", kind=kind, key=str(key))


class Unauthenticated(NexusError):
    code = "unauthenticated"
    http_status = 401
    exit_code = 3

    def __init__(self, message: str = "log in or pass a valid API token") -> None:
        super().__init__(message)


class PermissionDenied(NexusError):
    code = "permission_denied"
    http_status = 403
    exit_code = 3

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"not allowed to {action}: {reason}", action=action, reason=reason)
        self.reason = reason


class Conflict(NexusError):
    code = "conflict"
    http_status = 409
    exit_code = 5


class RateLimited(NexusError):
    code = "rate_limited"
    http_status = 429
    exit_code = 5

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class Busy(RateLimited):
    """The server could not take the request in time (no free connection or worker); nothing
    was changed, and the same request can be sent again after ``retry_after_s``."""

    code = "busy"
    http_status = 503

    def __init__(self, message: str = "the server is busy; try again in a few seconds") -> None:
        super().__init__(message, 2)


class InvalidInput(NexusError):
    code = "invalid_input"
    http_status = 422
    exit_code = 2

    def __init__(self, field: str, rule: str, message: str | None = None, **details: Any) -> None:
        super().__init__(message or f"{field}: {rule}", field=field, rule=rule, **details)
        self.field = field
        self.rule = rule


class RuleViolation(NexusError):
    code = "rule_violation"
    http_status = 422
    exit_code = 6

    def __init__(self, rule_id: str, message: str, **details: Any) -> None:
        super().__init__(message, rule_id=rule_id, **details)
        self.rule_id = rule_id


class Infeasible(NexusError):
    code = "infeasible"
    http_status = 422
    exit_code = 7

    def __init__(self, message: str, hint: str, **details: Any) -> None:
        super().__init__(message, hint=hint, **details)
        self.hint = hint


ERROR_TYPES: tuple[type[NexusError], ...] = (
    NotFound,
    Unauthenticated,
    PermissionDenied,
    Conflict,
    RateLimited,
    Busy,
    InvalidInput,
    RuleViolation,
    Infeasible,
)
