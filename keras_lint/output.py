"""Output formats: text, json, sarif, github; and --statistics, in the run's format.

Every format carries the same findings, KL001 (files that could not be linted) included. With
``--statistics`` the text format prints only the table (as ruff does), json prints the statistics
as JSON instead of the findings, and sarif and github keep their output intact on stdout and
print the table on stderr.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple, Type

from . import sarif, unlintable
from .engine import Diagnostic, Settings
from .rule import SAFE, Rule

FORMATS = ("text", "full", "json", "sarif", "github")
GITHUB_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


@dataclass
class Run:
    """What one run found, for the formats."""

    diagnostics: List[Diagnostic]  # sorted; fixed ones (fix_applied) included; KL001 included
    unsafe_fixes: bool = False
    fix_mode: bool = False
    # files that could not be linted (level "error") or whose fix was not written ("warning")
    problems: List[Tuple[str, str, str]] = field(default_factory=list)
    root: str = "."  # %SRCROOT% for SARIF
    sources: Dict[str, bytes] = field(default_factory=dict)  # contents not on disk (stdin)
    settings_for: Optional[Callable[[str], Settings]] = None  # SARIF fixes
    exit_code: Optional[int] = None
    with_summary: bool = True  # --quiet: the findings only

    @property
    def remaining(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if not d.fix_applied]


def fixable(diag: Diagnostic, unsafe_fixes: bool) -> bool:
    return diag.fix_safety == SAFE or (diag.fix_safety is not None and unsafe_fixes)


def name_of(code: str, rules: Dict[str, Type[Rule]]) -> str:
    rule = rules.get(code)
    return rule.name if rule is not None else unlintable.NAME if code == unlintable.CODE else code


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), 127]}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


def printable(path: str) -> str:
    """A file name on one line: control characters (a newline in a name could forge a line, or
    a workflow command in a CI log) are shown as escapes."""
    return path.translate(_CONTROL)


def error_line(path: str, reason: str, fmt: str) -> str:
    """The stderr line for a file keras-lint could not lint or fix: ``path: error: reason``,
    escaped as workflow-command data in the github format (the runner reads stderr too)."""
    if fmt == "github":
        return github_escape(f"{path}: error: {reason}")
    return f"{printable(path)}: error: {reason}"


def where(d: Diagnostic) -> str:
    """``path:line:col`` or, in a notebook, ``path:cell N:line:col``."""
    cell = f"cell {d.cell}:" if d.cell is not None else ""
    return f"{printable(d.path)}:{cell}{d.line}:{d.column}"


def as_json(diags: Sequence[Diagnostic]) -> List[dict]:
    return [
        {
            "path": d.path,
            "cell": d.cell,
            "line": d.line,
            "column": d.column,
            "end_line": d.end_line,
            "end_column": d.end_column,
            "code": d.code,
            "message": d.message,
            "fix": None if d.fix_safety is None else {"safety": d.fix_safety, "applied": d.fix_applied},
        }
        for d in diags
    ]


def github_escape(text: str, prop: bool = False) -> str:
    """Workflow-command escaping: data escapes %, CR, LF; properties also ':' and ','
    (a file name with a newline or a comma cannot inject a second command)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(run: Run, rules: Dict[str, Type[Rule]], out: TextIO) -> None:
    sources = sarif.Sources(run.sources)
    for d in run.remaining:
        command = GITHUB_COMMAND[sarif.level(rules.get(d.code))]
        region = sarif.region(d, sources)  # in a notebook: where the cell's text sits in the file
        where_ = f",line={region['startLine']},col={region['startColumn']}"
        if "endLine" in region:
            where_ += f",endLine={region['endLine']},endColumn={region['endColumn']}"
        cell = f" (cell {d.cell}, line {d.line})" if d.cell is not None else ""
        title = github_escape(f"keras-lint ({d.code})", prop=True)
        out.write(f"::{command} title={title},file={github_escape(d.path, True)}{where_}::"
                  f"{github_escape(f'{d.code}{cell} {d.message}')}\n")


def _text(run: Run, out: TextIO, full: bool) -> None:
    """text and full (textfull.py); a notebook finding's snippet is its cell's line."""
    from .textfull import read_lines, write_text

    cells = sarif.Sources(run.sources)

    def lines(d: Diagnostic) -> Optional[List[str]]:
        if d.cell is not None:
            return cells.lines(d.path, d.cell)
        return read_lines(d.path, run.sources.get(d.path))

    write_text(run.remaining, out, lambda d: fixable(d, run.unsafe_fixes), full, lines)
    if run.with_summary:
        out.write(summary(run.diagnostics, run.unsafe_fixes, run.fix_mode) + "\n")


def write(fmt: str, run: Run, out: TextIO, rules: Dict[str, Type[Rule]], statistics: bool = False,
          err: Optional[TextIO] = None) -> None:
    """The findings in ``fmt`` on ``out``; with ``statistics``, the table in that format (text,
    json) or on ``err`` (sarif, github: their stdout stays what its reader parses)."""
    err = err or sys.stderr
    if fmt == "json":
        data = statistics_json(run.diagnostics, rules, run.unsafe_fixes) if statistics else as_json(run.diagnostics)
        json.dump(data, out, indent=2)
        out.write("\n")
        return
    if fmt in ("text", "full"):
        if statistics:
            statistics_table(run.diagnostics, rules, run.unsafe_fixes, out)
        else:
            _text(run, out, fmt == "full")
        return
    if fmt == "sarif":
        json.dump(sarif.log(run.diagnostics, rules, root=run.root, problems=run.problems, sources=run.sources,
                            settings_for=run.settings_for, exit_code=run.exit_code), out, indent=2)
        out.write("\n")
    elif fmt == "github":
        _github(run, rules, out)
    if statistics:
        statistics_table(run.diagnostics, rules, run.unsafe_fixes, err)


def summary(diags: Sequence[Diagnostic], unsafe_fixes: bool, fix_mode: bool) -> str:
    remaining = [d for d in diags if not d.fix_applied]
    fixed = len(diags) - len(remaining)
    n = len(remaining)
    parts = [f"{n} problem{'' if n == 1 else 's'}"]
    can_fix = sum(fixable(d, unsafe_fixes) for d in remaining)
    hidden = sum(d.fix_safety is not None and not fixable(d, unsafe_fixes) for d in remaining)
    if fix_mode:
        parts.insert(0, f"Fixed {fixed} problem{'' if fixed == 1 else 's'}")
        line = ", ".join(parts) + " remaining"
    else:
        line = parts[0] + (f", {can_fix} fixable with --fix" if can_fix else "")
    if hidden:
        line += f" ({hidden} more fixable with --unsafe-fixes)"
    unlinted = sum(d.code == unlintable.CODE for d in remaining)
    if unlinted:
        line += f" ({unlinted} not linted: KL001)"
    return line + "."


def _counts(diags: Sequence[Diagnostic], unsafe_fixes: bool) -> List[Tuple[str, int, bool]]:
    remaining = [d for d in diags if not d.fix_applied]
    counts = Counter(d.code for d in remaining)
    fixable_codes = {d.code for d in remaining if fixable(d, unsafe_fixes)}
    return [(code, n, code in fixable_codes) for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def statistics_table(diags: Sequence[Diagnostic], rules: Dict[str, Type[Rule]], unsafe_fixes: bool,
                     out: TextIO) -> None:
    for code, count, can_fix in _counts(diags, unsafe_fixes):
        out.write(f"{count:>5}\t{code}\t{'[*]' if can_fix else '[ ]'} {name_of(code, rules)}\n")


def statistics_json(diags: Sequence[Diagnostic], rules: Dict[str, Type[Rule]], unsafe_fixes: bool) -> List[dict]:
    return [{"code": code, "name": name_of(code, rules), "count": count, "fixable": can_fix}
            for code, count, can_fix in _counts(diags, unsafe_fixes)]
