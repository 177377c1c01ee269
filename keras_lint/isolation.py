"""Linting files in a child process, so that nothing one file does ends the run.

LibCST's parser is native code: on some valid programs it overflows the C stack and the process
dies with SIGSEGV (an ``and`` chain of 7,500 terms, a dotted import of 6,000 parts, 10,000
``elif``s), and a file near the size cap can take tens of seconds and gigabytes. So every process
that lints (the CLI, each pool worker, each flake8 worker) hands its files, one at a time, to a
helper child made with ``fork()``. The helper

* runs the work on a thread with a large stack and a high recursion limit, so deep but valid
  code is parsed and analysed instead of crashing;
* gets a CPU-time and an address-space budget per file (``RLIMIT_CPU``/``RLIMIT_AS``, set
  before each file relative to what it has used so far);
* dies with its parent (``PR_SET_PDEATHSIG`` on Linux, and end-of-file on its request pipe),
  never dumps core, and holds none of the caller's pipes (its stdio is /dev/null).

A helper that dies (a signal, a budget) becomes one error line for the file it was working on;
the next file gets a new helper. One helper serves many files because a fork per file costs
~10 ms of CPU (copy-on-write faults on the parent's heap), a third of an average file. Where
``fork`` is missing (Windows) the work runs in this process, on the same large-stack thread,
without the budgets.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import warnings
from typing import Any, Callable, Optional, Tuple

#: CPU seconds one file may take (parse, rules, fixes). Measured (README "Limits",
#: benchmarks/budgets.py): the slowest real file of the keras, tf-keras and tensorflow wheels
#: takes 4.7 s, 1.95 MB of ordinary code 15 s.
TIME_BUDGET_S = 20
#: Address space one file may add, in MB. Measured (README "Limits"): real files peak at 0.4 GB
#: at most, 1.95 MB of ordinary code at 1.2 GB; the densest 1.98 MB list literal goes past it.
MEMORY_BUDGET_MB = 1536
#: The helper's working thread: deep trees need deep recursion, in LibCST's parser (Rust) and in
#: Python. Virtual memory: only the pages a file really uses are touched.
STACK_BYTES = 512 << 20
RECURSION_LIMIT = 60_000
#: A helper whose resident set has grown by more than this since it started retires after its
#: file, and the next file gets a fresh one (a fork, ~10 ms): CPython keeps the arenas a large
#: file's LibCST tree needed, so without this each helper would hold the peak of its largest file
#: for the rest of the run. (Growth, not size: a helper forked from a large process, a test run
#: that imported TensorFlow, starts large.)
RETIRE_RSS_MB = 100
#: Wall-clock safety net on top of the CPU budget (a helper that is starved or stuck).
_WALL_FACTOR, _WALL_EXTRA_S = 4, 30

ENABLED = hasattr(os, "fork") and os.name == "posix"
if ENABLED:
    import resource

_HEADER = struct.Struct("<Q")


class ChildFailed(Exception):
    """The helper gave no result; the message is the one line for the user."""


def run(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in the helper process, with budgets (or here, where there is no fork).

    ``fn`` must be a module-level function (it is pickled by name), take and return picklable
    values and handle its own exceptions; :class:`ChildFailed` says why there is no value."""
    if _IN_HELPER:  # already isolated (and the lock copied at the fork would never be released)
        return fn(*args)
    if not ENABLED:
        return on_big_stack(fn, *args)
    try:
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):  # e.g. a rule class defined in a function
        return on_big_stack(fn, *args)
    global _helper
    with _lock:  # one request at a time on the helper's pipes
        for attempt in (1, 2):
            if _helper is None or _helper.owner != os.getpid():  # none yet, or inherited through a fork
                _helper = _Helper()
            helper = _helper
            try:
                value = helper.call(payload)
                if helper.retiring:
                    helper.close()
                    _helper = None
                return value
            except _GoneBefore:  # it died between two files (killed from outside): not this file's doing
                _helper = None
                if attempt == 2:
                    raise ChildFailed("cannot start the linting process; not linted") from None
            except ChildFailed:
                if _helper is helper:
                    _helper = None
                raise
    raise AssertionError("unreachable")


class _GoneBefore(Exception):
    pass


def helper_id() -> Optional[int]:
    """Which helper this process has now (None if none): a caller that set up state the helper
    must see compares it before and after, and :func:`reset` s a helper forked in between."""
    return id(_helper) if _helper is not None and _helper.owner == os.getpid() else None


def reset() -> None:
    """Stop this process's helper (tests that change module state start a fresh one)."""
    global _helper
    if _helper is not None and _helper.owner == os.getpid():
        _helper.close()
    _helper = None


def on_big_stack(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a thread with a large stack and a high recursion limit."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    old_limit = sys.getrecursionlimit()
    try:
        old_size = threading.stack_size(STACK_BYTES)
    except (ValueError, RuntimeError):  # the platform refuses: the default stack and limit
        old_size = None
    try:
        if old_size is not None:
            sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        thread = threading.Thread(target=target, name="keras-lint-worker", daemon=True)
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        if old_size is not None:
            threading.stack_size(old_size)
    if "error" in box:
        raise box["error"]
    return box["value"]


# -- the parent's side ----------------------------------------------------------------------------

_helper: Optional["_Helper"] = None
_lock = threading.Lock()
_IN_HELPER = False  # set in the helper process itself


class _Helper:
    def __init__(self) -> None:
        self.owner = os.getpid()
        self.retiring = False  # it said it grew too large: it stops after this reply
        _load_prctl()
        requests_r, self.requests = os.pipe()
        self.replies, replies_w = os.pipe()
        with warnings.catch_warnings():  # Python 3.12+ warns about fork() beside other threads;
            warnings.simplefilter("ignore", DeprecationWarning)  # the helper uses none of their locks
            self.pid = os.fork()
        if self.pid == 0:  # the helper: never returns
            try:
                os.close(self.requests)
                os.close(self.replies)
                _serve(self.owner, requests_r, replies_w)
            finally:
                os._exit(0)
        os.close(requests_r)
        os.close(replies_w)

    def call(self, payload: bytes) -> Any:
        try:
            _write_frame(self.requests, payload)
        except BrokenPipeError:
            self.close(kill=True)
            raise _GoneBefore() from None
        try:
            reply = _read_frame(self.replies, time.monotonic() + TIME_BUDGET_S * _WALL_FACTOR + _WALL_EXTRA_S)
        except BaseException as exc:  # noqa: BLE001 - Ctrl-C or a broken pipe: the helper goes
            status, peak_mb = self.close(kill=True)
            if isinstance(exc, (OSError, _TimedOut)):
                raise ChildFailed(_death_message(status, isinstance(exc, _TimedOut), peak_mb)) from None
            raise
        if reply is None:  # end of file: the helper died on this file
            status, peak_mb = self.close(kill=True)
            raise ChildFailed(_death_message(status, False, peak_mb))
        ok, value, self.retiring = pickle.loads(reply)
        if not ok:
            raise ChildFailed(value)
        return value

    def close(self, kill: bool = False) -> Tuple[int, float]:
        """Stop and reap the helper: its wait status and peak resident set (MB)."""
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                _, status, usage = os.wait4(self.pid, 0)
                return status, usage.ru_maxrss / 1024  # KB on Linux
            except InterruptedError:
                continue
            except ChildProcessError:
                return 0, 0.0


class _TimedOut(Exception):
    pass


def _write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int, deadline: Optional[float]) -> Optional[bytes]:
    chunks = []
    while size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _TimedOut()
            if not select.select([fd], [], [], left)[0]:
                continue
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: Optional[float] = None) -> Optional[bytes]:
    header = _read_exactly(fd, _HEADER.size, deadline)
    if header is None:
        return None
    return _read_exactly(fd, _HEADER.unpack(header)[0], deadline)


# -- the helper's side ----------------------------------------------------------------------------

def _serve(parent: int, requests: int, replies: int) -> None:
    global _IN_HELPER
    _IN_HELPER = True
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    if "faulthandler" in sys.modules:  # a crash is reported by the parent, in one line
        sys.modules["faulthandler"].disable()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never hold the caller's pipes open
        if fd not in (requests, replies, devnull):  # (a closed stdio slot may hold our pipe)
            os.dup2(devnull, fd)
    on_big_stack(_loop, requests, replies)


def _loop(requests: int, replies: int) -> None:
    start_mb = _resident_mb()
    while True:
        request = _read_frame(requests)
        if request is None:
            return  # the parent closed the pipe: it is done (or dead)
        try:
            fn, args = pickle.loads(request)
            with _budget():
                reply = (True, fn(*args))
        except MemoryError:
            reply = (False, memory_message())
        except BaseException as exc:  # noqa: BLE001 - fn should not raise; say so in one line
            reply = (False, f"internal error: {type(exc).__name__}: {exc} (please report this)")
        try:
            payload = pickle.dumps(reply + (retire := _resident_mb() - start_mb > RETIRE_RSS_MB,),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001
            retire = True
            payload = pickle.dumps((False, f"internal error: cannot send the result: {exc}", retire))
        _write_frame(replies, payload)
        if retire:
            return  # the parent reaps this helper and starts a new one for its next file


def _resident_mb() -> float:
    """This process's resident set now (Linux /proc; elsewhere 0: never retire)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize() / (1 << 20)
    except (OSError, ValueError, IndexError):
        return 0.0


class _budget:
    """The per-file limits, relative to what the helper has used so far."""

    def __enter__(self) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = resource.getrlimit(resource.RLIMIT_CPU)
        self.mem = resource.getrlimit(resource.RLIMIT_AS)
        _lower(resource.RLIMIT_CPU, int(usage.ru_utime + usage.ru_stime) + 1 + TIME_BUDGET_S, self.cpu)
        vsize = _address_space()
        if vsize is not None:
            _lower(resource.RLIMIT_AS, vsize + (MEMORY_BUDGET_MB << 20), self.mem)

    def __exit__(self, *exc: object) -> None:
        for which, old in ((resource.RLIMIT_CPU, self.cpu), (resource.RLIMIT_AS, self.mem)):
            try:
                resource.setrlimit(which, old)
            except (ValueError, OSError):
                pass


def _lower(which: int, soft: int, current: Tuple[int, int]) -> None:
    """Set the soft limit to ``soft`` unless the user already asked for less."""
    cur_soft, hard = current
    if cur_soft != resource.RLIM_INFINITY and cur_soft <= soft:
        return
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def _address_space() -> Optional[int]:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


_PR_SET_PDEATHSIG = 1
_prctl: Any = None


def _load_prctl() -> Any:
    """libc's prctl, loaded once in the parent (importing ctypes in each child costs time)."""
    global _prctl
    if _prctl is None:
        _prctl = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                pass
    return _prctl


def die_with_parent() -> None:
    """Linux: the kernel sends this process SIGKILL when the thread that created it exits.
    Elsewhere nothing (the helper also exits when its request pipe closes)."""
    prctl = _load_prctl()
    if prctl:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _die_with_parent(parent: int) -> None:
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)


# -- messages -------------------------------------------------------------------------------------

def memory_message() -> str:
    return f"exceeds the memory budget of {MEMORY_BUDGET_MB} MB per file; not linted"


def time_message() -> str:
    return f"exceeds the time budget of {TIME_BUDGET_S} CPU seconds per file; not linted"


def _death_message(status: int, timed_out: bool, peak_mb: float) -> str:
    if timed_out:
        return time_message()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return time_message()
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGABRT and peak_mb >= MEMORY_BUDGET_MB / 2:  # native code that cannot allocate aborts
            return memory_message()
        if sig == signal.SIGABRT:
            return (f"the linting process aborted ({name}): out of its memory budget of "
                    f"{MEMORY_BUDGET_MB} MB, or a crash in LibCST's native parser; not linted")
        if sig == signal.SIGKILL:
            return "the linting process was killed (SIGKILL; out of memory?); not linted"
        return (f"the linting process crashed ({name}), most likely in LibCST's native parser; "
                "not linted (the other files are)")
    return f"the linting process exited unexpectedly (status {os.WEXITSTATUS(status)}); not linted"
