"""flake8 adapter: ``flake8 --select KL`` runs the same engine as the CLI.

flake8 does the selecting, ignoring and noqa; this plugin runs the rules flake8 will report.
Opt-in rules are in ``extend_default_ignore`` so they stay off until selected by name."""
from __future__ import annotations

import sys
from typing import Iterator, List, Optional, Tuple, Type

from . import __version__
from .config import TARGETS
from .engine import FileResult, Settings, lint_source
from .registry import all_rules
from .rule import Rule


class KerasLintChecker:
    name = "keras-lint"
    version = __version__
    target = "keras3"
    rules: Optional[List[Type[Rule]]] = None  # the rules flake8 will report (None: all of them)

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
        # Run only the rules whose codes flake8 would report (its own select/ignore decision;
        # per-file-ignores and noqa only drop more): ``flake8 --select E,F`` costs nothing and
        # opt-in rules cost nothing until selected.
        try:
            from flake8.style_guide import Decision, DecisionEngine

            decide = DecisionEngine(options).decision_for
            cls.rules = [rule for code, rule in all_rules().items() if decide(code) is Decision.Selected]
        except Exception:  # noqa: BLE001 - another flake8: run every rule and let flake8 filter
            cls.rules = None
        if cls.rules != []:
            _tune_gc()

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        """Never raises: an exception here would abort flake8's whole run.

        A file keras-lint cannot check yields no findings (there is no KL code for "could not
        check": inventing one would break ``--select``/``noqa`` expectations). Syntax errors are
        flake8's E999 already; any other reason (a file too large or too deeply nested, a bug in
        a rule) is one ``path: keras-lint: reason`` line on stderr, as the CLI prints it."""
        try:
            rules = self.rules if self.rules is not None else list(all_rules().values())
            settings = Settings(rules, self.target)
            result = lint_source("".join(self.lines), self.filename, settings)
        except Exception as exc:  # noqa: BLE001 - lint_source does not raise; belt and braces
            result = FileResult(self.filename, error=f"internal error: {type(exc).__name__}: {exc}")
        if result.error and not result.error.startswith("syntax error"):
            print(f"{self.filename}: keras-lint: {result.error}", file=sys.stderr)
        for d in result.diagnostics:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)


def _tune_gc() -> None:
    """As the CLI does (see ``cli._tune_gc``): LibCST's large acyclic trees make the cyclic
    collector run thousands of times per file with Python's default thresholds. Only if nobody
    has changed them; this runs before flake8 starts its worker processes, which inherit it."""
    import gc

    if gc.get_threshold() == (700, 10, 10):
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
