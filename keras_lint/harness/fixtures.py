"""Loading ``fixtures/KLxxx/expect.toml`` and the ``# expect:`` markers of the fixture programs.

Format: fixtures/README.md. A malformed fixture does not raise: it loads with ``problems`` set,
and the harness reports those as failures of that rule.
"""
from __future__ import annotations

import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Set

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STACKS = ("keras3", "tf-keras")
FAILS = "fails"
NOT_REPRODUCIBLE = "not-reproducible"
DEFAULT_TIMEOUT = 30.0  # seconds per program run; fixtures take well under one

# KLxxx, or KLxxx-<variant> for a rule proven on several programs (KL406-moved-module)
FOLDER_RE = re.compile(r"^KL[0-9]{3}(-[a-z0-9]+)*$")
EXPECT_RE = re.compile(r"#\s*expect:\s*(KL[0-9]{3}(?:\s*,\s*KL[0-9]{3})*)")
STACK_KEYS = {"bad", "good", "status", "raises", "match", "reason", "evidence", "fix", "fix_reason",
              "isolated", "target", "timeout"}


@dataclass
class StackExpect:
    stack: str
    bad: Path
    good: Path
    status: str = FAILS
    raises: Optional[str] = None
    match: Optional[str] = None
    reason: Optional[str] = None
    evidence: Optional[str] = None
    fix: bool = True
    fix_reason: Optional[str] = None
    isolated: bool = False
    target: str = ""
    timeout: float = DEFAULT_TIMEOUT
    problems: List[str] = field(default_factory=list)


@dataclass
class Fixture:
    code: str  # the folder's name: the rule code, or the code and a variant (KL403-notebook)
    folder: Path
    stacks: Dict[str, StackExpect] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)  # problems of the whole fixture


def rule_of(fixture_name: str) -> str:
    """``KL406-moved-module`` -> ``KL406``."""
    return fixture_name.split("-", 1)[0]


def discover(root: Path) -> Dict[str, Fixture]:
    """Every ``KLxxx`` folder under ``root``, loaded, by code."""
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_RE.match(p.name)):
        found[folder.name] = load(folder)
    return found


def load(folder: Path) -> Fixture:
    fixture = Fixture(folder.name, folder)
    expect_file = folder / "expect.toml"
    if not expect_file.is_file():
        fixture.problems.append("no expect.toml")
        return fixture
    try:
        data = tomllib.loads(expect_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        fixture.problems.append(f"expect.toml does not parse: {exc}")
        return fixture
    rule = data.pop("rule", None)
    if rule != rule_of(folder.name):
        fixture.problems.append(f"expect.toml says rule = {rule!r}, folder is {folder.name}")
    for key in data:
        if key not in STACKS:
            fixture.problems.append(f"expect.toml: unknown key or stack {key!r} (stacks: {', '.join(STACKS)})")
    for stack in STACKS:
        table = data.get(stack)
        if table is None:
            continue  # reported on that stack's row only: `--stack keras3` need not see it
        if not isinstance(table, dict):
            fixture.problems.append(f"expect.toml: {stack} must be a [{stack}] table")
            continue
        fixture.stacks[stack] = _stack_expect(folder, stack, table)
    return fixture


def _stack_expect(folder: Path, stack: str, table: dict) -> StackExpect:
    exp = StackExpect(stack, folder / str(table.get("bad", "bad.py")), folder / str(table.get("good", "good.py")))
    problems = exp.problems
    for key in table:
        if key not in STACK_KEYS:
            problems.append(f"[{stack}]: unknown key {key!r}")
    exp.status = table.get("status", FAILS)
    exp.raises, exp.match = table.get("raises"), table.get("match")
    exp.reason, exp.evidence = table.get("reason"), table.get("evidence")
    exp.fix = table.get("fix", True)
    exp.fix_reason = table.get("fix_reason")
    exp.isolated = table.get("isolated", False)
    exp.target = table.get("target", stack)
    exp.timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if exp.status == FAILS:
        if not exp.raises or not exp.match:
            problems.append(f"[{stack}]: a failing stack needs both `raises` and `match`")
        if exp.evidence or exp.reason:
            problems.append(f"[{stack}]: `reason`/`evidence` belong to status = \"{NOT_REPRODUCIBLE}\"")
    elif exp.status == NOT_REPRODUCIBLE:
        if not exp.reason:
            problems.append(f"[{stack}]: status = \"{NOT_REPRODUCIBLE}\" needs a `reason`")
        if exp.raises or exp.match:
            problems.append(f"[{stack}]: a not-reproducible stack cannot expect `raises`/`match`")
    else:
        problems.append(f"[{stack}]: status must be \"{FAILS}\" or \"{NOT_REPRODUCIBLE}\", not {exp.status!r}")
    for key in ("match", "evidence"):
        pattern = table.get(key)
        if pattern is not None:
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                problems.append(f"[{stack}]: `{key}` is not a valid regex: {exc}")
    if not isinstance(exp.fix, bool) or not isinstance(exp.isolated, bool):
        problems.append(f"[{stack}]: `fix` and `isolated` are true/false")
    if exp.fix is False and not exp.fix_reason:
        problems.append(f"[{stack}]: `fix = false` needs a `fix_reason`")
    if exp.target not in STACKS:
        problems.append(f"[{stack}]: target must be one of {', '.join(STACKS)}, not {exp.target!r}")
    if not isinstance(exp.timeout, (int, float)) or exp.timeout <= 0:
        problems.append(f"[{stack}]: `timeout` is a positive number of seconds")
        exp.timeout = DEFAULT_TIMEOUT
    for path in (exp.bad, exp.good):
        if not path.is_file():
            problems.append(f"[{stack}]: {path.name} does not exist")
    return exp


def expected_lines(source: bytes, notebook: bool = False) -> Dict[str, Set]:
    """Lines carrying ``# expect: KLxxx[, KLyyy]``, by code. Real comments only (not strings).
    In a notebook, (cell, line) pairs: the comments of each code cell (magics masked)."""
    if notebook:
        from ..notebooks import read

        out: Dict[str, Set] = {}
        for cell in read(source, "notebook").cells:
            for code, lines in expected_lines(cell.code.encode("utf-8")).items():
                out.setdefault(code, set()).update((cell.number, line) for line in lines)
        return out
    found: Dict[str, Set] = {}
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return found
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = EXPECT_RE.search(tok.string)
        if m:
            for code in re.split(r"\s*,\s*", m.group(1)):
                found.setdefault(code, set()).add(tok.start[0])
    return found
