"""Start-up cost: `keras-lint --version` and what the flake8 plugin adds to a flake8 run.

    python benchmarks/startup.py [--runs N] [--venv DIR] [--baseline DIR] [--plain-flake8 DIR]

Each row is the median wall time of N runs (interleaved) of a command on a tiny file: `--venv`
(default .venv) is the keras-lint under test, `--baseline` another keras-lint install to compare
with (e.g. the main checkout's venv), `--plain-flake8` a venv with flake8 and no keras-lint.
Prints a Markdown table. Not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def rows(venv: Path, label: str, tiny: Path):
    bin_ = venv / "bin"
    yield f"{label}: keras-lint --version", [str(bin_ / "keras-lint"), "--version"]
    yield f"{label}: keras-lint check (tiny file, --no-cache)", [str(bin_ / "keras-lint"), "--no-cache", str(tiny)]
    yield f"{label}: flake8 --select E,F (tiny file)", [str(bin_ / "flake8"), "--select", "E,F", str(tiny)]
    yield f"{label}: flake8 (tiny file, KL on)", [str(bin_ / "flake8"), str(tiny)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--venv", type=Path, default=Path(".venv"))
    p.add_argument("--baseline", type=Path)
    p.add_argument("--plain-flake8", type=Path)
    args = p.parse_args()
    args.venv = args.venv.absolute()  # the commands run in a temporary directory
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny.py"
        tiny.write_text("import keras\nmodel = keras.Sequential([keras.layers.Dense(2)])\n")
        commands = list(rows(args.venv, "this", tiny))
        if args.baseline:
            commands += list(rows(args.baseline, "baseline", tiny))
        if args.plain_flake8:
            commands.append(("flake8 without keras-lint: flake8 --select E,F",
                             [str(args.plain_flake8 / "bin" / "flake8"), "--select", "E,F", str(tiny)]))
        times = {name: [] for name, _ in commands}
        for _ in range(args.runs):
            for name, cmd in commands:
                start = time.perf_counter()
                subprocess.run(cmd, capture_output=True, cwd=tmp)
                times[name].append(time.perf_counter() - start)
    print("| command | median s |\n|---|---:|")
    for name, ts in times.items():
        print(f"| {name} | {statistics.median(ts):.3f} |")


if __name__ == "__main__":
    main()
