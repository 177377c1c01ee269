"""Putting it together: which fixtures to run, the jobs for the children, and the verdict per
(rule, stack): proven, not-reproducible (honestly marked), or FAILED."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..registry import all_rules
from .checks import Check, lint_check, make_fixed
from .fixtures import FAILS, NOT_REPRODUCIBLE, Fixture, StackExpect, rule_of
from .runner import Batch, Job, run_all

PROVEN, MARKED, FAILED = "proven", "not-reproducible", "FAILED"
CHECKS = ("bad", "good", "fixed", "lint")


@dataclass
class Row:
    code: str
    stack: str
    bad: Check = field(default_factory=lambda: Check(None))
    good: Check = field(default_factory=lambda: Check(None))
    fixed: Check = field(default_factory=lambda: Check(None))
    lint: Check = field(default_factory=lambda: Check(None))
    problems: List[str] = field(default_factory=list)  # the fixture itself is wrong or missing
    marked: bool = False
    reason: Optional[str] = None

    @property
    def status(self) -> str:
        if self.problems or any(getattr(self, c).ok is False for c in CHECKS):
            return FAILED
        if self.bad.ok is None or self.good.ok is None or self.lint.ok is None:
            return FAILED  # a check that never ran proves nothing
        return MARKED if self.marked else PROVEN

    def failures(self) -> List[str]:
        out = list(self.problems)
        out += [f"{c}: {getattr(self, c).detail}" for c in CHECKS if getattr(self, c).ok is False]
        if not out:
            out += [f"{c}: not run" for c in ("bad", "good", "lint") if getattr(self, c).ok is None]
        return out


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _describe(res: dict) -> str:
    where = f" (line {res['line']})" if res.get("line") else ""
    return f"{res['exc_mro'][0]}: {_first_line(res['exc_msg'])}{where}"


def _not_run(res: Optional[dict], fatal: Optional[str]) -> Optional[Check]:
    if res is None:
        return Check(False, f"not run: {fatal or 'the child stopped early'}")
    if res["outcome"] in ("timeout", "crashed"):
        return Check(False, res["detail"])
    return None


def judge_bad(exp: StackExpect, res: Optional[dict], fatal: Optional[str] = None) -> Check:
    early = _not_run(res, fatal)
    if early:
        return early
    if exp.status == FAILS:
        if res["outcome"] == "completed":
            return Check(False, f"ran to completion; expected {exp.raises} matching {exp.match!r}")
        if exp.raises not in res["exc_mro"] + res["exc_qualnames"]:
            return Check(False, f"raised {_describe(res)}; expected {exp.raises}")
        if not re.search(exp.match, res["exc_msg"]):
            return Check(False, f"raised {_describe(res)}; message does not match {exp.match!r}")
        return Check(True, f"raised {_describe(res)}")
    # not reproducible: the program must run, and show the evidence if one is named
    if res["outcome"] == "raised":
        return Check(False, f"marked not reproducible but raised {_describe(res)}")
    if exp.evidence:
        m = re.search(exp.evidence, res["stdout"], re.MULTILINE)
        if m is None:
            shown = _first_line(res["stdout"]) or "(none)"
            return Check(False, f"evidence {exp.evidence!r} not in its output: {shown}")
        return Check(True, f"runs; evidence: {_first_line(m.group(0))}")
    return Check(True, "runs (no evidence measured)")


def judge_runs(res: Optional[dict], fatal: Optional[str] = None) -> Check:
    early = _not_run(res, fatal)
    if early:
        return early
    if res["outcome"] == "raised":
        return Check(False, f"raised {_describe(res)}")
    return Check(True, f"ran in {res['seconds']:.2f} s")


def _guarded(what: str, check, *args, pair: bool = False):
    """A rule that crashes keras-lint fails its own row, not the whole run."""
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001
        failed = Check(False, f"keras-lint crashed while {what}: {type(exc).__name__}: {_first_line(str(exc))}")
        return (failed, None) if pair else failed


@dataclass
class Verification:
    rows: List[Row]
    versions: Dict[str, dict]
    fatal: Dict[str, str]


Wire = Tuple[Row, str, str, Callable[[Optional[dict], Optional[str]], Check]]  # row, check, job id, judge


def _plan(row: Row, fixture: Optional[Fixture], tmp: Path,
          timeout: Optional[float]) -> Tuple[List[Job], List[Wire], bool]:
    """Static checks now (no TensorFlow); the programs to run later, and how to judge them."""
    code, stack = rule_of(row.code), row.stack
    if fixture is None:
        row.problems.append("no fixture" if code in all_rules() else "no fixture and no rule")
        return [], [], False
    row.problems += fixture.problems
    exp = fixture.stacks.get(stack)
    if exp is None:
        if not fixture.problems:
            row.problems.append(f"expect.toml has no [{stack}] table")
        return [], [], False
    row.problems += exp.problems
    row.marked, row.reason = exp.status == NOT_REPRODUCIBLE, exp.reason
    if not (exp.bad.is_file() and exp.good.is_file()):
        return [], [], False
    row.lint = _guarded("linting", lint_check, code, exp)
    row.fixed, fixed_path = _guarded("fixing", make_fixed, code, exp, tmp, pair=True)
    limit = timeout or exp.timeout
    programs = [("bad", exp.bad, lambda r, f: judge_bad(exp, r, f)), ("good", exp.good, judge_runs)]
    if fixed_path is not None:
        programs.append(("fixed", fixed_path, judge_runs))
    jobs = [Job(f"{row.code}/{stack}/{check}", path, limit) for check, path, _ in programs]
    wires = [(row, check, job.id, judge) for (check, _, judge), job in zip(programs, jobs)]
    return jobs, wires, exp.isolated


def verify(fixtures: Dict[str, Fixture], codes: Sequence[str], stacks: Sequence[str],
           timeout: Optional[float] = None, workers: int = 2) -> Verification:
    rows: List[Row] = []
    shared: Dict[str, List[Job]] = {s: [] for s in stacks}  # one child per stack...
    isolated: List[Batch] = []  # ...plus one per isolated fixture
    wires: List[Wire] = []
    with tempfile.TemporaryDirectory(prefix="kl-fixed-") as tmp:
        for code in codes:
            for stack in stacks:
                row = Row(code, stack)
                rows.append(row)
                jobs, row_wires, own_process = _plan(row, fixtures.get(code), Path(tmp), timeout)
                wires += row_wires
                if own_process and jobs:
                    isolated.append(Batch(stack, jobs))
                else:
                    shared[stack] += jobs
        batches = [Batch(s, j) for s, j in shared.items() if j] + isolated
        results = run_all(batches, workers=workers)  # fixed copies live in tmp until here
    by_id: Dict[str, dict] = {}
    fatal_of: Dict[str, Optional[str]] = {}
    versions: Dict[str, dict] = {}
    fatal: Dict[str, str] = {}
    for batch, res in zip(batches, results):
        by_id.update(res.results)
        fatal_of.update((job.id, res.fatal) for job in batch.jobs)
        if res.versions:
            versions.setdefault(res.stack, res.versions)
        if res.fatal:
            fatal.setdefault(res.stack, res.fatal)
    for row, check, job_id, judge in wires:
        res = by_id.get(job_id)
        setattr(row, check, judge(res, fatal_of.get(job_id)))
        if res and res.get("cleanup_error"):  # state may leak into the next fixture
            row.problems.append(f"{check}: clear_session afterwards failed: {res['cleanup_error']}")
    return Verification(rows, versions, fatal)
