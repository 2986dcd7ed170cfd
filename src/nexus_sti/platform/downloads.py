"""A file the browser saves rather than shows: ``Content-Disposition: attachment`` with the
file's name in any script (RFC 6266 ``filename*``, with an ASCII fallback for old clients).
The security headers give such an answer a sandboxing content policy."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import quote

from starlette.responses import Response


def ascii_fallback(filename: str) -> str:
    """The name in ASCII: accents dropped, other characters and quotes replaced by ``_``."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    safe = "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in folded).strip()
    return safe or "download"


def file_download(content: bytes, media_type: str, filename: str) -> Response:
    disposition = (
        f'attachment; filename="{ascii_fallback(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def csv_download(text: str, filename: str) -> Response:
    """A CSV file with a byte-order mark, so spreadsheet programs read it as UTF-8 (names in
    any script stay readable)."""
    return file_download(("\ufeff" + text).encode(), "text/csv; charset=utf-8", filename)


def json_download(body: object, filename: str) -> Response:
    return file_download(
        json.dumps(body, ensure_ascii=False, indent=2).encode(), "application/json", filename
    )
