"""flake8 adapter: ``flake8 --select KL`` runs the same engine as the CLI, with the same settings.

flake8 does the noqa and its own selecting and ignoring; on top of that, every file gets the
rules its ``[tool.keras-lint]`` configuration enables (the nearest pyproject.toml, as the CLI
finds it: select, ignore, extend-select, per-file-ignores, exclude, target), so ``flake8 --select
KL`` and ``keras-lint`` agree on the same files. flake8's own options still win where given: a
code flake8 does not select is not run; a flake8 selector naming a KL family or code (``--select
KL502``, ``--extend-select KL5``) runs those rules whatever the table says, opt-in ones included
(a bare ``KL`` only turns the plugin on); ``--keras-lint-target`` beats the table's ``target``.
(flake8 keeps ``--isolated`` to itself, so it does not turn [tool.keras-lint] off.)

Start-up cost: loading the plugin imports neither LibCST nor the rules (flake8 loads every
installed plugin on every run): they are imported for the first file checked, and not at all
when flake8 selects no KL code (``flake8 --select E,F``).
"""
from __future__ import annotations

import os
import sys
from typing import Iterator, List, Optional, Set, Tuple

from . import TARGETS, __version__, escape
from .catalog import RULES
from .catalog import is_known_selector


class KerasLintChecker:
    name = "keras-lint"
    version = __version__
    selected: Optional[Set[str]] = None  # the codes flake8 will report (None: all of them)
    explicit: Tuple[str, ...] = ()  # flake8 selectors naming KL families or codes (KL5, KL502)
    _resolver = None
    _reported: Set[str] = set()  # broken configurations already named on stderr

    def __init__(self, tree: object, filename: str, lines: List[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser) -> None:  # flake8's OptionManager
        parser.add_option(
            "--keras-lint-target", default=None, choices=TARGETS, parse_from_config=True,
            help="keras-lint: the stack the rules assume (keras3 or tf-keras). "
                 "Default: [tool.keras-lint] target, else keras3",
        )
        parser.extend_default_ignore([code for code, rule in RULES.items() if not rule.default_enabled])

    @classmethod
    def parse_options(cls, options) -> None:
        # `--select KL` (or KL in a [flake8] select list) means "the KL plugin": the table's own
        # selection stands. A selector naming a family or a code (KL5, KL502) asks for those
        # rules: they run whatever the table says, opt-in ones included.
        cls.explicit = tuple(sel for sel in _kl_selectors(getattr(options, "select", None))
                             + _kl_selectors(getattr(options, "extend_select", None)) if len(sel) > 2)
        # Run only the rules whose codes flake8 would report (its own select/ignore decision;
        # per-file-ignores and noqa only drop more): ``flake8 --select E,F`` costs nothing and
        # opt-in rules cost nothing until selected.
        try:
            from flake8.style_guide import Decision, DecisionEngine

            decide = DecisionEngine(options).decision_for
            cls.selected = {code for code in RULES if decide(code) is Decision.Selected}
        except Exception:  # noqa: BLE001 - another flake8: run every rule and let flake8 filter
            cls.selected = None
        if cls.selected == set():
            return  # no KL code selected: nothing more to load (a run without KL pays ~nothing)
        from .settings import Overrides, Resolver  # light: no LibCST

        cls._resolver = Resolver(Overrides(target=options.keras_lint_target))
        _tune_gc()

    def _rules(self) -> Optional[list]:
        """The rule classes to run on this file, and its target; None: nothing (excluded, or a
        broken configuration, named once on stderr)."""
        from .config import ConfigError
        from .settings import Resolver, file_rules

        if self._resolver is None:  # parse_options was not called (a test, another flake8)
            type(self)._resolver = Resolver()
        try:
            cfg = self._resolver.config_for(self.filename)
        except ConfigError as exc:
            if str(exc) not in self._reported:
                self._reported.add(str(exc))
                print(f"keras-lint: error: {exc}", file=sys.stderr)
            return None
        if cfg.is_excluded(self.filename):
            return None
        self._target = cfg.target
        rules = file_rules(os.path.abspath(self.filename), cfg)
        if self.explicit:
            from .registry import all_rules

            have = {r.code for r in rules}
            rules += [r for code, r in all_rules().items() if code.startswith(self.explicit) and code not in have]
        return [r for r in rules if self.selected is None or r.code in self.selected]

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        """Never raises: an exception here would abort flake8's whole run.

        A file keras-lint cannot check yields no findings (there is no KL code for "could not
        check": inventing one would break ``--select``/``noqa`` expectations). Syntax errors are
        flake8's E999 already; any other reason (a file too large or too deeply nested, a bug in
        a rule, a broken configuration) is one line on stderr, as the CLI prints it."""
        if self.selected == set():
            return
        try:
            from .engine import Settings, lint_source

            rules = self._rules()
            if not rules:
                return
            # flake8 applies noqa itself (or not: --disable-noqa)
            result = lint_source("".join(self.lines), self.filename, Settings(rules, self._target, noqa=False))
        except Exception as exc:  # noqa: BLE001 - lint_source does not raise; belt and braces
            from .engine import FileResult

            result = FileResult(self.filename, error=f"internal error: {type(exc).__name__}: {exc}")
        if result.error and not result.error.startswith("syntax error"):
            print(f"{escape.display_path(self.filename)}: keras-lint: {escape.one_line(result.error)}", file=sys.stderr)
        for d in result.diagnostics:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)


def _kl_selectors(values: Optional[List[str]]) -> Tuple[str, ...]:
    """The selectors of a flake8 --select/--extend-select list that name KL codes."""
    return tuple(v.strip().upper() for v in values or () if v.strip() and is_known_selector(v) and v.strip() != "ALL")


def _tune_gc() -> None:
    """As the CLI does (see ``cli._tune_gc``): LibCST's large acyclic trees make the cyclic
    collector run thousands of times per file with Python's default thresholds. Only if nobody
    has changed them; this runs before flake8 starts its worker processes, which inherit it."""
    import gc

    if gc.get_threshold() == (700, 10, 10):
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
