"""Reading and atomically writing the files to lint (finding them: ``discovery.py``)."""
from __future__ import annotations

import os
import stat
import tempfile
import time
from typing import Optional, Tuple


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


TEMP_PREFIX, TEMP_SUFFIX = ".keras-lint-", ".tmp"
#: A temporary file older than this whose writer is gone was left by a killed run (SIGKILL
#: cannot be caught): the next write into that directory removes it.
STALE_TEMP_S = 60


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path`` with ``data`` only if it still holds ``expected``; keep its mode.

    The new content goes to a temporary file in the same directory, then ``os.replace``: a
    reader sees the old file or the new one, never half of one. Just before the rename the file
    is checked again (same inode, same bytes), so an editor's save that landed while the new
    content was written is not overwritten. What remains is the microseconds between that check
    and the rename: POSIX has no compare-and-rename."""
    current, error, identity = _read_with_identity(path)
    if error is not None:
        raise WriteError(error)
    if current != expected:
        raise WriteError(_CHANGED)
    real = os.path.realpath(path)  # write through symlinks, keep the link
    directory = os.path.dirname(real) or "."
    mode = stat.S_IMODE(os.stat(real).st_mode)
    # by mode bits, not os.access: root may write anything, but a read-only file says "don't"
    if not mode & 0o222 or not os.access(directory, os.W_OK):
        raise WriteError("file is read-only; not written")
    remove_stale_temp_files(directory)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise WriteError(f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        _keep_owner(tmp, real)
        again, error, identity_now = _read_with_identity(real)  # the last look before the rename
        if error is not None or identity_now != identity or again != expected:
            raise WriteError(_CHANGED)
        os.replace(tmp, real)
    except BaseException as exc:  # Ctrl-C too: never leave the temporary file behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write: {exc.strerror or exc}") from None
        raise


_CHANGED = "file changed while keras-lint was running; not written"


def _read_with_identity(path: str) -> Tuple[Optional[bytes], Optional[str], Optional[Tuple[int, int]]]:
    """``read`` plus the (device, inode) of what was read."""
    data, error = read(path)
    if error is not None:
        return None, error, None
    try:
        st = os.stat(path)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}", None
    return data, None, (st.st_dev, st.st_ino)


def remove_stale_temp_files(directory: str) -> int:
    """Remove ``.keras-lint-<pid>-*.tmp`` files of writers that are gone (killed runs); how many.
    Only files of this user, older than STALE_TEMP_S, whose process no longer exists (or that
    are a day old) are touched."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                continue
            age = now - st.st_mtime
            if age < STALE_TEMP_S:
                continue
            if age < 86400 and _alive(name[len(TEMP_PREFIX):].split("-", 1)[0]):
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def _alive(pid_text: str) -> bool:
    if not pid_text.isdigit():
        return False  # an older keras-lint's name, without a pid
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _keep_owner(tmp: str, real: str) -> None:
    """root fixing someone else's file must not hand it to root."""
    st = os.stat(real)
    if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
