"""The one receiver model (keras_lint/analysis/receivers.py): the same evidence answers both ways
of asking, KL201/KL202's scoped ``KerasObjects.classify`` and KL403/KL404's file-wide
``ReceiverMixin.receiver_kind``. Cross-module evidence is in test_project.py (the trainer project)."""
import libcst as cst
import pytest

from keras_lint.analysis.dataflow import build_scope
from keras_lint.analysis.receivers import (KERAS, LAYER, MODEL, OTHER, UNKNOWN, KerasObjects, ReceiverMixin,
                                           keras_value_kind)
from keras_lint.engine import run_rules
from keras_lint.rule import Rule


class _Probe(ReceiverMixin, Rule):
    """Asks both APIs about the receiver of every ``<receiver>.probe()`` call."""

    code = "KL999"
    name = "probe"
    message = "probe"
    answers: list = []

    def __init__(self, ctx):
        super().__init__(ctx)
        self._receivers_init()
        self.calls = []

    def visit_Call(self, node):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "probe":
            cls = self.ctx.enclosing_class()
            self.calls.append((node, self.ctx.enclosing_function(), cls))

    def leave_Module(self, node):
        for call, fn, cls in self.calls:
            receiver = call.func.value
            scope = build_scope(fn or node, {id(call)})
            scoped = KerasObjects(self.ctx, node).classify(cst.Module([]).code_for_node(receiver), scope,
                                                           scope.order_of(call), cls)
            filewide = self.receiver_kind(receiver, cls.name.value if cls else None)
            _Probe.answers.append((scoped, filewide))


def _ask(source: str):
    _Probe.answers = []
    run_rules(cst.parse_module(source), "probe.py", [_Probe], "keras3")
    return _Probe.answers


PRELUDE = "import keras\nimport numpy as np\nimport sklearn.svm as svm\n"

CASES = [
    # (source, scoped answer, file-wide answer)
    ("m = keras.Model(keras.Input((2,)), keras.Input((2,)))\nm.probe()\n", MODEL, KERAS),
    ("m = keras.Sequential([keras.layers.Dense(2)])\nm.probe()\n", MODEL, KERAS),
    ("m = keras.models.load_model('x.keras')\nm.probe()\n", MODEL, KERAS),
    ("m = keras.applications.ResNet50()\nm.probe()\n", MODEL, KERAS),
    ("class Net(keras.Model):\n    pass\nclass Deeper(Net):\n    pass\nm = Deeper()\nm.probe()\n", MODEL, KERAS),
    ("def build():\n    return keras.Sequential()\nm = build()\nm.probe()\n", None, KERAS),
    # layers: a layer is not a model (file-wide: no fit(), so OTHER)
    ("d = keras.layers.Dense(2)\nd.probe()\n", LAYER, OTHER),
    ("class Block(keras.layers.Layer):\n    pass\nb = Block()\nb.probe()\n", LAYER, OTHER),
    ("m = keras.Sequential()\nfor layer in m.layers:\n    layer.probe()\n", LAYER, UNKNOWN),
    ("m = keras.Sequential()\nl = m.get_layer('x')\nl.probe()\n", LAYER, OTHER),
    # look-alikes: not Keras
    ("s = svm.SVC()\ns.probe()\n", None, OTHER),
    ("class Mine(object):\n    pass\nx = Mine()\nx.probe()\n", None, OTHER),
    ("x = np.zeros(3)\nx.probe()\n", None, OTHER),
    # no evidence either way
    ("def f(model):\n    model.probe()\n", None, UNKNOWN),
    ("m = make()\nm.probe()\n", None, UNKNOWN),
    # scoped evidence from use: only models have compile()
    ("def f(model):\n    model.compile('adam')\n    model.probe()\n", MODEL, UNKNOWN),
    # self in a Keras model subclass; self.model in a Callback
    ("class Net(keras.Model):\n    def go(self):\n        self.probe()\n", None, KERAS),
    ("class Cb(keras.callbacks.Callback):\n    def on_epoch_end(self, e, logs=None):\n        self.model.probe()\n",
     None, KERAS),
    ("class Plain:\n    def go(self):\n        self.probe()\n", None, OTHER),
    # a name bound both ways is unknown to the file-wide view
    ("m = keras.Sequential()\nm = svm.SVC()\nm.probe()\n", None, UNKNOWN),
]


@pytest.mark.parametrize("source, scoped, filewide", CASES)
def test_one_evidence_two_questions(source, scoped, filewide):
    assert _ask(PRELUDE + source) == [(scoped, filewide)]


@pytest.mark.parametrize("qualname, kind", [
    ("keras.Model", MODEL), ("keras.models.Sequential", MODEL), ("keras.saving.load_model", MODEL),
    ("keras.applications.resnet.ResNet50", MODEL), ("keras.layers.Dense", LAYER), ("keras.Layer", LAYER),
    ("keras.layers.concatenate", OTHER), ("keras.ops.sum", OTHER), ("keras.callbacks.Callback", OTHER),
])
def test_keras_value_kinds(qualname, kind):
    assert keras_value_kind(qualname) == kind
