"""The results cache: a re-run over unchanged files reads findings instead of re-parsing.

Layout, under the project root (the directory of the pyproject.toml the configuration came from,
else the current directory)::

    .keras_lint_cache/
        CACHEDIR.TAG          # backup tools skip the folder
        .gitignore            # "*": never committed
        <version>/<fingerprint>.json

One JSON file per *fingerprint*: the keras-lint version, a hash of keras-lint's own source (so
editing a rule during development invalidates it), the LibCST and Python versions, the enabled
rule codes, the target and the fix settings. Inside, one entry per file (its path relative to the
project root): a BLAKE2 hash of the file's bytes, the codes of the rules that ran on it (per-file
ignores narrow them) and its findings with their positions. An entry is used only when both
match. Files that could not be linted (syntax errors, internal errors) are not stored: they are
linted again next time and report the same error.

Only check mode uses the cache (``--fix`` and ``--diff`` always lint); ``--no-cache`` bypasses it.
Clear it by deleting the folder (``keras-lint --clean-cache`` does that). A cache that cannot be
read or written (read-only checkout, full disk, a corrupt or foreign file) never fails a run: it
is ignored, and the files are linted.

A cache entry decides that a file is clean, so only entries nobody else could have written are
trusted: the folders must be real directories (not links) owned by the user running keras-lint
and writable by nobody else (keras-lint creates them 0700, and takes group/other write access
away from its own older ones); the file must be a regular file (opened without following links,
so a link to /dev/zero or a FIFO is refused at once) owned by the user, writable by nobody else
and at most ``MAX_CACHE_BYTES``; every entry's fields must have the right types. A project root
that anyone may write to (``/tmp`` as the working directory) gets no cache at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from . import __version__

CACHE_DIR = ".keras_lint_cache"
FORMAT = 3  # 2: a notebook cell per finding; 3: a related location (KL101's consumer)
#: Larger cache files are ignored (real entries take up to ~2.4 KB: 256 MB is ~100,000 files).
MAX_CACHE_BYTES = 256 << 20
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by keras-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

_code_hash: Optional[str] = None


def code_hash() -> str:
    """A hash of keras-lint's own .py files (engine, rules, tables): any edit changes it."""
    global _code_hash
    if _code_hash is None:
        h = hashlib.blake2b(digest_size=16)
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            rel = path.relative_to(package).as_posix()
            if rel.startswith("harness/"):
                continue  # the runtime harness does not lint
            h.update(rel.encode())
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"?")
        _code_hash = h.hexdigest()
    return _code_hash


def _libcst_version() -> str:
    try:
        from importlib.metadata import version

        return version("libcst")
    except Exception:  # noqa: BLE001 - not installed as a distribution: still a stable key
        return "?"


def fingerprint(codes: Sequence[str], target: str, unsafe_fixes: bool) -> str:
    parts = [f"format={FORMAT}", f"version={__version__}", f"code={code_hash()}", f"libcst={_libcst_version()}",
             f"python={sys.version_info[0]}.{sys.version_info[1]}", f"target={target}",
             f"unsafe={unsafe_fixes}", "rules=" + ",".join(sorted(codes))]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def project_root(config_source: Optional[str]) -> str:
    """Where ``.keras_lint_cache`` lives: next to the pyproject.toml in use, else the cwd."""
    if config_source:
        return str(Path(config_source).resolve().parent)
    return os.getcwd()


def clean(root: str) -> bool:
    """Delete ``root/.keras_lint_cache``; True if there was one."""
    path = os.path.join(root, CACHE_DIR)
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


Entry = Dict[str, object]  # {"h": content hash, "r": "KL101,...", "d": [[line, col, end_line, end_col, code, msg, fix, cell], ...]}


class Cache:
    """The entries of one fingerprint. ``get``/``put`` by path; ``save`` writes once at the end."""

    def __init__(self, root: str, key: str) -> None:
        self.root = root
        self.dir = os.path.join(root, CACHE_DIR)
        self.file = os.path.join(self.dir, __version__, f"{key}.json")
        self.entries: Dict[str, Entry] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        if not (_trusted_dir(self.dir) and _trusted_dir(os.path.dirname(self.file))):
            return
        raw = _read_trusted(self.file)
        if raw is None:
            return
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return  # corrupt: start empty
        entries = data.get("files") if isinstance(data, dict) and data.get("format") == FORMAT else None
        if isinstance(entries, dict):
            self.entries = entries

    def _rel(self, path: str) -> str:
        try:
            return os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:  # another drive (Windows)
            return os.path.abspath(path)

    def get(self, path: str, digest: str, codes: str):
        """The cached diagnostics for ``path`` with this content and these rules, or None."""
        from .engine import Diagnostic

        entry = self.entries.get(self._rel(path))
        if not isinstance(entry, dict) or entry.get("h") != digest or entry.get("r") != codes:
            return None
        found = entry.get("d")
        if not isinstance(found, list) or not all(_valid_finding(d) for d in found):
            return None  # a damaged entry: lint the file again
        return [Diagnostic(path, d[0], d[1], d[2], d[3], d[4], d[5], d[6], cell=d[7],
                           related=tuple(d[8]) if len(d) > 8 else None) for d in found]

    def put(self, path: str, digest: str, codes: str, diagnostics) -> None:
        self.entries[self._rel(path)] = {
            "h": digest, "r": codes,
            "d": [[d.line, d.column, d.end_line, d.end_column, d.code, d.message, d.fix_safety, d.cell]
                  + ([list(d.related)] if d.related else []) for d in diagnostics],
        }
        self.dirty = True

    def save(self) -> None:
        """Write the entries (atomically); any failure is silently ignored."""
        if not self.dirty:
            return
        try:
            directory = os.path.dirname(self.file)
            if not (_prepare_dir(self.dir) and _make_private_dir(directory)):
                return
            data = json.dumps({"format": FORMAT, "files": self.entries}, separators=(",", ":")).encode()
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, 0o644 & ~_umask())  # never group/other-writable: that would not be trusted
                os.replace(tmp, self.file)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            self.dirty = False
        except (OSError, ValueError, TypeError):
            pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _valid_finding(d: object) -> bool:
    """[line, col, end_line, end_col, code, message, fix safety, notebook cell(, related location)]:
    exact types, sane numbers."""
    return (isinstance(d, list) and len(d) in (8, 9)
            and (len(d) == 8 or (isinstance(d[8], list) and len(d[8]) == 3 and isinstance(d[8][0], str)
                                 and type(d[8][1]) is int and isinstance(d[8][2], str)))
            and all(type(n) is int and 0 <= n < 1 << 31 for n in d[:4])
            and isinstance(d[4], str) and isinstance(d[5], str) and d[6] in (None, "safe", "unsafe")
            and (d[7] is None or (type(d[7]) is int and 0 <= d[7] < 1 << 31)))


def _owned_and_private(st: os.stat_result) -> bool:
    return (not hasattr(os, "geteuid") or st.st_uid == os.geteuid()) and not st.st_mode & 0o022


def _trusted_dir(path: str) -> bool:
    """A real directory (not a link) of ours that nobody else can write to. Our own directory
    that others may write to (an older keras-lint, a umask of 002) is made private first."""
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            return False
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return False
        if st.st_mode & 0o022:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o022)
        return True
    except OSError:
        return False


def _read_trusted(path: str) -> Optional[bytes]:
    """The file's bytes if it is a regular file of ours, writable by nobody else, not too large;
    links are not followed and a FIFO or device is refused without blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None  # missing, a link (ELOOP), unreadable
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _owned_and_private(st) or st.st_size > MAX_CACHE_BYTES:
            return None
        chunks, left = [], MAX_CACHE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return None if left <= 0 else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _make_private_dir(path: str) -> bool:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    return _trusted_dir(path)


def _prepare_dir(path: str) -> bool:
    if os.path.lexists(path):
        return _trusted_dir(path)
    if not _make_private_dir(path):
        return False
    for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# created by keras-lint\n*\n")):
        fd = os.open(os.path.join(path, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
    return True


def shared_place(root: str) -> bool:
    """A directory anyone may write to (``/tmp``): no cache there, others could forge it."""
    try:
        return bool(os.stat(root).st_mode & 0o002)
    except OSError:
        return True


def open_cache(root: str, codes: Sequence[str], target: str, unsafe_fixes: bool) -> Optional[Cache]:
    if shared_place(root):
        return None
    try:
        return Cache(root, fingerprint(codes, target, unsafe_fixes))
    except Exception:  # noqa: BLE001 - a cache must never stop a run
        return None


def run_cached(jobs: List, cache: Cache, run: Callable[[List], List]) -> List:
    """Outcomes for ``jobs`` (cli.Job, check mode) in order: cache hits without linting, the
    rest through ``run`` (the process pool), whose clean results are stored."""
    from .cli import Job, Outcome
    from .engine import FileResult, _prefiltered_out
    from .files import read
    from .analysis.project import digest_for as project_digest

    outcomes: List = [None] * len(jobs)
    todo: List[Tuple[int, object, str, str]] = []
    for i, job in enumerate(jobs):
        source, error = read(job.path)
        if error is not None or source is None:
            todo.append((i, job, "", ""))  # process() reports the error
            continue
        if _prefiltered_out(source, job.settings, job.path):  # cheaper than any lookup
            outcomes[i] = Outcome(FileResult(job.path))
            continue
        digest = content_hash(source)
        # per-file: the rules that run and the stack they assume can differ from file to file, and
        # findings also depend on what the rest of the project says about this file
        codes = (",".join(r.code for r in job.settings.rules) + "@" + job.settings.target
                 + project_digest(job.path, job.settings))
        hit = cache.get(job.path, digest, codes)
        if hit is not None:
            outcomes[i] = Outcome(FileResult(job.path, hit))
        else:  # the worker lints exactly the bytes that were hashed
            todo.append((i, Job(job.path, job.mode, job.settings, source=source), digest, codes))
    if todo:
        for (i, _, digest, codes), outcome in zip(todo, run([job for _, job, _, _ in todo])):
            outcomes[i] = outcome
            res = outcome.result
            if digest and res.error is None:
                cache.put(res.path, digest, codes, res.diagnostics)
        cache.save()
    return outcomes
