"""Every rule's code and defaults, without importing the rules (and so LibCST).

Generated from the rule classes by `python -m keras_lint.docs`; tests/test_docs.py fails when it
is out of date. The flake8 plugin's start-up, config validation and `keras-lint --version` use it.
"""
from __future__ import annotations

from typing import Dict, NamedTuple, Optional, Tuple

DOCS_URL = "https://github.com/keras-lint/keras-lint/blob/main/docs/rules/{code}.md"


class Entry(NamedTuple):
    name: str
    default_enabled: bool
    default_targets: Tuple[str, ...]
    fix_safety: Optional[str]


RULES: Dict[str, Entry] = {
    'KL002': Entry('unused-noqa', False, (), 'safe'),
    'KL101': Entry('raw-op-on-symbolic-tensor', True, (), 'unsafe'),
    'KL102': Entry('slice-into-layer', False, (), None),
    'KL201': Entry('model-level-add-loss', True, (), None),
    'KL202': Entry('model-level-metrics', True, (), None),
    'KL203': Entry('multi-gpu-model', True, (), None),
    'KL301': Entry('layer-without-get-config', True, (), 'unsafe'),
    'KL302': Entry('layer-drops-keras-kwargs', True, (), 'safe'),
    'KL303': Entry('keras1-get-output-shape-for', True, (), 'unsafe'),
    'KL304': Entry('untracked-tf-variable', True, (), 'unsafe'),
    'KL305': Entry('state-created-in-call', True, (), None),
    'KL306': Entry('tensor-control-flow-in-call', True, (), None),
    'KL401': Entry('removed-obtain-input-shape', True, (), 'safe'),
    'KL402': Entry('moved-keras-import', True, (), 'safe'),
    'KL403': Entry('removed-keyword-argument', True, (), 'safe'),
    'KL404': Entry('removed-keras-method', True, (), 'safe'),
    'KL405': Entry('tf1-only-api', True, (), 'safe'),
    'KL406': Entry('missing-on-target', True, (), 'unsafe'),
    'KL407': Entry('keras3-save-path', True, (), 'unsafe'),
    'KL408': Entry('keras3-load-savedmodel', True, (), None),
    'KL409': Entry('keras3-removed-argument', True, (), 'safe'),
    'KL410': Entry('tf-keras-to-keras', False, (), 'safe'),
    'KL501': Entry('where-without-branches', True, (), None),
    'KL502': Entry('data-dependent-shape', False, (), None),
    'KL503': Entry('where-branch-mismatch', True, (), None),
    'KL504': Entry('xla-unsupported-op-in-model', True, (), None),
    'KL601': Entry('argmax-over-empty-axis', True, (), None),
    'KL602': Entry('shape-int-float-mix', True, (), 'unsafe'),
}


def is_known_selector(selector: str) -> bool:
    """ALL, a rule code, or a prefix of one (KL, KL4)."""
    selector = selector.strip().upper()
    return bool(selector) and (selector == "ALL" or any(code.startswith(selector) for code in RULES))


def docs_url(code: str) -> str:
    return DOCS_URL.format(code=code)
