"""KL002: `# noqa` codes that suppress nothing (ruff's RUF100, for keras-lint's own codes).

It can only decide once every other rule's findings for the file are known and noqa filtering
ran: the engine calls :meth:`UnusedNoqa.check_noqa` then, with the codes each line's noqa hid
(``engine.NoqaUse``). Everything about which codes are unused, unknown or not ours lives here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple, Union

import libcst as cst

from ..catalog import RULES
from ..positions import comments_where
from ..rule import SAFE, Fix, Invalid, Rule
from ..unlintable import CODE as UNLINTABLE

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import NoqaUse

CODE = "KL002"
# The codes keras-lint knows: the registry's (through the generated catalog) and KL001, which no
# noqa can hide.
_KNOWN = frozenset(RULES) | {UNLINTABLE}
# One code of a noqa list, as engine.NOQA_RE reads it
_CODE_RE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
# A comment that may hold a keras-lint noqa code (the cheap test before any tree walk)
_CANDIDATE = re.compile(r"#[^\r\n]*noqa[^\r\n]*KL", re.IGNORECASE)

_Holder = Union[cst.TrailingWhitespace, cst.EmptyLine]


@dataclass
class _Verdict:
    unused: List[str]
    unknown: List[str]

    @property
    def removed(self) -> List[str]:
        return self.unused + self.unknown


def _judge(codes: Sequence[str], hidden: Sequence[str], enabled: Sequence[str]) -> Optional[_Verdict]:
    """Which of a noqa's codes (or prefixes) are unused or unknown; None when the line is exempt
    (one of its codes covers KL002 itself). Only upper-case ``KL`` codes are ours: the engine
    compares codes case-sensitively, and every other code belongs to another tool."""
    ours = [c for c in codes if c.startswith("KL")]
    if any(CODE.startswith(c) for c in ours):
        return None
    verdict = _Verdict([], [])
    for c in ours:
        covered = [k for k in _KNOWN if k.startswith(c)]
        if not covered:
            verdict.unknown.append(c)
        elif any(h.startswith(c) for h in hidden):
            continue  # it hid a finding
        elif all(k in enabled or k == UNLINTABLE for k in covered):
            verdict.unused.append(c)  # all its rules ran (KL001 is always on and never hidden)
        # else: it covers a rule that is off in this run, which could not have fired
    return verdict


def _without(comment: str, match: "re.Match[str]", removed: Sequence[str]) -> Optional[str]:
    """The comment with ``removed`` taken out of its noqa list; the whole directive goes when
    no code is left (other text stays). "" when nothing is left of the comment at all; None
    when the result would not read back as intended (then there is no fix)."""
    start, end = match.span("codes")
    group = comment[start:end]
    tokens = list(_CODE_RE.finditer(group))
    kept = [t.group(0) for t in tokens if t.group(0) not in removed]
    if kept:
        sep = ", " if "," in group else " "
        tail = group[tokens[-1].end():]  # the separator before any text after the list
        new = comment[:start] + sep.join(kept) + tail + comment[end:]
    else:
        before, after = comment[:match.start()].rstrip(), comment[end:].strip()
        if after and not after.startswith("#"):
            after = "# " + after
        new = f"{before} {after}" if before and after else before or after
    from ..engine import NOQA_RE  # the engine's grammar: a fix must read back as the engine reads it

    again = NOQA_RE.search(new)
    again_codes = _CODE_RE.findall(again.group("codes") or "") if again else None
    if kept and again_codes != kept:
        return None
    if not kept and again is not None:
        return None  # another noqa further on would take its place
    return new


class UnusedNoqa(Rule):
    """
    ## What it does
    Reports the keras-lint codes of a `# noqa: ...` comment that suppressed nothing on that line
    in this run, and `KL` codes that are no keras-lint code at all (`KL999`). Codes match as
    prefixes, as everywhere in keras-lint's noqa: `# noqa: KL40` is known (it covers KL401 to
    KL410) and used if it hid any of their findings; `KL9` or `KL4011` match no code and are
    unknown. `KL001` (a file that could not be linted) can never be suppressed, so a noqa for it
    is always unused.

    Left alone: a bare `# noqa` (it may serve flake8 or ruff), codes that are not keras-lint's
    (`E501`, `F401`, `RUF100`, and lower-case `kl401`, which keras-lint's noqa does not match),
    codes of rules that are off in this run (not selected, ignored for the file, or exempted by
    a `# keras-lint: noqa: ...` line): they could not have fired; so is a prefix that covers
    any such rule (`KL4` while the opt-in KL410 is off). ruff's RUF100 reports such
    codes as "non-enabled"; keras-lint does not, because its configuration can differ per
    directory and opt-in rules are often run on their own. A line whose noqa covers KL002
    itself (`# noqa: KL002`, `KL0`) is not checked. The same text inside a string is not a
    comment and is not checked.

    Opt-in: `--extend-select KL002`. The flake8 plugin never reports it: flake8 applies noqa
    itself, after the plugin has run, so the plugin cannot know which codes were used (flake8
    users have `yesqa` for that).

    ## Why is this bad?
    A suppression that no longer hides anything, after the code or keras-lint changed, hides
    the next real finding on that line without anyone noticing, and a mistyped code (`KL041`)
    suppresses nothing while looking as if it did.

    ## Example
    ```python
    import keras  # noqa: KL402
    ```

    ## Use instead
    ```python
    import keras
    ```

    ## Fix safety
    Safe: only the comment changes. Unused and unknown codes are taken out of the list; when
    no code is left, the `# noqa: ...` directive goes (with the comment if nothing else was in
    it, with the line if the comment stood alone); other codes and other comment text stay. The
    rest of the file is kept byte for byte.

    ## References
    - ruff's unused-noqa (RUF100): https://docs.astral.sh/ruff/rules/unused-noqa/
    - flake8's noqa: https://flake8.pycqa.org/en/latest/user/violations.html#in-line-ignoring-errors
    - fixtures/KL002/ in this repository: programs carrying a stale noqa, run by
      `keras-lint verify KL002` (it changes nothing at run time, and is marked so).
    """

    code = CODE
    name = "unused-noqa"
    message = "Unused `noqa` directive ({details})"
    default_enabled = False
    fix_safety = SAFE
    triggers = ("KL",)
    #: the engine calls check_noqa after noqa filtering (see engine.lint_module)
    after_noqa = True

    VALID = [
        "import keras  # noqa: E501\n",
        "import keras  # noqa\n",
        "import keras  # NOQA\n",
        "import keras  # noqa: KL401\n",  # KL401 is not on in this run: it could not have fired
        "import keras  # noqa: KL4\n",  # KL410 (opt-in) is off: the prefix may be meant for it
        "import keras  # noqa: kl999\n",  # lower case: not a keras-lint code for the engine
        "import keras  # noqa: KL999, KL002\n",  # the line opts out of KL002
        "import keras  # noqa: KL0\n",
        'x = "# noqa: KL999"\n',
        'x = """\n# noqa: KL999\n"""\n',
        "x = '# noqa: E501'  # noqa: KL999\n",  # the engine reads the first noqa of the line, the string's
        "import keras  # noqa : KL999\n",  # flake8 reads this as a bare noqa
        "import keras  # keep KL999 in mind, noqa reasons\n",
    ]
    INVALID = [
        Invalid("import keras  # noqa: KL999\n", fixed="import keras\n"),
        Invalid("import keras  # noqa: KL001\n", fixed="import keras\n"),
        Invalid("import keras  # noqa: KL999, E501\n", fixed="import keras  # noqa: E501\n"),
        Invalid("import keras  # noqa:E501,KL4011,F401\n", fixed="import keras  # noqa:E501, F401\n"),
        Invalid("import keras  # type: ignore  # noqa: KL999\n", fixed="import keras  # type: ignore\n"),
        Invalid("import keras  # noqa: KL999 # the old reason\n", fixed="import keras  # the old reason\n"),
        Invalid("import keras\r\n# NOQA: KL9\r\nx = 1\r\n", fixed="import keras\r\nx = 1\r\n", line=2),
        Invalid("def f(  # noqa: KL999\n    a,\n):\n    return a\n", fixed="def f(\n    a,\n):\n    return a\n"),
        Invalid("import keras  # noqa: KL999, KL998\n", fixed="import keras\n"),
    ]

    def check_noqa(self, use: "NoqaUse") -> None:
        if not _CANDIDATE.search(use.text):
            return
        from ..engine import NOQA_RE, source_lines

        found, code = comments_where(self.ctx.module, lambda text: "noqa" in text.lower())
        lines = source_lines(code) if found else []
        for holder, comment, line, column in found:
            match = NOQA_RE.search(comment.value)
            if match is None or not match.group("codes"):
                continue  # no noqa, or a bare one
            line_match = NOQA_RE.search(lines[line - 1]) if line <= len(lines) else None
            if line_match is None or line_match.start() != column + match.start():
                continue  # the engine reads another noqa on this line (one in a string)
            codes = _CODE_RE.findall(match.group("codes"))
            verdict = _judge(codes, use.hidden.get(line, ()), use.enabled)
            if verdict is None or not verdict.removed:
                continue
            self.report(comment, self.message.format(details=_details(verdict)),
                        fix=self._fix(holder, match, verdict.removed))

    def _fix(self, holder: _Holder, match: "re.Match[str]", removed: Sequence[str]) -> Optional[Fix]:
        comment = holder.comment
        assert comment is not None
        new = _without(comment.value, match, removed)
        if new is None:
            return None
        replacement: Union[cst.CSTNode, cst.RemovalSentinel]
        if new:
            replacement = comment.with_changes(value=new)
            return Fix(SAFE, {comment: replacement})
        if isinstance(holder, cst.EmptyLine):
            return Fix(SAFE, {holder: cst.RemovalSentinel.REMOVE})  # a comment alone on its line
        return Fix(SAFE, {holder: holder.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)})


def _details(verdict: _Verdict) -> str:
    parts: List[Tuple[str, List[str]]] = [("unused", verdict.unused), ("unknown", verdict.unknown)]
    return "; ".join(f"{kind}: {', '.join(f'`{c}`' for c in codes)}" for kind, codes in parts if codes)
