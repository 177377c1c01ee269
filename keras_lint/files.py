"""Finding, reading and atomically writing the files to lint."""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Set, Tuple

# Directories never worth linting (ruff's and flake8's usual list).
DEFAULT_EXCLUDES = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__", "build",
    "dist", "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".keras_lint_cache", "_build", "buck-out", ".ipynb_checkpoints", ".direnv", "__pypackages__",
})


@dataclass(frozen=True)
class Target:
    path: str
    error: Optional[str] = None  # why it cannot be linted (missing, broken link, ...)


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def discover(paths: Iterable[str], is_excluded, force_exclude: bool = False) -> List[Target]:
    """Expand paths to .py files, in a stable order, each file once.

    Files named explicitly are linted whatever their name (unless ``force_exclude`` and the
    configuration excludes them, as a pre-commit hook wants); directories are walked."""
    seen: Set[str] = set()
    out: List[Target] = []

    def add(target: Target) -> None:
        key = os.path.realpath(target.path) if target.error is None else target.path
        if key not in seen:
            seen.add(key)
            out.append(target)

    for path in paths:
        if os.path.islink(path) and not os.path.exists(path):
            add(Target(path, "broken symbolic link"))
        elif os.path.isdir(path):
            if force_exclude and is_excluded(path):
                continue
            for found in _walk(path, is_excluded):
                add(found)
        elif os.path.exists(path):
            if force_exclude and is_excluded(path):
                continue
            add(Target(path))
        else:
            add(Target(path, "no such file or directory"))
    return out


def _walk(root: str, is_excluded) -> Iterator[Target]:
    def onerror(exc: OSError) -> None:
        errors.append(Target(exc.filename or root, f"cannot list directory: {exc.strerror}"))

    errors: List[Target] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in DEFAULT_EXCLUDES and not d.endswith(".egg-info")
            and not _is_virtualenv(os.path.join(dirpath, d)) and not is_excluded(os.path.join(dirpath, d))
        )
        for name in sorted(filenames):
            if not name.endswith((".py", ".pyi")):
                continue
            full = os.path.normpath(os.path.join(dirpath, name))
            if is_excluded(full):
                continue
            if os.path.islink(full) and not os.path.exists(full):
                yield Target(full, "broken symbolic link")
            elif os.path.isfile(full):
                yield Target(full)
        yield from errors
        errors.clear()


def read(path: str) -> Tuple[Optional[bytes], Optional[str]]:
    try:
        # O_NONBLOCK: a FIFO named x.py must not hang the run (it is refused below)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        return None, "is a directory"
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            return None, "is a directory"
        if not stat.S_ISREG(kind):
            return None, "not a regular file (a FIFO, socket or device?)"
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(), None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        if fd >= 0:
            os.close(fd)


class WriteError(Exception):
    pass


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data`` only if it still holds ``expected``; keep its mode.

    The new content goes to a temporary file in the same directory, then ``os.replace``: a
    reader sees the old file or the new one, never half of one."""
    current, error = read(path)
    if error is not None:
        raise WriteError(error)
    if current != expected:
        raise WriteError("file changed while keras-lint was running; not written")
    real = os.path.realpath(path)  # write through symlinks, keep the link
    directory = os.path.dirname(real) or "."
    mode = stat.S_IMODE(os.stat(real).st_mode)
    # by mode bits, not os.access: root may write anything, but a read-only file says "don't"
    if not mode & 0o222 or not os.access(directory, os.W_OK):
        raise WriteError("file is read-only; not written")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".keras-lint-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        _keep_owner(tmp, real)
        os.replace(tmp, real)
    except BaseException as exc:  # Ctrl-C too: never leave the temporary file behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write: {exc.strerror or exc}") from None
        raise


def _keep_owner(tmp: str, real: str) -> None:
    """root fixing someone else's file must not hand it to root."""
    st = os.stat(real)
    if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
