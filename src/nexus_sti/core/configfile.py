"""Reading human-edited TOML configuration into a validated pydantic model, with errors that
name the file, the field and what is allowed."""

from __future__ import annotations

import tomllib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nexus_sti.core.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(InvalidInput):
    """A configuration file that cannot be read or breaks a rule."""

    def __init__(self, source: str, field: str, rule: str) -> None:
        super().__init__(field, rule, f"{source}: {field}: {rule}", file=source)
        self.source = source


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("tracks", 0, "code")`` -> ``tracks[0].code``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif not item.startswith("function-"):
            parts.append(item)
    return ".".join(parts) or "(file)"


def _rule(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against the documentation)"
    if kind == "missing":
        return "required field is missing"
    return message.removeprefix("Value error, ")


def parse_toml(text: str, *, source: str, format_version: int | tuple[int, ...]) -> dict[str, Any]:
    """The TOML's data; ``format_version`` is the version (or versions) this reader accepts."""
    accepted = (format_version,) if isinstance(format_version, int) else format_version
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(source, "(syntax)", f"not valid TOML: {exc}") from None
    version = raw.get("format_version")
    if type(version) is not int or version not in accepted:
        readable = " or ".join(str(v) for v in accepted)
        raise ConfigFileError(
            source,
            "format_version",
            f"this platform reads format_version = {readable}, found {version!r}",
        )
    return raw


def validate_model(model: type[M], raw: dict[str, Any], *, source: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            (field_path(tuple(e["loc"])), _rule(e["type"], str(e["msg"]))) for e in exc.errors()
        ]
        field, rule = problems[0]
        if len(problems) > 1:
            # A misspelt field shows up as both "missing" and "unknown": list every problem.
            rule += "; also " + "; ".join(f"{f}: {r}" for f, r in problems[1:6])
        raise ConfigFileError(source, field, rule) from None
