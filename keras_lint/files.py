"""Reading and atomically writing the files to lint (finding them: ``discovery.py``)."""
from __future__ import annotations

import os
import stat
import tempfile
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
