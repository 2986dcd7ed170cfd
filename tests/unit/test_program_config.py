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
    assert config.home_country == "JPN" and len(config.partner_countries) == 11
    assert (bilateral.min_partner_countries, bilateral.max_partner_countries) == (1, 1)
    assert regional.min_partner_countries == 2
    assert regional.max_partner_countries is None
    assert config.lead_place(bilateral) == "home"
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
            "max_partner_countries = 1\nmin_industry_partners = 0",
            "max_partner_countries = 0\nmin_industry_partners = 0",
            "tracks[0]",
            "max_partner_countries must be at least",
        ),
        ('lead_from = "home"', 'lead_from = ["FRA"]', "tracks[0].lead_from", "unknown country"),
        ('based_in = "partner"', 'based_in = "abroad"', "roles[1].based_in", 'write "home"'),
        ('home_country = "JPN"', 'home_country = "THA"', "(file)", "based in THA"),
        ('budget_share = "0.35"', 'budget_share = "0.30"', "(file)", "must add up to 1"),
        ('pays_for = ["THA"]', 'pays_for = ["THA", "JPN"]', "funders[9]", "own country"),
        (
            'short_name = "NEXUS"',
            'short_name = "NEXUS"\nshortname = "x"',
            "program.shortname",
            "unknown field",
        ),
        ("format_version = 2", "format_version = 3", "format_version", "format_version = 1 or 2"),
        ('name = "Excellence"', 'name = "Excellence', "(syntax)", "not valid TOML"),
        ("format_version = 2", "format_version = 2.0", "format_version", "format_version = 1 or 2"),
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
    """The home country must take part, and a track cannot ask for more partner countries than
    the program has."""
    no_home = PRESET_TEXT.replace('countries = ["JPN", ', "countries = [", 1)
    with pytest.raises(ProgramFileError, match="home_country 'JPN' is not one of the countries"):
        load_program_file(write(tmp_path, no_home))
    without_tls = re.sub(
        r'\[\[funders\]\]\ncode = "cofunder-tls".*?pays_for = \["TLS"\]\n',
        "",
        PRESET_TEXT,
        flags=re.S,
    )
    without_tls = without_tls.replace(', "TLS"]', "]", 1)
    assert load_program_file(write(tmp_path, without_tls)).config.program.countries[-1] == "VNM"
    few = without_tls.replace("min_partner_countries = 2", "min_partner_countries = 11", 1)
    with pytest.raises(ProgramFileError, match="needs 11 partner countries; the program has 10"):
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


EASIA_TEXT = load_preset("easia").text


def test_the_multilateral_preset_has_no_home_and_each_agency_pays_its_own() -> None:
    config = load_preset("easia").config
    assert config.home_country is None and config.implementing_agency is None
    assert config.partner_countries == config.program.countries
    assert all(f.role == "co_funder" and f.pays_for == (f.country,) for f in config.funders)
    joint = config.track("joint")
    assert joint.min_countries == 3 and config.lead_place(joint) == "any"
    assert {r.kind for r in config.roles} == {"lead", "country_lead", "member"}
    assert config.consortium_rule(joint) == "lead from any; 3+ countries"


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ('role = "co_funder"', 'role = "implementing_agency"', "needs a home country"),
        ('based_in = "any"', 'based_in = "home"', "names the home country"),
        ('countries = "any"', 'countries = ["FRA"]', "unknown country"),
        ("min_countries = 3", "min_countries = 10", "needs 10 countries; the program has 9"),
        ('kind = "country_lead"', 'kind = "lead"', "exactly one role of kind 'lead'"),
    ],
)
def test_a_multilateral_file_is_checked_against_its_own_shape(
    tmp_path: Path, old: str, new: str, rule: str
) -> None:
    assert old in EASIA_TEXT
    with pytest.raises(ProgramFileError, match=re.escape(rule)):
        load_program_file(write(tmp_path, EASIA_TEXT.replace(old, new, 1)))


def test_a_format_1_file_loads_with_the_rules_it_had() -> None:
    """Files (and stored versions) written before format 2 keep loading: the implementing
    agency's country becomes the home country, and the fixed roles and reviewer groups of
    format 1 are written out."""
    old = load_program_file(Path(__file__).parents[1] / "fixtures" / "program-format-1.toml")
    new = load_preset().config
    config = old.config
    assert config.home_country == new.home_country
    assert [r.code for r in config.roles] == [r.code for r in new.roles]
    assert [(g.code, g.minimum) for g in config.reviewer_groups] == [
        (g.code, g.minimum) for g in new.reviewer_groups
    ]
    for track in new.tracks:
        mine = config.track(track.code)
        assert config.consortium_rule(mine) == new.consortium_rule(track)
        assert mine.max_budget_per_project == track.max_budget_per_project


def test_the_documented_example_program_is_valid(tmp_path: Path) -> None:
    """docs/program-config.md says its example passes ``nexus program validate``."""
    doc = (Path(__file__).parents[2] / "docs" / "program-config.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(format_version = 2\n.*?)```", doc, flags=re.S)
    assert example is not None
    config = load_program_file(write(tmp_path, example.group(1))).config
    assert config.program.code == "twinning" and config.home_country == "SGP"
    assert config.place_countries(config.lead_place(config.track("twinning"))) == ("JPN", "SGP")
