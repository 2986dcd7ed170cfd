"""Build, write and read the platform's reference-data snapshot.

The build turns the tidy CSVs in ``shared/data`` into one compact JSON document in the project's
own schema (``nexus-reference-snapshot/1``, described in ``docs/reference-data.md``). The CSVs
repeat their provenance on every row; the snapshot stores it once per source, checks that every
row agrees with it, and records a sha256 of each input file so a build can be traced to its inputs.

Missing figures stay missing: a country-year without a value is absent from the snapshot and
reads back as ``None``, never as 0. Zeros that the CSVs state (e.g. a year in which two countries
co-authored no works) are kept, because they are observations.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from nexus_sti.core.countries import ISO3_CODES
from nexus_sti.core.errors import InvalidInput

SCHEMA = "nexus-reference-snapshot/1"

WDI_FILE = "wdi_indicators.csv"
TOTALS_FILE = "openalex_intl_coauthored_totals.csv"
PAIRS_FILE = "openalex_coauthorship_pairs.csv"

_INDICATOR_COLUMNS = ("country_iso3", "indicator_code", "indicator_name", "year", "value")
_PAIR_COLUMNS = ("year", "country_a_iso3", "country_b_iso3", "coauthored_works")
_PROVENANCE_COLUMNS = ("source", "source_path", "license")

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_YEAR = re.compile(r"\d{4}")
# "<repo> <path>@<commit>" (OpenAlex) or "<path>@<commit>" (WDI, repo named in `source`).
_SOURCE_PATH = re.compile(r"(?:(?P<repo>\S+) )?(?P<path>\S+)@(?P<commit>[0-9a-f]{40})")
_VIA = re.compile(r"\bvia (?P<repo>\S+)")
_COLLECTED = re.compile(r"collected from \S+ (?P<on>\d{4}-\d{2}-\d{2})")


class SnapshotBuildError(InvalidInput, ValueError):
    """A source CSV cannot be turned into a snapshot; names the file, line and column (the
    error hierarchy's ``InvalidInput``, with the column as its field)."""

    def __init__(self, file: Path, line: int | None, column: str | None, problem: str) -> None:
        where = str(file) + (f", line {line}" if line is not None else "")
        where += f", column {column!r}" if column is not None else ""
        super().__init__(column or "file", problem, f"{where}: {problem}")
        self.file = file
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class _SourceSpec:
    """The project-authored half of a source record; the rest is read from the CSVs."""

    title: str
    publisher: str
    licence: str  # SPDX id the CSV's `license` column must contain
    licence_label: str
    files: tuple[str, ...]


_SOURCES: dict[str, _SourceSpec] = {
    "wdi": _SourceSpec(
        "World Development Indicators", "World Bank", "CC-BY-4.0", "CC BY 4.0", (WDI_FILE,)
    ),
    "openalex": _SourceSpec(
        "country co-authorship networks",
        "OpenAlex",
        "CC0-1.0",
        "CC0 1.0",
        (TOTALS_FILE, PAIRS_FILE),
    ),
}


# --- build ---------------------------------------------------------------------------------------


def build_snapshot(source_dir: Path) -> dict[str, Any]:
    """Read the three source CSVs under `source_dir` and return the snapshot as a JSON-ready dict.

    Raises SnapshotBuildError for a missing file or column, a malformed or unknown value, rows that
    disagree on provenance, or the same figure given twice with different values.
    """
    provenance: dict[str, dict[str, str]] = {}
    indicators: dict[str, dict[str, Any]] = {}
    pairs: dict[str, dict[str, int]] = {}
    inputs: list[dict[str, Any]] = []
    for source, spec in sorted(_SOURCES.items()):
        for name in spec.files:
            path = source_dir / name
            try:
                # Parse the very bytes that are hashed, so the sha256 describes what was read.
                data = path.read_bytes()
            except OSError as exc:
                raise SnapshotBuildError(path, None, None, f"cannot read: {exc.strerror}") from exc
            rows = 0
            for row in _rows(path, data, name):
                rows += 1
                _check_provenance(provenance, source, row)
                if name == PAIRS_FILE:
                    _add_pair(pairs, row)
                else:
                    _add_indicator_value(indicators, source, row)
            if rows == 0:
                raise SnapshotBuildError(path, 2, None, "no data rows")
            sha256 = hashlib.sha256(data).hexdigest()
            inputs.append({"file": name, "rows": rows, "sha256": sha256, "source": source})
    return {
        "schema": SCHEMA,
        "sources": {key: _source_record(key, provenance[key]) for key in sorted(provenance)},
        "inputs": sorted(inputs, key=lambda record: str(record["file"])),
        "countries": sorted(ISO3_CODES),
        "indicators": indicators,
        "coauthorship": {"source": "openalex", "pairs": pairs},
    }


def write_snapshot(snapshot: Mapping[str, Any], out: Path) -> None:
    """Write `snapshot` as deterministic UTF-8 JSON: sorted keys, one item a line, final newline."""
    text = json.dumps(snapshot, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    # newline="\n" so the bytes are the same on every platform.
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text + "\n")


@dataclass(frozen=True, slots=True)
class _Row:
    """One CSV data row with its place in the file, so every check can say where it failed."""

    path: Path
    line: int
    cells: dict[str, str]

    def fail(self, column: str | None, problem: str) -> SnapshotBuildError:
        return SnapshotBuildError(self.path, self.line, column, problem)

    def country(self, column: str) -> str:
        code = self.cells[column]
        if code not in ISO3_CODES:
            raise self.fail(column, f"unknown country {code!r}; allowed: {', '.join(ISO3_CODES)}")
        return code

    def year(self) -> str:
        if _YEAR.fullmatch(self.cells["year"]) is None:
            raise self.fail("year", f"{self.cells['year']!r} is not a 4-digit year")
        return self.cells["year"]

    def number(self, column: str) -> int | float | None:
        """Parse without losing precision (integers stay int); None for an empty cell."""
        text = self.cells[column].strip()
        if text == "":
            return None
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text) and math.isfinite(value := float(text)):
            return value
        raise self.fail(column, f"not a finite number: {text!r}")

    def store(self, series: dict[str, Any], year: str, value: int | float, column: str) -> None:
        """Store one figure; the same figure given twice must agree, else the build stops."""
        previous = series.setdefault(year, value)
        if previous != value:
            raise self.fail(column, f"{value!r} contradicts {previous!r} given earlier for {year}")


def _rows(path: Path, data: bytes, name: str) -> Iterator[_Row]:
    """Yield each data row, after checking the header and the row's width."""
    required = (_PAIR_COLUMNS if name == PAIRS_FILE else _INDICATOR_COLUMNS) + _PROVENANCE_COLUMNS
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SnapshotBuildError(path, line, None, "not UTF-8 text") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for column in required:
        if column not in header:
            raise SnapshotBuildError(path, 1, column, f"missing column; header is {header}")
    for cells in reader:
        row = _Row(path, reader.line_num, cells)
        if None in cells:
            raise row.fail(None, "more fields than the header")
        for column in required:
            if cells[column] is None:
                raise row.fail(column, "field missing")
        yield row


def _check_provenance(seen: dict[str, dict[str, str]], source: str, row: _Row) -> None:
    """Check that a row's provenance columns match the first row seen for its source."""
    cells, spec = row.cells, _SOURCES[source]
    if spec.licence not in cells["license"]:
        raise row.fail("license", f"expected licence {spec.licence}")
    match = _SOURCE_PATH.fullmatch(cells["source_path"])
    if match is None:
        raise row.fail("source_path", "expected '[repo ]path@<40-hex commit>'")
    # WDI names one data file per indicator; the pattern stands for all of them.
    file_path = match["path"]
    if code := cells.get("indicator_code"):
        file_path = file_path.replace(code.lower(), "<code>")
    repo, repo_column = match["repo"], "source_path"
    if repo is None:
        if (via := _VIA.search(cells["source"])) is None:
            raise row.fail("source", "names no 'via <repository>'")
        repo, repo_column = via["repo"], "source"
    # field -> (value, the CSV column it comes from)
    record = {
        "via": (repo, repo_column),
        "path_pattern": (file_path, "source_path"),
        "commit": (match["commit"], "source_path"),
        "source_text": (cells["source"], "source"),
        "licence_text": (cells["license"], "license"),
    }
    first = seen.setdefault(source, {key: value for key, (value, _) in record.items()})
    for key, (value, column) in record.items():
        if value != first[key]:
            raise row.fail(column, f"{key} {value!r} differs from {first[key]!r} in earlier rows")


def _source_record(key: str, found: Mapping[str, str]) -> dict[str, Any]:
    spec = _SOURCES[key]
    record: dict[str, Any] = {
        "title": spec.title,
        "publisher": spec.publisher,
        "licence": spec.licence,
        "licence_label": spec.licence_label,
        "files": list(spec.files),
        **found,
    }
    record["attribution"] = (
        f"{spec.publisher} {spec.title}, {spec.licence_label}, via {found['via']}, "
        f"{found['path_pattern']} at commit {found['commit']}"
    )
    if (collected := _COLLECTED.search(found["source_text"])) is not None:
        record["collected_on"] = collected["on"]
        record["attribution"] += f", collected {collected['on']}"
    return record


def _add_indicator_value(indicators: dict[str, dict[str, Any]], source: str, row: _Row) -> None:
    code, name = row.cells["indicator_code"], row.cells["indicator_name"]
    if not code:
        raise row.fail("indicator_code", "empty indicator code")
    entry = indicators.setdefault(code, {"name": name, "source": source, "values": {}})
    if (entry["source"], entry["name"]) != (source, name):
        raise row.fail("indicator_name", f"{code} was named {entry['name']!r} in earlier rows")
    iso3, year, value = row.country("country_iso3"), row.year(), row.number("value")
    if value is not None:  # a missing figure stays missing
        row.store(entry["values"].setdefault(iso3, {}), year, value, "value")


def _add_pair(pairs: dict[str, dict[str, int]], row: _Row) -> None:
    a, b = row.country("country_a_iso3"), row.country("country_b_iso3")
    if a == b:
        raise row.fail("country_b_iso3", f"{a} paired with itself")
    year, count = row.year(), row.number("coauthored_works")
    if count is None:
        return
    if not isinstance(count, int) or count < 0:
        raise row.fail("coauthored_works", f"not a count of works: {count!r}")
    # Undirected: both row orders land on one key, and a contradiction stops the build.
    row.store(pairs.setdefault(pair_key(a, b), {}), year, count, "coauthored_works")


def pair_key(a: str, b: str) -> str:
    """Return the snapshot key of the unordered pair: both codes sorted, joined with '-'."""
    return "-".join(sorted((a.upper(), b.upper())))


# --- read ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """Where a set of figures comes from, and under which licence."""

    key: str
    title: str
    publisher: str
    licence: str  # SPDX id
    licence_label: str
    licence_text: str  # the source's own words, verbatim
    source_text: str
    via: str
    path_pattern: str
    commit: str
    collected_on: str | None
    files: tuple[str, ...]
    attribution: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator's figures, by country then year; countries without any are absent."""

    code: str
    name: str
    source: str
    values: Mapping[str, Mapping[int, float]]


@dataclass(frozen=True, slots=True)
class ReferenceSnapshot:
    """The snapshot, read-only, with lookups that keep missing figures as None."""

    countries: tuple[str, ...]
    sources: Mapping[str, SourceRecord]
    indicators: Mapping[str, Indicator]
    coauthorship_source: str
    pairs: Mapping[str, Mapping[int, int]]
    input_sha256: Mapping[str, str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferenceSnapshot:
        """Read a snapshot document; raises ValueError if it is not schema version 1."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document: schema is {data.get('schema')!r}")
        # Every field but `key` and `files` is a string stored under its own name.
        text_fields = [f.name for f in fields(SourceRecord) if f.name not in ("key", "files")]
        sources = {
            key: SourceRecord(
                key=key, files=tuple(record["files"]), **{f: record.get(f) for f in text_fields}
            )
            for key, record in data["sources"].items()
        }
        indicators = {
            code: Indicator(
                code=code,
                name=entry["name"],
                source=entry["source"],
                values={
                    iso3: {int(year): by_year[year] for year in sorted(by_year, key=int)}
                    for iso3, by_year in entry["values"].items()
                },
            )
            for code, entry in data["indicators"].items()
        }
        pairs = {
            key: {int(year): by_year[year] for year in sorted(by_year, key=int)}
            for key, by_year in data["coauthorship"]["pairs"].items()
        }
        return cls(
            countries=tuple(data["countries"]),
            sources=sources,
            indicators=indicators,
            coauthorship_source=data["coauthorship"]["source"],
            pairs=pairs,
            input_sha256={record["file"]: record["sha256"] for record in data["inputs"]},
        )

    def indicator_codes(self) -> tuple[str, ...]:
        return tuple(sorted(self.indicators))

    def indicator_name(self, code: str) -> str:
        return self._indicator(code).name

    def source_of(self, code: str) -> SourceRecord:
        """Return the source of an indicator code, or of the pair counts for 'coauthorship'."""
        key = self.coauthorship_source if code == "coauthorship" else self._indicator(code).source
        return self.sources[key]

    def series(self, indicator: str, iso3: str) -> dict[int, float]:
        """Return {year: value} for the years with a figure, oldest first; may be empty."""
        return dict(self._indicator(indicator).values.get(self._country(iso3), {}))

    def value(self, indicator: str, iso3: str, year: int) -> float | None:
        return self._indicator(indicator).values.get(self._country(iso3), {}).get(year)

    def latest(
        self, indicator: str, iso3: str, *, window: tuple[int, int] | None = None
    ) -> tuple[int, float] | None:
        """Return (year, value) for the latest year with a figure, within `window` (inclusive)."""
        series = self.series(indicator, iso3)
        if window is not None:
            first, last = window
            if first > last:
                raise ValueError(f"window {window} starts after it ends")
            series = {year: v for year, v in series.items() if first <= year <= last}
        if not series:
            return None
        year = max(series)
        return year, series[year]

    def coauthored_works(self, a: str, b: str, year: int) -> int | None:
        """Works co-authored by `a` and `b` in `year` (order irrelevant); None if not recorded."""
        return self._pair(a, b).get(year)

    def coauthored_works_total(self, a: str, b: str, years: range) -> int:
        """Sum of the recorded yearly counts for the years in `years`; years without one add 0."""
        by_year = self._pair(a, b)
        return sum(by_year[year] for year in years if year in by_year)

    def attribution_lines(self) -> list[str]:
        """One attribution per source, in source-key order, for pages and exports to show."""
        return [self.sources[key].attribution for key in sorted(self.sources)]

    def _indicator(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            allowed = ", ".join(self.indicator_codes())
            raise KeyError(f"unknown indicator {code!r}; allowed: {allowed}") from None

    def _country(self, iso3: str) -> str:
        code = iso3.upper()
        if code not in self.countries:
            allowed = ", ".join(self.countries)
            raise KeyError(f"unknown country {iso3!r}; allowed: {allowed}")
        return code

    def _pair(self, a: str, b: str) -> Mapping[int, int]:
        first, second = self._country(a), self._country(b)
        if first == second:
            raise ValueError(f"co-authorship is between two countries; got {a!r} twice")
        return self.pairs.get(pair_key(first, second), {})


def load_snapshot(path: Path | None = None) -> ReferenceSnapshot:
    """Read a snapshot file; by default the one packaged at nexus_sti/reference/data."""
    source = path or resources.files("nexus_sti.reference") / "data" / "snapshot.json"
    return ReferenceSnapshot.from_json(json.loads(source.read_text(encoding="utf-8")))
