"""Checking an uploaded attachment by what the bytes are, not by what the file name says.

A proposal's attachments must be PDFs that every reviewer can open: the content must be a PDF
(whatever the name or the browser's content type claim), small enough, readable by a PDF parser,
not encrypted and not longer than the call allows. Pure: bytes in, a value or ``InvalidInput``
out; storing the file is the caller's business.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdf

from nexus_sti.core.errors import InvalidInput

PDF = "application/pdf"
MIB = 1024 * 1024
DEFAULT_FILENAME = "attachment.pdf"
MAX_FILENAME_CHARS = 255
# Readers accept a PDF header anywhere in the first 1024 bytes (ISO 32000-2, annex H notes).
PDF_HEADER = b"%PDF-"
PDF_HEADER_WINDOW = 1024

# Signatures at offset 0 of the formats people most often upload by mistake, with the words a
# message uses for them. They are checked before the PDF header so that a PNG or a ZIP with
# "%PDF-" somewhere in its first kilobyte is still refused.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG image data"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG image data"),
    (b"GIF87a", "image/gif", "GIF image data"),
    (b"GIF89a", "image/gif", "GIF image data"),
    (b"PK\x03\x04", "application/zip", "a ZIP archive (such as a Word .docx or Excel .xlsx file)"),
    (b"PK\x05\x06", "application/zip", "a ZIP archive (such as a Word .docx or Excel .xlsx file)"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "application/x-ole-storage",
        "an old Office document (such as a Word .doc or Excel .xls file)",
    ),
    (b"{\\rtf", "application/rtf", "an RTF document"),
)

# Path separators and characters that hide or reorder what a name shows (bidirectional
# overrides and isolates can make "gpj.pdf" look like "fdp.jpg"). Other format characters stay:
# scripts such as Khmer and Burmese use zero-width spaces and joiners inside words.
_UNSAFE_IN_NAME = re.compile(r"[\u202a-\u202e\u2066-\u2069]")

# warnings.catch_warnings and logger levels are process-wide; serialise the parsing that
# changes them so concurrent uploads cannot leave either one changed.
_PARSE_LOCK = threading.Lock()

# The documents a proposal may carry, with the words the pages use for them.
ATTACHMENT_KINDS: dict[str, str] = {
    "project_description": "Project description",
    "budget_justification": "Budget justification",
    "letter_of_support": "Letter of support",
}


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """What a call accepts: the size in bytes, the number of pages and the media types."""

    max_bytes: int = 10 * MIB
    max_pages: int = 40
    allowed: tuple[str, ...] = (PDF,)


@dataclass(frozen=True, slots=True)
class CheckedAttachment:
    """An accepted upload: what its content is, its size and pages, its digest and a safe name."""

    media_type: str
    size: int
    pages: int | None
    sha256: str
    filename: str


def check_attachment(
    data: bytes, *, filename: str, limits: AttachmentLimits = AttachmentLimits()
) -> CheckedAttachment:
    """Accept ``data`` or raise ``InvalidInput("file", rule)``; rules: ``empty``, ``max_size``,
    ``media_type``, ``unreadable``, ``encrypted``, ``active_content``, ``max_pages``.
    ``pages`` is ``None`` only for a non-PDF type that ``limits.allowed`` lets through."""
    size = len(data)
    if size == 0:
        raise InvalidInput("file", "empty", "the file is empty; choose the file again")
    if size > limits.max_bytes:
        raise InvalidInput(
            "file",
            "max_size",
            f"the file is {_mb(size, up=True)} MB, over the {_mb(limits.max_bytes)} MB limit",
            size=size,
            limit=limits.max_bytes,
        )
    media_type, description = sniff_media_type(data)
    if media_type not in limits.allowed:
        found = f"the file's content is {description}"
        if limits.allowed == (PDF,):
            message = f"not a PDF: {found}"
        else:
            message = f"file type not accepted: {found}; accepted: {', '.join(limits.allowed)}"
        raise InvalidInput("file", "media_type", message, media_type=media_type)
    pages = _pdf_pages(data, limits.max_pages) if media_type == PDF else None
    return CheckedAttachment(
        media_type=media_type,
        size=size,
        pages=pages,
        sha256=hashlib.sha256(data).hexdigest(),
        filename=safe_filename(filename),
    )


def sniff_media_type(data: bytes) -> tuple[str, str]:
    """(media type, words for a message) from the leading bytes; unknown content gives
    ``application/octet-stream``."""
    for signature, media_type, description in _SIGNATURES:
        if data.startswith(signature):
            return media_type, description
    if PDF_HEADER in data[:PDF_HEADER_WINDOW]:
        return PDF, "a PDF document"
    return "application/octet-stream", "not recognised (no %PDF- header)"


def safe_filename(name: str) -> str:
    """The last path component of ``name`` without control or direction-override characters,
    in NFC, at most 255 characters with its extension kept; ``attachment.pdf`` if nothing is
    left. Letters of every script stay."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    name = _UNSAFE_IN_NAME.sub("", name).strip()
    if name in {"", ".", ".."}:
        return DEFAULT_FILENAME
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext) > 16:
            stem, dot, ext = name, "", ""
        stem = stem[: MAX_FILENAME_CHARS - len(dot) - len(ext)]
        # Do not leave a vowel sign or tone mark without the letter it sat on.
        while stem and (unicodedata.category(stem[-1]).startswith("M") or stem[-1].isspace()):
            stem = stem[:-1]
        name = f"{stem}{dot}{ext}" if stem else DEFAULT_FILENAME
    return name


def _pdf_pages(data: bytes, max_pages: int) -> int:
    with _quiet_pypdf():
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            # Reading the page tree of an encrypted file needs the password, so ask first.
            pages = None if reader.is_encrypted else len(reader.pages)
            active = None if reader.is_encrypted else active_content(reader)
        # pypdf raises PdfReadError for most damage, but ValueError, KeyError, TypeError,
        # AttributeError or RecursionError for some malformed object trees: all mean unreadable.
        except Exception as exc:
            raise InvalidInput(
                "file",
                "unreadable",
                f"the PDF cannot be read (damaged or incomplete: {str(exc)[:200]}); "
                "save or export it again and upload the new file",
            ) from None
    if pages is None:
        raise InvalidInput(
            "file",
            "encrypted",
            "the PDF is encrypted or password-protected; reviewers must be able to open it, "
            "so save a copy without protection and upload that",
        )
    if active is not None:
        raise InvalidInput(
            "file",
            "active_content",
            f"the PDF contains active content ({active}), which a reader's PDF viewer could run; "
            "print or export it to a new, plain PDF and upload that",
            found=active,
        )
    if pages > max_pages:
        raise InvalidInput(
            "file",
            "max_pages",
            f"the PDF has {pages} pages, over the limit of {max_pages}",
            pages=pages,
            limit=max_pages,
        )
    return pages


# Actions that run code, leave the document, or send data; and places that carry such things.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action",
    "/SubmitForm": "a form that submits data",
    "/ImportData": "an import-data action",
    "/RichMediaExecute": "rich media",
}
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/XFA": "an XFA form",
    "/RichMedia": "rich media",
}
# Page content and fonts hold no actions; skipping them keeps the walk small.
_SKIPPED_KEYS = {"/Parent", "/Contents", "/Resources", "/Font", "/Thumb"}
_MAX_OBJECTS = 50_000


def active_content(reader: pypdf.PdfReader) -> str | None:
    """What active content the document holds (JavaScript, launch or submit actions, embedded
    files, XFA or rich media), found by walking its object graph from the catalog; ``None``
    for a plain document."""
    seen: set[int] = set()
    stack: list[object] = [reader.trailer["/Root"]]
    visited = 0
    while stack and visited < _MAX_OBJECTS:
        node = stack.pop()
        if isinstance(node, pypdf.generic.IndirectObject):
            if node.idnum in seen:
                continue
            seen.add(node.idnum)
            node = node.get_object()
        visited += 1
        if isinstance(node, pypdf.generic.DictionaryObject):
            action = node.get("/S")
            if action in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[str(action)]
            for key, value in node.items():
                if key in _ACTIVE_KEYS:
                    return _ACTIVE_KEYS[str(key)]
                if key not in _SKIPPED_KEYS:
                    stack.append(value)
        elif isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(node)
    return None


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's complaints about recoverable damage out of warnings and logs while parsing;
    what cannot be recovered still raises."""
    logger = logging.getLogger("pypdf")
    with _PARSE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            yield
        finally:
            logger.setLevel(level)


def _mb(size: int, *, up: bool = False) -> str:
    """Megabytes with one decimal; a file's size rounds up so it never reads as the limit."""
    tenths = size * 10 / MIB
    value = (math.ceil(tenths) if up else math.floor(tenths)) / 10
    return f"{value:g}"
