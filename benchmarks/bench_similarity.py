"""Similarity backends on the seeded reviewer-matching task, side by side.

    .venv/bin/python benchmarks/bench_similarity.py [--proposals 300] [--reviewers 300]
        [--seeds 1 2 3] [--quick] [--threads]

For each backend (and each TF-IDF analyzer) prints mean precision@3, precision@5, MRR and
NDCG@5 over the seeded labelled sets of ``nexus_sti.demo.expertise_set``, the
precision@5 ratio against word TF-IDF (the straightforward baseline) run in the same process,
texts embedded per second, the paraphrase probe (rank the other phrasings of each sub-topic
among all 168 phrasings, no surrounding text) and the multilingual probe (related beats
unrelated, in how many of the 7 cases). A backend that cannot run here is listed with the
reason. ``--quick`` uses one seed and 150 x 150. ``--threads`` also times MiniLM with 1 and 2
onnxruntime intra-op threads on the same 100 benchmark texts, interleaved so that a change in
machine load hits both alike, as the median of five runs and the ratio to 1 thread.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nexus_sti.algorithms.similarity import (
    BACKENDS,
    DEFAULT_BACKEND,
    BackendUnavailable,
    MiniLMBackend,
    SimilarityBackend,
    TfidfBackend,
    affinity,
)
from nexus_sti.demo.expertise_set import (
    MULTILINGUAL_PROBE,
    SUBTOPICS,
    evaluate_backend,
    expertise_benchmark,
    multilingual_wins,
    ranking_scores,
)


def candidates() -> list[tuple[str, SimilarityBackend | str]]:
    rows: list[tuple[str, SimilarityBackend | str]] = [
        (f"tfidf {analyzer}", TfidfBackend(analyzer=analyzer))
        for analyzer in ("word", "char", "word+char")
    ]
    for name, factory in BACKENDS.items():
        if name == "tfidf":
            continue
        try:
            rows.append((name, factory()))
        except BackendUnavailable as exc:
            rows.append((name, exc.message))
    return rows


def paraphrase_probe(backend: SimilarityBackend) -> float:
    """Precision@3 of finding a phrasing's three siblings among all phrasings."""
    phrasings = [p for subs in SUBTOPICS.values() for sub in subs for p in sub]
    labels = [(a, i) for a, subs in SUBTOPICS.items() for i, sub in enumerate(subs) for _ in sub]
    scores = affinity(backend, phrasings, phrasings)
    np.fill_diagonal(scores, -np.inf)
    relevant = np.array([[x == y for y in labels] for x in labels])
    np.fill_diagonal(relevant, False)
    return ranking_scores(scores, relevant, k=3).precision_at_k


def thread_timings(texts: list[str], threads: tuple[int, ...], repeats: int = 5) -> list[float]:
    """Median seconds for MiniLM to embed ``texts`` with each intra-op thread count."""
    backends = [MiniLMBackend(threads=n) for n in threads]
    for backend in backends:
        backend.embed(texts[:8])  # the first run allocates; keep it out of the figures
    seconds: list[list[float]] = [[] for _ in threads]
    for _ in range(repeats):
        for backend, runs in zip(backends, seconds, strict=True):
            started = time.perf_counter()
            backend.embed(texts)
            runs.append(time.perf_counter() - started)
    return [float(np.median(runs)) for runs in seconds]


def print_thread_timings(seed: int) -> None:
    bench = expertise_benchmark(proposals=50, reviewers=50, seed=seed)
    texts = [*bench.proposal_texts, *bench.reviewer_texts]
    threads = (1, 2)
    try:
        medians = thread_timings(texts, threads)
    except BackendUnavailable as exc:
        print(f"minilm threads: unavailable: {exc.message}")
        return
    chars = np.mean([len(t) for t in texts])
    print(f"MiniLM on {len(texts)} benchmark texts ({chars:.0f} characters on average):")
    for n, seconds in zip(threads, medians, strict=True):
        print(f"  {n} intra-op thread(s): {seconds:.2f} s, {seconds / medians[0]:.2f} x 1 thread")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proposals", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--quick", action="store_true", help="one seed, 150 x 150")
    parser.add_argument("--threads", action="store_true", help="time MiniLM with 1 and 2 threads")
    args = parser.parse_args()
    if args.quick:
        args.proposals, args.reviewers, args.seeds = 150, 150, args.seeds[:1]

    started = time.perf_counter()
    sets = [
        expertise_benchmark(proposals=args.proposals, reviewers=args.reviewers, seed=s)
        for s in args.seeds
    ]
    relevant = np.mean([b.relevance().sum(axis=1).mean() for b in sets])
    print(
        f"labelled sets: {len(sets)} seeds x {args.proposals} proposals x {args.reviewers} "
        f"reviewers, {relevant:.1f} relevant reviewers per proposal, built in "
        f"{time.perf_counter() - started:.2f} s"
    )

    header = (
        f"{'backend':<16}{'P@3':>7}{'P@5':>7}{'MRR':>7}{'NDCG@5':>8}{'P@5 ratio':>11}"
        f"{'texts/s':>10}{'paraphr.':>10}{'multiling.':>12}"
    )
    print(header)
    print("-" * len(header))
    baseline: float | None = None
    for label, backend in candidates():
        if isinstance(backend, str):
            print(f"{label:<16}unavailable: {backend}")
            continue
        at3 = [evaluate_backend(backend, b, k=3) for b in sets]
        at5 = [evaluate_backend(backend, b, k=5) for b in sets]
        p3 = float(np.mean([r.scores.precision_at_k for r in at3]))
        p5 = float(np.mean([r.scores.precision_at_k for r in at5]))
        mrr = float(np.mean([r.scores.mrr for r in at5]))
        ndcg = float(np.mean([r.scores.ndcg_at_k for r in at5]))
        # Median over both runs per set, so the first call's warm-up does not dominate.
        per_100 = float(np.median([r.seconds_per_100_texts for r in (*at3, *at5)]))
        baseline = baseline or p5
        wins = len(multilingual_wins(backend))
        print(
            f"{label:<16}{p3:>7.3f}{p5:>7.3f}{mrr:>7.3f}{ndcg:>8.3f}{p5 / baseline:>11.3f}"
            f"{100 / per_100:>10,.0f}{paraphrase_probe(backend):>10.3f}"
            f"{wins:>8}/{len(MULTILINGUAL_PROBE)}"
        )
    print(f"default_backend(): {DEFAULT_BACKEND}")
    if args.threads:
        print_thread_timings(args.seeds[0])


if __name__ == "__main__":
    main()
