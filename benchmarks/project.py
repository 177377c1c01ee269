"""What the project model costs (issue 12). Not a test: run it by hand.

    python benchmarks/project.py                    # the benchmark corpus (see run.py), 3 runs
    python benchmarks/project.py --one-file PATH    # + flake8 and keras-lint on one file, warm

Rows: keras-lint cold (``--no-cache -j 2``) on the corpus with the project model and without it
(``analysis.project.disable()``), interleaved, medians; CPU seconds (user + system of all
processes) are the steadier number on a shared machine. ``--one-file``: ``flake8 --select KL``
and ``keras-lint`` on one file of a project whose caches are warm (what a pre-commit hook or an
editor pays per file).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as corpus  # noqa: E402  (the benchmark corpus of run.py)

ON = "import sys; from keras_lint.cli import main; sys.exit(main())"
OFF = ("import sys; from keras_lint.analysis import project; project.disable(); "
       "from keras_lint.cli import main; sys.exit(main())")


def timed(cmd, cwd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--one-file", help="a .py file inside a project: time one-file runs with warm caches")
    args = ap.parse_args()
    src = corpus.prepare()
    rows = {"with the project model": [], "without it": []}
    for _ in range(args.runs):
        for name, code in (("without it", OFF), ("with the project model", ON)):
            rows[name].append(timed([sys.executable, "-c", code, "--no-cache", "-j", "2", "--exit-zero", str(src)],
                                    corpus.CORPUS))
    print("| keras-lint cold on the corpus | median wall s | median CPU s |\n|---|---:|---:|")
    for name, samples in rows.items():
        print(f"| {name} | {statistics.median(w for w, _ in samples):.2f} | {statistics.median(c for _, c in samples):.2f} |")
    if args.one_file:
        path = Path(args.one_file).resolve()
        lint = [sys.executable, "-m", "keras_lint", "--exit-zero", str(path)]
        flake8 = [sys.executable, "-m", "flake8", "--select", "KL", "--exit-zero", str(path)]
        timed(lint, path.parent)  # fill the caches
        print("\n| one file, warm caches | median wall s |\n|---|---:|")
        for name, cmd in (("keras-lint", lint), ("flake8 --select KL", flake8)):
            print(f"| {name} | {statistics.median(timed(cmd, path.parent)[0] for _ in range(args.runs)):.2f} |")


if __name__ == "__main__":
    main()
