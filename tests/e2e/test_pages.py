"""Pages through the real app: log in as each demo role and see what that role should."""

from html import escape

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import csrf_of, login

ROLE_VIEW = {
    # username: (dashboard heading, nav entries that must show, nav entries that must not)
    "admin": ("Administrator dashboard", {"Accounts", "Audit log", "Selection"}, set()),
    "officer": ("Program officer dashboard", {"Audit log", "Selection", "Review"}, {"Accounts"}),
    "applicant": (
        "Applicant dashboard",
        {"Proposals", "Partner search"},
        {"Audit log", "Selection"},
    ),
    "reviewer": ("Reviewer dashboard", {"Review"}, {"Proposals", "Audit log", "Selection"}),
    "partner-tha": ("Funding partner dashboard", {"Proposals", "Needs & targets"}, {"Audit log"}),
    "analyst": ("Policy analyst dashboard", {"Policy synergy", "Needs & targets"}, {"Proposals"}),
}


def nav_of(html: str) -> str:
    return html.split('<nav aria-label="Areas">', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize("username", sorted(ROLE_VIEW))
def test_each_role_sees_its_dashboard(client: TestClient, username: str) -> None:
    heading, shown, hidden = ROLE_VIEW[username]
    login(client, username)
    page = client.get("/")
    assert page.status_code == 200
    assert heading in page.text
    assert "synthetic" in page.text  # demo data is labelled
    nav = nav_of(page.text)
    for item in shown:
        assert f">{escape(item)}</a>" in nav, f"{username} should see {item}"
    for item in hidden:
        assert f">{escape(item)}</a>" not in nav, f"{username} should not see {item}"


def test_anonymous_visitors_are_sent_to_login(client: TestClient) -> None:
    response = client.get("/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/audit"


def test_wrong_password_says_so_and_sets_no_session(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "officer", "password": "wrong", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "unknown username or wrong password" in response.text
    assert client.get("/").status_code == 303


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "officer", "password": "x"})
    assert response.status_code == 403
    assert "security token is missing" in response.text
    login(client, "officer")
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_login_ignores_offsite_next(client: TestClient) -> None:
    page = client.get("/login?next=https://evil.example/")
    assert 'value="/"' in page.text


def test_officer_dashboard_has_chart_and_audit(client: TestClient) -> None:
    login(client, "officer")
    page = client.get("/").text
    assert "<svg" in page and "Proposals involving each of the ASEAN member states" in page
    assert "demo.seeded" in page


def test_applicant_cannot_open_the_audit_log_and_is_told_why(client: TestClient) -> None:
    login(client, "applicant")
    response = client.get("/audit")
    assert response.status_code == 403
    assert "Applicant accounts may not browse the audit log" in response.text


def test_partner_sees_only_its_countrys_proposals(client: TestClient) -> None:
    login(client, "partner-tha")
    page = client.get("/proposals")
    assert page.status_code == 200
    assert "Proposals involving THA" in page.text
    rows = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert rows and all("THA" in r for r in rows)
    refused = client.get("/proposals?country=VNM")
    assert refused.status_code == 403
    assert "scoped to THA, not VNM" in refused.text


def test_applicant_sees_own_proposals_with_local_script_names(client: TestClient) -> None:
    login(client, "applicant")
    page = client.get("/proposals")
    assert "Your proposals" in page.text
    export = client.get("/proposals.csv")
    assert export.headers["content-type"].startswith("text/csv")
    body = export.content.decode("utf-8")
    assert body.startswith("\ufeffreference,title")
    lines = body.strip().splitlines()
    assert len(lines) >= 2
    # The applicant is a Japanese lead: the local-script column holds Japanese characters.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[1])


def test_applicant_dashboard_counts_down_open_calls_in_japan_time(client: TestClient) -> None:
    login(client, "applicant")
    page = client.get("/").text
    assert "Open calls" in page
    assert "(UTC+09:00, Asia/Tokyo)" in page
    assert "days" in page
    assert "/proposals/new?call=DEMO-NEXUS-" in page


def test_unbuilt_areas_say_so_plainly_and_built_ones_lead_to_their_pages(
    client: TestClient,
) -> None:
    login(client, "officer")
    page = client.get("/areas/monitoring")
    assert page.status_code == 200
    assert "Not built yet" in page.text
    assert "reports, outputs and inclusiveness metrics" in page.text
    built = client.get("/areas/selection")
    assert built.status_code == 303 and built.headers["location"] == "/selection"
    assert "<strong>Not built yet.</strong>" not in client.get("/selection").text
    assert client.get("/areas/nonsense").status_code == 404
    login(client, "applicant")
    assert client.get("/areas/selection").status_code == 403


def test_program_page_shows_the_rules(client: TestClient) -> None:
    login(client, "reviewer")
    page = client.get("/program").text
    assert "100,000,000.00 USD" in page
    assert "Regional applied research" in page
    assert "lead from JPN; 2+ partner countries; 1+ industry" in page


def test_admin_creates_account_and_bad_input_changes_nothing(client: TestClient) -> None:
    login(client, "admin")
    form = client.get("/accounts")
    token = csrf_of(form.text)
    bad = client.post(
        "/accounts",
        data={"username": "vn-partner", "password": "long enough pass", "role": "funding_partner",
              "display_name": "Đặng Văn Minh", "email": "m@example.org", "country": "FRA",
              "csrf_token": token},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "country" in bad.text and "the funder they represent" in bad.text
    assert "vn-partner" not in client.get("/accounts").text
    good = client.post(
        "/accounts",
        data={"username": "vn-partner", "password": "long enough pass", "role": "funding_partner",
              "display_name": "Đặng Văn Minh", "email": "m@example.org", "country": "VNM",
              "csrf_token": token},
    )  # fmt: skip
    assert good.status_code == 303
    listing = client.get("/accounts").text
    assert "Đặng Văn Minh" in listing
    audit = client.get("/audit?action=account.").text
    assert "account.created" in audit


def test_officer_cannot_manage_accounts(client: TestClient) -> None:
    login(client, "officer")
    assert client.get("/accounts").status_code == 403
