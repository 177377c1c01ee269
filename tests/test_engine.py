"""Engine internals: name resolution, prefilter, traversal, fixes."""
import libcst as cst
import pytest

from keras_lint.engine import Settings, lint_source, suppressed
from keras_lint.names import ImportMap, canonical
from keras_lint.registry import UnknownSelector, all_rules, enabled_rules


def resolve(source: str, expr: str):
    imports = ImportMap()
    for stmt in cst.parse_module(source).body:
        for small in getattr(stmt, "body", []):
            if isinstance(small, cst.Import):
                imports.add_import(small)
            elif isinstance(small, cst.ImportFrom):
                imports.add_import_from(small)
    return imports.qualname(cst.parse_expression(expr))


@pytest.mark.parametrize("source,expr,expected", [
    ("import tensorflow as tf", "tf.where", "tensorflow.where"),
    ("import tensorflow as tf", "tf.compat.v1.where", "tensorflow.where"),
    ("import tensorflow as tf", "tf.keras.layers.Dense", "keras.layers.Dense"),
    ("import tensorflow", "tensorflow.keras.backend.mean", "keras.backend.mean"),
    ("from tensorflow import keras", "keras.layers.Lambda", "keras.layers.Lambda"),
    ("import keras.backend as K", "K.argmax", "keras.backend.argmax"),
    ("from keras import backend as K", "K.tf.where", "tensorflow.where"),
    ("import keras.layers", "keras.layers.Dense", "keras.layers.Dense"),
    ("import tf_keras", "tf_keras.layers.Dense", "keras.layers.Dense"),
    ("from tensorflow.keras.layers import Dense as D", "D", "keras.layers.Dense"),
    ("from tensorflow.compat import v1 as tf1", "tf1.Session", "tensorflow.Session"),
    # look-alikes never resolve
    ("import numpy as np", "np.where", None),
    ("from mylib import backend as K", "K.where", None),
    ("import tensorflow as tf", "where", None),
    ("from . import keras", "keras.layers.Dense", None),
    ("import tensorflow_addons as tfa", "tfa.layers.GroupNormalization", None),
    # a later import of something else rebinds the name
    ("import keras\nfrom keras_cv.backend import keras", "keras.layers.Dense", None),
    ("import tensorflow as tf\nimport mylib as tf", "tf.where", None),
    ("import mylib as tf\nimport tensorflow as tf", "tf.where", "tensorflow.where"),
    # an alias is not a module: `from tf.keras import x` fails at runtime, so it does not resolve
    ("import tensorflow as tf\nfrom tf.keras.layers import Dense", "Dense", None),
])
def test_qualified_names(source, expr, expected):
    assert resolve(source, expr) == expected


def test_canonical_keeps_private_trees():
    assert canonical("keras.src.applications.imagenet_utils") == "keras.src.applications.imagenet_utils"
    assert canonical("tensorflow.compat.v1.keras.layers.Dense") == "keras.layers.Dense"


def test_selection():
    codes = lambda **kw: [r.code for r in enabled_rules(**kw)]  # noqa: E731
    defaults = [c for c, r in all_rules().items() if r.default_enabled]
    assert codes() == defaults
    assert codes(select=["ALL"]) == list(all_rules())
    assert codes(select=["KL40"], ignore=["KL402"]) == [c for c in all_rules() if c.startswith("KL40") and c != "KL402"]
    assert codes(select=["KL401", "KL402"], ignore=["KL4"]) == ["KL401", "KL402"]  # more specific wins
    with pytest.raises(UnknownSelector):
        enabled_rules(select=["KL9"])


def test_noqa_grammar():
    assert suppressed("KL401", "x  # noqa")
    assert suppressed("KL401", "x  # noqa: KL401")
    assert suppressed("KL401", "x  # NOQA:E501,KL4")
    assert not suppressed("KL401", "x  # noqa: KL402")
    assert not suppressed("KL401", "x  # no qa")


def test_prefilter_skips_files_without_keras():
    # not even parsed: a syntax error in a file that cannot concern any rule is not reported
    result = lint_source(b"def f(:\n", "x.py", Settings(list(all_rules().values())))
    assert result.error is None and result.diagnostics == []
    result = lint_source(b"import keras\ndef f(:\n", "x.py", Settings(list(all_rules().values())))
    assert result.error.startswith("syntax error at 2:")


def test_deep_nesting_does_not_escape():
    source = ("import keras\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n").encode()
    result = lint_source(source, "deep.py", Settings(list(all_rules().values())))
    assert result.error is not None or result.diagnostics == []
    source = ("import keras\nx = " + " + ".join(["1"] * 20000) + "\n").encode()
    result = lint_source(source, "long.py", Settings(list(all_rules().values())))
    # LibCST would take most of an hour (it is quadratic in chain length): declined at once
    assert result.error is not None and "nested" in result.error and result.diagnostics == []
