"""The boundary: platform errors become one JSON shape for the API and an HTML page for people.

JSON shape (every API error, including request validation)::

    {"error": {"code": "permission_denied", "message": "...", "details": {...}}}
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nexus_sti.core.errors import Busy, NexusError, RateLimited
from nexus_sti.platform.headers import security_headers

log = logging.getLogger("nexus_sti.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _page(
    request: Request, status: int, code: str, message: str, details: dict[str, Any]
) -> Response:
    from nexus_sti.platform.webdeps import render

    return render(
        request,
        "error.html",
        status_code=status,
        error_code=code,
        message=message,
        details=details,
        title={404: "Not found", 403: "Not allowed", 401: "Log in"}.get(status, "Error"),
    )


def install_error_handlers(app: FastAPI) -> None:
    from nexus_sti.platform.webdeps import LoginRequired

    @app.exception_handler(NexusError)
    async def _nexus_error(request: Request, exc: NexusError) -> Response:
        if isinstance(exc, LoginRequired):
            target = exc.details.get("next", "/")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
        if _wants_json(request):
            body = error_body(exc.code, exc.message, exc.details)
            return JSONResponse(body, exc.http_status, headers=headers)
        response = _page(request, exc.http_status, exc.code, exc.message, exc.details)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Anything outside the hierarchy is a fault of ours: logged with the request's id, and
        # answered in the same shapes as every other error, never a bare text/plain 500.
        request_id = str(getattr(request.state, "request_id", "")) or secrets.token_hex(6)
        log.error("request %s %s %s failed", request_id, request.method, request.url.path,
                  exc_info=exc)  # fmt: skip
        message = (
            "something went wrong on the server; nothing more was changed. "
            f"The error is logged under request id {request_id}."
        )
        details = {"request_id": request_id}
        if _wants_json(request):
            response: Response = JSONResponse(error_body("internal_error", message, details), 500)
        else:
            try:
                response = _page(request, 500, "internal_error", message, details)
            except Exception:  # the fault came before the session could be read
                response = HTMLResponse(f"<h1>Error</h1><p>{message}</p>", 500)
        # This answer comes from outside the middleware that sets the security headers.
        https = bool(request.app.state.platform.settings.https_only)
        response.headers.update(
            security_headers(download=False, https=https, request_id=request_id)
        )
        return response

    @app.exception_handler(SQLAlchemyTimeout)
    async def _pool_timeout(request: Request, exc: SQLAlchemyTimeout) -> Response:
        # No database connection came free in time: nothing was changed; the client may retry.
        return await _nexus_error(request, Busy())

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> Response:
        if "database is locked" not in str(exc.orig):
            raise exc
        return await _nexus_error(request, Busy())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or "request"
        details = {"field": field, "rule": first.get("msg", "invalid"), "errors": len(exc.errors())}
        message = f"{field}: {first.get('msg', 'invalid')}"
        if _wants_json(request):
            return JSONResponse(error_body("invalid_input", message, details), 422)
        return _page(request, 422, "invalid_input", message, details)

    @app.exception_handler(ValidationError)
    async def _model_error(request: Request, exc: ValidationError) -> Response:
        # A pydantic model built inside a dependency or service from user input.
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "request"
        rule = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        details = {"field": field, "rule": rule, "errors": exc.error_count()}
        if _wants_json(request):
            return JSONResponse(error_body("invalid_input", f"{field}: {rule}", details), 422)
        return _page(request, 422, "invalid_input", f"{field}: {rule}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            message = f"no page or endpoint at {request.url.path}"
        headers = getattr(exc, "headers", None)  # e.g. 405's Allow
        if _wants_json(request):
            return JSONResponse(error_body(code, message), exc.status_code, headers=headers)
        page = _page(request, exc.status_code, code, message, {})
        page.headers.update(headers or {})
        return page
