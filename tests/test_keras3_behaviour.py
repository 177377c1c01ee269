"""Keras 3 behaviour rules (KL304-KL306, KL407-KL410, KL504): the measured table behind KL410's
fix, and path/stack behaviour the rule examples do not show on their own."""
import importlib
import json
import os
import subprocess
import sys

import pytest

from keras_lint.engine import Settings, lint_source
from keras_lint.registry import all_rules
from keras_lint.rules.keras3_imports import holds_legacy, same_under_keras
from keras_lint.tables.tf_keras_only import TF_KERAS_DIFFERENT, TF_KERAS_ONLY

tf_missing = importlib.util.find_spec("tensorflow") is None

# The same walk the table was generated with: names under tf.keras (keras._tf_keras.keras) that
# keras lacks, and names that are different objects under the two spellings.
WALK = r"""
import json
import keras
import keras._tf_keras.keras as tk
def walk(mod, prefix, out, depth=0):
    for name in dir(mod):
        if name.startswith("_"):
            continue
        obj = getattr(mod, name)
        out[prefix + name] = obj
        if type(obj).__name__ == "module" and depth < 4 and getattr(obj, "__name__", "").startswith("keras"):
            walk(obj, prefix + name + ".", out, depth + 1)
a, b = {}, {}
walk(tk, "", a)
walk(keras, "", b)
only = sorted(k for k in a if k not in b)
diff = sorted(k for k in a if k in b and a[k] is not b[k] and type(a[k]).__name__ != "module")
print(json.dumps([only, diff]))
"""


@pytest.mark.skipif(tf_missing and not os.environ.get("CI"), reason="TensorFlow not installed (keras-lint[harness])")
def test_tf_keras_only_table_matches_the_installed_wheels():
    out = subprocess.run([sys.executable, "-c", WALK], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    only, diff = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(only) == TF_KERAS_ONLY
    assert set(diff) == TF_KERAS_DIFFERENT


def test_same_under_keras_verdicts():
    assert same_under_keras("layers.Dense")
    assert not same_under_keras("backend.mean")  # tf.keras-only legacy backend function
    assert not same_under_keras("preprocessing.text.Tokenizer")  # inside a tf.keras-only module
    assert not same_under_keras("layers.AlphaDropout")  # a different class
    assert not same_under_keras("")  # the tf.keras module itself
    assert holds_legacy("layers") is True and holds_legacy("backend") is True
    assert holds_legacy("optimizers.Adam") is False


def _codes(source, target="keras3", select=None):
    rules = [all_rules()[c] for c in (select or all_rules())]
    result = lint_source(source.encode(), "example.py", Settings(rules, target=target))
    assert result.error is None, result.error
    return [(d.line, d.code) for d in result.diagnostics]


KERAS3_ONLY = ["KL304", "KL306", "KL407", "KL408", "KL409", "KL410", "KL504"]
ONE_OF_EACH = (
    "import tensorflow as tf\n"
    "import keras\n"
    "class A(keras.layers.Layer):\n"
    "    def build(self, s):\n"
    "        self.w = tf.Variable(1.0)\n"
    "    def call(self, x):\n"
    "        tf.print(x)\n"
    "        if tf.reduce_sum(x) > 0:\n"
    "            return x\n"
    "        return x\n"
    "model = keras.Sequential([keras.layers.LSTM(2, time_major=True)])\n"
    "model.save('saved_dir')\n"
    "m = keras.models.load_model('saved_dir')\n"
    "n = tf.keras.Sequential()\n"
)


def test_keras3_rules_fire_on_keras3_and_stay_silent_on_tf_keras():
    found = {code for _, code in _codes(ONE_OF_EACH, select=KERAS3_ONLY)}
    assert found == set(KERAS3_ONLY)
    assert _codes(ONE_OF_EACH, target="tf-keras", select=KERAS3_ONLY) == []
    # a file that imports tf_keras is judged against tf-keras whatever --target says
    assert _codes("import tf_keras\n" + ONE_OF_EACH, select=KERAS3_ONLY) == []


def test_kl410_is_opt_in():
    assert not all_rules()["KL410"].default_enabled
    assert all(all_rules()[c].default_enabled for c in KERAS3_ONLY if c != "KL410")


@pytest.mark.parametrize("path,reported", [
    ("'model'", True), ("'model.keras'", False), ("'model.h5'", False), ("'model.hdf5'", False),
    ("f'{d}/model'", True), ("f'{d}/{n}'", False), ("d + '/model.keras'", False), ("d + '/model'", True),
    ("os.path.join(d, 'm')", True), ("Path(d) / 'm.keras'", False), ("'{}/m'.format(d)", True),
    ("'{}'.format(d)", False), ("'gs://bucket/model'", False), ("PATH", True), ("other", False),
])
def test_kl407_judges_the_visible_end_of_the_path(path, reported):
    source = ("import os\nimport keras\nfrom pathlib import Path\nPATH = 'exports/model'\n"
              f"model = keras.Sequential()\nmodel.save({path})\n")
    assert (_codes(source, select=["KL407"]) != []) is reported


def test_kl407_follows_a_local_variable_nearest_first():
    source = ("import keras\ndef f(model):\n    model.fit(x, y)\n    path = 'a.keras'\n    model.save(path)\n"
              "    path = 'b_dir'\n    model.save(path)\n")
    assert _codes(source, select=["KL407"]) == [(7, "KL407")]
