"""Foundation benchmarks: the platform's read paths at demo scale, against straightforward
baselines run in the same process on the same database.

    .venv/bin/python benchmarks/bench_foundation.py [--proposals 400] [--repeat 7]

Prints medians and ratios (baseline / ours: above 1 means ours is faster). Not a test: the
machines are shared and noisy, so read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from timing import median_ms

from nexus_sti.core.access import Actor, Role
from nexus_sti.demo.service import demo_params, seed_demo
from nexus_sti.platform import db
from nexus_sti.platform.security import hash_password, password_hasher, verify_password
from nexus_sti.programs.loader import load_preset
from nexus_sti.programs.service import load_program
from nexus_sti.proposals.queries import call_statistics, list_proposals
from nexus_sti.proposals.tables import Proposal, ProposalMember
from nexus_sti.reference.snapshot import load_snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="nexus-bench-"))
    engine = db.make_engine(f"sqlite:///{folder / 'bench.db'}")
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    fast = password_hasher("fast")
    system = Actor.system("bench")

    start = time.perf_counter()
    with sessions() as s:
        program = load_program(s, actor=system, loaded=load_preset(), now=db.utcnow())
        seed_demo(
            s,
            actor=system,
            hasher_hash=lambda pw: hash_password(fast, pw),
            program=program,
            params=demo_params(load_snapshot(), n_proposals=args.proposals),
            seed=20240422,
            now=db.utcnow(),
        )
    seed_s = time.perf_counter() - start
    print(f"demo data set with {args.proposals} proposals generated and stored: {seed_s:.2f} s")

    officer = Actor(user_id=None, username="officer", role=Role.OFFICER)
    partner = Actor(user_id=None, username="partner", role=Role.FUNDING_PARTNER, country="THA")

    def ours_stats() -> object:
        with sessions() as s:
            return call_statistics(s, actor=officer)

    def baseline_stats() -> tuple[Counter[str], Counter[str], dict[str, int]]:
        # Load every proposal and member as objects and count in Python.
        with sessions() as s:
            proposals = s.scalars(select(Proposal)).all()
            members = s.scalars(select(ProposalMember)).all()
            by_country: dict[str, set[int]] = {}
            for m in members:
                by_country.setdefault(m.country, set()).add(m.proposal_id)
            return (
                Counter(p.track for p in proposals),
                Counter(p.area for p in proposals),
                {c: len(ids) for c, ids in by_country.items()},
            )

    def ours_partner_page() -> object:
        with sessions() as s:
            return list_proposals(s, actor=partner, per_page=50)

    def baseline_partner_page() -> object:
        # Load every proposal with its members and filter in Python.
        with sessions() as s:
            rows = []
            for p in s.scalars(select(Proposal).order_by(Proposal.reference)).all():
                countries = set(
                    s.scalars(
                        select(ProposalMember.country).where(ProposalMember.proposal_id == p.id)
                    )
                )
                if "THA" in countries:
                    rows.append((p, countries))
            return rows[:50]

    # Both sides must agree before their speed means anything.
    with sessions() as s:
        ours_result = call_statistics(s, actor=officer)
    track_counts, _area_counts, country_counts = baseline_stats()
    assert ours_result.by_country == country_counts
    assert ours_result.by_track == dict(track_counts)

    measures = [
        (
            "program statistics (SQL GROUP BY vs objects counted in Python)",
            ours_stats,
            baseline_stats,
        ),
        (
            "funding partner's first page (SQL scope vs per-proposal filtering)",
            ours_partner_page,
            baseline_partner_page,
        ),
    ]
    print(f"{'measure':70} {'ours ms':>9} {'baseline ms':>12} {'ratio':>7}")
    for name, ours_fn, base_fn in measures:
        ours_ms = median_ms(ours_fn, args.repeat)
        base_ms = median_ms(base_fn, args.repeat)
        print(f"{name:70} {ours_ms:9.1f} {base_ms:12.1f} {base_ms / ours_ms:6.1f}x")

    standard = password_hasher("standard")
    stored = hash_password(standard, "correct horse battery")
    verify_ms = median_ms(lambda: verify_password(standard, stored, "correct horse battery"), 5)
    print(f"argon2id login check, standard profile (deliberately slow): {verify_ms:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
