"""Reading program files: TOML text in, a validated :class:`ProgramConfig` out, or an error that
names the file, the field and what is allowed."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from nexus_sti.core.errors import InvalidInput
from nexus_sti.programs.model import ProgramConfig

PRESETS = ("nexus",)


class ProgramFileError(InvalidInput):
    """A program file that cannot be read or breaks a rule."""

    def __init__(self, source: str, field: str, rule: str) -> None:
        super().__init__(field, rule, f"{source}: {field}: {rule}", file=source)
        self.source = source


@dataclass(frozen=True, slots=True)
class LoadedProgram:
    config: ProgramConfig
    source: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif not item.startswith("function-"):
            parts.append(item)
    return ".".join(parts) or "(file)"


def _rule(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against docs/program-config.md)"
    if kind == "missing":
        return "required field is missing"
    return message.removeprefix("Value error, ")


def parse_program(text: str, *, source: str) -> LoadedProgram:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramFileError(source, "(syntax)", f"not valid TOML: {exc}") from None
    version = raw.get("format_version")
    if type(version) is not int or version != 1:
        raise ProgramFileError(
            source, "format_version", f"this platform reads format_version = 1, found {version!r}"
        )
    try:
        config = ProgramConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            (_field_path(tuple(e["loc"])), _rule(e["type"], str(e["msg"]))) for e in exc.errors()
        ]
        field, rule = problems[0]
        if len(problems) > 1:
            # A misspelt field shows up as both "missing" and "unknown": list every problem.
            rule += "; also " + "; ".join(f"{f}: {r}" for f, r in problems[1:6])
        raise ProgramFileError(source, field, rule) from None
    return LoadedProgram(config=config, source=source, text=text)


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
