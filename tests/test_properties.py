"""Properties (hypothesis; hypothesmith generates arbitrary valid Python).

- linting any generated program never raises, and a file that fails says why in one line;
- ``--fix`` output (all rules, unsafe fixes included) always parses, and fixing twice equals
  fixing once;
- a rule's INVALID examples with their import aliases renamed (``import tensorflow as <name>``,
  ``from keras import backend as <name>``) give the same findings.

Generated programs rarely mention keras, so they are prefixed with keras/tensorflow imports and
mixed with snippets from the rules' INVALID examples. Example counts stay modest: the suite must
stay fast.
"""
import ast
import keyword
import re

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules

# hypothesmith compiles what it generates: its SyntaxWarnings ("'int' object is not callable") are noise
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

RULES = list(all_rules().values())
ALL = Settings(RULES, unsafe_fixes=True)
ALL_TF_KERAS = Settings(RULES, target="tf-keras", unsafe_fixes=True)
GRAMMAR = hypothesmith.from_grammar()  # one instance: building its parser takes seconds
HEADER = "import keras\nimport tensorflow as tf\n"
SNIPPETS = sorted({ex.source if ex.source.endswith("\n") else ex.source + "\n" for r in RULES for ex in r.INVALID})

FAST = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def _compiles(source: str) -> bool:
    try:
        compile(source, "<generated>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _one_line(error):
    return error is None or (error.strip() and "\n" not in error)


@st.composite
def programs(draw):
    """A generated program, keras imports first, INVALID snippets mixed in at the top level."""
    generated = draw(GRAMMAR)
    snippets = draw(st.lists(st.sampled_from(SNIPPETS), max_size=3))
    parts = [HEADER, *snippets]
    if generated.strip():
        parts.insert(draw(st.integers(0, len(parts))), generated if generated.endswith(("\n", "\r")) else generated + "\n")
    source = "".join(parts)
    assume(_compiles(source))  # e.g. a generated `from __future__ import ...` must come first
    return source


@FAST
@given(GRAMMAR)
def test_linting_generated_programs_never_raises(source):
    for src in (source, HEADER + source):
        for data in (src, src.encode("utf-8", "surrogatepass")):
            result = lint_source(data, "gen.py", ALL)
            assert _one_line(result.error), result.error
            assert not (result.error or "").startswith("internal error"), result.error


@FAST
@given(st.binary(max_size=3000), st.sampled_from(["", "import keras\n", "\ufeffimport keras\n",
                                                 "# -*- coding: latin-1 -*-\nimport keras\n"]))
def test_arbitrary_bytes_never_raise(junk, prefix):
    data = prefix.encode() + junk
    for result in (lint_source(data, "junk.py", ALL), fix_source(data, "junk.py", ALL)):
        assert _one_line(result.error), result.error
        assert not (result.error or "").startswith("internal error"), result.error


@FAST
@given(programs(), st.sampled_from([ALL, ALL_TF_KERAS]))
def test_fix_output_parses_and_fixing_is_idempotent(source, settings_):
    fixed = fix_source(source.encode(), "gen.py", settings_)  # its first pass is the lint
    assert _one_line(fixed.error), fixed.error
    assert fixed.error is None or not fixed.error.startswith("internal error"), fixed.error
    if fixed.fixed_source is None:
        return
    out = fixed.fixed_source
    cst.parse_module(out)
    assert _compiles(out.decode()), out.decode()
    again = fix_source(out, "gen.py", settings_)
    assert again.error is None, again.error
    assert again.fixed_source is None, f"not idempotent:\n{out.decode()}\n-- became --\n{again.fixed_source.decode()}"


@pytest.mark.parametrize("settings_", [ALL, ALL_TF_KERAS], ids=["keras3", "tf-keras"])
def test_all_invalid_examples_in_one_file_fix_cleanly(settings_):
    """Every rule's fixes at once, interacting in one file."""
    source = HEADER + "".join(s for s in SNIPPETS if _compiles(HEADER + s))
    assert _compiles(source)
    fixed = fix_source(source.encode(), "all.py", settings_)
    assert fixed.error is None, fixed.error
    assert fixed.fixed_source is not None and _compiles(fixed.fixed_source.decode())
    cst.parse_module(fixed.fixed_source)
    again = fix_source(fixed.fixed_source, "all.py", settings_)
    assert again.error is None and again.fixed_source is None
    assert not [d for d in again.diagnostics if d.fix_applied]


# -- aliases --------------------------------------------------------------------------------------

class _RenameAliases(cst.CSTTransformer):
    """Rename import aliases (``as X``) and every use of them; attribute names and keyword
    argument names are not uses."""

    def __init__(self, mapping):
        super().__init__()
        self.mapping = mapping

    def leave_Name(self, original_node, updated_node):
        new = self.mapping.get(original_node.value)
        return updated_node.with_changes(value=new) if new else updated_node

    def leave_Attribute(self, original_node, updated_node):
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node, updated_node):
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_ImportAlias(self, original_node, updated_node):
        # the imported name itself (``import tf``?) is not an alias: only ``as`` names change
        return updated_node.with_changes(name=original_node.name)


def _aliases(module: cst.Module):
    found = []

    class Collect(cst.CSTVisitor):
        def visit_ImportAlias(self, node):
            if node.asname is not None and isinstance(node.asname.name, cst.Name):
                found.append(node.asname.name.value)

    module.visit(Collect())
    return sorted(set(found))


ALIASED = [(rule, ex) for rule in RULES for ex in rule.INVALID if _aliases(cst.parse_module(ex.source))]
RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | {
    "keras", "tensorflow", "tf_keras", "tf", "K", "np", "numpy", "self", "cls", "print", "super", "object",
    "int", "float", "str", "list", "dict", "tuple", "len", "range", "type", "None", "True", "False"}
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,9}", fullmatch=True).filter(lambda n: n not in RESERVED)


def _findings(source: str, settings_: Settings):
    result = lint_source(source.encode(), "example.py", settings_)
    assert result.error is None, result.error
    return sorted((d.code, d.line) for d in result.diagnostics)


def test_some_examples_have_aliases():
    assert len(ALIASED) >= 10


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from(ALIASED), data=st.data())
def test_invalid_examples_with_random_aliases_give_the_same_findings(case, data):
    rule, example = case
    module = cst.parse_module(example.source)
    old = _aliases(module)
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", example.source))
    new = data.draw(st.lists(NAMES.filter(lambda n: n not in used), min_size=len(old), max_size=len(old), unique=True))
    renamed = module.visit(_RenameAliases(dict(zip(old, new)))).code
    settings_ = Settings([rule], target=example.target, unsafe_fixes=True)
    assert _findings(renamed, settings_) == _findings(example.source, settings_), f"{rule.code}:\n{renamed}"
    fixed = fix_source(renamed.encode(), "example.py", settings_)
    assert fixed.error is None, fixed.error
    assert (fixed.fixed_source is None) == (example.fixed is None), f"{rule.code}:\n{renamed}"
    if fixed.fixed_source is not None:
        assert _compiles(fixed.fixed_source.decode())
