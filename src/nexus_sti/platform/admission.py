"""The door of the web server: stamp each request's arrival, bound its body, bound its wait.

One pure ASGI middleware, outermost, does three things before any route code runs:

- **Arrival time.** ``scope["state"]["arrived_at"]`` is the UTC time the request reached the
  application, taken before it queues for a worker thread. Deadlines are judged on it, so a
  submission that arrived in time is not refused because the server was busy.
- **Body size.** Each route has a byte limit (``BodyLimits``). A declared ``Content-Length``
  over it is refused at once with 413; a streamed body is counted as it arrives and refused the
  moment it passes the limit. Large-body routes need credentials (a bearer token or a session
  cookie) before a byte of the body is read.
- **Admission.** At most ``capacity`` requests run at once (one per worker thread, and one
  thread per database connection). A request that cannot start within ``queue_timeout_s`` is
  answered 503 with ``Retry-After`` instead of hanging, and with a signed proof of its arrival
  (``platform/arrival.py``) that a retry can send back; one whose client disconnects while it
  waits is dropped without touching the database.

Health and static files bypass admission, so a busy server still says it is alive.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from nexus_sti.platform import arrival

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
RETRY_AFTER_S = 2


def arrived_at(scope: Scope) -> datetime | None:
    """The arrival stamp of a request (``None`` outside the web server, e.g. in a CLI)."""
    state = scope.get("state") or {}
    stamp = state.get("arrived_at")
    return stamp if isinstance(stamp, datetime) else None


@dataclass(frozen=True)
class BodyLimits:
    """Largest request body per route: the first pattern that matches the path wins."""

    default: int = 1 * MIB
    routes: tuple[tuple[str, int], ...] = (
        (r"^(/api/v1)?/proposals/[^/]+/attachments$", 11 * MIB),
        (r"^/api/v1/calls/[^/]+/proposals/import$", 25 * MIB),
    )
    _compiled: tuple[tuple[re.Pattern[str], int], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        compiled = tuple((re.compile(p), n) for p, n in self.routes)
        object.__setattr__(self, "_compiled", compiled)

    def for_path(self, path: str) -> int:
        for pattern, limit in self._compiled:
            if pattern.match(path):
                return limit
        return self.default


class _Disconnected(Exception):
    pass


class _Busy(Exception):
    """No slot came free in time; carries what was read of the body meanwhile."""

    def __init__(self, buffered: list[Message]) -> None:
        super().__init__("busy")
        self.buffered = buffered


class _TooLarge(HTTPException):
    """A body over its route's limit; an HTTP error, so a route reading its body answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))
        self.limit = limit


class Admission:
    """The middleware; see the module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        capacity: int,
        queue_timeout_s: float,
        secret: str,
        limits: BodyLimits | None = None,
        exempt: tuple[str, ...] = ("/api/v1/health", "/static/"),
    ) -> None:
        self.app = app
        self.capacity = capacity
        self.queue_timeout_s = queue_timeout_s
        self.secret = secret
        self.limits = limits or BodyLimits()
        self.exempt = exempt
        self._slots: asyncio.Semaphore | None = None
        self.waiting = 0
        self.running = 0
        self.refused = 0

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # made inside the running loop
            self._slots = asyncio.Semaphore(self.capacity)
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["arrived_at"] = datetime.now(UTC)
        state["request_id"] = secrets.token_hex(6)  # in logs and in any error it causes
        path: str = scope["path"]
        if path.startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(path)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, path, 413, "too_large", _too_large_message(limit))
            return
        if limit > self.limits.default and not _has_credentials(headers):
            await _refuse(send, path, 401, "unauthenticated", "log in or pass a valid API token")
            return
        try:
            buffered = await self._admit(receive, limit)
        except _Disconnected:
            return
        except _TooLarge as exc:
            await _refuse(send, path, 413, "too_large", _too_large_message(exc.limit))
            return
        except _Busy as busy:
            self.refused += 1
            await self._busy(scope, send, headers, busy.buffered)
            return
        self.running += 1
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _replay(buffered, receive, limit), tracked)
        except _TooLarge as exc:
            if started:
                raise
            await _refuse(send, path, 413, "too_large", _too_large_message(exc.limit))
        finally:
            self.running -= 1
            self._semaphore().release()

    async def _busy(
        self, scope: Scope, send: Send, headers: dict[str, str], buffered: list[Message]
    ) -> None:
        """503 with Retry-After and a proof of arrival. A retry refused again keeps its first
        arrival: the proof states the earliest one a valid proof it carried states. A page's
        form post gets a page that sends the same form again, with the proof in it."""
        method, path = scope["method"], scope["path"]
        form = _form_fields(headers, buffered)
        carried = headers.get(arrival.HEADER.lower()) or dict(form or []).get(arrival.FORM_FIELD)
        at = arrival.earliest(scope["state"]["arrived_at"], self.secret, method, path, carried)
        proof = arrival.sign(self.secret, method, path, at)
        retry = {"Retry-After": str(RETRY_AFTER_S), arrival.HEADER: proof}
        if form is not None and method == "POST" and not path.startswith("/api/"):
            fields = [(k, v) for k, v in form if k != arrival.FORM_FIELD]
            fields.append((arrival.FORM_FIELD, proof))
            body = _send_again_page(path, fields, at).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        *((k.lower().encode(), v.encode()) for k, v in retry.items()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await _refuse(
            send,
            path,
            503,
            "busy",
            "the server is busy; please try again in a few seconds (send the "
            f"{arrival.HEADER} header back and the retry counts as arriving when this did)",
            retry,
            {"arrived_at": at.isoformat(), "arrival_proof": proof},
        )

    async def _admit(self, receive: Receive, limit: int) -> list[Message]:
        """Wait at most ``queue_timeout_s`` for a slot, reading and counting the body meanwhile
        (a slow upload is not refused for being slow: only the wait for a slot is bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.queue_timeout_s
        buffered: list[Message] = []
        size = 0
        slot = asyncio.ensure_future(self._semaphore().acquire())
        reading: asyncio.Future[Message] | None = None
        self.waiting += 1
        try:
            while True:
                if reading is not None and reading.done():
                    message = reading.result()
                    reading = None
                    buffered.append(message)
                    if message["type"] == "http.disconnect":
                        raise _Disconnected
                    size += len(message.get("body", b""))
                    if size > limit:
                        raise _TooLarge(limit)
                if slot.done():
                    break
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise _Busy(buffered)
                if reading is None:
                    # After the whole body, only a disconnect can come: that is what we watch.
                    reading = asyncio.ensure_future(receive())
                pending: set[asyncio.Future[Any]] = {slot, reading}
                await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            await slot
            return buffered
        except BaseException:
            if slot.done() and not slot.cancelled():
                self._semaphore().release()
            else:
                slot.cancel()
            raise
        finally:
            self.waiting -= 1
            if reading is not None:
                reading.cancel()


def _replay(buffered: list[Message], receive: Receive, limit: int) -> Receive:
    """``receive`` that first hands back what was read while queueing, then counts the rest."""
    queue = list(buffered)
    seen = sum(len(m.get("body", b"")) for m in buffered)

    async def replay() -> Message:
        nonlocal seen
        if queue:
            return queue.pop(0)
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise _TooLarge(limit)
        return message

    return replay


def _form_fields(headers: dict[str, str], buffered: list[Message]) -> list[tuple[str, str]] | None:
    """The fields of a complete URL-encoded form body, else ``None``."""
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    if not buffered or buffered[-1].get("more_body", False):
        return None
    raw = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
    return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


def _send_again_page(path: str, fields: list[tuple[str, str]], at: datetime) -> str:
    """A page that posts the same form again (by itself after a few seconds, or by a click)."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields
    )
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Busy</title>'
        "<h1>The server is busy</h1>"
        f"<p>Your request reached the server at {at:%Y-%m-%d %H:%M:%S} UTC. It is sent again "
        "in a few seconds and counts as arriving at that moment.</p>"
        f'<form method="post" action="{escape(path)}">{inputs}'
        '<button type="submit">Send it again now</button></form>'
        f"<script>setTimeout(function () {{ document.forms[0].submit(); }}, "
        f"{RETRY_AFTER_S * 1000});</script></html>"
    )


def _has_credentials(headers: dict[str, str]) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ") or (
        "nexus_session=" in headers.get("cookie", "")
    )


def _too_large_message(limit: int) -> str:
    return f"the request body is over this address's {limit // MIB} MB limit"


async def _refuse(
    send: Send,
    path: str,
    status: int,
    code: str,
    message: str,
    extra: dict[str, str] | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Answer before the application runs, in the platform's JSON error shape (plain text for
    pages, where the browser shows it as is)."""
    if path.startswith("/api/"):
        error = {"code": code, "message": message, "details": details or {}}
        body = json.dumps({"error": error}).encode()
        media = "application/json"
    else:
        body = f"{message}\n".encode()
        media = "text/plain; charset=utf-8"
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
