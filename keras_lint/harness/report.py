"""The verify report: a table per verdict (proven, marked not reproducible, FAILED), or JSON."""
from __future__ import annotations

import json
from typing import Dict, List, Tuple

from .verify import CHECKS, FAILED, MARKED, PROVEN, Row, Verification

HEADERS = ("rule", "stack", "bad fails as documented", "good runs", "fixed runs", "lint agrees", "status")


def _cell(row: Row, check: str) -> str:
    ok = getattr(row, check).ok
    if ok is None:  # "n/a": there is nothing to check (no fix); "-": never got that far
        return "n/a" if getattr(row, check).detail else "-"
    if not ok:
        return "NO"
    return "marked" if check == "bad" and row.marked else "yes"


def _table(rows: List[Row]) -> List[str]:
    cells = [HEADERS] + [(r.code, r.stack, *(_cell(r, c) for c in CHECKS), r.status) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]


def _versions(v: Verification) -> str:
    parts = []
    for stack, versions in sorted(v.versions.items()):
        parts.append(f"{stack}: " + ", ".join(f"{k} {val}" for k, val in versions.items()))
    return "; ".join(parts)


# The stacks the facts were measured on (pyproject's `harness` extra pins them).
PINNED = {"tensorflow": "2.21.0", "keras": "3.15.1", "tf_keras": "2.21.0"}


def off_pin(v: Verification) -> List[str]:
    seen = {k: val for versions in v.versions.values() for k, val in versions.items()}
    return [f"{k} {seen[k]} (pinned {pin})" for k, pin in PINNED.items() if k in seen and seen[k] != pin]


def render_text(v: Verification, seconds: float) -> str:
    out = [f"keras-lint verify ({_versions(v) or 'no stack ran'})"]
    if off_pin(v):
        out.append("note: not the pinned stack, results may differ: " + ", ".join(off_pin(v)))
    out.append("")
    groups = {s: [r for r in v.rows if r.status == s] for s in (PROVEN, MARKED, FAILED)}
    if groups[PROVEN]:
        out += ["Proven: the documented failure reproduces, the good and fixed programs run",
                *_table(groups[PROVEN]), ""]
    if groups[MARKED]:
        out += ["Documented failure NOT reproducible here (honestly marked, not proven)", *_table(groups[MARKED])]
        for r in groups[MARKED]:
            out.append(f"  {r.code} {r.stack}: {r.reason}")
            out.append(f"      measured instead: {r.bad.detail}")
        out.append("")
    if groups[FAILED]:
        out += ["FAILED", *_table(groups[FAILED])]
        reasons: Dict[Tuple[str, str], List[str]] = {}  # the same reason on both stacks is shown once
        for r in groups[FAILED]:
            for why in r.failures():
                reasons.setdefault((r.code, why), []).append(r.stack)
        out += [f"  {code} {'/'.join(stacks)}: {why}" for (code, why), stacks in reasons.items()]
        out.append("")
    out.append(f"{len(groups[PROVEN])} proven, {len(groups[MARKED])} marked not reproducible, "
               f"{len(groups[FAILED])} failed ({len(v.rows)} rule/stack pairs) in {seconds:.1f} s")
    return "\n".join(out)


def as_data(v: Verification, seconds: float) -> dict:
    rows = []
    for r in v.rows:
        rows.append({
            "rule": r.code,
            "stack": r.stack,
            "status": r.status,
            "checks": {c: {"ok": getattr(r, c).ok, "detail": getattr(r, c).detail} for c in CHECKS},
            "reason": r.reason if r.marked else None,
            "failures": r.failures() if r.status == FAILED else [],
        })
    counts = {s: sum(1 for r in v.rows if r.status == s) for s in (PROVEN, MARKED, FAILED)}
    return {"ok": counts[FAILED] == 0, "counts": counts, "seconds": round(seconds, 2),
            "versions": v.versions, "off_pin": off_pin(v), "results": rows}


def render_json(v: Verification, seconds: float) -> str:
    return json.dumps(as_data(v, seconds), indent=2)
