"""Security headers on every response, as a pure ASGI middleware.

- ``X-Content-Type-Options: nosniff``: browsers take the declared type, never guess one;
- ``Referrer-Policy: same-origin``: proposal references in addresses do not leak to other sites;
- ``Content-Security-Policy`` with ``frame-ancestors 'none'`` (no framing, so no clickjacking),
  ``base-uri``, ``form-action`` and ``object-src`` pinned; a download (``Content-Disposition:
  attachment``) gets ``sandbox; default-src 'none'``, so a file opened in the browser runs nothing;
- ``X-Frame-Options: DENY`` for older browsers;
- ``Strict-Transport-Security`` when the platform is served over HTTPS (secure cookies on);
- ``X-Request-Id``: the id the logs and any error of this request carry.

A header the route set itself is kept.
"""

from __future__ import annotations

from nexus_sti.platform.admission import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"


def security_headers(*, download: bool, https: bool, request_id: str | None) -> dict[str, str]:
    """The headers every answer carries (lower-case names)."""
    wanted = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "content-security-policy": DOWNLOAD_CSP if download else PAGE_CSP,
        "x-frame-options": "DENY",
    }
    if https:
        wanted["strict-transport-security"] = HSTS
    if request_id:
        wanted["x-request-id"] = request_id
    return wanted


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                download = any(
                    k.lower() == b"content-disposition" and v.lower().startswith(b"attachment")
                    for k, v in headers
                )
                request_id = (scope.get("state") or {}).get("request_id")
                wanted = security_headers(
                    download=download,
                    https=self.https,
                    request_id=str(request_id) if request_id else None,
                )
                headers += [
                    (k.encode(), v.encode()) for k, v in wanted.items() if k.encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
