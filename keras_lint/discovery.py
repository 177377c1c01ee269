"""Finding the files to lint: the paths given, directories walked, excludes and ignore files.

Ignore files follow git (matched by ``pathspec``'s gitignore implementation): ``.gitignore``
and ``.ignore`` in every directory from the repository root down (a deeper file and ``.ignore``
win), ``.git/info/exclude``, and git's global excludes file. Outside a git repository only the
ignore files inside the paths given count.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set

# Directories never worth linting (ruff's and flake8's usual list).
DEFAULT_EXCLUDES = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__", "build",
    "dist", "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".keras_lint_cache", "_build", "buck-out", ".ipynb_checkpoints", ".direnv", "__pypackages__",
})
# What a directory walk lints (as ruff does, notebooks included).
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Target:
    path: str
    error: Optional[str] = None  # why it cannot be linted (missing, broken link, ...)


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


# -- ignore files -----------------------------------------------------------------------------------

def _read_lines(path: str) -> Optional[List[str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return None


def _global_excludes_file() -> Optional[str]:
    """git's ``core.excludesFile`` (from ~/.gitconfig or the XDG config), else its default."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for config in (os.path.join(os.path.expanduser("~"), ".gitconfig"), os.path.join(xdg, "git", "config")):
        text = "\n".join(_read_lines(config) or [])
        match = re.search(r"^\s*excludesfile\s*=\s*(.+?)\s*$", text, re.M | re.I)
        if match:
            return os.path.expanduser(match.group(1).strip('"'))
    return os.path.join(xdg, "git", "ignore")


def _below(path: str, directory: str) -> str:
    """``path`` relative to its ancestor ``directory``, with ``/`` (both absolute and normalised:
    cheaper than os.path.relpath, which a walk would call thousands of times)."""
    rel = path[len(directory):].lstrip(os.sep)
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


class IgnoreFiles:
    """``ignored(path, is_dir)`` as git would decide it, with per-directory caching."""

    def __init__(self) -> None:
        import pathspec  # only runs that walk directories pay for it

        self._pathspec = pathspec
        self._specs: Dict[str, list] = {}  # directory -> [spec, ...] in precedence order
        self._roots: Dict[str, Optional[str]] = {}
        self._global = None
        global_file = _global_excludes_file()
        lines = _read_lines(global_file) if global_file else None
        if lines:
            self._global = pathspec.GitIgnoreSpec.from_lines(lines)

    def _git_root(self, directory: str) -> Optional[str]:
        if directory not in self._roots:
            parent = os.path.dirname(directory)
            if os.path.exists(os.path.join(directory, ".git")):
                self._roots[directory] = directory
            else:
                self._roots[directory] = None if parent == directory else self._git_root(parent)
        return self._roots[directory]

    def _dir_specs(self, directory: str) -> list:
        specs = self._specs.get(directory)
        if specs is None:
            specs = []
            names = [".ignore", ".gitignore"]
            if os.path.isdir(os.path.join(directory, ".git")):
                names.append(os.path.join(".git", "info", "exclude"))
            for name in names:
                lines = _read_lines(os.path.join(directory, name))
                if lines:
                    specs.append(self._pathspec.GitIgnoreSpec.from_lines(lines))
            self._specs[directory] = specs
        return specs

    def ignored(self, path: str, is_dir: bool, boundary: str) -> bool:
        """Ignored by an ignore file in a directory from ``path``'s parent up to the git root
        (outside a repository: up to ``boundary``, the path the walk started from)."""
        path = os.path.abspath(path)
        directory = os.path.dirname(path)
        top = self._git_root(directory) or os.path.abspath(boundary)
        suffix = "/" if is_dir else ""
        while True:
            specs = self._dir_specs(directory)
            if specs:
                rel = _below(path, directory) + suffix
                for spec in specs:
                    decision = spec.check_file(rel).include
                    if decision is not None:
                        return decision
            if directory == top or os.path.dirname(directory) == directory or not path.startswith(top):
                break
            directory = os.path.dirname(directory)
        if self._global is not None and self._git_root(os.path.dirname(path)):
            return bool(self._global.check_file(_below(path, top) + suffix).include)
        return False

    def ignored_with_parents(self, path: str, boundary: str) -> bool:
        """For a path named explicitly (``--force-exclude``): it, or a directory above it, is ignored."""
        path = os.path.abspath(path)
        if self.ignored(path, os.path.isdir(path), boundary):
            return True
        top = self._git_root(os.path.dirname(path))
        parent = os.path.dirname(path)
        while top and parent.startswith(top) and parent != top:
            if self.ignored(parent, True, boundary):
                return True
            parent = os.path.dirname(parent)
        return False


# -- walking --------------------------------------------------------------------------------------

def discover(paths: Iterable[str], is_excluded: Callable[[str], bool], force_exclude: bool = False,
             respects_gitignore: Callable[[str], bool] = lambda path: False) -> List[Target]:
    """Expand paths to .py, .pyi and .ipynb files, in a stable order, each file once.

    Files named explicitly are linted whatever their name (unless ``force_exclude`` and the
    configuration or an ignore file excludes them, as a pre-commit hook wants); directories are
    walked. ``respects_gitignore(path)``: whether that path's configuration wants ignore files."""
    seen: Set[str] = set()
    out: List[Target] = []
    ignore_files: List[IgnoreFiles] = []

    def ignores() -> IgnoreFiles:
        if not ignore_files:
            ignore_files.append(IgnoreFiles())
        return ignore_files[0]

    def add(target: Target) -> None:
        key = os.path.realpath(target.path) if target.error is None else target.path
        if key not in seen:
            seen.add(key)
            out.append(target)

    def forced_out(path: str) -> bool:
        if not force_exclude:
            return False
        if is_excluded(path):
            return True
        return respects_gitignore(path) and ignores().ignored_with_parents(path, os.path.dirname(os.path.abspath(path)))

    for path in paths:
        if os.path.islink(path) and not os.path.exists(path):
            add(Target(path, "broken symbolic link"))
        elif os.path.isdir(path):
            if forced_out(path):
                continue
            for found in _walk(path, is_excluded, respects_gitignore, ignores):
                add(found)
        elif os.path.exists(path):
            if forced_out(path):
                continue
            add(Target(path))
        else:
            add(Target(path, "no such file or directory"))
    return out


def _walk(root: str, is_excluded, respects_gitignore, ignores: Callable[[], IgnoreFiles]) -> Iterator[Target]:
    def onerror(exc: OSError) -> None:
        errors.append(Target(exc.filename or root, f"cannot list directory: {exc.strerror}"))

    def skip(path: str, is_dir: bool) -> bool:
        if is_excluded(path):
            return True
        return respects_gitignore(path) and ignores().ignored(path, is_dir, root)

    errors: List[Target] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in DEFAULT_EXCLUDES and not d.endswith(".egg-info")
            and not _is_virtualenv(os.path.join(dirpath, d)) and not skip(os.path.join(dirpath, d), True)
        )
        for name in sorted(filenames):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            full = os.path.normpath(os.path.join(dirpath, name))
            if skip(full, False):
                continue
            if os.path.islink(full) and not os.path.exists(full):
                yield Target(full, "broken symbolic link")
            elif os.path.isfile(full):
                yield Target(full)
        yield from errors
        errors.clear()
