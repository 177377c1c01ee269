"""Configuration: ``[tool.keras-lint]`` in the nearest pyproject.toml, overridden by flags."""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

TARGETS = ("keras3", "tf-keras")
KEYS = {"select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "target"}


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Tuple[str, ...] = ()
    target: str = "keras3"
    root: str = field(default_factory=os.getcwd)  # per-file-ignores and excludes are relative to it
    source: Optional[str] = None  # the pyproject.toml it came from

    def ignored_for(self, path: str) -> Tuple[str, ...]:
        """Codes ignored for ``path`` by per-file-ignores (globs match the path relative to the
        config's directory, or the file name)."""
        rel = _relative(path, self.root)
        out: List[str] = []
        for pattern, codes in self.per_file_ignores:
            if _glob_match(rel, pattern):
                out.extend(codes)
        return tuple(out)

    def is_excluded(self, path: str) -> bool:
        rel = _relative(path, self.root)
        return any(_glob_match(rel, pattern) for pattern in self.exclude)


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(os.path.basename(rel), pattern):
        return True
    # a directory pattern excludes everything below it
    parts = rel.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts)))


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.keras-lint] table, searching upwards."""
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "keras-lint" in data.get("tool", {}):
                return candidate
    return None


def _codes(value: object, key: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.keras-lint] {key} must be a list of rule codes")
    return tuple(v.strip().upper() for v in value)


def load(pyproject: Optional[Path]) -> Config:
    if pyproject is None:
        return Config()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None
    table = data.get("tool", {}).get("keras-lint", {})
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{pyproject}: unknown [tool.keras-lint] keys: {', '.join(sorted(unknown))}")
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{pyproject}: per-file-ignores must be a table of glob = [codes]")
    target = table.get("target", "keras3")
    if target not in TARGETS:
        raise ConfigError(f"{pyproject}: target must be one of {', '.join(TARGETS)}")
    return Config(
        select=_codes(table["select"], "select") if "select" in table else None,
        ignore=_codes(table.get("ignore", []), "ignore"),
        extend_select=_codes(table.get("extend-select", []), "extend-select"),
        per_file_ignores=tuple((k, _codes(v, "per-file-ignores")) for k, v in pfi.items()),
        exclude=tuple(table.get("exclude", [])) + tuple(table.get("extend-exclude", [])),
        target=target,
        root=str(pyproject.parent.resolve()),
        source=str(pyproject),
    )


def override(config: Config, **flags: object) -> Config:
    """Command-line flags win over the file (``None`` means: not given)."""
    changes = {k: v for k, v in flags.items() if v is not None}
    if "select" in changes and "ignore" not in changes:
        changes["ignore"] = ()  # a --select on the command line replaces the file's selection whole
    if "exclude" in changes:
        changes["exclude"] = tuple(config.exclude) + tuple(changes["exclude"])  # type: ignore[arg-type]
    return replace(config, **changes)  # type: ignore[arg-type]


def split_codes(values: Optional[Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """``--select KL4,KL101 --select KL2`` -> ("KL4", "KL101", "KL2")."""
    if values is None:
        return None
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())
