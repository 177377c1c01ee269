"""The rule contract: what every rule module defines, and what it may report.

A rule is a class with a code, a slug, a message, docs (its docstring, in fixed sections),
VALID and INVALID examples, and ``visit_<Node>`` / ``leave_<Node>`` methods that the engine
calls during its single traversal. Rules never parse or walk on their own. A rule may state, as
its ``gate``, a cheap necessary condition on the file's census (analysis/facts.py): files where
no enabled rule's gate passes are never parsed with LibCST.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.facts import Facts
    from .context import FileContext

SAFE = "safe"
UNSAFE = "unsafe"

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")

Replacement = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


@dataclass(frozen=True)
class ImportSpec:
    """An import a fix needs: ``from module import obj as asname`` or ``import module as asname``."""

    module: str
    obj: Optional[str] = None
    asname: Optional[str] = None


@dataclass
class Fix:
    """Node replacements (matched by identity on the original tree), imports to add, and imports
    to remove once nothing uses them any more (LibCST's RemoveImportsVisitor decides that)."""

    safety: str
    replacements: Dict[cst.CSTNode, Replacement] = field(default_factory=dict)
    add_imports: Tuple[ImportSpec, ...] = ()
    remove_unused_imports: Tuple[ImportSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.safety not in (SAFE, UNSAFE):
            raise ValueError(f"fix safety must be 'safe' or 'unsafe', not {self.safety!r}")


@dataclass
class Report:
    """What a rule says about one node, before positions are resolved."""

    code: str
    node: cst.CSTNode
    message: str
    fix: Optional[Fix]
    #: a second place that explains the finding (KL101: the layer or model that consumes the op's
    #: result): (node of this file or None, path or None for this file, line or None, message)
    related: Optional[Tuple[Optional[cst.CSTNode], Optional[str], Optional[int], str]] = None


@dataclass(frozen=True)
class Invalid:
    """An INVALID example: the rule must report ``source`` (``count`` times, the first on ``line``
    if given); ``fixed`` is the expected output of its fixes, unsafe ones included (``None``: no
    fix for this example)."""

    source: str
    fixed: Optional[str] = None
    line: Optional[int] = None
    target: str = "keras3"
    count: int = 1


@dataclass(frozen=True)
class Valid:
    """A VALID example that must stay quiet (``target`` selects the stack the check assumes)."""

    source: str
    target: str = "keras3"


Example = Union[str, Valid]


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    #: On without --select. Opt-in rules say False.
    default_enabled: ClassVar[bool] = True
    #: Targets on which the rule is on by default even when ``default_enabled`` is False.
    default_targets: ClassVar[Tuple[str, ...]] = ()
    #: "safe", "unsafe" or None (no fix at all). Individual reports may still come without a fix.
    fix_safety: ClassVar[Optional[str]] = None
    #: How SARIF and GitHub annotations grade a finding: "error", "warning" or "note". None: "error"
    #: for a rule that is on by default, "warning" for an opt-in one.
    level: ClassVar[Optional[str]] = None
    #: Text prefilter: the rule only runs on files containing at least one of these strings.
    triggers: ClassVar[Tuple[str, ...]] = ("keras", "tensorflow")
    VALID: ClassVar[Sequence[Example]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    #: A rule about the ``# noqa`` comments themselves (KL002): besides its visit methods, the
    #: engine calls ``check_noqa(use)`` once the other rules' findings are known and noqa
    #: filtering ran (``engine.NoqaUse``). Never called under flake8, which applies noqa itself.
    after_noqa: ClassVar[bool] = False

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx

    @classmethod
    def gate(cls, facts: "Facts", target: str) -> bool:
        """A necessary condition for this rule to report anything in a file, decided on the
        file's ``ast`` census (keras_lint/analysis/facts.py) before LibCST parses it; ``target``
        is the run's. It may say yes where the rule stays quiet, never no where it reports.
        The default: always run."""
        return True

    def report(self, node: cst.CSTNode, message: Optional[str] = None, fix: Optional[Fix] = None,
               related=None) -> None:
        self.ctx.reports.append(Report(self.code, node, message or self.message, fix, related))

    def check_noqa(self, use) -> None:
        """See ``after_noqa``."""

    # -- docs -------------------------------------------------------------------------------
    @classmethod
    def docs(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()

    @classmethod
    def doc_sections(cls) -> Dict[str, str]:
        """Split the docstring into its ``## Section`` parts."""
        sections: Dict[str, List[str]] = {}
        current = None
        for line in cls.docs().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return {k: "\n".join(v).strip() for k, v in sections.items()}

    @classmethod
    def summary(cls) -> str:
        return cls.message.split(":")[0].split(". ")[0]
