"""Printing text keras-lint does not control (file names, reasons that quote them) safely.

One line stays one line: control characters (newline, carriage return, form feed, NEL, U+2028,
...) are shown as backslash escapes. In the GitHub Actions log every printed line is also parsed
for workflow commands: a line that starts with ``::`` (after blanks) is one, and so is any line
holding ``##[`` (the legacy form, matched anywhere; see actions/runner ``ActionCommand.cs``). So
for ``--output-format github`` the lines keras-lint prints are made inert as well."""
from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(match: "re.Match[str]") -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    """``text`` with every control or line-breaking character backslash-escaped."""
    return _CONTROL.sub(_escape_char, text)


def display_path(path: str, github: bool = False) -> str:
    """A path for the start of a printed line. For GitHub, a relative path that could open a
    workflow command (``::warning ...``) gets a ``./`` prefix: the same file, an inert line."""
    shown = one_line(path)
    if github:
        if shown[:1].isspace() or shown.startswith(":"):
            shown = "./" + shown
        shown = inert_for_github(shown)
    return shown


def inert_for_github(text: str) -> str:
    """Break the legacy ``##[command]`` marker, which the runner finds anywhere in a line."""
    return text.replace("##[", "##%5B")


def github_data(text: str) -> str:
    """The message part of a workflow command (after the second ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value of a workflow command (``file=...``, ``title=...``)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def error_line(path: str, reason: str, github: bool = False) -> str:
    """The ``path: error: reason`` line printed on stderr for a file that could not be linted."""
    line = f"{display_path(path, github)}: error: {one_line(reason)}"
    return inert_for_github(line) if github else line
