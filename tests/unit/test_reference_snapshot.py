"""The packaged reference snapshot: reproducible, faithful to the shared CSVs, honest about gaps."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nexus_sti.reference.snapshot import (
    PAIRS_FILE,
    TOTALS_FILE,
    WDI_FILE,
    ReferenceSnapshot,
    SnapshotBuildError,
    build_snapshot,
    load_snapshot,
    write_snapshot,
)
from tests.conftest import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PACKAGED = REPO_ROOT / "src" / "nexus_sti" / "reference" / "data" / "snapshot.json"

RD = "GB.XPD.RSDV.GD.ZS"
WDI_COMMIT = "4ebec5a2273f531ba238a34dbe440394dc5a6c4b"
OA_COMMIT = "98ca3dc9bdef19fdaa7fbb4d4bad1c32b49cb382"
WDI_PROVENANCE = [
    "World Bank WDI via github.com/datasets/world-development-indicators",
    f"indicators/gb.xpd.rsdv.gd.zs/data.csv@{WDI_COMMIT}",
    "CC-BY-4.0",
]
OA_PROVENANCE = [
    "OpenAlex networks (collected from api.openalex.org 2024-08-27)",
    f"github.com/bavla/OpenAlex Countries/27aug24/WrldCo_years.zip@{OA_COMMIT}",
    "OpenAlex data CC0-1.0",
]
INDICATOR_HEADER = ["country_iso3", "indicator_code", "indicator_name", "year", "value"]
PROVENANCE_HEADER = ["source", "source_path", "license"]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _write_sources(
    folder: Path,
    *,
    wdi: list[list[str]] | None = None,
    pairs: list[list[str]] | None = None,
) -> Path:
    """Write a small, valid source folder; `wdi` and `pairs` replace the default data rows."""
    rd_name = "Research and development expenditure (% of GDP)"
    default_wdi = [
        ["JPN", RD, rd_name, "2015", "3.24071"],
        ["JPN", RD, rd_name, "2016", ""],
        ["VNM", RD, rd_name, "2015", "0.43"],
    ]
    _write_csv(
        folder / WDI_FILE,
        INDICATOR_HEADER + PROVENANCE_HEADER,
        [[*row, *WDI_PROVENANCE] for row in (wdi if wdi is not None else default_wdi)],
    )
    oa_name = "Works with authors from >1 country that include this country"
    _write_csv(
        folder / TOTALS_FILE,
        INDICATOR_HEADER + PROVENANCE_HEADER,
        [["JPN", "OA.INTL.COAUTH.WORKS", oa_name, "2015", "52673", *OA_PROVENANCE]],
    )
    default_pairs = [["2015", "JPN", "VNM", "562"], ["2016", "JPN", "VNM", "0"]]
    _write_csv(
        folder / PAIRS_FILE,
        ["year", "country_a_iso3", "country_b_iso3", "coauthored_works", *PROVENANCE_HEADER],
        [[*row, *OA_PROVENANCE] for row in (pairs if pairs is not None else default_pairs)],
    )
    return folder


def _build(folder: Path) -> ReferenceSnapshot:
    return ReferenceSnapshot.from_json(build_snapshot(folder))


@pytest.fixture(scope="module")
def packaged() -> ReferenceSnapshot:
    return load_snapshot()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        missing(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA


# --- reproducibility ------------------------------------------------------------------------------


def test_building_twice_gives_identical_bytes(tmp_path: Path) -> None:
    source = _write_sources(tmp_path)
    write_snapshot(build_snapshot(source), tmp_path / "one.json")
    write_snapshot(build_snapshot(source), tmp_path / "two.json")

    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_packaged_snapshot_equals_a_fresh_build_from_shared_data(
    shared_data: Path, tmp_path: Path
) -> None:
    write_snapshot(build_snapshot(shared_data), tmp_path / "fresh.json")

    assert (tmp_path / "fresh.json").read_bytes() == PACKAGED.read_bytes(), (
        "snapshot is stale: run `python scripts/build_snapshot.py`"
    )


def test_packaged_snapshot_is_compact_and_records_its_inputs() -> None:
    data = json.loads(PACKAGED.read_text(encoding="utf-8"))

    assert PACKAGED.stat().st_size < 1024 * 1024
    assert {record["file"] for record in data["inputs"]} == {WDI_FILE, TOTALS_FILE, PAIRS_FILE}
    assert all(len(record["sha256"]) == 64 for record in data["inputs"])


def test_every_csv_figure_comes_through_exactly(
    shared_data: Path, packaged: ReferenceSnapshot
) -> None:
    for name in (WDI_FILE, TOTALS_FILE):
        with (shared_data / name).open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                got = packaged.value(row["indicator_code"], row["country_iso3"], int(row["year"]))
                assert got == float(row["value"]), row
                # Integers stay integers, decimals keep every digit the CSV gave.
                assert repr(got) == row["value"], row
    with (shared_data / PAIRS_FILE).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            a, b, year = row["country_a_iso3"], row["country_b_iso3"], int(row["year"])
            assert packaged.coauthored_works(a, b, year) == int(row["coauthored_works"]), row


def test_script_writes_the_snapshot_and_check_mode_agrees(tmp_path: Path) -> None:
    source = _write_sources(tmp_path)
    out = tmp_path / "out" / "snapshot.json"
    script = str(REPO_ROOT / "scripts" / "build_snapshot.py")
    args = [sys.executable, script, "--source", str(source), "--out", str(out)]

    subprocess.run(args, check=True, capture_output=True)
    check = subprocess.run([*args, "--check"], capture_output=True, text=True)
    out.write_text("{}\n", encoding="utf-8")
    stale = subprocess.run([*args, "--check"], capture_output=True, text=True)

    assert check.returncode == 0, check.stdout + check.stderr
    assert stale.returncode == 1
    assert "differs" in stale.stdout


# --- known figures and gaps ----------------------------------------------------------------------


def test_known_figures_match_the_csv(packaged: ReferenceSnapshot) -> None:
    # Values read from ../shared/data by hand.
    assert packaged.value(RD, "JPN", 2015) == 3.24071
    assert packaged.value("SP.POP.SCIE.RD.P6", "KHM", 2015) == 30.38923
    assert packaged.value("OA.INTL.COAUTH.WORKS", "JPN", 2000) == 17481
    assert packaged.coauthored_works("JPN", "VNM", 2020) == 1327
    assert packaged.coauthored_works("IDN", "JPN", 2015) == 868


def test_timor_leste_has_no_rd_spending_rather_than_zero(packaged: ReferenceSnapshot) -> None:
    assert packaged.series(RD, "TLS") == {}
    assert packaged.value(RD, "TLS", 2020) is None
    assert packaged.latest(RD, "TLS") is None


def test_a_missing_cell_stays_missing(tmp_path: Path) -> None:
    snapshot = _build(_write_sources(tmp_path))

    assert snapshot.value(RD, "JPN", 2016) is None
    assert snapshot.series(RD, "JPN") == {2015: 3.24071}


def test_a_stated_zero_count_is_kept(tmp_path: Path) -> None:
    snapshot = _build(_write_sources(tmp_path))

    assert snapshot.coauthored_works("JPN", "VNM", 2016) == 0
    assert snapshot.coauthored_works("JPN", "VNM", 2017) is None


def test_latest_honours_the_window(packaged: ReferenceSnapshot) -> None:
    # Lao PDR reports R&D spending only for 2002.
    assert packaged.latest(RD, "LAO") == (2002, 0.0371)
    assert packaged.latest(RD, "LAO", window=(2015, 2023)) is None
    assert packaged.latest(RD, "JPN", window=(2000, 2010)) == (2010, 3.10495)
    assert packaged.latest(RD, "JPN", window=(2023, 2023)) == (2023, 3.44125)
    with pytest.raises(ValueError, match="starts after it ends"):
        packaged.latest(RD, "JPN", window=(2020, 2015))


def test_coauthorship_lookup_is_symmetric(packaged: ReferenceSnapshot) -> None:
    for a in packaged.countries:
        for b in packaged.countries:
            if a != b:
                assert packaged.coauthored_works(a, b, 2020) == packaged.coauthored_works(
                    b, a, 2020
                )
    assert packaged.coauthored_works("vnm", "jpn", 2015) == 562


def test_coauthorship_total_sums_the_recorded_years(packaged: ReferenceSnapshot) -> None:
    expected = sum(packaged.coauthored_works("JPN", "VNM", y) or 0 for y in range(2015, 2024))

    assert packaged.coauthored_works_total("VNM", "JPN", range(2015, 2024)) == expected == 9031
    # Years outside the data (before 2000, after 2023) add nothing rather than failing.
    assert packaged.coauthored_works_total("JPN", "VNM", range(1990, 2000)) == 0


def test_snapshot_agrees_with_coverage_table(
    shared_data: Path, packaged: ReferenceSnapshot
) -> None:
    lines = (shared_data / "coverage.md").read_text(encoding="utf-8").splitlines()
    table = [[c.strip() for c in line.strip("|").split("|")] for line in lines if "|" in line]
    countries = table[0][1:]
    for code, *cells in table[2:]:
        if code not in packaged.indicators:
            continue  # listed there but not in the data (IT.NET.USER.ZS, GII.RANK)
        for iso3, cell in zip(countries, cells, strict=True):
            years = packaged.series(code, iso3)
            in_window = sum(1 for year in years if 2015 <= year <= 2023)
            assert cell == (f"{in_window}/{max(years)}" if years else "-"), (code, iso3)


# --- provenance -----------------------------------------------------------------------------------


def test_attribution_names_both_licences_and_commits(packaged: ReferenceSnapshot) -> None:
    lines = packaged.attribution_lines()

    assert len(lines) == 2
    wdi = next(line for line in lines if "World Bank" in line)
    openalex = next(line for line in lines if "OpenAlex" in line)
    assert "CC BY 4.0" in wdi
    assert WDI_COMMIT in wdi
    assert "CC0" in openalex
    assert OA_COMMIT in openalex


def test_source_of_gives_licence_per_indicator(packaged: ReferenceSnapshot) -> None:
    assert packaged.source_of(RD).licence == "CC-BY-4.0"
    assert packaged.source_of("OA.INTL.COAUTH.WORKS").licence == "CC0-1.0"
    assert packaged.source_of("coauthorship").licence == "CC0-1.0"
    assert packaged.indicator_name(RD) == "Research and development expenditure (% of GDP)"
    assert RD in packaged.indicator_codes()


# --- errors ---------------------------------------------------------------------------------------


def test_unknown_indicator_or_country_names_the_allowed_values(packaged: ReferenceSnapshot) -> None:
    with pytest.raises(KeyError, match=r"unknown indicator 'GB\.XPD'.*GB\.XPD\.RSDV\.GD\.ZS"):
        packaged.value("GB.XPD", "JPN", 2015)
    with pytest.raises(KeyError, match=r"unknown country 'FRA'.*JPN"):
        packaged.series(RD, "FRA")
    with pytest.raises(KeyError, match="unknown country 'USA'"):
        packaged.coauthored_works("JPN", "USA", 2020)


def test_non_numeric_value_names_file_line_and_column(tmp_path: Path) -> None:
    rd_name = "Research and development expenditure (% of GDP)"
    source = _write_sources(
        tmp_path,
        wdi=[["JPN", RD, rd_name, "2015", "3.2"], ["JPN", RD, rd_name, "2016", "n/a"]],
    )

    with pytest.raises(SnapshotBuildError) as caught:
        build_snapshot(source)

    message = str(caught.value)
    assert WDI_FILE in message
    assert "line 3" in message
    assert "'value'" in message
    assert (caught.value.line, caught.value.column) == (3, "value")


def test_missing_column_is_reported_on_the_header_line(tmp_path: Path) -> None:
    source = _write_sources(tmp_path)
    _write_csv(source / PAIRS_FILE, ["year", "country_a_iso3", "coauthored_works"], [])

    with pytest.raises(
        SnapshotBuildError,
        match=r"openalex_coauthorship_pairs\.csv, line 1, "
        r"column 'country_b_iso3'",
    ):
        build_snapshot(source)


def test_unknown_country_code_is_rejected(tmp_path: Path) -> None:
    source = _write_sources(tmp_path, pairs=[["2015", "JPN", "XXX", "5"]])

    with pytest.raises(SnapshotBuildError, match=r"line 2, column 'country_b_iso3'.*'XXX'"):
        build_snapshot(source)


def test_pair_given_both_ways_with_different_counts_stops_the_build(tmp_path: Path) -> None:
    agreeing = _write_sources(
        tmp_path, pairs=[["2015", "JPN", "VNM", "5"], ["2015", "VNM", "JPN", "5"]]
    )
    assert _build(agreeing).coauthored_works("JPN", "VNM", 2015) == 5

    source = _write_sources(
        tmp_path, pairs=[["2015", "JPN", "VNM", "5"], ["2015", "VNM", "JPN", "7"]]
    )
    with pytest.raises(SnapshotBuildError, match=r"line 3, column 'coauthored_works'.*contradicts"):
        build_snapshot(source)


def test_rows_that_disagree_on_provenance_stop_the_build(tmp_path: Path) -> None:
    source = _write_sources(tmp_path)
    other_commit = OA_PROVENANCE[1].replace(OA_COMMIT, "0" * 40)
    _write_csv(
        source / PAIRS_FILE,
        ["year", "country_a_iso3", "country_b_iso3", "coauthored_works", *PROVENANCE_HEADER],
        [["2015", "JPN", "VNM", "5", OA_PROVENANCE[0], other_commit, OA_PROVENANCE[2]]],
    )

    with pytest.raises(SnapshotBuildError, match=r"line 2, column 'source_path'.*commit"):
        build_snapshot(source)


def test_missing_input_file_is_named(tmp_path: Path) -> None:
    source = _write_sources(tmp_path)
    (source / TOTALS_FILE).unlink()

    with pytest.raises(SnapshotBuildError, match=re.escape(TOTALS_FILE)):
        build_snapshot(source)


def test_other_documents_are_refused() -> None:
    with pytest.raises(ValueError, match="nexus-reference-snapshot/1"):
        ReferenceSnapshot.from_json({"schema": "something-else"})
