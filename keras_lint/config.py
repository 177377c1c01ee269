"""One configuration: ``[tool.keras-lint]`` of one pyproject.toml (or ``--config KEY=VALUE``),
validated key by key, plus the command-line flags that override it.

Which file configures which source file (ruff's hierarchical model) is ``settings.py``'s job.
This module imports neither LibCST nor the rules (the flake8 plugin loads it at start-up): rule
codes are checked against the generated ``catalog``.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .catalog import is_known_selector

from . import TARGETS
TABLE = "[tool.keras-lint]"

# key -> what its value must be (the words the error message uses)
CODES, GLOBS, PER_FILE, TARGET, BOOL = (
    "a list of rule codes", "a list of glob strings", "a table of glob = [rule codes]",
    f"one of {', '.join(repr(t) for t in TARGETS)}", "true or false")
SCHEMA: Dict[str, str] = {
    "select": CODES, "ignore": CODES, "extend-select": CODES, "extend-ignore": CODES,
    "per-file-ignores": PER_FILE, "extend-per-file-ignores": PER_FILE,
    "exclude": GLOBS, "extend-exclude": GLOBS,
    "target": TARGET, "respect-gitignore": BOOL,
}


class ConfigError(ValueError):
    """One line: which file (or option), which key, what is wrong."""


PerFileIgnores = Tuple[Tuple[str, Tuple[str, ...]], ...]


@dataclass(frozen=True)
class Config:
    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: PerFileIgnores = ()
    exclude: Tuple[str, ...] = ()
    extend_exclude: Tuple[str, ...] = ()
    target: str = "keras3"
    respect_gitignore: bool = True
    root: str = field(default_factory=os.getcwd)  # relative globs are relative to it
    source: Optional[str] = None  # the pyproject.toml it came from

    def ignored_for(self, path: str) -> Tuple[str, ...]:
        """Codes ignored for ``path`` by per-file-ignores (a glob matches the path relative to
        the config's directory, or the file name; an absolute glob, from the command line, the
        absolute path)."""
        out: List[str] = []
        for pattern, codes in self.per_file_ignores:
            if _matches(path, self.root, pattern):
                out.extend(codes)
        return tuple(out)

    def is_excluded(self, path: str) -> bool:
        return any(_matches(path, self.root, pattern) for pattern in self.exclude + self.extend_exclude)

    def as_dict(self) -> Dict[str, object]:
        """The resolved settings, for ``--show-settings``."""
        return {
            "source": self.source, "root": self.root, "target": self.target,
            "select": list(self.select) if self.select is not None else None,
            "ignore": list(self.ignore), "extend-select": list(self.extend_select),
            "per-file-ignores": {p: list(c) for p, c in self.per_file_ignores},
            "exclude": list(self.exclude), "extend-exclude": list(self.extend_exclude),
            "respect-gitignore": self.respect_gitignore,
        }


def _matches(path: str, root: str, pattern: str) -> bool:
    absolute = os.path.abspath(path)
    if os.path.isabs(pattern):
        return _glob_match(absolute.replace(os.sep, "/"), pattern.replace(os.sep, "/"))
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        rel = path
    return _glob_match(rel.replace(os.sep, "/"), pattern)


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(os.path.basename(rel), pattern):
        return True
    # a directory pattern excludes everything below it
    parts = rel.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts)))


# -- reading and validating -----------------------------------------------------------------------

def read_toml(path: Path) -> dict:
    """The parsed file, or ConfigError naming it and saying why (syntax, duplicate key, UTF-8)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def keras_lint_table(data: dict, where: str) -> Optional[dict]:
    """``[tool.keras-lint]`` of a parsed pyproject.toml, None if absent; wrong shapes are errors."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{where}: [tool]: expected a table, got {_describe(tool)}")
    table = tool.get("keras-lint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {TABLE}: expected a table, got {_describe(table)}")
    return table


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "an array of tables"
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _bad(where: str, key: str, value: object) -> ConfigError:
    return ConfigError(f"{where}: {TABLE} {key}: expected {SCHEMA[key]}, got {_describe(value)}")


def _strings(where: str, key: str, value: object) -> Tuple[str, ...]:
    # a bare string is an error, not a list of its characters (exclude = "sub")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(where, key, value)
    return tuple(value)


def _codes(where: str, key: str, value: object) -> Tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in _strings(where, key, value))
    for code in codes:
        if not is_known_selector(code):
            raise ConfigError(f"{where}: {TABLE} {key}: unknown rule code or prefix {code!r}")
    return codes


def _per_file(where: str, key: str, value: object) -> PerFileIgnores:
    if not isinstance(value, dict):
        raise _bad(where, key, value)
    return tuple((glob, _codes(where, key, codes)) for glob, codes in value.items())


def validate(table: dict, where: str) -> Dict[str, object]:
    """Every key checked against SCHEMA; returns the values under Config's field names."""
    out: Dict[str, object] = {}
    for key, value in table.items():
        kind = SCHEMA.get(key)
        if kind is None:
            raise ConfigError(f"{where}: {TABLE} unknown key {key!r} (known keys: {', '.join(SCHEMA)})")
        if kind is CODES:
            out[key] = _codes(where, key, value)
        elif kind is GLOBS:
            out[key] = _strings(where, key, value)
        elif kind is PER_FILE:
            out[key] = _per_file(where, key, value)
        elif kind is TARGET:
            if value not in TARGETS:
                raise _bad(where, key, value)
            out[key] = value
        elif kind is BOOL:
            if not isinstance(value, bool):
                raise _bad(where, key, value)
            out[key] = value
    return out


def from_values(values: Dict[str, object], root: str, source: Optional[str], base: Optional[Config] = None) -> Config:
    """A Config from validated values (``base``: what they override, for ``--config KEY=VALUE``)."""
    cfg = base or Config(root=root, source=source)
    changes: Dict[str, object] = {}
    if "select" in values:
        changes["select"] = values["select"]
    if "ignore" in values or "extend-ignore" in values:
        changes["ignore"] = tuple(values.get("ignore", cfg.ignore)) + tuple(values.get("extend-ignore", ()))
    if "extend-select" in values:
        changes["extend_select"] = cfg.extend_select + tuple(values["extend-select"])  # type: ignore[operator]
    if "per-file-ignores" in values or "extend-per-file-ignores" in values:
        changes["per_file_ignores"] = (tuple(values.get("per-file-ignores", cfg.per_file_ignores))
                                       + tuple(values.get("extend-per-file-ignores", ())))
    if "exclude" in values:
        changes["exclude"] = values["exclude"]
    if "extend-exclude" in values:
        changes["extend_exclude"] = cfg.extend_exclude + tuple(values["extend-exclude"])  # type: ignore[operator]
    for key in ("target", "respect-gitignore"):
        if key in values:
            changes[key.replace("-", "_")] = values[key]
    return replace(cfg, **changes)  # type: ignore[arg-type]


def load(pyproject: Optional[Path]) -> Config:
    """The configuration of one file (``None``: the defaults). A pyproject.toml without the
    table gives the defaults rooted at its directory."""
    if pyproject is None:
        return Config()
    table = keras_lint_table(read_toml(pyproject), str(pyproject)) or {}
    return from_values(validate(table, str(pyproject)), str(pyproject.parent.resolve()), str(pyproject))


def parse_inline(option: str) -> Dict[str, object]:
    """``--config "target = 'tf-keras'"``: one TOML ``KEY = VALUE``, validated like the file."""
    try:
        data = tomllib.loads(option)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {option!r}: neither a file nor a TOML `KEY = VALUE` ({exc})") from None
    return validate(data, f"--config {option!r}")


def split_codes(values: Optional[Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """``--select KL4,KL101 --select KL2`` -> ("KL4", "KL101", "KL2")."""
    if values is None:
        return None
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def parse_per_file_ignores(values: Sequence[str], cwd: str) -> PerFileIgnores:
    """``--per-file-ignores "tests/*.py:KL101,KL102"`` (flake8's form; repeatable). A glob with a
    ``/`` is relative to the current directory, one without matches file names anywhere."""
    out = []
    for value in values:
        glob, sep, codes = value.rpartition(":")
        if not sep or not glob or not codes.strip():
            raise ConfigError(f"--per-file-ignores {value!r}: expected GLOB:CODES, e.g. 'tests/*.py:KL101'")
        if "/" in glob and not os.path.isabs(glob):
            glob = os.path.join(cwd, glob)
        out.append((glob, _codes(f"--per-file-ignores {value!r}", "per-file-ignores",
                                 [c for c in codes.split(",") if c.strip()])))
    return tuple(out)


def anchor_globs(values: Sequence[str], cwd: str) -> Tuple[str, ...]:
    """Command-line excludes: a glob with a ``/`` is relative to the current directory."""
    return tuple(os.path.join(cwd, g) if "/" in g.rstrip("/") and not os.path.isabs(g) else g for g in values)
