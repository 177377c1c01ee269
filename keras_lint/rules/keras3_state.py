"""KL304, KL305, KL306: custom layers whose state or control flow Keras 3 handles differently.

All three look at the classes ``analysis.keras_classes`` knows to be Keras layers or models, at
``leave_Module``, and only at the methods written in the class itself:

- KL304: ``self.<attr> = tf.Variable(...)`` (Keras 3 does not track a raw ``tf.Variable``);
- KL305: weights or sub-layers created in ``call`` (Keras 3 wants them in ``__init__``/``build``);
- KL306: Python ``if``/``while`` on a value that is provably a tensor in ``call`` (Keras 3 does
  not run ``call`` through autograph).
"""
from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from ..analysis.dataflow import ASSIGN, build_scope, iter_nodes
from ..analysis.facts import stacks_of
from ..analysis.keras_classes import LAYER, MODEL, ClassInfo, keras_class_kind, keras_classes
from ..fixes import dotted_expr
from ..names import dotted_name
from ..rule import UNSAFE, Fix, ImportSpec, Invalid, Rule, Valid

#: keywords of ``tf.Variable`` that ``keras.Variable`` takes with the same meaning
_SAME_KEYWORDS = frozenset({"name", "dtype", "trainable"})


def _layer_classes(rule: Rule, module: cst.Module) -> Iterator[ClassInfo]:
    for info in keras_classes(module, rule.ctx).infos:
        if info.kind in (LAYER, MODEL):
            yield info


def _self_attr(expr: cst.BaseExpression) -> Optional[str]:
    """``attr`` for ``self.attr``, else None."""
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return expr.attr.value
    return None


def _assignments(method: cst.FunctionDef) -> Iterator[cst.Assign]:
    for node in iter_nodes(method.body):
        if isinstance(node, cst.Assign):
            yield node


def _decorated_tf_function(rule: Rule, method: cst.FunctionDef) -> bool:
    for dec in method.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if rule.ctx.qualname(expr) in ("tensorflow.function", "tensorflow.autograph.experimental.do_not_convert"):
            return True
    return False


# -- KL304 ------------------------------------------------------------------------------------------

class UntrackedTfVariable(Rule):
    """
    ## What it does
    Finds `self.<attr> = tf.Variable(...)` (also a list or tuple of them, or a comprehension that
    builds them) in any method of a class deriving from a Keras `Layer` or `Model`, on the
    Keras 3 stack.

    ## Why is this bad?
    Keras 3 tracks only its own `keras.Variable`s (created by `self.add_weight(...)` or
    `keras.Variable(...)`). A raw `tf.Variable` stored on a layer is invisible to it: it is not in
    `layer.weights` or `trainable_weights`, so `fit` never updates it, and `model.save(...)` /
    `save_weights` do not write it. Nothing fails: the model trains without that weight, and a
    reloaded model starts it from its initial value again. Measured on Keras 3.15.1: a layer with
    `self.w = tf.Variable(tf.ones((3, 1)))` in `__init__` (or in `build`) reports 0 weights, and
    `fit` leaves `w` unchanged ("The model does not have any trainable weights"). tf-keras tracks
    the same variable (1 trainable weight), so the rule is silent on tf-keras files and targets.
    keras-team/keras#18467 lists it among the Keras 2 <> Keras 3 incompatibilities.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = tf.Variable(tf.ones((input_shape[-1],)), name="w")

        def call(self, x):
            return x * self.w
    ```

    ## Use instead
    ```python
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w
    ```

    ## Fix safety
    Unsafe: `tf.Variable(value, name=..., dtype=..., trainable=...)` becomes
    `keras.Variable(value, name=..., dtype=..., trainable=...)` (`initial_value=` becomes
    `initializer=`; `import keras` is added). The weight is then trained and saved, which is the
    point but changes what `fit` does and what files contain. Measured on Keras 3.15.1:
    `keras.Variable` keeps the initial value and dtype of a tensor or array (float64 stays
    float64), is tracked, trained and saved. No fix is offered for other arguments
    (`tf.Variable`'s second positional argument is `trainable`, `keras.Variable`'s is `shape`;
    `constraint=`, `synchronization=`, ... have no equal), for a lambda as the value
    (`keras.Variable` then needs a `shape`), or for a name with a `/` (`keras.Variable` refuses it).

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py` ("Transitioning to backend-agnostic Keras 3").
    - https://keras.io/api/layers/base_layer/#addweight-method
    - fixtures/KL304/ (the weight count and a save/reload round trip, on both stacks).
    """

    code = "KL304"
    name = "untracked-tf-variable"
    message = "`self.{attr}` is a raw tf.Variable on `{cls}`: Keras 3 neither trains nor saves it; use self.add_weight/keras.Variable"
    fix_safety = UNSAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        # tf.Variable named inside the body of a class that may be a Keras layer or model
        return "keras3" in stacks_of(facts, target) and any(
            c.census.refers(lambda r: r == "tensorflow.Variable") for c in facts.subclasses())

    VALID = [
        "import keras\nclass A(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(shape=(s[-1],), initializer='ones')\n",
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.w = keras.Variable(1.0)\n",
        # not a Keras class: a tf.Module tracks tf.Variables
        "import tensorflow as tf\nclass A(tf.Module):\n    def __init__(self):\n        self.w = tf.Variable(1.0)\n",
        "import tensorflow as tf\nclass A:\n    def __init__(self):\n        self.w = tf.Variable(1.0)\n",
        # a local variable, not stored on the layer
        "import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
        "        w = tf.Variable(1.0)\n        return x\n",
        # a project's own Variable, not TensorFlow's
        "import keras\nfrom mylib import Variable\nclass A(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = Variable(1.0)\n",
        # tf-keras tracks tf.Variable: silent on tf-keras files and targets
        "import tensorflow as tf\nimport tf_keras\nclass A(tf_keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = tf.Variable(1.0)\n",
        Valid("import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def build(self, s):\n"
              "        self.w = tf.Variable(1.0)\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nimport keras\n\nclass Scale(keras.layers.Layer):\n"
            "    def build(self, input_shape):\n        self.w = tf.Variable(tf.ones((input_shape[-1],)), name='w')\n",
            line=6,
            fixed="import tensorflow as tf\nimport keras\n\nclass Scale(keras.layers.Layer):\n"
                  "    def build(self, input_shape):\n        self.w = keras.Variable(tf.ones((input_shape[-1],)), name='w')\n"),
        # through tf.keras, in __init__, initial_value= renamed, import added
        Invalid(
            "import tensorflow as tf\nclass Gate(tf.keras.layers.Layer):\n    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n        self.g = tf.Variable(initial_value=0.5, trainable=True)\n",
            line=5,
            fixed="import tensorflow as tf\nimport keras\n\nclass Gate(tf.keras.layers.Layer):\n    def __init__(self, **kw):\n"
                  "        super().__init__(**kw)\n        self.g = keras.Variable(initializer=0.5, trainable=True)\n"),
        # a subclassed Model, through a base class of the same file; no fix for a second positional
        Invalid(
            "from tensorflow import Variable\nfrom tensorflow.keras import Model\nclass Base(Model):\n    pass\n"
            "class Net(Base):\n    def __init__(self):\n        super().__init__()\n"
            "        self.step = Variable(0, False)\n",
            line=8),
        # `keras` already bound to tf.keras (Keras 3 on this stack): no second import
        Invalid(
            "import tensorflow as tf\nimport tensorflow.keras as keras\nclass S(keras.layers.Layer):\n"
            "    def build(self, s):\n        self.g = tf.Variable(tf.ones(s[-1]), name='layer_scale')\n",
            line=5,
            fixed="import tensorflow as tf\nimport tensorflow.keras as keras\nclass S(keras.layers.Layer):\n"
                  "    def build(self, s):\n        self.g = keras.Variable(tf.ones(s[-1]), name='layer_scale')\n"),
        # a list of them
        Invalid(
            "import tensorflow as tf\nimport keras\nclass Mix(keras.layers.Layer):\n    def build(self, s):\n"
            "        self.ws = [tf.Variable(tf.zeros(s[-1])) for _ in range(3)]\n",
            line=5),
        # a name with '/' and a lambda: reported, not fixed
        Invalid(
            "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def build(self, s):\n"
            "        self.w = tf.Variable(1.0, name='a/w')\n        self.v = tf.Variable(lambda: tf.ones(3))\n",
            count=2),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if name == "Variable" and self._is_tf_variable(node):
            self.__dict__["_seen"] = True

    def leave_Module(self, node: cst.Module) -> None:
        if self.ctx.target != "keras3" or not self.__dict__.get("_seen"):
            return  # no tf.Variable(...) anywhere: nothing to look for in the classes
        for info in _layer_classes(self, node):
            for method in info.methods.values():
                for assign in _assignments(method):
                    for target in assign.targets:
                        attr = _self_attr(target.target)
                        if attr is None:
                            continue
                        calls = self._variable_calls(assign.value)
                        if calls:
                            fix = self._fix(calls[0]) if len(calls) == 1 and calls[0] is assign.value else None
                            self.report(assign, self.message.format(attr=attr, cls=info.name), fix)

    def _is_tf_variable(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Call) and self.ctx.qualname(expr.func) == "tensorflow.Variable"

    def _variable_calls(self, value: cst.BaseExpression) -> List[cst.Call]:
        if self._is_tf_variable(value):
            return [value]  # type: ignore[list-item]
        if isinstance(value, (cst.List, cst.Tuple)):
            return [e.value for e in value.elements if self._is_tf_variable(e.value)]  # type: ignore[misc]
        if isinstance(value, (cst.ListComp, cst.GeneratorExp)) and self._is_tf_variable(value.elt):
            return [value.elt]  # type: ignore[list-item]
        return []

    def _fix(self, call: cst.Call) -> Optional[Fix]:
        args = []
        for i, arg in enumerate(call.args):
            if arg.star:
                return None
            if arg.keyword is None:
                if i != 0:
                    return None
                if isinstance(arg.value, cst.Lambda):
                    return None
                args.append(arg)
            elif arg.keyword.value == "initial_value" and i == 0:
                if isinstance(arg.value, cst.Lambda):
                    return None
                args.append(arg.with_changes(keyword=cst.Name("initializer")))
            elif arg.keyword.value in _SAME_KEYWORDS:
                if arg.keyword.value == "name" and not self._plain_name(arg.value):
                    return None
                args.append(arg)
            else:
                return None
        if not args or (args[0].keyword is not None and args[0].keyword.value != "initializer"):
            return None  # no initial value at all
        new = call.with_changes(func=dotted_expr("keras.Variable"), args=args)
        bound = self.ctx.imports.bindings.get("keras")
        if bound in ("keras", "tensorflow.keras"):
            return Fix(UNSAFE, {call: new})  # `keras` already names Keras 3 (tf.keras is Keras 3 here)
        return Fix(UNSAFE, {call: new}, (ImportSpec("keras"),))

    @staticmethod
    def _plain_name(value: cst.BaseExpression) -> bool:
        """A string literal without ``/`` (anything else may hold one: no fix)."""
        return isinstance(value, cst.SimpleString) and "/" not in value.evaluated_value  # type: ignore[operator]


# -- KL305 ------------------------------------------------------------------------------------------

#: built-in layers that create weights: creating one inside `call` creates variables on every trace
_WEIGHTED_LAYERS = frozenset({
    "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "Embedding", "BatchNormalization", "LayerNormalization", "GroupNormalization", "LSTM", "GRU",
    "SimpleRNN", "Bidirectional", "MultiHeadAttention", "PReLU", "ConvLSTM2D",
})
_ADD_WEIGHT = ("add_weight", "add_variable")


def _guarded(stack: List[cst.CSTNode]) -> bool:
    return any(isinstance(n, (cst.If, cst.IfExp, cst.Try)) for n in stack)


def _walk_with_stack(root: cst.CSTNode) -> Iterator[tuple]:
    """(node, its ancestors under ``root``), not entering nested defs, classes or lambdas."""
    from ..walk import children

    todo = [(root, [])]
    while todo:
        node, stack = todo.pop()
        yield node, stack
        for child in reversed(children(node)):
            if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            todo.append((child, stack + [node]))


class StateCreatedInCall(Rule):
    """
    ## What it does
    Finds state created inside the `call` method of a class deriving from a Keras `Layer` or
    `Model`: `self.add_weight(...)` (or the older `self.add_variable(...)`), a Keras layer
    constructed and stored on `self` (`self.proj = keras.layers.Dense(8)`), and a built-in layer
    that has weights constructed and applied on the spot (`keras.layers.Dense(8)(x)`).

    ## Why is this bad?
    Keras 3 builds a layer before its first `call` and then locks its state: measured on Keras
    3.15.1, `self.add_weight(...)` or `self.d = Dense(2)` in `call` raises
    `ValueError: You cannot add new elements of state (variables or sub-layers) to a layer that
    is already built. All state must be created in the __init__() method or in the build()
    method.` — eagerly and when the model is built, and also when guarded by
    `if not hasattr(self, "w"):` (the lazy pattern tf-keras allowed). A weighted layer
    constructed and applied inside `call` (`Dense(2)(x)`) runs eagerly but fails in `fit` with
    `ValueError: tf.function only supports singleton tf.Variables created on the first call`,
    and its weights are never trained. On tf-keras the unguarded forms fail in `fit` the same
    way (measured), so they are reported there too; the guarded lazy form and a sub-layer stored
    on `self` are reported only on Keras 3.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def call(self, x):
            w = self.add_weight(shape=(x.shape[-1],), initializer="ones")
            return x * w
    ```

    ## Use instead
    ```python
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w
    ```

    ## Fix safety
    No automatic fix: the shape a weight needs usually comes from the inputs, so moving it into
    `build(self, input_shape)` means rewriting how the shape is computed.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py`.
    - https://keras.io/guides/making_new_layers_and_models_via_subclassing/
    - fixtures/KL305/.
    """

    code = "KL305"
    name = "state-created-in-call"
    message = "{what} in `{cls}.call`: {why}; create it in __init__/build"
    why_keras3 = "Keras 3: ValueError, cannot add state to a built layer"
    why_trace = "fit fails: tf.function only supports singleton tf.Variables"

    @classmethod
    def gate(cls, facts, target) -> bool:
        # add_weight, or a layer constructed, in some subclass's call
        local = {c.name for c in facts.classes}
        for c in facts.subclasses():
            call = c.methods.get("call")
            if call is None:
                continue
            census = call.census
            if census.attrs & set(_ADD_WEIGHT) or facts.project_defs or facts.via_project or \
                    census.refers(lambda r: r.startswith("keras.layers.")) or any(census.mentions(n) for n in local):
                return True
        return False

    VALID = [
        "import keras\nclass A(keras.layers.Layer):\n    def build(self, s):\n"
        "        self.w = self.add_weight(shape=(s[-1],))\n    def call(self, x):\n        return x * self.w\n",
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.d = keras.layers.Dense(2)\n    def call(self, x):\n        return self.d(x)\n",
        # weightless layers applied on the spot run on both stacks
        "import keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n        return keras.layers.Flatten()(x)\n",
        # add_weight on another object, or in a nested function (a factory), or outside call
        "import keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n        return self.inner.add_weight(shape=(1,))\n",
        "import keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        def make():\n            return keras.layers.Dense(2)\n        return x\n",
        # not a Keras class
        "import keras\nclass A:\n    def call(self, x):\n        self.w = self.add_weight(shape=(1,))\n",
        # the guarded lazy form works on tf-keras
        Valid("import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
              "        if not hasattr(self, 'w'):\n            self.w = self.add_weight(shape=(1,))\n        return x\n",
              target="tf-keras"),
        Valid("import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
              "        self.d = tf.keras.layers.Dense(2)\n        return self.d(x)\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid(
            "import keras\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n"
            "        w = self.add_weight(shape=(x.shape[-1],), initializer='ones')\n        return x * w\n",
            line=5),
        Invalid(
            "import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
            "        if not hasattr(self, 'w'):\n            self.w = self.add_weight(shape=(1,))\n        return x\n",
            line=5),
        Invalid(
            "from keras import layers\nclass Head(layers.Layer):\n    def call(self, x):\n"
            "        self.proj = layers.Dense(8)\n        return self.proj(x)\n",
            line=4),
        Invalid(
            "from tensorflow.keras.layers import Layer, Dense\nclass Head(Layer):\n    def call(self, x):\n"
            "        return Dense(8)(x)\n",
            line=4),
        Invalid(
            "import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
            "        w = self.add_weight(shape=(1,))\n        return x * w\n",
            line=4, target="tf-keras"),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        keras3 = self.ctx.target == "keras3"
        classes = keras_classes(node, self.ctx)
        for info in _layer_classes(self, node):
            method = info.methods.get("call")
            if method is None:
                continue
            for sub, stack in _walk_with_stack(method.body):
                if isinstance(sub, cst.Call):
                    func = sub.func
                    if (isinstance(func, cst.Attribute) and func.attr.value in _ADD_WEIGHT
                            and isinstance(func.value, cst.Name) and func.value.value == "self"):
                        if keras3 or not _guarded(stack):
                            why = self.why_keras3 if keras3 else self.why_trace
                            self.report(sub, self.message.format(what=f"`self.{func.attr.value}(...)`",
                                                                 cls=info.name, why=why))
                        continue
                    applied = isinstance(func, cst.Call) and self._weighted_layer(func)
                    if applied and not _guarded(stack):
                        self.report(sub, self.message.format(what=f"`{dotted_name(func.func)}(...)` applied",
                                                             cls=info.name, why=self.why_trace))
                elif isinstance(sub, cst.Assign) and keras3 and isinstance(sub.value, cst.Call):
                    if any(_self_attr(t.target) for t in sub.targets) and self._layer_ctor(classes, sub.value):
                        self.report(sub, self.message.format(what="a sub-layer stored on `self`",
                                                             cls=info.name, why=self.why_keras3))

    def _layer_ctor(self, classes, call: cst.Call) -> bool:
        qn = self.ctx.qualname(call.func)
        if qn is not None:
            return keras_class_kind(qn) == LAYER
        name = dotted_name(call.func)
        return name is not None and any(i.kind == LAYER for i in classes.by_name.get(name, ()))

    def _weighted_layer(self, call: cst.Call) -> bool:
        qn = self.ctx.qualname(call.func)
        return qn is not None and qn.startswith("keras.layers.") and qn.rsplit(".", 1)[1] in _WEIGHTED_LAYERS


# -- KL306 ------------------------------------------------------------------------------------------

#: TensorFlow functions (canonical ``tensorflow.<name>``) whose result is a tensor, never a Python value
_TF_TENSOR_FUNCS = frozenset({
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_any", "reduce_all", "reduce_prod",
    "shape", "size", "rank", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_not", "norm", "argmax", "argmin", "count_nonzero", "abs",
    "square", "sqrt", "cast", "math.reduce_sum", "math.reduce_mean", "math.reduce_max", "math.reduce_min",
    "math.reduce_any", "math.reduce_all", "math.count_nonzero", "math.equal", "math.greater",
    "math.less", "math.abs", "math.is_nan", "math.is_inf", "math.is_finite", "math.logical_and",
    "math.logical_or", "math.logical_not", "math.argmax", "math.argmin",
})
#: keras.ops functions that return a tensor (``keras.ops.shape`` returns a tuple: not here)
_OPS_TENSOR_FUNCS = frozenset({
    "any", "all", "sum", "mean", "max", "min", "prod", "equal", "not_equal", "greater", "greater_equal",
    "less", "less_equal", "logical_and", "logical_or", "logical_not", "count_nonzero", "norm", "argmax",
    "argmin", "abs", "square", "sqrt", "isnan", "isinf", "isfinite", "cast",
})
_TRUTH_COMPARES = (cst.Is, cst.IsNot, cst.In, cst.NotIn)


class TensorControlFlowInCall(Rule):
    """
    ## What it does
    Finds a Python `if`, `while` or conditional expression in the `call` method of a class
    deriving from a Keras `Layer` or `Model` whose condition is provably a tensor: it calls a
    TensorFlow or `keras.ops` function that returns a tensor (`tf.reduce_sum`, `tf.shape(x)[0]`,
    `tf.equal`, `keras.ops.any`, ...), directly, through a comparison, `and`/`or`/`not`, or
    through a local variable assigned from one. On the Keras 3 stack only, and not when `call`
    is decorated with `@tf.function`.

    ## Why is this bad?
    tf-keras ran every layer's `call` through autograph, which turned such an `if` into
    `tf.cond` and such a `while` into `tf.while_loop`. Keras 3 does not: `call` runs as plain
    Python while the model is built and traced, so the condition is a symbolic tensor used as a
    Python bool. Measured on Keras 3.15.1: `if tf.reduce_sum(x) > 0:` (or
    `while i < tf.shape(x)[0]:`) in `call` runs eagerly, but building a functional model, a
    `Sequential`, or `fit` on a subclassed model raises
    `OperatorNotAllowedInGraphError: Using a symbolic tf.Tensor as a Python bool is not allowed`.
    The same layer runs on tf-keras. Conditions on static shapes (`x.shape[-1] > 2`), on
    `training`, or on other Python values are fine and are not reported, nor is anything under
    `if tf.executing_eagerly():` (it never runs while Keras traces `call`).

    ## Example
    ```python
    class Double(keras.layers.Layer):
        def call(self, x):
            if tf.reduce_sum(x) > 0:
                return x * 2
            return x
    ```

    ## Use instead
    ```python
    class Double(keras.layers.Layer):
        def call(self, x):
            return keras.ops.cond(keras.ops.sum(x) > 0, lambda: x * 2, lambda: x)
    ```
    (or `tf.cond` / `keras.ops.where`; decorating `call` with `@tf.function` also works on the
    TensorFlow backend, measured).

    ## Fix safety
    No automatic fix: the branches have to become functions (or a `where`), which may change
    what each branch can do.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py`.
    - https://www.tensorflow.org/guide/function#conditionals
    - fixtures/KL306/.
    """

    code = "KL306"
    name = "tensor-control-flow-in-call"
    message = "Python `{kw}` on a tensor (`{cond}`) in `{cls}.call`: no autograph in Keras 3 (OperatorNotAllowedInGraphError); use ops.cond"

    @classmethod
    def gate(cls, facts, target) -> bool:
        if "keras3" not in stacks_of(facts, target):
            return False
        # an if/while/conditional expression in some call that also calls a tensor-valued function
        for c in facts.subclasses():
            call = c.methods.get("call")
            if call is None or not (call.census.mentions("if") or call.census.mentions("while")):
                continue
            if facts.via_project or call.census.refers(
                    lambda r: (r.startswith("tensorflow.") and r[len("tensorflow."):] in _TF_TENSOR_FUNCS)
                    or (r.startswith("keras.ops.") and r[len("keras.ops."):] in _OPS_TENSOR_FUNCS)):
                return True
        return False

    VALID = [
        # static shape, training flag, Python values
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x, training=None):\n"
        "        if x.shape[-1] > 2 and training:\n            return x * 2\n        return x\n",
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        if tf.executing_eagerly() or tf.is_tensor(x):\n            return x\n        return x\n",
        # only runs eagerly, never while Keras traces call (tensorflow/addons CRF)
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        if tf.executing_eagerly():\n            bad = not tf.reduce_all(x)\n            if bad:\n"
        "                raise ValueError('x')\n        return x\n",
        # keras.ops.shape returns a tuple
        "import keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        if keras.ops.shape(x)[0] is None:\n            return x\n        return x\n",
        # `is None` on a tensor is a Python bool
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        s = tf.reduce_sum(x)\n        if s is not None:\n            return x\n        return x\n",
        # @tf.function on call: autograph converts it
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    @tf.function\n    def call(self, x):\n"
        "        if tf.reduce_sum(x) > 0:\n            return x * 2\n        return x\n",
        # not call, not a Keras class
        "import tensorflow as tf\nimport keras\nclass A(keras.layers.Layer):\n    def helper(self, x):\n"
        "        if tf.reduce_sum(x) > 0:\n            return x\n",
        "import tensorflow as tf\nclass A:\n    def call(self, x):\n        if tf.reduce_sum(x) > 0:\n            return x\n",
        # a project's own reduce_sum
        "import keras\nfrom mylib import reduce_sum\nclass A(keras.layers.Layer):\n    def call(self, x):\n"
        "        if reduce_sum(x) > 0:\n            return x\n        return x\n",
        # tf-keras runs call through autograph
        Valid("import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def call(self, x):\n"
              "        if tf.reduce_sum(x) > 0:\n            return x * 2\n        return x\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nimport keras\n\nclass Double(keras.layers.Layer):\n    def call(self, x):\n"
            "        if tf.reduce_sum(x) > 0:\n            return x * 2\n        return x\n",
            line=6),
        Invalid(
            "import tensorflow as tf\nclass Loop(tf.keras.layers.Layer):\n    def call(self, x):\n"
            "        i = tf.constant(0)\n        while i < tf.shape(x)[0]:\n            i += 1\n        return x\n",
            line=5),
        # through a local variable, and `not`
        Invalid(
            "import keras\nfrom keras import ops\nclass Gate(keras.layers.Layer):\n    def call(self, x):\n"
            "        empty = ops.equal(ops.sum(x), 0)\n        return x if not empty else x * 0\n",
            line=6),
        Invalid(
            "import tensorflow as tf\nfrom tensorflow import keras\nclass M(keras.Model):\n    def call(self, x):\n"
            "        if tf.math.reduce_any(tf.math.is_nan(x)) and self.check:\n            x = tf.zeros_like(x)\n"
            "        return x\n",
            line=5),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        if self.ctx.target != "keras3":
            return
        for info in _layer_classes(self, node):
            method = info.methods.get("call")
            if method is None or _decorated_tf_function(self, method):
                continue
            if not any(isinstance(n, (cst.If, cst.While, cst.IfExp)) for n in iter_nodes(method.body)):
                continue
            holders = [n for n, stack in _walk_with_stack(method.body)
                       if isinstance(n, (cst.If, cst.While, cst.IfExp)) and not self._eager_only(stack)]
            if not holders:
                continue
            scope = build_scope(method, {id(n) for n in holders})
            for holder in holders:
                before = scope.order_of(holder)
                if self._tensor(holder.test, scope, before, 0):
                    kw = {cst.If: "if", cst.While: "while", cst.IfExp: "if"}[type(holder)]
                    cond = cst.Module([]).code_for_node(holder.test)
                    if len(cond) > 40:
                        cond = cond[:37] + "..."
                    self.report(holder, self.message.format(kw=kw, cond=cond, cls=info.name))

    def _eager_only(self, stack) -> bool:
        """Inside ``if tf.executing_eagerly():`` (or ``... and tf.executing_eagerly()``): the branch
        never runs while Keras traces ``call``."""
        for node in stack:
            if isinstance(node, cst.If):
                for sub in iter_nodes(node.test):
                    if isinstance(sub, cst.Call) and self.ctx.qualname(sub.func) == "tensorflow.executing_eagerly":
                        return True
        return False

    def _tensor(self, expr: cst.BaseExpression, scope, before: int, depth: int) -> bool:
        if depth > 4:
            return False
        if isinstance(expr, cst.Call):
            qn = self.ctx.qualname(expr.func)
            if qn is None:
                return False
            if qn.startswith("tensorflow."):
                return qn[len("tensorflow."):] in _TF_TENSOR_FUNCS
            if qn.startswith("keras.ops."):
                return qn[len("keras.ops."):] in _OPS_TENSOR_FUNCS
            return False
        if isinstance(expr, cst.Subscript):
            return self._tensor(expr.value, scope, before, depth + 1)
        if isinstance(expr, cst.Comparison):
            if any(isinstance(c.operator, _TRUTH_COMPARES) for c in expr.comparisons):
                return False
            parts = [expr.left] + [c.comparator for c in expr.comparisons]
            return any(self._tensor(p, scope, before, depth + 1) for p in parts)
        if isinstance(expr, (cst.BooleanOperation, cst.BinaryOperation)):
            return self._tensor(expr.left, scope, before, depth + 1) or self._tensor(expr.right, scope, before, depth + 1)
        if isinstance(expr, cst.UnaryOperation):
            return self._tensor(expr.expression, scope, before, depth + 1)
        if isinstance(expr, cst.Name):
            b = scope.lookup(expr.value, before)
            if b is not None and b.kind == ASSIGN and b.value is not None and b.index == -1:
                return self._tensor(b.value, scope, b.order, depth + 1)
        return False
