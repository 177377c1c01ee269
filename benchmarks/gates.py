"""Rule gates (keras_lint/analysis/facts.py) must never change a result: lint a corpus with the gates
on and off and compare every finding. Not a test (it takes minutes on a real corpus); run it after
changing a gate or a rule, on as much real code as you have:

    python benchmarks/gates.py DIR [DIR ...] [--target tf-keras] [--select ALL]

Prints the files LibCST had to parse with and without gates, CPU seconds of both runs, and every
file whose findings differ (exit 1 if any does).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keras_lint import engine, profiling  # noqa: E402
from keras_lint.registry import enabled_rules  # noqa: E402


def _files(roots):
    for root in roots:
        if os.path.isfile(root):
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith(".py"):
                    yield os.path.join(dirpath, name)


def _run(paths, settings):
    profiling.ACTIVE = profiling.Profile()
    start = time.perf_counter()
    out = {}
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        res = engine.lint_source(data, path, settings)
        out[path] = (res.error, sorted((d.line, d.column, d.code, d.message) for d in res.diagnostics))
    parsed = profiling.ACTIVE.as_dict().get("parse", (0.0, 0))[1]
    cpu = time.perf_counter() - start
    profiling.ACTIVE = None
    return out, parsed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--target", default="keras3")
    ap.add_argument("--select", nargs="*", default=None, help="rule selectors (default: the default rules)")
    args = ap.parse_args()
    paths = list(_files(args.roots))
    rules = enabled_rules(select=args.select, target=args.target)
    on, parsed_on, cpu_on = _run(paths, engine.Settings(rules, args.target, gates=True))
    off, parsed_off, cpu_off = _run(paths, engine.Settings(rules, args.target, gates=False))
    differ = [p for p in paths if on[p] != off[p]]
    findings = sum(len(v[1]) for v in off.values())
    print(f"{len(paths)} files, {findings} findings; LibCST parsed {parsed_on} files with gates, "
          f"{parsed_off} without; wall s {cpu_on:.1f} vs {cpu_off:.1f}")
    for p in differ:
        print(f"DIFFERS: {p}\n  gates on:  {on[p]}\n  gates off: {off[p]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
