"""The engine: read once, parse once, run every enabled rule in one traversal, fix.

Everything else (CLI, flake8 plugin, pre-commit hooks, runtime harness) is a thin adapter
around :func:`lint_source` and :func:`fix_source`.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from .context import FileContext
from .rule import SAFE, Fix, Report, Rule

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

    def sort_key(self) -> Tuple:
        return (self.path, self.line, self.column, self.code)


@dataclass
class FileResult:
    path: str
    diagnostics: List[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # one line: why the file could not be linted
    fixed_source: Optional[bytes] = None  # set when --fix changed the file


class LintError(Exception):
    """A file that cannot be linted; the message is the one line shown to the user."""


# -- parsing ------------------------------------------------------------------------------------

_OPEN = {ord("("), ord("["), ord("{")}
_CLOSE = {ord(")"), ord("]"), ord("}")}
# CPython refuses more than 200 nested brackets; LibCST's native parser crashes the process
# (SIGSEGV) somewhere past 1,000. Files that might be that deep are checked by CPython first.
_SUSPICIOUS_DEPTH = 150


def _bracket_depth(source: Union[bytes, str]) -> int:
    data = source.encode("utf-8", "replace") if isinstance(source, str) else source
    brackets = data.translate(None, _NOT_BRACKETS)
    if len(brackets) < _SUSPICIOUS_DEPTH:
        return len(brackets)
    depth = deepest = 0
    for ch in brackets:  # counts brackets in strings too: an over-estimate, which is safe
        if ch in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth = max(0, depth - 1)
    return deepest


_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPEN | _CLOSE)


def parse(source: Union[bytes, str]) -> cst.Module:
    """Parse bytes (LibCST honours PEP 263 coding lines, BOMs and keeps line endings)."""
    if _bracket_depth(source) > _SUSPICIOUS_DEPTH:
        try:
            compile(source, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as err:
            raise LintError(f"syntax error at {err.lineno}:{err.offset or 1}: {_first_line(err.msg)}") from None
        except (RecursionError, MemoryError):
            raise LintError("too deeply nested to parse") from None
        except ValueError:
            pass  # NUL bytes and the like: LibCST says it below
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise LintError(_syntax_error(source, exc)) from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise LintError(f"cannot decode: {_first_line(str(exc))}") from None
    except RecursionError:
        raise LintError("too deeply nested to parse") from None
    except ValueError as exc:  # e.g. NUL bytes: "source code string cannot contain null bytes"
        raise LintError(f"cannot parse: {_first_line(str(exc))}") from None


def _syntax_error(source: Union[bytes, str], exc: cst.ParserSyntaxError) -> str:
    """CPython's own message and position where it has one (clearer than the parser's)."""
    try:
        compile(source, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:
        return f"syntax error at {err.lineno}:{err.offset or 1}: {_first_line(err.msg)}"
    except (ValueError, RecursionError, MemoryError):
        pass
    return f"cannot parse at {exc.raw_line}:{exc.raw_column + 1}: {_first_line(exc.message)}"


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "unknown error"


# -- the single traversal -----------------------------------------------------------------------

# Fields holding only whitespace, comments or punctuation: rules never need them visited.
_SKIP_FIELD_PARTS = ("whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after",
                     "header", "footer", "newline", "colon", "equal", "lbracket", "rbracket", "lbrace",
                     "rbrace", "dot", "arrow", "star", "operator", "asynchronous", "lbrack", "rbrack")
_child_fields: Dict[type, Tuple[str, ...]] = {}
# Statements whose children are never visited: a dotted module name in an import is not a use.
_LEAF_STATEMENTS = frozenset({"Import", "ImportFrom"})


def _fields_of(cls: type) -> Tuple[str, ...]:
    names = _child_fields.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls)
                      if not any(part in f.name for part in _SKIP_FIELD_PARTS))
        _child_fields[cls] = names
    return names


class _Dispatch:
    """visit_/leave_ methods of all rules, grouped by node type name."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.visit: Dict[str, List[Callable]] = {}
        self.leave: Dict[str, List[Callable]] = {}
        for rule in rules:
            for attr in _handler_names(type(rule)):
                kind, _, node_type = attr.partition("_")
                table = self.visit if kind == "visit" else self.leave
                table.setdefault(node_type, []).append(getattr(rule, attr))


_handler_cache: Dict[type, Tuple[str, ...]] = {}


def _handler_names(cls: type) -> Tuple[str, ...]:
    names = _handler_cache.get(cls)
    if names is None:
        names = tuple(a for a in dir(cls) if a.startswith(("visit_", "leave_")) and callable(getattr(cls, a)))
        _handler_cache[cls] = names
    return names


def walk(module: cst.Module, ctx: FileContext, dispatch: _Dispatch) -> None:
    """Depth-first, in source order, iteratively (no RecursionError on deep nesting).

    Imports are recorded in ``ctx.imports`` before any rule sees the node; ``ctx.stack`` holds
    the ancestors of the node being visited."""
    visit, leave, stack, imports = dispatch.visit, dispatch.leave, ctx.stack, ctx.imports
    todo: List[Tuple[bool, cst.CSTNode]] = [(False, module)]
    while todo:
        leaving, node = todo.pop()
        name = type(node).__name__
        if leaving:
            stack.pop()
            for fn in leave.get(name, ()):
                fn(node)
            continue
        if name == "Import":
            imports.add_import(node)  # type: ignore[arg-type]
        elif name == "ImportFrom":
            imports.add_import_from(node)  # type: ignore[arg-type]
        for fn in visit.get(name, ()):
            fn(node)
        todo.append((True, node))
        stack.append(node)
        if name in _LEAF_STATEMENTS:  # rules read import statements whole
            continue
        children: List[cst.CSTNode] = []
        for fname in _fields_of(type(node)):
            value = getattr(node, fname)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(v for v in value if isinstance(v, cst.CSTNode))
        for child in reversed(children):
            todo.append((False, child))


# -- linting ------------------------------------------------------------------------------------

@dataclass
class Settings:
    rules: Sequence[Type[Rule]]
    target: str = "keras3"
    unsafe_fixes: bool = False


def _wanted(rule: Type[Rule], source: Union[bytes, str]) -> bool:
    if isinstance(source, str):
        return any(t in source for t in rule.triggers)
    return any(t.encode() in source for t in rule.triggers)


def run_rules(module: cst.Module, path: str, rules: Iterable[Type[Rule]], target: str) -> FileContext:
    ctx = FileContext(path, module, target)
    instances = [r(ctx) for r in rules]
    if instances:
        walk(module, ctx, _Dispatch(instances))
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


def _locate(module: cst.Module, ctx: FileContext, path: str) -> List[Tuple[Report, Diagnostic]]:
    if not ctx.reports:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    lines = module.code.splitlines()
    located = []
    seen = set()
    for rep in ctx.reports:
        pos = positions[rep.node]
        key = (rep.code, pos.start.line, pos.start.column, rep.message)
        if key in seen:
            continue
        seen.add(key)
        text = lines[pos.start.line - 1] if pos.start.line <= len(lines) else ""
        if suppressed(rep.code, text):
            continue
        diag = Diagnostic(path, pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1,
                          rep.code, rep.message, rep.fix.safety if rep.fix else None)
        located.append((rep, diag))
    located.sort(key=lambda rd: rd[1].sort_key())
    return located


def lint_module(module: cst.Module, source: Union[bytes, str], path: str, settings: Settings) -> List[Tuple[Report, Diagnostic]]:
    rules = [r for r in settings.rules if _wanted(r, source)]
    if not rules:
        return []
    ctx = run_rules(module, path, rules, settings.target)
    return _locate(module, ctx, path)


def _prefiltered_out(source: Union[bytes, str], settings: Settings) -> bool:
    return not any(_wanted(r, source) for r in settings.rules)


def lint_source(source: Union[bytes, str], path: str, settings: Settings) -> FileResult:
    """Lint one file's bytes (or text, as flake8 hands it over). Never raises for bad input:
    ``FileResult.error`` says why."""
    result = FileResult(path)
    if _prefiltered_out(source, settings):
        return result
    try:
        module = parse(source)
        result.diagnostics = [d for _, d in lint_module(module, source, path, settings)]
    except LintError as exc:
        result.error = str(exc)
    except RecursionError:
        result.error = "too deeply nested to analyse"
    return result


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
    replacements: Dict[cst.CSTNode, object] = {}
    imports = []
    for fix in fixes:
        if any(node in replacements for node in fix.replacements):
            continue
        replacements.update(fix.replacements)
        imports.extend(fix.add_imports)
    new = module.visit(_Replace(replacements)) if replacements else module
    if imports:
        context = CodemodContext()
        for spec in imports:
            AddImportsVisitor.add_needed_import(context, spec.module, spec.obj, spec.asname)
        new = new.visit(AddImportsVisitor(context))
    return new


def fix_source(source: bytes, path: str, settings: Settings) -> FileResult:
    """Lint and apply fixes until nothing more applies (at most MAX_FIX_PASSES passes).

    ``fixed_source`` is set only when the output differs and re-parses; the diagnostics are the
    fixed ones (``fix_applied``, positions in the original file) plus what remains."""
    result = FileResult(path)
    if _prefiltered_out(source, settings):
        return result
    try:
        module = parse(source)
        current_source = source
        applied: List[Diagnostic] = []
        for _ in range(MAX_FIX_PASSES):
            located = lint_module(module, current_source, path, settings)
            todo = [(r, d) for r, d in located if _applicable(r.fix, settings.unsafe_fixes)]
            if not todo:
                break
            new_module = apply_fixes(module, [r.fix for r, _ in todo])  # type: ignore[misc]
            new_source = new_module.bytes
            if new_source == current_source:
                break
            try:
                module = cst.parse_module(new_source)  # the fixed text must re-parse
            except Exception as exc:  # noqa: BLE001 - any failure means: do not write
                raise LintError(f"fix produced code that does not parse ({_first_line(str(exc))}); file left unchanged") from None
            # Positions are those of the pass that fixed it (the original file, for pass one).
            applied.extend(dataclasses.replace(d, fix_applied=True) for _, d in todo)
            current_source = new_source
        remaining = [d for _, d in lint_module(module, current_source, path, settings)]
        result.diagnostics = sorted(applied + remaining, key=Diagnostic.sort_key)
        if current_source != source:
            result.fixed_source = current_source
    except LintError as exc:
        result.error = str(exc)
    except RecursionError:
        result.error = "too deeply nested to analyse"
    return result
