#!/usr/bin/env python
"""Real-code crash test: lint and fix (``--unsafe-fixes``, diff mode: nothing is written) every
.py file of the installed keras, tf_keras and tensorflow packages.

For every file: ``fix_source`` with all rules and unsafe fixes (its first pass is the lint), then
the fixed text, if any, must re-parse (LibCST and CPython) and a second fix must change nothing.
A crash is an exception escaping the engine (a rule bug included), a worker process dying (a
segfault in the native parser) or a file taking longer than ``--timeout`` seconds. Files the
engine declines with a one-line reason (``FileResult.error``) are counted, not crashes.

Files are processed by worker subprocesses that report one JSON line per file, so a native crash
loses one file, not the run. Usage::

    python scripts/crash_test.py                      # every file, all packages
    python scripts/crash_test.py --every 20 --json    # a deterministic sample, machine-readable
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Dict, List, Optional

PACKAGES = ("keras", "tf_keras", "tensorflow")


def site_packages() -> str:
    import sysconfig

    return sysconfig.get_paths()["purelib"]


def collect(root: str, packages=PACKAGES, every: int = 1) -> List[str]:
    files: List[str] = []
    for pkg in packages:
        base = os.path.join(root, pkg)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            files.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return files[::every] if every > 1 else files


# -- worker -------------------------------------------------------------------------------------

def check_file(path: str) -> Dict:
    """Everything the crash test does to one file; never raises."""
    import ast

    import libcst as cst

    from keras_lint.engine import Settings, fix_source
    from keras_lint.registry import all_rules

    settings = Settings(list(all_rules().values()), unsafe_fixes=True)
    out: Dict = {"path": path, "size": 0, "problems": 0, "fixed": False}
    start = time.perf_counter()
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        out["size"] = len(source)
        result = fix_source(source, path, settings)
        out["problems"] = len(result.diagnostics)
        if result.error:
            out["error"] = result.error
            if result.error.startswith(("the linting process", "internal error")):
                out["crash"] = result.error  # the helper process died, or a rule raised: still a crash
        if result.fixed_source is not None:
            out["fixed"] = True
            fixed = result.fixed_source
            try:
                cst.parse_module(fixed)
                compile(fixed, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            except Exception as exc:  # noqa: BLE001
                out["crash"] = f"fixed output does not parse: {type(exc).__name__}: {exc}"
            else:
                again = fix_source(fixed, path, settings)
                if again.error:
                    out["crash"] = f"second fix failed: {again.error}"
                elif again.fixed_source is not None:
                    out["crash"] = "fix is not idempotent: a second fix changed the file again"
    except BaseException as exc:  # noqa: BLE001 - that is what we are counting
        out["crash"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def worker(listing: str) -> int:
    """Read paths from the file ``listing``, write 'start' and result lines on stdout."""
    from keras_lint.registry import all_rules

    all_rules()  # import the rules before the first timing
    with open(listing, encoding="utf-8") as fh:
        paths = fh.read().splitlines()
    # self-test hook (tests/test_real_code.py): make the worker die or hang on one file
    sabotage, _, victim = os.environ.get("KERAS_LINT_CRASH_TEST_SABOTAGE", "").partition(":")
    for line in paths:
        path = line.rstrip("\n")
        if not path:
            continue
        print(json.dumps({"start": path}), flush=True)
        if victim and path.endswith(victim):
            if sabotage == "segv":
                import signal

                os.kill(os.getpid(), signal.SIGSEGV)
            elif sabotage == "hang":
                time.sleep(3600)
        print(json.dumps(check_file(path)), flush=True)
    return 0


# -- driver -------------------------------------------------------------------------------------

def run(files: List[str], jobs: int = 1, timeout: float = 600.0, progress: bool = False) -> List[Dict]:
    """Check ``files`` in ``jobs`` worker subprocesses; a dead or stuck worker costs one file."""
    chunks = [files[i::jobs] for i in range(jobs)]
    results: List[Dict] = []
    procs = [_Runner(chunk, timeout) for chunk in chunks if chunk]
    done = 0
    while procs:
        for runner in list(procs):
            for res in runner.poll():
                results.append(res)
                done += 1
                if progress and (done % 100 == 0 or "crash" in res):
                    print(f"  {done}/{len(files)} {res['path']}{' CRASH ' + res['crash'] if 'crash' in res else ''}",
                          file=sys.stderr, flush=True)
            if runner.finished:
                procs.remove(runner)
        time.sleep(0.05)
    order = {p: i for i, p in enumerate(files)}
    results.sort(key=lambda r: order[r["path"]])
    return results


class _Runner:
    def __init__(self, files: List[str], timeout: float) -> None:
        self.todo = list(files)
        self.timeout = timeout
        self.proc: Optional[subprocess.Popen] = None
        self.current: Optional[str] = None
        self.started = 0.0
        self.finished = False
        self._spawn()

    def _spawn(self) -> None:
        if not self.todo:
            self.finished = True
            return
        fd, self.listing = tempfile.mkstemp(prefix="crash-test-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(p + "\n" for p in self.todo))
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", self.listing],
                                     stdout=subprocess.PIPE)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buffer = ""
        self.current = None
        self.started = time.monotonic()

    def _drain(self, out: List[Dict]) -> None:
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            msg = json.loads(line)
            if "start" in msg:
                self.current, self.started = msg["start"], time.monotonic()
            else:
                out.append(msg)
                self.todo.remove(msg["path"])
                self.current = None

    def poll(self) -> List[Dict]:
        out: List[Dict] = []
        if self.finished or self.proc is None:
            return out
        self.buffer += (self.proc.stdout.read() or b"").decode("utf-8")
        self._drain(out)
        code = self.proc.poll()
        stuck = self.current is not None and time.monotonic() - self.started > self.timeout
        if code is None and not stuck:
            return out
        if stuck:
            self.proc.kill()
        code = self.proc.wait()
        os.set_blocking(self.proc.stdout.fileno(), True)
        self.buffer += self.proc.stdout.read().decode("utf-8")
        self._drain(out)
        os.unlink(self.listing)
        if self.current is not None:  # the worker died (or hung) on this file
            reason = f"timeout after {self.timeout:.0f} s" if stuck else f"worker process died (exit code {code})"
            out.append({"path": self.current, "size": os.path.getsize(self.current), "problems": 0,
                        "fixed": False, "crash": reason, "seconds": round(time.monotonic() - self.started, 3)})
            self.todo.remove(self.current)
        elif self.todo:  # exited between files: something is badly wrong; do not loop
            for path in self.todo:
                out.append({"path": path, "size": 0, "problems": 0, "fixed": False,
                            "crash": f"worker process exited early (exit code {code})", "seconds": 0})
            self.todo = []
        self._spawn()
        return out


def summary(results: List[Dict], wall: float) -> Dict:
    crashes = [r for r in results if "crash" in r]
    errors = [r for r in results if "error" in r]
    slowest = sorted(results, key=lambda r: -r["seconds"])[:5]
    return {
        "files": len(results),
        "bytes": sum(r["size"] for r in results),
        "crashes": len(crashes),
        "declined": len(errors),
        "files_with_problems": sum(1 for r in results if r["problems"]),
        "problems": sum(r["problems"] for r in results),
        "files_fixed": sum(1 for r in results if r["fixed"]),
        "wall_seconds": round(wall, 1),
        "cpu_seconds_in_workers": round(sum(r["seconds"] for r in results), 1),
        "slowest": [(r["path"], r["seconds"]) for r in slowest],
        "crash_list": [(r["path"], r["crash"], r.get("traceback", "")) for r in crashes],
        "declined_list": [(r["path"], r["error"]) for r in errors],
    }


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", metavar="LISTING", help=argparse.SUPPRESS)
    p.add_argument("--root", default=None, help="site-packages directory (default: this interpreter's)")
    p.add_argument("--package", action="append", help="package directories to test (default: keras, tf_keras, tensorflow)")
    p.add_argument("--every", type=int, default=1, help="only every Nth file (a deterministic sample)")
    p.add_argument("-j", "--jobs", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600.0, help="seconds one file may take")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    files = collect(args.root or site_packages(), tuple(args.package or PACKAGES), args.every)
    start = time.monotonic()
    results = run(files, max(1, args.jobs), args.timeout, args.progress)
    info = summary(results, time.monotonic() - start)
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        print(f"files: {info['files']} ({info['bytes'] / 1e6:.1f} MB)")
        print(f"crashes: {info['crashes']}")
        print(f"declined with a reason: {info['declined']}")
        print(f"problems found: {info['problems']} in {info['files_with_problems']} files; "
              f"files --fix would change: {info['files_fixed']}")
        print(f"time: {info['wall_seconds']} s wall, {info['cpu_seconds_in_workers']} s in workers")
        print("slowest: " + ", ".join(f"{os.path.relpath(p, args.root or site_packages())} {s:.1f}s"
                                      for p, s in info["slowest"]))
        for path, reason, tb in info["crash_list"]:
            print(f"CRASH {path}: {reason}\n{tb}")
        for path, reason in info["declined_list"]:
            print(f"declined {path}: {reason}")
    return 1 if info["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
