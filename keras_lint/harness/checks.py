"""The static half of a fixture check, done in the parent (no TensorFlow): keras-lint must report
exactly the ``# expect:`` lines on ``bad`` and nothing on ``good``, and ``--fix --unsafe-fixes``
must produce a program (written to a temp copy of the fixture folder, run later by the child)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from ..engine import Settings
from ..notebooks import fix_file, is_notebook, lint_file
from ..registry import all_rules, enabled_rules
from .fixtures import NOT_REPRODUCIBLE, StackExpect, expected_lines


@dataclass
class Check:
    ok: Optional[bool]  # None: not applicable
    detail: str = ""


def _settings(code: str, target: str, unsafe: bool = False) -> Settings:
    return Settings(enabled_rules(select=[code], target=target), target=target, unsafe_fixes=unsafe)


def _fmt(lines) -> str:
    return "[" + ", ".join(str(n) for n in sorted(lines)) + "]"


def lint_check(code: str, exp: StackExpect) -> Check:
    if code not in all_rules():
        return Check(False, f"{code} is not a registered rule")
    problems: List[str] = []
    bad = exp.bad.read_bytes()
    notebook = is_notebook(exp.bad.name)
    wanted = expected_lines(bad, notebook)
    # A stack where the failure is not reproducible may expect the rule to stay silent there
    # (e.g. KL101 on a tf_keras file, which is judged against tf-keras): no expect line then.
    if not wanted.get(code) and exp.status != NOT_REPRODUCIBLE:
        problems.append(f"{exp.bad.name} has no `# expect: {code}` line")
    # every registered code the file names is checked, the fixture's own rule always
    for other in sorted(set(wanted) | {code}):
        if other not in all_rules():
            continue
        result = lint_file(bad, str(exp.bad), _settings(other, exp.target))
        if result.error:
            problems.append(f"{exp.bad.name}: keras-lint could not lint it: {result.error}")
            break
        got = {(d.cell, d.line) if notebook else d.line for d in result.diagnostics if d.code == other}
        if got != wanted.get(other, set()):
            problems.append(f"{exp.bad.name}: {other} reported on lines {_fmt(got)}, "
                            f"expected {_fmt(wanted.get(other, ()))}")
    good = lint_file(exp.good.read_bytes(), str(exp.good), _settings(code, exp.target))
    if good.error:
        problems.append(f"{exp.good.name}: keras-lint could not lint it: {good.error}")
    elif good.diagnostics:
        found = ", ".join(f"{d.code} line {d.line}" + (f" of cell {d.cell}" if d.cell else "") for d in good.diagnostics)
        problems.append(f"{exp.good.name}: expected no finding, got {found}")
    if problems:
        return Check(False, "; ".join(problems))
    if not wanted.get(code):
        return Check(True, f"{code} silent on {exp.bad.name}, as expected on this stack; {exp.good.name} clean")
    return Check(True, f"{code} on lines {_fmt(wanted[code])} of {exp.bad.name}; {exp.good.name} clean")


def make_fixed(code: str, exp: StackExpect, workdir: Path) -> "tuple[Check, Optional[Path]]":
    """Apply the rule's fixes to a copy of the fixture folder; the path of the fixed ``bad``, or
    a failed/n.a. check. Whether it runs is decided later, in the child."""
    rule = all_rules().get(code)
    if rule is None:
        return Check(None, "rule not registered"), None
    if rule.fix_safety is None:
        return Check(None, "the rule has no fix"), None
    if not exp.fix:
        return Check(None, f"fix not expected to run here: {exp.fix_reason}"), None
    result = fix_file(exp.bad.read_bytes(), str(exp.bad), _settings(code, exp.target, unsafe=True))
    if result.error:
        return Check(False, f"--fix failed: {result.error}"), None
    if result.fixed_source is None:
        return Check(False, f"--fix --unsafe-fixes changed nothing in {exp.bad.name}"), None
    copy = workdir / f"{exp.bad.parent.name}-{exp.stack}"
    shutil.copytree(exp.bad.parent, copy)
    fixed = copy / exp.bad.name
    fixed.write_bytes(result.fixed_source)
    return Check(None, "pending"), fixed
