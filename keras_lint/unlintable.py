"""KL001: a file keras-lint could not lint (a syntax error, an undecodable or unreadable file, one
too large or too deep) is a finding in every output format, like ruff's ``invalid-syntax`` and
flake8's E999, so a run never says "0 problems" while exiting 1.

KL001 is not a rule of the registry (nothing to visit, no fix): it is always on, and neither
``--select``/``--ignore`` nor ``noqa`` hide it; exclude a file that is not meant to be Python.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

CODE = "KL001"
NAME = "unlintable-file"
SUMMARY = "A file that keras-lint could not lint: a syntax error, an unreadable, undecodable, too large or too deeply nested file."
DOCS = """\
## What it does
Reports every file keras-lint could not lint: Python that does not parse (a syntax error, with
its position), a file that cannot be read or decoded, a notebook that is not valid JSON, and a
file too large or too deeply nested to analyse. In a notebook, a cell that does not compile is
reported and skipped, and the other cells are still linted.

## Why is this bad?
Nothing in such a file was checked: a run that only printed it on stderr would look clean. Python 2
code is the usual cause in old Keras projects (`print "..."`), and the message says so.

## Example
```python
print "accuracy:", acc
```

## Use instead
```python
print("accuracy:", acc)
```

## Fix safety
No automatic fix. Convert Python 2 code with `2to3 -w FILE` (lib2to3, in Python 3.12 and older).
KL001 cannot be turned off with `--ignore` or `noqa`; exclude files that are not meant to be Python.

## References
- ruff `invalid-syntax`, flake8 E999
- https://docs.python.org/3.12/library/2to3.html"""

# CPython's messages for Python 2 syntax (measured on CPython 3.10-3.12)
_PYTHON2 = re.compile(r"Missing parentheses in call to '(print|exec)'|leading zeros in decimal integer literals"
                      r"|multiple exception types must be parenthesized")
PYTHON2_HINT = "this is Python 2 code: convert it to Python 3 first (e.g. `2to3 -w FILE`, Python 3.12 and older)"
# "syntax error at 3:5: ..." / "cannot parse at 3:5: ..." (parsing.py); "not a notebook: invalid JSON at 3:5: ..."
_AT = re.compile(r" at (\d+):(\d+)(?=:)")
# Errors that are not about the file's content: a bug, or a fix that was not written.
_INTERNAL = "internal error"


def syntax_message(message: str) -> str:
    """``syntax error: <CPython's message>``, with the Python 2 hint where it applies."""
    out = f"syntax error: {message}"
    return f"{out}; {PYTHON2_HINT}" if _PYTHON2.search(message) else out


def is_internal(error: str) -> bool:
    return error.startswith(_INTERNAL)


def position_and_message(error: str) -> Tuple[int, int, str]:
    """(line, column, message) of an unlintable-file error line; (1, 1, error) without a position."""
    m = _AT.search(error)
    if m is None:
        return 1, 1, error
    message = error[: m.start()] + error[m.end():]
    if message.startswith("syntax error: "):
        message = syntax_message(message[len("syntax error: "):])
    return int(m.group(1)), int(m.group(2)), message


def as_diagnostic(path: str, error: str, cell: Optional[int] = None):
    from .engine import Diagnostic

    line, column, message = position_and_message(error)
    return Diagnostic(path, line, column, line, column + 1, CODE, message, cell=cell)
