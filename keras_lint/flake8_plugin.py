"""flake8 adapter: ``flake8 --select KL`` runs the same engine as the CLI.

flake8 does the selecting, ignoring and noqa; this plugin runs every rule and lets flake8 filter.
Opt-in rules are in ``extend_default_ignore`` so they stay off until selected by name."""
from __future__ import annotations

from typing import Iterator, List, Tuple

from . import __version__
from .config import TARGETS
from .engine import Settings, lint_source
from .registry import all_rules


class KerasLintChecker:
    name = "keras-lint"
    version = __version__
    target = "keras3"

    def __init__(self, tree: object, filename: str, lines: List[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser) -> None:  # flake8's OptionManager
        parser.add_option(
            "--keras-lint-target", default="keras3", choices=TARGETS, parse_from_config=True,
            help="keras-lint: the stack the rules assume (keras3 or tf-keras). Default: %(default)s",
        )
        parser.extend_default_ignore([code for code, rule in all_rules().items() if not rule.default_enabled])

    @classmethod
    def parse_options(cls, options) -> None:
        cls.target = options.keras_lint_target

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        settings = Settings(list(all_rules().values()), self.target)
        result = lint_source("".join(self.lines), self.filename, settings)
        # A file flake8 could read but LibCST cannot parse: flake8 reports E999 itself.
        for d in result.diagnostics:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)
