"""Jupyter notebooks: the code cells are linted as one module, in order (names and imports carry
from cell to cell), findings are placed by cell, and fixes are written back into the edited
cells' ``"source"`` only, every other byte of the file (outputs, metadata, ids, indentation, key
order, line endings, trailing newline) kept.

IPython syntax that is not Python (``%magic``, ``!shell``, ``x = !cmd``, ``obj?``) is masked
line by line with a ``pass`` placeholder of the same indentation, and put back after a fix; a
cell whose cell magic is not Python (``%%bash``, ``%%writefile``) is skipped. A cell that still
does not compile is reported (KL001) and skipped; the others are linted.

nbformat reads older notebook versions and validates what ``--fix`` writes; it is imported only
when a notebook is linted.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .engine import Diagnostic, FileResult, Settings, _internal_error, _prefiltered_out, fix_source, lint_module
from .parsing import LintError, _first_line, parse
from . import unlintable

SUFFIX = ".ipynb"

# Cell magics whose body is Python (the rest of such a cell is linted; other cell magics are not).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "tensorflow_version"})
# A line IPython rewrites: `%magic`, `!cmd`, `?obj`, `obj?`, `x = !cmd`, `x = %magic`.
_MAGIC_LINE = re.compile(r"^\s*(?:[%!?]|[\w.,\[\]() ]+=\s*[%!]|[\w.()\[\]]+\?\??\s*$)")
_CELL_MAGIC = re.compile(r"^%%(\w+)")
_MARKER = "pass  # keras-lint notebook cell {}\n"
_MARKER_RE = re.compile(r"^pass  # keras-lint notebook cell (\d+)\r?\n", re.MULTILINE)
_MASK = "pass  # [masked IPython line {}]"
_MASK_RE = re.compile(r"^([ \t]*)pass  # \[masked IPython line (\d+)\]$", re.MULTILINE)


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


class NotebookError(LintError):
    """Not a notebook keras-lint can read."""


class _FixRefused(NotebookError):
    """The notebook was linted, but writing the fix back could damage it."""


@dataclass
class Cell:
    number: int  # 1-based position among all the notebook's cells (what a reader counts)
    source: str  # the cell's text as the notebook holds it
    code: str = ""  # what goes into the module: magics masked; "" for a skipped cell
    masked: Dict[int, str] = field(default_factory=dict)  # mask number -> the original line
    error: Optional[Diagnostic] = None  # the cell does not compile


@dataclass
class Notebook:
    path: str
    text: str  # the file, decoded
    data: dict
    cells: List[Cell]  # code cells only, in order

    @property
    def linted(self) -> List[Cell]:
        """The cells that go into the module (skipped and broken cells do not)."""
        return [c for c in self.cells if c.code]

    def module(self) -> str:
        """The linted cells as one module, each after a ``pass`` marker naming it (a statement,
        so no fix can drop it with a comment), except the first: the imports of a notebook's
        first cell stay the module's import block, where a fix adds its imports."""
        return "".join((_MARKER.format(c.number) if i else "") + c.code for i, c in enumerate(self.linted))

    def code_text(self) -> str:
        return "".join(c.code for c in self.cells)


# -- reading ------------------------------------------------------------------------------------

def _load_json(raw: bytes) -> Tuple[str, dict]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a notebook: cannot decode as UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" at {exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotebookError(f"not a notebook: invalid JSON{where}: "
                            f"{_first_line(getattr(exc, 'msg', str(exc)))}") from None
    if not isinstance(data, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    return text, data


def _cells_of(data: dict) -> List[dict]:
    version = data.get("nbformat")
    if not isinstance(version, int):
        raise NotebookError("not a notebook: no integer 'nbformat' version")
    if version < 4:  # v3 keeps cells in worksheets: nbformat converts (for linting only)
        import nbformat

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
            raise NotebookError(f"cannot read notebook format {version}: {_first_line(str(exc))}") from None
    cells = data.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookError("not a notebook: 'cells' is not a list of cells")
    return cells


def _source_text(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise NotebookError("not a notebook: a cell's 'source' is neither a string nor a list of strings")


def read(raw: bytes, path: str) -> Notebook:
    text, data = _load_json(raw)
    cells = []
    for number, cell in enumerate(_cells_of(data), start=1):
        if cell.get("cell_type") != "code":
            continue
        cells.append(_prepare(Cell(number, _source_text(cell)), path))
    return Notebook(path, text, data, cells)


def _compiles(code: str) -> Optional[SyntaxError]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<cell>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                    dont_inherit=True)
    except SyntaxError as err:
        return err
    except (ValueError, RecursionError, MemoryError) as err:  # NUL bytes, absurd nesting
        return SyntaxError(_first_line(str(err)) if str(err) else type(err).__name__)
    return None


def _logical_starts(lines: List[str]) -> List[bool]:
    """Which lines begin a logical line (not inside brackets or a triple-quoted string, not after
    a backslash): only there can IPython syntax start. A cheap scanner: strings and comments are
    skipped so that their brackets do not count."""
    out = []
    depth, quote, continued = 0, "", False
    for line in lines:
        out.append(depth == 0 and not quote and not continued)
        i, n = 0, len(line)
        while i < n:
            ch = line[i]
            if quote:
                if ch == "\\":
                    i += 2
                elif line.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                else:
                    i += 1
                continue
            if ch == "#":
                break
            if ch in "'\"":
                quote = line[i:i + 3] if line[i:i + 3] in ("'''", '"""') else ch
                i += len(quote)
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            i += 1
        if len(quote) == 1:
            quote = ""  # an unterminated one-line string ends with its line
        continued = line.rstrip("\r\n").endswith("\\")
    return out


def _prepare(cell: Cell, path: str) -> Cell:
    """Mask IPython syntax; skip what is not Python; report a cell that does not compile."""
    source = cell.source
    if not source.strip():
        return cell
    code = source if source.endswith("\n") else source + "\n"
    if _compiles(code) is None:
        cell.code = code
        return cell
    lines = code.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.strip())
    magic = _CELL_MAGIC.match(lines[first].lstrip())
    if magic and magic.group(1) not in PYTHON_CELL_MAGICS:
        return cell  # %%bash, %%writefile, ...: not Python
    out = []
    continued = False
    indent = ""
    starts = _logical_starts(lines)
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if continued or (i == first and magic) or (starts[i] and _MAGIC_LINE.match(body)):
            n = len(cell.masked) + 1
            cell.masked[n] = body
            if not continued:  # a continuation line keeps the indentation of the magic it continues
                indent = body[: len(body) - len(body.lstrip())]
            out.append(indent + _MASK.format(n) + line[len(body):])
            continued = body.endswith("\\")
        else:
            out.append(line)
    masked = "".join(out)
    err = _compiles(masked)
    if err is None:
        cell.code = masked
        return cell
    cell.masked.clear()
    line, col = (err.lineno or 1), (err.offset or 1)
    cell.error = Diagnostic(path, line, col, line, col + 1, unlintable.CODE,
                            unlintable.syntax_message(_first_line(err.msg or str(err))), cell=cell.number)
    return cell


# -- positions ----------------------------------------------------------------------------------

def _layout(module_code: str) -> List[Tuple[int, int]]:
    """(module line of each cell marker, cell number), in order."""
    out = []
    for m in _MARKER_RE.finditer(module_code):
        out.append((module_code.count("\n", 0, m.start()) + 1, int(m.group(1))))
    return out


def _to_cell(layout: List[Tuple[int, int]], first: int, line: int) -> Tuple[int, int]:
    """Module line -> (cell number, line in the cell). The first linted cell has no marker: the
    lines before the first marker are its lines (imports a fix adds at the top included)."""
    for marker_line, number in reversed(layout):
        if line > marker_line:
            return number, line - marker_line
    return first, line


def _place(diags: Sequence[Diagnostic], module_code: str, nb: Notebook) -> List[Diagnostic]:
    layout = _layout(module_code)
    first = nb.linted[0].number if nb.linted else 1
    out = []
    for d in diags:
        cell, line = _to_cell(layout, first, d.line)
        end_cell, end_line = _to_cell(layout, first, d.end_line)
        end_col = d.end_column
        if end_cell != cell:  # cannot happen for one statement; clamp to be safe
            end_line, end_col = line, d.column
        out.append(dataclasses.replace(d, line=line, end_line=end_line, end_column=end_col, cell=cell))
    return out


# -- linting ------------------------------------------------------------------------------------

def _cell_errors(nb: Notebook) -> List[Diagnostic]:
    return [c.error for c in nb.cells if c.error is not None]


def _module_error(error: str, module_code: str, nb: Notebook) -> str:
    """An error of the whole module (LibCST refused it), its position put in cell terms."""
    line, column, message = unlintable.position_and_message(error)
    if (line, column) == (1, 1) and message == error:
        return error
    cell, cell_line = _to_cell(_layout(module_code), nb.linted[0].number if nb.linted else 1, line)
    return f"{message} (cell {cell}, line {cell_line}, column {column})"


def lint_notebook(raw: bytes, path: str, settings: Settings) -> FileResult:
    result = FileResult(path)
    module_code = ""
    if _prefiltered_out(raw, settings):  # as for a .py file: never mentions keras/tensorflow
        return result
    try:
        nb = read(raw, path)
        findings = _cell_errors(nb)
        code = nb.code_text()
        if not _prefiltered_out(code, settings):
            module_code = nb.module()
            module = parse(module_code)
            located = lint_module(module, code, path, settings)
            findings += _place([d for _, d in located], module_code, nb)
        result.diagnostics = sorted(findings, key=Diagnostic.sort_key)
    except LintError as exc:
        result.error = _module_error(str(exc), module_code, nb) if module_code else str(exc)
    except RecursionError:
        result.error = "too deeply nested to analyse"
    except Exception as exc:  # noqa: BLE001 - one error line for this file, no traceback
        result.error = _internal_error(exc)
    return result


# -- fixing -------------------------------------------------------------------------------------

def _split(nb: Notebook, module_code: str) -> Dict[int, str]:
    """The fixed module back into cell texts (magics restored), by cell number; raises if a fix
    moved or removed a cell boundary or a masked line."""
    linted = nb.linted
    layout = list(_MARKER_RE.finditer(module_code))
    if [int(m.group(1)) for m in layout] != [c.number for c in linted[1:]]:
        raise _FixRefused("cannot fix: a fix would move code across cells; notebook left unchanged")
    texts: Dict[int, str] = {c.number: c.source for c in nb.cells}  # skipped cells: as they are
    bounds = [0] + [m.start() for m in layout] + [len(module_code)]
    ends = [0] + [m.end() for m in layout]
    for k, cell in enumerate(linted):
        text = module_code[ends[k]:bounds[k + 1]]
        if text == cell.code:
            continue  # untouched: byte for byte
        seen: List[int] = []

        def restore(m: "re.Match[str]", cell: Cell = cell, seen: List[int] = seen) -> str:
            n = int(m.group(2))
            seen.append(n)
            return cell.masked.get(n, m.group(0))

        text = _MASK_RE.sub(restore, text)
        if sorted(seen) != sorted(cell.masked):
            raise _FixRefused("cannot fix: a fix would change an IPython magic line; notebook left unchanged")
        if not cell.source.endswith("\n") and text.endswith("\n"):
            text = text[:-1]
        texts[cell.number] = text
    return texts


def _changed_sources(nb: Notebook, texts: Dict[int, str]) -> Dict[int, str]:
    return {c.number: texts[c.number] for c in nb.cells if texts[c.number] != c.source}


def fix_notebook(raw: bytes, path: str, settings: Settings) -> FileResult:
    """As ``engine.fix_source`` for a notebook: ``fixed_source`` is the whole new file."""
    if _prefiltered_out(raw, settings):
        return FileResult(path)
    try:
        nb = read(raw, path)
    except LintError as exc:
        return FileResult(path, error=str(exc))
    except RecursionError:
        return FileResult(path, error="too deeply nested to analyse")
    code = nb.code_text()
    if _prefiltered_out(code, settings):
        return FileResult(path, _cell_errors(nb))
    if nb.data.get("nbformat", 0) < 4:
        result = lint_notebook(raw, path, settings)
        if result.error is None:
            result.error, result.fix_failed = (f"cannot fix notebook format {nb.data.get('nbformat')}: open and "
                                               "save it in Jupyter to upgrade it to format 4"), True
        return result
    module_code = nb.module()
    fixed = fix_source(module_code.encode("utf-8"), path, settings)
    if fixed.error and not fixed.fix_failed:  # the module does not parse, or a bug
        error = fixed.error if unlintable.is_internal(fixed.error) else _module_error(fixed.error, module_code, nb)
        return FileResult(path, _cell_errors(nb), error=error)
    new_code = fixed.fixed_source.decode("utf-8") if fixed.fixed_source is not None else module_code
    applied = [d for d in fixed.diagnostics if d.fix_applied]
    remaining = [d for d in fixed.diagnostics if not d.fix_applied]
    result = FileResult(path, sorted(_cell_errors(nb) + _place(applied, module_code, nb) + _place(remaining, new_code, nb),
                                     key=Diagnostic.sort_key), error=fixed.error, fix_failed=fixed.fix_failed)
    if fixed.fixed_source is None:
        return result
    try:
        changes = _changed_sources(nb, _split(nb, new_code))
        if changes:
            result.fixed_source = write_sources(raw, nb, changes)
    except NotebookError as exc:  # nothing written: what the notebook holds is still there
        result = lint_notebook(raw, path, settings)
        result.error, result.fix_failed = str(exc), True
    return result


# -- writing: only the edited cells' "source" values change ----------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _members(text: str, i: int):
    """(key, value start, value end) of the JSON object starting at ``text[i] == '{'``."""
    i = _skip(text, i + 1)
    if text[i] == "}":
        return
    while True:
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _skip(text, i)
        i = _skip(text, i + 1)  # the colon
        _, end = _DECODER.raw_decode(text, i)
        yield key, i, end
        i = _skip(text, end)
        if text[i] != ",":
            return
        i = _skip(text, i + 1)


def _elements(text: str, i: int):
    """(start, end) of each element of the JSON array starting at ``text[i] == '['``."""
    i = _skip(text, i + 1)
    if text[i] == "]":
        return
    while True:
        _, end = _DECODER.raw_decode(text, i)
        yield i, end
        i = _skip(text, end)
        if text[i] != ",":
            return
        i = _skip(text, i + 1)


def source_spans(text: str) -> List[Optional[Tuple[int, int]]]:
    """Where each cell's ``"source"`` value lies in the file's text, by cell (0-based)."""
    start = _skip(text, 0)
    cells_at = next((s for key, s, _ in _members(text, start) if key == "cells"), None)
    if cells_at is None or text[cells_at] != "[":
        return []
    spans: List[Optional[Tuple[int, int]]] = []
    for s, _ in _elements(text, cells_at):
        found = None
        if text[s] == "{":
            found = next(((vs, ve) for key, vs, ve in _members(text, s) if key == "source"), None)
        spans.append(found)
    return spans


def _render(old: str, new_text: str) -> str:
    """``new_text`` as a JSON value in the style of the value it replaces."""
    ascii_only = old.isascii() and re.search(r"\\u[0-9a-fA-F]{4}", old) is not None
    if old.startswith('"'):
        return json.dumps(new_text, ensure_ascii=ascii_only)
    lines = new_text.splitlines(keepends=True)
    if not lines:
        return "[]"
    head = re.match(r"\[([ \t\r\n]*)", old)
    tail = re.search(r"([ \t\r\n]*)\]$", old)
    first_ws = head.group(1) if head and old[head.end():head.end() + 1] != "]" else "\n"
    last_ws = tail.group(1) if tail else ""
    items = [json.dumps(line, ensure_ascii=ascii_only) for line in lines]
    return "[" + first_ws + ("," + first_ws).join(items) + last_ws + "]"


def write_sources(raw: bytes, nb: Notebook, changes: Dict[int, str], validate: bool = True) -> bytes:
    """The file with the given cells' sources replaced (cell number -> new text), checked: the
    JSON re-parses, nothing but those sources changed, and (``validate``) nbformat accepts it
    if it accepted the original."""
    text = nb.text
    spans = source_spans(text)
    edits = []
    for number, new in changes.items():
        span = spans[number - 1] if number - 1 < len(spans) else None
        if span is None:
            raise _FixRefused(f"cannot fix: cell {number} has no 'source' to rewrite; notebook left unchanged")
        edits.append((span, _render(text[span[0]:span[1]], new)))
    out = text
    for (s, e), value in sorted(edits, reverse=True):
        out = out[:s] + value + out[e:]
    expected = json.loads(text)
    for number, new in changes.items():
        expected["cells"][number - 1]["source"] = json.loads(_render(text[spans[number - 1][0]:spans[number - 1][1]], new))
    if json.loads(out) != expected:
        raise _FixRefused("cannot fix: rewriting the cells changed more than their source; notebook left unchanged")
    if validate and _valid(nb.data) and not _valid(json.loads(out)):
        raise _FixRefused("cannot fix: nbformat rejects the fixed notebook; notebook left unchanged")
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    return (bom + out).encode("utf-8")


def _valid(data: dict) -> bool:
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(json.loads(json.dumps(data))))
    except Exception:  # noqa: BLE001 - ValidationError and friends
        return False
    return True


# -- positions in the file itself (SARIF, GitHub annotations) -------------------------------------

def file_position(text: str, cell: int, line: int, column: int) -> Tuple[int, int]:
    """The (line, column) in the notebook's JSON text of a cell's (line, column), both 1-based:
    where the character sits inside the ``"source"`` string(s). (1, 1) if it cannot be found."""
    spans = source_spans(text)
    span = spans[cell - 1] if 0 < cell <= len(spans) else None
    if span is None:
        return 1, 1
    offset = _raw_offset(text, span[0], span[1], line, column)
    if offset is None:
        offset = span[0]
    row = text.count("\n", 0, offset) + 1
    return row, offset - (text.rfind("\n", 0, offset) + 1) + 1


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "/": "/"}


def _raw_offset(text: str, start: int, end: int, line: int, column: int) -> Optional[int]:
    dl, dc = 1, 1
    i, inside, last = start, False, None
    while i < end:
        ch = text[i]
        if not inside:
            inside = ch == '"'
            i += 1
            continue
        if ch == '"':
            inside = False
            i += 1
            continue
        if (dl, dc) == (line, column):
            return i
        last = i
        if ch == "\\":
            esc = text[i + 1]
            if esc == "u":
                code = int(text[i + 2:i + 6], 16)
                step = 12 if 0xD800 <= code < 0xDC00 and text[i + 6:i + 8] == "\\u" else 6
                decoded = "x"
            else:
                decoded, step = _ESCAPES.get(esc, esc), 2
        else:
            decoded, step = ch, 1
        if decoded == "\n":
            dl, dc = dl + 1, 1
        else:
            dc += 1
        i += step
    return last if (dl, dc) == (line, column) or last is None else None


# -- one entry point for any file -----------------------------------------------------------------

def lint_file(source: bytes, path: str, settings: Settings) -> FileResult:
    """``engine.lint_source``, or its notebook counterpart for a ``.ipynb`` path."""
    from .engine import lint_source

    return lint_notebook(source, path, settings) if is_notebook(path) else lint_source(source, path, settings)


def fix_file(source: bytes, path: str, settings: Settings) -> FileResult:
    return fix_notebook(source, path, settings) if is_notebook(path) else fix_source(source, path, settings)
