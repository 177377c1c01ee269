"""Finds every rule under ``keras_lint.rules`` and decides which are enabled."""
from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Type

from . import rules as rules_pkg
from .catalog import is_known_selector
from .rule import Rule

CODE_RE = re.compile(r"^KL[0-9]{3}$")


@lru_cache(maxsize=None)
def all_rules() -> Dict[str, Type[Rule]]:
    found: Dict[str, Type[Rule]] = {}
    for info in pkgutil.iter_modules(rules_pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{rules_pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and "code" in vars(obj):
                if obj.code in found and found[obj.code] is not obj:
                    raise RuntimeError(f"rule code {obj.code} defined twice")
                found[obj.code] = obj
    return dict(sorted(found.items()))


class UnknownSelector(ValueError):
    pass


def _check(selectors: Iterable[str]) -> List[str]:
    out = []
    for sel in selectors:
        sel = sel.strip().upper()
        if not sel:
            continue
        if not is_known_selector(sel):
            raise UnknownSelector(f"unknown rule selector: {sel!r}")
        out.append(sel)
    return out


def _best(code: str, selectors: Sequence[str]) -> int:
    """Length of the most specific selector matching ``code`` (-1: none; ALL counts as 0)."""
    best = -1
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best


def enabled_rules(
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    target: str = "keras3",
) -> List[Type[Rule]]:
    """ruff semantics: prefixes, ALL, and the most specific selector wins a select/ignore tie-break
    (``--ignore KL4 --select KL401`` keeps KL401). Without --select, the defaults: rules that are
    on by default, or on by default for this target."""
    explicit = _check(list(select or []) + list(extend_select))
    ignored = _check(ignore)
    chosen = []
    for code, rule in all_rules().items():
        on = _best(code, explicit)
        if select is None and (rule.default_enabled or target in rule.default_targets):
            on = max(on, 0)
        if on >= 0 and on > _best(code, ignored):
            chosen.append(rule)
    return chosen
