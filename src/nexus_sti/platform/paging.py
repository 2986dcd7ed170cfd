"""Long tables one page at a time: the server sends the rows of the page asked for, and the
pager's links keep every other part of the address (filters, sort) as it was."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # from 1
    size: int
    total: int  # rows over all pages
    param: str = "page"  # the query parameter that names the page (two tables, two names)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.number * self.size, self.total)


def page_of(
    rows: Sequence[T], number: int, size: int | None = None, *, param: str = "page"
) -> Page[T]:
    """Page ``number`` of ``rows`` (a number past the end gives the last page), ``size`` rows
    a page (``PAGE_SIZE``, read when called, so a test can make pages short)."""
    size = size or PAGE_SIZE
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, number), pages)
    start = (number - 1) * size
    return Page(rows[start : start + size], number, size, len(rows), param)


def page_number(query: Mapping[str, str], param: str = "page") -> int:
    """The page a query asks for (1 when it names none or not a number)."""
    try:
        return int(query.get(param, "1"))
    except ValueError:
        return 1


def page_link(query: Mapping[str, str], number: int, param: str = "page") -> str:
    """The query string of page ``number``, every other parameter kept."""
    return urlencode({**{k: v for k, v in query.items() if k != param}, param: str(number)})
