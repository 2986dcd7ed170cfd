"""A :class:`~nexus_sti.algorithms.similarity.VectorStore` kept in the ``embedding_vectors``
table, so a proposal or profile is embedded again only when its text (or the model) changes.

Vectors are stored as little-endian float32 bytes. The store adds rows to the caller's session
and flushes; the calling service commits them with the rest of its work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from nexus_sti.algorithms.similarity import VectorKey
from nexus_sti.review.tables import EmbeddingVector

_FLOAT32_LE = np.dtype("<f4")
# Keys per SELECT: well under every backend's bound-parameter limit (3 parameters a key).
_CHUNK = 300


class DatabaseVectorStore:
    """Vectors in the database. ``computed`` counts the vectors put since creation, so callers
    can report how many texts were embedded afresh."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.computed = 0
        self.fetched = 0

    def get_many(self, keys: Iterable[VectorKey]) -> dict[VectorKey, npt.NDArray[np.float32]]:
        wanted = list(dict.fromkeys(keys))
        out: dict[VectorKey, npt.NDArray[np.float32]] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self.session.execute(
                select(
                    EmbeddingVector.backend,
                    EmbeddingVector.version,
                    EmbeddingVector.text_sha256,
                    EmbeddingVector.vector,
                ).where(
                    tuple_(
                        EmbeddingVector.backend,
                        EmbeddingVector.version,
                        EmbeddingVector.text_sha256,
                    ).in_([tuple(k) for k in chunk])
                )
            )
            for backend, version, sha, blob in rows:
                vector = np.frombuffer(blob, dtype=_FLOAT32_LE).astype(np.float32)
                out[VectorKey(backend, version, sha)] = vector
        self.fetched += len(out)
        return out

    def put_many(self, vectors: Mapping[VectorKey, npt.NDArray[np.float32]]) -> None:
        for key, vector in vectors.items():
            data = np.ascontiguousarray(vector, dtype=_FLOAT32_LE)
            self.session.add(
                EmbeddingVector(
                    backend=key.backend,
                    version=key.version,
                    text_sha256=key.text_sha256,
                    dimensions=int(data.size),
                    vector=data.tobytes(),
                )
            )
        self.session.flush()
        self.computed += len(vectors)
