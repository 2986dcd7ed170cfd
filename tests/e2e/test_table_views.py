"""Long tables sorted, filtered and paged on the server, through the ASGI app: for each table,
every sort key in both directions (with ``aria-sort`` on the sorted header), rows in the order
asked for, filters that keep only matching rows (Thai, Lao and Khmer words too), pager links that
keep the filter and the sort, page 2 unlike page 1, and an undeclared sort key refused with the
keys there are. Pages are cut short (``PAGE_SIZE``) so the small demo spans several."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nexus_sti.calls.tables import Call
from nexus_sti.platform import paging
from nexus_sti.platform.context import Platform
from nexus_sti.platform.db import utcnow
from nexus_sti.platform.table_view import TableSpec
from nexus_sti.proposals.pages.table_views import PROPOSALS, SCREENING, SUBMISSIONS
from nexus_sti.proposals.tables import Proposal
from nexus_sti.review.pages.table_views import POOL_PROPOSALS, POOL_REVIEWERS, RANKING, REVIEWS
from tests.e2e.conftest import csrf_of, login
from tests.service.test_review_reviews import CALL, reviewer_setup, simulate_panel

# Titles in Thai, Lao and Khmer, and a word of each to look for.
TITLES = {
    "ระบบเตือนภัยน้ำท่วมล่วงหน้าสำหรับลุ่มน้ำโขง": "น้ำท่วม",
    "ການຄຸ້ມຄອງນ້ຳຂອງແບບຍືນຍົງ": "ນ້ຳຂອງ",
    "ការគ្រប់គ្រងទឹកទន្លេមេគង្គ": "ទន្លេមេគង្គ",
}
SHORT = 5


@pytest.fixture
def short_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", SHORT)


def retitle(platform: Platform, call: str = CALL) -> dict[str, str]:
    """The call's first proposals get the Thai, Lao and Khmer titles: reference -> its word."""
    with platform.session() as s:
        call_id = s.scalar(select(Call.id).where(Call.reference == call))
        first = s.scalars(
            select(Proposal).where(Proposal.call_id == call_id).order_by(Proposal.reference)
        ).all()[: len(TITLES)]
        for proposal, title in zip(first, TITLES, strict=True):
            proposal.title = title
        s.commit()
        return {p.reference: TITLES[p.title] for p in first}


def every_key_sorts(client: TestClient, address: str, spec: TableSpec, **extra: str) -> None:
    """Each declared key opens in both directions, its header marked and linking the other way."""
    for key in spec.sorts:
        for direction, opposite, aria in (
            ("asc", "desc", "ascending"),
            ("desc", "asc", "descending"),
        ):
            params = {spec.sort_param: key, spec.dir_param: direction, **extra}
            page = client.get(address, params=params)
            assert page.status_code == 200, (key, direction, page.text[-500:])
            toggle = f"{spec.sort_param}={key}&amp;{spec.dir_param}={opposite}"
            assert re.search(rf'<th[^>]* aria-sort="{aria}"><a href="[^"]*{toggle}', page.text), (
                key, direction,
            )  # fmt: skip


def refused(client: TestClient, address: str, spec: TableSpec) -> None:
    """An undeclared key, or a direction other than asc or desc, gets a 422 naming the keys."""
    bad = client.get(address, params={spec.sort_param: "luck"})
    assert bad.status_code == 422
    text = html.unescape(bad.text)
    assert "cannot be sorted by 'luck'" in text and ", ".join(spec.sorts) in text
    sideways = client.get(address, params={spec.sort_param: spec.sorts[0], spec.dir_param: "up"})
    assert sideways.status_code == 422 and "use asc or desc" in sideways.text


def next_page(text: str, label: str = "") -> dict[str, str]:
    """The parameters of the pager's "next" link (of the pager labelled ``label``)."""
    pager = text if not label else text.split(f'aria-label="Pages of {label}"', 1)[1]
    found = re.search(r'<a href="\?([^"#]+)[^"]*" rel="next">', pager)
    assert found, "no next page"
    return {k: v[0] for k, v in parse_qs(html.unescape(found.group(1))).items()}


def in_order(values: list[Any], descending: bool) -> bool:
    return values == sorted(values, reverse=descending)


# --- the proposals list (sorted and filtered in the database) ----------------------------------


def proposal_rows(text: str) -> list[tuple[str, str, str]]:
    """(reference, title, area) of each row of /proposals."""
    rows = re.findall(
        r'<tr><td><a href="/proposals/([^"]+)">[^<]*</a></td><td>([^<]*)</td><td>[^<]*</td>'
        r"<td>([^<]*)</td>",
        text,
    )
    return [(ref, html.unescape(title), area) for ref, title, area in rows]


def test_the_proposals_list_sorts_filters_and_pages(
    client: TestClient, demo_platform: Platform, short_pages: None
) -> None:
    words = retitle(demo_platform)
    login(client, "officer")
    every_key_sorts(client, "/proposals", PROPOSALS)
    refused(client, "/proposals", PROPOSALS)
    for direction in ("asc", "desc"):
        first = proposal_rows(client.get(f"/proposals?sort=reference&dir={direction}").text)
        second = proposal_rows(client.get(f"/proposals?sort=reference&dir={direction}&page=2").text)
        refs = [r[0] for r in first + second]
        assert len(first) == len(second) == SHORT and len(set(refs)) == 2 * SHORT
        assert in_order(refs, direction == "desc")
        by_area = proposal_rows(client.get(f"/proposals?sort=area&dir={direction}").text)
        assert in_order([r[2] for r in by_area], direction == "desc")

    # A filter keeps only matching rows; the pager and the download keep filter and sort.
    page = client.get("/proposals", params={"area": "ai", "sort": "title", "dir": "desc"})
    rows = proposal_rows(page.text)
    assert rows and all(area == "ai" for _, _, area in rows)
    following = next_page(page.text)
    assert following == {"area": "ai", "sort": "title", "dir": "desc", "page": "2"}
    later = proposal_rows(client.get("/proposals", params=following).text)
    assert later and all(r[2] == "ai" for r in later) and not set(later) & set(rows)
    assert 'href="/proposals.csv?area=ai&amp;sort=title&amp;dir=desc"' in page.text
    csv = client.get("/proposals.csv", params={"area": "ai", "sort": "reference", "dir": "desc"})
    lines = csv.text.lstrip("\ufeff").splitlines()[1:]
    assert len(lines) > SHORT and all(",ai," in line for line in lines)  # every row, no page
    assert in_order([line.split(",")[0] for line in lines], descending=True)

    for reference, word in words.items():
        found = proposal_rows(client.get("/proposals", params={"q": word}).text)
        assert [r[0] for r in found] == [reference]
        assert word in found[0][1]
    none = client.get("/proposals", params={"q": "no such words anywhere"})
    assert "No proposals match the filters." in none.text


# --- a call's submissions and its screening grid ------------------------------------------------


def submission_rows(text: str) -> list[tuple[str, str]]:
    """(reference, title) of each row of the submissions table."""
    rows = re.findall(
        r'<td style="white-space:nowrap"><a href="/proposals/([^"]+)">[^<]*</a></td>'
        r"<td>([^<]*)</td>",
        text,
    )
    return [(ref, html.unescape(title)) for ref, title in rows]


def test_a_calls_submissions_sort_filter_and_page(
    client: TestClient, demo_platform: Platform, short_pages: None
) -> None:
    words = retitle(demo_platform)
    login(client, "officer")
    address = f"/calls/{CALL}/submissions"
    every_key_sorts(client, address, SUBMISSIONS)
    refused(client, address, SUBMISSIONS)
    whole = client.get(address).text
    for direction in ("asc", "desc"):
        first = submission_rows(
            client.get(address, params={"sort": "title", "dir": direction}).text
        )
        second = submission_rows(
            client.get(address, params={"sort": "title", "dir": direction, "page": "2"}).text
        )
        assert len(first) == len(second) == SHORT and not set(first) & set(second)
        assert in_order([t.casefold() for _, t in first + second], direction == "desc")

    for reference, word in words.items():
        found = client.get(address, params={"q": word, "sort": "lead"})
        assert [r[0] for r in submission_rows(found.text)] == [reference]
        assert "(filtered)" in found.text
    # The counts above the table describe the whole call, whatever the filter or the page.
    total = re.search(r"(\d+) proposal\(s\) in this call", whole)
    assert total and int(total.group(1)) > 2 * SHORT
    assert total.group(0) in client.get(address, params={"q": "no such title"}).text

    # A filter that keeps more than a page: the pager keeps it and the sort.
    page = client.get(address, params={"country": "JPN", "sort": "reference", "dir": "desc"})
    rows = submission_rows(page.text)
    assert len(rows) == SHORT and in_order([r[0] for r in rows], descending=True)
    following = next_page(page.text)
    assert following == {"country": "JPN", "sort": "reference", "dir": "desc", "page": "2"}
    later = submission_rows(client.get(address, params=following).text)
    assert later and not set(later) & set(rows) and later[0][0] < rows[-1][0]


def screening_rows(text: str) -> list[tuple[str, str]]:
    """(reference, status) of each row of the screening grid."""
    return re.findall(
        r'<td><a href="/proposals/([^"]+)">[^<]*</a><br><small>[^<]*</small></td>\s*'
        r"<td>([a-z_]+)</td>",
        text,
    )


def test_the_screening_grid_sorts_and_keeps_its_filter(
    client: TestClient, demo_platform: Platform, short_pages: None
) -> None:
    with demo_platform.session() as s:  # some proposals screened already, so statuses differ
        call_id = s.scalar(select(Call.id).where(Call.reference == CALL))
        proposals = s.scalars(
            select(Proposal).where(Proposal.call_id == call_id).order_by(Proposal.reference)
        ).all()
        for p in proposals[-3:]:
            p.status = "eligible"
        s.commit()
    login(client, "officer")
    address = f"/calls/{CALL}/screening"
    every_key_sorts(client, address, SCREENING)
    refused(client, address, SCREENING)
    up = screening_rows(client.get(address, params={"sort": "status", "dir": "asc"}).text)
    down = screening_rows(client.get(address, params={"sort": "status", "dir": "desc"}).text)
    assert [s for _, s in up] == ["eligible"] * 3 + ["submitted"] * (SHORT - 3)
    assert {s for _, s in down} == {"submitted"}
    page = client.get(address, params={"show": "passing", "sort": "reference", "dir": "desc"})
    rows = screening_rows(page.text)
    assert in_order([r for r, _ in rows], descending=True)
    # The "show" form keeps the sort; the pager keeps both.
    assert '<input type="hidden" name="sort" value="reference">' in page.text
    following = next_page(page.text)
    assert following == {"show": "passing", "sort": "reference", "dir": "desc", "page": "2"}
    later = screening_rows(client.get(address, params=following).text)
    assert later and not set(later) & set(rows)


# --- the reviewer pool: two tables on one page --------------------------------------------------


def pool_reviewers(text: str) -> list[tuple[str, str, int]]:
    """(id, name, load) of each row of the pool's reviewers table."""
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><a href="/review/reviewers/\d+">([^<]+)</a>'
        r'.*?<td class="num">(\d+)</td></tr>',
        text,
        re.S,
    )
    return [(i, html.unescape(name), int(load)) for i, name, load in rows]


def test_the_pool_tables_sort_each_with_its_own_parameters(
    client: TestClient, short_pages: None
) -> None:
    login(client, "officer")
    address = f"/review/calls/{CALL}/pool"
    every_key_sorts(client, address, POOL_REVIEWERS)
    every_key_sorts(client, address, POOL_PROPOSALS)
    refused(client, address, POOL_REVIEWERS)
    for direction in ("asc", "desc"):
        named = pool_reviewers(
            client.get(address, params={"reviewers_sort": "name", "reviewers_dir": direction}).text
        )
        assert len(named) == SHORT
        assert in_order([n.casefold() for _, n, _ in named], direction == "desc")
    page = client.get(
        address,
        params={"reviewers_sort": "load", "proposals_sort": "conflicts", "proposals": "2"},
    )
    loads = [load for _, _, load in pool_reviewers(page.text)]
    assert loads == sorted(loads, reverse=True)  # load sorts from the highest first
    counts = [
        int(n)
        for n in re.findall(
            r'<tr><td><a href="/proposals/[^"]+">[^<]*</a></td><td class="num">(\d+)</td>',
            page.text,
        )
    ]
    assert counts == sorted(counts, reverse=True)
    # Each table's pager and headers keep the other table's sort and page.
    assert next_page(page.text, "reviewers") == {
        "reviewers_sort": "load", "proposals_sort": "conflicts", "proposals": "2",
        "reviewers": "2",
    }  # fmt: skip
    assert "?proposals_sort=conflicts&amp;proposals=2&amp;reviewers_sort=name" in page.text
    second = pool_reviewers(client.get(address, params=next_page(page.text, "reviewers")).text)
    assert second and not {i for i, _, _ in second} & {i for i, _, _ in pool_reviewers(page.text)}


# --- a call's reviews and its ranking -----------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    words: dict[str, str]  # reference -> a word of its title
    due: list[str]  # the proposals with a review still due


@pytest.fixture
def reviewed(client: TestClient, demo_platform: Platform) -> Reviewed:
    """Every proposal of the call reviewed by a panel and calibrated; three of them also have
    the demo reviewer's review still due; three have Thai, Lao and Khmer titles."""
    words = retitle(demo_platform)
    setup = reviewer_setup(demo_platform, due_at=utcnow() + timedelta(days=10))
    simulate_panel(demo_platform, lenient_by=1.0)
    login(client, "officer")
    token = csrf_of(client.get(f"/review/calls/{CALL}/reviews").text)
    run = client.post(f"/review/calls/{CALL}/calibration", data={"csrf_token": token})
    assert run.status_code == 303 and run.headers["location"].endswith("/ranking")
    return Reviewed(words, setup.proposals)


def review_rows(text: str) -> list[tuple[str, int]]:
    """(reference, reviews submitted) of each proposal of the reviews table."""
    rows = re.findall(
        r"<strong>([A-Z0-9-]+)</strong>.*?"
        r'<td class="num" rowspan="\d+">(\d+)</td>',
        text,
        re.S,
    )
    return [(ref, int(n)) for ref, n in rows]


def test_a_calls_reviews_sort_filter_and_page(
    client: TestClient, reviewed: Reviewed, short_pages: None
) -> None:
    address = f"/review/calls/{CALL}/reviews"
    every_key_sorts(client, address, REVIEWS)
    refused(client, address, REVIEWS)
    for direction in ("asc", "desc"):
        rows = review_rows(client.get(address, params={"sort": "submitted", "dir": direction}).text)
        assert len(rows) == SHORT and in_order([n for _, n in rows], direction == "desc")
    due = review_rows(client.get(address, params={"complete": "no"}).text)
    assert [ref for ref, _ in due] == reviewed.due
    for reference, word in reviewed.words.items():
        assert [r for r, _ in review_rows(client.get(address, params={"q": word}).text)] == [
            reference
        ]
    page = client.get(address, params={"complete": "yes", "sort": "reference", "dir": "desc"})
    rows = review_rows(page.text)
    assert len(rows) == SHORT and not {r for r, _ in rows} & set(reviewed.due)
    following = next_page(page.text)
    assert following == {"complete": "yes", "sort": "reference", "dir": "desc", "page": "2"}
    later = review_rows(client.get(address, params=following).text)
    assert later and later[0][0] < rows[-1][0]


def ranking_csv(client: TestClient, **params: str) -> list[list[str]]:
    answer = client.get(f"/review/calls/{CALL}/ranking.csv", params=params)
    assert answer.status_code == 200
    return [line.split(",") for line in answer.text.lstrip("\ufeff").splitlines()[1:]]


def ranking_refs(text: str) -> list[str]:
    return re.findall(r'<tr(?: class="fail")?><td class="num">\d+</td><td>([A-Z0-9-]+)', text)


def test_the_ranking_sorts_filters_and_pages_and_its_charts_keep_every_row(
    client: TestClient, reviewed: Reviewed, short_pages: None
) -> None:
    address = f"/review/calls/{CALL}/ranking"
    every_key_sorts(client, address, RANKING)
    refused(client, address, RANKING)
    everything = ranking_csv(client)
    assert [int(r[0]) for r in everything] == list(range(1, len(everything) + 1))
    for direction in ("asc", "desc"):
        asked = {"sort": "score", "dir": direction}
        rows = ranking_csv(client, **asked)  # every row, in the page's order
        scores = [float(r[2]) for r in rows]
        assert len(rows) == len(everything)
        assert scores == sorted(scores, reverse=direction == "desc")
        first = ranking_refs(client.get(address, params=asked).text)
        second = ranking_refs(client.get(address, params={**asked, "page": "2"}).text)
        assert first == [r[1] for r in rows[:SHORT]]
        assert second == [r[1] for r in rows[SHORT : 2 * SHORT]]

    area = everything[0][5]
    page = client.get(address, params={"area": area, "flagged": "no", "sort": "disagreement"})
    kept = ranking_csv(client, area=area, flagged="no", sort="disagreement")
    assert kept and all(r[5] == area and r[7] == "no" for r in kept)
    spread = [float(r[6]) for r in kept]
    assert spread == sorted(spread, reverse=True)  # disagreement sorts from the highest first
    assert ranking_refs(page.text) == [r[1] for r in kept[:SHORT]]
    assert f"ranking.csv?area={area}&amp;flagged=no&amp;sort=disagreement" in page.text
    # The chart, the flags and the notes' choices still cover the whole ranked list.
    assert page.text.count('<option value="DEMO-') == len(everything)
    flagged = sum(r[7] == "yes" for r in everything)
    assert f"To discuss: reviewers disagree ({flagged})" in page.text
    if len(kept) > SHORT:
        following = next_page(page.text)
        assert following == {"area": area, "flagged": "no", "sort": "disagreement", "page": "2"}
    # The tie-break form and the filter form keep each other's choices and the sort.
    assert '<input type="hidden" name="area" value="' + area + '">' in page.text
    assert '<input type="hidden" name="sort" value="disagreement">' in page.text
