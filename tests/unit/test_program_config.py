"""Program files: the NEXUS preset loads, and a bad file names the file, the field and the rule."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from nexus_sti.core.money import Money
from nexus_sti.programs.loader import ProgramFileError, load_preset, load_program_file

PRESET_TEXT = load_preset().text


def test_nexus_preset_matches_the_roundtable() -> None:
    config = load_preset().config
    assert config.total_budget == Money.of(100_000_000, "USD")
    assert [y.year for y in config.years] == [2026, 2027, 2028, 2029, 2030]
    assert len(config.program.countries) == 12
    assert len(config.program.priority_areas) == 7
    bilateral, regional = config.track("bilateral"), config.track("regional")
    assert (bilateral.min_member_states, bilateral.max_member_states) == (1, 1)
    assert regional.min_member_states == 2
    assert regional.max_member_states is None
    assert regional.min_industry_partners == 1
    assert config.track("mobility").kind == "mobility"
    assert sum(config.track_budget(t.code).amount for t in config.tracks) == Decimal(100_000_000)
    co_funders = [f for f in config.funders if f.role == "co_funder"]
    assert len(co_funders) == 11
    assert all(f.pays_for == (f.country,) for f in co_funders)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "rule"),
    [
        ('currency = "USD"', 'currency = "XYZ"', "program.currency", "allowed: BND"),
        ('total_budget = "100000000"', 'total_budget = "-5"', "program.total_budget", "greater"),
        ('"quantum"', '"space"', "program.priority_areas", "allowed: climate"),
        (
            "max_member_states = 1\nmin_industry_partners = 0",
            "max_member_states = 0\nmin_industry_partners = 0",
            "tracks[0]",
            "max_member_states must be at least",
        ),
        ('budget_share = "0.35"', 'budget_share = "0.30"', "(file)", "must add up to 1"),
        ('pays_for = ["THA"]', 'pays_for = ["THA", "JPN"]', "funders[9]", "own country"),
        (
            'short_name = "NEXUS"',
            'short_name = "NEXUS"\nshortname = "x"',
            "program.shortname",
            "unknown field",
        ),
        ("format_version = 1", "format_version = 2", "format_version", "format_version = 1"),
        ('name = "Excellence"', 'name = "Excellence', "(syntax)", "not valid TOML"),
        ("format_version = 1", "format_version = 1.0", "format_version", "format_version = 1"),
        (
            'weight = "1"\nthreshold = "3"',
            'weight = "1"\nthreshold = "3.3"',
            "review_criteria[0]",
            "not a score a reviewer can give",
        ),
        ('total_threshold = "12"', 'total_threshold = "99"', "(file)", "cannot be reached"),
        ('"VNM", "TLS"]', '"VNM", "TLS", "VNM"]', "program.countries", "more than once: VNM"),
        (
            'weight = "1"',
            'wieght = "1"',
            "review_criteria[0].weight",
            "review_criteria[0].wieght: unknown field",
        ),
    ],
)
def test_bad_file_names_file_field_and_rule(
    tmp_path: Path, old: str, new: str, field: str, rule: str
) -> None:
    assert old in PRESET_TEXT
    path = write(tmp_path, PRESET_TEXT.replace(old, new, 1))
    with pytest.raises(ProgramFileError) as caught:
        load_program_file(path)
    error = caught.value
    assert error.source == str(path)
    assert error.field == field
    assert rule in error.rule
    assert str(path) in error.message


def test_tracks_must_fit_the_program_countries(tmp_path: Path) -> None:
    """A program without Japan cannot have tracks that require it, and a track cannot ask for
    more member states than the program has."""
    no_japan = PRESET_TEXT.replace('countries = ["JPN", ', "countries = [", 1)
    with pytest.raises(ProgramFileError, match="pay for, countries outside program"):
        load_program_file(write(tmp_path, no_japan))
    without_tls = re.sub(
        r'\[\[funders\]\]\ncode = "cofunder-tls".*?pays_for = \["TLS"\]\n',
        "",
        PRESET_TEXT,
        flags=re.S,
    )
    without_tls = without_tls.replace(', "TLS"]', "]", 1)
    assert load_program_file(write(tmp_path, without_tls)).config.program.countries[-1] == "VNM"
    few = without_tls.replace("min_member_states = 2", "min_member_states = 11", 1)
    with pytest.raises(ProgramFileError, match="needs 11 member states; the program has 10"):
        load_program_file(write(tmp_path, few))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProgramFileError, match="no such file"):
        load_program_file(tmp_path / "nope.toml")


def test_another_program_is_just_another_file(tmp_path: Path) -> None:
    """Nothing is hard-wired to NEXUS: a smaller, EUR-free JPY program loads from its own file."""
    text = (
        PRESET_TEXT.replace('code = "nexus"', 'code = "mini"', 1)
        .replace('currency = "USD"', 'currency = "JPY"', 1)
        .replace('total_budget = "100000000"', 'total_budget = "500000000"', 1)
        .replace('cap = "22000000"', 'cap = "200000000"')
    )
    config = load_program_file(write(tmp_path, text)).config
    assert config.program.code == "mini"
    assert config.track_budget("regional") == Money.of(225_000_000, "JPY")
