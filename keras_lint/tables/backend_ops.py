"""Keras 2 backend functions (``keras.backend.X``, gone from Keras 3) and what replaces them (KL406).

Each entry rewrites a call ``K.<name>(...)``: the callee becomes ``call`` (a path under Keras 3),
keyword arguments are renamed by ``keywords``, and a default that differs between the two is passed
explicitly (``carry``: ``K.argmax`` reduces the last axis, ``keras.ops.argmax`` the flattened
tensor). ``template`` entries rewrite the whole call (``K.int_shape(x)`` -> ``tuple(x.shape)``),
with ``{0}``, ``{1}`` the positional arguments. A call with arguments an entry does not know (more
than ``positional`` positional ones, a keyword outside ``keywords``/``carry``/``COMMON_KEYWORDS``,
``*args``) is reported without a fix.

``tests/test_backend_ops.py`` runs every entry on the pinned stack: the replacement exists in Keras
3.15.1, and for the ``SAFE`` ones the fixed call gives the same values, dtype and shape as tf-keras
2.21's ``tf_keras.backend.<name>`` (the Keras 2 implementation) on sample inputs. Entries whose
results differ (random numbers, a variable instead of a tensor, another formula) are ``UNSAFE``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from ..rule import SAFE, UNSAFE


@dataclass(frozen=True)
class BackendMove:
    call: str = ""
    safety: str = SAFE
    keywords: Dict[str, str] = field(default_factory=dict)
    carry: Dict[str, str] = field(default_factory=dict)
    positional: int = 8
    template: Optional[str] = None
    #: why an UNSAFE entry is unsafe (shown by ``keras-lint rule KL406``)
    note: str = ""


def _same(name: str, **kw) -> BackendMove:
    return BackendMove(f"keras.ops.{name}", **kw)


#: keywords that mean the same in both APIs (any other keyword blocks the fix)
COMMON_KEYWORDS = frozenset({"x", "axis", "keepdims", "dtype", "from_logits"})

_X12 = {"x": "x1", "y": "x2"}

BACKEND_MOVES: Dict[str, BackendMove] = {
    # elementwise and reductions: the same function under keras.ops
    **{n: _same(n) for n in ("abs", "all", "any", "cast", "cos", "sin", "exp", "log", "square", "sqrt",
                             "sign", "sigmoid", "tanh", "softplus", "softsign", "mean", "sum", "prod",
                             "std", "var", "max", "min", "stack", "squeeze", "ndim", "transpose",
                             "zeros_like", "ones_like", "one_hot", "binary_crossentropy",
                             "categorical_crossentropy", "sparse_categorical_crossentropy", "elu")},
    **{n: _same(n, keywords=_X12) for n in ("equal", "not_equal", "greater", "greater_equal", "less",
                                           "less_equal", "maximum", "minimum", "dot")},
    "round": _same("round"),
    "logsumexp": _same("logsumexp", safety=UNSAFE,
                       note="not verifiable: tf-keras 2.21's backend no longer has logsumexp to compare with"),
    "softmax": _same("softmax"),
    "relu": _same("relu", positional=1),  # alpha/max_value/threshold have no keras.ops.relu form
    "reshape": _same("reshape", keywords={"shape": "newshape"}),
    "tile": _same("tile", keywords={"n": "repeats"}),
    "clip": _same("clip", keywords={"min_value": "x_min", "max_value": "x_max"}),
    "pow": BackendMove("keras.ops.power", keywords={"a": "x2"}),
    "permute_dimensions": BackendMove("keras.ops.transpose", keywords={"pattern": "axes"}),
    "repeat_elements": BackendMove("keras.ops.repeat", keywords={"rep": "repeats"}),
    "reverse": BackendMove("keras.ops.flip", keywords={"axes": "axis"}),
    # defaults that differ: passed explicitly
    "argmax": _same("argmax", carry={"axis": "-1"}, safety=UNSAFE,
                    note="indices are int32 in Keras 3, int64 in Keras 2 (mixing them in TensorFlow ops fails)"),
    "argmin": _same("argmin", carry={"axis": "-1"}, safety=UNSAFE, note="as argmax"),
    "concatenate": _same("concatenate", keywords={"tensors": "xs"}, carry={"axis": "-1"}),
    "expand_dims": _same("expand_dims", carry={"axis": "-1"}),
    "cumsum": _same("cumsum", carry={"axis": "0"}),
    "cumprod": _same("cumprod", carry={"axis": "0"}),
    "arange": _same("arange", carry={"dtype": "'int32'"}),
    "gather": BackendMove("keras.ops.take", keywords={"reference": "x"}, carry={"axis": "0"}),
    # values read out of tensors and variables
    "eval": BackendMove("keras.ops.convert_to_numpy", positional=1),
    "get_value": BackendMove("keras.ops.convert_to_numpy", positional=1),
    "int_shape": BackendMove(template="tuple({0}.shape)", positional=1),
    "dtype": BackendMove(template="keras.backend.standardize_dtype({0}.dtype)", positional=1),
    "flatten": BackendMove(template="keras.ops.reshape({0}, (-1,))", positional=1),
    "name_scope": BackendMove("keras.name_scope", positional=1),
    "constant": BackendMove("keras.ops.convert_to_tensor", carry={"dtype": "keras.config.floatx()"}, positional=2),
    # results that are not the same object or not the same numbers: unsafe
    "hard_sigmoid": _same("hard_sigmoid", safety=UNSAFE,
                          note="Keras 2 computes 0.2 * x + 0.5 clipped; Keras 3 uses relu6(x + 3) / 6"),
    "l2_normalize": BackendMove("keras.ops.normalize", safety=UNSAFE, carry={"axis": "None"},
                                note="the epsilon under the square root differs (1e-12 against Keras's epsilon)"),
    "shape": _same("shape", safety=UNSAFE,
                   note="K.shape returns a tensor; keras.ops.shape a tuple (of ints, or scalar tensors for "
                        "unknown dimensions)"),
    "variable": BackendMove("keras.Variable", safety=UNSAFE, carry={"dtype": "keras.config.floatx()"},
                            keywords={"value": "initializer", "name": "name"}, positional=1,
                            note="a keras.Variable, not a tf.Variable: tracked by Keras layers, but not "
                                 "by tf.Module"),
    "zeros": _same("zeros", safety=UNSAFE, carry={"dtype": "keras.config.floatx()"}, positional=2,
                   note="K.zeros returns a variable, keras.ops.zeros a tensor"),
    "ones": _same("ones", safety=UNSAFE, carry={"dtype": "keras.config.floatx()"}, positional=2,
                  note="K.ones returns a variable, keras.ops.ones a tensor"),
    "set_value": BackendMove(template="{0}.assign({1})", safety=UNSAFE, positional=2,
                             note="assign keeps the variable's dtype; K.set_value converted the value first"),
    "update": BackendMove(template="{0}.assign({1})", safety=UNSAFE, positional=2,
                          note="K.update returned an op in graph mode; assign runs at once"),
    "update_add": BackendMove(template="{0}.assign_add({1})", safety=UNSAFE, positional=2, note="as update"),
    "update_sub": BackendMove(template="{0}.assign_sub({1})", safety=UNSAFE, positional=2, note="as update"),
    "random_uniform": BackendMove("keras.random.uniform", safety=UNSAFE,
                                  note="another random generator: other numbers for the same seed"),
    "random_normal": BackendMove("keras.random.normal", safety=UNSAFE,
                                 note="another random generator: other numbers for the same seed"),
    "dropout": BackendMove("keras.random.dropout", safety=UNSAFE, keywords={"level": "rate"},
                           note="another random generator: other masks for the same seed"),
}

#: Keras 2 backend names with no mechanical replacement: what to do instead (message text).
BACKEND_GUIDANCE: Dict[str, str] = {
    "learning_phase": "Keras 3 has no learning phase: pass `training=` to the layer or model call",
    "set_learning_phase": "Keras 3 has no learning phase: pass `training=` to the layer or model call",
    "in_train_phase": "pass `training=` to the call and branch on it in a layer's `call`",
    "image_dim_ordering": "use `keras.backend.image_data_format()` ('channels_last'/'channels_first', "
                          "not 'tf'/'th')",
    "set_image_dim_ordering": "use `keras.backend.set_image_data_format('channels_last')`",
    "placeholder": "Keras 3 has no placeholders: use `keras.Input(shape=...)`",
    "function": "Keras 3 has no K.function: call the model (or a sub-model) directly",
    "gradients": "use `tf.GradientTape` (TensorFlow backend)",
    "switch": "use `keras.ops.where(cond, a, b)` (elementwise) or `keras.ops.cond` (scalar condition)",
    "batch_dot": "use `keras.ops.einsum` or `keras.ops.matmul` for batched products",
    "count_params": "use `layer.count_params()` (or `model.count_params()`)",
}
