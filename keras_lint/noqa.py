"""``keras-lint --add-noqa``: append ``# noqa: CODE`` to every line that has a finding.

Idempotent (a suppressed finding is not reported again, so a second run adds nothing). KL002's
findings (unused noqa codes) get none: hiding a stale code would defeat the rule. A code is
added to an existing ``# noqa: ...`` list rather than a second comment. A line whose end is not
code (it ends inside a multi-line string, or continues with a backslash) cannot carry a comment:
it is left alone and named on stderr. Files are rewritten atomically, bytes outside the added
comments unchanged.
"""
from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from typing import Dict, List, Sequence, Set, Tuple

from .engine import NOQA_RE, lint_source
from .files import WriteError, read, write_atomically
from .rules.unused_noqa import CODE as UNUSED_NOQA

LINE_END = re.compile(r"\r\n|\r|\n")


def _comment_lines(text: str) -> Set[int]:
    """1-based lines whose end is outside any string: those a comment may be appended to."""
    ok: Set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                ok.add(tok.start[0])
            elif tok.type == tokenize.ENDMARKER and not text.endswith(("\n", "\r")):
                ok.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError):
        return set()
    return ok


def _with_codes(line: str, codes: Sequence[str]) -> str:
    body = line.rstrip(" \t")
    match = NOQA_RE.search(body)
    if match and match.group("codes"):
        present = re.split(r"[,\s]+", match.group("codes").strip())
        new = [c for c in codes if c not in present]
        return body[:match.end("codes")].rstrip(", ") + "".join(f", {c}" for c in new) + body[match.end("codes"):]
    return f"{body}  # noqa: {', '.join(codes)}"


def add_to_source(text: str, wanted: Dict[int, List[str]]) -> Tuple[str, int, List[int]]:
    """``text`` with the codes of ``wanted`` (line -> codes) appended; the number added and the
    lines that could not take a comment."""
    allowed = _comment_lines(text)
    parts = LINE_END.split(text)
    ends = LINE_END.findall(text)
    added, refused = 0, []
    for line, codes in sorted(wanted.items()):
        if line not in allowed or line > len(parts):
            refused.append(line)
            continue
        parts[line - 1] = _with_codes(parts[line - 1], sorted(set(codes)))
        added += 1
    out = "".join(p + e for p, e in zip(parts, ends + [""]))
    return out, added, refused


def add_noqa(jobs: Sequence) -> int:
    """``jobs``: the CLI's check jobs (path and settings). Exit status: 0, or 1 if a file failed."""
    total, failed = 0, False
    for job in jobs:
        source, error = read(job.path)
        if error is not None or source is None:
            print(f"{job.path}: error: {error}", file=sys.stderr)
            failed = True
            continue
        result = lint_source(source, job.path, job.settings)
        if result.error:
            print(f"{job.path}: error: {result.error}", file=sys.stderr)
            failed = True
            continue
        if not result.diagnostics:
            continue
        encoding = _encoding(source)
        text = source.decode(encoding)
        wanted: Dict[int, List[str]] = {}
        for d in result.diagnostics:
            if d.code == UNUSED_NOQA:
                continue
            wanted.setdefault(d.line, []).append(d.code)
        new_text, added, refused = add_to_source(text, wanted)
        for line in refused:
            print(f"{job.path}:{line}: cannot add # noqa: the line ends inside a string or continues "
                  "with a backslash", file=sys.stderr)
        if not added:
            continue
        new = new_text.encode(encoding)
        try:
            ast.parse(new, job.path)
            write_atomically(job.path, new, expected=source)
        except (SyntaxError, ValueError) as exc:
            print(f"{job.path}: error: adding # noqa would break the file ({exc}); not written", file=sys.stderr)
            failed = True
            continue
        except WriteError as exc:
            print(f"{job.path}: error: {exc}", file=sys.stderr)
            failed = True
            continue
        total += added
    print(f"Added {total} noqa directive{'' if total == 1 else 's'}.", file=sys.stderr)
    return 1 if failed else 0


def _encoding(source: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        return "utf-8"
    return encoding

