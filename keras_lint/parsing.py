"""Parsing with guards: LibCST's native parser crashes on very deep nesting and is quadratic on
long expression chains, so suspicious files are screened (cheaply) and checked by CPython first.
Whatever still goes wrong in the parser is contained by keras_lint/isolation.py (each file is
parsed in a helper process with a large stack and time/memory budgets).

Messages say whose limit a file hit: a syntax error is CPython's verdict; valid Python that
LibCST cannot handle is said to be LibCST's limit."""
from __future__ import annotations

import ast
import codecs
import warnings
from typing import Optional, Union

import libcst as cst


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

# LibCST's parser is quadratic in the length of left-recursive chains (``1 + 1 + ...``,
# ``a.b.c...``, ``f()()...``, ``x[1][1]...``). Measured: 1,000 terms take 0.3-0.6 s, 2,000 terms
# 1-4 s, 4,000 terms 18-34 s. Such a chain needs a long logical line; files with one get
# CPython's (linear) parser first, and deeper expressions than this are declined.
MAX_EXPRESSION_DEPTH = 1000
_LONG_LOGICAL_LINE = 2000  # bytes; shorter lines cannot hold a chain that is slow to parse
# Linting takes a few seconds per MB; the largest real file in the tensorflow wheel is 0.7 MB.
MAX_SOURCE_BYTES = 2_000_000
_TO_PARENS = bytes.maketrans(b"[{]}", b"(())")
_NOT_PARENS_OR_NEWLINE = bytes(b for b in range(256) if b not in b"()\n")


def _longest_logical_line(source: Union[bytes, str]) -> int:
    """An upper bound on the bytes of one logical line: newlines inside brackets or after a
    backslash do not end one (brackets in strings and comments count too: an over-estimate)."""
    data = source.encode("utf-8", "replace") if isinstance(source, str) else source
    if len(data) < _LONG_LOGICAL_LINE:
        return len(data)
    lines = data.split(b"\n")
    parens = data.translate(_TO_PARENS, _NOT_PARENS_OR_NEWLINE).split(b"\n")
    best = depth = run = 0
    for line, par in zip(lines, parens):
        run += len(line) + 1
        if par:
            depth = max(0, depth + par.count(b"(") - par.count(b")"))
        if depth == 0 and not line.rstrip(b"\r").endswith(b"\\"):
            best = max(best, run)
            run = 0
    return max(best, run)


def _expression_depth(tree: ast.AST) -> int:
    """How deeply expressions nest in a CPython AST (iteratively)."""
    deepest = 0
    todo = [(tree, 0)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, ast.expr):
            depth += 1
            if depth > deepest:
                deepest = depth
        todo.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest


# UTF-32 first: the UTF-32-LE byte-order mark starts with the UTF-16-LE one.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def wide_encoding(source: Union[bytes, str]) -> Optional[str]:
    """"UTF-16" or "UTF-32" for bytes in one of those (a byte-order mark, or a NUL byte in every
    other position of the start, as BOM-less UTF-16 ASCII text has), else None. Python cannot
    run such files, and keras-lint's byte prefilter cannot see "keras" in them."""
    if isinstance(source, str) or b"\x00" not in source[:4]:
        return None
    for bom, name in _WIDE_BOMS:
        if source.startswith(bom):
            return name
    head = source[:64]
    if len(head) >= 8 and (head[0::2].count(0) == len(head) // 2 or head[1::2].count(0) == len(head) // 2):
        return "UTF-16"
    return None


def prefilter_text(source: Union[bytes, str]) -> Union[bytes, str]:
    """What the prefilter searches: the bytes, or the decoded text of a UTF-16/32 file."""
    name = wide_encoding(source)
    if name is None:
        return source
    assert isinstance(source, bytes)
    for codec in (name.lower(), name.lower() + "-le", name.lower() + "-be"):
        try:
            return source.decode(codec)
        except UnicodeDecodeError:
            continue
    return source.decode(name.lower() + "-le", "replace")


def parse(source: Union[bytes, str]) -> cst.Module:
    """Parse bytes (LibCST honours PEP 263 coding lines, BOMs and keeps line endings)."""
    wide = wide_encoding(source)
    if wide is not None:
        raise LintError(f"cannot decode: the file is {wide} text; Python reads source files only in UTF-8 or an "
                        "ASCII-compatible encoding named in a coding line (save it as UTF-8)")
    if len(source) > MAX_SOURCE_BYTES:
        raise LintError(f"file too large to lint ({len(source) / 1e6:.1f} MB; the limit is "
                        f"{MAX_SOURCE_BYTES / 1e6:.0f} MB)")
    long_line = _longest_logical_line(source) >= _LONG_LOGICAL_LINE
    if long_line or _bracket_depth(source) > _SUSPICIOUS_DEPTH:
        try:
            tree = _cpython_parse(source)
        except SyntaxError as err:
            raise LintError(_cpython_syntax_error(err)) from None
        except (RecursionError, MemoryError):
            raise LintError("too deeply nested to parse") from None
        except ValueError:
            pass  # NUL bytes and the like: LibCST says it below
        else:
            depth = _expression_depth(tree) if long_line else 0
            if depth > MAX_EXPRESSION_DEPTH:
                raise LintError(f"an expression nested {depth} levels deep (a long operator, call or attribute "
                                f"chain): valid Python, but LibCST's parser is quadratic on it; keras-lint's "
                                f"limit is {MAX_EXPRESSION_DEPTH}")
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise LintError(_syntax_error(source, exc)) from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise LintError(f"cannot decode: {_first_line(str(exc))}") from None
    except RecursionError:
        raise LintError("too deeply nested for LibCST to parse") from None
    except ValueError as exc:  # e.g. NUL bytes: "source code string cannot contain null bytes"
        raise LintError(f"cannot parse: {_first_line(str(exc))}") from None


def _syntax_error(source: Union[bytes, str], exc: cst.ParserSyntaxError) -> str:
    """CPython's own message and position where it has one (clearer than the parser's)."""
    try:
        _cpython_parse(source)
    except SyntaxError as err:
        return _cpython_syntax_error(err)
    except (ValueError, RecursionError, MemoryError):
        return f"cannot parse at {exc.raw_line}:{exc.raw_column + 1}: {_first_line(exc.message)}"
    return (f"valid Python that LibCST cannot parse (a limitation of LibCST, not a syntax error) at "
            f"{exc.raw_line}:{exc.raw_column + 1}: {_first_line(exc.message)}")


def _cpython_parse(source: Union[bytes, str]) -> ast.AST:
    """CPython's parser, silently: its SyntaxWarnings are about the user's code, not ours to print."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)


def _cpython_syntax_error(err: SyntaxError) -> str:
    where = f" at {err.lineno}:{err.offset or 1}" if err.lineno else ""  # NUL bytes: no position
    return f"syntax error{where}: {_first_line(err.msg or str(err))}"


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "unknown error"
