"""Paging long tables: the rows of a page, the counts the pager shows, and links that keep the
rest of the address."""

from nexus_sti.platform.paging import page_link, page_of


def test_pages_cover_every_row_once_and_clamp_the_number() -> None:
    rows = list(range(123))
    pages = [page_of(rows, n, 50) for n in (1, 2, 3)]
    assert [list(p.items) for p in pages] == [rows[:50], rows[50:100], rows[100:]]
    assert [(p.first_row, p.last_row) for p in pages] == [(1, 50), (51, 100), (101, 123)]
    assert pages[0].pages == 3
    assert page_of(rows, 99, 50).number == 3 and page_of(rows, -4, 50).number == 1
    empty = page_of([], 1, 50)
    assert (empty.pages, empty.first_row, empty.last_row, list(empty.items)) == (1, 0, 0, [])


def test_a_page_link_keeps_the_filters() -> None:
    assert page_link({"show": "failing", "page": "1", "q": "ไทย"}, 2) == (
        "show=failing&q=%E0%B9%84%E0%B8%97%E0%B8%A2&page=2"
    )
