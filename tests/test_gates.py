"""Rule gates (keras_lint/analysis/facts.py): a gate may let through a file its rule stays quiet on,
never hold back one it reports on. Checked on every rule's examples, the fixtures and the project
fixtures, with gates on and off; and the census itself on look-alikes."""
import ast
from pathlib import Path

import pytest

from keras_lint import engine
from keras_lint.analysis import facts as file_facts
from keras_lint.analysis.keras_classes import LAYER
from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules, enabled_rules
from keras_lint.rule import Valid

ROOT = Path(__file__).resolve().parent.parent
RULES = list(all_rules().values())


def _facts(source: str, view=None):
    return file_facts.take(source, ast.parse(source), view)


def _examples():
    for rule in RULES:
        for i, ex in enumerate(rule.INVALID):
            yield pytest.param(rule, ex.source, ex.target, id=f"{rule.code}-invalid-{i}")


@pytest.mark.parametrize("rule,source,target", list(_examples()))
def test_gate_lets_every_invalid_example_through(rule, source, target):
    assert rule.gate(_facts(source), target), f"{rule.code}'s gate holds back its own INVALID example:\n{source}"


def _all_examples():
    for rule in RULES:
        for i, ex in enumerate(list(rule.VALID) + list(rule.INVALID)):
            ex = Valid(ex) if isinstance(ex, str) else ex
            yield pytest.param(ex.source, ex.target, id=f"{rule.code}-{i}")


def _result(res):
    return res.error, [(d.line, d.column, d.code, d.message, d.fix_safety) for d in res.diagnostics]


@pytest.mark.parametrize("source,target", list(_all_examples()))
def test_all_rules_on_every_example_same_with_and_without_gates(source, target):
    rules = list(all_rules().values())
    on = lint_source(source.encode(), "example.py", Settings(rules, target, gates=True))
    off = lint_source(source.encode(), "example.py", Settings(rules, target, gates=False))
    assert _result(on) == _result(off)


def _fixture_files():
    for path in sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "tests" / "projects").rglob("*.py")):
        yield pytest.param(path, id=str(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", list(_fixture_files()))
@pytest.mark.parametrize("target", ["keras3", "tf-keras"])
def test_fixtures_and_projects_same_with_and_without_gates(path, target):
    data = path.read_bytes()
    rules = enabled_rules(select=["ALL"], target=target)
    for mode in (lint_source, fix_source):
        on = mode(data, str(path), Settings(rules, target, unsafe_fixes=True, gates=True))
        off = mode(data, str(path), Settings(rules, target, unsafe_fixes=True, gates=False))
        assert _result(on) == _result(off), mode.__name__
        assert on.fixed_source == off.fixed_source


def test_a_file_no_gate_lets_through_is_not_parsed(monkeypatch):
    from keras_lint import isolation

    monkeypatch.setattr(isolation, "ENABLED", False)  # parse in this process, where it is counted
    calls = []
    real = engine.parse
    monkeypatch.setattr(engine, "parse", lambda src: calls.append(src) or real(src))
    source = b'"""Mentions tf.contrib and K.mean, in prose only."""\nimport tensorflow as tf\nx = tf.constant(1)\n'
    assert lint_source(source, "quiet.py", Settings(enabled_rules(), "keras3")).diagnostics == []
    assert calls == []
    loud = b"import tensorflow as tf\nx = tf.contrib.layers\n"
    assert [d.code for d in lint_source(loud, "loud.py", Settings(enabled_rules(), "keras3")).diagnostics] == ["KL406"]
    assert len(calls) == 1


# -- the census ---------------------------------------------------------------------------------------

def test_references_resolve_through_imports_not_through_look_alikes():
    facts = _facts("import tensorflow as tf\nfrom keras import backend as K\nimport mylib as np2\n"
                   "def f(x):\n    return tf.nn.relu(K.mean(x)) + np2.tf.where(x)\n")
    refs = facts.census.refs
    assert {"tensorflow.nn.relu", "tensorflow.nn", "keras.backend.mean"} <= refs
    assert not any(r.startswith("mylib") for r in refs)
    assert "tensorflow.where" not in refs  # np2.tf.where: an attribute of something else


def test_prose_in_docstrings_and_comment_lines_is_no_reference():
    source = ('"""Use tf.contrib.slim."""\nimport tensorflow as tf\n'
              'class A:\n    """tf.Session is gone."""\n    # tf.placeholder(...)\n    x = 1\n')
    refs = _facts(source).census.refs
    assert not any(r.startswith(("tensorflow.contrib", "tensorflow.Session", "tensorflow.placeholder")) for r in refs)


def test_a_docstring_sharing_its_line_with_code_is_kept():
    facts = _facts('import tensorflow as tf\ndef f():\n    "doc"; return tf.Session()\n')
    assert "tensorflow.Session" in facts.census.refs


def test_layer_subclasses_follow_local_bases_and_ignore_unknown_ones():
    facts = _facts("import keras\nfrom mylib import Base\n"
                   "class A(keras.layers.Layer):\n    pass\nclass B(A):\n    pass\n"
                   "class C(Base):\n    pass\nclass D(object):\n    pass\nclass E(keras.callbacks.Callback):\n    pass\n")
    assert [c.name for c in facts.subclasses((LAYER,))] == ["A", "B"]


def test_init_facts_kwargs_forwarding_and_object_defaults():
    facts = _facts("import keras\nclass A(keras.layers.Layer):\n"
                   "    def __init__(self, units, act=keras.activations.relu, **kwargs):\n"
                   "        super().__init__(**kwargs)\n"
                   "class B(keras.layers.Layer):\n    def __init__(self, units=3, **kw):\n"
                   "        self.inner.__init__(**kw)\n")
    a, b = facts.classes
    assert a.methods["__init__"].forwards_varkw and a.methods["__init__"].object_default
    assert not b.methods["__init__"].forwards_varkw and not b.methods["__init__"].object_default


@pytest.mark.parametrize("source,stacks", [
    ("import keras\n", {"keras3"}),
    ("import tf_keras as keras\n", {"tf-keras"}),
    ("try:\n    import tf_keras as keras\nexcept ImportError:\n    import keras\n", {"keras3", "tf-keras"}),
    ("import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nimport tensorflow as tf\n", {"tf-keras"}),
    ("import os\nos.environ['TF_USE_LEGACY_KERAS'] = '0'\nimport tensorflow as tf\n", {"keras3"}),
    # stack.py only reads module-level statements: a function's import or setting does not count
    ("def f():\n    import tf_keras\n    os.environ['TF_USE_LEGACY_KERAS'] = '1'\n", {"keras3"}),
    ("import keras\nif legacy: import tf_keras\n", {"keras3", "tf-keras"}),
])
def test_stacks_a_gate_considers(source, stacks):
    from keras_lint.analysis.stack import file_target

    assert file_facts.stacks_of(_facts(source), "keras3") == stacks
    # the same as the rules' own stack detection whenever the census is sure of it
    if len(stacks) == 1:
        import libcst as cst

        assert {file_target(cst.parse_module(source), "keras3")} == stacks
    assert file_facts.stacks_of(_facts(source), "tf-keras") == {"tf-keras"}


def test_imports_through_a_project_module_resolve_with_the_project_model():
    project = ROOT / "tests" / "projects" / "detector"
    from keras_lint.analysis.project import view_for

    candidates = [p for p in project.rglob("*.py") if b"backend" in p.read_bytes() and b"import" in p.read_bytes()]
    assert candidates
    resolved = False
    for path in candidates:
        view = view_for(str(path), use_cache=False)
        facts = file_facts.take(path.read_text(), ast.parse(path.read_bytes()), view)
        resolved = resolved or facts.via_project
    assert resolved, "no fixture module reaches Keras through the project's backend module"
