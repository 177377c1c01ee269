"""KL504: ops XLA cannot compile, inside a Keras model's `call` / `train_step`, on Keras 3.

Keras 3 (TensorFlow backend) compiles `fit`/`evaluate`/`predict` steps with XLA by default
(`jit_compile="auto"`) when a GPU is present, no distribution strategy is set and every layer
supports it; tf-keras did not (`jit_compile=None`). The ops listed here have no XLA kernel
(measured with `jit_compile=True` on CPU, TF 2.21 / Keras 3.15.1: each fails with
`InvalidArgumentError: Detected unsupported operations when trying to compile graph ... on
XLA_CPU_JIT: <Op>`).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.dataflow import iter_nodes
from ..analysis.facts import stacks_of
from ..analysis.keras_classes import LAYER, MODEL, keras_classes
from ..rule import Invalid, Rule, Valid

#: canonical qualified name -> the XLA op that fails (measured)
XLA_UNSUPPORTED = {
    "tensorflow.py_function": "EagerPyFunc",
    "tensorflow.numpy_function": "PyFunc",
    "tensorflow.py_func": "PyFunc",
    "tensorflow.print": "StringFormat / PrintV2",
    "tensorflow.histogram_fixed_width": "HistogramFixedWidth",
}
#: module prefixes whose ops run on strings or ragged tensors (measured: AsString, RaggedTensorToTensor)
XLA_UNSUPPORTED_PREFIXES = {
    "tensorflow.strings.": "string ops (e.g. AsString)",
    "tensorflow.ragged.": "ragged ops (e.g. RaggedTensorToTensor)",
    "tensorflow.RaggedTensor.": "ragged ops (e.g. RaggedTensorToTensor)",
}
STEP_METHODS = ("call", "train_step", "test_step", "predict_step")


def unsupported_op(qualname: Optional[str]) -> Optional[str]:
    if qualname is None:
        return None
    if qualname in XLA_UNSUPPORTED:
        return XLA_UNSUPPORTED[qualname]
    for prefix, what in XLA_UNSUPPORTED_PREFIXES.items():
        if qualname.startswith(prefix):
            return what
    return None


def _xla_turned_off(module: cst.Module) -> bool:
    """``jit_compile=False`` or ``run_eagerly=True`` as an argument, or ``<x>.jit_compile = False``,
    anywhere in the file (only searched in files with a finding)."""
    for node in iter_nodes(module, skip_defs=False):
        if isinstance(node, cst.Arg) and node.keyword is not None and isinstance(node.value, cst.Name):
            if (node.keyword.value, node.value.value) in (("jit_compile", "False"), ("run_eagerly", "True")):
                return True
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Name) and node.value.value == "False":
            if any(isinstance(t.target, cst.Attribute) and t.target.attr.value == "jit_compile" for t in node.targets):
                return True
    return False


class XlaUnsupportedOpInModel(Rule):
    """
    ## What it does
    Finds, on the Keras 3 stack, calls of TensorFlow ops that XLA cannot compile inside the
    `call` method of a Keras layer or model class, or in a model's `train_step` / `test_step` /
    `predict_step`: `tf.py_function`, `tf.numpy_function`, `tf.compat.v1.py_func`, `tf.print`,
    `tf.histogram_fixed_width`, `tf.strings.*` and `tf.ragged.*` / `tf.RaggedTensor.*`.

    Quiet when the file turns XLA off or runs eagerly anywhere (`jit_compile=False`,
    `run_eagerly=True` in `compile` or elsewhere, `model.jit_compile = False`) and for a class that sets
    `self.supports_jit = False` (Keras 3 then never picks XLA for the model).

    ## Why is this bad?
    Keras 3 compiles the training and inference steps with XLA by default on a GPU
    (`jit_compile="auto"`: on when a GPU is present, no `tf.distribute` strategy is set and every
    layer supports it); tf-keras did not. These ops have no XLA kernel. Measured with
    `jit_compile=True` on CPU (TF 2.21, Keras 3.15.1), each one in a layer's `call` makes `fit`
    fail with `InvalidArgumentError: Detected unsupported operations when trying to compile graph
    ... on XLA_CPU_JIT: EagerPyFunc` (`PyFunc`, `StringFormat`, `HistogramFixedWidth`,
    `AsString`, `RaggedTensorToTensor`). The same model trains on a CPU-only machine with the
    default settings, so the failure appears only when the code moves to a GPU. Ops measured to
    compile (and therefore not listed): `tf.unique`, one-argument `tf.where`, `tf.boolean_mask`,
    `tf.math.bincount`, `tf.dynamic_partition`, `tf.image.non_max_suppression`, `tf.math.top_k`;
    string ops on constants are folded away before XLA sees them, but a string op on data is not.

    ## Example
    ```python
    class Debug(keras.layers.Layer):
        def call(self, x):
            tf.print("batch mean", tf.reduce_mean(x))
            return x
    ```

    ## Use instead
    ```python
    class Debug(keras.layers.Layer):
        def call(self, x):
            return x

    model.compile(optimizer="adam", loss="mse", jit_compile=False)  # if the op must stay
    ```
    Or move string/Python work into the `tf.data` pipeline, outside the model.

    ## Fix safety
    No automatic fix: turning XLA off costs speed on the whole model, removing the op changes
    what the model does; the choice is yours.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py` ("jit_compile is set to True by default on GPU").
    - https://keras.io/api/models/model_training_apis/#compile-method (`jit_compile`).
    - https://www.tensorflow.org/xla/known_issues
    - fixtures/KL504/ (proven with `jit_compile=True` on CPU; the default `"auto"` needs a GPU).
    """

    code = "KL504"
    name = "xla-unsupported-op-in-model"
    message = "`{op}` in {kind} `{cls}.{method}`: no XLA kernel ({xla}); Keras 3 uses XLA on GPU by default: jit_compile=False"

    @classmethod
    def gate(cls, facts, target) -> bool:
        if "keras3" not in stacks_of(facts, target):
            return False
        return any(name in c.methods and c.methods[name].census.refers(lambda r: unsupported_op(r) is not None)
                   for c in facts.subclasses() for name in STEP_METHODS)

    VALID = [
        # XLA turned off, eager, or the layer declares itself unsupported
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        tf.print(x)\n        return x\nmodel.compile('adam', 'mse', jit_compile=False)\n",
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        return tf.py_function(f, [x], tf.float32)\nmodel.compile('adam', 'mse', run_eagerly=True)\n",
        "import tensorflow as tf\nimport keras\nclass M(keras.Model):\n    def call(self, x):\n"
        "        return tf.strings.to_number(tf.strings.as_string(x))\nm = M()\nm.jit_compile = False\n",
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n        self.supports_jit = False\n    def call(self, x):\n"
        "        return tf.strings.as_string(x)\n",
        # outside the model: a tf.data map function, a plain function, __init__
        "import tensorflow as tf\ndef parse(line):\n    return tf.strings.split(line)\nds = ds.map(parse)\n",
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n        tf.print('built')\n",
        # ops that XLA compiles; Python's own print
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        print(x.shape)\n        return tf.unique(tf.reshape(x, [-1]))[0]\n",
        # not a Keras class
        "import tensorflow as tf\nclass A(tf.Module):\n    def call(self, x):\n        tf.print(x)\n",
        # tf-keras does not compile with XLA by default
        "import tensorflow as tf\nimport tf_keras\nclass A(tf_keras.layers.Layer):\n    def call(self, x):\n"
        "        tf.print(x)\n        return x\n",
        Valid("import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
              "        tf.print(x)\n        return x\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nimport keras\n\nclass Debug(keras.layers.Layer):\n    def call(self, x):\n"
            "        tf.print('mean', tf.reduce_mean(x))\n        return x\n",
            line=6),
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\nclass Net(keras.Model):\n"
            "    def train_step(self, data):\n        x, y = data\n"
            "        w = tf.numpy_function(np.log1p, [y], tf.float32)\n        return {}\n",
            line=7),
        Invalid(
            "import tensorflow as tf\nfrom keras import layers\nclass Tok(layers.Layer):\n    def call(self, x):\n"
            "        s = tf.strings.as_string(x)\n        return tf.strings.length(s)\n",
            count=2),
        Invalid(
            "import tensorflow as tf\nimport keras\nclass P(keras.layers.Layer):\n    def call(self, x):\n"
            "        return tf.compat.v1.py_func(f, [x], tf.float32)\nmodel.compile('adam', jit_compile=True)\n",
            line=5),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        if self.ctx.target != "keras3":
            return
        found = []
        for info in keras_classes(node, self.ctx).infos:
            if info.kind not in (LAYER, MODEL) or self._opts_out(info):
                continue
            for name in STEP_METHODS:
                method = info.methods.get(name)
                if method is None or (name != "call" and info.kind != MODEL):
                    continue
                for sub in iter_nodes(method.body):
                    if isinstance(sub, cst.Call):
                        xla = unsupported_op(self.ctx.qualname(sub.func))
                        if xla is not None:
                            found.append((sub, name, info, xla))
        if not found or _xla_turned_off(node):
            return
        for sub, name, info, xla in found:
            op = cst.Module([]).code_for_node(sub.func)
            kind = "model" if info.kind == MODEL else "layer"
            self.report(sub, self.message.format(op=op, method=name, kind=kind, cls=info.name, xla=xla))

    @staticmethod
    def _opts_out(info) -> bool:
        """``self.supports_jit = False`` anywhere in the class."""
        for method in info.methods.values():
            for sub in iter_nodes(method.body):
                if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Name) and sub.value.value == "False":
                    for t in sub.targets:
                        tgt = t.target
                        if (isinstance(tgt, cst.Attribute) and tgt.attr.value == "supports_jit"
                                and isinstance(tgt.value, cst.Name) and tgt.value.value == "self"):
                            return True
        return False
