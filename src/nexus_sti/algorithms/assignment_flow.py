"""Reviewer assignment as a min-cost flow with column generation and a dual bound.

The network, for the pairs currently in the master (the *columns*):

    proposal p ──(pairs of unruled labels, cost −a)──────────────────▶ reviewer r ──(≤ load)──▶ T
    proposal p ──(≥ need[p, g])──▶ (p, g) ──(pairs of group g, cost −a)──▶ reviewer r

A pair arc has capacity 1. The lower bound on the arc into a (proposal, ruled group) node is
removed the standard way: the (p, g) node supplies ``need[p, g]`` itself and proposal ``p``
supplies ``k[p] − Σ_g need[p, g]``; the arc keeps one unit of spare capacity so that it is never
saturated (its dual stays ≤ 0). Slack arcs to ``T`` at a penalty of ``max|cost| × (nodes + 1)``
keep a candidate set that cannot cover every review solvable: a flow with slack is then optimal
only if no covering flow exists on the same arcs (a cycle that removes one unit of slack crosses
fewer pair arcs than there are nodes), so slack left after pricing means the full instance is
infeasible and the caller diagnoses it.

OR-Tools' ``SimpleMinCostFlow`` needs integer costs: ``round(a × resolution)`` with
``resolution = 10⁸ / max|a|``. It returns no duals, so node potentials come from Bellman–Ford on
the residual network (vectorised relaxation in exact int64 from all nodes at distance 0; it
settles in a few dozen passes on the benchmark). Every allowed pair outside the master whose
reduced cost is negative, up to a quarter of a cost unit (a superset of the pairs whose rounded
cost is negative), is a candidate; the best ``enter`` per proposal join the master and the flow
is solved again. When none is left the flow is optimal for the rounded costs over the full
matrix. The full-matrix passes run in row chunks on two threads (numpy releases the GIL).

The proof is then re-done in floating point, independent of the rounding: the potentials give
LP duals ``u[p]`` (proposal rows), ``v[r] ≥ 0`` (load rows), ``w[p, g] ≤ 0`` (diversity rows),
and with ``z[p, r] = max(0, a[p, r] − u[p] − v[r] − w[p, g(r)])`` over *every* allowed pair,
``Σ k·u + Σ load·v + Σ need·w + Σ z`` is an upper bound on any assignment's total affinity (weak
duality). The gap between that bound and the flow's exact float objective is at most
``Σ k / resolution`` (each of the at most ``2 Σ k`` pair arcs on which the two assignments differ
carries a rounding error of at most half a unit); :func:`solve_flow` reports the measured gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = ["FlowAssignment", "solve_flow"]

# Largest integer cost; leaves OR-Tools room for its (nodes + 1) cost scaling and the penalty.
_COST_RANGE = 1e8
_CHUNK = 256
_THREADS = 2
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FlowAssignment:
    """The pairs of the flow and the figures of its proof. ``covered`` is false when pricing
    ended with reviews on slack arcs (the instance is infeasible); ``bound`` is an upper bound on
    the total affinity of any assignment over the full matrix and ``gap`` its distance to this
    one's (both ``nan`` when not covered); ``tolerance`` is the most that integer rounding of the
    costs can leave between them."""

    proposals: np.ndarray
    reviewers: np.ndarray
    covered: bool
    bound: float
    gap: float
    tolerance: float
    columns: int
    rounds: int


def _relax(n_nodes: int, tail: np.ndarray, head: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Shortest distances from a virtual root joined to every node at cost 0 (Bellman–Ford)."""
    dist = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        new = dist.copy()
        np.minimum.at(new, head, dist[tail] + cost)
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise ArithmeticError("negative cycle in the residual network of an optimal flow")


class _Network:
    """Node layout and fixed arcs of the network, and the full-matrix passes over its pairs."""

    def __init__(
        self,
        a: np.ndarray,
        allowed: np.ndarray,
        k: np.ndarray,
        loads: np.ndarray,
        label: np.ndarray,
        need: np.ndarray,
    ) -> None:
        n_p, n_r = a.shape
        self.n_p, self.n_r = n_p, n_r
        self.a, self.blocked, self.label = a, ~allowed, label
        # one_hot[g, r] = 1 where r is labelled g: ``x @ one_hot`` spreads a per-(proposal,
        # group) value over that group's reviewers exactly (one nonzero term per entry).
        self.one_hot = (label[None, :] == np.arange(need.shape[1])[:, None]).astype(np.float64)
        self.k, self.loads, self.need = k, loads, need
        self.scale = max(float(np.abs(a).max(initial=0.0)), 1e-12)
        self.resolution = _COST_RANGE / self.scale
        self.div_p, self.div_g = np.nonzero(need)
        n_div = self.div_p.size
        self.g_node = np.full(need.shape, -1, dtype=np.int64)
        self.g_node[self.div_p, self.div_g] = n_p + n_r + np.arange(n_div)
        # The pair arc of (p, r) leaves p's group node if p has a rule for r's label.
        self.from_node = np.where(self.g_node >= 0, self.g_node, np.arange(n_p)[:, None])
        self.sink = n_p + n_r + n_div
        self.n_nodes = self.sink + 1
        own = k - need.sum(axis=1)
        self.supply = np.concatenate(
            (own, np.zeros(n_r, np.int64), need[self.div_p, self.div_g], [-int(k.sum())])
        ).astype(np.int64)
        penalty = int(_COST_RANGE) * (self.n_nodes + 1)
        groups = n_p + n_r + np.arange(n_div)
        reviewers = n_p + np.arange(n_r)
        self.fixed_tail = np.concatenate((self.div_p, reviewers, np.arange(n_p), groups))
        self.fixed_head = np.concatenate(
            (groups, np.full(n_r + n_p + n_div, self.sink, dtype=np.int64))
        )
        self.fixed_cap = np.concatenate(
            (own[self.div_p] + 1, self.loads, k, need[self.div_p, self.div_g])
        ).astype(np.int64)
        self.fixed_cost = np.concatenate(
            (np.zeros(n_div + n_r, np.int64), np.full(n_p + n_div, penalty, np.int64))
        )
        self.n_slack = n_p + n_div

    def solve(self, p: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The min-cost flow on the columns ``(p, r)``: pair flows and node potentials."""
        cost = -np.rint(self.a[p, r] * self.resolution).astype(np.int64)
        tail = np.concatenate((self.from_node[p, self.label[r]], self.fixed_tail))
        head = np.concatenate((self.n_p + r, self.fixed_head))
        cap = np.concatenate((np.ones(p.size, np.int64), self.fixed_cap))
        costs = np.concatenate((cost, self.fixed_cost))
        flow_solver = min_cost_flow.SimpleMinCostFlow()
        arcs = flow_solver.add_arcs_with_capacity_and_unit_cost(tail, head, cap, costs)
        flow_solver.set_nodes_supplies(np.arange(self.n_nodes), self.supply)
        if flow_solver.solve() != flow_solver.OPTIMAL:
            return None
        flow = np.asarray(flow_solver.flows(arcs), dtype=np.int64)
        fwd, bwd = flow < cap, flow > 0
        dist = _relax(
            self.n_nodes,
            np.concatenate((tail[fwd], head[bwd])),
            np.concatenate((head[fwd], tail[bwd])),
            np.concatenate((costs[fwd], -costs[bwd])),
        )
        return flow, dist

    def price(
        self, dist: np.ndarray, open_pairs: np.ndarray, enter: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs in ``open_pairs`` (allowed, outside the master) with a negative reduced cost (a
        quarter unit of slack for the rounding), the best ``enter`` per proposal."""
        res = self.resolution
        # Reduced gain of (p, r): a − (d[from] − d[r]) / res, split as  a − f[p, g] − v[r].
        f = (dist[self.from_node] - dist[self.sink]) / res
        v = (dist[self.sink] - dist[self.n_p : self.n_p + self.n_r]) / res
        threshold = 0.25 / res

        def rows(lo: int) -> tuple[np.ndarray, np.ndarray]:
            hi = min(lo + _CHUNK, self.n_p)
            gain = self.a[lo:hi] - v
            gain -= f[lo:hi] @ self.one_hot
            good = gain > threshold
            good &= open_pairs[lo:hi]
            count = good.sum(axis=1)
            few = np.flatnonzero((count > 0) & (count <= enter))
            i, j = np.nonzero(good[few])
            many = np.flatnonzero(count > enter)
            best = np.where(good[many], gain[many], -np.inf)
            top = np.argpartition(-best, enter - 1, axis=1)[:, :enter]
            return (
                np.concatenate((few[i], np.repeat(many, enter))) + lo,
                np.concatenate((j, top.ravel())),
            )

        found = self._map(rows)
        return np.concatenate([x[0] for x in found]), np.concatenate([x[1] for x in found])

    def _map(self, work: Callable[[int], _T]) -> list[_T]:
        """``work`` over the row chunks; numpy releases the GIL, so two threads use two cores."""
        starts = range(0, self.n_p, _CHUNK)
        if _THREADS == 1:
            return [work(lo) for lo in starts]
        with ThreadPoolExecutor(_THREADS) as pool:
            return list(pool.map(work, starts))

    def bound(self, dist: np.ndarray) -> float:
        """The weak-duality upper bound from the potentials, in floating point over every
        allowed pair."""
        res = self.resolution
        d_sink = dist[self.sink]
        u = (dist[: self.n_p] - d_sink) / res
        v = np.maximum(0.0, d_sink - dist[self.n_p : self.n_p + self.n_r]) / res
        w = (dist[self.from_node] - dist[: self.n_p, None]) / res  # 0 for unruled labels
        total = float(self.k @ u + self.loads @ v + (self.need * w).sum())

        def rows(lo: int) -> float:
            hi = min(lo + _CHUNK, self.n_p)
            z = self.a[lo:hi] - v
            z -= (u[lo:hi, None] + w[lo:hi]) @ self.one_hot
            z[self.blocked[lo:hi]] = 0.0
            return float(np.maximum(z, 0.0).sum())

        return total + math.fsum(self._map(rows))


def solve_flow(
    affinity: np.ndarray,
    allowed: np.ndarray,
    *,
    k: np.ndarray,
    loads: np.ndarray,
    label: np.ndarray,
    need: np.ndarray,
    chosen: np.ndarray,
    enter: int = 10,
    deadline: float = float("inf"),
) -> FlowAssignment | None:
    """The assignment of maximum total affinity, by min-cost flow over the columns ``chosen``
    (boolean, the shape of ``affinity``) grown by pricing. ``label[r]`` indexes the columns of
    ``need`` (per proposal and group, the minimum; the last column, for unlabelled reviewers,
    is 0). Returns ``None`` when the flow solver cannot take the costs or pricing runs past
    ``deadline`` (a ``time.perf_counter`` value)."""
    net = _Network(affinity, allowed, k, loads, label, need)
    p, r = np.nonzero(chosen & ~net.blocked)
    open_pairs = ~net.blocked
    open_pairs[p, r] = False
    rounds = 0
    while True:
        solved = net.solve(p, r)
        rounds += 1
        if solved is None:
            return None
        flow, dist = solved
        new_p, new_r = net.price(dist, open_pairs, enter)
        if new_p.size == 0:
            break
        if time.perf_counter() > deadline:
            return None
        open_pairs[new_p, new_r] = False
        p, r = np.concatenate((p, new_p)), np.concatenate((r, new_r))
    on = flow[: p.size] > 0
    ap, ar = p[on], r[on]
    covered = not np.any(flow[flow.size - net.n_slack :] > 0)
    tolerance = float(k.sum()) / net.resolution
    if not covered:
        nan = float("nan")
        return FlowAssignment(ap, ar, False, nan, nan, tolerance, p.size, rounds)
    objective = float(affinity[ap, ar].sum())
    bound = net.bound(dist)
    return FlowAssignment(ap, ar, True, bound, bound - objective, tolerance, p.size, rounds)
