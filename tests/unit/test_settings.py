from pathlib import Path

import pytest

from nexus_sti.core.errors import InvalidInput
from nexus_sti.platform.settings import load_settings


def test_defaults_put_sqlite_outside_the_source_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEXUS_DATA_DIR", raising=False)
    monkeypatch.delenv("NEXUS_DATABASE_URL", raising=False)
    settings = load_settings()
    repo = Path(__file__).resolve().parents[2]
    assert settings.effective_database_url.startswith("sqlite:///")
    assert not settings.data_dir.resolve().is_relative_to(repo)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXUS_PORT", "9001")
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'nexus.db'}"
    assert settings.port == 9001


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_MODE", "production")
    monkeypatch.delenv("NEXUS_SECRET_KEY", raising=False)
    with pytest.raises(InvalidInput, match="NEXUS_SECRET_KEY must be set") as caught:
        load_settings()
    assert caught.value.field == "NEXUS_SECRET_KEY"
    assert "Value error" not in caught.value.message
    monkeypatch.setenv("NEXUS_SECRET_KEY", "x" * 40)
    assert load_settings().mode == "production"


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_PORT", "not-a-port")
    with pytest.raises(InvalidInput) as caught:
        load_settings()
    assert caught.value.field == "NEXUS_PORT"


def test_settings_are_documented() -> None:
    """Every setting appears in docs/configuration.md, as datasette checks its settings."""
    from nexus_sti.platform.settings import Settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"NEXUS_{name.upper()}" in doc, f"NEXUS_{name.upper()} is not documented"
