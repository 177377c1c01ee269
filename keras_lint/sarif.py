"""SARIF 2.1.0 output, as GitHub code scanning documents it: rules with a sentence for a title and
a help page, results with a level per rule, stable ``partialFingerprints`` and fixes, file URIs
relative to ``%SRCROOT%`` (percent-encoded), and files that could not be linted under
``invocations[].toolExecutionNotifications``. The tests validate it against the OASIS schema."""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Type
from urllib.parse import quote

from . import __version__, unlintable
from .catalog import DOCS_URL
from .engine import Diagnostic, Settings
from .notebooks import is_notebook
from .rule import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/keras-lint/keras-lint"
# Every rule's documentation page (docs/rules/<CODE>.md, generated from the rule's docstring).
HELP_URI = DOCS_URL
# KL001 is no rule of the registry: its documentation is the README's section on it.
UNLINTABLE_HELP_URI = "https://github.com/keras-lint/keras-lint/blob/main/README.md#files-that-cannot-be-linted-kl001"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "kerasLint/v1"  # partialFingerprints key: bump the version if the recipe changes
MAX_FULL_DESCRIPTION = 1024  # GitHub truncates longer ones


# -- rules --------------------------------------------------------------------------------------

def level(rule: Optional[Type[Rule]]) -> str:
    """"error", "warning" or "note": what a rule's finding is (KL001, ``rule`` None, is an error)."""
    if rule is None:
        return "error"
    return getattr(rule, "level", None) or ("error" if rule.default_enabled else "warning")


def _plain(markdown: str) -> str:
    return re.sub(r"\s+", " ", markdown).strip()


def short_description(rule: Type[Rule]) -> str:
    """The first sentence of the rule's "What it does" (never the message template)."""
    what = rule.doc_sections().get("What it does", "") or rule.name.replace("-", " ")
    para = _plain(what.split("\n\n")[0])
    m = re.search(r"(?<!e\.g)(?<!i\.e)\.(?=\s+[A-Z`(])", para)
    sentence = para[: m.start()] if m else para.rstrip(".")
    sentence = sentence.rstrip(":;, ")
    return sentence + "."


def full_description(rule: Type[Rule]) -> str:
    sections = rule.doc_sections()
    text = _plain(" ".join(sections.get(s, "") for s in ("What it does", "Why is this bad?")))
    if len(text) <= MAX_FULL_DESCRIPTION:
        return text
    cut = text[: MAX_FULL_DESCRIPTION - 1]
    end = cut.rfind(". ")
    return (cut[: end + 1] if end > MAX_FULL_DESCRIPTION // 2 else cut.rstrip() + "\u2026")


def _descriptor(rule: Optional[Type[Rule]]) -> dict:
    if rule is None:  # KL001
        return {
            "id": unlintable.CODE, "name": unlintable.NAME,
            "shortDescription": {"text": unlintable.SUMMARY},
            "fullDescription": {"text": full_text(unlintable.DOCS)},
            "help": {"text": unlintable.DOCS, "markdown": unlintable.DOCS},
            "helpUri": UNLINTABLE_HELP_URI,
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["keras-lint"]},
        }
    return {
        "id": rule.code, "name": rule.name,
        "shortDescription": {"text": short_description(rule)},
        "fullDescription": {"text": full_description(rule)},
        "help": {"text": rule.docs(), "markdown": rule.docs()},
        "helpUri": HELP_URI.format(code=rule.code),
        "defaultConfiguration": {"level": level(rule), "enabled": bool(rule.default_enabled)},
        "properties": {"tags": ["keras-lint", "keras", "tensorflow"], "fix": rule.fix_safety or "none"},
    }


def full_text(docs: str) -> str:
    sections = {}
    current = None
    for line in docs.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current:
            sections[current].append(line)
    return _plain(" ".join(" ".join(sections.get(s, [])) for s in ("What it does", "Why is this bad?")))[:MAX_FULL_DESCRIPTION]


# -- locations ----------------------------------------------------------------------------------

def source_root(config_source: Optional[str], cwd: Optional[str] = None) -> str:
    """%SRCROOT%: the directory of the pyproject.toml in use, else the enclosing git checkout,
    else the current directory (so URIs do not depend on where the run starts)."""
    if config_source:
        return str(Path(config_source).resolve().parent)
    here = Path(cwd or os.getcwd()).resolve()
    for directory in [here, *here.parents]:
        if (directory / ".git").exists():
            return str(directory)
    return str(here)


def artifact_location(path: str, root: str) -> dict:
    """A URI relative to %SRCROOT% (percent-encoded, RFC 3986), or an absolute file URI for a
    file outside it."""
    if path == "-":
        return {"uri": "stdin"}
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive (Windows)
        rel = None
    if rel is None or rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return {"uri": _file_uri(full)}
    return {"uri": quote(os.fsencode(rel.replace(os.sep, "/"))), "uriBaseId": SRCROOT}


def _file_uri(path: str) -> str:
    posix = path.replace(os.sep, "/")
    if not posix.startswith("/"):
        posix = "/" + posix  # C:/x -> /C:/x
    return "file://" + quote(os.fsencode(posix))


def root_uri(root: str) -> str:
    uri = _file_uri(root)
    return uri if uri.endswith("/") else uri + "/"


class Sources:
    """File contents read once, for fingerprints and notebook positions (stdin given)."""

    def __init__(self, known: Optional[Dict[str, bytes]] = None) -> None:
        self.known: Dict[str, Optional[bytes]] = dict(known or {})
        self._lines: Dict[Tuple[str, Optional[int]], List[str]] = {}
        self._notebooks: Dict[str, object] = {}

    def raw(self, path: str) -> Optional[bytes]:
        if path not in self.known:
            from .files import read

            data, _ = read(path)
            self.known[path] = data
        return self.known[path]

    def lines(self, path: str, cell: Optional[int]) -> List[str]:
        key = (path, cell)
        if key not in self._lines:
            self._lines[key] = self._read_lines(path, cell)
        return self._lines[key]

    def _read_lines(self, path: str, cell: Optional[int]) -> List[str]:
        data = self.raw(path)
        if data is None:
            return []
        if cell is None:
            return data.decode("utf-8", "replace").splitlines()
        nb = self.notebook(path)
        found = [c for c in getattr(nb, "cells", []) if c.number == cell]
        return found[0].source.splitlines() if found else []

    def notebook(self, path: str):
        if path not in self._notebooks:
            from .notebooks import read as read_notebook

            try:
                self._notebooks[path] = read_notebook(self.raw(path) or b"", path)
            except Exception:  # noqa: BLE001 - changed or unreadable since: no cell positions
                self._notebooks[path] = None
        return self._notebooks[path]


def region(d: Diagnostic, sources: Sources) -> dict:
    if d.cell is None:
        return {"startLine": d.line, "startColumn": d.column, "endLine": d.end_line, "endColumn": d.end_column}
    from .notebooks import file_position

    nb = sources.notebook(d.path)
    if nb is None:
        return {"startLine": 1, "startColumn": 1}
    start = file_position(nb.text, d.cell, d.line, d.column)
    end = file_position(nb.text, d.cell, d.end_line, d.end_column)
    if end < start or end[0] != start[0] and d.end_line == d.line:
        end = start
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def fingerprints(diags: Sequence[Diagnostic], sources: Sources) -> List[str]:
    """Stable across unrelated edits: the code, the finding's source line with all whitespace
    removed, and how many identical (code, line) pairs came before it in the file."""
    seen: Counter = Counter()
    out = []
    for d in diags:
        lines = sources.lines(d.path, d.cell)
        text = lines[d.line - 1] if 0 < d.line <= len(lines) else d.message
        norm = re.sub(r"\s+", "", text)
        key = (d.path, d.code, norm)
        seen[key] += 1
        digest = hashlib.blake2b(f"{d.code}\0{norm}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        out.append(f"{digest}:{seen[key]}")
    return out


# -- fixes --------------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _line_col(starts: List[int], offset: int) -> Tuple[int, int]:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1, offset - starts[lo] + 1


def _longest(same: Callable[[int], bool], limit: int) -> int:
    """The largest k <= limit with same(k) (same is monotone: true up to some k), by bisection."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if same(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _edit(old: str, new: str, starts: List[int]) -> Tuple[dict, str]:
    """The one replacement that turns ``old`` into ``new``: (deleted region, inserted text),
    the common prefix and suffix kept."""
    limit = min(len(old), len(new))
    head = _longest(lambda k: old[:k] == new[:k], limit)  # slices compare in C: notebooks are MBs
    tail = _longest(lambda k: old[len(old) - k:] == new[len(new) - k:], limit - head)
    (sl, sc), (el, ec) = _line_col(starts, head), _line_col(starts, len(old) - tail)
    return {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec}, new[head:len(new) - tail]


def _sarif_fix(safety: str, code: str, region: dict, text: str) -> dict:
    return {
        "description": {"text": f"{'Safe' if safety == 'safe' else 'Unsafe'} fix for {code}"},
        "artifactChanges": [{
            "artifactLocation": {},  # filled in by the caller
            "replacements": [{"deletedRegion": region, "insertedContent": {"text": text}}],
        }],
    }


FixKey = Tuple[Optional[int], int, int, str]  # (cell, line, column, code) of the finding


def file_fixes(path: str, source: bytes, settings: Settings) -> Dict[FixKey, dict]:
    """Each fixable finding's fix as one SARIF replacement: the fix applied alone to the file,
    the changed span found by common prefix and suffix. In a notebook the replacement is in the
    JSON file itself (the rewritten "source" strings), as ``--fix`` would write it."""
    from .engine import _applicable, apply_fixes, lint_module
    from .parsing import parse

    try:
        if is_notebook(path):
            from . import notebooks

            nb = notebooks.read(source, path)
            module_code = nb.module()
            module = parse(module_code)
            located = lint_module(module, nb.code_text(), path, settings)
            placed = notebooks._place([d for _, d in located], module_code, nb)
            old = nb.text
        else:
            module = parse(source)
            located = lint_module(module, source, path, settings)
            placed = [d for _, d in located]
            old = module.code
        starts = [0] + [m.end() for m in _LINE_BREAK.finditer(old)]
        out: Dict[FixKey, dict] = {}
        for (rep, _), d in zip(located, placed):
            if rep.fix is None or not _applicable(rep.fix, True):
                continue
            new = apply_fixes(module, [rep.fix]).code
            if is_notebook(path):
                try:
                    changes = notebooks._changed_sources(nb, notebooks._split(nb, new))
                    # nbformat's check is --fix's business: here the JSON check suffices (and is fast)
                    new = notebooks.write_sources(source, nb, changes, validate=False).decode("utf-8-sig") \
                        if changes else old
                except notebooks.NotebookError:  # --fix would refuse it too
                    continue
            if new == old:
                continue
            region, text = _edit(old, new, starts)
            out[(d.cell, d.line, d.column, d.code)] = _sarif_fix(rep.fix.safety, d.code, region, text)
        return out
    except Exception:  # noqa: BLE001 - fixes are an extra: a file that fails here gets none
        return {}


# -- the log ------------------------------------------------------------------------------------

def log(diags: Sequence[Diagnostic], rules: Dict[str, Type[Rule]], *, root: str,
        problems: Sequence[Tuple[str, str, str]] = (), sources: Optional[Dict[str, bytes]] = None,
        settings_for: Optional[Callable[[str], Settings]] = None, exit_code: Optional[int] = None) -> dict:
    """The SARIF log of one run. ``problems``: (path, message, level) of files that could not be
    linted (level "error") or whose fix was not written ("warning"); ``settings_for``: the
    settings a file was linted with, to compute fixes (None: no fixes)."""
    src = Sources(sources)
    remaining = sorted((d for d in diags if not d.fix_applied), key=Diagnostic.sort_key)
    codes = [unlintable.CODE] + list(rules)
    index = {code: i for i, code in enumerate(codes)}
    descriptors = [_descriptor(None)] + [_descriptor(rules[c]) for c in rules]

    fixes: Dict[str, Dict[FixKey, dict]] = {}
    if settings_for is not None:
        for path in sorted({d.path for d in remaining if d.fix_safety}):
            data = src.raw(path)
            if data is not None:
                fixes[path] = file_fixes(path, data, settings_for(path))

    results = []
    for d, fp in zip(remaining, fingerprints(remaining, src)):
        location = artifact_location(d.path, root)
        result = {
            "ruleId": d.code,
            "ruleIndex": index.get(d.code, 0),
            "level": level(rules.get(d.code)),
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {"artifactLocation": location, "region": region(d, src)}}],
            "partialFingerprints": {FINGERPRINT: fp},
        }
        if d.cell is not None:
            result["properties"] = {"cell": d.cell, "cellLine": d.line, "cellColumn": d.column}
        if d.related is not None:  # KL101: the layer or model that consumes the op's result
            result["relatedLocations"] = [{
                "id": 1,
                "physicalLocation": {"artifactLocation": artifact_location(d.related[0], root),
                                     "region": {"startLine": d.related[1]}},
                "message": {"text": d.related[2]},
            }]
        fix = fixes.get(d.path, {}).get((d.cell, d.line, d.column, d.code))
        if fix is not None:
            fix["artifactChanges"][0]["artifactLocation"] = location
            result["fixes"] = [fix]
        results.append(result)

    notifications = [{
        "level": lvl,
        "message": {"text": f"{path}: {message}"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(path, root)}}],
        **({"descriptor": {"id": unlintable.CODE, "index": 0}} if lvl == "error" and not unlintable.is_internal(message)
           else {}),
    } for path, message, lvl in problems]
    invocation = {"executionSuccessful": not any(lvl == "error" for _, _, lvl in problems)}
    if exit_code is not None:
        invocation["exitCode"] = exit_code
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "keras-lint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFO_URI, "rules": descriptors}},
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri(root)}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
