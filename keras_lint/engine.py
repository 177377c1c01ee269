"""The engine: read once, parse once, run every enabled rule in one traversal, fix.

Everything else (CLI, flake8 plugin, pre-commit hooks, runtime harness) is a thin adapter
around :func:`lint_source` and :func:`fix_source`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Type, Union

import libcst as cst

from . import isolation, profiling
from .context import FileContext
from .parsing import LintError, _cpython_parse, _cpython_syntax_error, _first_line, parse, prefilter_text
from .positions import node_positions
from .rule import SAFE, Fix, Report, Rule
from .walk import _Dispatch, walk
from .analysis.project import view_for as project_view

MAX_FIX_PASSES = 10

# flake8's inline-noqa grammar: "# noqa" or "# noqa: CODE[, CODE ...]" (codes match as prefixes).
NOQA_RE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)


@dataclass
class Diagnostic:
    path: str
    line: int
    column: int  # 1-based, as flake8 and ruff print it
    end_line: int
    end_column: int
    code: str
    message: str
    fix_safety: Optional[str] = None  # safety of the fix offered for this finding, if any
    fix_applied: bool = False
    cell: Optional[int] = None  # notebooks: the cell (1-based, all cells counted); line is in the cell
    related: Optional[Tuple[str, int, str]] = None  # (path, line, message): see Report.related

    def sort_key(self) -> Tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code)


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # one line: why the file could not be linted
    fixed_source: Optional[bytes] = None  # set when --fix changed the file
    fix_failed: bool = False  # the error is a fix that was refused or not written: the file was linted


# -- linting ------------------------------------------------------------------------------------

@dataclass
class Settings:
    rules: Sequence[Type[Rule]]
    target: str = "keras3"
    unsafe_fixes: bool = False
    project: bool = True  # build/consult the project model of the file's project (analysis.project)
    noqa: bool = True  # honour ``# noqa`` comments (the flake8 plugin leaves that to flake8)
    gates: bool = True  # ask each rule's ast gate before LibCST parses (off: to compare, in tests)


_LIBRARY_TRIGGERS = frozenset({"keras", "tensorflow"})


def _wanted(rule: Type[Rule], source: Union[bytes, str], via_project: bool = False) -> bool:
    """The file may hold what the rule looks for. ``via_project``: the file reaches Keras or
    TensorFlow through a project module that re-exports them, without naming either."""
    if via_project and _LIBRARY_TRIGGERS.intersection(rule.triggers):
        return True
    if isinstance(source, str):
        return any(t in source for t in rule.triggers)
    return any(t.encode() in source for t in rule.triggers)


def _via_project(source: Union[bytes, str], path: Optional[str], settings: Settings) -> bool:
    """Only asked for files that mention neither keras nor tensorflow (few, and cheap to ask)."""
    if not settings.project or path is None:
        return False
    if (b"keras" in source or b"tensorflow" in source) if isinstance(source, bytes) else \
            ("keras" in source or "tensorflow" in source):
        return False
    view = project_view(path)
    return view is not None and view.reaches_library()


def run_rules(module: cst.Module, path: str, rules: Iterable[Type[Rule]], target: str,
              project: bool = False) -> FileContext:
    view = None
    if project:
        with profiling.phase("project"):
            view = project_view(path)
    ctx = FileContext(path, module, target, view)
    instances = [r(ctx) for r in rules]
    if instances:
        dispatch = _Dispatch(instances)
        if profiling.ACTIVE is not None:  # --profile: time every handler, per rule
            profiling.instrument(dispatch, profiling.ACTIVE)
        with profiling.phase("walk"):
            walk(module, ctx, dispatch)
    return ctx


def _noqa_codes(line: str) -> Optional[Tuple[str, ...]]:
    """None: no noqa; (): bare noqa (everything); else the listed codes."""
    m = NOQA_RE.search(line)
    if m is None:
        return None
    codes = m.group("codes")
    return tuple(c for c in re.split(r"[,\s]+", codes) if c) if codes else ()


def suppressed(code: str, line_text: str) -> bool:
    codes = _noqa_codes(line_text)
    return codes is not None and (codes == () or code.startswith(codes))


# Python's tokenizer ends lines at \n, \r\n and \r only (str.splitlines also splits at form
# feeds, NEL, U+2028, ...: a noqa would then be looked for on the wrong line).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(code: str) -> List[str]:
    """The physical lines of ``code`` as Python's tokenizer (and flake8) numbers them."""
    return _LINE_BREAK.split(code)


@dataclass
class NoqaUse:
    """What a rule about the noqa comments themselves (``Rule.after_noqa``: KL002) is given once
    the other rules' findings are known and noqa filtering ran."""

    text: str  # the file's text (bytes read as latin-1: enough to look for ASCII comments)
    hidden: Dict[int, Set[str]]  # line -> the codes of the findings its noqa hid
    enabled: Tuple[str, ...]  # the codes of the rules on for this file (file exemptions applied)


def _locate(module: cst.Module, reports: Sequence[Report], path: str, noqa: bool = True,
            hidden: Optional[Dict[int, Set[str]]] = None) -> List[Tuple[Report, Diagnostic]]:
    """Positions for ``reports``, noqa applied; ``hidden`` collects, per line, the codes of the
    findings a noqa suppressed."""
    if not reports:
        return []
    with profiling.phase("positions"):
        nodes = [rep.node for rep in reports]
        nodes.extend(rep.related[0] for rep in reports if rep.related is not None and rep.related[0] is not None)
        positions, code = node_positions(module, nodes)
        lines = source_lines(code) if noqa else []
    located = []
    seen = set()
    for rep in reports:
        pos = positions[rep.node]
        key = (rep.code, pos.start.line, pos.start.column, rep.message)
        if key in seen:
            continue
        seen.add(key)
        text = lines[pos.start.line - 1] if pos.start.line <= len(lines) else ""
        if noqa and suppressed(rep.code, text):
            if hidden is not None:
                hidden.setdefault(pos.start.line, set()).add(rep.code)
            continue
        diag = Diagnostic(path, pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1,
                          rep.code, rep.message, rep.fix.safety if rep.fix else None, related=_related(rep, positions, path))
        located.append((rep, diag))
    located.sort(key=lambda rd: rd[1].sort_key())
    return located


def _related(rep: Report, positions, path: str) -> Optional[Tuple[str, int, str]]:
    if rep.related is None:
        return None
    node, where, line, message = rep.related
    if node is not None:
        return (path, positions[node].start.line, message)
    return (where or path, line or 1, message)


def rules_on(source: Union[bytes, str], settings: Settings) -> List[Type[Rule]]:
    """The enabled rules this file does not exempt itself from (a rule whose text triggers or
    gate hold it back is still on: it could not have reported anything here)."""
    exempt = file_exemption(source)
    return [r for r in settings.rules if not (exempt is not None and r.code.startswith(exempt))]


def rules_for(source: Union[bytes, str], path: str, settings: Settings) -> List[Type[Rule]]:
    """The rules worth running on this file: enabled, triggered by its text, not exempted by a
    file-level comment, and (``settings.gates``) whose gate passes on the file's ``ast`` census."""
    via = _via_project(source, path, settings)
    text = prefilter_text(source)  # a UTF-16 file is searched decoded (and then fails to parse)
    rules = [r for r in rules_on(source, settings) if _wanted(r, text, via)]
    if rules and settings.gates:
        with profiling.phase("gates"):
            rules = gated(rules, source, path, settings)
    return rules


def gated(rules: Sequence[Type[Rule]], source: Union[bytes, str], path: str, settings: Settings) -> List[Type[Rule]]:
    """The rules whose gate passes (analysis/facts.py). A file CPython cannot parse (newer syntax,
    an encoding it does not read) keeps every rule: LibCST may still read it."""
    import ast  # noqa: PLC0415 - only files that pass the text prefilter get here

    from .analysis import facts as file_facts

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return list(rules)
    text = source if isinstance(source, str) else source.decode("utf-8", "replace")
    view = project_view(path) if settings.project else None
    facts = file_facts.take(text, tree, view)
    del tree
    return [r for r in rules if r.gate(facts, settings.target)]


def lint_module(module: cst.Module, source: Union[bytes, str], path: str, settings: Settings,
                rules: Optional[Sequence[Type[Rule]]] = None) -> List[Tuple[Report, Diagnostic]]:
    if rules is None:
        rules = rules_for(source, path, settings)
    if not rules:
        return []
    ctx = run_rules(module, path, rules, settings.target, settings.project)
    # Rules about the noqa comments decide last, knowing what noqa hid. Not under flake8
    # (settings.noqa False): flake8 applies noqa itself, after the plugin.
    after = [r for r in rules if r.after_noqa] if settings.noqa else []
    if not after:
        return _locate(module, ctx.reports, path, settings.noqa)
    hidden: Dict[int, Set[str]] = {}
    located = _locate(module, ctx.reports, path, settings.noqa, hidden)
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    use = NoqaUse(text, hidden, tuple(r.code for r in rules_on(source, settings)))
    start = len(ctx.reports)
    for rule in after:
        rule(ctx).check_noqa(use)
    located += _locate(module, ctx.reports[start:], path, settings.noqa)
    located.sort(key=lambda rd: rd[1].sort_key())
    return located


# A file-level exemption, on a line of its own: "# keras-lint: noqa" (every rule) or
# "# keras-lint: noqa: KL401, KL5" (those codes or prefixes), as ruff's "# ruff: noqa".
FILE_NOQA_RE = re.compile(rb"^[ \t\f]*#[ \t]*keras-lint:[ \t]*noqa(?:[ \t]*:[ \t]*([A-Z0-9, \t]+?))?[ \t]*\r?$",
                          re.IGNORECASE | re.MULTILINE)


def file_exemption(source: Union[bytes, str]) -> Optional[Tuple[str, ...]]:
    """The code prefixes a file exempts itself from ("" for all), or None. Only a real comment
    counts: the same text inside a string literal does not."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if b"keras-lint" not in data:
        return None
    found: List[str] = []
    for match in FILE_NOQA_RE.finditer(data):
        if not _is_comment_line(data, match.start()):
            continue
        codes = match.group(1)
        if codes is None:
            return ("",)
        found.extend(c.upper() for c in re.split(r"[,\s]+", codes.decode("ascii")) if c)
    return tuple(found) or None


def _is_comment_line(data: bytes, offset: int) -> bool:
    import io
    import tokenize

    line = data.count(b"\n", 0, offset) + 1
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.start[0] > line:
                return False
            if tok.type == tokenize.COMMENT and tok.start[0] == line:
                return True
            if tok.type == tokenize.STRING and tok.start[0] <= line <= tok.end[0]:
                return False
    except (tokenize.TokenError, SyntaxError):
        return False
    return False


def _prefiltered_out(source: Union[bytes, str], settings: Settings, path: Optional[str] = None) -> bool:
    text = prefilter_text(source)  # a UTF-16 file is searched decoded
    if any(_wanted(r, text) for r in settings.rules):
        return False
    via = _via_project(source, path, settings)
    return not (via and any(_wanted(r, text, via) for r in settings.rules))


def lint_source(source: Union[bytes, str], path: str, settings: Settings) -> FileResult:
    """Lint one file's bytes (or text, as flake8 hands it over). Never raises for bad input:
    ``FileResult.error`` says why. The work runs in a child process (keras_lint/isolation.py):
    a crash or a budget exceeded is that file's error, never the run's end."""
    with profiling.phase("prefilter"):
        skip = _prefiltered_out(source, settings, path)
    if skip:
        return FileResult(path)
    if settings.project and path:
        project_view(path)  # built (once) here, so the helper inherits it (flake8 hands files one by one)
    return _isolated(_lint_source, source, path, settings)


def _isolated(fn, source: Union[bytes, str], path: str, settings: Settings) -> FileResult:
    try:
        result, timings = isolation.run(_profiled, fn, source, path, settings, profiling.ACTIVE is not None)
    except isolation.ChildFailed as exc:
        return FileResult(path, error=str(exc))
    if timings and profiling.ACTIVE is not None:
        profiling.ACTIVE.merge(timings)
    return result


def _profiled(fn, source: Union[bytes, str], path: str, settings: Settings, profile: bool):
    """In the helper process: ``fn``'s result, and its --profile timings to merge."""
    if not profile:
        return fn(source, path, settings), None
    outer, profiling.ACTIVE = profiling.ACTIVE, profiling.Profile()
    try:
        return fn(source, path, settings), profiling.ACTIVE.as_dict()
    finally:
        profiling.ACTIVE = outer


def _lint_source(source: Union[bytes, str], path: str, settings: Settings) -> FileResult:
    result = FileResult(path)
    try:
        rules = rules_for(source, path, settings)
        if not rules:
            return result  # no rule can report anything here: LibCST need not parse it
        with profiling.phase("parse"):
            module = parse(source)
        result.diagnostics = [d for _, d in lint_module(module, source, path, settings, rules)]
    except LintError as exc:
        result.error = str(exc)
    except RecursionError:
        result.error = "too deeply nested to analyse"
    except MemoryError:
        result.error = isolation.memory_message()
    except Exception as exc:  # noqa: BLE001 - a rule bug: one error line for this file, no traceback
        result.error = _internal_error(exc)
    return result


def _internal_error(exc: BaseException) -> str:
    """'internal error: ...' naming the rule whose code raised, if one did (innermost wins)."""
    rule = None
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, Rule):
            rule = owner
        tb = tb.tb_next
    where = f" in rule {rule.code} ({rule.name})" if rule is not None else ""
    return f"internal error{where}: {type(exc).__name__}: {_first_line(str(exc))} (please report this)"


# -- fixing -------------------------------------------------------------------------------------

class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: Dict[cst.CSTNode, object]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        new = self.replacements.get(original_node)
        return updated_node if new is None else new


def _applicable(fix: Optional[Fix], unsafe: bool) -> bool:
    return fix is not None and (fix.safety == SAFE or unsafe)


def apply_fixes(module: cst.Module, fixes: Sequence[Fix]) -> cst.Module:
    """Apply fixes whose replaced nodes do not overlap; the rest wait for the next pass."""
    # imported here: libcst.codemod pulls in libcst.matchers (half a second), only fixes need it
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

    replacements: Dict[cst.CSTNode, object] = {}
    imports = []
    removals = []
    for fix in fixes:
        if any(node in replacements for node in fix.replacements):
            continue
        replacements.update(fix.replacements)
        imports.extend(fix.add_imports)
        removals.extend(fix.remove_unused_imports)
    new = module.visit(_Replace(replacements)) if replacements else module
    if imports:
        context = CodemodContext()
        for spec in imports:
            AddImportsVisitor.add_needed_import(context, spec.module, spec.obj, spec.asname)
        new = new.visit(AddImportsVisitor(context))
    if removals:  # after the replacements, so uses they removed no longer count
        context = CodemodContext()
        for spec in removals:
            RemoveImportsVisitor.remove_unused_import(context, spec.module, spec.obj, spec.asname)
        new = RemoveImportsVisitor(context).transform_module(new)
    return new


def fix_source(source: bytes, path: str, settings: Settings) -> FileResult:
    """Lint and apply fixes until nothing more applies (at most MAX_FIX_PASSES passes).

    ``fixed_source`` is set only when the output differs and re-parses; the diagnostics are the
    fixed ones (``fix_applied``, positions in the original file) plus what remains. Runs in a
    child process, as :func:`lint_source` does."""
    if _prefiltered_out(source, settings, path):
        return FileResult(path)
    return _isolated(_fix_source, source, path, settings)


def _fix_source(source: bytes, path: str, settings: Settings) -> FileResult:
    result = FileResult(path)
    first_pass: List[Diagnostic] = []
    try:
        rules: Optional[List[Type[Rule]]] = rules_for(source, path, settings)
        if not rules:
            return result  # nothing can be reported, so nothing fixed: LibCST need not parse it
        module = parse(source)
        current_source = source
        applied: List[Diagnostic] = []
        for _ in range(MAX_FIX_PASSES):
            # the first pass reuses the rules just chosen; a fixed text is gated again
            located = lint_module(module, current_source, path, settings, rules if current_source is source else None)
            todo = [(r, d) for r, d in located if _applicable(r.fix, settings.unsafe_fixes)]
            if current_source is source:
                first_pass = [d for _, d in located]
                if todo:
                    _check_round_trip(module, source)
            if not todo:
                break
            new_module = apply_fixes(module, [r.fix for r, _ in todo])  # type: ignore[misc]
            new_source = new_module.bytes
            if new_source == current_source:
                break
            try:
                module = parse(new_source)  # the fixed text must re-parse
            except Exception as exc:  # noqa: BLE001 - any failure means: do not write
                raise _FixRefused(f"fix produced code that does not parse ({_first_line(str(exc))}); file left unchanged") from None
            # Positions are those of the pass that fixed it (the original file, for pass one).
            applied.extend(dataclasses.replace(d, fix_applied=True) for _, d in todo)
            current_source = new_source
        remaining = [d for _, d in lint_module(module, current_source, path, settings)]
        if current_source != source:
            _check_compiles(current_source, source)
            result.fixed_source = current_source
        result.diagnostics = sorted(applied + remaining, key=Diagnostic.sort_key)
    except _FixRefused as exc:  # nothing fixed: what the first pass found is still there
        result.error = str(exc)
        result.fix_failed = True
        result.diagnostics = first_pass
        result.fixed_source = None
    except LintError as exc:
        result.error = str(exc)
    except RecursionError:
        result.error = "too deeply nested to analyse"
    except MemoryError:
        result.error = isolation.memory_message()
        result.fixed_source = None
    except Exception as exc:  # noqa: BLE001 - a rule or fix bug: one error line, nothing written
        result.error = _internal_error(exc)
    return result


class _FixRefused(LintError):
    """The file can be linted, but fixing it could damage it: it is left as it is."""


def _check_round_trip(module: cst.Module, source: Union[bytes, str]) -> None:
    """Fixes rewrite the file from LibCST's tree: it must give back every byte it was given
    (it does not for lone-CR line endings, for one)."""
    if (module.bytes if isinstance(source, bytes) else module.code) != source:
        raise _FixRefused("cannot fix: LibCST would not reproduce this file byte for byte "
                          "(unusual line endings?); file left unchanged")


def _check_compiles(fixed: Union[bytes, str], original: Union[bytes, str]) -> None:
    """CPython must accept the fixed file if it accepted the original."""
    try:
        _cpython_parse(fixed)
    except SyntaxError as err:
        try:
            _cpython_parse(original)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return  # Python rejects the original too (newer syntax?): LibCST's parse must do
        raise _FixRefused(f"fix produced code that Python rejects ({_cpython_syntax_error(err)}); "
                          "file left unchanged") from None
    except (ValueError, RecursionError, MemoryError):
        pass
