"""keras-lint speed benchmark (issues 7 and 18). Not a test: run it by hand and paste the table into README.

    python benchmarks/run.py                 # prepare the corpus if needed, 3 runs of everything
    python benchmarks/run.py --runs 5 --skip-scaling
    python benchmarks/run.py --scale-base 8  # scaling on every 8th file (1x/2x/4x copies of it)

The corpus: the .py files of the keras 3.15.1, tf-keras 2.21.0 and keras 2.2.4 wheels, fetched
with ``pip download --no-deps`` into ``benchmarks/.corpus/`` (git-ignored) and unpacked there.

Measured, side by side in one run, N times each (medians; the machine may be shared, so CPU
seconds are shown too):

* keras-lint cold (``--no-cache``) and warm (cache populated, nothing changed), default rules;
* flake8 -j 2 without the keras-lint plugin (pycodestyle + pyflakes + mccabe, flake8's own
  default run) -- flake8 runs every installed plugin whatever ``--select`` says, so the plugin
  is hidden from flake8's plugin finder for this row;
* flake8 -j 2 with the plugin, default selection (what a user with both installed runs), and
  ``flake8 --select KL`` (the plugin alone, inside flake8);
* ``ruff check --select NPY --no-cache`` if ruff is installed;
* linear scaling: keras-lint cold on 1x, 2x and 4x copies of a slice of the corpus.

Peak memory: the largest resident set of any one process of the run (``wait4`` rusage, as GNU
time's %M reports it), and the peak of the RSS summed over the run's whole process tree (sampled
from /proc every 20 ms; pages that forked processes share are counted in each, so this errs high).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
WHEELS = CORPUS / "wheels"
SRC = CORPUS / "src"
SCALE = CORPUS / "scale"
PHASES = ("read", "prefilter", "gates", "parse", "rules", "positions")
DOWNLOADS = (("keras==3.15.1", "tf-keras==2.21.0"), ("keras==2.2.4",))  # one pip call per keras version
BIN = Path(sys.executable).parent

# flake8 without the keras-lint plugin: drop it from flake8's plugin finder, then run flake8.
FLAKE8_WITHOUT_PLUGIN = """
import sys
from flake8.plugins import finder
_find = finder.find_plugins
finder.find_plugins = lambda *a, **k: [p for p in _find(*a, **k) if p.package.replace("_", "-") != "keras-lint"]
from flake8.main.cli import main
sys.exit(main())
"""


def tool(name: str) -> List[str]:
    exe = BIN / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    return [found] if found else []


# -- the corpus ---------------------------------------------------------------------------------

def prepare() -> Path:
    if SRC.is_dir() and any(SRC.rglob("*.py")):
        _own_project()
        return SRC
    WHEELS.mkdir(parents=True, exist_ok=True)
    for group in DOWNLOADS:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q",
               "-d", str(WHEELS), *group]
        print("$", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
    for wheel in sorted(WHEELS.glob("*.whl")):
        dest = SRC / wheel.name[: -len(".whl")]
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.endswith(".py"):
                    zf.extract(name, dest)
    _own_project()
    return SRC


def _own_project() -> None:
    """The corpus, and each scaled copy, is a project of its own (the nearest pyproject.toml):
    the project model of one must not read the files of the others. keras-lint's results cache
    goes to .corpus/.keras_lint_cache (the configuration of the directory it runs in)."""
    for root in (CORPUS, SRC):
        if not (root / "pyproject.toml").exists():
            (root / "pyproject.toml").write_text("[tool.keras-lint]\n")


def py_files(root: Path) -> List[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def make_scaled(files: List[Path], step: int, factors: Sequence[int] = (1, 2, 4)) -> List[Tuple[str, Path, int]]:
    """1x, 2x and 4x: every ``step``-th corpus file, copied 1, 2 and 4 times (hard links)."""
    base = files[::step]
    out = []
    for factor in factors:
        top = SCALE / f"{step}-{factor}x"
        if not (top / "pyproject.toml").exists():
            shutil.rmtree(top, ignore_errors=True)
            for copy in range(factor):
                for f in base:
                    dest = top / f"copy{copy}" / f.relative_to(SRC)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(f, dest)
                    except OSError:
                        shutil.copyfile(f, dest)
            (top / "pyproject.toml").write_text("[tool.keras-lint]\n")  # a project of its own
        out.append((f"{factor}x", top, len(base) * factor))
    return out


# -- measuring ----------------------------------------------------------------------------------

def _tree_memory(root: int) -> Tuple[int, int]:
    """(summed RSS, summed PSS) in KB of ``root`` and all its descendants, from /proc (Linux).
    PSS splits pages that forked processes share between them; RSS counts them in each."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    rss = pss = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def run_once(cmd: Sequence[str], cwd: Path) -> Tuple[float, float, int, int, int]:
    """(wall seconds, CPU seconds of the whole process tree, peak RSS in MB of the largest
    process, exit code, peak of the summed RSS of all its processes in MB, sampled every 20 ms)."""
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_memory(proc.pid)[0])

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss // 1024 if sys.platform != "darwin" else usage.ru_maxrss // (1024 * 1024)
    return wall, usage.ru_utime + usage.ru_stime, rss_mb, proc.returncode, peak[0] // 1024


class Row:
    def __init__(self, name: str, files: int) -> None:
        self.name, self.files = name, files
        self.walls: List[float] = []
        self.cpus: List[float] = []
        self.rss: List[int] = []
        self.tree: List[int] = []

    def add(self, sample: Tuple[float, float, int, int, int]) -> None:
        self.walls.append(sample[0])
        self.cpus.append(sample[1])
        self.rss.append(sample[2])
        self.tree.append(sample[4])

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def measure(rows: Dict[str, Row], plan: List[Tuple[str, List[str], Path, int]], runs: int) -> None:
    """Interleaved: run 1 of everything, then run 2, ... (load changes hit all rows alike)."""
    for i in range(runs):
        for name, cmd, cwd, files in plan:
            row = rows.setdefault(name, Row(name, files))
            sample = run_once(cmd, cwd)
            if sample[3] not in (0, 1):
                print(f"warning: {name} exited {sample[3]}: {' '.join(cmd)}", file=sys.stderr)
            row.add(sample)
            print(f"  run {i + 1}/{runs} {name}: {sample[0]:.2f} s wall, {sample[1]:.2f} s CPU, {sample[2]} MB "
                  f"largest process, {sample[4]} MB all processes", file=sys.stderr)


def phase_rates(cmd: Sequence[str], cwd: Path) -> Dict[str, Tuple[float, int]]:
    """One ``--profile`` run: phase -> (seconds summed over workers, calls)."""
    out = subprocess.run(list(cmd) + ["--profile"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True).stderr
    phases: Dict[str, Tuple[float, int]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("read", "prefilter", "gates", "parse", "positions", "project"):
            try:
                phases[parts[0]] = (float(parts[1]), int(parts[-1]) if parts[-1].isdigit() else 0)
            except ValueError:
                continue
        elif line.startswith("rules (all)") and len(parts) >= 3:
            try:
                phases["rules"] = (float(parts[2]), 0)
            except ValueError:
                continue
    return phases


def machine() -> str:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def table(rows: List[Row], reference: Optional[Row]) -> str:
    out = ["| run | files | median wall s | median CPU s | files/s | peak MB (largest process / all) | vs flake8 |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r.wall / reference.wall:.2f}x" if reference else "-"
        out.append(f"| {r.name} | {r.files} | {r.wall:.2f} | {r.cpu:.2f} | {r.files / r.wall:.0f} | "
                   f"{max(r.rss)} / {max(r.tree)} | {ratio} |")
    return "\n".join(out)


def _print_extra(large_rows, scale_rows, scale_plan) -> None:
    if large_rows:
        print("\nA 3,000-file project (warm re-run against ruff's cold run):\n")
        print(table(large_rows, None))
        if len(large_rows) == 2:
            print(f"\n- warm keras-lint / ruff: {large_rows[0].wall / large_rows[1].wall:.2f} wall (target <= 2)")
    if scale_rows:
        print("\nScaling (keras-lint cold):\n")
        print(table(scale_rows, None))
        base = scale_rows[0]
        print("\n" + ", ".join(f"{r.name.split(', ')[1]}: {r.wall / base.wall:.2f}x wall, {r.cpu / base.cpu:.2f}x CPU "
                               f"for {r.files / base.files:.0f}x files" for r in scale_rows))
        print("\nFiles per second of each phase (one --profile run each; seconds summed over workers;"
              " a phase runs only on the files that reach it, shown as calls):\n")
        print("| run | " + " | ".join(PHASES) + " |")
        print("|---|" + "---:|" * len(PHASES))
        for (name, cmd, cwd, count) in scale_plan:
            rates = phase_rates(cmd, cwd)
            cells = []
            for phase in PHASES:
                secs, calls = rates.get(phase, (0.0, 0))
                cells.append(f"{count / secs:,.0f}/s ({calls or '-'})" if secs > 0 else "-")
            print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="keras-lint -j and flake8 -j (default 2)")
    ap.add_argument("--scale-base", type=int, default=4, metavar="STEP",
                    help="scaling uses every STEP-th file as 1x (default 4)")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--skip-main", action="store_true", help="only the scaling and 3,152-file rows")
    ap.add_argument("--skip-large", action="store_true",
                    help="skip the warm re-run on a 3,152-file project (the whole corpus, twice)")
    ap.add_argument("--only", metavar="SUBDIR", help="benchmark one unpacked wheel (a name under .corpus/src)")
    args = ap.parse_args(argv)

    src = prepare()
    target = src / args.only if args.only else src
    files = py_files(target)
    n = len(files)
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    print(f"corpus: {n} files, {lines} lines; {machine()}", file=sys.stderr)
    rel = os.path.relpath(target, CORPUS)
    # the corpus sits in a git-ignored folder of this repository: lint it all the same
    kl = tool("keras-lint") + ["--exit-zero", "--no-respect-gitignore", "-j", str(args.jobs)]
    f8 = tool("flake8")
    ruff = tool("ruff")
    j = ["-j", str(args.jobs)]

    # populate the cache for the warm runs (not timed)
    shutil.rmtree(CORPUS / ".keras_lint_cache", ignore_errors=True)
    subprocess.run(kl + [rel], cwd=CORPUS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    plan = [
        ("keras-lint cold (--no-cache)", kl + ["--no-cache", rel], CORPUS, n),
        ("keras-lint warm (cache, nothing changed)", kl + [rel], CORPUS, n),
        ("flake8 -j 2, no plugin (E,F,W,C90)", [sys.executable, "-c", FLAKE8_WITHOUT_PLUGIN, *j, "--exit-zero", rel],
         CORPUS, n),
        ("flake8 -j 2 with plugin (default selection)", f8 + j + ["--exit-zero", rel], CORPUS, n),
        ("flake8 -j 2 --select KL", f8 + j + ["--exit-zero", "--select", "KL", rel], CORPUS, n),
    ]
    if ruff:
        plan.append(("ruff check --select NPY --no-cache", ruff + ["check", "--select", "NPY", "--no-cache",
                                                                  "--exit-zero", rel], CORPUS, n))
    rows: Dict[str, Row] = {}
    if not args.skip_main:
        measure(rows, plan, args.runs)

    scale_rows: List[Row] = []
    if not args.skip_scaling:
        scale_plan = [(f"keras-lint cold, {label}", kl + ["--no-cache", str(path)], CORPUS, count)
                      for label, path, count in make_scaled(py_files(src), args.scale_base)]
        measure(rows, scale_plan, args.runs)
        scale_rows = [rows[name] for name, _, _, _ in scale_plan]
    else:
        scale_plan = []

    large_rows: List[Row] = []
    if not args.skip_large:
        _, large, count = make_scaled(py_files(src), 1, (2,))[0]  # every file, copied twice
        big = os.path.relpath(large, CORPUS)
        subprocess.run(kl + [big], cwd=CORPUS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fill the cache
        large_plan = [(f"keras-lint warm, {count} files", kl + [big], CORPUS, count)]
        if ruff:
            large_plan.append((f"ruff check --select NPY --no-cache, {count} files",
                               ruff + ["check", "--select", "NPY", "--no-cache", "--exit-zero", big], CORPUS, count))
        measure(rows, large_plan, args.runs)
        large_rows = [rows[name] for name, _, _, _ in large_plan]

    if args.skip_main:
        _print_extra(large_rows, scale_rows, scale_plan if scale_rows else [])
        return 0
    ref = rows["flake8 -j 2, no plugin (E,F,W,C90)"]
    main_rows = [rows[name] for name, _, _, _ in plan]
    print(f"\nMachine: {machine()}; corpus: {n} files, {lines} lines; {args.runs} runs each, medians.\n")
    print(table(main_rows, ref))
    cold, warm = rows["keras-lint cold (--no-cache)"], rows["keras-lint warm (cache, nothing changed)"]
    with_kl = rows["flake8 -j 2 with plugin (default selection)"]
    print("\nTargets:")
    print(f"- cold keras-lint / flake8 -j 2 (no plugin): {cold.wall / ref.wall:.2f} wall, "
          f"{cold.cpu / ref.cpu:.2f} CPU (target <= 0.25)")
    if ruff:
        r = rows["ruff check --select NPY --no-cache"]
        print(f"- warm keras-lint / ruff --select NPY cold: {warm.wall / r.wall:.2f} wall, "
              f"{warm.cpu / r.cpu:.2f} CPU (target <= 2)")
    print(f"- what the plugin adds to flake8: {with_kl.wall - ref.wall:.2f} s wall = "
          f"{(with_kl.wall - ref.wall) / ref.wall:.2f}x flake8's own time; {with_kl.cpu - ref.cpu:.2f} s CPU = "
          f"{(with_kl.cpu - ref.cpu) / ref.cpu:.2f}x (target <= 0.5)")
    peak = max(max(r.rss) for r in rows.values() if r.name.startswith("keras-lint"))
    tree = max(max(r.tree) for r in rows.values() if r.name.startswith("keras-lint"))
    print(f"- keras-lint peak memory: {peak} MB largest process, {tree} MB all processes summed (target <= 250)")
    _print_extra(large_rows, scale_rows, scale_plan if scale_rows else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
