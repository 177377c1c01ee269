"""Per-file cost of linting (issue 17): the figures behind the time and memory budgets of
keras_lint/isolation.py and the README's "Limits" section. Not a test: run it by hand.

    python benchmarks/budgets.py                 # the 12 largest real files + the synthetic ones
    python benchmarks/budgets.py --largest 30 --no-synthetic
    python benchmarks/budgets.py --no-budget     # what the same files cost without the budgets

Real files: the largest .py files that mention keras or tensorflow in the installed keras,
tf_keras and tensorflow packages. Synthetic: the hostile files of issue 17, just under the 2 MB
cap (a list literal, ordinary code) and the parser crashers. Each file is linted (all rules,
check mode) in a fresh process; its helper's CPU seconds and peak resident set are read from
``wait4`` when the helper is reaped, with the outcome (findings or the one-line reason).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from typing import Dict, List

PACKAGES = ("keras", "tf_keras", "tensorflow")


def synthetic(directory: str) -> List[str]:
    files = {
        "list_literal_1.98MB.py": b"import keras\nWEIGHTS = [" + b"0.12345, " * 220_000 + b"]\n",
        "dense_list_literal_1.98MB.py": b"import keras\nBITS = [" + b"1," * 990_000 + b"]\n",
        "ordinary_code_1.99MB.py": b"import keras\n" + b"".join(
            b"y%d = keras.layers.Dense(%d, activation='relu', name='dense_%d')(x)\n" % (i, i % 512, i)
            for i in range(29_000)),
        "and_chain_7500.py": b"import keras\nx = " + b" and ".join([b"a"] * 7500) + b"\n",
        "dotted_import_6000.py": b"import keras\nimport " + b".".join([b"a"] * 6000) + b"\n",
        "elif_10000.py": b"import keras\nif a:\n    pass\n" + b"elif a:\n    pass\n" * 10000,
    }
    paths = []
    for name, data in files.items():
        path = os.path.join(directory, name)
        with open(path, "wb") as fh:
            fh.write(data if len(data) < 2_000_000 else data[:1_998_000].rsplit(b"\n", 1)[0] + b"\n")
        paths.append(path)
    return paths


def largest_real(n: int) -> List[str]:
    if n <= 0:
        return []
    root = sysconfig.get_paths()["purelib"]
    found = []
    for pkg in PACKAGES:
        for dirpath, _, names in os.walk(os.path.join(root, pkg)):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    found.append((os.path.getsize(path), path))
    found.sort(reverse=True)
    out = []
    for _, path in found:
        with open(path, "rb") as fh:
            data = fh.read()
        if b"keras" in data or b"tensorflow" in data:
            out.append(path)
        if len(out) == n:
            break
    return out


def measure_one(path: str, budget: bool) -> Dict:
    """In a fresh process: lint ``path`` once, reap the helper, report its cost."""
    from keras_lint import isolation
    from keras_lint.engine import Settings, lint_source
    from keras_lint.registry import all_rules

    if not budget:
        isolation.TIME_BUDGET_S = 10**6
        isolation.MEMORY_BUDGET_MB = 10**6
    with open(path, "rb") as fh:
        source = fh.read()
    start = time.perf_counter()
    result = lint_source(source, path, Settings(list(all_rules().values())))
    wall = time.perf_counter() - start
    isolation.reset()  # reaps the helper: its rusage is now this process's children's
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"path": path, "bytes": len(source), "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_mb": round(usage.ru_maxrss / 1024),
            "findings": len(result.diagnostics), "error": result.error}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--largest", type=int, default=12)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--no-budget", action="store_true", help="lift the budgets (needs ~5 GB free)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, not args.no_budget)))
        return
    paths = largest_real(args.largest)
    tmp = tempfile.mkdtemp(prefix="keras-lint-budgets-")
    if not args.no_synthetic:
        paths += synthetic(tmp)
    root = sysconfig.get_paths()["purelib"]
    print("| file | KB | CPU s | wall s | peak MB | outcome |\n|---|---:|---:|---:|---:|---|")
    for path in paths:
        cmd = [sys.executable, __file__, "--one", path] + (["--no-budget"] if args.no_budget else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        try:
            row = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            print(f"| {path} | | | | | measuring failed: {out.stderr.strip()[-200:]} |")
            continue
        shown = os.path.relpath(path, root) if path.startswith(root) else os.path.basename(path)
        outcome = row["error"] or f"{row['findings']} findings"
        print(f"| {shown} | {row['bytes'] // 1024} | {row['cpu_s']} | {row['wall_s']} | {row['peak_mb']} | {outcome} |",
              flush=True)


if __name__ == "__main__":
    main()
