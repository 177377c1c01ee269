"""KL101, KL102: raw tensor ops and slices applied to Keras symbolic tensors while building a model.

Both read the analysis of ``analysis.symbolic`` (one per file, at ``leave_Module``): which values are
Keras symbolic tensors, and where a raw op's result reaches a layer call or a ``Model``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..fixes import dotted_expr
from ..names import dotted_name
from ..rule import UNSAFE, Fix, ImportSpec, Invalid, Rule, Valid
from ..tables.ops import KERAS_OPS, OpSpec
from ._bindings import is_free
from ._callfix import keyword_arg
from ..walk import children
from ..analysis.facts import stacks_of
from ..tables.ops import is_raw_op
from ..analysis.symbolic import LIST, RAW, SYM, Finding, symbolic_analysis

#: attributes that hand out symbolic tensors (``model.output``, ``layer.outputs``)
_SYMBOLIC_ATTRS = frozenset({"output", "outputs", "input", "inputs"})


def _may_be_symbolic(facts) -> bool:
    """Gate of KL101/KL102: the file can hold a symbolic tensor: it makes an ``Input``, reads a
    model's or layer's output, or imports from project modules (whose functions may hand it one)."""
    census = facts.census
    # every INPUT_CTORS spelling ends in ".Input" (analysis/symbolic.py)
    return facts.project_defs or facts.via_project or bool(census.attrs & _SYMBOLIC_ATTRS) or \
        census.refers(lambda r: r.rsplit(".", 1)[-1] == "Input")

# Dynamic shapes: wrapped in a Lambda they become symbolic tensors, which later reshape/tile/range
# calls cannot take as static arguments (measured on a YOLO decode head): report without a fix.
NO_LAMBDA_FIX = frozenset({"tensorflow.shape", "tensorflow.shape_n", "tensorflow.size", "tensorflow.rank",
                           "keras.backend.shape"})

_PRELUDE = "import keras\nimport tensorflow as tf\nfrom keras import layers\n"


def _is_symbolic(values: Dict[int, object], node: cst.CSTNode) -> bool:
    val = values.get(id(node))
    return isinstance(val, tuple) and val[0] in (SYM, LIST, RAW)


def _ops_args(call: cst.Call, spec: OpSpec) -> Optional[List[cst.Arg]]:
    """The call's arguments renamed for ``keras.ops.<spec.ops>``, or None when they do not map."""
    args: List[cst.Arg] = []
    given = set()
    pos = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if pos >= len(spec.positional):
                return None
            given.add(spec.positional[pos][0])
            pos += 1
            args.append(arg)
            continue
        name = arg.keyword.value
        if name not in spec.params:
            return None
        given.add(name)
        args.append(arg.with_changes(keyword=cst.Name(spec.params[name])))
    if any(r not in given for r in spec.required):
        return None
    ops_given = {spec.params[g] for g in given}
    for ops_name, code in spec.inject:
        if ops_name not in ops_given:
            if args and isinstance(args[-1].comma, cst.Comma) and "\n" in cst.Module([]).code_for_node(args[-1].comma):
                return None  # a multi-line call: leave the layout to the user
            args.append(keyword_arg(ops_name, cst.parse_expression(code)))
    return args


class _Substitute(cst.CSTTransformer):
    def __init__(self, nodes, name: str) -> None:
        super().__init__()
        self.nodes = nodes
        self.name = name

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        if any(original_node is n for n in self.nodes):
            return cst.Name(self.name)
        return updated_node


def _symbolic_leaves(call: cst.Call, values: Dict[int, object]) -> List[cst.BaseExpression]:
    leaves: List[cst.BaseExpression] = []
    todo: List[cst.CSTNode] = [a.value for a in call.args]
    while todo:
        node = todo.pop()
        if _is_symbolic(values, node):
            leaves.append(node)  # type: ignore[arg-type]
            continue
        if isinstance(node, cst.Lambda):
            continue
        todo.extend(children(node))
    return leaves


def _names_in(node: cst.CSTNode) -> set:
    out = set()
    todo = [node]
    while todo:
        cur = todo.pop()
        if isinstance(cur, cst.Name):
            out.add(cur.value)
        todo.extend(children(cur))
    return out


class RawOpOnSymbolicTensor(Rule):
    """
    ## What it does
    Finds raw TensorFlow ops (`tf.*`) and Keras 2 backend functions (`K.*`) applied to Keras
    symbolic tensors in model-building code, when their result is passed to a layer or used as a
    model's input or output. Symbolic tensors are what `Input(...)` and layer calls return,
    `model.output(s)`, `layer.output`, their elements and values computed from them; they are
    followed through local variables, tuple unpacking, lists of inputs and calls of helper
    functions, the file's own and (through the project model) those of other project modules:
    a helper in `common.py` whose parameter receives the `Input` made in `train.py`, a result
    returned to a caller that feeds it to a layer. Keras and TensorFlow reached through a project
    module that re-exports them (`from mypkg.backend import layers, functional`) count, and so do
    project Layer subclasses. A functional model built in a `keras.Model` subclass's `__init__`
    (`super().__init__(inputs=..., outputs=...)`, the Model Garden pattern) is model-building
    code. The message names the layer or model that consumes the op's result (SARIF: a related
    location); the finding stays on the op, which is what to fix.

    Not reported: the same op inside a `Lambda`, inside a Layer's or Model's other methods, in a
    function used as a `Lambda` body or decorated with `tf.function`; indexing a list of tensors
    (`model.outputs[0]`); `keras.ops.*` and Python operators (`x * 2 + 1`), which Keras
    overloads; and anything with `--target tf-keras`, where tf-keras wraps the op in a
    `TFOpLambda` layer by itself.

    ## Why is this bad?
    Keras 3 symbolic tensors are placeholders, not TensorFlow tensors: building the model fails
    with `ValueError: A KerasTensor cannot be used as input to a TensorFlow function`, and Keras 3
    has no `keras.backend.mean` & co. at all (`AttributeError`). Old Keras (≤ 2.3) built the
    graph but then failed with `AttributeError: 'NoneType' object has no attribute
    '_inbound_nodes'` (keras-team/keras#11302: a `tf.add` of two layer outputs).

    ## Example
    ```python
    inputs = keras.Input((4,))
    pooled = tf.reduce_sum(inputs, axis=1, keepdims=True)
    outputs = keras.layers.Dense(2)(pooled)
    ```

    ## Use instead
    ```python
    inputs = keras.Input((4,))
    pooled = keras.ops.sum(inputs, axis=1, keepdims=True)
    outputs = keras.layers.Dense(2)(pooled)
    ```
    or, for an op without a `keras.ops` equivalent, a `keras.layers.Lambda` or a small `Layer`
    subclass (a `Lambda` that uses `tf` does not reload from a `.keras` file on Keras 3).

    ## Fix safety
    Unsafe. With an equivalent in `keras.ops` (a table checked against the installed Keras:
    same parameters at the same positions, defaults kept where they differ), the call is rewritten
    to it; `keras.ops` results can differ in dtype promotion and edge cases. Otherwise the op is
    wrapped in `keras.layers.Lambda(lambda x: ...)(x)` when it reads one symbolic value, which adds
    a layer to the model and a Python lambda to its saved form. With several symbolic inputs, and
    for dynamic-shape ops (`tf.shape`, `K.shape`, `tf.size`, `tf.rank`, whose wrapped results
    cannot serve as static shapes later), the finding comes without a fix. A long chain of raw ops
    computing, say, a detection head's grid is reported op by op; the fixed code parses, but such
    a chain may still need moving into a Layer by hand.

    ## References
    - https://keras.io/guides/migrating_to_keras_3/
    - https://keras.io/api/ops/ (the `keras.ops` replacements)
    - fixtures/KL101/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL101` (TF 2.21 / Keras 3.15 / tf-keras 2.21).
    """

    code = "KL101"
    name = "raw-op-on-symbolic-tensor"
    message = "`{op}` is a raw op on a Keras symbolic tensor fed to {consumer}: {why}; {advice}"
    fix_safety = UNSAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        # a raw op and something symbolic to apply it to: an Input, a model's or layer's output,
        # or a value that arrives from another project module; never on tf-keras
        if "keras3" not in stacks_of(facts, target):
            return False
        census = facts.census
        raw = facts.via_project or census.refers(is_raw_op)
        return raw and _may_be_symbolic(facts)

    VALID = [
        # inside Lambda
        _PRELUDE + "x = keras.Input((4,))\ny = layers.Lambda(lambda t: tf.reduce_sum(t, 1))(x)\nz = layers.Dense(2)(y)\n",
        # inside a Layer's call
        _PRELUDE + "class Sum(layers.Layer):\n    def call(self, x):\n        y = tf.reduce_sum(x, 1)\n"
        "        return layers.Dense(2)(y)\n",
        # a function only used as a Lambda body
        _PRELUDE + "def head(t):\n    return tf.nn.l2_normalize(t, 1)\n"
        "x = keras.Input((4,))\ny = layers.Dense(2)(layers.Lambda(head)(x))\n",
        # tf.function
        _PRELUDE + "model = keras.Sequential([layers.Dense(2)])\n@tf.function\ndef step(x):\n"
        "    return model(tf.nn.relu(x))\n",
        # indexing a list of tensors; Python operators; keras.ops
        _PRELUDE + "inp = keras.Input((4,))\nbase = keras.Model(inp, [layers.Dense(2)(inp), layers.Dense(3)(inp)])\n"
        "a = base.outputs[0]\nb = base.outputs[-1] * 2 + 1\nc = keras.ops.sum(a, axis=1, keepdims=True)\n"
        "out = layers.Concatenate()([a, b, c])\nm = keras.Model(inp, out)\n",
        # a raw op whose result is never fed to a layer (a metric tensor, a shape)
        _PRELUDE + "x = keras.Input((4,))\ny = layers.Dense(2)(x)\nn = tf.shape(y)\n",
        # eager tensors are not symbolic
        _PRELUDE + "model = keras.Sequential([layers.Dense(2)])\nx = tf.ones((1, 4))\ny = model(tf.nn.relu(x))\n",
        # a function parameter of unknown origin (a training step, a loss)
        _PRELUDE + "dense = layers.Dense(2)\ndef step(batch):\n    return dense(tf.nn.relu(batch))\n",
        # a project's own `tf` or `K`
        "import mylib as tf\nfrom keras import layers, Input\nx = Input((4,))\ny = layers.Dense(2)(tf.reduce_sum(x, 1))\n",
        # tf-keras wraps the op itself
        Valid(_PRELUDE + "x = keras.Input((4,))\ny = layers.Dense(2)(tf.reduce_sum(x, 1, keepdims=True))\n",
              target="tf-keras"),
        # methods of a Keras model subclass
        _PRELUDE + "class Net(keras.Model):\n    def build_head(self, x):\n        return layers.Dense(2)(tf.nn.relu(x))\n",
        # a subclassed model's __init__ that builds no functional graph
        _PRELUDE + "class Net(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
        "        self.d = layers.Dense(2)\n    def call(self, x):\n        return self.d(tf.nn.relu(x))\n",
    ]
    INVALID = [
        # `keras` is tf.keras here: the fix would write `keras.ops` and import Keras 3 over it, so no fix
        Invalid("import tensorflow as tf\nfrom tensorflow import keras\ninputs = keras.Input((4,))\n"
                "outputs = keras.layers.Dense(2)(tf.reduce_sum(inputs, axis=1, keepdims=True))\n", line=4),
        # assigned first, used later
        Invalid(_PRELUDE + "inputs = keras.Input((4,))\npooled = tf.reduce_sum(inputs, axis=1, keepdims=True)\n"
                "outputs = layers.Dense(2)(pooled)\n",
                line=5,
                fixed=_PRELUDE + "inputs = keras.Input((4,))\npooled = keras.ops.sum(inputs, axis=1, keepdims=True)\n"
                "outputs = layers.Dense(2)(pooled)\n"),
        # aliased Keras 2 imports, K.* inside a list of layer inputs, custom layer called at once
        Invalid("from keras import backend as K\nfrom keras import layers as KL\nfrom keras.models import Model\n"
                "class ClipBoxes(KL.Layer):\n    def call(self, inputs):\n        return inputs[0]\n"
                "meta = KL.Input((12,))\nanchors = KL.Dense(4)(meta)\n"
                "anchors = ClipBoxes(name='clip')([anchors, K.concatenate([anchors, meta])])\n"
                "model = Model(meta, anchors)\n",
                line=9,
                fixed="from keras import backend as K\nfrom keras import layers as KL\nfrom keras.models import Model\n"
                      "import keras\n\n"
                      "class ClipBoxes(KL.Layer):\n    def call(self, inputs):\n        return inputs[0]\n"
                      "meta = KL.Input((12,))\nanchors = KL.Dense(4)(meta)\n"
                      "anchors = ClipBoxes(name='clip')([anchors, keras.ops.concatenate([anchors, meta], axis=-1)])\n"
                      "model = Model(meta, anchors)\n"),
        # nested model-building helper, tuple unpacking, a layer instance, op without a keras.ops twin
        Invalid("import tensorflow as tf\n\ndef build(size):\n    image = tf.keras.Input((size, size, 3))\n"
                "    conv = tf.keras.layers.Conv2D(8, 3)\n    feat, skip = conv(image), image\n"
                "    small = tf.image.resize(feat, (8, 8))\n    out = conv(small)\n"
                "    return tf.keras.Model(image, [out, skip])\n",
                line=7,
                fixed="import tensorflow as tf\nimport keras\n\ndef build(size):\n    image = tf.keras.Input((size, size, 3))\n"
                "    conv = tf.keras.layers.Conv2D(8, 3)\n    feat, skip = conv(image), image\n"
                "    small = keras.layers.Lambda(lambda feat: tf.image.resize(feat, (8, 8)))(feat)\n    out = conv(small)\n"
                "    return tf.keras.Model(image, [out, skip])\n"),
        # a helper receiving the symbolic tensor as a parameter; a model output
        Invalid(_PRELUDE + "def head(x, n):\n    y = layers.Dense(n)(x)\n    return tf.nn.softmax(y)\n"
                "def build():\n    inp = keras.Input((4,))\n    out = head(inp, 3)\n"
                "    return keras.Model(inputs=inp, outputs=tf.math.log(out + 1e-7))\n",
                line=6, count=2,
                fixed=_PRELUDE + "def head(x, n):\n    y = layers.Dense(n)(x)\n    return keras.ops.softmax(y)\n"
                "def build():\n    inp = keras.Input((4,))\n    out = head(inp, 3)\n"
                "    return keras.Model(inputs=inp, outputs=keras.ops.log(out + 1e-7))\n"),
        # chained ops: both reported, fixed in two passes; the backend default axis is kept
        Invalid("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
                "from tensorflow.keras.layers import Input, Dense\n"
                "x = Input((4,))\nh = Dense(4)(x)\ny = Dense(1)(K.expand_dims(tf.reduce_max(h, 1)))\n",
                count=2,
                fixed="import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
                      "from tensorflow.keras.layers import Input, Dense\nimport keras\n\n"
                      "x = Input((4,))\nh = Dense(4)(x)\ny = Dense(1)(keras.ops.expand_dims(keras.ops.max(h, 1), axis=-1))\n"),
        # a functional model built in a Model subclass's __init__ (the Model Garden pattern)
        Invalid(_PRELUDE + "class Net(keras.Model):\n    def __init__(self, **kwargs):\n        inputs = keras.Input((4,))\n"
                "        x = tf.nn.relu(layers.Dense(4)(inputs))\n        super().__init__(inputs=inputs, outputs=x, **kwargs)\n",
                line=7,
                fixed=_PRELUDE + "class Net(keras.Model):\n    def __init__(self, **kwargs):\n        inputs = keras.Input((4,))\n"
                "        x = keras.ops.relu(layers.Dense(4)(inputs))\n        super().__init__(inputs=inputs, outputs=x, **kwargs)\n"),
        # several symbolic inputs: reported, no fix
        Invalid(_PRELUDE + "a = keras.Input((3,))\nb = keras.Input((3,))\nd = layers.Dense(1)(tf.linalg.cross(a, b))\n",
                line=6),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        if self.ctx.target == "tf-keras":
            return
        analysis = symbolic_analysis(node, self.ctx)
        for finding in analysis.raw_findings.values():
            self._report(finding)

    def _report(self, finding: Finding) -> None:
        call = finding.op
        shown = dotted_name(call.func) or finding.qualname
        if finding.qualname.startswith("keras.backend."):
            why = f"Keras 3 has no `keras.backend.{finding.qualname.rsplit('.', 1)[1]}`"
        else:
            why = "Keras 3 raises ValueError"
        spec = KERAS_OPS.get(finding.qualname)
        args = _ops_args(call, spec) if spec is not None else None
        if spec is not None and args is not None:
            new = call.with_changes(func=dotted_expr(f"keras.ops.{spec.ops}"), args=args)
            advice = f"use `keras.ops.{spec.ops}`"
            fix: Optional[Fix] = Fix(UNSAFE, {call: new}, (ImportSpec("keras"),))
        elif finding.qualname in NO_LAMBDA_FIX:
            fix = None
            advice = "move it into a Layer's `call`"
        else:
            fix = self._lambda_fix(call, finding.scope_values)
            advice = ("wrap it in a `keras.layers.Lambda` or a Layer"
                      if spec is None else f"use `keras.ops.{spec.ops}` (check the arguments) or a `Lambda`")
        if fix is not None and not is_free(self.ctx, "keras", "keras"):
            fix = None  # the fix writes `keras.` and imports keras: the file means something else by it
        consumer, related = self._consumer(finding)
        self.report(call, self.message.format(op=shown, consumer=consumer, why=why, advice=advice), fix, related)

    def _consumer(self, finding: Finding):
        """The layer or model that takes the op's result, for the message and as a related location."""
        c = finding.consumer
        if c is None:
            return "a layer or model", None
        if c.node is not None:
            return c.text, (c.node, None, None, f"{c.text} consumes the result of the raw op")
        project = self.ctx.project
        path, line = project.locate((c.path, c.function, c.text)) if project is not None else (c.path, None)
        where = f"`{c.function}` ({path}{f':{line}' if line else ''}), which feeds it to {c.text}"
        return where, (None, path, line, f"{c.text} in `{c.function}` consumes the result of the raw op")

    def _lambda_fix(self, call: cst.Call, values: Dict[int, object]) -> Optional[Fix]:
        leaves = _symbolic_leaves(call, values)
        code = cst.Module([]).code_for_node
        texts = {code(leaf) for leaf in leaves}
        if len(texts) != 1:
            return None
        leaf = leaves[0]
        if isinstance(leaf, cst.Name):
            param = leaf.value
        else:
            used = _names_in(call)
            param = next(p for p in ("t", "t_", "tensor", "tensor_") if p not in used)
        body = call.visit(_Substitute(leaves, param))
        lam = cst.Lambda(params=cst.Parameters(params=[cst.Param(cst.Name(param))]), body=body)
        wrapped = cst.Call(func=cst.Call(func=dotted_expr("keras.layers.Lambda"), args=[cst.Arg(lam)]),
                           args=[cst.Arg(leaf)])
        return Fix(UNSAFE, {call: wrapped}, (ImportSpec("keras"),))


class SliceIntoLayer(Rule):
    """
    ## What it does
    Finds a slice of a Keras symbolic tensor (`x[:, 7:11]`, `x[..., 0]`) passed straight into a
    layer call, alone or in a list of inputs. Same scope and exclusions as KL101; a plain index of a
    list of outputs (`outputs[0]`) is not a slice.

    Off by default: select it (`--select KL102`) when the code must still run on standalone Keras
    2.3 or older. Keras 3 and tf-keras wrap such slices in a layer by themselves (measured), so it
    is not enabled for either configured target.

    ## Why is this bad?
    On Keras ≤ 2.3 a slice is a raw TensorFlow op without Keras history, and building the model
    fails with `AttributeError: 'NoneType' object has no attribute '_inbound_nodes'`
    (keras-team/keras#10491, where a slice was the cause; Mask R-CNN's
    `ClipBoxes()([anchors, input_image_meta[:, 7:11]])` is the classic case).

    ## Example
    ```python
    anchors = ClipBoxes(name="clip")([anchors, input_image_meta[:, 7:11]])
    ```

    ## Use instead
    ```python
    window = Lambda(lambda x: x[:, 7:11])(input_image_meta)
    anchors = ClipBoxes(name="clip")([anchors, window])
    ```

    ## Fix safety
    No fix: on the stacks keras-lint targets the code works as written.

    ## References
    - https://keras.io/api/layers/core_layers/lambda/
    - fixtures/KL102/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL102` (passes on Keras 3.15 and tf-keras 2.21: both wrap slices).
    """

    code = "KL102"
    name = "slice-into-layer"
    message = "a Keras symbolic tensor's slice passed straight into a layer fails on Keras <= 2.3: slice in a `Lambda`"
    default_enabled = False
    default_targets: Tuple[str, ...] = ()

    @classmethod
    def gate(cls, facts, target) -> bool:
        return "[" in facts.census.text and _may_be_symbolic(facts)

    VALID = [
        _PRELUDE + "x = keras.Input((12,))\nw = layers.Lambda(lambda t: t[:, 7:11])(x)\ny = layers.Dense(2)(w)\n",
        # indexing a list of outputs
        _PRELUDE + "inp = keras.Input((4,))\nbase = keras.Model(inp, [layers.Dense(2)(inp), layers.Dense(3)(inp)])\n"
        "y = layers.Dense(1)(base.outputs[0])\n",
        _PRELUDE + "inputs = [keras.Input((4,)), keras.Input((4,))]\ny = layers.Add()([inputs[0], inputs[-1]])\n",
        # numpy arrays, Python lists
        "import numpy as np\nfrom keras import layers\ndata = np.ones((2, 12))\ny = layers.Dense(2)(data[:, 7:11])\n",
        # inside a layer
        _PRELUDE + "class C(layers.Layer):\n    def call(self, x):\n        return layers.Dense(2)(x[:, 1:])\n",
    ]
    INVALID = [
        Invalid("from keras.layers import Input, Dense, Layer\n"
                "class ClipBoxes(Layer):\n    def call(self, inputs):\n        return inputs[0]\n"
                "input_image_meta = Input((12,))\nanchors = Dense(4)(input_image_meta)\n"
                "anchors = ClipBoxes(name='clip')([anchors, input_image_meta[:, 7:11]])\n",
                line=7),
        Invalid("import tensorflow as tf\ndef head(x):\n    return tf.keras.layers.Dense(1)(x[..., 0])\n"
                "inp = tf.keras.Input((4, 3))\nout = head(inp)\n", line=3),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        analysis = symbolic_analysis(node, self.ctx)
        for sub, _scope in analysis.slice_findings.values():
            self.report(sub)
