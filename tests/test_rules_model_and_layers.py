"""KL101, KL102, KL301-KL303 beyond their VALID/INVALID examples: the keras.ops table checked
against the installed libraries, look-alikes, and real-world shapes of the patterns."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time

import libcst as cst
import pytest

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules, enabled_rules
from keras_lint.tables.ops import KERAS_OPS, NOT_OPS

RULES = all_rules()
tf_missing = any(importlib.util.find_spec(m) is None for m in ("tensorflow", "keras", "tf_keras"))


def lint(code, source, target="keras3"):
    result = lint_source(textwrap.dedent(source).encode(), "t.py", Settings([RULES[code]], target=target))
    assert result.error is None, result.error
    return [d.line for d in result.diagnostics if d.code == code]


def fix(code, source, target="keras3"):
    result = fix_source(textwrap.dedent(source).encode(), "t.py", Settings([RULES[code]], target=target, unsafe_fixes=True))
    assert result.error is None, result.error
    return result.fixed_source.decode() if result.fixed_source is not None else None


# -- the keras.ops table, against the installed TensorFlow / tf-keras / Keras 3 ----------------------

TABLE_CHECK = r"""
import inspect, json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
import keras
import tf_keras

def params_of(fn):
    return [p.name for p in inspect.signature(fn).parameters.values()]

table = json.loads(sys.argv[1])
problems = []
for name, spec in table.items():
    ops_fn = getattr(keras.ops, spec["ops"], None)
    if ops_fn is None:
        problems.append(f"{name}: keras.ops.{spec['ops']} does not exist"); continue
    ops_params = params_of(ops_fn)
    for i, (raw, new) in enumerate(spec["positional"]):
        if i >= len(ops_params) or ops_params[i] != new:
            problems.append(f"{name}: keras.ops.{spec['ops']} parameter {i} is not {new!r}: {ops_params}")
    for raw, new in spec["keywords"] + [(n, n) for n, _ in spec["inject"]]:
        if new not in ops_params:
            problems.append(f"{name}: keras.ops.{spec['ops']} has no parameter {new!r}")
    if name.startswith("tensorflow."):
        obj = tf
        for part in name.split(".")[1:]:
            obj = getattr(obj, part, None)
    else:
        obj = getattr(tf_keras.backend, name.rsplit(".", 1)[1], None)
    if obj is None:
        problems.append(f"{name}: does not exist on the pinned stack"); continue
    raw_params = params_of(obj)
    for i, (raw, new) in enumerate(spec["positional"]):
        if i >= len(raw_params) or raw_params[i] != raw:
            problems.append(f"{name}: parameter {i} is not {raw!r}: {raw_params}")
    for raw, new in spec["keywords"]:
        if raw not in raw_params:
            problems.append(f"{name}: has no parameter {raw!r}")

# same results on sample data, for the argument shapes the fix produces
x = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]], dtype="float32")
y = np.array([[1.0, 2.0, -1.0], [0.5, 0.5, 4.0]], dtype="float32")
def raw_fn(name):
    if name.startswith("tensorflow."):
        obj = tf
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        return obj
    return getattr(tf_keras.backend, name.rsplit(".", 1)[1])
for name, spec in table.items():
    pos = [p for p, _ in spec["positional"]]
    calls = None
    if len(pos) == 1:
        calls = [((x,), {})]
    elif pos[1:] == ["axis", "keepdims"]:
        calls = [((x,), {}), ((x, 1), {}), ((x, 0, True), {})]
    elif len(pos) == 2 and pos[1] in ("y", "b", "a") and spec["ops"] not in ("matmul",):
        calls = [((x, y), {})]
    if calls is None:
        continue
    for args, kwargs in calls:
        try:
            raw_args = [tf.constant(a) if isinstance(a, np.ndarray) else a for a in args]
            want = np.asarray(raw_fn(name)(*raw_args, **kwargs))
            inject = {k: eval(v) for k, v in spec["inject"]}
            got = np.asarray(keras.ops.convert_to_numpy(getattr(keras.ops, spec["ops"])(*args, **inject, **kwargs)))
        except Exception as exc:  # noqa: BLE001
            if spec["ops"] in ("logical_and", "logical_not", "any", "all"):
                continue  # boolean-only ops: checked by signature above
            problems.append(f"{name}: sample call failed: {type(exc).__name__}: {exc}"); continue
        if want.shape != got.shape or not np.allclose(want, got, equal_nan=True):
            problems.append(f"{name}{args[1:]}: {want.tolist()} != keras.ops.{spec['ops']}: {got.tolist()}")
print(json.dumps(problems))
"""


@pytest.mark.skipif(tf_missing, reason="tensorflow, keras and tf-keras are needed")
def test_ops_table_matches_installed_libraries():
    table = {name: {"ops": s.ops, "positional": list(s.positional), "keywords": list(s.keywords),
                    "inject": list(s.inject)} for name, s in KERAS_OPS.items()}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    out = subprocess.run([sys.executable, "-c", TABLE_CHECK, json.dumps(table)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    problems = json.loads(out.stdout.strip().splitlines()[-1])
    assert problems == []


def test_ops_table_shape():
    for name, spec in KERAS_OPS.items():
        assert name.startswith(("tensorflow.", "keras.backend.")), name
        assert name not in NOT_OPS
        for required in spec.required:
            assert required in spec.params, (name, required)
        for ops_name, code in spec.inject:
            cst.parse_expression(code)
            assert ops_name not in {p for _, p in spec.positional[:1]}, name


# -- KL101 -------------------------------------------------------------------------------------------

DEEP_HELPERS = """
    import tensorflow as tf
    from tensorflow.keras.layers import Conv2D, Input, MaxPool2D
    from tensorflow.keras import Model

    def conv(x, filters):
        return Conv2D(filters, 3, padding="same")(x)

    def block(x, filters):
        route = x
        x = conv(x, filters)
        return tf.concat([x, route], axis=-1)

    def backbone(x):
        x = block(x, 8)
        x = MaxPool2D()(x)
        return block(x, 16)

    def build():
        image = Input((32, 32, 3))
        features = backbone(image)
        outputs = []
        for i, f in enumerate([features]):
            outputs.append(conv(f, 4))
        return Model(image, outputs)
"""


def test_kl101_follows_helpers_lists_and_loops():
    assert lint("KL101", DEEP_HELPERS) == [12]
    fixed = fix("KL101", DEEP_HELPERS)
    assert "keras.ops.concatenate([x, route], axis=-1)" in fixed
    cst.parse_module(fixed)
    assert fix("KL101", fixed) is None


def test_kl101_raw_value_passed_into_a_helper_that_feeds_a_layer():
    src = """
        import tensorflow as tf
        from tensorflow.keras import layers
        def head(t):
            return layers.Dense(2)(t)
        def build():
            inp = tf.keras.Input((4,))
            squashed = tf.tanh(inp)
            return head(squashed)
    """
    assert lint("KL101", src) == [8]


@pytest.mark.parametrize("source", [
    # eager code: results of layer calls on real tensors
    """
    import tensorflow as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    logits = model(tf.ones((1, 4)))
    probs = model(tf.nn.softmax(logits))
    """,
    # a custom training loop in a plain function: its argument is a batch, not a KerasTensor
    """
    import tensorflow as tf
    from tensorflow import keras
    encoder = keras.layers.Dense(8)
    head = keras.layers.Dense(2)
    def train_step(images):
        features = encoder(images)
        return head(tf.reduce_mean(features, axis=0, keepdims=True))
    """,
    # a loss function (K.* on real tensors) and a Lambda body defined after its use
    """
    from keras import backend as K
    from keras.layers import Input, Lambda, Dense
    def loss(y_true, y_pred):
        return K.mean(K.square(y_pred - y_true))
    x = Input((4,))
    y = Dense(2)(Lambda(lambda t: norm(t))(x))
    def norm(t):
        return Dense(2)(K.l2_normalize(t, 1))
    """,
    # the raw op's result only goes to the metrics / a K.function, never to a layer
    """
    import tensorflow as tf
    from tensorflow import keras
    inp = keras.Input((4,))
    out = keras.layers.Dense(2)(inp)
    model = keras.Model(inp, out)
    mean_out = tf.reduce_mean(model.output)
    fn = keras.backend.function([model.input], [mean_out])
    """,
    # a method of a Layer subclass through a custom base of the same file
    """
    import tensorflow as tf
    class Base(tf.keras.layers.Layer):
        pass
    class Head(Base):
        def build_branch(self, x):
            return tf.keras.layers.Dense(2)(tf.nn.relu(x))
    """,
    # call() of a class whose base comes from another file
    """
    import tensorflow as tf
    from .base import BaseLayer
    class Head(BaseLayer):
        def call(self, x):
            return tf.keras.layers.Dense(2)(tf.nn.relu(x))
    """,
    # a project's own `K`
    """
    import mylib.backend as K
    from keras.layers import Input, Dense
    x = Input((4,))
    y = Dense(2)(K.sum(x, 1))
    """,
    # tf.function-decorated function
    """
    import tensorflow as tf
    inp = tf.keras.Input((4,))
    dense = tf.keras.layers.Dense(2)
    @tf.function(jit_compile=True)
    def f(x):
        return dense(tf.nn.relu(x))
    f(inp)
    """,
])
def test_kl101_look_alikes_stay_quiet(source):
    assert lint("KL101", source) == []


def test_kl101_is_quiet_for_tf_keras_target():
    src = "import tensorflow as tf\nx = tf.keras.Input((4,))\ny = tf.keras.layers.Dense(2)(tf.nn.relu(x))\n"
    assert lint("KL101", src) == [3]
    assert lint("KL101", src, target="tf-keras") == []


def test_kl101_message_names_the_replacement():
    src = "import tensorflow as tf\nx = tf.keras.Input((4,))\ny = tf.keras.layers.Dense(2)(tf.reduce_mean(x, 1))\n"
    result = lint_source(src.encode(), "t.py", Settings([RULES["KL101"]]))
    assert "keras.ops.mean" in result.diagnostics[0].message
    src = "import tensorflow as tf\nx = tf.keras.Input((4,))\ny = tf.keras.layers.Dense(2)(tf.linalg.cross(x, x))\n"
    result = lint_source(src.encode(), "t.py", Settings([RULES["KL101"]]))
    assert "Lambda" in result.diagnostics[0].message


def test_kl101_keeps_semantics_where_defaults_differ():
    src = """
        import tensorflow as tf
        x = tf.keras.Input((4,))
        a = tf.keras.layers.Dense(2)(tf.argmax(x))
        b = tf.keras.layers.Dense(2)(tf.gather(x, [0, 1], 1))
    """
    fixed = fix("KL101", src)
    # tf.argmax without axis (0) differs from keras.ops.argmax without axis (flatten): Lambda
    assert "keras.layers.Lambda(lambda x: tf.argmax(x))(x)" in fixed
    # tf.gather's third positional parameter is validate_indices: Lambda, not keras.ops.take
    assert "keras.ops.take" not in fixed


# -- KL102 -------------------------------------------------------------------------------------------

def test_kl102_is_opt_in():
    for target in ("keras3", "tf-keras"):
        assert RULES["KL102"] not in enabled_rules(target=target)
    assert RULES["KL102"] in enabled_rules(select=["KL102"])
    assert RULES["KL101"] in enabled_rules()


def test_kl102_lists_of_outputs_are_not_slices():
    src = """
        import keras
        inp = keras.Input((4,))
        base = keras.Model(inp, [keras.layers.Dense(2)(inp), keras.layers.Dense(3)(inp)])
        x = keras.layers.Dense(1)(base.outputs[0])
        y = keras.layers.Dense(1)(x[:, :1])
        z = keras.layers.Dense(1)(base.output[..., 0])
    """
    assert lint("KL102", src) == [6, 7]


# -- KL301 / KL302 / KL303 -----------------------------------------------------------------------------

MASK_RCNN_SHAPE = """
    import tensorflow as tf
    import keras.engine as KE
    import keras.layers as KL

    class ProposalLayer(KE.Layer):
        def __init__(self, proposal_count, nms_threshold, config=None, **kwargs):
            super(ProposalLayer, self).__init__(**kwargs)
            self.config = config
            self.proposal_count = proposal_count
            self.nms_threshold = nms_threshold

        def call(self, inputs):
            return inputs

    class PyramidROIAlign(KL.Layer):
        def __init__(self, pool_shape, **kwargs):
            super(PyramidROIAlign, self).__init__(**kwargs)
            self.pool_shape = tuple(pool_shape)

    class InferenceConfig:
        NAME = "coco"

    def build(anchors, feature_maps):
        config = InferenceConfig()
        rois = ProposalLayer(proposal_count=1000, nms_threshold=0.7, config=InferenceConfig())(anchors)
        return PyramidROIAlign([7, 7])([rois] + feature_maps)
"""


def test_kl301_real_world_shapes():
    # ProposalLayer gets an instance of a class of the file; PyramidROIAlign only plain values
    assert lint("KL301", MASK_RCNN_SHAPE) == [6]
    fixed = fix("KL301", MASK_RCNN_SHAPE)
    assert ('        config.update(\n            {\n                "proposal_count": self.proposal_count,\n'
            '                "nms_threshold": self.nms_threshold,\n                "config": self.config,\n'
            '            }\n        )\n') in fixed
    assert "super(ProposalLayer, self).get_config()" in fixed
    added = set(fixed.splitlines()) - set(textwrap.dedent(MASK_RCNN_SHAPE).splitlines())
    assert max(len(line) for line in added) <= 88
    assert fixed.count("def get_config") == 1
    assert fix("KL301", fixed) is None


def test_kl301_nested_and_duplicate_class_names():
    src = """
        import keras
        import numpy as np
        def make():
            class Local(keras.layers.Layer):
                def __init__(self, table, **kwargs):
                    super().__init__(**kwargs)
                    self.table = table
            return Local(np.zeros(3))
        class Local:
            def __init__(self, x):
                self.x = x
    """
    assert lint("KL301", src) == [5]


def test_kl302_and_kl301_fixes_combine():
    src = """
        import keras
        class Scale(keras.layers.Layer):
            def __init__(self, factor):
                super().__init__()
                self.factor = factor
        scale = Scale(keras.initializers.Constant(2.0))
    """
    settings = Settings([RULES["KL301"], RULES["KL302"]], unsafe_fixes=True)
    result = fix_source(textwrap.dedent(src).encode(), "t.py", settings)
    fixed = result.fixed_source.decode()
    assert "def __init__(self, factor, **kwargs):" in fixed
    assert "super().__init__(**kwargs)" in fixed
    assert "def get_config(self):" in fixed
    again = lint_source(result.fixed_source, "t.py", Settings([RULES["KL301"], RULES["KL302"]]))
    assert again.diagnostics == []


def test_kl303_lasagne_and_helpers_stay_quiet():
    src = """
        import lasagne
        import keras
        class A(lasagne.layers.Layer):
            def get_output_shape_for(self, s):
                return s
        def get_output_shape_for(layer, s):
            return s
    """
    assert lint("KL303", src) == []


# -- robustness and cost -------------------------------------------------------------------------------

ODD_SYNTAX = """
    import tensorflow as tf
    from tensorflow import keras
    x = keras.Input((4,))
    (a := keras.layers.Dense(2)(x))
    [b, *rest] = keras.layers.Dense(2)(x), x
    match x:
        case _:
            y = keras.layers.Dense(1)(tf.nn.relu(x))
    async def f(*args, **kwargs):
        async with args as z:
            return keras.layers.Dense(1)(tf.nn.relu(z))
    class C(keras.layers.Layer, metaclass=type):
        def __init__(self, *, a, b=1, **kw):
            super().__init__(**kw)
    lam = lambda t: keras.layers.Dense(1)(tf.nn.relu(t))
    d = {k: keras.layers.Dense(1)(v) for k, v in {"a": x}.items()}
"""


@pytest.mark.parametrize("code", ["KL101", "KL102", "KL301", "KL302", "KL303"])
def test_odd_syntax_does_not_crash(code):
    lint(code, ODD_SYNTAX)


def test_big_file_is_cheap():
    block = DEEP_HELPERS.replace("def ", "def f{i}_").replace("conv(", "f{i}_conv(").replace(
        "block(", "f{i}_block(").replace("backbone(", "f{i}_backbone(")
    source = textwrap.dedent(DEEP_HELPERS) + "".join(textwrap.dedent(block).replace("{i}", str(i)) for i in range(60))
    settings = Settings([RULES[c] for c in ("KL101", "KL102", "KL301", "KL302", "KL303")])
    start = time.perf_counter()
    result = lint_source(source.encode(), "t.py", settings)
    assert result.error is None
    assert time.perf_counter() - start < 10


def test_kl101_pretrained_backbone_layers_and_dict_outputs():
    src = """
        import tensorflow as tf
        from tensorflow import keras
        inp = keras.Input((64, 64, 3))
        base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inp)
        feat = base.layers[-3].output
        pooled = tf.reduce_mean(base.output, axis=[1, 2])
        head = keras.layers.Dense(2)(pooled)
        model = keras.Model(inp, {"head": head, "aux": tf.nn.sigmoid(feat)})
    """
    assert lint("KL101", src) == [7, 9]


def test_kl101_dynamic_shape_ops_are_reported_without_fix():
    src = """
        import tensorflow as tf
        x = tf.keras.Input((4, 3))
        n = tf.shape(x)[1]
        y = tf.keras.layers.Dense(2)(tf.reshape(x, (-1, n * 3)))
    """
    assert lint("KL101", src) == [4, 5]
    fixed = fix("KL101", src)
    assert "tf.shape(x)" in fixed and "keras.ops.reshape" in fixed
