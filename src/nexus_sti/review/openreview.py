"""The OpenReview matcher's CSV files read in columns (``docs/review.md``, "Batch interface").

A scores file of 20 million rows (5,000 proposals × 4,000 reviewers) took 48 s and 3.9 GB
through the row-by-row reader (:func:`nexus_sti.review.batch.read_openreview`): a Python string,
float and dict look-up per cell. Here pandas' C tokenizer reads the ids as categoricals and the
third column as float64 straight into arrays, and the checks run on those arrays.

The row-by-row reader stays the reference: it says what is accepted and what every refusal
says. A file is read in columns only when it is *plain* (no quote character, no NUL, no lone
carriage return, exactly one line per row, three cells on every line), so that a row's number is
its line number. Anything else, and any cell the columnar parse does not take (a word where a
number belongs, an empty id, a non-finite number, a blank line), sends the file back to the
row-by-row reader, which accepts it or refuses it with its own message. The array checks here
(a pair given twice, a constraint naming an id with no score) give the same messages from the
arrays, so those refusals stay fast on a large file.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from pathlib import Path

import numpy as np

from nexus_sti.algorithms.assignment import Fairness
from nexus_sti.core.errors import InvalidInput
from nexus_sti.review import batch

_BLOCK = 1 << 26  # 64 MiB per read when scanning a file


def _cases(word: str) -> list[str]:
    return ["".join(c) for c in itertools.product(*((ch.lower(), ch.upper()) for ch in word))]


# pandas reads a chunk whose cells are all true/false (any case) as 1.0 and 0.0 in a float
# column; as missing values they become NaN instead, which sends the file to the reference.
_BOOL_WORDS = _cases("true") + _cases("false")


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Triples:
    """The rows of an OpenReview matcher file as arrays: row ``i`` (line ``first_line + i``)
    is ``proposals[p_codes[i]], reviewers[r_codes[i]], values[i]``; ids are stripped and
    numbered in order of first appearance."""

    proposals: tuple[str, ...]
    reviewers: tuple[str, ...]
    p_codes: np.ndarray
    r_codes: np.ndarray
    values: np.ndarray
    first_line: int


@dataclasses.dataclass(slots=True)
class _Scan:
    lines: int = 0
    plain: bool = True
    first_line: bytes = b""


def _scan(path: Path) -> _Scan:
    """One pass over the bytes of ``path``: the line count, the first line, and whether
    anything in it rules out the columnar reading."""
    scan = _Scan()
    newlines = cr = crlf = 0
    last = b""
    head = b""
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            if len(head) < 65536 and b"\n" not in head:
                head += block[:65536]
            if b'"' in block or b"\x00" in block:
                scan.plain = False
                return scan
            newlines += block.count(b"\n")
            if b"\r" in block:
                cr += block.count(b"\r")
                crlf += block.count(b"\r\n")
            crlf += last == b"\r" and block[:1] == b"\n"
            last = block[-1:]
    if cr != crlf:
        scan.plain = False
    scan.lines = newlines + (last not in (b"", b"\n"))
    scan.first_line = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    return scan


def _ids(codes: np.ndarray, names: np.ndarray) -> tuple[tuple[str, ...], np.ndarray] | None:
    """Ids stripped and numbered in order of first appearance, and each row's number; ``None``
    when an id is empty once stripped."""
    n = len(names)
    present, first = np.unique(codes, return_index=True)
    seen = present[np.argsort(first, kind="stable")]
    index: dict[str, int] = {}
    renumber = np.full(n, -1, dtype=np.int32)
    for code in seen:
        name = str(names[code]).strip()
        if not name:
            return None
        renumber[code] = index.setdefault(name, len(index))
    return tuple(index), renumber[codes]


def read_triples(path: Path) -> Triples | None:
    """The rows of the OpenReview matcher file at ``path`` as arrays, or ``None`` when the file
    is not plain or a cell is not taken as is (the row-by-row reader then decides)."""
    import pandas as pd

    try:
        scan = _scan(path)
        first = scan.first_line.decode("utf-8").split(",")
    except (OSError, UnicodeDecodeError):
        return None
    if not scan.plain or len(first) != 3 or not any(c.strip() for c in first):
        return None
    header = not batch.is_number(first[2].strip())
    try:
        # A row with more than three cells warns (the first) or raises (later ones). pandas'
        # parallel reader gives up on categorical columns after a full pass: one thread.
        with warnings.catch_warnings(), pd.option_context("mode.max_threads", 1):
            warnings.simplefilter("error")
            frame = pd.read_csv(
                path, header=None, names=["p", "r", "v"], skiprows=1 if header else 0,
                index_col=False, dtype={"p": "category", "r": "category", "v": np.float64},
                keep_default_na=False, na_values={"v": _BOOL_WORDS}, skip_blank_lines=True,
                encoding="utf-8-sig", engine="c",
            )  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, Warning, pd.errors.ParserError):
        return None
    rows = len(frame)
    if rows == 0 or rows + header != scan.lines:
        return None
    values = frame["v"].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    p_cat, r_cat = frame["p"].array, frame["r"].array
    proposals = _ids(np.asarray(p_cat.codes), np.asarray(p_cat.categories, dtype=object))
    reviewers = _ids(np.asarray(r_cat.codes), np.asarray(r_cat.categories, dtype=object))
    if proposals is None or reviewers is None:
        return None
    return Triples(
        proposals=proposals[0],
        reviewers=reviewers[0],
        p_codes=proposals[1],
        r_codes=reviewers[1],
        values=values,
        first_line=1 + header,
    )


def openreview_problem(
    scores: Triples,
    constraints: Triples | None,
    *,
    k: int,
    max_load: int,
    scores_source: str = "scores",
    constraints_source: str = "constraints",
    fairness: Fairness | None = None,
    time_limit: float = 60.0,
) -> batch.AssignmentProblem | None:
    """The problem of :func:`batch.read_openreview` from files already in arrays, with its
    refusals of a pair given twice and of a conflict naming an id with no score. ``None`` when
    a constraint value is neither -1 nor 0: the row-by-row reader refuses it in its words."""
    if k < 0:
        raise InvalidInput("k", "must be ≥ 0")
    if max_load < 0:
        raise InvalidInput("max_load", "must be ≥ 0")
    n_p, n_r = len(scores.proposals), len(scores.reviewers)
    p_arr, r_arr = scores.p_codes, scores.r_codes
    keys = p_arr.astype(np.int64) * n_r + r_arr
    if np.bincount(keys, minlength=n_p * n_r).max() > 1:
        order = np.argsort(keys, kind="stable")
        at = np.flatnonzero(np.diff(keys[order]) == 0)[0]
        earlier, later = int(order[at]), int(order[at + 1])
        pair = (scores.proposals[p_arr[later]], scores.reviewers[r_arr[later]])
        line = scores.first_line + later
        raise batch.invalid(
            scores_source, f"row {line}",
            f"the pair {pair} already has a score on row {scores.first_line + earlier}",
            row=line,
        )  # fmt: skip
    matrix = np.zeros((n_p, n_r))
    matrix[p_arr, r_arr] = scores.values
    conflicts = np.zeros((n_p, n_r), dtype=bool)
    ignored = 0
    if constraints is not None:
        values = constraints.values
        if not ((values == -1) | (values == 0)).all():
            return None
        ignored = int((values == 0).sum())
        p_of = _positions(constraints.proposals, scores.proposals)[constraints.p_codes]
        r_of = _positions(constraints.reviewers, scores.reviewers)[constraints.r_codes]
        hit = values == -1
        unknown = np.flatnonzero(hit & ((p_of < 0) | (r_of < 0)))
        if unknown.size:
            i = int(unknown[0])
            line = constraints.first_line + i
            if p_of[i] < 0:
                name = constraints.proposals[constraints.p_codes[i]]
                column, what = 1, "proposal id"
            else:
                name = constraints.reviewers[constraints.r_codes[i]]
                column, what = 2, "reviewer id"
            raise batch.cell_error(
                constraints_source, line, column, what, f"{name!r} has no row in {scores_source}"
            )
        conflicts[p_of[hit], r_of[hit]] = True
    notes = [f"{keys.size} scores, {int(conflicts.sum())} conflicts"]
    if ignored:
        notes.append(f"{ignored} constraint rows with 0 ignored")
    return batch.AssignmentProblem(
        proposal_ids=scores.proposals,
        reviewer_ids=scores.reviewers,
        affinity=matrix,
        conflicts=conflicts,
        k=np.full(n_p, k, dtype=np.int64),
        loads=np.full(n_r, max_load, dtype=np.int64),
        fairness=fairness,
        time_limit=time_limit,
        notes=tuple(notes),
    )


def _positions(names: tuple[str, ...], known: tuple[str, ...]) -> np.ndarray:
    """Each of ``names``' position in ``known``, -1 where absent."""
    index = {name: i for i, name in enumerate(known)}
    return np.array([index.get(name, -1) for name in names], dtype=np.int64)


def read_openreview_files(
    scores: Path,
    constraints: Path | None = None,
    *,
    k: int,
    max_load: int,
    fairness: Fairness | None = None,
    time_limit: float = 60.0,
) -> batch.AssignmentProblem:
    """The problem in the OpenReview matcher files ``scores`` and ``constraints``: the same
    problem, and the same refusals, as :func:`batch.read_openreview` on their text."""
    options = {
        "k": k, "max_load": max_load, "scores_source": str(scores),
        "constraints_source": str(constraints), "fairness": fairness, "time_limit": time_limit,
    }  # fmt: skip
    for path, what in ((scores, "--scores"), (constraints, "--constraints")):
        if path is not None and not path.is_file():
            batch.read_text(path, what)  # refuses a missing or unreadable file before any work
    score_rows = read_triples(scores)
    if score_rows is not None:
        constraint_rows = None if constraints is None else read_triples(constraints)
        if constraints is None or constraint_rows is not None:
            parsed = openreview_problem(score_rows, constraint_rows, **options)  # type: ignore[arg-type]
            if parsed is not None:
                return parsed
    return batch.read_openreview(
        batch.read_text(scores, "--scores"),
        None if constraints is None else batch.read_text(constraints, "--constraints"),
        **options,  # type: ignore[arg-type]
    )
