"""Runs fixture programs in child processes, one per stack (plus one per isolated fixture).

The parent never imports TensorFlow. It watches each child: a program that runs past its
timeout, or a child that dies, is recorded against that program, and a fresh child carries on
with the programs still to run.
"""
from __future__ import annotations

import json
import os
import queue
import sys
import sysconfig
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL, PIPE, Popen
from typing import Dict, List, Optional

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding keras_lint/
IMPORT_TIMEOUT = 180.0  # importing TensorFlow on a busy 2-core machine
CLEANUP_TIMEOUT = 60.0  # clear_session between two programs


@dataclass
class Job:
    id: str
    path: Path
    timeout: float


@dataclass
class Batch:
    stack: str
    jobs: List[Job]


@dataclass
class BatchResult:
    stack: str
    results: Dict[str, dict] = field(default_factory=dict)  # job id -> the child's "done" event
    versions: Optional[dict] = None
    fatal: Optional[str] = None  # the stack could not even be imported


def child_env(stack: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONUNBUFFERED="1")
    if stack == "tf-keras":
        env["TF_USE_LEGACY_KERAS"] = "1"  # must be set before tf.keras is first touched
    else:
        env.pop("TF_USE_LEGACY_KERAS", None)
    if not _installed():  # a source checkout: let the child find keras_lint
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return env


def _installed() -> bool:
    """keras_lint lives in site-packages (then PYTHONPATH must not put site-packages before the stdlib)."""
    paths = sysconfig.get_paths()
    return str(PACKAGE_ROOT) in {paths.get("purelib"), paths.get("platlib")}


def _tail(fh, lines: int = 3) -> str:
    fh.seek(0)
    text = fh.read().decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) if text else "no output"


def _reader(stream, q: "queue.Queue[Optional[str]]") -> None:
    for line in stream:
        q.put(line)
    q.put(None)


def run_batch(batch: Batch, import_timeout: float = IMPORT_TIMEOUT) -> BatchResult:
    out = BatchResult(batch.stack)
    remaining = {job.id: job for job in batch.jobs}
    while remaining:  # each new child starts where the last one hung or died
        if not _ChildRun(batch.stack, remaining, import_timeout, out).run():
            break
    return out


class _ChildRun:
    """One child over the remaining jobs. ``run()`` is False when the stack itself failed (then
    retrying cannot help); results and ``remaining`` are updated as programs finish."""

    def __init__(self, stack: str, remaining: Dict[str, Job], import_timeout: float, out: BatchResult) -> None:
        self.stack, self.remaining, self.out = stack, remaining, out
        self.import_timeout = import_timeout
        self.current: Optional[str] = None
        self.ready = False

    def run(self) -> bool:
        with tempfile.TemporaryDirectory(prefix="kl-verify-") as tmp, tempfile.TemporaryFile() as err:
            jobs_file = Path(tmp) / "jobs.json"
            jobs = [{"id": j.id, "path": str(j.path.resolve())} for j in self.remaining.values()]
            jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
            self.err = err
            self.proc = Popen([sys.executable, "-m", "keras_lint.harness._child", self.stack, str(jobs_file)],
                              stdin=DEVNULL, stdout=PIPE, stderr=err, env=child_env(self.stack), cwd=tmp, text=True)
            try:
                return self._watch()
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
                self.proc.wait()

    def _watch(self) -> bool:
        q: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=_reader, args=(self.proc.stdout, q), daemon=True).start()
        deadline = time.monotonic() + self.import_timeout
        while True:
            try:
                line = q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return self._timed_out()
            if line is None:
                return self._exited()
            try:
                event = json.loads(line)
            except ValueError:
                continue
            kind = event.pop("event", None)
            if kind == "fatal":
                self.out.fatal = event.get("error", "unknown error")
                return False
            if kind == "ready":
                self.ready, self.out.versions = True, event.get("versions")
                deadline = time.monotonic() + CLEANUP_TIMEOUT
            elif kind == "start":
                self.current = event["id"]
                deadline = time.monotonic() + self.remaining[self.current].timeout
            elif kind == "done":
                self.out.results[event.pop("id")] = event
                self.remaining.pop(self.current, None)
                self.current = None
                deadline = time.monotonic() + CLEANUP_TIMEOUT

    def _timed_out(self) -> bool:
        self.proc.kill()
        if self.current is None:
            self.out.fatal = (f"the {self.stack} child stopped answering between programs" if self.ready else
                              f"importing the {self.stack} stack took over {self.import_timeout:.0f} s")
            return False
        job = self.remaining.pop(self.current)
        self.out.results[job.id] = {"outcome": "timeout", "detail": f"timed out after {job.timeout:g} s"}
        return True

    def _exited(self) -> bool:
        rc = self.proc.wait()
        if self.current is not None:
            del self.remaining[self.current]
            self.out.results[self.current] = {"outcome": "crashed",
                                              "detail": f"the child process died (exit code {rc}): {_tail(self.err)}"}
            return True
        if not self.remaining:
            return True
        when = "between programs" if self.ready else "before the stack was imported"
        self.out.fatal = f"the {self.stack} child exited ({rc}) {when}: {_tail(self.err, 1)}"
        return False


def run_all(batches: List[Batch], workers: int = 2) -> List[BatchResult]:
    """Batches run concurrently, at most ``workers`` children at a time (2 cores)."""
    if not batches:
        return []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(run_batch, batches))
