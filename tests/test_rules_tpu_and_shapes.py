"""KL201-KL203, KL501-KL503, KL601-KL602 beyond their VALID/INVALID examples: look-alikes that
must stay quiet, the real shapes of each pattern, and the measured add_loss decision table."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules

RULES = all_rules()
MISSING = [m for m in ("tensorflow", "keras", "tf_keras") if importlib.util.find_spec(m) is None]
needs_tf = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (keras-lint[harness])")


def lines(code, source, target="keras3"):
    src = textwrap.dedent(source)  # line 1 is the blank line after the opening quotes
    res = lint_source(src.encode(), "t.py", Settings([RULES[code]], target=target))
    assert res.error is None, res.error
    return [d.line for d in res.diagnostics if d.code == code]


# -- KL201 / KL202 ------------------------------------------------------------------------------

def test_kl201_vae_from_a_function_returning_several_models():
    src = """
        import keras
        from keras import ops

        def build_vae(original_dim):
            inputs = keras.Input((original_dim,))
            z = keras.layers.Dense(2)(inputs)
            outputs = keras.layers.Dense(original_dim)(z)
            vae = keras.Model(inputs, outputs, name="vae")
            encoder = keras.Model(inputs, z)
            vae.add_loss(ops.mean(ops.square(inputs - outputs)))
            encoder.summary()
            return vae, encoder
    """
    assert lines("KL201", src) == [11]


def test_kl201_models_from_loaders_and_applications():
    src = """
        import tensorflow as tf
        base = tf.keras.applications.MobileNetV2(weights=None)
        base.add_loss(tf.reduce_mean(base.output))
        m = tf.keras.models.load_model("m.h5")
        m.add_loss(tf.reduce_sum(m.output))
    """
    assert lines("KL201", src, target="tf-keras") == [4, 6]


def test_kl201_self_attribute_model_seen_in_another_method():
    src = """
        import keras
        class Trainer:
            def __init__(self):
                self.model = keras.Sequential([keras.layers.Dense(1)])
            def regularize(self, extra):
                self.model.add_loss(extra)
    """
    assert lines("KL201", src) == [7]


def test_kl201_quiet_on_lookalikes():
    src = """
        import tensorflow as tf
        import keras

        class Graph:
            def add_loss(self, loss):
                self.losses.append(loss)

        g = Graph()
        g.add_loss(tf.constant(1.0))          # not a Keras object
        def f(collector, x):
            collector.add_loss(x)             # a parameter with no Keras evidence
        tf.compat.v1.losses.add_loss(x)       # TF1 collection helper: a module, not a model
        model.add_loss("mse")                 # a string: not Keras's signature

        class Block(keras.layers.Layer):
            def call(self, x):
                self.add_loss(tf.reduce_mean(x))
                def inner():
                    self.dense.add_loss(x)    # nested in call: still inside call
                return x
    """
    assert lines("KL201", src) == []


def test_kl201_local_model_subclass_instance():
    src = """
        import keras
        class Net(keras.Model):
            pass
        net = Net()
        net.add_loss(lambda: 0.0)
    """
    assert lines("KL201", src) == [6]
    assert lines("KL201", src, target="tf-keras") == []  # the callable form runs on tf-keras


def test_kl201_layer_loop_of_a_pretrained_model():
    # the widespread tf-keras idiom to regularize a pretrained model: fine there, an error on Keras 3
    src = """
        import tensorflow as tf
        model = tf.keras.applications.ResNet50(weights=None)
        for layer in model.layers:
            if isinstance(layer, tf.keras.layers.Conv2D):
                layer.add_loss(lambda layer=layer: tf.keras.regularizers.l2(1e-4)(layer.kernel))
    """
    assert lines("KL201", src) == [6]
    assert lines("KL201", src, target="tf-keras") == []


def test_kl202_metrics_names_alone_and_plus_equals():
    src = """
        import keras
        def f(keras_model, t):
            keras_model.metrics_names += ["x"]
            keras_model.metrics_tensors += [t]
        def g(keras_model):
            keras_model.metrics_names.append("y")
    """
    assert lines("KL202", src) == [4, 5]


# -- KL203 --------------------------------------------------------------------------------------

def test_kl203_forms():
    src = """
        import keras
        from keras.utils import multi_gpu_model
        import tensorflow as tf
        p = keras.utils.multi_gpu_model(m, gpus=2)
        q = tf.keras.utils.multi_gpu_utils.multi_gpu_model(m, 2)
    """
    assert lines("KL203", src) == [3, 5, 6]


# -- KL501 / KL502 / KL503 -----------------------------------------------------------------------

def test_kl501_real_detection_code():
    src = """
        import tensorflow as tf
        from tensorflow import keras
        def rpn_loss(rpn_match, rpn_class_logits):
            indices = tf.where(keras.backend.not_equal(rpn_match, 0))
            anchor_class = tf.gather_nd(rpn_match, indices)
            keep = tf.where(tf.equal(anchor_class, 1), anchor_class, tf.zeros_like(anchor_class))
            ix = tf.where(anchor_class > 0, x=None, y=None)
            return keep, ix
    """
    assert lines("KL501", src) == [5, 8]


def test_kl502_is_opt_in():
    assert RULES["KL502"].default_enabled is False
    assert lines("KL502", "import tensorflow as tf\nm = tf.boolean_mask(a, b)\n") == [2]


def test_kl503_quiet_when_dtype_unknown():
    src = """
        import tensorflow as tf
        def f(x, n, counts):
            a = tf.where(x > 1, x, 1.5)                    # x unknown
            b = tf.where(counts > n, counts, 0.5 * n)      # counts unknown
            c = tf.where(x > 0, tf.range(3, dtype=tf.float32), 0.5)
            d = tf.where(x > 0, tf.ones(3, dtype=tf.int32), 2)
            e = tf.where(x > 0, tf.range(n), 0.5)              # n could be a float limit
            return a, b, c, d, e
    """
    assert lines("KL503", src) == []


def test_kl503_follows_names_and_module_constants():
    src = """
        import tensorflow as tf
        FILL = 0.5
        def f(boxes):
            n = tf.shape(boxes)[0]
            return tf.where(n > 3, n, FILL)
    """
    assert lines("KL503", src) == [6]


# -- KL601 ---------------------------------------------------------------------------------------

CLASSIFICATION = """
    import numpy as np
    import tensorflow as tf
    import keras
    from keras import backend as K

    def accuracy(y_true, y_pred):
        return K.mean(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)))

    def decode(logits, mask):
        probs = tf.nn.softmax(logits)
        best = tf.argmax(probs, axis=-1)
        first = tf.argmax(logits, 1)
        masked = tf.where(mask, logits, -1e9 * tf.ones_like(logits))
        return best, first, tf.math.argmax(masked, axis=1)

    model = keras.Model(inputs, outputs)
    labels = np.argmax(model.predict(x), axis=1)
    y = K.argmax(model.output)
    z = keras.ops.argmax(model(x), axis=-1)
"""


def test_kl601_quiet_on_classification_code():
    assert lines("KL601", CLASSIFICATION) == []
    assert lines("KL601", CLASSIFICATION, target="tf-keras") == []


def test_kl601_mask_rcnn_detection_target_shape():
    src = """
        import tensorflow as tf
        def detection_targets(proposals, gt_class_ids, gt_boxes, config):
            crowd_ix = tf.where(gt_class_ids < 0)[:, 0]
            non_crowd_ix = tf.where(gt_class_ids > 0)[:, 0]
            gt_boxes = tf.gather(gt_boxes, non_crowd_ix)
            overlaps = overlaps_graph(proposals, gt_boxes)
            roi_iou_max = tf.reduce_max(overlaps, axis=1)
            positive_indices = tf.where(roi_iou_max >= 0.5)[:, 0]
            positive_indices = tf.random.shuffle(positive_indices)[:config.POSITIVE_COUNT]
            positive_overlaps = tf.gather(overlaps, positive_indices)
            assignment = tf.argmax(positive_overlaps, axis=1)
            return assignment
    """
    assert lines("KL601", src) == [12]
    guarded = src.replace(
        "assignment = tf.argmax(positive_overlaps, axis=1)",
        "assignment = tf.cond(tf.greater(tf.shape(positive_overlaps)[1], 0),\n"
        "                                  true_fn=lambda: tf.argmax(positive_overlaps, axis=1),\n"
        "                                  false_fn=lambda: tf.cast(tf.constant([]), tf.int64))")
    assert lines("KL601", guarded) == []


def test_kl601_assert_guard_and_reductions_over_other_axes():
    src = """
        import tensorflow as tf
        def f(boxes, scores, m):
            kept = tf.boolean_mask(scores, m)
            tf.debugging.assert_greater(tf.size(kept), 0)
            a = tf.argmax(kept)
            per_class = tf.boolean_mask(scores, m)          # [n, classes]
            b = tf.argmax(per_class, axis=-1)               # rank unknown: never guessed
            c = tf.argmax(tf.transpose(tf.where(m)), axis=1)
            return a, b, c
    """
    assert lines("KL601", src) == [9]


# -- KL602 ---------------------------------------------------------------------------------------

def test_kl602_quiet_on_static_and_cast_forms():
    src = """
        import tensorflow as tf
        def f(x, ratio, n):
            h = x.shape[1] * 0.5                         # static Python int
            w = tf.cast(tf.shape(x)[2], tf.float32) * 0.5
            k = tf.shape(x)[0] * n                       # n unknown
            m = tf.minimum(tf.shape(x)[0], int(n * ratio))
            s = tf.size(x) > 0
            return h, w, k, m, s
    """
    assert lines("KL602", src) == []


def test_kl602_fix_keeps_parentheses_and_parses():
    settings = Settings([RULES["KL602"]], unsafe_fixes=True)
    src = b"import tensorflow as tf\nn = tf.maximum(tf.size(x), (k / 2))\n"
    fixed = fix_source(src, "t.py", settings).fixed_source.decode()
    assert fixed == "import tensorflow as tf\nn = tf.maximum(tf.size(x), tf.cast(k / 2, tf.int32))\n"


def test_kl602_no_fix_without_a_tensorflow_alias():
    src = b"from tensorflow import shape, minimum\nn = minimum(shape(x)[0], 0.5 * limit)\n"
    res = lint_source(src, "t.py", Settings([RULES["KL602"]]))
    assert [d.fix_safety for d in res.diagnostics] == [None]


# -- the add_loss decision, measured on both stacks -----------------------------------------------

_CASES = {
    "model_tensor": "m.add_loss(1000.0 * {mean}(out))",
    "model_callable": "m.add_loss(lambda: 1000.0 * {mean}(d.kernel))",
    "layer_tensor": "d.add_loss({reg}(100.0)(d.kernel))",
    "layer_callable": "d.add_loss(lambda: {reg}(100.0)(d.kernel))",
}
_PROGRAM = r"""
import json, sys
import numpy as np
{imports}
out_cases = {{}}
for name, stmt in json.loads(sys.argv[1]).items():
    inp = keras.Input((4,))
    d = keras.layers.Dense(2, kernel_initializer="ones")
    out = d(inp)
    m = keras.Model(inp, out)
    try:
        exec(stmt)
        m.compile(keras.optimizers.SGD(0.01), "mse")
        h = m.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
        # every added loss is >= 100 on a ones kernel: a small total means it was dropped
        out_cases[name] = "runs" if h.history["loss"][0] > 100 else "dropped"
    except Exception as exc:
        out_cases[name] = type(exc).__name__
print(json.dumps(out_cases))
"""
_STACKS = {
    "keras3": ("import keras", "keras.ops.mean", "keras.regularizers.l2", {}),
    "tf-keras": ("import tensorflow as tf\nimport tf_keras as keras", "tf.reduce_mean", "keras.regularizers.l2",
                 {"TF_USE_LEGACY_KERAS": "1"}),
}
# what each call does (measured) and whether KL201 must report it, per stack / --target
_EXPECTED = {
    "keras3": {"model_tensor": ("NotImplementedError", True), "model_callable": ("NotImplementedError", True),
               "layer_tensor": ("dropped", True), "layer_callable": ("ValueError", True)},
    "tf-keras": {"model_tensor": ("runs", True),  # runs on CPU; reported for TPU (not reproducible here)
                 "model_callable": ("runs", False), "layer_tensor": ("ValueError", True),
                 "layer_callable": ("runs", False)},
}


@needs_tf
@pytest.mark.parametrize("stack", list(_STACKS))
def test_kl201_add_loss_decision_matches_the_stacks(stack):
    imports, mean, reg, env = _STACKS[stack]
    cases = {k: v.format(mean=mean, reg=reg) for k, v in _CASES.items()}
    proc = subprocess.run([sys.executable, "-c", _PROGRAM.format(imports=imports), json.dumps(cases)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-2000:]
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, (behaviour, reported) in _EXPECTED[stack].items():
        assert measured[name] == behaviour, (name, measured)
        src = (f"{imports}\ninp = keras.Input((4,))\nd = keras.layers.Dense(2)\nout = d(inp)\n"
               f"m = keras.Model(inp, out)\n{cases[name]}\n")
        assert bool(lines("KL201", src, target=stack)) == reported, (name, stack)
