"""A long table's address read against what the table declares: the sort key and direction
(undeclared ones refused with the keys there are), the filters, the page, and the links of the
sortable headers, which keep the rest of the address."""

from __future__ import annotations

import pytest

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform import paging
from nexus_sti.platform.table_view import TableSpec, table_view, text_matches

RANKING = TableSpec(
    sorts=("rank", "score", "area"),
    descending_first=frozenset({"score"}),
    filters=("area", "flagged"),
    anchor="ranked",
)
ROWS = [
    {"rank": 1, "score": 9.0, "area": "ai"},
    {"rank": 2, "score": 8.0, "area": "energy"},
    {"rank": 3, "score": 8.0, "area": "ai"},
    {"rank": 4, "score": 7.5, "area": "energy"},
]
BY = {key: (lambda row, key=key: row[key]) for key in RANKING.sorts}


def test_no_sort_asked_gives_the_first_key_in_its_own_direction() -> None:
    view = table_view(RANKING, {})
    assert (view.sort, view.descending, view.number, view.filtered) == ("rank", False, 1, False)
    scores = table_view(TableSpec(sorts=("score",), descending_first=frozenset({"score"})), {})
    assert scores.descending
    # A key named without a direction sorts the way its header's first click does.
    assert table_view(RANKING, {"sort": "score"}).descending


def test_rows_sort_both_ways_and_ties_keep_their_order() -> None:
    down = table_view(RANKING, {"sort": "score", "dir": "desc"}).ordered(ROWS, BY)
    assert [r["rank"] for r in down] == [1, 2, 3, 4]
    up = table_view(RANKING, {"sort": "score", "dir": "asc"}).ordered(ROWS, BY)
    assert [r["rank"] for r in up] == [4, 2, 3, 1]  # 2 and 3 tie: still in rank order
    by_area = table_view(RANKING, {"sort": "area"}).ordered(ROWS, BY)
    assert [r["rank"] for r in by_area] == [1, 3, 2, 4]
    with pytest.raises(ValueError, match="sort values for"):  # not the declared keys
        table_view(RANKING, {}).ordered(ROWS, {"rank": BY["rank"]})


def test_an_undeclared_key_or_direction_is_refused_naming_the_choices() -> None:
    with pytest.raises(InvalidInput) as refused:
        table_view(RANKING, {"sort": "luck"})
    assert refused.value.field == "sort" and refused.value.rule == "unknown_sort_key"
    assert "'luck'" in refused.value.message and "rank, score, area" in refused.value.message
    with pytest.raises(InvalidInput) as sideways:
        table_view(RANKING, {"sort": "rank", "dir": "up"})
    assert sideways.value.field == "dir" and "asc or desc" in sideways.value.message


def test_a_header_link_toggles_its_column_and_keeps_the_filters() -> None:
    view = table_view(
        RANKING, {"area": "ai", "sort": "score", "dir": "desc", "page": "3"}, "/ranking"
    )
    assert view.filters == {"area": "ai"} and view.number == 3
    assert view.aria_sort("score") == "descending" and view.aria_sort("rank") == ""
    # The sorted column turns the other way; another starts its own way; both from page 1.
    assert view.sort_link("score") == "/ranking?area=ai&sort=score&dir=asc#ranked"
    assert view.sort_link("area") == "/ranking?area=ai&sort=area&dir=asc#ranked"
    # A filter form keeps the sort (and drops the page); a download keeps sort and filters.
    assert view.kept("area", "flagged") == [("sort", "score"), ("dir", "desc")]
    assert view.without_page() == "?area=ai&sort=score&dir=desc"
    assert table_view(RANKING, {}).without_page() == ""


def test_a_second_table_on_a_page_has_its_own_parameters() -> None:
    reviewers = TableSpec(sorts=("id", "load"), prefix="reviewers_", page_param="reviewers")
    query = {"reviewers_sort": "load", "reviewers": "2", "proposals": "3", "sort": "x"}
    view = table_view(reviewers, query)
    assert (view.sort, view.number) == ("load", 2)
    # The other table's page and sort stay; this table goes back to its first page.
    assert view.sort_link("id") == "?proposals=3&sort=x&reviewers_sort=id&reviewers_dir=asc"


def test_rows_are_paged_after_sorting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)  # read when a page is cut
    asked = {"sort": "score", "dir": "asc"}
    first = table_view(RANKING, asked)
    second = table_view(RANKING, {**asked, "page": "2"})
    assert [r["rank"] for r in first.page(first.ordered(ROWS, BY)).items] == [4, 2, 3]
    last = second.page(second.ordered(ROWS, BY))
    assert [r["rank"] for r in last.items] == [1] and (last.number, last.pages) == (2, 2)


@pytest.mark.parametrize(
    ("wanted", "text"),
    [
        ("น้ำท่วม", "ระบบเตือนภัยน้ำท่วมล่วงหน้า"),  # Thai
        ("ນ້ຳຂອງ", "ການຄຸ້ມຄອງນ້ຳຂອງແບບຍືນຍົງ"),  # Lao
        ("ទន្លេមេគង្គ", "ការគ្រប់គ្រងទឹកទន្លេមេគង្គ"),  # Khmer
        ("QUANTUM", "Cold-atom quantum networks"),
        ("cafe\u0301", "Café culture"),  # é typed as e + combining accent
    ],
)
def test_a_text_filter_finds_words_in_any_script(wanted: str, text: str) -> None:
    assert text_matches(wanted, "DEMO-1", text)
    assert not text_matches(wanted, "DEMO-1", "Something else entirely")
