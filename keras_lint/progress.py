"""A progress line on long runs: ``123/456 files, 7 findings`` on stderr, rewritten in place.

Only when stderr is a terminal and the report is for people (text/full, not --quiet); it appears
once a run has taken ``DELAY`` seconds (short runs never see it) and is erased before the report
is printed, so nothing of it reaches pipes, CI logs or machine formats.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Optional, TextIO

DELAY = float(os.environ.get("KERAS_LINT_PROGRESS_DELAY", "1.0"))  # seconds before the line appears
INTERVAL = 0.1  # seconds between redraws


class Progress:
    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr
        self.total = self.done = self.findings = 0
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    @classmethod
    def wanted(cls, output_format: str, quiet: bool, stream: Optional[TextIO] = None) -> bool:
        stream = stream or sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError, OSError):
            tty = False
        return tty and output_format in ("text", "full") and not quiet and os.environ.get("TERM") != "dumb"

    def add_total(self, n: int) -> None:
        self.total += n

    def advance(self, findings: int) -> None:
        self.done += 1
        self.findings += findings
        now = time.monotonic()
        if now - self.started >= DELAY and (now - self.last >= INTERVAL or self.done == self.total):
            self.last = now
            self.shown = True
            self.stream.write(f"\r\033[K{self.done}/{self.total} files, {self.findings} "
                              f"finding{'' if self.findings == 1 else 's'}")
            self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
