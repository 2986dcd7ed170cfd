"""The needs pages through the real app: the index, country profiles and country targets."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from nexus_sti.core.access import Actor
from nexus_sti.core.countries import ASEAN_MEMBERS, COUNTRIES, country
from nexus_sti.needs.service import current_assessment
from nexus_sti.reference.snapshot import load_snapshot
from tests.e2e.conftest import api_token, csrf_of, login


def table_rows(html: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, as lists of cell texts."""
    section = html.split(heading, 1)[1]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        rows.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def targets_table(html: str) -> dict[str, list[str]]:
    return {r[0]: r for r in table_rows(html, "Formula share")}


def slots_heading(html: str) -> int:
    found = re.search(r"<h2>[^<]*: (\d+) slots</h2>", html)
    assert found, "the targets page names the number of slots"
    return int(found.group(1))


def test_officer_sees_the_index_with_chart_and_caveats(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/needs")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "<svg" in html
    assert "has imputed values (wider uncertainty)" in html
    for c in COUNTRIES:
        assert c.name in html, c.name
    assert "moves the ranks most" in html
    assert "Indicators left out" in html
    assert "1,000 Monte Carlo draws" in html
    assert 'href="/needs/index.csv"' in html
    # The page's downloads open with the page's own session (no API token in a browser).
    csv = client.get("/needs/index.csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeff")
    assert csv.headers["content-disposition"].startswith("attachment;")
    index = client.get("/needs/index.json").json()
    api = client.get("/api/v1/needs/index", headers=api_token(client, "officer")).json()
    assert [c["iso3"] for c in index["countries"]] == [c["iso3"] for c in api["countries"]]
    for line in load_snapshot().attribution_lines():  # every source is credited on the page
        assert line in html
    rows = table_rows(page.text, "The index, country by country")
    assert len(rows) == 12
    assert [int(r[3]) for r in rows] == list(range(1, 13))  # sorted by rank
    gaps = [g.code for g in current_assessment(actor=Actor.system("tests")).country("TLS").gaps]
    timor = next(r for r in rows if r[0] == "Timor-Leste")
    assert gaps and timor[6] == str(len(gaps))  # how many of its indicators are imputed
    assert f'title="{", ".join(gaps)}"' in page.text  # and which
    nav = page.text.split('<nav aria-label="Areas">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/needs"' in nav


@pytest.mark.parametrize("username", ["analyst", "partner-tha"])
def test_analysts_and_partners_may_read_the_index(client: TestClient, username: str) -> None:
    login(client, username)
    assert client.get("/needs").status_code == 200
    assert client.get("/needs/countries/VNM").status_code == 200
    page = client.get("/needs/targets")
    assert page.status_code == 200
    assert "Save as the program's targets" not in page.text


@pytest.mark.parametrize("username", ["applicant", "reviewer"])
def test_applicants_and_reviewers_are_refused_with_the_reason(
    client: TestClient, username: str
) -> None:
    login(client, username)
    for path in ("/needs", "/needs/countries/THA", "/needs/targets"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "not allowed to see" in unescape(response.text)
        assert "Why:" in response.text


def test_country_profile_shows_what_is_missing(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/needs/countries/TLS")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "<h1>Timor-Leste</h1>" in html
    missing = html.split("What is missing", 1)[1].split("</ul>", 1)[0]
    assert "R&D expenditure (% of GDP)</strong>: no value in the source" in missing
    assert "Researchers in R&D per million people" in missing
    assert "Resident patent applications per million people" in missing
    rows = {r[0]: r for r in table_rows(page.text, "<h2>Indicators</h2>")}
    rd = next(r for name, r in rows.items() if name.startswith("R&D expenditure"))
    assert rd[2] == "—" and rd[5].startswith("mean of")
    articles = next(r for name, r in rows.items() if name.startswith("Scientific"))
    assert articles[3] == "2023" and articles[5] == "observed"
    assert "no data" in html  # the R&D panel of the chart is empty and says so
    assert html.count('href="/needs/countries/') == 11
    assert "World Bank World Development Indicators" in html


def test_country_codes_are_case_insensitive_and_unknown_ones_404(client: TestClient) -> None:
    login(client, "officer")
    assert client.get("/needs/countries/tha").status_code == 200
    missing = client.get("/needs/countries/xyz")
    assert missing.status_code == 404
    assert "country xyz not found" in missing.text


def test_targets_cover_the_member_states_and_add_up(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/needs/targets")
    assert page.status_code == 200
    rows = targets_table(page.text)
    assert set(rows) == {country(c).name for c in ASEAN_MEMBERS}
    assert "Japan" not in rows
    assert sum(int(r[7]) for r in rows.values()) == slots_heading(page.text)
    assert 'value="bilateral" selected' in page.text  # the program's first research track
    assert "Save as the program's targets" in page.text


def test_changing_the_weights_changes_the_shares(client: TestClient) -> None:
    login(client, "officer")
    default = targets_table(client.get("/needs/targets").text)
    equal_page = client.get("/needs/targets?a=1&b=0&c=0&slots=22")
    assert equal_page.status_code == 200
    equal = targets_table(equal_page.text)
    assert {r[4] for r in equal.values()} == {"9.1 %"}
    assert {r[7] for r in equal.values()} == {"2"}
    assert {r[4] for r in default.values()} != {"9.1 %"}


def test_weights_that_do_not_sum_to_one_are_refused_and_nothing_saves(
    client: TestClient,
) -> None:
    login(client, "officer")
    page = client.get("/needs/targets?a=0.5&b=0.5&c=0.5&floor=0.04")
    assert page.status_code == 422
    assert "a + b + c must be 1, got 1.5" in page.text
    assert 'name="floor" type="number" min="0" max="1" step="0.005" value="0.04"' in page.text
    assert 'method="post"' not in page.text.split("<main", 1)[1]
    token = csrf_of(page.text)
    response = client.post(
        "/needs/targets",
        data={"track": "regional", "a": "0.5", "b": "0.5", "c": "0.5", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "a + b + c must be 1" in response.text
    assert "targets.saved" not in client.get("/audit?action=targets.").text


def test_officer_saves_versions_and_the_audit_log_records_them(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/needs/targets?track=regional&a=0.4&b=0.4&c=0.2")
    token = csrf_of(page.text)
    fields = {"track": "regional", "a": "0.4", "b": "0.4", "c": "0.2", "csrf_token": token}
    first = client.post("/needs/targets", data={**fields, "note": "first cut"})
    assert first.status_code == 303
    assert first.headers["location"].startswith("/needs/targets?track=regional&saved=")
    shown = client.get(first.headers["location"])
    assert "Saved as version 1" in shown.text
    assert 'name="a" type="number" min="0" max="1" step="0.01" value="0.4"' in shown.text
    assert "first cut" in shown.text
    second = client.post("/needs/targets", data={**fields, "note": "second"})
    assert second.status_code == 303
    assert "Saved as version 2" in client.get(second.headers["location"]).text
    listing = table_rows(client.get("/needs/targets?track=regional").text, "Saved targets")
    assert [r[0] for r in listing] == ["2", "1"]
    regional = client.get("/needs/targets?track=regional").text
    assert "/needs/decisions/" in regional
    assert "/needs/decisions/" not in client.get("/needs/targets?track=bilateral").text
    # The saved decisions download with the page's session (no API token in a browser).
    links = re.findall(r'href="(/needs/decisions/\d+\.(?:json|csv))"', regional)
    assert len(links) >= 2
    for link in links:
        got = client.get(link)
        assert got.status_code == 200, link
        assert got.headers["content-disposition"].startswith("attachment;")
    audit = client.get("/audit?action=targets.").text
    assert "targets.saved" in audit


def test_analysts_cannot_save_and_forms_need_the_token(client: TestClient) -> None:
    login(client, "analyst")
    token = csrf_of(client.get("/needs/targets").text)
    refused = client.post("/needs/targets", data={"track": "regional", "csrf_token": token})
    assert refused.status_code == 403
    assert "Policy analyst accounts may not save country targets" in unescape(refused.text)
    login(client, "officer")
    forged = client.post("/needs/targets", data={"track": "regional"})
    assert forged.status_code == 403
    assert "security token is missing" in forged.text
    assert "targets.saved" not in client.get("/audit?action=targets.").text


def test_the_widening_and_balkans_rules(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/needs/targets?preset=widening")
    assert page.status_code == 200
    html = unescape(page.text)
    listed = html.split("Widening countries", 1)[1].split("</p>", 1)[0]
    rows = targets_table(page.text)
    widening = {name for name, r in rows.items() if r[8] == "yes"}
    assert widening and widening < set(rows)
    assert all(name in listed for name in widening)
    assert "Singapore" not in widening
    balkans = client.get("/needs/targets?preset=balkans")
    assert balkans.status_code == 200
    assert "1 / GDP per capita" in balkans.text
    assert len(targets_table(balkans.text)) == 11
