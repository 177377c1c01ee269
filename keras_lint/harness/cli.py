"""``keras-lint verify [CODE ...] [--json] [--stack keras3|tf-keras] [--fixtures DIR]``."""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from .fixtures import STACKS, discover
from .runner import PACKAGE_ROOT

NEEDS = {"keras3": ("tensorflow", "keras"), "tf-keras": ("tensorflow", "keras", "tf_keras")}
PROG = "keras-lint verify"


def missing_modules(stacks: Sequence[str], find_spec: Callable = importlib.util.find_spec) -> List[str]:
    """The stack packages that cannot be found, without importing them (the parent stays TF-free)."""
    missing = []
    for name in dict.fromkeys(n for s in stacks for n in NEEDS[s]):
        try:
            found = find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def missing_message(missing: Sequence[str]) -> str:
    what = "TensorFlow" if list(missing) == ["tensorflow"] else ", ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    return f"{PROG}: {what} {verb} not installed; install keras-lint[harness]"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Run every rule's fixture on real TensorFlow: the bad "
                                "program fails as documented, the good and fixed programs run, keras-lint agrees.")
    p.add_argument("codes", nargs="*", metavar="CODE", help="rules to verify (codes or prefixes; default: all)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--stack", choices=STACKS, action="append", help="only this stack (repeatable; default: both)")
    p.add_argument("--fixtures", type=Path, metavar="DIR", help="the fixtures folder (default: the repository's)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per program (default: expect.toml or 30)")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="child processes at a time (default: 2)")
    return p


def default_fixtures() -> Path:
    # a checkout's fixtures/, else the copy a wheel ships as keras_lint/fixtures (setup.py)
    installed = Path(__file__).resolve().parents[1] / "fixtures"
    for candidate in (PACKAGE_ROOT / "fixtures", installed, Path.cwd() / "fixtures"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_ROOT / "fixtures"


def _select(selectors: Sequence[str], known: Sequence[str]) -> "tuple[List[str], List[str]]":
    if not selectors:
        return sorted(known), []
    chosen, unknown = set(), []
    for sel in (s.strip().upper() for s in selectors):
        hits = [c for c in known if c.upper().startswith(sel)]  # KL403 also selects KL403-notebook
        if not hits:
            unknown.append(sel)
        chosen.update(hits)
    return sorted(chosen), unknown


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    stacks = tuple(s for s in STACKS if s in (args.stack or STACKS))
    fixtures_dir = args.fixtures or default_fixtures()
    if not fixtures_dir.is_dir():
        print(f"{PROG}: no fixtures folder at {fixtures_dir}; pass --fixtures DIR", file=sys.stderr)
        return 2
    missing = missing_modules(stacks)
    if missing:
        print(missing_message(missing), file=sys.stderr)
        return 2

    from ..registry import all_rules  # libcst and the rules only now: `--help` stays instant
    from .report import render_json, render_text
    from .verify import FAILED, verify

    start = time.perf_counter()
    fixtures = discover(fixtures_dir)
    codes, unknown = _select(args.codes, sorted(set(all_rules()) | set(fixtures)))
    if unknown:
        print(f"{PROG}: no rule or fixture matches {', '.join(unknown)}", file=sys.stderr)
        return 2
    result = verify(fixtures, codes, stacks, timeout=args.timeout, workers=args.jobs)
    unavailable = [s for s in stacks if s in result.fatal and s not in result.versions]
    if unavailable:
        stack = unavailable[0]
        print(f"{PROG}: cannot start the {stack} stack: {result.fatal[stack]}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(render_json(result, seconds) if args.json else render_text(result, seconds))
    return 1 if any(r.status == FAILED for r in result.rows) else 0
