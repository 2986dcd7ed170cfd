"""What a long table's address asks for: the column it is sorted by and the direction, its
filters, and the page. Each table declares the sort keys it takes (a whitelist: the first is
the default) and the names of its filters; the page reads the request's address against that
declaration and gets a ``TableView``.

The address names them ``sort=<key>``, ``dir=asc|desc``, each filter by its own name (``area=``,
``flagged=yes``, ``q=``) and ``page=``. A second table on the same page puts a prefix before
``sort`` and ``dir`` and has its own page parameter (``reviewers_sort=load&reviewers=2``).

A sort key the table does not declare, or a direction other than ``asc`` or ``desc``, is
refused (``InvalidInput``, a 422 page) with the keys the table does take: a link that sorts by a
column which is not there is a mistake to show, not to hide behind another order.

The view makes the links of the sortable column headers (``templates/_sort_header.html``): a
header sorts by its column, and sorts the other way when the table is already sorted by it; the
link keeps every other part of the address (filters, the other table's sort and page) and goes
back to the first page.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform import paging

T = TypeVar("T")

ASC, DESC = "asc", "desc"


@dataclass(frozen=True)
class TableSpec:
    """The sort keys a table takes (the first is the default), the keys whose first click sorts
    from high to low (scores, counts; the default key too, when it is one), its filters' names,
    and the names of its parameters."""

    sorts: tuple[str, ...]
    descending_first: frozenset[str] = frozenset()
    filters: tuple[str, ...] = ()
    prefix: str = ""  # before "sort" and "dir", for a second table on a page
    page_param: str = "page"
    anchor: str = ""  # the id of the table's section: its links come back to it

    @property
    def sort_param(self) -> str:
        return f"{self.prefix}sort"

    @property
    def dir_param(self) -> str:
        return f"{self.prefix}dir"

    def first_direction(self, key: str) -> str:
        return DESC if key in self.descending_first else ASC


@dataclass(frozen=True)
class TableView:
    """A table as the request asks to see it."""

    spec: TableSpec
    sort: str
    descending: bool
    filters: Mapping[str, str]  # the filters the address sets, by name
    number: int  # the page asked for, from 1
    query: Mapping[str, str] = field(repr=False)
    path: str = ""  # the page's path, before the links' "?"

    @property
    def filtered(self) -> bool:
        return bool(self.filters)

    def filter(self, name: str) -> str:
        """The value the address gives filter ``name`` ("" when it gives none)."""
        return self.filters.get(name, "")

    def aria_sort(self, key: str) -> str:
        """``ascending`` or ``descending`` for the column the table is sorted by, else ""."""
        if key != self.sort:
            return ""
        return "descending" if self.descending else "ascending"

    def sort_link(self, key: str) -> str:
        """The address of this table sorted by ``key``: the other way when it is sorted by
        ``key`` already; the first page; every other parameter kept."""
        spec = self.spec
        if key == self.sort:
            direction = ASC if self.descending else DESC
        else:
            direction = spec.first_direction(key)
        own = (spec.sort_param, spec.dir_param, spec.page_param)
        kept = {k: v for k, v in self.query.items() if k not in own}
        anchor = f"#{spec.anchor}" if spec.anchor else ""
        query = urlencode({**kept, spec.sort_param: key, spec.dir_param: direction})
        return f"{self.path}?{query}{anchor}"

    def kept(self, *names: str) -> list[tuple[str, str]]:
        """The parameters a GET form that sends ``names`` must carry as hidden inputs to keep
        the rest of the address (the sort, other filters); the page goes back to the first."""
        dropped = {*names, self.spec.page_param}
        return [(k, v) for k, v in self.query.items() if k not in dropped]

    def without_page(self, **replaced: str) -> str:
        """The address (from ``?``, or "" when it has nothing to say) of every row of this view,
        for a download: the sort and the filters (and ``replaced``), not the page."""
        kept = {k: v for k, v in self.query.items() if k != self.spec.page_param}
        query = urlencode({**kept, **replaced})
        return f"?{query}" if query else ""

    def ordered(self, rows: Iterable[T], by: Mapping[str, Callable[[T], Any]]) -> list[T]:
        """``rows`` sorted by the view's key (``by`` gives each declared key's sort value).
        Python's sort is stable, so rows that tie keep the order they came in, either way."""
        if set(by) != set(self.spec.sorts):
            raise ValueError(
                f"sort values for {sorted(by)}, but the table sorts by {self.spec.sorts}"
            )
        return sorted(rows, key=by[self.sort], reverse=self.descending)

    def page(self, rows: Sequence[T]) -> paging.Page[T]:
        return paging.page_of(rows, self.number, param=self.spec.page_param)


def table_view(spec: TableSpec, query: Mapping[str, str], path: str = "") -> TableView:
    """Read ``query`` (the request's query parameters) against ``spec``; an undeclared sort key
    or an unknown direction is refused. ``path`` is the page's, for the sort links."""
    key = query.get(spec.sort_param) or spec.sorts[0]
    if key not in spec.sorts:
        raise InvalidInput(
            spec.sort_param,
            "unknown_sort_key",
            f"{spec.sort_param}: this table cannot be sorted by {key!r}; "
            f"it sorts by {', '.join(spec.sorts)}",
        )
    direction = query.get(spec.dir_param) or spec.first_direction(key)
    if direction not in (ASC, DESC):
        raise InvalidInput(
            spec.dir_param,
            "unknown_direction",
            f"{spec.dir_param}: {direction!r} is not a direction; use asc or desc",
        )
    filters = {name: value for name in spec.filters if (value := query.get(name, "").strip())}
    return TableView(
        spec=spec,
        sort=key,
        descending=direction == DESC,
        filters=filters,
        number=paging.page_number(query, spec.page_param),
        # A filter left empty says nothing: its links and forms leave it out.
        query={k: v for k, v in query.items() if v or k not in spec.filters},
        path=path,
    )


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def text_matches(wanted: str, *texts: str) -> bool:
    """Whether any of ``texts`` contains ``wanted``, ignoring case (Latin; Thai, Lao and Khmer
    have none) and how the characters are composed (NFC)."""
    needle = _folded(wanted.strip())
    return any(needle in _folded(t) for t in texts)
