"""KL406 and the API inventory, held against the live pinned stacks.

The inventory is data generated from TensorFlow 2.21 / Keras 3.15 / tf-keras 2.21; these tests
regenerate it, ask the live libraries about names the inventory calls present or missing, and run
every backend fix-table entry on real tensors.
"""
import json
import os
import random
import subprocess
import sys
import textwrap

import pytest

from keras_lint import inventory
from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules, enabled_rules
from keras_lint.rules.api_truth import MissingOnTarget, owned_elsewhere
from keras_lint.tables.backend_ops import BACKEND_MOVES, SAFE

pytest.importorskip("tensorflow")

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


LIVE = "-m keras_lint.inventory.live"  # the live libraries' own answer (keras_lint/inventory/live.py)


def _child(code: str, legacy: bool = False, payload=None):
    """Run ``code`` in a fresh interpreter (TensorFlow's tf.keras choice is per process); it reads
    JSON from stdin and prints JSON."""
    env = dict(ENV)
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    argv = LIVE.split() if code == LIVE else ["-c", textwrap.dedent(code)]
    out = subprocess.run([sys.executable, *argv], input=json.dumps(payload), env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_shipped_inventory_matches_the_installed_stack():
    out = subprocess.run([sys.executable, "-m", "keras_lint.inventory.generate", "--check"], env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


# -- the inventory agrees with the live libraries ------------------------------------------------



def _sample(stack: str, k: int = 250):
    """Names the inventory lists for a stack (public and private), and a missing sibling of each."""
    rng = random.Random(20261201)
    out = []
    files = {"keras3": ["keras3/keras", "keras3/tensorflow.keras", "common/tensorflow", "common/keras.private"],
             "tf-keras": ["tf-keras/tensorflow.keras", "tf-keras/tensorflow.compat.v1.keras", "common/tf_keras",
                          "common/tensorflow"]}[stack]
    for data in files:
        names = [n for n, kind in inventory.namespace(data).items() if "." in n and not kind.startswith("@")
                 and kind != "?"]
        for name in rng.sample(names, min(k, len(names))):
            out.append(name)
            out.append(name + "_gone_in_this_stack")
    return out


@pytest.mark.parametrize("stack", ["keras3", "tf-keras"])
def test_lookup_agrees_with_the_live_stack(stack):
    names = _sample(stack)
    # as keras-lint spells them: tf_keras names stay, the rest are judged on this stack
    verdicts = [inventory.lookup(n, stack) for n in names]
    live = _child(LIVE, legacy=stack == "tf-keras", payload=[[n, False] for n in names])
    wrong = [(n, v.exists, alive) for n, v, alive in zip(names, verdicts, live)
             if v.missing is not None and alive]  # reported missing, but it exists: a false positive
    assert not wrong, wrong[:20]
    missed = [n for n, v, alive in zip(names, verdicts, live) if v.exists and not alive and v.kind in ("m", "a")]
    assert not missed, missed[:20]


def test_import_statements_are_judged_by_importability():
    cases = ["tensorflow.keras", "tensorflow.keras.layers", "tensorflow.compat.v1.keras", "tensorflow.nn",
             "tensorflow.io.gfile", "keras.ops", "keras.layers.convolutional", "tensorflow.compat.v2.keras",
             "tensorflow.python.keras.layers"]
    live = _child(LIVE, payload=[[c, True] for c in cases])
    for case, alive in zip(cases, live):
        assert inventory.lookup(case, "keras3", imported=True).exists is alive, case


def test_renames_point_from_a_missing_name_to_an_existing_one():
    renames = sorted(inventory.namespace("common/tf_renames").items())
    assert len(renames) > 500
    payload = [[old, False] for old, _ in renames] + [[new, False] for _, new in renames]
    live = _child(LIVE, payload=payload)
    old_alive, new_alive = live[: len(renames)], live[len(renames):]
    assert not [o for (o, _), a in zip(renames, old_alive) if a]
    assert not [n for (_, n), a in zip(renames, new_alive) if not a]


# -- the backend table, on real tensors ------------------------------------------------------

# sample arguments per entry: source text evaluated with numpy as np and the arrays below
ARGS = {
    "cast": "x, 'int32'", "clip": "x, 0.2, 0.8", "concatenate": "[x, y]", "reshape": "x, (6, 4)",
    "tile": "x, (1, 2, 1)", "pow": "x, 2", "permute_dimensions": "x, (2, 0, 1)", "repeat_elements": "x, 2, 1",
    "reverse": "x, 1", "arange": "5", "gather": "x, [1, 0]", "one_hot": "[0, 2], 3", "stack": "[x, y]",
    "squeeze": "x[..., :1], -1", "binary_crossentropy": "t, p", "categorical_crossentropy": "t, p",
    "sparse_categorical_crossentropy": "labels, p", "dot": "m, n", "relu": "x - 0.5", "eval": "v",
    "get_value": "v", "constant": "[1, 2]", "elu": "x - 0.5", "name_scope": "'block'",
    "logsumexp": "x, 1", "l2_normalize": "x, 1", "variable": "x", "zeros": "(2, 3)", "ones": "(2, 3)",
    "set_value": "v, 2.0", "update": "v, 2.0", "update_add": "v, 2.0", "update_sub": "v, 2.0",
    "random_uniform": "(2, 3)", "random_normal": "(2, 3)", "dropout": "x, 0.5",
    **{n: "x, y" for n in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "maximum",
                           "minimum")},
}
SETUP = """
import numpy as np
rng = np.random.default_rng(0)
x = rng.random((2, 3, 4), dtype=np.float32)
y = rng.random((2, 3, 4), dtype=np.float32)
m = rng.random((3, 4), dtype=np.float32)
n = rng.random((4, 5), dtype=np.float32)
t = np.eye(4, dtype=np.float32)[[0, 1, 3]]
p = rng.dirichlet(np.ones(4), size=3).astype(np.float32)
labels = np.array([0, 1, 3])
"""

_RUN = """
import json, sys
import numpy as np
import tf_keras, keras
import tensorflow as tf
cases = json.load(sys.stdin)
results = {}
for name, old, new in cases:
    outs = []
    # Keras 2's own function (tf-keras); the facade's where tf-keras 2.21 dropped it (logsumexp)
    k2 = tf_keras.backend if hasattr(tf_keras.backend, name) else tf.keras.backend
    for code, K in ((old, k2), (new, None)):
        ns = {"K": K, "keras": keras}
        exec(SETUP, ns)
        for key, value in list(ns.items()):  # tensors, as a model would pass them
            if isinstance(value, np.ndarray):
                ns[key] = tf.constant(value)
        ns["v"] = (tf_keras.backend.variable(1.0) if K is not None else keras.Variable(1.0))
        try:
            exec(code, ns)
            out = ns["out"]
            if hasattr(out, "__enter__"):
                with out:
                    pass
                outs.append(["context", None, None])
                continue
            if isinstance(out, tuple) and all(isinstance(d, (int, type(None))) for d in out):
                outs.append(["tuple", list(out), None])
                continue
            arr = np.asarray(keras.ops.convert_to_numpy(out) if not isinstance(out, (np.ndarray, str)) else out)
            outs.append([str(arr.dtype), arr.tolist(), list(arr.shape)])
        except Exception as exc:
            outs.append(["error", type(exc).__name__ + ": " + str(exc)[:200], None])
    results[name] = outs
print(json.dumps(results))
"""


def _fixed_call(name: str) -> str:
    source = f"from keras import backend as K\nout = K.{name}({ARGS.get(name, 'x')})\n"
    rule = all_rules()["KL406"]
    fixed = fix_source(source.encode(), "t.py", Settings([rule], target="keras3", unsafe_fixes=True))
    assert fixed.error is None, fixed.error
    assert fixed.fixed_source is not None, f"no fix for K.{name}"
    return fixed.fixed_source.decode()


def test_backend_moves_compute_what_keras_2_computed():
    cases = []
    for name in sorted(BACKEND_MOVES):
        old = f"out = K.{name}({ARGS.get(name, 'x')})"
        new = _fixed_call(name).replace("from keras import backend as K\n", "").replace("import keras\n", "")
        cases.append([name, old, new])
    results = _child("SETUP = " + repr(SETUP) + "\n" + _RUN, payload=cases)
    problems = []
    for name, (k2, k3) in results.items():
        move = BACKEND_MOVES[name]
        if k3[0] == "error":
            problems.append(f"{name}: the fixed call fails on Keras 3: {k3[1]}")
            continue
        if move.safety != SAFE:
            continue
        if k2[0] == "error":
            problems.append(f"{name}: tf-keras's own K.{name} fails on the sample: {k2[1]}")
        elif k2[0] == "context" or k3[0] == "context":
            if k2[0] != k3[0]:
                problems.append(f"{name}: a context manager on one side only")
        elif k2[0] != k3[0] or k2[2] != k3[2] or not _close(k2[1], k3[1]):
            problems.append(f"{name} is marked safe but differs: tf-keras {k2[0]}{k2[2]} vs Keras 3 {k3[0]}{k3[2]}")
    assert not problems, "\n".join(problems)


def _close(a, b) -> bool:
    import numpy as np

    try:
        return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-5, atol=1e-6))
    except (TypeError, ValueError):
        return a == b


def test_facade_backend_shares_keras_3s_own_backend_functions():
    """Re-pointing `K` at `tensorflow.keras.backend` (the unsafe tier) leaves every name that
    exists in both modules the same object."""
    code = """
    import json, keras
    import tensorflow as tf
    both = sorted(n for n in dir(keras.backend) if not n.startswith("_") and hasattr(tf.keras.backend, n))
    print(json.dumps([n for n in both if getattr(keras.backend, n) is not getattr(tf.keras.backend, n)]))
    """
    assert _child(code) == []


# -- one finding per reference -----------------------------------------------------------------

OTHER_CODES = ("KL401", "KL402", "KL403", "KL404", "KL405", "KL203")


@pytest.mark.parametrize("code", OTHER_CODES)
def test_no_second_finding_on_what_a_specific_rule_reports(code):
    rule = all_rules()[code]
    for ex in rule.INVALID:
        every = enabled_rules(select=["ALL"], target=ex.target)
        result = lint_source(ex.source.encode(), "t.py", Settings(every, target=ex.target))
        theirs = {(d.line, d.column) for d in result.diagnostics if d.code == code}
        ours = {(d.line, d.column) for d in result.diagnostics if d.code == "KL406"}
        assert not theirs & ours, (ex.source, result.diagnostics)
        if code == "KL403":
            continue  # its findings are about keywords; with it off, a missing callee is KL406's
        # and it stays that way when the specific rule is switched off
        alone = lint_source(ex.source.encode(), "t.py", Settings([MissingOnTarget], target=ex.target))
        assert not {(d.line, d.column) for d in alone.diagnostics} & theirs, (ex.source, alone.diagnostics)


def test_owned_names():
    assert owned_elsewhere("tensorflow.Session", "keras3") == "KL405"
    assert owned_elsewhere("keras.layers.core.Dense", "keras3") == "KL402"
    assert owned_elsewhere("keras.backend.tf.assign", "keras3") == "KL404"
    assert owned_elsewhere("keras.utils.multi_gpu_model", "keras3") == "KL203"
    assert owned_elsewhere("keras.optimizers.rmsprop", "keras3") == "KL403"
    assert owned_elsewhere("keras.backend.mean", "keras3") is None
    assert owned_elsewhere("tensorflow.floormod", "keras3") is None


# -- stacks ----------------------------------------------------------------------------------------

def _codes(source: str, target: str = "keras3"):
    result = lint_source(source.encode(), "t.py", Settings([MissingOnTarget], target=target))
    assert result.error is None
    return [(d.line, d.message) for d in result.diagnostics]


def test_tf_keras_file_is_judged_against_tf_keras():
    # K.learning_phase exists in tf-keras; the same file without tf_keras is judged against Keras 3
    assert _codes("import tf_keras\nfrom tf_keras import backend as K\np = K.learning_phase()\n") == []
    assert _codes("from keras import backend as K\np = K.learning_phase()\n")
    assert _codes("from keras import backend as K\np = K.learning_phase()\n", target="tf-keras") == []
    # and a name tf-keras lacks is reported there, naming tf-keras
    found = _codes("import tf_keras\nx = tf_keras.layers.NoSuchLayer()\n")
    assert found and "tf-keras" in found[0][1]


def test_tf_compat_v1_keras_exists_only_as_an_attribute_on_keras_3():
    assert _codes("import tensorflow as tf\nK = tf.compat.v1.keras.backend\n") == []
    assert _codes("import tensorflow.compat.v1.keras.backend as K\n")
    assert _codes("import tensorflow.compat.v1.keras.backend as K\n", target="tf-keras") == []


def test_messages_fit_a_terminal_line():
    long = []
    for ex in MissingOnTarget.INVALID:
        for _, message in _codes(ex.source, ex.target):
            if len(message) > 140:
                long.append(message)
    assert not long, long


def test_inventory_is_loaded_only_when_a_file_needs_it(monkeypatch):
    from keras_lint import isolation

    monkeypatch.setattr(isolation, "ENABLED", False)  # lint here, not in the helper process: its caches are inspected
    inventory.namespace.cache_clear()
    rule = [MissingOnTarget]
    lint_source(b"import os\nx = os.path.join('a', 'b')\n", "t.py", Settings(rule))
    lint_source(b"import keras  # a file that names no keras attribute\nprint(1)\n", "t.py", Settings(rule))
    assert inventory.namespace.cache_info().currsize == 0
    lint_source(b"import keras\nm = keras.ops.mean(x)\n", "t.py", Settings(rule))
    assert inventory.namespace.cache_info().currsize == 1  # only the keras namespace


def test_rule_docs_print():
    out = subprocess.run([sys.executable, "-m", "keras_lint", "rule", "KL406"], capture_output=True, text=True)
    assert out.returncode == 0 and "## Fix safety" in out.stdout and "tf_upgrade_v2" in out.stdout


def test_names_in_guidance_exist_on_keras_3():
    import re

    from keras_lint.tables.backend_ops import BACKEND_GUIDANCE

    named = {m for text in BACKEND_GUIDANCE.values() for m in re.findall(r"`(keras\.[A-Za-z_.]+)", text)}
    assert named
    assert [n for n in named if not inventory.lookup(n, "keras3").exists] == []
