"""Settings from ``[tool.migrate]`` in the nearest pyproject.toml; the CLI's flags win.

Recognised keys (all optional)::

    [tool.migrate]
    select = ["ALL"]            # rule ids or prefixes
    ignore = ["unmapped"]
    exclude = ["legacy/", "*_pb2.py"]   # gitignore syntax, relative to this file
    respect-gitignore = true
    jobs = 2
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    jobs: int | None = None
    source: Path | None = None  # the pyproject.toml they came from
    base: Path = field(default_factory=Path.cwd)  # what `exclude` patterns are relative to


_LISTS = {"select", "ignore", "exclude"}


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(start: Path) -> Settings:
    """Settings for a run started at ``start`` (a file or directory)."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        return Settings()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{pyproject}: not valid TOML: {error}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):  # `tool = 1` crashed with AttributeError
        raise ConfigError(f"{pyproject}: [tool] must be a table")
    table = tool.get("migrate")
    if table is None:
        return Settings(base=pyproject.parent)
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.migrate] must be a table")
    values: dict = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if key in _LISTS:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{pyproject}: [tool.migrate] {key} must be a list of strings")
            values[name] = tuple(value)
        elif key == "respect-gitignore":
            if not isinstance(value, bool):
                raise ConfigError(f"{pyproject}: [tool.migrate] {key} must be true or false")
            values[name] = value
        elif key == "jobs":
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ConfigError(f"{pyproject}: [tool.migrate] jobs must be a positive integer")
            values[name] = value
        else:
            known = ", ".join(sorted(_LISTS | {"respect-gitignore", "jobs"}))
            raise ConfigError(f"{pyproject}: unknown key [tool.migrate] {key} (known: {known})")
    return Settings(**values, source=pyproject, base=pyproject.parent)
