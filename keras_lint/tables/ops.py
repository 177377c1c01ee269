"""Raw TensorFlow / Keras-2 backend ops and their ``keras.ops`` equivalents (KL101's fix).

Keys are canonical qualified names (see ``keras_lint.names.canonical``): ``tensorflow.reduce_sum``
stands for ``tf.reduce_sum``, ``tf.compat.v1.reduce_sum`` and ``K.tf.reduce_sum``;
``keras.backend.sum`` for ``K.sum`` from ``keras.backend`` / ``tf.keras.backend`` / ``tf_keras.backend``.

An entry maps the raw op to ``keras.ops.<ops>`` only where a call can be rewritten argument for
argument with the same meaning:

- ``positional``: the raw op's leading parameters that may be passed positionally, each with the
  ``keras.ops`` parameter at the same position (``(tf name, ops name)``). A call with more
  positional arguments gets no rewrite.
- ``keywords``: further raw keyword names accepted, with their ``keras.ops`` names.
- ``required``: raw parameters that must be present (where the raw default differs from the
  ``keras.ops`` default, e.g. ``tf.argmax``'s ``axis=None`` means 0, ``keras.ops.argmax``'s means
  "flatten").
- ``inject``: ``keras.ops`` keyword arguments added when the raw parameter is absent, to keep the
  raw default (``K.concatenate`` joins on the last axis, ``keras.ops.concatenate`` on the first).

Any other argument (``name=``, ``validate_indices``, ...) means: no rewrite (KL101 then offers
a ``Lambda`` wrap). ``tests/test_rules_model_and_layers.py`` checks every entry against the
installed TensorFlow, tf-keras and Keras 3: both functions exist and the parameter names sit at
the stated positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Tuple


@dataclass(frozen=True)
class OpSpec:
    ops: str
    positional: Tuple[Tuple[str, str], ...]
    keywords: Tuple[Tuple[str, str], ...] = ()
    required: Tuple[str, ...] = ()
    inject: Tuple[Tuple[str, str], ...] = ()
    params: Dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.params.update(dict(self.positional))
        self.params.update(dict(self.keywords))


def _unary(ops: str, tf_arg: str = "x") -> OpSpec:
    return OpSpec(ops, ((tf_arg, "x"),))


def _binary(ops: str, a: str = "x", b: str = "y") -> OpSpec:
    return OpSpec(ops, ((a, "x1"), (b, "x2")))


def _reduce(ops: str) -> OpSpec:
    return OpSpec(ops, (("input_tensor", "x"), ("axis", "axis"), ("keepdims", "keepdims")))


def _k_reduce(ops: str) -> OpSpec:
    return OpSpec(ops, (("x", "x"), ("axis", "axis"), ("keepdims", "keepdims")))


_TF: Dict[str, OpSpec] = {
    "reduce_sum": _reduce("sum"),
    "reduce_mean": _reduce("mean"),
    "reduce_max": _reduce("max"),
    "reduce_min": _reduce("min"),
    "reduce_prod": _reduce("prod"),
    "reduce_any": _reduce("any"),
    "reduce_all": _reduce("all"),
    "reduce_logsumexp": _reduce("logsumexp"),
    "concat": OpSpec("concatenate", (("values", "xs"), ("axis", "axis")), required=("axis",)),
    "stack": OpSpec("stack", (("values", "x"), ("axis", "axis"))),
    "expand_dims": OpSpec("expand_dims", (("input", "x"), ("axis", "axis")), required=("axis",)),
    "squeeze": OpSpec("squeeze", (("input", "x"), ("axis", "axis"))),
    "transpose": OpSpec("transpose", (("a", "x"), ("perm", "axes"))),
    "reshape": OpSpec("reshape", (("tensor", "x"), ("shape", "newshape"))),
    "cast": OpSpec("cast", (("x", "x"), ("dtype", "dtype"))),
    "tile": OpSpec("tile", (("input", "x"), ("multiples", "repeats"))),
    "square": _unary("square"),
    "sqrt": _unary("sqrt"),
    "exp": _unary("exp"),
    "abs": _unary("abs"),
    "sign": _unary("sign"),
    "negative": _unary("negative"),
    "sigmoid": _unary("sigmoid"),
    "tanh": _unary("tanh"),
    "floor": _unary("floor"),
    "sin": _unary("sin"),
    "cos": _unary("cos"),
    "maximum": _binary("maximum"),
    "minimum": _binary("minimum"),
    "add": _binary("add"),
    "subtract": _binary("subtract"),
    "multiply": _binary("multiply"),
    "divide": _binary("divide"),
    "pow": _binary("power"),
    "equal": _binary("equal"),
    "not_equal": _binary("not_equal"),
    "greater": _binary("greater"),
    "less": _binary("less"),
    "logical_and": _binary("logical_and"),
    "logical_not": _unary("logical_not"),
    "matmul": _binary("matmul", "a", "b"),
    "where": OpSpec("where", (("condition", "condition"), ("x", "x1"), ("y", "x2")), required=("x", "y")),
    "clip_by_value": OpSpec("clip", (("t", "x"), ("clip_value_min", "x_min"), ("clip_value_max", "x_max"))),
    "one_hot": OpSpec("one_hot", (("indices", "x"), ("depth", "num_classes"))),
    "argmax": OpSpec("argmax", (("input", "x"), ("axis", "axis")), required=("axis",)),
    "argmin": OpSpec("argmin", (("input", "x"), ("axis", "axis")), required=("axis",)),
    "zeros_like": OpSpec("zeros_like", (("input", "x"), ("dtype", "dtype"))),
    "ones_like": OpSpec("ones_like", (("input", "x"), ("dtype", "dtype"))),
    "stop_gradient": OpSpec("stop_gradient", (("input", "variable"),)),
    "gather": OpSpec("take", (("params", "x"), ("indices", "indices")), keywords=(("axis", "axis"),),
                     inject=(("axis", "0"),)),
    "math.log": _unary("log"),
    "math.log1p": _unary("log1p"),
    "math.ceil": _unary("ceil"),
    "math.reciprocal": _unary("reciprocal"),
    "math.softplus": OpSpec("softplus", (("features", "x"),)),
    "nn.relu": OpSpec("relu", (("features", "x"),)),
    "nn.sigmoid": _unary("sigmoid"),
    "nn.tanh": _unary("tanh"),
    "nn.softplus": OpSpec("softplus", (("features", "x"),)),
    "nn.silu": OpSpec("silu", (("features", "x"),)),
    "nn.softmax": OpSpec("softmax", (("logits", "x"), ("axis", "axis"))),
}
# the same functions under their tf.math.* names
for _name in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
              "reduce_all", "reduce_logsumexp", "square", "sqrt", "exp", "abs", "sign", "negative",
              "sigmoid", "tanh", "floor", "sin", "cos", "maximum", "minimum", "add", "subtract", "multiply",
              "divide", "pow", "equal", "not_equal", "greater", "less", "logical_and", "logical_not"):
    _TF.setdefault("math." + _name, _TF[_name])
_TF["math.rsqrt"] = _unary("rsqrt")  # no top-level tf.rsqrt in TF 2
_TF["linalg.matmul"] = _TF["matmul"]
_TF["math.argmax"] = _TF["argmax"]
_TF["math.argmin"] = _TF["argmin"]

# keras.backend (Keras 2 / tf-keras; none of these exist in Keras 3's keras.backend)
_K: Dict[str, OpSpec] = {
    "sum": _k_reduce("sum"),
    "mean": _k_reduce("mean"),
    "max": _k_reduce("max"),
    "min": _k_reduce("min"),
    "prod": _k_reduce("prod"),
    "any": _k_reduce("any"),
    "all": _k_reduce("all"),
    "concatenate": OpSpec("concatenate", (("tensors", "xs"), ("axis", "axis")), inject=(("axis", "-1"),)),
    "stack": OpSpec("stack", (("x", "x"), ("axis", "axis"))),
    "expand_dims": OpSpec("expand_dims", (("x", "x"), ("axis", "axis")), inject=(("axis", "-1"),)),
    "squeeze": OpSpec("squeeze", (("x", "x"), ("axis", "axis")), required=("axis",)),
    "reshape": OpSpec("reshape", (("x", "x"), ("shape", "newshape"))),
    "permute_dimensions": OpSpec("transpose", (("x", "x"), ("pattern", "axes"))),
    "cast": OpSpec("cast", (("x", "x"), ("dtype", "dtype"))),
    "tile": OpSpec("tile", (("x", "x"), ("n", "repeats"))),
    "square": _unary("square"),
    # no "sqrt": K.sqrt clips negative inputs to 0 first, keras.ops.sqrt gives nan (measured)
    "exp": _unary("exp"),
    "log": _unary("log"),
    "abs": _unary("abs"),
    "sign": _unary("sign"),
    "sigmoid": _unary("sigmoid"),
    "tanh": _unary("tanh"),
    "softplus": _unary("softplus"),
    "relu": _unary("relu"),
    "softmax": OpSpec("softmax", (("x", "x"), ("axis", "axis"))),
    "maximum": _binary("maximum"),
    "minimum": _binary("minimum"),
    "equal": _binary("equal"),
    "not_equal": _binary("not_equal"),
    "greater": _binary("greater"),
    "less": _binary("less"),
    "pow": OpSpec("power", (("x", "x1"), ("a", "x2"))),
    "clip": OpSpec("clip", (("x", "x"), ("min_value", "x_min"), ("max_value", "x_max"))),
    "argmax": OpSpec("argmax", (("x", "x"), ("axis", "axis")), inject=(("axis", "-1"),)),
    "argmin": OpSpec("argmin", (("x", "x"), ("axis", "axis")), inject=(("axis", "-1"),)),
    "one_hot": OpSpec("one_hot", (("indices", "x"), ("num_classes", "num_classes"))),
    "gather": OpSpec("take", (("reference", "x"), ("indices", "indices")), inject=(("axis", "0"),)),
    "zeros_like": OpSpec("zeros_like", (("x", "x"), ("dtype", "dtype"))),
    "ones_like": OpSpec("ones_like", (("x", "x"), ("dtype", "dtype"))),
    "stop_gradient": OpSpec("stop_gradient", (("variables", "variable"),)),
}

#: canonical raw qualname -> OpSpec
KERAS_OPS: Dict[str, OpSpec] = {}
KERAS_OPS.update({f"tensorflow.{k}": v for k, v in _TF.items()})
KERAS_OPS.update({f"keras.backend.{k}": v for k, v in _K.items()})

#: Functions that take a tensor but return Python values or metadata, not a graph op on it.
NOT_OPS = frozenset({
    "keras.backend.int_shape", "keras.backend.ndim", "keras.backend.dtype", "keras.backend.is_keras_tensor",
    "keras.backend.is_tensor", "keras.backend.floatx", "keras.backend.epsilon", "keras.backend.image_data_format",
    "keras.backend.learning_phase", "keras.backend.get_value", "keras.backend.batch_get_value",
    "keras.backend.count_params", "keras.backend.is_sparse", "keras.backend.print_tensor",
    "keras.backend.name_scope", "keras.backend.clear_session", "keras.backend.set_value",
    "tensorflow.is_tensor", "tensorflow.print", "tensorflow.function", "tensorflow.name_scope",
    "tensorflow.device", "tensorflow.control_dependencies", "tensorflow.get_static_value",
    "tensorflow.executing_eagerly", "tensorflow.debugging.assert_shapes", "tensorflow.nest.flatten",
    "tensorflow.nest.map_structure", "tensorflow.nest.pack_sequence_as", "tensorflow.TensorShape",
    "tensorflow.variable_scope", "tensorflow.compat.v1.variable_scope", "tensorflow.summary.histogram",
    "tensorflow.summary.scalar", "tensorflow.dtypes.as_dtype", "tensorflow.as_dtype",
})

#: TensorFlow namespaces of utilities, not ops on tensors (KL101 and the project model)
NOT_RAW_PREFIXES = ("tensorflow.data.", "tensorflow.io.", "tensorflow.summary.", "tensorflow.config.",
                    "tensorflow.distribute.", "tensorflow.saved_model.", "tensorflow.train.", "tensorflow.debugging.",
                    "tensorflow.test.", "tensorflow.nest.", "tensorflow.estimator.", "tensorflow.lite.",
                    "tensorflow.sysconfig.")


def is_raw_op(qn: str) -> bool:
    """A raw TensorFlow / Keras-2 backend function (canonical name), not a class or utility."""
    if qn in NOT_OPS:
        return False
    last = qn.rsplit(".", 1)[-1]
    if not last[:1].islower():
        return False  # classes: tf.TensorShape, tf.Variable, ...
    if qn.startswith("tensorflow."):
        return not qn.startswith(NOT_RAW_PREFIXES)
    return qn.startswith("keras.backend.")
