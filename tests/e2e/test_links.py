"""Every link a page offers a demo role opens for that role: a crawler follows the site's own
links (and GET forms sent as the page fills them in) from the dashboard, for each demo account,
and fails on any that answers 4xx or 5xx. A page must not offer what its reader cannot open.

Links that differ only in their numbers or references (one proposal page and the next), or only
in the column a table is sorted by and the direction (a sortable header and the next), are the
same kind of link; the crawler opens a few of each kind, so the crawl stays short on the demo
data while every page template is reached. Every sort key of every table is opened by the
tables' own tests (tests/e2e/test_table_views.py)."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from nexus_sti.demo.service import DEMO_ACCOUNTS
from tests.e2e.conftest import login

PER_KIND = 1
MAX_PAGES = 400
# Addresses a crawler must not follow: leaving the session would end the crawl.
NOT_FOLLOWED = re.compile(r"^/(logout|static/)")


class _Links(HTMLParser):
    """Links, and the address a GET form goes to when sent as the page fills it in."""

    def __init__(self, here: str) -> None:
        super().__init__()
        self.here = here
        self.links: list[str] = []
        self.form: tuple[str, list[tuple[str, str]]] | None = None
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-fragment"):  # a part of the page that loads after it
            self.links.append(a["data-fragment"] or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            self.form = (a.get("action") or self.here.split("?")[0], [])
        elif self.form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input" and (a.get("type") or "text") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.form[1].append((a["name"] or "", a.get("value") or ""))
        elif tag == "select":
            self.select, self.first_option, self.chosen = a["name"], None, False
        elif tag == "option" and self.select is not None:
            value = a.get("value") or ""
            if self.first_option is None:
                self.first_option = value
            if "selected" in a and not self.chosen:
                self.form[1].append((self.select, value))
                self.chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.form is not None and self.select is not None:
            if not self.chosen and self.first_option is not None:
                self.form[1].append((self.select, self.first_option))
            self.select = None
        elif tag == "form" and self.form is not None:
            action, fields = self.form
            self.links.append(f"{action}?{urlencode(fields)}" if fields else action)
            self.form = None


def links_of(page: str, here: str = "/") -> list[str]:
    parser = _Links(here)
    parser.feed(page)
    return [h.split("#")[0] for h in parser.links if h.startswith("/") and h.split("#")[0]]


SORTING = re.compile(r"(?<=[?&])(\w*(?:sort|dir))=[^&]*")


def kind_of(address: str) -> str:
    """The address with its numbers, references and sort order made generic."""
    return re.sub(r"\d+", "N", SORTING.sub(r"\1=S", address))


def crawl(client: TestClient) -> list[tuple[str, str, int]]:
    """(page, link, status) for every broken link reached from the dashboard."""
    seen: set[str] = {"/"}
    kinds: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("(start)", "/")])
    broken: list[tuple[str, str, int]] = []
    opened = 0
    while queue and opened < MAX_PAGES:
        source, address = queue.popleft()
        response = client.get(address, follow_redirects=True)
        opened += 1
        if response.status_code >= 400:
            broken.append((source, address, response.status_code))
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for link in links_of(response.text, address):
            if link in seen or NOT_FOLLOWED.match(link):
                continue
            kind = kind_of(link)
            if kinds.get(kind, 0) >= PER_KIND:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            seen.add(link)
            queue.append((address, link))
    assert opened < MAX_PAGES, "the crawl did not finish: raise MAX_PAGES or group more links"
    return broken


@pytest.mark.parametrize("username", [account[0] for account in DEMO_ACCOUNTS])
def test_every_link_a_role_is_offered_opens(staged_client: TestClient, username: str) -> None:
    """On the demo as ``./dev run`` leaves it: one call closed, one in review."""
    login(staged_client, username)
    broken = crawl(staged_client)
    assert not broken, "\n".join(f"{status} {link} (on {page})" for page, link, status in broken)


def test_the_crawler_reads_links_and_get_forms() -> None:
    assert links_of('<a href="/x#top">x</a> <a href="https://example.org/">out</a>') == ["/x"]
    form = (
        '<form method="get" action="/s"><input name="q" value="a b">'
        '<input type="checkbox" name="c" value="1"><input type="checkbox" name="d" value="2" '
        'checked><select name="t"><option value="x">X</option><option value="y" selected>Y'
        '</option></select><select name="u"><option value="m">M</option></select>'
        '<button>Go</button></form><form method="post" action="/p"><input name="z"></form>'
    )
    assert links_of(form) == ["/s?q=a+b&d=2&t=y&u=m"]
    assert links_of('<div data-fragment="/part?x=1"></div>') == ["/part?x=1"]
    assert kind_of("/proposals/DEMO-NEXUS-2026-BIL-0001") == "/proposals/DEMO-NEXUS-N-BIL-N"
    assert kind_of("/x?show=failing&sort=status&dir=desc") == "/x?show=failing&sort=S&dir=S"
    assert kind_of("/x?reviewers_sort=load&reviewers_dir=asc&reviewers=2") == (
        "/x?reviewers_sort=S&reviewers_dir=S&reviewers=N"
    )
