"""Reading program files: TOML text in, a validated :class:`ProgramConfig` out, or an error that
names the file, the field and what is allowed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from nexus_sti.core.configfile import ConfigFileError, parse_toml, validate_model
from nexus_sti.programs.model import FORMAT_VERSION, ProgramConfig
from nexus_sti.programs.upgrade import upgrade_format_1

PRESETS = ("nexus", "easia")


class ProgramFileError(ConfigFileError):
    """A program file that cannot be read or breaks a rule."""


@dataclass(frozen=True, slots=True)
class LoadedProgram:
    config: ProgramConfig
    source: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def parse_program(text: str, *, source: str) -> LoadedProgram:
    try:
        raw = parse_toml(text, source=source, format_version=(1, FORMAT_VERSION))
        if raw["format_version"] == 1:
            raw = upgrade_format_1(raw)
        config = validate_model(ProgramConfig, raw, source=source)
    except ConfigFileError as exc:
        raise ProgramFileError(exc.source, exc.field, exc.rule) from None
    return LoadedProgram(config=config, source=source, text=text)


@lru_cache(maxsize=32)
def stored_program(text: str, source: str) -> ProgramConfig:
    """The configuration of a stored program version, parsed once per process.

    Stored versions never change, and eligibility checks read them on every save, check and
    submit: parsing the TOML again each time cost about 3 ms a request. Callers must treat the
    returned model as read-only (it is shared)."""
    return parse_program(text, source=source).config


def load_program_file(path: Path) -> LoadedProgram:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgramFileError(str(path), "(file)", "no such file") from None
    except UnicodeDecodeError:
        raise ProgramFileError(str(path), "(file)", "must be UTF-8 text") from None
    return parse_program(text, source=str(path))


def load_preset(name: str = "nexus") -> LoadedProgram:
    if name not in PRESETS:
        raise ProgramFileError(name, "(preset)", f"unknown preset; presets: {', '.join(PRESETS)}")
    text = resources.files("nexus_sti.programs.presets").joinpath(f"{name}.toml").read_text("utf-8")
    return parse_program(text, source=f"preset:{name}")
