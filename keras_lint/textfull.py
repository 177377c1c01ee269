"""Human text output: the one-line form, the ``full`` form (source line and a caret under the
span), and colour on a terminal.

Markers: ``[*]`` fixable by ``--fix`` (as run), ``[~]`` fixable only with ``--unsafe-fixes``.
Colour follows the usual conventions: on when the stream is a terminal, off when ``NO_COLOR`` is
set (to anything non-empty), forced on by ``FORCE_COLOR`` (non-empty), off for ``TERM=dumb``.
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence, TextIO

BOLD, RED, CYAN, YELLOW, BLUE, RESET = "\033[1m", "\033[31m", "\033[36m", "\033[33m", "\033[34m", "\033[0m"


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


class Painter:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, *styles: str) -> str:
        return f"{''.join(styles)}{text}{RESET}" if self.on and text else text


def marker(fix_safety: Optional[str], fixable: bool) -> str:
    if fixable:
        return "[*]"
    return "[~]" if fix_safety is not None else ""


def line_of(diag, fixable: bool, paint: Painter) -> str:
    mark = marker(diag.fix_safety, fixable)
    mark = f" {paint(mark, CYAN if mark == '[*]' else YELLOW)}" if mark else ""
    from .output import printable

    cell = f"cell {diag.cell}:" if getattr(diag, "cell", None) is not None else ""  # notebooks
    return (f"{paint(printable(diag.path), BOLD)}:{cell}{diag.line}:{diag.column}: "
            f"{paint(diag.code, BOLD, RED)}{mark} {diag.message}\n")


def snippet(diag, lines: Optional[List[str]], paint: Painter) -> str:
    """The finding's first source line with a caret line under its span (to the line's end if
    the span goes on); nothing if the source is not available."""
    if not lines or not 1 <= diag.line <= len(lines):
        return ""
    text = lines[diag.line - 1].rstrip("\r\n")
    start = max(diag.column - 1, 0)
    end = diag.end_column - 1 if diag.end_line == diag.line else len(text)
    end = max(min(end, len(text)), start + 1)
    gutter = str(diag.line)
    pad = " " * len(gutter)
    indent = "".join(c if c == "\t" else " " for c in text[:start])  # tabs keep the caret aligned
    bar = paint("|", BLUE)
    return (f"{pad} {bar}\n{paint(gutter, BLUE)} {bar} {text}\n"
            f"{pad} {bar} {indent}{paint('^' * (end - start), RED)} {paint(diag.code, RED)}\n{pad} {bar}\n\n")


def write_text(diags: Sequence, out: TextIO, fixable: Callable[[object], bool], full: bool,
               read_lines: Callable[[object], Optional[List[str]]]) -> None:
    """``read_lines(diag)``: the lines of the file (of the cell, in a notebook) a finding is in."""
    paint = Painter(use_colour(out))
    cache: Dict[object, Optional[List[str]]] = {}
    for d in diags:
        out.write(line_of(d, fixable(d), paint))
        if full:
            key = (d.path, getattr(d, "cell", None))
            if key not in cache:
                cache[key] = read_lines(d)
            out.write(snippet(d, cache[key], paint))


def read_lines(path: str, data: Optional[bytes] = None) -> Optional[List[str]]:
    """A file's lines for ``full`` output (as the engine decoded it: its declared encoding);
    ``data``: the bytes if already in hand (stdin: the file on disk may differ)."""
    import io
    import tokenize

    from .files import read

    if data is None:
        data, error = read(path)
        if error is not None or data is None:
            return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).splitlines()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
