"""KL601 and KL602: runtime shape and dtype hazards in box-matching code (argmax over an axis
that can be empty; int32 shapes mixed with floats)."""
from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from ..names import dotted_name
from ..rule import UNSAFE, Fix, Invalid, Rule
from ..analysis.dataflow import DeferredScopes, Scope, iter_nodes
from ..analysis.dtypes import FLOAT, PYFLOAT, _arg, dtype_oracles
from ..analysis.empty_axes import MAX_DEPTH, Dyn, ShapeFlow, _is_none, _int_literal, from_fact

ARGMAX_FUNCS = {
    "tensorflow.argmax": 0, "tensorflow.argmin": 0, "tensorflow.math.argmax": 0, "tensorflow.math.argmin": 0,
    "keras.backend.argmax": -1, "keras.backend.argmin": -1, "keras.ops.argmax": None, "keras.ops.argmin": None,
}
_GUARD_CALLS = frozenset({"tensorflow.cond", "tensorflow.case", "tensorflow.switch_case", "tensorflow.Assert",
                          "tensorflow.debugging.Assert", "keras.backend.switch", "tensorflow.smart_cond"})
_SIZE_FUNCS = frozenset({"tensorflow.shape", "tensorflow.size", "keras.backend.shape", "keras.ops.shape",
                         "tensorflow.math.count_nonzero", "tensorflow.count_nonzero"})


def _guarded_names(ctx, scope: Scope) -> Set[str]:
    """Names whose size the function checks: ``tf.shape(x)``/``tf.size(x)``/``x.shape``/``len(x)``
    inside an ``if``/``while``/``assert``/conditional expression, or inside ``tf.cond``/
    ``tf.Assert``/``tf.debugging.assert_*``/``K.switch``."""
    roots = [node.test for node, _ in scope.conditions if isinstance(node, (cst.If, cst.While, cst.IfExp, cst.Assert))]
    for call, _ in scope.calls:
        qn = ctx.qualname(call.func)
        if qn is not None and (qn in _GUARD_CALLS or qn.startswith(("tensorflow.debugging.assert", "tensorflow.assert_"))):
            roots.append(call)
    out: Set[str] = set()
    for root in roots:
        for node in iter_nodes(root):
            if isinstance(node, cst.Call) and node.args:
                qn = ctx.qualname(node.func)
                if qn in _SIZE_FUNCS or (isinstance(node.func, cst.Name) and node.func.value == "len"):
                    name = dotted_name(node.args[0].value)
                    if name is not None:
                        out.add(name)
            elif isinstance(node, cst.Attribute) and node.attr.value in ("shape", "size"):
                name = dotted_name(node.value)
                if name is not None:
                    out.add(name)
    return out


class ArgmaxOverEmptyAxis(DeferredScopes, Rule):
    """
    ## What it does
    Finds `tf.argmax` / `tf.argmin` (also `tf.math.*`, `tf.compat.v1.*`, `K.argmax`,
    `keras.ops.argmax`) over an axis that can be empty at run time, with no guard. The operand
    is followed through local assignments; the reduced axis counts as possibly empty only when it
    comes from an op whose size along it depends on the data:

    - one-argument `tf.where(cond)`, `tf.boolean_mask`, `tf.unique`, non-max suppression;
    - `tf.gather` with such indices, slicing by a bound computed from the data
      (`gt_boxes[:num_gt]` with `num_gt = tf.reduce_sum(...)`);
    - an overlaps/IoU matrix built from such a tensor (a call named `*overlap*` / `*iou*` with two
      box arguments: axis *i* has the length of argument *i*);
    - across modules, through the project model: a parameter that a caller anywhere in the project
      gives such a tensor (built in the caller's function by the evidence above, or passed on
      unchanged from a parameter or a project function that returns one), and the result of a
      project function that returns one. The message then names the module and function that
      built the data (``tf.boolean_mask in `data:load_boxes`, data.py:7``), and SARIF output
      carries that place as a related location.

    A guard silences it: a `tf.cond` around the call, or any `if`/`while`/`assert`/`tf.cond`/
    `tf.Assert` in the same function that looks at `tf.shape`, `tf.size`, `.shape` or `len()` of
    the operand or of anything it was built from (an early return on emptiness included). A pad
    that adds a row (`tf.pad`), a `tf.concat` and any op we do not model end the trail, so the
    ordinary `tf.argmax(logits, axis=-1)`, `K.argmax(model.output)` and `np.argmax(...)` are never
    reported.

    ## Why is this bad?
    ArgMax has no answer for an empty axis: `InvalidArgumentError: Reduction axis 0 is empty in
    shape [0,5]` (in object detection: an image without ground-truth boxes). Measured on TF 2.21 (CPU):
    eager and `tf.function` raise; under `jit_compile=True` a tensor whose empty axis is known
    when XLA compiles (e.g. `tf.zeros((0, 5))` fed in) raises the same error, while one made
    empty at run time by `tf.boolean_mask`/`tf.where` silently yields index 0, a row that does
    not exist. The usual guard, `tf.cond(tf.shape(iou)[0] > 0, lambda: tf.argmax(iou, 0),
    ...)`, works eagerly and in `tf.function` but is not XLA-safe: XLA compiles both branches,
    and with a statically empty input it still raises. Padding one row works everywhere.

    ## Example
    ```python
    gt_boxes = tf.boolean_mask(gt_boxes, tf.reduce_any(gt_boxes > 0, axis=1))
    iou = compute_iou(gt_boxes, anchors)          # [num_gt, num_anchors]
    best_gt = tf.argmax(iou, axis=0)              # fails when num_gt == 0
    ```

    ## Use instead
    Pad one row that can never win, so the axis is never empty:
    ```python
    iou = tf.pad(iou, [[0, 1], [0, 0]], constant_values=-1.0)
    best_gt = tf.argmax(iou, axis=0)              # num_gt means "no box"
    ```
    This works eagerly, in `tf.function` and under XLA; handle the index `num_gt` ("no match")
    afterwards.

    ## Fix safety
    No automatic fix: the padding value and what the extra index means depend on the code.

    ## References
    - https://www.tensorflow.org/api_docs/python/tf/math/argmax
    - fixtures/KL601/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL601`.
    """

    code = "KL601"
    name = "argmax-over-empty-axis"
    message = ("`{func}` over axis {axis} of `{operand}`, which can be empty ({origin}): InvalidArgumentError; "
               "pad first (`keras-lint rule KL601`)")
    triggers = ("argmax", "argmin")

    @classmethod
    def gate(cls, facts, target) -> bool:
        return facts.census.refers(ARGMAX_FUNCS.__contains__)

    VALID = [
        "import tensorflow as tf\npred = tf.argmax(logits, axis=-1)\n",
        "import keras.backend as K\ny = K.argmax(model.output)\n",
        "import numpy as np\nimport tensorflow as tf\nix = tf.where(m)[:, 0]\nk = np.argmax(ix)\n",
        "import tensorflow as tf\ndef f(labels):\n    pos = tf.where(labels > 0)[:, 0]\n    return tf.argmax(labels, axis=0)\n",
        # reducing the static axis of a dynamic tensor
        "import tensorflow as tf\ndef f(ious, m):\n    sel = tf.boolean_mask(ious, m)\n    return tf.argmax(sel, axis=1)\n",
        # the usual tf.cond guard
        "import tensorflow as tf\ndef f(gt, anchors):\n    gt = tf.boolean_mask(gt, gt[:, 2] > 0)\n"
        "    iou = compute_iou(gt, anchors)\n"
        "    return tf.cond(tf.greater(tf.shape(iou)[0], 0), lambda: tf.argmax(iou, axis=0),\n"
        "                   lambda: tf.cast(tf.constant([]), tf.int64))\n",
        # an early return on emptiness
        "import tensorflow as tf\ndef f(scores, m):\n    kept = tf.boolean_mask(scores, m)\n"
        "    if tf.size(kept) == 0:\n        return -1\n    return tf.argmax(kept)\n",
        # a pad that guarantees one row
        "import tensorflow as tf\ndef f(gt, anchors):\n    gt = tf.boolean_mask(gt, gt[:, 2] > 0)\n"
        "    iou = tf.pad(compute_iou(gt, anchors), [[0, 1], [0, 0]], constant_values=-1.0)\n"
        "    return tf.argmax(iou, axis=0)\n",
        # a count from a parameter or config: not provably data-dependent
        "import tensorflow as tf\ndef f(gt, num_gt):\n    return tf.argmax(gt[:num_gt], axis=0)\n",
        "import tensorflow as tf\ndef f(logits, n):\n    return tf.argmax(logits[:, :n], axis=-1)\n",
        # a project's own argmax
        "import tensorflow as tf\nfrom utils import argmax\nix = tf.where(m)\ny = argmax(ix, 0)\n",
    ]
    INVALID = [
        # object detection: IoU of the trimmed ground truth against anchors, argmax over the GT axis
        Invalid("import tensorflow as tf\ndef match(gt_boxes, anchors):\n"
                "    gt_boxes = tf.boolean_mask(gt_boxes, tf.reduce_any(gt_boxes > 0, axis=1))\n"
                "    iou = compute_iou(gt_boxes, anchors)\n"
                "    return tf.argmax(iou, axis=0)\n", line=5),
        # Mask R-CNN shape: indices from tf.where, gather, overlaps
        Invalid("import tensorflow as tf\ndef targets(proposals, gt_class_ids, gt_boxes):\n"
                "    non_crowd_ix = tf.where(gt_class_ids > 0)[:, 0]\n"
                "    gt_boxes = tf.gather(gt_boxes, non_crowd_ix)\n"
                "    overlaps = overlaps_graph(proposals, gt_boxes)\n"
                "    return tf.argmax(overlaps, axis=1)\n", line=6),
        Invalid("import tensorflow as tf\nkeep = tf.image.non_max_suppression(boxes, scores, 100, 0.5)\n"
                "best = tf.math.argmin(tf.gather(scores, keep))\n", line=3),
        Invalid("from tensorflow.keras import backend as K\nimport tensorflow as tf\n"
                "def f(x):\n    pos = tf.where(x > 0.5)\n    return K.argmax(pos, axis=0)\n", line=5, target="tf-keras"),
        Invalid("import tensorflow as tf\ndef f(ids):\n    values, idx = tf.unique(ids)\n    return tf.argmax(values)\n",
                line=4),
        Invalid("import keras\nimport tensorflow as tf\ndef f(gt, valid):\n"
                "    num_gt = tf.reduce_sum(tf.cast(valid, tf.int32))\n"
                "    gt = gt[:num_gt]\n    return keras.ops.argmax(gt, axis=0)\n", line=6),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.qualname(node.func)
        if qn not in ARGMAX_FUNCS or not node.args:
            return
        for anc in self.ctx.stack:  # inside tf.cond(...) / K.switch(...): the usual guard
            if isinstance(anc, cst.Call) and self.ctx.qualname(anc.func) in _GUARD_CALLS:
                return
        operand = _arg(node, 0, "input", "x")
        if operand is None:
            return
        default = ARGMAX_FUNCS[qn]
        axis_expr = _arg(node, 1, "axis", "dimension")
        if axis_expr is None or _is_none(axis_expr):
            axis: Optional[int] = default
        else:
            axis = _int_literal(axis_expr)
            if axis is None:
                return
        self._defer(node, operand=operand, axis=axis, qn=qn)

    def leave_Module(self, node: cst.Module) -> None:
        for scope, items in self._deferred_scopes():
            flow = ShapeFlow(self.ctx, scope, self._data_params(items[0]))
            guarded: Optional[Set[str]] = None
            for it in items:
                before = scope.order_of(it.node)
                d = flow.dyn(it.data["operand"], before)
                if d is None:
                    continue
                axis = it.data["axis"]
                if axis is None:  # keras.ops.argmax(x): the flattened tensor is empty if any axis is
                    hit = min(d.axes)
                else:
                    if axis < 0:
                        if d.rank is None:
                            continue
                        axis += d.rank
                    if axis not in d.axes:
                        continue
                    hit = axis
                if guarded is None:
                    guarded = _guarded_names(self.ctx, scope)
                operand_name = dotted_name(it.data["operand"])
                if (d.names | ({operand_name} if operand_name else set())) & guarded:
                    continue
                func = (self.ctx.raw_qualname(it.node.func) or it.data["qn"]).replace("tensorflow.", "tf.", 1)
                operand = operand_name or _code(it.data["operand"])
                related = (None, d.source[0], d.source[1], d.source[2]) if d.source is not None else None
                self.report(it.node, self.message.format(func=func, axis=hit, operand=operand, origin=d.origin,
                                                         pad=_pad_hint(hit, d.rank)), None, related)

    def _data_params(self, item) -> Dict[str, Dyn]:
        """The parameters of the function holding ``item`` that callers elsewhere in the project
        give data-derived tensors (the project model's ``dd`` facts)."""
        project, owner = self.ctx.project, item.owner
        if project is None or not isinstance(owner, cst.FunctionDef):
            return {}
        if any(s is owner for s in self.ctx.module.body):
            qual = owner.name.value
        elif item.cls is not None and any(s is item.cls for s in self.ctx.module.body) \
                and any(s is owner for s in item.cls.body.body):
            qual = f"{item.cls.name.value}.{owner.name.value}"
        else:
            return {}  # a nested function: the summary does not follow it
        facts = project.own_function(qual)
        return {p: from_fact(f, project) for p, f in facts.dd.items()} if facts is not None else {}


class ShapeIntFloatMix(DeferredScopes, Rule):
    """
    ## What it does
    Finds `tf.minimum` / `tf.maximum` (also `tf.math.*`, `K.minimum`/`K.maximum`), arithmetic
    (`+ - * / // %`) and ordering comparisons where one operand is an int32 value from
    `tf.shape(...)` / `tf.size(...)` / `K.shape(...)` (directly, indexed, or through a local
    assignment) and the other is provably a float: a float literal, an expression with a float
    literal or a true division (`n * 0.5`, `count / 2`), a name assigned one, or a tensor cast
    to or created as float.

    ## Why is this bad?
    TensorFlow does not promote dtypes: measured on TF 2.21,
    `tf.minimum(tf.shape(x)[0], 10 * 0.5)` raises `TypeError: Cannot convert 5.0 to EagerTensor
    of dtype int32`, and against a float tensor `InvalidArgumentError: cannot compute Minimum as
    input #1(zero-based) was expected to be a int32 tensor but is a float tensor` (eager and in
    `tf.function`). A typical case, from anchor sampling in detection code:
    `tf.minimum(tf.shape(positive_indices)[0], train_anchors_num * positive_ratios)`.

    ## Example
    ```python
    positive_count = tf.minimum(tf.shape(positive_indices)[0], anchors_per_image * 0.5)
    ```

    ## Use instead
    ```python
    positive_count = tf.minimum(tf.shape(positive_indices)[0], tf.cast(anchors_per_image * 0.5, tf.int32))
    ```
    or do the arithmetic in Python on static values (`int(anchors_per_image * 0.5)`).

    ## Fix safety
    Unsafe: the fix wraps the float side in `tf.cast(..., tf.int32)`, which truncates toward zero
    (`2.7` becomes `2`); check that truncation is what you want, or round first. It is offered only
    where a module alias for `tensorflow` is imported.

    ## References
    - https://www.tensorflow.org/api_docs/python/tf/shape
    - https://www.tensorflow.org/api_docs/python/tf/cast
    - fixtures/KL602/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL602`.
    """

    code = "KL602"
    name = "shape-int-float-mix"
    message = "`{shape}` is int32 and `{other}` is a float: TF does not promote them (TypeError); `tf.cast` one side"
    fix_safety = UNSAFE
    triggers = ("shape", "size")

    @classmethod
    def gate(cls, facts, target) -> bool:
        return facts.census.refers(_SIZE_FUNCS.__contains__)

    VALID = [
        # the dtype= keyword decides the dtype: an int uniform, int counts, positional dtype
        "import tensorflow as tf\nk = tf.random.uniform([], maxval=10, dtype=tf.int32)\nn = tf.minimum(k, tf.shape(x)[0])\n",
        "import tensorflow as tf\nk = tf.random.uniform([], 0, 10, tf.int64)\nn = tf.maximum(tf.cast(tf.shape(x)[0], tf.int64), k)\n",
        "import tensorflow as tf\nn = tf.minimum(tf.size(x), tf.math.count_nonzero(m, dtype=tf.int32))\n",
        "import tensorflow as tf\nn = tf.minimum(tf.shape(x)[0], tf.argmax(v, output_type=tf.int32))\n",
        "import tensorflow as tf\nn = tf.minimum(tf.shape(x)[0], tf.random.uniform([], *bounds))\n",
        "import tensorflow as tf\nn = tf.minimum(tf.shape(x)[0], 10)\n",
        "import tensorflow as tf\nn = tf.minimum(tf.shape(x)[0], tf.cast(10 * 0.5, tf.int32))\n",
        "import tensorflow as tf\nh = tf.cast(tf.shape(x)[1], tf.float32) * 0.5\n",
        "import tensorflow as tf\ndef f(x, ratio):\n    return tf.minimum(tf.shape(x)[0], 100 * ratio)\n",
        "import tensorflow as tf\nhalf = x.shape[0] * 0.5\n",
        "import numpy as np\nimport tensorflow as tf\nh = np.shape(x)[0] * 0.5\n",
        "import tensorflow as tf\nn = tf.shape(x)[0] // 2\n",
        "from mylib import shape\nimport tensorflow as tf\nn = shape(x)[0] * 0.5\n",
        "import tensorflow as tf\ndef f(x):\n    n = tf.shape(x)[0]\n    n = tf.cast(n, tf.float32)\n    return n * 0.5\n",
    ]
    INVALID = [
        Invalid("import tensorflow as tf\nn = tf.minimum(tf.shape(x)[0], tf.math.count_nonzero(m, dtype=tf.float32))\n",
                fixed="import tensorflow as tf\n"
                      "n = tf.minimum(tf.shape(x)[0], tf.cast(tf.math.count_nonzero(m, dtype=tf.float32), tf.int32))\n"),
        Invalid("import tensorflow as tf\npositive_count = tf.minimum(tf.shape(positive_indices)[0], 256 * 0.5)\n",
                fixed="import tensorflow as tf\n"
                      "positive_count = tf.minimum(tf.shape(positive_indices)[0], tf.cast(256 * 0.5, tf.int32))\n"),
        Invalid("import tensorflow as tf\ndef sample(positive_indices, train_anchors_num):\n"
                "    positive_ratios = 0.33\n"
                "    n = tf.shape(positive_indices)[0]\n"
                "    return tf.minimum(n, train_anchors_num * positive_ratios)\n", line=5,
                fixed="import tensorflow as tf\ndef sample(positive_indices, train_anchors_num):\n"
                      "    positive_ratios = 0.33\n"
                      "    n = tf.shape(positive_indices)[0]\n"
                      "    return tf.minimum(n, tf.cast(train_anchors_num * positive_ratios, tf.int32))\n"),
        Invalid("import tensorflow as tf\nhalf = tf.shape(x)[0] * 0.5\n",
                fixed="import tensorflow as tf\nhalf = tf.shape(x)[0] * tf.cast(0.5, tf.int32)\n"),
        Invalid("import tensorflow as tf\nfrom keras import backend as K\nk = K.maximum(tf.size(x), tf.zeros(()))\n",
                fixed="import tensorflow as tf\nfrom keras import backend as K\n"
                      "k = K.maximum(tf.size(x), tf.cast(tf.zeros(()), tf.int32))\n", target="tf-keras"),
        Invalid("from tensorflow import shape, minimum\nn = minimum(shape(x)[0], 0.5 * limit)\n"),
    ]

    _MINMAX = frozenset({"tensorflow.minimum", "tensorflow.maximum", "tensorflow.math.minimum",
                         "tensorflow.math.maximum", "keras.backend.minimum", "keras.backend.maximum"})

    def visit_Call(self, node: cst.Call) -> None:
        if len(node.args) < 2 or any(a.star for a in node.args[:2]):
            return
        if self.ctx.qualname(node.func) not in self._MINMAX:
            return
        self._candidate(node, node.args[0].value, node.args[1].value, always=True)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo)):
            self._candidate(node, node.left, node.right)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) == 1 and isinstance(
                node.comparisons[0].operator, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)):
            self._candidate(node, node.left, node.comparisons[0].comparator)

    def _candidate(self, node: cst.CSTNode, a: cst.BaseExpression, b: cst.BaseExpression, always: bool = False) -> None:
        # cheap syntactic prefilter before any data flow: a side that is visibly a shape or a float
        if always or _direct_shape(a) or _direct_shape(b) or _direct_float(a) or _direct_float(b):
            self._defer(node, a=a, b=b)

    def leave_Module(self, node: cst.Module) -> None:
        for oracle, scope, items in dtype_oracles(self, node):
            for it in items:
                before = scope.order_of(it.node)
                a, b = it.data["a"], it.data["b"]
                for shape_side, other in ((a, b), (b, a)):
                    if oracle.is_shape_int(shape_side, before) and oracle.dtype_of(other, before) in (FLOAT, PYFLOAT):
                        self.report(it.node, self.message.format(shape=_code(shape_side), other=_code(other)),
                                    self._fix(other))
                        break

    def _fix(self, other: cst.BaseExpression) -> Optional[Fix]:
        tf = next((local for local, full in self.ctx.imports.bindings.items()
                   if full in ("tensorflow", "tensorflow.compat.v2")), None)
        if tf is None:
            return None
        cast = cst.Call(func=cst.Attribute(value=cst.Name(tf), attr=cst.Name("cast")),
                        args=[cst.Arg(other.with_changes(lpar=[], rpar=[]) if _simple_parens(other) else other,
                                      comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                              cst.Arg(cst.Attribute(value=cst.Name(tf), attr=cst.Name("int32")))])
        return Fix(UNSAFE, {other: cast})


def _simple_parens(expr: cst.BaseExpression) -> bool:
    return bool(getattr(expr, "lpar", None))


def _pad_hint(axis: int, rank: Optional[int]) -> str:
    if rank is None or not 0 <= axis < rank or rank > 4:
        return f"e.g. `tf.pad(t, paddings, constant_values=-1.0)` adding one entry along axis {axis}"
    pads = ", ".join("[0, 1]" if i == axis else "[0, 0]" for i in range(rank))
    return f"e.g. `tf.pad(t, [{pads}], constant_values=-1.0)`"


def _direct_shape(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    if isinstance(expr, cst.Call):
        name = dotted_name(expr.func) or ""
        return name.rsplit(".", 1)[-1] in ("shape", "size")
    return False


def _direct_float(expr: cst.BaseExpression, depth: int = 0) -> bool:
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    if isinstance(expr, cst.Float):
        return True
    if isinstance(expr, cst.BinaryOperation):
        if depth > MAX_DEPTH:
            return False
        return (isinstance(expr.operator, cst.Divide) or _direct_float(expr.left, depth + 1)
                or _direct_float(expr.right, depth + 1))
    if isinstance(expr, cst.Call):
        name = dotted_name(expr.func) or ""
        return name.rsplit(".", 1)[-1] in ("cast", "zeros", "ones", "constant", "to_float")
    return False


def _code(expr: cst.BaseExpression) -> str:
    text = cst.Module(body=[]).code_for_node(expr)
    return text if len(text) <= 60 else text[:57] + "..."
