"""KL201 and KL202: losses and metrics bolted onto a built model from outside any layer's `call`."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..names import dotted_name
from ..rule import Invalid, Rule, Valid
from ..analysis.dataflow import DEF, DeferredScopes, Scope, inside_function_named
from ..analysis.keras_classes import LAYER as CLASS_LAYER, MODEL as CLASS_MODEL, keras_classes
from ..analysis.receivers import LAYER, MODEL, KerasObjects


def imports_keras(ctx) -> bool:
    """The file imports keras/tensorflow/tf_keras (a receiver rule needs that much context)."""
    return bool(ctx.imports.bindings)


def _is_callable_arg(expr: cst.BaseExpression, scope: Scope, before: int) -> bool:
    """``lambda: ...``, a ``def`` of this scope, or ``functools.partial(...)``."""
    if isinstance(expr, cst.Lambda):
        return True
    if isinstance(expr, cst.Name):
        b = scope.lookup(expr.value, before)
        return b is not None and b.kind == DEF
    if isinstance(expr, cst.Call):
        name = dotted_name(expr.func)
        return name in ("partial", "functools.partial")
    return False


def _is_literal(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer,
                             cst.Float, cst.Imaginary)) or (isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"))


def _layer_expression(expr: cst.BaseExpression) -> bool:
    """``model.layers[-1]`` / ``model.get_layer('fc')``: a layer without a name of its own."""
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute):
        return expr.value.attr.value in ("layers", "_layers")
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        return expr.func.attr.value == "get_layer"
    return False


class _ReceiverRule(DeferredScopes, Rule):
    """Shared: find ``<receiver>.<method>(...)`` calls outside any ``call`` and classify the receiver."""

    method: str = ""

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == self.method):
            return
        receiver = dotted_name(func.value)
        known = _layer_expression(func.value)
        if known:
            receiver = cst.Module(body=[]).code_for_node(func.value)
        if receiver is None or receiver in ("self", "cls", "super"):
            return  # `self.add_loss(...)` is the supported form (inside `call`)
        if not node.args or node.args[0].star or _is_literal(node.args[0].value):
            return  # add_loss('sigmoid') and friends: not Keras's signature
        if inside_function_named(self.ctx.stack, ("call", "__call__")):
            return
        self._defer(node, receiver=receiver, kind=LAYER if known else None)

    def leave_Module(self, node: cst.Module) -> None:
        if not imports_keras(self.ctx):
            return
        objects: Optional[KerasObjects] = None
        for scope, items in self._deferred_scopes():
            if objects is None:
                objects = KerasObjects(self.ctx, node)
            for it in items:
                call = it.node
                assert isinstance(call, cst.Call)
                before = scope.order_of(call)
                kind = it.data.get("kind") or objects.classify(it.data["receiver"], scope, before, it.cls)
                if kind is not None:
                    self.judge(call, it.data["receiver"], kind, scope, before)

    def judge(self, call: cst.Call, receiver: str, kind: str, scope: Scope, before: int) -> None:
        raise NotImplementedError


class ModelLevelAddLoss(_ReceiverRule):
    """
    ## What it does
    Finds `<model>.add_loss(...)` on a built Keras model (the VAE, bert4keras and Mask R-CNN
    pattern: `vae.add_loss(vae_loss)`, `self.keras_model.add_loss(loss)`,
    `keras_model.add_loss(...)` on a function parameter), and `<layer>.add_loss(...)` on a layer
    taken from a model or built outside any `call` (`for layer in model.layers:
    layer.add_loss(...)`), anywhere except inside a Layer/Model `call`.

    A receiver counts only with evidence from the same function (or, for `self.<attr>`, from
    its class): it is bound to a Keras model constructor or loader, or used with a method only
    models have (`compile`, `fit`, `get_layer`, `summary`, `layers`, `inputs` ...); a layer is
    bound to a `keras.layers` constructor, to `model.get_layer(...)` / `model.layers[i]`, or is
    the loop variable over `model.layers`. `self.add_loss(...)` is never reported, and a
    receiver without such evidence is left alone.

    What is reported, per `--target` (measured on TF 2.21, Keras 3.15, tf-keras 2.21):

    | call | Keras 3 | tf-keras (CPU) | reported |
    |---|---|---|---|
    | `model.add_loss(tensor)` | `NotImplementedError` | runs (an `add_loss` layer is spliced into the graph); not TPU-portable | both targets |
    | `model.add_loss(lambda: ...)` | `NotImplementedError` | runs (a variable-only loss, the documented tf-keras form) | `keras3` only |
    | `layer.add_loss(regularizer(layer.kernel))` | silently dropped: the loss never reaches training | `ValueError: Expected a symbolic Tensors or a callable` | both targets |
    | `layer.add_loss(lambda: regularizer(layer.kernel))` | `ValueError: add_loss() can only be called from inside build() or call()` | runs | `keras3` only |

    ## Why is this bad?
    A loss attached to a built model from outside is not part of any layer's computation. Keras 3
    does not support it at all (`Functional.add_loss` raises `NotImplementedError`); tf-keras
    accepts it on CPU, but the loss then lives outside every layer. On a sub-layer, Keras 3 throws a tensor loss away without a word, so the regularization
    you think you train with is not there.

    ## Example
    ```python
    vae = keras.Model(inputs, outputs)
    vae.add_loss(keras.ops.mean(reconstruction_loss + kl_loss))
    vae.compile(optimizer="adam")
    ```

    ## Use instead
    Compute the loss inside a layer's `call` and add it there:
    ```python
    class VAELoss(keras.layers.Layer):
        def call(self, inputs):
            x, x_decoded, z_mean, z_log_var = inputs
            self.add_loss(vae_loss(x, x_decoded, z_mean, z_log_var))
            return x_decoded

    outputs = VAELoss()([inputs, decoded, z_mean, z_log_var])
    vae = keras.Model(inputs, outputs)
    vae.compile(optimizer="adam")
    ```
    or make the loss a model output and compile with `loss=lambda y_true, y_pred: y_pred`. For
    weight regularization, pass `kernel_regularizer=` when the layer is created. Both forms run
    on Keras 3 and tf-keras, under `jit_compile` and `MirroredStrategy`.

    ## Fix safety
    No automatic fix: the loss has to move into a layer, which changes the model's structure.

    ## References
    - https://keras.io/guides/migrating_to_keras_3/
    - https://keras.io/api/losses/
    - fixtures/KL201/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL201` (Keras 3 `NotImplementedError`; the TPU failure is not reproducible here).
    """

    code = "KL201"
    name = "model-level-add-loss"
    message = ("`{recv}.add_loss(...)` on a built model raises NotImplementedError on Keras 3; "
               "`self.add_loss` it inside a layer's `call`")
    message_tf_keras = ("`{recv}.add_loss(...)` on a built model is not TPU-portable (tf-keras splices in a layer); "
                        "`self.add_loss` it inside a layer's `call`")
    message_model_callable = ("`{recv}.add_loss(<callable>)` on a built model raises NotImplementedError on "
                              "Keras 3; use `kernel_regularizer=` on the layers")
    message_layer = ("`{recv}.add_loss(...)` outside the layer's `call`: Keras 3 silently drops the loss; "
                     "use `kernel_regularizer=` when the layer is created")
    message_layer_tf_keras = ("`{recv}.add_loss(tensor)` outside the layer's `call` raises ValueError on tf-keras; "
                              "use `kernel_regularizer=` or `add_loss(lambda: ...)`")
    message_layer_callable = ("`{recv}.add_loss(<callable>)` outside `build()`/`call()` raises ValueError on "
                              "Keras 3; use `kernel_regularizer=` when the layer is created")
    triggers = ("add_loss",)
    method = "add_loss"

    @classmethod
    def gate(cls, facts, target) -> bool:
        return "add_loss" in facts.census.attrs

    VALID = [
        # the supported form: inside a layer's call
        "import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
        "        self.add_loss(keras.ops.mean(x))\n        return x\n",
        # a model's own call (subclassed model)
        "import keras\nclass M(keras.Model):\n    def call(self, x):\n        y = self.d(x)\n"
        "        self.add_loss(keras.ops.sum(y))\n        return y\n",
        # another object's add_loss inside call
        "import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
        "        self.inner.add_loss(x)\n        return x\n",
        # a project's own class with an add_loss method: no Keras evidence
        "import tensorflow as tf\nmodel = MLP(5)\nmodel.add_layer(10)\nmodel.add_loss('sigmoid', regularizer='L2')\n",
        "import tensorflow as tf\ndef setup(trainer, loss):\n    trainer.add_loss(loss)\n",
        "import keras\nclass Trainer:\n    def go(self):\n        self.graph = Graph()\n        self.graph.add_loss(self.loss)\n",
        # the callable form on tf-keras: documented and it runs
        Valid("import tensorflow as tf\ninputs = tf.keras.Input((4,))\nd = tf.keras.layers.Dense(2)\n"
              "model = tf.keras.Model(inputs, d(inputs))\nmodel.add_loss(lambda: tf.reduce_mean(d.kernel))\n",
              target="tf-keras"),
        Valid("import tensorflow as tf\nfor layer in model.layers:\n    if isinstance(layer, tf.keras.layers.Dense):\n"
              "        layer.add_loss(lambda layer=layer: tf.keras.regularizers.l2(1e-4)(layer.kernel))\n",
              target="tf-keras"),
        # no Keras import at all: not our business
        "model = Model(a, b)\nmodel.add_loss(x)\n",
        # Model from another library
        "import keras\nfrom mylib import Model\nm = Model()\nm.add_loss(x)\n",
    ]
    INVALID = [
        Invalid("import keras\nfrom keras import ops\n"
                "vae = keras.Model(inputs, outputs)\nvae_loss = ops.mean(reconstruction_loss + kl_loss)\n"
                "vae.add_loss(vae_loss)\nvae.compile(optimizer='adam')\n", line=5),
        # the Mask R-CNN shape: self.keras_model, a loop, evidence from compile/get_layer
        Invalid("import tensorflow as tf\nclass MaskRCNN:\n    def compile(self, lr):\n"
                "        for name in ['rpn_class_loss', 'rpn_bbox_loss']:\n"
                "            layer = self.keras_model.get_layer(name)\n"
                "            loss = tf.reduce_mean(layer.output, keepdims=True)\n"
                "            self.keras_model.add_loss(loss)\n"
                "        self.keras_model.compile(optimizer='sgd', loss=[None, None])\n", line=7),
        # a function parameter; the model seen through get_layer
        Invalid("import tensorflow as tf\ndef add_losses(keras_model, config):\n"
                "    layer = keras_model.get_layer('rpn_bbox_loss')\n"
                "    keras_model.add_loss(tf.reduce_mean(layer.output))\n", line=4, target="tf-keras"),
        # receiver named anything, aliased import, model assigned in another method
        Invalid("from tensorflow.keras.models import Model as KModel\nimport tensorflow.keras.backend as K\n"
                "class Net:\n    def build(self):\n        self.net = KModel(self.inputs, self.outputs)\n"
                "    def losses(self):\n        self.net.add_loss(K.mean(self.outputs))\n", line=7),
        # the callable form fails on Keras 3
        Invalid("import keras\ninputs = keras.Input((4,))\nd = keras.layers.Dense(2)\n"
                "model = keras.Model(inputs, d(inputs))\nmodel.add_loss(lambda: keras.ops.mean(d.kernel))\n",
                line=5),
        # sub-layers: tensor form is dropped by Keras 3, rejected by tf-keras
        Invalid("import tensorflow as tf\nreg = tf.keras.regularizers.l2(1e-4)\n"
                "for layer in model.layers:\n    layer.add_loss(reg(layer.kernel))\n", line=4, target="tf-keras"),
        Invalid("import keras\nfor i, layer in enumerate(model.layers[2:]):\n"
                "    layer.add_loss(lambda: keras.regularizers.l2(1e-4)(layer.kernel))\n", line=3),
        Invalid("import keras\ndense = model.get_layer('fc')\ndense.add_loss(keras.ops.sum(dense.kernel))\n", line=3),
        Invalid("import tensorflow as tf\nmodel.layers[-1].add_loss(tf.reduce_sum(w))\n"
                "model.get_layer('fc').add_loss(lambda: 0.0)\n", line=2, count=2),
    ]

    def judge(self, call: cst.Call, receiver: str, kind: str, scope: Scope, before: int) -> None:
        callable_arg = _is_callable_arg(call.args[0].value, scope, before)
        keras3 = self.ctx.target != "tf-keras"
        if kind == MODEL:
            if not callable_arg:
                self.report(call, (self.message if keras3 else self.message_tf_keras).format(recv=receiver))
            elif keras3:
                self.report(call, self.message_model_callable.format(recv=receiver))
        elif kind == LAYER:
            if not callable_arg:
                self.report(call, (self.message_layer if keras3 else self.message_layer_tf_keras).format(recv=receiver))
            elif keras3:
                self.report(call, self.message_layer_callable.format(recv=receiver))


class ModelLevelMetrics(_ReceiverRule):
    """
    ## What it does
    Finds the Keras 2.2 ways of bolting metrics and losses onto a built model from outside:
    `<model>.add_metric(...)` outside any `call` (the receiver needs the same evidence as in
    KL201: a model or layer, never `self`), `<model>.metrics_tensors.append(...)` (also
    `extend`, `insert`, `+=`), `<model>.metrics_names.append(...)` in a function that also
    touches `metrics_tensors`, and writes to the private `_losses` / `_per_input_losses`
    (assignment, `+=`, `append`, `extend`, `clear`) on anything but `self`.

    ## Why is this bad?
    Measured on TF 2.21: Keras 3 raises `NotImplementedError: Layer add_metric() method is
    deprecated` for any `add_metric`; `metrics_tensors` does not exist on either stack
    (`AttributeError: 'Functional' object has no attribute 'metrics_tensors'`);
    `metrics_names` is recomputed on every read, so appending to it does nothing; `_losses` and
    `_per_input_losses` are private, and Mask R-CNN's "clear previously set losses" no longer
    works: writing them raises nothing and `model.losses` stays the same on both stacks.

    On Keras 3 `self.add_metric(...)` inside a layer's or model's own methods, `call` included,
    raises too (measured on Keras 3.15.1: `NotImplementedError` when the functional model is
    built); it is reported there, and not on tf-keras, where it is the documented form and runs.
    `keras.metrics.Mean` objects created in `__init__` and updated in `call` work on both stacks.
    With `--target tf-keras` (or a file importing `tf_keras`) a model-level `add_metric` runs and
    is reported as a TPU-portability problem only, with a message that says so.

    ## Example
    ```python
    keras_model.add_metric(tf.reduce_mean(layer.output), name="rpn_loss")
    keras_model.metrics_names.append("gt_num")
    keras_model.metrics_tensors.append(layer.output[3])
    ```

    ## Use instead
    Track the value inside a layer, or pass metrics to `compile`:
    ```python
    class LossTracker(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tracker = keras.metrics.Mean(name="rpn_loss")

        def call(self, loss):
            self.tracker.update_state(loss)
            return loss
    ```
    or `model.compile(..., metrics=[...])`; for a loss, see KL201.

    ## Fix safety
    No automatic fix: the metric has to move into a layer or into `compile`.

    ## References
    - https://keras.io/guides/migrating_to_keras_3/
    - https://keras.io/api/metrics/
    - fixtures/KL202/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL202`.
    """

    code = "KL202"
    name = "model-level-metrics"
    message = ("`{recv}.add_metric(...)` raises NotImplementedError on Keras 3; pass metrics to `compile` or "
               "update a `keras.metrics.Mean` in a layer's `call`")
    message_tf_keras = ("`{recv}.add_metric(...)` on a built model is not TPU-portable; pass metrics to `compile` "
                        "or update a `keras.metrics.Mean` in a layer's `call`")
    message_self = ("`self.add_metric(...)` raises NotImplementedError on Keras 3, in `call` too; update a "
                    "`keras.metrics.Mean` created in `__init__`")
    message_tensors = ("`{recv}.metrics_tensors` no longer exists (AttributeError on Keras 3 and tf-keras); "
                       "pass metrics to `compile` or update a `keras.metrics.Mean` in `call`")
    message_names = ("`{recv}.metrics_names.append(...)` does nothing (the list is recomputed on every read); "
                     "track the value with a metric")
    message_private = ("`{recv}.{attr}` is private Keras 2.2 bookkeeping: writing it does not clear the model's "
                       "losses; add losses inside a layer's `call` (KL201)")
    triggers = ("add_metric", "metrics_tensors", "_losses", "_per_input_losses")
    method = "add_metric"

    @classmethod
    def gate(cls, facts, target) -> bool:
        return bool(facts.census.attrs & set(cls.triggers))

    VALID = [
        # tf-keras: self.add_metric in call is the documented form
        Valid("import tf_keras as keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
              "        self.add_metric(keras.backend.mean(x), name='m')\n        return x\n", target="tf-keras"),
        # a class that is not a Keras layer, with its own add_metric
        "import keras\nclass Tracker:\n    def update(self, x):\n        self.add_metric(x)\n",
        "import keras\nmodel = keras.Model(i, o)\nmodel.compile('adam', 'mse', metrics=['mae'])\n"
        "names = list(model.metrics_names)\nnames.append('x')\n",
        # metrics_names.append without metrics_tensors: not this pattern
        "import keras\ndef log(model):\n    model.metrics_names.append('lr')\n",
        # a layer managing its own private state
        "import keras\nclass L(keras.layers.Layer):\n    def reset(self):\n        self._losses = []\n",
        # `_losses` on something that is not a Keras object
        "import tensorflow as tf\nclass Trainer:\n    def reset(self):\n        self.history._losses = []\n",
        "import tensorflow as tf\ntracker = Tracker()\ntracker.add_metric(acc)\n",
    ]
    INVALID = [
        Invalid("import keras\nmodel = keras.Model(inputs, outputs)\n"
                "model.add_metric(keras.ops.mean(outputs), name='mean_out')\n", line=3),
        Invalid("import tensorflow as tf\nclass MaskRCNN:\n    def compile(self):\n"
                "        self.keras_model._losses = []\n        self.keras_model._per_input_losses = {}\n"
                "        self.keras_model.compile(optimizer='sgd')\n"
                "        for name in ['rpn_class_loss']:\n"
                "            layer = self.keras_model.get_layer(name)\n"
                "            self.keras_model.metrics_names.append(name)\n"
                "            self.keras_model.metrics_tensors.append(tf.reduce_mean(layer.output))\n",
                line=4, count=4),
        Invalid("import keras\ndef add_metrics(keras_model):\n    layer = keras_model.get_layer('rpn_target')\n"
                "    keras_model.metrics_names.append('gt_num')\n"
                "    keras_model.metrics_tensors.append(layer.output[3])\n", line=4, count=2),
        Invalid("from tensorflow import keras\nnet = keras.models.load_model('m.h5')\n"
                "net.add_metric(net.output, name='o')\n", line=3, target="tf-keras"),
        # Keras 3 rejects add_metric inside a layer's call as well
        Invalid("import keras\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
                "        self.add_metric(keras.ops.mean(x), name='m')\n        return x\n", line=4),
        Invalid("from tensorflow.keras import layers\nclass Base(layers.Layer):\n    pass\n"
                "class L(Base):\n    def call(self, x):\n        self.add_metric(x, name='m')\n        return x\n",
                line=6),
    ]

    # -- metrics_tensors / metrics_names / private writes --------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        func = node.func
        if (self.ctx.target == "keras3" and isinstance(func, cst.Attribute) and func.attr.value == "add_metric"
                and isinstance(func.value, cst.Name) and func.value.value == "self"):
            cls = self.ctx.enclosing_class()
            if cls is not None and any(i.kind in (CLASS_LAYER, CLASS_MODEL) for i in
                                       keras_classes(self.ctx.module, self.ctx).by_name.get(cls.name.value, ())):
                self.report(node, self.message_self)
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("append", "extend", "insert", "clear"):
            return
        self._attribute_write(func.value, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._attribute_write(node.target, node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            if isinstance(t.target, cst.Attribute) and t.target.attr.value in ("_losses", "_per_input_losses"):
                self._attribute_write(t.target, node, assign=True)

    def _attribute_write(self, target: cst.BaseExpression, node: cst.CSTNode, assign: bool = False) -> None:
        if not isinstance(target, cst.Attribute):
            return
        attr = target.attr.value
        recv = dotted_name(target.value)
        if recv is None:
            return
        if attr == "metrics_tensors" and not assign:
            self.report(node, self.message_tensors.format(recv=recv))
        elif attr == "metrics_names" and not assign:
            self._defer(node, receiver=recv, names=True)
        elif attr in ("_losses", "_per_input_losses") and recv not in ("self", "cls"):
            self._defer(node, receiver=recv, private=attr)

    def leave_Module(self, node: cst.Module) -> None:
        if not imports_keras(self.ctx):
            return
        objects: Optional[KerasObjects] = None
        for scope, items in self._deferred_scopes():
            if objects is None:
                objects = KerasObjects(self.ctx, node)
            for it in items:
                recv = it.data["receiver"]
                before = scope.order_of(it.node)
                if it.data.get("names"):
                    if "metrics_tensors" in scope.attrs.get(recv, ()):
                        self.report(it.node, self.message_names.format(recv=recv))
                    continue
                kind = objects.classify(recv, scope, before, it.cls)
                private = it.data.get("private")
                if private:
                    # `_per_input_losses` is Keras-only; `_losses` needs a Keras receiver
                    if kind is not None or private == "_per_input_losses" or "add_loss" in scope.attrs.get(recv, ()):
                        self.report(it.node, self.message_private.format(recv=recv, attr=private))
                elif kind is not None:
                    message = self.message if self.ctx.target == "keras3" else self.message_tf_keras
                    self.report(it.node, message.format(recv=recv))
