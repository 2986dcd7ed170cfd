"""The min-cost-flow core: its optimum matches an independent LP over the full matrix, its dual
bound holds and is tight, and slack survives pricing only when no covering exists."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from nexus_sti.algorithms.assignment_flow import solve_flow

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def instance(seed: int, n_p: int, n_r: int, conflict: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    allowed = rng.random((n_p, n_r)) >= conflict
    label = rng.integers(0, 3, n_r)  # groups 0 and 1 are ruled, 2 is unlabelled
    need = np.zeros((n_p, 3), dtype=np.int64)
    need[:, 0] = 1
    need[: n_p // 2, 1] = 1
    return {
        "affinity": np.where(allowed, rng.random((n_p, n_r)), 0.0),
        "allowed": allowed,
        "k": np.full(n_p, 3, dtype=np.int64),
        "loads": rng.integers(1, 6, n_r).astype(np.int64),
        "label": label,
        "need": need,
    }


def lp_optimum(inst: dict[str, np.ndarray]) -> float | None:
    """The full-matrix LP (integral: two laminar families), solved by scipy's HiGHS."""
    a, allowed = inst["affinity"], inst["allowed"]
    p, r = np.nonzero(allowed)
    n, (n_p, n_r) = p.size, a.shape
    cols = np.arange(n)
    rows_eq = sp.csr_matrix((np.ones(n), (p, cols)), shape=(n_p, n))
    load = sp.csr_matrix((np.ones(n), (r, cols)), shape=(n_r, n))
    div_p, div_g = np.nonzero(inst["need"])
    row_of = {
        (i, g): j for j, (i, g) in enumerate(zip(div_p.tolist(), div_g.tolist(), strict=True))
    }
    hit = [(row_of[(i, g)], c) for c, (i, g) in enumerate(zip(p, inst["label"][r], strict=True))
           if (i, g) in row_of]  # fmt: skip
    di = np.array([h[0] for h in hit], dtype=np.int64)
    dc = np.array([h[1] for h in hit], dtype=np.int64)
    div = sp.csr_matrix((-np.ones(di.size), (di, dc)), shape=(div_p.size, n))
    out = linprog(
        -a[p, r], A_ub=sp.vstack([load, div]),
        b_ub=np.concatenate([inst["loads"], -inst["need"][div_p, div_g]]),
        A_eq=rows_eq, b_eq=inst["k"], bounds=(0, 1), method="highs",
    )  # fmt: skip
    return None if out.status == 2 else float(-out.fun)


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(4, 12))
def test_flow_from_one_candidate_matches_the_full_lp(seed: int, n_p: int, n_r: int) -> None:
    inst = instance(seed, n_p, n_r, 0.2)
    best = lp_optimum(inst)
    chosen = np.zeros_like(inst["allowed"])
    chosen[np.arange(n_p), np.argmax(inst["affinity"], axis=1)] = True
    flow = solve_flow(**inst, chosen=chosen)
    assert flow is not None
    if best is None:
        assert not flow.covered
        return
    assert flow.covered
    objective = float(inst["affinity"][flow.proposals, flow.reviewers].sum())
    assert objective == pytest.approx(best, abs=1e-6)
    assert flow.bound >= best - 1e-9
    assert -1e-12 <= flow.gap <= flow.tolerance
    assert inst["allowed"][flow.proposals, flow.reviewers].all()
    assert (np.bincount(flow.proposals, minlength=n_p) == inst["k"]).all()
    assert (np.bincount(flow.reviewers, minlength=n_r) <= inst["loads"]).all()


def test_pricing_grows_the_columns_and_proves_a_tight_bound() -> None:
    inst = instance(3, 60, 80, 0.05)
    chosen = np.zeros_like(inst["allowed"])
    flow = solve_flow(**inst, chosen=chosen)
    assert flow is not None and flow.covered
    assert flow.rounds > 1 and 0 < flow.columns < inst["allowed"].sum()
    assert flow.bound == pytest.approx(lp_optimum(inst), abs=1e-6)
    assert flow.gap <= flow.tolerance


def test_shared_reviewers_leave_slack() -> None:
    # Proposals 0-2 may only use reviewers 0 and 1 (one review each).
    allowed = np.ones((4, 4), dtype=bool)
    allowed[:3, 2:] = False
    flow = solve_flow(
        np.ones((4, 4)), allowed, k=np.ones(4, np.int64), loads=np.ones(4, np.int64),
        label=np.zeros(4, np.int64), need=np.zeros((4, 1), np.int64), chosen=allowed,
    )  # fmt: skip
    assert flow is not None and not flow.covered
