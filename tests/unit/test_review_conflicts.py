"""Conflict detection: every kind of conflict, with the reason a user reads."""

from __future__ import annotations

import numpy as np
import pytest

from nexus_sti.review.conflicts import (
    Coauthor,
    DeclaredRelation,
    MemberFacts,
    ProposalFacts,
    Publication,
    ReviewerFacts,
    detect_conflicts,
    name_key,
    orcid_key,
    outside_matrix,
)

YEAR = 2026


def member(name: str, country: str = "JPN", **kw: object) -> MemberFacts:
    return MemberFacts(name=name, country=country, **kw)  # type: ignore[arg-type]


def reviewer(**kw: object) -> ReviewerFacts:
    base: dict[str, object] = {"key": 1, "name": "Reviewer One", "country": "SGP"}
    base.update(kw)
    return ReviewerFacts(**base)  # type: ignore[arg-type]


PROPOSALS = [
    ProposalFacts(
        "P-1",
        (
            member("Tanaka Hiroshi", organisation=10, organisation_name="Kyoto University"),
            member(
                "Nguyễn Văn An",
                "VNM",
                person=501,
                orcid="0000-0002-1825-0097",
                organisation=20,
                organisation_name="Hanoi University of Science",
            ),
        ),
    ),
    ProposalFacts(
        "P-2",
        (
            member(
                "สมชาย ใจดี", "THA", organisation=30, organisation_name="Chulalongkorn University"
            ),
            member("渡辺 浩二", organisation=11, organisation_name="University of Tokyo"),
        ),
    ),
]


def kinds(found: object, proposal: str, who: object = 1) -> list[str]:
    return [r.kind for r in found.reasons_for(proposal, who)]  # type: ignore[attr-defined]


def test_same_organisation_by_id_and_by_name() -> None:
    by_id = detect_conflicts([reviewer(organisation=10)], PROPOSALS, as_of_year=YEAR)
    assert kinds(by_id, "P-1") == ["same_organisation"]
    assert "Kyoto University" in by_id.reasons[0].detail
    by_name = detect_conflicts(
        [reviewer(organisation_name="  CHULALONGKORN university ")], PROPOSALS, as_of_year=YEAR
    )
    assert kinds(by_name, "P-2") == ["same_organisation"]
    assert by_name.matrix.tolist() == [[False], [True]]


@pytest.mark.parametrize(
    ("coauthor", "proposal"),
    [
        (Coauthor("An Nguyen Van"), "P-1"),  # Vietnamese: accents dropped, order ignored
        (Coauthor("NGUYEN VAN AN"), "P-1"),
        (Coauthor("Someone Else", "https://orcid.org/0000-0002-1825-0097"), "P-1"),  # ORCID
        (Coauthor("ใจดี สมชาย"), "P-2"),  # Thai, given and family name swapped
        (Coauthor("渡辺浩二"), "P-2"),  # Japanese with no space
        (Coauthor("Hiroshi Tanaka"), "P-1"),
    ],
)
def test_recent_coauthorship_matches_names_in_any_script_and_order(
    coauthor: Coauthor, proposal: str
) -> None:
    pub = Publication("Monsoon extremes", YEAR - 1, (coauthor,))
    found = detect_conflicts([reviewer(publications=(pub,))], PROPOSALS, as_of_year=YEAR)
    assert kinds(found, proposal) == ["coauthorship"]
    assert "Monsoon extremes" in found.reasons[0].detail
    assert found.matrix.sum() == 1


def test_old_papers_and_different_orcids_are_no_conflict() -> None:
    old = Publication("Old paper", YEAR - 4, (Coauthor("Tanaka Hiroshi"),))
    namesake = Publication("New", YEAR, (Coauthor("Nguyen Van An", "0000-0001-5109-3700"),))
    found = detect_conflicts([reviewer(publications=(old, namesake))], PROPOSALS, as_of_year=YEAR)
    assert not found.matrix.any()
    wider = detect_conflicts(
        [reviewer(publications=(old,))], PROPOSALS, as_of_year=YEAR, coauthorship_years=5
    )
    assert kinds(wider, "P-1") == ["coauthorship"]
    assert "window 5 years" in wider.reasons[0].detail


def test_declared_relations_with_a_person_an_organisation_and_a_proposal() -> None:
    found = detect_conflicts(
        [
            reviewer(
                relations=(
                    DeclaredRelation(reason="former student", person_name="Tanaka  Hiroshi"),
                    DeclaredRelation(
                        reason="advisory board", organisation_name="University of Tokyo"
                    ),
                    DeclaredRelation(reason="friend of the lead", proposal="P-2"),
                )
            )
        ],
        PROPOSALS,
        as_of_year=YEAR,
    )
    assert kinds(found, "P-1") == ["declared_person"]
    assert "former student" in found.reasons_for("P-1", 1)[0].detail
    assert kinds(found, "P-2") == ["declared_organisation", "declared_proposal"]


def test_own_and_competing_proposals() -> None:
    found = detect_conflicts(
        [reviewer(person=501), reviewer(key=2, orcid="0000-0002-1825-0097")],
        PROPOSALS,
        as_of_year=YEAR,
    )
    assert kinds(found, "P-1", 1) == ["member"]
    assert kinds(found, "P-2", 1) == ["competing_proposal"]
    assert "P-1" in found.reasons_for("P-2", 1)[0].detail
    assert kinds(found, "P-2", 2) == ["competing_proposal"]
    withdrawn = ProposalFacts("P-9", (member("Withdrawn Lead", person=777),))
    later = detect_conflicts(
        [reviewer(person=777)], PROPOSALS, as_of_year=YEAR, other_call_proposals=[withdrawn]
    )
    assert later.matrix.all()
    assert all("P-9" in r.detail for r in later.reasons)


def test_a_clean_reviewer_has_no_conflict_and_counts_by_kind() -> None:
    found = detect_conflicts(
        [reviewer(), reviewer(key=2, organisation=10)], PROPOSALS, as_of_year=YEAR
    )
    assert found.matrix.shape == (2, 2)
    assert found.matrix[:, 0].tolist() == [False, False]
    assert found.count_by_kind()["same_organisation"] == 1
    assert found.by_proposal()["P-2"] == []


def test_name_and_orcid_keys() -> None:
    assert name_key("Watanabe, Koji") == name_key("koji WATANABE")
    assert name_key("Nguyễn Thị Đào") == name_key("Dao Thi Nguyen")
    assert name_key("渡辺 浩二") == name_key("渡辺浩二") != name_key("浩二 渡辺 x")
    assert name_key("") == ""
    assert orcid_key("https://orcid.org/0000-0002-1825-009x") == "0000-0002-1825-009X"
    assert orcid_key("not an orcid") is None


def test_outside_matrix_is_a_label_per_pair_not_a_conflict() -> None:
    out = outside_matrix(["JPN", "THA", "VNM"], [{"JPN", "THA"}, {"JPN", "VNM"}])
    assert out.tolist() == [[False, False, True], [False, True, False]]
    assert out.dtype == np.bool_
