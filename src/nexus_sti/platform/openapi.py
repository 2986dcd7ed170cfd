"""The API's OpenAPI document, completed with what every operation can really answer.

FastAPI documents each route's success and its request-validation error. The platform's error
boundary can answer any operation with the errors below (the door's 413 and 503 come before any
route runs), always in one JSON shape; this adds them, with that shape, to every operation, so
that clients and schema-driven tests (schemathesis, in the test suite) see the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
ERRORS: dict[int, str] = {
    400: "The request cannot be read.",
    401: "No valid token: log in or pass `Authorization: Bearer <token>`.",
    403: "Not allowed; the message says why.",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state (duplicate, already decided, changed meanwhile).",
    413: "The request body is over this address's size limit.",
    422: "A field breaks a rule (`details` names the field and the rule), or a domain rule is "
    "broken (`details.rule_id`).",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "The server is busy; nothing was changed; `Retry-After` says when to try again.",
}


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorBody"] = ERROR_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)  # the boundary answers validation errors in ErrorBody
        _bound_integers(schema)
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERRORS.items():
                    response: dict[str, Any] = {"description": description, "content": body}
                    if status in (429, 503):
                        response["headers"] = RETRY_AFTER
                    responses[str(status)] = response
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


INT32 = (-(2**31), 2**31 - 1)


def _bound_integers(node: Any) -> None:
    """Every integer the API takes is stored in a 32-bit column, and larger ones are refused
    (``platform/db.py``): say so in the document, where it does not say more already."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", INT32[0])
            node.setdefault("maximum", INT32[1])
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def answers_as(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose success comes in several formats (JSON, CSV, XLSX)."""
    return {
        200: {
            "description": "The data, in the format asked for.",
            "content": {media: {} for media in media_types},
        }
    }
