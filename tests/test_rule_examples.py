"""Every rule's VALID and INVALID examples, collected automatically as tests."""
import libcst as cst
import pytest

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules
from keras_lint.rule import DOC_SECTIONS, Invalid, Valid

RULES = list(all_rules().values())


def _cases(kind):
    for rule in RULES:
        for i, ex in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, ex, id=f"{rule.code}-{kind.lower()}-{i}")


@pytest.mark.parametrize("rule,example", list(_cases("VALID")))
def test_valid_example_is_quiet(rule, example):
    ex = example if isinstance(example, Valid) else Valid(example)
    result = lint_source(ex.source.encode(), "example.py", Settings([rule], target=ex.target))
    assert result.error is None, result.error
    assert result.diagnostics == [], f"{rule.code} flagged a VALID example:\n{ex.source}"


@pytest.mark.parametrize("rule,example", list(_cases("INVALID")))
def test_invalid_example_is_reported_and_fixed(rule, example: Invalid):
    settings = Settings([rule], target=example.target, unsafe_fixes=True)
    result = lint_source(example.source.encode(), "example.py", settings)
    assert result.error is None, result.error
    found = [d for d in result.diagnostics if d.code == rule.code]
    assert len(found) == example.count, f"expected {example.count} x {rule.code}, got {result.diagnostics}"
    if example.line is not None:
        assert found[0].line == example.line
    fixed = fix_source(example.source.encode(), "example.py", settings)
    assert fixed.error is None, fixed.error
    got = fixed.fixed_source.decode() if fixed.fixed_source is not None else None
    assert got == example.fixed
    if got is not None:
        cst.parse_module(got)
        # fixing is idempotent: a second run changes nothing
        again = fix_source(got.encode(), "example.py", settings)
        assert again.fixed_source is None


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata(rule):
    import re

    assert re.fullmatch(r"KL[0-9]{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.message
    assert list(rule.doc_sections()) == list(DOC_SECTIONS), rule.doc_sections().keys()
    assert rule.INVALID, "every rule needs INVALID examples"
    assert rule.VALID, "every rule needs VALID look-alikes"
    assert rule.fix_safety in (None, "safe", "unsafe")
    if rule.fix_safety is None:
        assert all(ex.fixed is None for ex in rule.INVALID)
