"""KL409: arguments Keras 3 removed that are not names (keras-team/keras#18467, "Removed features").

Names that vanished (``ThresholdedReLU``, ``LocallyConnected2D``) are the API-truth rule's job;
this rule covers keywords that still parse but are refused: RNN ``time_major=`` and
``constants=``, ``reset_metrics=`` on ``train_on_batch``/``test_on_batch``, and the ``dynamic=``
layer argument. Measured on Keras 3.15.1; tf-keras 2.21 accepts all of them, so the rule is silent
on tf-keras files and targets.

Measured and NOT reported, although #18467 and the migration guide list them: ``Layer.metrics``
(Keras 3.15.1 returns ``[]`` on a plain layer) and deeply nested functional inputs/outputs
(``keras.Model({"a": a, "b": {"c": c}}, ...)`` and lists of lists build on Keras 3.15.1).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.dataflow import ASSIGN, DeferredScopes, build_scope
from ..analysis.facts import stacks_of
from ..analysis.keras_classes import LAYER, MODEL, keras_class_kind, keras_classes
from ..rule import SAFE, Fix, Invalid, Rule, Valid
from ._callfix import drop_args, literal

RNN_LAYERS = frozenset({"RNN", "LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
ON_BATCH = ("train_on_batch", "test_on_batch")


def _keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


class RemovedKeras3Arguments(DeferredScopes, Rule):
    """
    ## What it does
    Finds, on the Keras 3 stack, arguments that Keras 3 removed although every name involved
    still exists:

    - `time_major=` on `RNN`, `LSTM`, `GRU`, `SimpleRNN` and `ConvLSTM*D`;
    - `constants=` when calling an RNN layer (`keras.layers.RNN(cell)(x, constants=c)`, or a
      name assigned from an RNN constructor in the same function or module);
    - `reset_metrics=` on `model.train_on_batch(...)` / `model.test_on_batch(...)`;
    - `dynamic=` on a Keras layer constructor, or in `super().__init__(..., dynamic=...)` of a
      custom layer or model.

    ## Why is this bad?
    keras-team/keras#18467 and the migration guide ("Removed features") list them as removed.
    Measured on Keras 3.15.1: `LSTM(4, time_major=True)` raises `ValueError: Unrecognized keyword
    arguments passed to LSTM: {'time_major': True}`; `RNN(cell)(x, constants=c)` raises
    `TypeError: ... got an unexpected keyword argument 'constants'`;
    `train_on_batch(x, y, reset_metrics=False)` raises `TypeError: ... unexpected keyword argument
    'reset_metrics'`; `Dense(2, dynamic=True)` (and `super().__init__(dynamic=True)`) raises
    `ValueError: Unrecognized keyword arguments passed to Dense: {'dynamic': True}`. tf-keras
    accepts all of them, so the rule is silent on tf-keras files and targets.

    `Layer.metrics` and deeply nested functional inputs, also on those lists, are not reported:
    on Keras 3.15.1 `Dense(2).metrics` is `[]` and `keras.Model({"a": a, "b": {"c": c}}, ...)`
    builds (measured).

    ## Example
    ```python
    encoder = keras.layers.LSTM(64, time_major=False, return_sequences=True)
    model.train_on_batch(x, y, reset_metrics=False)
    ```

    ## Use instead
    ```python
    encoder = keras.layers.LSTM(64, return_sequences=True)
    model.train_on_batch(x, y)  # metrics: model.reset_metrics() when you want them reset
    ```
    For `time_major=True`, transpose the input (`keras.ops.transpose(x, (1, 0, 2))`); for
    `constants=`, pass the constant through the cell's inputs; for `dynamic=True`, compile the
    model with `run_eagerly=True`.

    ## Fix safety
    Safe, and only for `time_major=False` and `dynamic=False`: they restate the old default, so
    dropping them changes nothing. The other forms need a rewrite and get no fix.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py` ("Removed features").
    - fixtures/KL409/.
    """

    code = "KL409"
    name = "keras3-removed-argument"
    message = "`{kw}=` {where}: removed in Keras 3 ({error}); {advice}"
    fix_safety = SAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        if "keras3" not in stacks_of(facts, target):
            return False
        keywords, callees = facts.census.keywords, facts.census.callees
        return bool(keywords & {"dynamic", "constants"}) or ("time_major" in keywords and bool(callees & RNN_LAYERS)) \
            or ("reset_metrics" in keywords and bool(callees & set(ON_BATCH)))

    VALID = [
        "import keras\nx = keras.layers.LSTM(4, return_sequences=True)\nm.train_on_batch(a, b)\n",
        # other libraries' arguments of the same name
        "import keras\nimport tensorflow as tf\nout = tf.compat.v1.nn.dynamic_rnn(cell, x, time_major=True)\n",
        "import keras\nfrom mylib import Agent\nagent = Agent(dynamic=True)\nagent.learn(x, constants=c)\n",
        "import keras\ncell = keras.layers.LSTMCell(4)\ny = cell(x, states, constants=c)\n",
        # a project's own RNN wrapper called with constants
        "import keras\nfrom mylib import AttentionRNN\nrnn = AttentionRNN(units=4)\ny = rnn(x, constants=c)\n",
        # tf-keras accepts them
        "import tf_keras\nx = tf_keras.layers.LSTM(4, time_major=True)\n",
        Valid("import tensorflow as tf\nx = tf.keras.layers.GRU(4, time_major=True)\nm.train_on_batch(a, b, reset_metrics=False)\n",
              target="tf-keras"),
    ]
    INVALID = [
        Invalid("import keras\nx = keras.layers.LSTM(4, time_major=False, return_sequences=True)\n", line=2,
                fixed="import keras\nx = keras.layers.LSTM(4, return_sequences=True)\n"),
        Invalid("from tensorflow.keras.layers import GRU\nx = GRU(4, time_major=True)\n", line=2),
        Invalid("import keras\nrnn = keras.layers.RNN(cell)\ndef f(x, c):\n    return rnn(x, constants=[c])\n", line=4),
        Invalid("import keras\ny = keras.layers.RNN(cell)(x, constants=c)\n", line=2),
        Invalid("import keras\nmodel = keras.Model(i, o)\nmodel.train_on_batch(a, b, reset_metrics=False)\n", line=3),
        Invalid("import keras\nd = keras.layers.Dense(2, dynamic=False)\n", line=2,
                fixed="import keras\nd = keras.layers.Dense(2)\n"),
        Invalid("import keras\nclass L(keras.layers.Layer):\n    def __init__(self, **kw):\n"
                "        super().__init__(dynamic=True, **kw)\n", line=4),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.target != "keras3" or not node.args:
            return
        func = node.func
        qn = self.ctx.qualname(func)
        last = qn.rsplit(".", 1)[-1] if qn else None
        if qn is not None and keras_class_kind(qn) is not None:
            if last in RNN_LAYERS:
                self._removed(node, "time_major", f"on `{last}`", "ValueError",
                              "drop it (transpose a time-major input with `keras.ops.transpose`)", fixable=True)
            self._removed(node, "dynamic", f"on `{last}`", "ValueError",
                          "drop it (run_eagerly=True instead)", fixable=True)
            return
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Call) \
                and isinstance(func.value.func, cst.Name) and func.value.func.value == "super":
            if _keyword(node, "dynamic") is not None:
                self._defer(node, kind="super")
            return
        if isinstance(func, cst.Attribute) and func.attr.value in ON_BATCH:
            self._removed(node, "reset_metrics", f"on `{func.attr.value}`",
                          "TypeError", "drop it and call `model.reset_metrics()` where needed")
            return
        if _keyword(node, "constants") is not None:
            if isinstance(func, cst.Call):
                inner = self.ctx.qualname(func.func)
                if inner is not None and keras_class_kind(inner) is not None and inner.rsplit(".", 1)[-1] in RNN_LAYERS:
                    self._constants(node)
            elif isinstance(func, cst.Name):
                self._defer(node, kind="constants")

    def _removed(self, call: cst.Call, kw: str, where: str, error: str, advice: str, fixable: bool = False) -> None:
        arg = _keyword(call, kw)
        if arg is None:
            return
        fix = None
        if fixable and literal(arg.value) is False:
            fix = Fix(SAFE, {call: call.with_changes(args=drop_args(call.args, [arg]))})
        self.report(arg, self.message.format(kw=kw, where=where, error=error, advice=advice), fix)

    def _constants(self, call: cst.Call) -> None:
        self._removed(call, "constants", "when calling an RNN layer", "TypeError",
                      "pass the constant through the cell's inputs")

    def leave_Module(self, node: cst.Module) -> None:
        module_scope = None
        for scope, items in self._deferred_scopes():
            for it in items:
                call = it.node
                assert isinstance(call, cst.Call)
                if it.data["kind"] == "super":
                    info = next((i for i in keras_classes(node, self.ctx).infos if i.node is it.cls), None)
                    if info is not None and info.kind in (LAYER, MODEL):
                        self._removed(call, "dynamic", f"in `super().__init__` of Keras class `{info.name}`",
                                      "ValueError",
                                      "drop it (run_eagerly=True instead)", fixable=True)
                    continue
                name = call.func.value  # type: ignore[attr-defined]
                b = scope.lookup(name, scope.order_of(call))
                if b is None and scope.owner is not node:
                    module_scope = module_scope or build_scope(node)
                    b = module_scope.lookup(name, 1 << 30)
                if b is not None and b.kind == ASSIGN and isinstance(b.value, cst.Call) and b.index == -1:
                    qn = self.ctx.qualname(b.value.func)
                    if qn is not None and keras_class_kind(qn) is not None and qn.rsplit(".", 1)[-1] in RNN_LAYERS:
                        self._constants(call)
