"""Conflicts of interest between reviewers and proposals, each with the reason it was found.

Pure: it takes plain values (no database rows, no clock: the caller passes ``as_of_year``) and
returns a proposals × reviewers boolean matrix plus one :class:`ConflictReason` per finding. A
reviewer conflicts with a proposal when

* ``member``: the reviewer is in the proposal's own consortium (same researcher or ORCID);
* ``competing_proposal``: the reviewer is a member of another proposal in the same call;
* ``same_organisation``: the reviewer works at the organisation of a consortium member
  (same organisation id, or the same normalised organisation name);
* ``coauthorship``: the reviewer published with a consortium member in the last
  ``coauthorship_years`` years (``year >= as_of_year - coauthorship_years``), the co-author
  matched by ORCID or, when either side lacks one, by normalised name;
* ``declared_person`` / ``declared_organisation`` / ``declared_proposal``: a relation or a
  conflict the reviewer (or an officer for them) declared.

Names are compared by :func:`name_key`: NFKC, case-folded, accents and punctuation dropped and
the words sorted, so "Nguyễn Văn An", "nguyen van an" and "An Nguyen Van" match, as do
"Watanabe Koji" and "Koji Watanabe". Han, kana and Hangul names are compared without spaces
(they are written family name first and often without a space), so "渡辺 浩二" matches "渡辺浩二".

The country rule is *not* a conflict. A reviewer based in one of a proposal's own countries may
still review it; the rule "at least one reviewer from outside the countries involved" is a
diversity rule for the solver. :func:`outside_matrix` says, per pair, whether the reviewer is
outside the proposal's countries; the assignment service turns that into the solver's reviewer
label ``"outside"`` (see ``review/assignment_model.py`` for when that label is exact).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CONFLICT_KINDS",
    "Coauthor",
    "ConflictMatrix",
    "ConflictReason",
    "DeclaredRelation",
    "MemberFacts",
    "ProposalFacts",
    "Publication",
    "ReviewerFacts",
    "detect_conflicts",
    "name_key",
    "orcid_key",
    "organisation_key",
    "outside_matrix",
]

DEFAULT_COAUTHORSHIP_YEARS = 3

CONFLICT_KINDS = (
    "member",
    "competing_proposal",
    "same_organisation",
    "coauthorship",
    "declared_person",
    "declared_organisation",
    "declared_proposal",
)

_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])")


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL"))


def _fold(text: str) -> str:
    """NFKC, case-folded, combining marks dropped (Latin diacritics; Thai and Khmer vowel
    marks too, which is harmless for equality since both sides are folded alike), punctuation
    and symbols turned into spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        category = unicodedata.category(ch)
        out.append(" " if category[0] in "PSZC" else {"đ": "d", "ł": "l", "ø": "o"}.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def name_key(name: str) -> str:
    """A person's name, folded for matching and independent of word order; empty for a
    blank name (which never matches)."""
    words = _fold(name).split()
    if any(_is_cjk(ch) for word in words for ch in word):
        return "".join(words)
    return " ".join(sorted(words))


def organisation_key(name: str) -> str:
    """An organisation's name folded for matching (word order kept: it carries meaning)."""
    return " ".join(_fold(name).split())


def orcid_key(orcid: str | None) -> str | None:
    """The 16-character ORCID iD from a bare iD or an ``https://orcid.org/`` link."""
    if not orcid:
        return None
    found = _ORCID.search(orcid.upper())
    return "-".join(found.groups()) if found else None


@dataclass(frozen=True, slots=True)
class Coauthor:
    name: str
    orcid: str | None = None


@dataclass(frozen=True, slots=True)
class Publication:
    title: str
    year: int
    coauthors: tuple[Coauthor, ...] = ()


@dataclass(frozen=True, slots=True)
class DeclaredRelation:
    """A declared conflict: with a proposal (``proposal``), a person (name and/or ORCID) or an
    organisation (name); ``reason`` is the declarer's own words."""

    reason: str = ""
    proposal: Hashable | None = None
    person_name: str = ""
    person_orcid: str | None = None
    organisation_name: str = ""


@dataclass(frozen=True, slots=True)
class ReviewerFacts:
    """What conflict detection knows about a reviewer. ``person`` is the researcher's id, used
    to find the reviewer among consortium members."""

    key: Hashable
    name: str
    country: str
    person: Hashable | None = None
    orcid: str | None = None
    organisation: Hashable | None = None
    organisation_name: str = ""
    publications: tuple[Publication, ...] = ()
    relations: tuple[DeclaredRelation, ...] = ()


@dataclass(frozen=True, slots=True)
class MemberFacts:
    name: str
    country: str
    person: Hashable | None = None
    orcid: str | None = None
    organisation: Hashable | None = None
    organisation_name: str = ""


@dataclass(frozen=True, slots=True)
class ProposalFacts:
    """A proposal of the call and its consortium (all members, any role)."""

    key: Hashable
    members: tuple[MemberFacts, ...]

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(m.country for m in self.members)


@dataclass(frozen=True, slots=True)
class ConflictReason:
    proposal: Hashable
    reviewer: Hashable
    kind: str
    detail: str


@dataclass(frozen=True)
class ConflictMatrix:
    """``matrix[p, r]`` is true when reviewer ``r`` may not review proposal ``p``;
    ``reasons`` lists every finding (a pair can have several), in proposal then reviewer order."""

    proposals: tuple[Hashable, ...]
    reviewers: tuple[Hashable, ...]
    matrix: np.ndarray
    reasons: tuple[ConflictReason, ...]
    _by_pair: dict[tuple[Hashable, Hashable], list[ConflictReason]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        for reason in self.reasons:
            self._by_pair.setdefault((reason.proposal, reason.reviewer), []).append(reason)

    def reasons_for(self, proposal: Hashable, reviewer: Hashable) -> list[ConflictReason]:
        return list(self._by_pair.get((proposal, reviewer), ()))

    def by_proposal(self) -> dict[Hashable, list[ConflictReason]]:
        out: dict[Hashable, list[ConflictReason]] = {p: [] for p in self.proposals}
        for reason in self.reasons:
            out[reason.proposal].append(reason)
        return out

    def count_by_kind(self) -> dict[str, int]:
        counts = dict.fromkeys(CONFLICT_KINDS, 0)
        for reason in self.reasons:
            counts[reason.kind] = counts.get(reason.kind, 0) + 1
        return counts


class _Index:
    """Proposals by member person, ORCID, name key, organisation id and organisation name."""

    def __init__(self, proposals: Sequence[ProposalFacts]) -> None:
        self.person: dict[Hashable, list[tuple[int, MemberFacts]]] = defaultdict(list)
        self.orcid: dict[str, list[tuple[int, MemberFacts]]] = defaultdict(list)
        self.name: dict[str, list[tuple[int, MemberFacts]]] = defaultdict(list)
        self.org: dict[Hashable, list[tuple[int, MemberFacts]]] = defaultdict(list)
        self.org_name: dict[str, list[tuple[int, MemberFacts]]] = defaultdict(list)
        for p, proposal in enumerate(proposals):
            for m in proposal.members:
                if m.person is not None:
                    self.person[m.person].append((p, m))
                if (o := orcid_key(m.orcid)) is not None:
                    self.orcid[o].append((p, m))
                if key := name_key(m.name):
                    self.name[key].append((p, m))
                if m.organisation is not None:
                    self.org[m.organisation].append((p, m))
                if key := organisation_key(m.organisation_name):
                    self.org_name[key].append((p, m))

    def people(self, name: str, orcid: str | None) -> list[tuple[int, MemberFacts]]:
        """Members who are this person: same ORCID; or, where either side has no ORCID, the
        same name (two different ORCIDs are two different people)."""
        found: dict[tuple[int, int], tuple[int, MemberFacts]] = {}
        o = orcid_key(orcid)
        if o is not None:
            for p, m in self.orcid.get(o, ()):
                found[(p, id(m))] = (p, m)
        key = name_key(name)
        if key:
            for p, m in self.name.get(key, ()):
                if o is None or orcid_key(m.orcid) is None:
                    found[(p, id(m))] = (p, m)
        return list(found.values())

    def organisations(self, org: Hashable | None, name: str) -> list[tuple[int, MemberFacts]]:
        found: dict[tuple[int, int], tuple[int, MemberFacts]] = {}
        if org is not None:
            for p, m in self.org.get(org, ()):
                found[(p, id(m))] = (p, m)
        key = organisation_key(name)
        if key:
            for p, m in self.org_name.get(key, ()):
                found[(p, id(m))] = (p, m)
        return list(found.values())


def detect_conflicts(
    reviewers: Sequence[ReviewerFacts],
    proposals: Sequence[ProposalFacts],
    *,
    as_of_year: int,
    coauthorship_years: int = DEFAULT_COAUTHORSHIP_YEARS,
    other_call_proposals: Iterable[ProposalFacts] = (),
) -> ConflictMatrix:
    """Every conflict between ``reviewers`` and ``proposals`` with its reason.

    ``proposals`` are the ones to assign; ``other_call_proposals`` are further proposals of the
    same call that are not being assigned (withdrawn or screened out): being a member of one
    still makes a reviewer a competitor."""
    if coauthorship_years < 0:
        raise ValueError("coauthorship_years must be ≥ 0")
    index = _Index(proposals)
    competitors = _Index([*proposals, *other_call_proposals])
    n_p, n_r = len(proposals), len(reviewers)
    matrix = np.zeros((n_p, n_r), dtype=bool)
    keys = [p.key for p in proposals]
    by_key = {k: i for i, k in enumerate(keys)}
    all_keys = [*keys, *(p.key for p in other_call_proposals)]
    found: list[tuple[int, int, str, str]] = []
    since = as_of_year - coauthorship_years

    for r, reviewer in enumerate(reviewers):
        hits: dict[tuple[int, str], str] = {}

        def hit(p: int, kind: str, detail: str, _hits: dict[tuple[int, str], str] = hits) -> None:
            _hits.setdefault((p, kind), detail)

        own: set[int] = set()
        for p, m in _membership(competitors, reviewer):
            own.add(p)
            if p < n_p:
                hit(p, "member", f"{reviewer.name} is a member of this consortium ({m.name})")
        for q in sorted(own):
            for p in range(n_p):
                if p != q:
                    hit(
                        p,
                        "competing_proposal",
                        f"{reviewer.name} is a member of competing proposal {all_keys[q]} "
                        "in the same call",
                    )
        for p, m in index.organisations(reviewer.organisation, reviewer.organisation_name):
            hit(
                p,
                "same_organisation",
                f"same organisation as consortium member {m.name}: "
                f"{m.organisation_name or reviewer.organisation_name}",
            )
        for pub in sorted(reviewer.publications, key=lambda x: -x.year):
            if pub.year < since:
                continue
            for coauthor in pub.coauthors:
                for p, m in index.people(coauthor.name, coauthor.orcid):
                    how = (
                        "ORCID"
                        if orcid_key(coauthor.orcid) is not None
                        and orcid_key(coauthor.orcid) == orcid_key(m.orcid)
                        else "name"
                    )
                    hit(
                        p,
                        "coauthorship",
                        f"co-authored “{pub.title}” ({pub.year}) with consortium member "
                        f"{m.name} (matched by {how}; window {coauthorship_years} years)",
                    )
        for relation in reviewer.relations:
            said = f": {relation.reason}" if relation.reason else ""
            if relation.proposal is not None and relation.proposal in by_key:
                hit(by_key[relation.proposal], "declared_proposal", f"declared conflict{said}")
            if relation.person_name or relation.person_orcid:
                for p, m in index.people(relation.person_name, relation.person_orcid):
                    hit(p, "declared_person", f"declared relation with {m.name}{said}")
            if relation.organisation_name:
                for p, m in index.organisations(None, relation.organisation_name):
                    hit(
                        p,
                        "declared_organisation",
                        f"declared relation with {m.organisation_name}{said}",
                    )
        for (p, kind), detail in hits.items():
            matrix[p, r] = True
            found.append((p, r, kind, detail))

    order = {kind: i for i, kind in enumerate(CONFLICT_KINDS)}
    found.sort(key=lambda f: (f[0], f[1], order[f[2]]))
    reasons = tuple(
        ConflictReason(keys[p], reviewers[r].key, kind, detail) for p, r, kind, detail in found
    )
    return ConflictMatrix(tuple(keys), tuple(x.key for x in reviewers), matrix, reasons)


def _membership(index: _Index, reviewer: ReviewerFacts) -> list[tuple[int, MemberFacts]]:
    """Proposals the reviewer belongs to: same researcher, or same ORCID."""
    found: dict[tuple[int, int], tuple[int, MemberFacts]] = {}
    if reviewer.person is not None:
        for p, m in index.person.get(reviewer.person, ()):
            found[(p, id(m))] = (p, m)
    o = orcid_key(reviewer.orcid)
    if o is not None:
        for p, m in index.orcid.get(o, ()):
            found[(p, id(m))] = (p, m)
    return list(found.values())


def outside_matrix(
    reviewer_countries: Sequence[str], proposal_countries: Sequence[Iterable[str]]
) -> np.ndarray:
    """``out[p, r]``: reviewer ``r`` is based outside every country of proposal ``p``."""
    out = np.zeros((len(proposal_countries), len(reviewer_countries)), dtype=bool)
    for p, countries in enumerate(proposal_countries):
        inside = set(countries)
        out[p] = [c not in inside for c in reviewer_countries]
    return out
