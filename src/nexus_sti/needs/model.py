"""The needs-index configuration: which indicators, in which dimensions, with which weights,
goalposts and data policy. Human-edited TOML; the default is ``presets/index.toml``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nexus_sti.core.areas import AREA_CODES
from nexus_sti.core.configfile import ConfigFileError, parse_toml, validate_model
from nexus_sti.core.countries import is_country


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorConfig(_Frozen):
    code: str = Field(min_length=2)
    label: str = Field(min_length=1)
    dimension: str = Field(min_length=1)
    lower: float
    upper: float
    direction: int = Field(1, description="1: more is more capacity; -1: more is less")
    weight: float = Field(1.0, gt=0)
    per_million: bool = False
    last_year: int | None = Field(
        None,
        description="Ignore values after this year (e.g. counts still growing when collected).",
    )
    coauthored_with: str | None = Field(
        None,
        description="Derived: the share of a country's international works co-authored with "
        "this country (not applicable to that country itself).",
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.direction not in (1, -1):
            raise ValueError("direction must be 1 or -1")
        if self.upper <= self.lower:
            raise ValueError("upper must be greater than lower")
        if self.coauthored_with is not None and not is_country(self.coauthored_with):
            raise ValueError(f"coauthored_with: unknown country {self.coauthored_with!r}")
        return self


def _check_dimensions(
    dimensions: dict[str, float], indicators: tuple[IndicatorConfig, ...]
) -> None:
    used = {i.dimension for i in indicators}
    if unknown := used - set(dimensions):
        raise ValueError(f"indicators use dimensions with no weight: {sorted(unknown)}")
    if unused := set(dimensions) - used:
        raise ValueError(f"dimensions without indicators: {sorted(unused)}")
    if any(w <= 0 for w in dimensions.values()):
        raise ValueError("dimension weights must be positive")
    codes = [i.code for i in indicators]
    if len(codes) != len(set(codes)):
        raise ValueError(f"indicator codes must be unique, got {codes}")


class AreaIndexConfig(_Frozen):
    area: str
    dimensions: dict[str, float]
    indicators: tuple[IndicatorConfig, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.area not in AREA_CODES:
            raise ValueError(
                f"unknown priority area {self.area!r}; allowed: {', '.join(AREA_CODES)}"
            )
        _check_dimensions(self.dimensions, self.indicators)
        return self


class IndexConfig(_Frozen):
    format_version: int
    window: tuple[int, int]
    min_coverage: float = Field(ge=0, le=1)
    draws: int = Field(ge=100, le=200_000)
    sensitivity_draws: int = Field(ge=10, le=100_000)
    seed: int
    imputation_spread: float = Field(ge=0, le=1)
    weight_concentration: float = Field(gt=0)
    dimensions: dict[str, float]
    indicators: tuple[IndicatorConfig, ...] = Field(min_length=1)
    areas: tuple[AreaIndexConfig, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.window[0] > self.window[1]:
            raise ValueError("window must be [first year, last year] with first <= last")
        _check_dimensions(self.dimensions, self.indicators)
        return self


@dataclass(frozen=True, slots=True)
class LoadedIndexConfig:
    config: IndexConfig
    source: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def parse_index_config(text: str, *, source: str) -> LoadedIndexConfig:
    raw = parse_toml(text, source=source, format_version=1)
    return LoadedIndexConfig(validate_model(IndexConfig, raw, source=source), source, text)


def load_index_config(path: Path | None = None) -> LoadedIndexConfig:
    """The index configuration in ``path``, or the built-in default."""
    if path is None:
        text = resources.files("nexus_sti.needs.presets").joinpath("index.toml").read_text("utf-8")
        return parse_index_config(text, source="preset:index")
    try:
        return parse_index_config(path.read_text(encoding="utf-8"), source=str(path))
    except FileNotFoundError:
        raise ConfigFileError(str(path), "(file)", "no such file") from None
