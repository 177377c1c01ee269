"""Which configuration applies to which file: ruff's hierarchical model.

Each file takes its settings from the nearest ``pyproject.toml`` with a ``[tool.keras-lint]``
table among its ancestors (whole: nearer tables are not merged with farther ones), then the
command line on top. ``--config PATH`` uses that one file for every path; ``--isolated`` no file.
A file with no configuration above it gets the defaults.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, Optional, Tuple

from . import config as config_mod
from .config import Config, ConfigError


@dataclass(frozen=True)
class Overrides:
    """The command line's part, applied on top of every file's configuration (``None``: not given)."""

    inline: Tuple[Dict[str, object], ...] = ()  # --config KEY=VALUE, validated, in order
    select: Optional[Tuple[str, ...]] = None
    ignore: Tuple[str, ...] = ()  # --ignore and --extend-ignore add to the file's
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: config_mod.PerFileIgnores = ()
    exclude: Optional[Tuple[str, ...]] = None  # replaces the file's ``exclude``
    extend_exclude: Tuple[str, ...] = ()
    target: Optional[str] = None
    respect_gitignore: Optional[bool] = None

    def apply(self, cfg: Config) -> Config:
        for values in self.inline:
            cfg = config_mod.from_values(values, cfg.root, cfg.source, base=cfg)
        changes: Dict[str, object] = {}
        if self.select is not None:  # as ruff: a --select replaces the file's select and ignore
            changes.update(select=self.select, ignore=())
        if self.ignore:
            changes["ignore"] = tuple(changes.get("ignore", cfg.ignore)) + self.ignore  # type: ignore[arg-type]
        changes["extend_select"] = cfg.extend_select + self.extend_select
        changes["per_file_ignores"] = cfg.per_file_ignores + self.per_file_ignores
        if self.exclude is not None:
            changes["exclude"] = self.exclude
        changes["extend_exclude"] = cfg.extend_exclude + self.extend_exclude
        if self.target is not None:
            changes["target"] = self.target
        if self.respect_gitignore is not None:
            changes["respect_gitignore"] = self.respect_gitignore
        return replace(cfg, **changes)  # type: ignore[arg-type]


class Resolver:
    """``config_for(path)``: the effective configuration of a file or directory, cached per directory."""

    def __init__(self, overrides: Overrides = Overrides(), config_file: Optional[Path] = None,
                 isolated: bool = False) -> None:
        self.overrides = overrides
        self._fixed: Optional[Config] = None
        if isolated:
            self._fixed = overrides.apply(Config())
        elif config_file is not None:
            if not config_file.is_file():
                raise ConfigError(f"--config {str(config_file)!r}: no such file")
            self._fixed = overrides.apply(config_mod.load(config_file))
        self._by_dir: Dict[str, Config] = {}
        self._loaded: Dict[Optional[str], Config] = {}

    def _from_file(self, pyproject: Optional[Path]) -> Config:
        key = str(pyproject) if pyproject else None
        if key not in self._loaded:
            self._loaded[key] = self.overrides.apply(config_mod.load(pyproject))
        return self._loaded[key]

    def config_for_dir(self, directory: str) -> Config:
        if self._fixed is not None:
            return self._fixed
        directory = os.path.abspath(directory)
        found = self._by_dir.get(directory)
        if found is None:
            candidate = os.path.join(directory, "pyproject.toml")
            table = None
            if os.path.isfile(candidate):
                table = config_mod.keras_lint_table(config_mod.read_toml(Path(candidate)), candidate)
            parent = os.path.dirname(directory)
            if table is not None:
                found = self._from_file(Path(candidate))
            elif parent == directory:
                found = self._from_file(None)
            else:
                found = self.config_for_dir(parent)
            self._by_dir[directory] = found
        return found

    def config_for(self, path: str) -> Config:
        """A file's configuration: that of its directory. (A directory being walked is judged,
        for exclusion, by its parent's configuration too: ``exclude = ["sub"]`` in a parent
        excludes ``sub/`` even if ``sub/`` has a configuration of its own.)"""
        return self.config_for_dir(os.path.dirname(os.path.abspath(path)))

    def is_excluded(self, path: str) -> bool:
        return self.config_for(path).is_excluded(path)

    def project_config(self) -> Config:
        """The configuration of the current directory: where the cache lives."""
        return self.config_for_dir(os.getcwd())


# -- from a configuration to the rules that run on a file -------------------------------------------

_CHOSEN: dict = {}


def rules_for(cfg: Config) -> list:
    """The rules ``cfg`` enables (before per-file-ignores). Raises registry.UnknownSelector for a
    bad command-line selector (the file's are validated when it is read). Remembered per
    selection: a warm run over 3,000 files asked 3,000 times (0.1 s)."""
    from .registry import enabled_rules  # the rules import LibCST: only when a run needs them

    key = (None if cfg.select is None else tuple(cfg.select), tuple(cfg.ignore), tuple(cfg.extend_select), cfg.target,
           enabled_rules)  # (tests replace the registry's function)
    found = _CHOSEN.get(key)
    if found is None:
        found = _CHOSEN[key] = enabled_rules(cfg.select, cfg.ignore, cfg.extend_select, cfg.target)
    return list(found)


def file_rules(path: str, cfg: Config) -> list:
    """The rules to run on ``path``: ``cfg``'s, less its per-file-ignores for that path."""
    ignored = cfg.ignored_for(path)
    return [r for r in rules_for(cfg) if not (ignored and r.code.startswith(ignored))]
