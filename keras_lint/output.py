"""Output formats: text, json, sarif, github; plus --statistics."""
from __future__ import annotations

import json
from collections import Counter
from typing import Dict, List, Sequence, TextIO, Type

from . import __version__
from .engine import Diagnostic
from .rule import SAFE, Rule

FORMATS = ("text", "full", "json", "sarif", "github")
INFO_URI = "https://pypi.org/project/keras-lint/"


def fixable(diag: Diagnostic, unsafe_fixes: bool) -> bool:
    return diag.fix_safety == SAFE or (diag.fix_safety is not None and unsafe_fixes)


def as_json(diags: Sequence[Diagnostic]) -> List[dict]:
    return [
        {
            "path": d.path,
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


def as_sarif(diags: Sequence[Diagnostic], rules: Dict[str, Type[Rule]]) -> dict:
    used = sorted({d.code for d in diags} | set(rules))
    index = {code: i for i, code in enumerate(used)}
    rule_objs = []
    for code in used:
        rule = rules[code]
        rule_objs.append({
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": rule.doc_sections().get("What it does", rule.summary())},
            "help": {"text": rule.docs(), "markdown": rule.docs()},
            "defaultConfiguration": {"level": "error", "enabled": bool(rule.default_enabled)},
        })
    results = []
    for d in diags:
        if d.fix_applied:
            continue
        result = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error",
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": d.path.replace("\\", "/")},
                    "region": {"startLine": d.line, "startColumn": d.column,
                               "endLine": d.end_line, "endColumn": d.end_column},
                }
            }],
        }
        if d.related is not None:  # KL101: the layer or model that consumes the op's result
            result["relatedLocations"] = [{
                "id": 1,
                "physicalLocation": {"artifactLocation": {"uri": d.related[0].replace("\\", "/")},
                                     "region": {"startLine": d.related[1]}},
                "message": {"text": d.related[2]},
            }]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "keras-lint", "version": __version__, "informationUri": INFO_URI,
                                "rules": rule_objs}},
            "results": results,
        }],
    }


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def write(fmt: str, diags: Sequence[Diagnostic], out: TextIO, rules: Dict[str, Type[Rule]],
          unsafe_fixes: bool, fix_mode: bool, with_summary: bool = True, sources=None) -> None:
    """``sources``: path -> bytes already in hand (stdin), for the ``full`` format's snippets."""
    remaining = [d for d in diags if not d.fix_applied]
    if fmt == "json":
        json.dump(as_json(diags), out, indent=2)
        out.write("\n")
    elif fmt == "sarif":
        json.dump(as_sarif(diags, rules), out, indent=2)
        out.write("\n")
    elif fmt == "github":
        for d in remaining:
            title = _gh_escape(f"keras-lint ({d.code})", prop=True)
            out.write(f"::error title={title},file={_gh_escape(d.path, True)},line={d.line},col={d.column},"
                      f"endLine={d.end_line},endColumn={d.end_column}::{_gh_escape(f'{d.code} {d.message}')}\n")
    else:  # text, full
        from .textfull import read_lines, write_text

        write_text(remaining, out, lambda d: fixable(d, unsafe_fixes), fmt == "full",
                   lambda path: read_lines(path, (sources or {}).get(path)))
        if with_summary:  # --quiet: the findings only
            out.write(summary(diags, unsafe_fixes, fix_mode) + "\n")


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
    return line + "."


def statistics(diags: Sequence[Diagnostic], rules: Dict[str, Type[Rule]], unsafe_fixes: bool, out: TextIO) -> None:
    remaining = [d for d in diags if not d.fix_applied]
    counts = Counter(d.code for d in remaining)
    fixable_codes = {d.code for d in remaining if fixable(d, unsafe_fixes)}
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if code in fixable_codes else "[ ]"
        out.write(f"{count:>5}\t{code}\t{mark} {rules[code].name}\n")
