"""``--profile``: where the time goes, per phase (read, prefilter, parse, positions, ...) and per rule.

Off by default and then free: the engine asks :data:`ACTIVE` once per file and per phase, and
wraps the rules' ``visit_``/``leave_`` methods with timers only while a profile is active. Each
worker process fills its own :class:`Profile` per file; the CLI merges them (``as_dict``/``merge``)
and prints one table to stderr.
"""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, TextIO, Tuple

#: The profile being filled in this process, or None (the normal case: nothing is timed).
ACTIVE: Optional["Profile"] = None

PHASES = ("read", "cache", "prefilter", "gates", "parse", "project", "traversal", "positions")


class Profile:
    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.calls: Dict[str, int] = defaultdict(int)

    def add(self, key: str, seconds: float, calls: int = 1) -> None:
        self.seconds[key] += seconds
        self.calls[key] += calls

    def as_dict(self) -> Dict[str, Tuple[float, int]]:
        return {k: (self.seconds[k], self.calls[k]) for k in self.seconds}

    def merge(self, data: Dict[str, Tuple[float, int]]) -> None:
        for key, (seconds, calls) in data.items():
            self.add(key, seconds, calls)

    def table(self, files: int, wall: float, workers: int) -> str:
        """Phases first, then rules, slowest first. Times are CPU-seconds summed over workers."""
        rules = sorted(((k, v) for k, v in self.seconds.items() if k not in PHASES and k != "walk"),
                       key=lambda kv: -kv[1])
        rule_total = sum(v for _, v in rules)
        rows: List[Tuple[str, float, int]] = []
        for phase in PHASES:
            if phase == "traversal":  # the walker itself: the walk minus the rules it called
                walk = self.seconds.get("walk", 0.0)
                rows.append(("traversal (walker)", max(0.0, walk - rule_total), self.calls.get("walk", 0)))
            elif phase in self.seconds:
                rows.append((phase, self.seconds[phase], self.calls[phase]))
        rows.append(("rules (all)", rule_total, 0))
        total = sum(v for _, v, _ in rows)
        lines = [f"keras-lint profile: {files} files, {wall:.2f} s wall, {workers} worker(s); "
                 f"seconds summed over workers",
                 f"{'phase / rule':<28}{'seconds':>10}{'share':>8}{'calls':>10}"]
        for name, secs, calls in rows:
            lines.append(f"{name:<28}{secs:>10.3f}{_share(secs, total):>8}{calls or '':>10}")
        lines.append("-" * 56)
        for name, secs in rules:
            lines.append(f"  {name:<26}{secs:>10.3f}{_share(secs, total):>8}{self.calls[name]:>10}")
        lines.append(f"{'total':<28}{total:>10.3f}")
        return "\n".join(lines)


def _share(part: float, total: float) -> str:
    return f"{100 * part / total:.1f}%" if total else "-"


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time a block under ``name`` if profiling (a no-op otherwise)."""
    prof = ACTIVE
    if prof is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        prof.add(name, time.perf_counter() - start)


def timed(fn: Callable, key: str, prof: Profile) -> Callable:
    """``fn`` (a rule's visit_/leave_ method) with its time added to ``key``."""
    clock = time.perf_counter
    seconds, calls = prof.seconds, prof.calls

    def wrapper(node):  # type: ignore[no-untyped-def]
        start = clock()
        try:
            return fn(node)
        finally:
            seconds[key] += clock() - start
            calls[key] += 1

    return wrapper


def write(prof: Profile, files: int, wall: float, workers: int, stream: TextIO) -> None:
    print(prof.table(files, wall, workers), file=stream)


def instrument(dispatch: object, prof: Profile) -> None:
    """Wrap every handler in an engine ``_Dispatch`` (``visit``/``leave``: node name -> bound
    methods) with a timer charged to its rule's code."""
    for table in (dispatch.visit, dispatch.leave):  # type: ignore[attr-defined]
        for handlers in table.values():
            handlers[:] = [timed(fn, getattr(getattr(fn, "__self__", None), "code", "?"), prof)
                           for fn in handlers]
