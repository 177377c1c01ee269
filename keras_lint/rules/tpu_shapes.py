"""KL501, KL502, KL503: `tf.where` and other ops whose output shape or dtype cannot be known."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import libcst as cst

from ..rule import Invalid, Rule
from ..analysis.dataflow import DeferredScopes
from ..analysis.dtypes import FLOAT, INT, PYFLOAT, dtype_oracles

WHERE_FUNCS = frozenset({"tensorflow.where", "tensorflow.where_v2", "tensorflow.math.where", "keras.ops.where"})


def _is_none(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def where_branches(call: cst.Call, keywords: Tuple[str, str] = ("x", "y")
                   ) -> Optional[Tuple[Optional[cst.BaseExpression], Optional[cst.BaseExpression]]]:
    """(x, y) of a ``where`` call (None where absent); None when ``*args``/``**kw`` hide them.
    ``keywords`` are the function's own names for them (``keras.ops.where`` says ``x1``, ``x2``)."""
    if any(a.star for a in call.args):
        return None
    positional = [a.value for a in call.args if a.keyword is None]
    kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    x = positional[1] if len(positional) > 1 else kw.get(keywords[0])
    y = positional[2] if len(positional) > 2 else kw.get(keywords[1])
    return x, y


#: Path parts that mark host-side input code (tf.data parsers, tokenizers, preprocessors,
#: conversion scripts): it runs on the CPU host, never on the TPU, so a data-dependent shape there
#: is fine. Measured on real code: 15 of 19 one-argument `tf.where` in keras-hub and
#: tensorflow/tpu were in such files.
HOST_SIDE_PARTS = ("dataloader", "data_loader", "input_pipeline", "preprocess", "tokeniz", "checkpoint_conversion")


def host_side(path: str) -> bool:
    """The file is input-pipeline or tooling code by its path (see ``HOST_SIDE_PARTS``)."""
    lowered = path.replace("\\", "/").lower()
    return any(part in lowered for part in HOST_SIDE_PARTS)


#: the branch keywords of each ``where`` (keras.ops.where(condition, x1=None, x2=None))
BRANCH_KEYWORDS = {"keras.ops.where": ("x1", "x2")}


class WhereWithoutBranches(Rule):
    """
    ## What it does
    Finds one-argument `tf.where(cond)` (also with `x=None, y=None`, and as `tf.compat.v1.where`,
    `tf.where_v2`, `K.tf.where`, `keras.ops.where`). Only names resolved through imports count:
    a project's own `K.where` helper is not TensorFlow's.

    ## Why is this bad?
    Without `x` and `y`, `tf.where` returns the coordinates of the true elements: a tensor of
    shape `(num_true, rank)` whose length depends on the data. TPUs compile static shapes only,
    so such a graph does not compile there: the length of the result is not fixed. On CPU and
    GPU it runs, XLA
    included: measured on TF 2.21, `tf.function(jit_compile=True)` compiles and runs it on CPU
    (a bounded dynamic shape), and the result's static shape inside `tf.function` is `(None, 1)`
    where the three-argument form keeps the input's fully static shape. So this is a TPU
    portability warning; the TPU failure itself is not reproducible here. The suggestion in the
    message uses the namespace you wrote (`keras.ops.where(cond, x, keras.ops.zeros_like(x))`
    for `keras.ops.where`, whose branch keywords are `x1=` and `x2=`).
    Input pipelines (`tf.data` map functions, string preprocessing) run on the host, not the TPU:
    files whose path names them (a part containing `dataloader`, `data_loader`, `input_pipeline`,
    `preprocess`, `tokeniz` or `checkpoint_conversion`) are not reported; elsewhere silence the
    rule with `# noqa: KL501` or `per-file-ignores`.

    ## Example
    ```python
    positive = tf.where(iou >= 0.5)[:, 0]
    loss = tf.reduce_mean(tf.gather(per_anchor_loss, positive))
    ```

    ## Use instead
    Keep the shape static and carry a mask:
    ```python
    mask = tf.cast(iou >= 0.5, per_anchor_loss.dtype)
    loss = tf.reduce_sum(per_anchor_loss * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
    ```
    or the three-argument form `tf.where(cond, x, tf.zeros_like(x))`, a fixed-size
    `tf.math.top_k(scores, k)`, or indices padded to a maximum count.

    ## Fix safety
    No automatic fix: the code after the call has to work on a mask instead of indices.

    ## References
    - https://www.tensorflow.org/api_docs/python/tf/where
    - https://www.tensorflow.org/guide/tpu
    - fixtures/KL501/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL501` (static shapes measured; the TPU failure is not reproducible here).
    """

    code = "KL501"
    name = "where-without-branches"
    level = "warning"  # advisory: runs on CPU/GPU (XLA too); only TPU compilation fails
    message = "`{func}(cond)` has a data-dependent shape TPU cannot compile; use a mask: `{func}(cond, x, {zeros}(x))`"
    triggers = ("where",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return facts.census.refers(WHERE_FUNCS.__contains__)

    VALID = [
        "import tensorflow as tf\ny = tf.where(x > 0, x, tf.zeros_like(x))\n",
        "import tensorflow as tf\ny = tf.where(x > 1, x, 1)\n",
        "import tensorflow as tf\ny = tf.where(cond, x=a, y=b)\n",
        # a project's own helper, and numpy
        "import numpy as np\nidx = np.where(mask)\n",
        "from mylib import backend as K\nidx = K.where(mask)\n",
        "import tensorflow as tf\ndef where(c):\n    return c\nidx = where(mask)\n",
        "import tensorflow as tf\nidx = tf.where(*args)\n",
        # Keras's own keyword names for the branches (keras-hub writes them)
        "import keras\nr = keras.ops.where(condition=c, x1=a, x2=b)\n",
        "from keras import ops\nr = ops.where(c, x1=a, x2=b)\n",
    ]
    INVALID = [
        Invalid("import tensorflow as tf\npositive = tf.where(iou >= 0.5)[:, 0]\n"),
        Invalid("import tensorflow.compat.v1 as tf\nix = tf.where(tf.equal(roi_level, level))\n"),
        Invalid("import tensorflow as tf\nix = tf.compat.v1.where(mask, x=None, y=None)\n"),
        Invalid("from keras import backend as K\nix = K.tf.where(mask)\n"),
        Invalid("import tensorflow as tf\nix = tf.where_v2(mask, None, None)\n"),
        Invalid("from tensorflow import where as tf_where\nkeep = tf_where(scores > 0.3)\n", target="tf-keras"),
        Invalid("import keras\nix = keras.ops.where(mask)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.qualname(node.func)
        if qn not in WHERE_FUNCS or host_side(self.ctx.path):
            return
        branches = where_branches(node, BRANCH_KEYWORDS.get(qn, ("x", "y")))
        if branches is None or not node.args:
            return
        x, y = branches
        if (x is None or _is_none(x)) and (y is None or _is_none(y)):
            # name the function and its zeros_like as the user wrote them (ops.where -> ops.zeros_like)
            written = cst.Module([]).code_for_node(node.func)
            if len(written) > 40:
                written = (self.ctx.raw_qualname(node.func) or qn).replace("tensorflow", "tf", 1)
            prefix = written.rsplit(".", 1)[0] + "." if "." in written else ""
            zeros = prefix + "zeros_like" if prefix else ("keras.ops.zeros_like" if qn.startswith("keras") else "tf.zeros_like")
            if prefix.startswith(("K.tf.", "K.")) and "tf." not in prefix[2:]:
                zeros = "tf.zeros_like"
            self.report(node, self.message.format(func=written, zeros=zeros))


# name -> why its output shape depends on the data
DYNAMIC_OPS: Dict[str, str] = {
    "tensorflow.boolean_mask": "keeps as many rows as the mask has True values",
    "tensorflow.ragged.boolean_mask": "keeps as many rows as the mask has True values",
    "tensorflow.unique": "returns as many values as there are distinct ones",
    "tensorflow.unique_with_counts": "returns as many values as there are distinct ones",
    "tensorflow.dynamic_partition": "splits into data-dependent partition sizes",
    "tensorflow.dynamic_stitch": "has as many rows as the largest index + 1",
    "tensorflow.setdiff1d": "returns as many values as are missing from the other list",
    "tensorflow.sets.difference": "returns a sparse set whose size depends on the data",
    "tensorflow.sets.intersection": "returns a sparse set whose size depends on the data",
    "tensorflow.sets.union": "returns a sparse set whose size depends on the data",
    "tensorflow.image.non_max_suppression": "returns as many boxes as survive suppression",
    "tensorflow.image.non_max_suppression_with_scores": "returns as many boxes as survive suppression",
    "tensorflow.image.non_max_suppression_overlaps": "returns as many boxes as survive suppression",
    "tensorflow.experimental.numpy.nonzero": "returns as many indices as there are non-zero values",
    "keras.ops.nonzero": "returns as many indices as there are non-zero values",
    "tensorflow.nn.dynamic_rnn": "unrolls to the data's sequence length",
    "tensorflow.math.bincount": "returns max(values) + 1 bins unless minlength and maxlength fix the size",
    "tensorflow.bincount": "returns max(values) + 1 bins unless minlength and maxlength fix the size",
}


class DataDependentShape(Rule):
    """
    ## What it does
    Finds TensorFlow ops whose output shape depends on the values of their inputs:
    `tf.boolean_mask`, `tf.unique` / `tf.unique_with_counts`, `tf.dynamic_partition`,
    `tf.dynamic_stitch`, `tf.setdiff1d`, `tf.sets.*`, `tf.image.non_max_suppression*` (the
    `_padded` variant is static), `tf.math.bincount` without both `minlength` and `maxlength`,
    `tf.experimental.numpy.nonzero`, `keras.ops.nonzero` and `tf.compat.v1.nn.dynamic_rnn`
    (one-argument `tf.where` is KL501). Opt-in: enable it (`--select KL502`) for code meant
    to train on TPUs.

    ## Why is this bad?
    TPUs compile static shapes only, and these ops return a result whose length depends on the
    data. On CPU and GPU these ops run, XLA included (bounded dynamic shapes):
    measured on TF 2.21, the static shape of `tf.boolean_mask(x, m)` inside `tf.function` is
    `(None,)` where the masked form keeps `(8,)`. The TPU failure itself is not reproducible here.
    Host-side input code is skipped by its path, as for KL501.

    ## Example
    ```python
    positives = tf.boolean_mask(scores, labels > 0)
    loss = tf.reduce_mean(positives)
    ```

    ## Use instead
    ```python
    mask = tf.cast(labels > 0, scores.dtype)
    loss = tf.reduce_sum(scores * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
    ```
    For suppression use `tf.image.non_max_suppression_padded` (fixed `max_output_size`); for
    counts, `tf.math.bincount(..., minlength=n, maxlength=n)`.

    ## Fix safety
    No automatic fix: the code after the op has to work on a mask or a padded tensor.

    ## References
    - https://www.tensorflow.org/api_docs/python/tf/boolean_mask
    - https://www.tensorflow.org/guide/tpu
    - fixtures/KL502/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL502` (static shapes measured; the TPU failure is not reproducible here).
    """

    code = "KL502"
    name = "data-dependent-shape"
    message = "`{func}` {why}: a data-dependent shape TPU cannot compile; use a mask or a fixed-size form"
    default_enabled = False

    VALID = [
        "import tensorflow as tf\nloss = tf.reduce_sum(scores * tf.cast(labels > 0, scores.dtype))\n",
        "import tensorflow as tf\nsel = tf.image.non_max_suppression_padded(boxes, scores, 100, pad_to_max_output_size=True)\n",
        "import tensorflow as tf\ncounts = tf.math.bincount(ids, minlength=10, maxlength=10)\n",
        "import numpy as np\nu = np.unique(a)\n",
        "from mylib import unique\nimport tensorflow as tf\nu = unique(a)\n",
    ]
    INVALID = [
        Invalid("import tensorflow as tf\npositives = tf.boolean_mask(scores, labels > 0)\n"),
        Invalid("import tensorflow as tf\nvalues, idx = tf.unique(ids)\n"),
        Invalid("import tensorflow.compat.v1 as tf\nparts = tf.dynamic_partition(x, ids, 2)\n"),
        Invalid("import tensorflow as tf\nkeep = tf.image.non_max_suppression(boxes, scores, 100, 0.5)\n"),
        Invalid("from tensorflow.math import bincount\nc = bincount(ids, minlength=10)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.qualname(node.func)
        why = DYNAMIC_OPS.get(qn) if qn else None
        if why is None or host_side(self.ctx.path):
            return
        if qn.endswith("bincount"):  # type: ignore[union-attr]
            kws = {a.keyword.value for a in node.args if a.keyword is not None}
            if {"minlength", "maxlength"} <= kws:
                return
        func = (self.ctx.raw_qualname(node.func) or qn).replace("tensorflow", "tf", 1)
        self.report(node, self.message.format(func=func, why=why))


class WhereBranchMismatch(DeferredScopes, Rule):
    """
    ## What it does
    Finds three-argument `tf.where(cond, x, y)` whose branches provably cannot agree:

    - a float literal against an integer tensor (`tf.range(...)`, `tf.shape(...)`, `tf.size(...)`,
      a tensor cast or created with an int dtype), e.g. `tf.where(c, tf.range(n), 1.5)`;
    - an integer tensor against a float tensor (`tf.cast(..., tf.float32)`, `tf.zeros(...)`);
    - `tf.compat.v1.where(cond, x, <Python scalar>)` where the condition or the other branch is
      provably not a scalar (`tf.range(n)`, `tf.shape(x)`, `tf.zeros([3])`, a comparison of one):
      the v1 op does not broadcast. A rank-0 condition with scalar branches runs
      (`tf.where(tf.greater(tf.norm(w), 0), tf.norm(w) / tf.norm(g), 1.0)` under
      `tensorflow.compat.v1`, measured on TF 2.21) and is not reported.

    Branch values are followed through earlier assignments in the same function. Plain
    `tf.where(x > 1, x, 1)` with a float `x` runs on TF 2 (an int literal converts to float) and
    is not reported; neither is anything whose dtype cannot be proven.

    ## Why is this bad?
    Measured on TF 2.21: `TypeError: Cannot convert 1.5 to EagerTensor of dtype int32` (float
    literal against an int tensor), `InvalidArgumentError: cannot compute SelectV2 as input #2
    (zero-based) was expected to be a int32 tensor but is a float tensor` (int against float
    tensor), and for v1 `InvalidArgumentError: Inputs to operation Select of type Select must
    have the same size and shape`.

    ## Example
    ```python
    clipped = tf.where(counts > 10, counts, 10.5)  # counts = tf.range(20)
    safe = tf.compat.v1.where(x > 1, x, 1.0)
    ```

    ## Use instead
    ```python
    clipped = tf.where(counts > 10, tf.cast(counts, tf.float32), 10.5)
    safe = tf.where(x > 1, x, 1.0)  # TF 2 broadcasts
    ```

    ## Fix safety
    No automatic fix: which side to cast depends on the dtype you want.

    ## References
    - https://www.tensorflow.org/api_docs/python/tf/where
    - fixtures/KL503/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL503`.
    """

    code = "KL503"
    name = "where-branch-mismatch"
    message = "`tf.where` branches cannot agree: {why}; `tf.cast` one branch (e.g. to {dtype})"
    message_v1 = ("`tf.compat.v1.where` does not broadcast a scalar branch (InvalidArgumentError); use TF 2 "
                  "`tf.where` or `tf.fill(tf.shape(x), value)`")
    triggers = ("where",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return facts.census.refers(WHERE_FUNCS.__contains__)

    VALID = [
        "import tensorflow as tf\ny = tf.where(x > 1, x, 1)\n",
        "import tensorflow as tf\ny = tf.where(x > 1, x, 1.5)\n",
        "import tensorflow as tf\ny = tf.where(c, tf.range(5), 0)\n",
        "import tensorflow as tf\ny = tf.where(c, tf.zeros(5), 1.5)\n",
        "import tensorflow as tf\ny = tf.where(c, tf.cast(tf.range(5), tf.float32), 1.5)\n",
        "import tensorflow as tf\ny = tf.compat.v1.where(c, x, tf.zeros_like(x))\n",
        "import tensorflow as tf\ny = tf.where(c)\n",
        "import tensorflow as tf\ndef f(n):\n    r = tf.range(n)\n    r = tf.cast(r, tf.float32)\n    return tf.where(r > 2, r, 0.5)\n",
        "from mylib import where\nimport tensorflow as tf\ny = where(c, tf.range(3), 1.5)\n",
        # v1 with a rank-0 condition and scalar branches runs (seen in weight-norm code)
        "import tensorflow.compat.v1 as tf\nwn = tf.norm(w)\nr = tf.where(tf.greater(wn, 0), wn / tf.norm(g), 1.0)\n",
        # v1 with a scalar branch whose neighbours' shapes are unknown: not provable
        "import tensorflow as tf\ny = tf.compat.v1.where(x > 1, x, 1)\n",
        # the dtype= keyword decides: an int uniform against an int range
        "import tensorflow as tf\nk = tf.random.uniform([5], maxval=10, dtype=tf.int32)\ny = tf.where(c, tf.range(5), k)\n",
    ]
    INVALID = [
        Invalid("import tensorflow as tf\ny = tf.where(tf.range(5) > 2, tf.range(5), 1.5)\n"),
        Invalid("import tensorflow as tf\ndef f(x):\n    idx = tf.range(tf.shape(x)[0])\n"
                "    return tf.where(idx > 2, idx, -0.5)\n", line=4),
        Invalid("import tensorflow as tf\ny = tf.where(c, tf.cast(a, tf.int32), tf.zeros(3))\n"),
        Invalid("import tensorflow as tf\nx = tf.range(3)\ny = tf.compat.v1.where(x > 1, x, 1)\n"),
        Invalid("import tensorflow.compat.v1 as tf\ndef f(n):\n    x = tf.zeros([n, 4])\n"
                "    return tf.where(x > 1, 1.0, 0.0)\n", line=4),
        Invalid("import tensorflow as tf\nk = tf.random.uniform([5], 0, 9, tf.float32)\ny = tf.where(c, tf.range(5), k)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.qualname(node.func)
        if qn not in WHERE_FUNCS or qn == "keras.ops.where":
            return
        branches = where_branches(node)
        if branches is None or branches[0] is None or branches[1] is None:
            return
        x, y = branches
        raw = self.ctx.raw_qualname(node.func) or ""
        v1 = raw.startswith("tensorflow.compat.v1.") and (_python_scalar(x) or _python_scalar(y))
        cond = node.args[0].value if node.args and node.args[0].keyword is None else None
        self._defer(node, x=x, y=y, v1=v1, cond=cond)

    def leave_Module(self, node: cst.Module) -> None:
        for oracle, scope, items in dtype_oracles(self, node):
            for it in items:
                before = scope.order_of(it.node)
                if it.data["v1"]:
                    # v1 Select needs x and y of one shape: a scalar branch fails only next to
                    # something provably not a scalar (a rank-0 condition with scalars runs)
                    operands = (it.data["cond"], it.data["x"], it.data["y"])
                    if any(e is not None and _has_rank(e, oracle, before) for e in operands):
                        self.report(it.node, self.message_v1)
                    continue
                kx = oracle.dtype_of(it.data["x"], before)
                ky = oracle.dtype_of(it.data["y"], before)
                why = _mismatch(kx, ky)
                if why is not None:
                    self.report(it.node, self.message.format(why=why[0], dtype=why[1]))


_RANKED = frozenset({"tensorflow.range", "tensorflow.shape", "tensorflow.compat.v1.shape", "tensorflow.unique",
                     "tensorflow.boolean_mask", "tensorflow.where"})
_SHAPED = frozenset({"tensorflow.zeros", "tensorflow.ones", "tensorflow.fill", "tensorflow.random.uniform",
                     "tensorflow.random.normal", "tensorflow.random_uniform", "tensorflow.random_normal"})
_ELEMENTWISE = frozenset({"tensorflow.greater", "tensorflow.less", "tensorflow.equal", "tensorflow.not_equal",
                          "tensorflow.greater_equal", "tensorflow.less_equal", "tensorflow.math.greater",
                          "tensorflow.math.less", "tensorflow.math.equal", "tensorflow.logical_and",
                          "tensorflow.logical_or", "tensorflow.logical_not", "tensorflow.cast", "tensorflow.identity",
                          "tensorflow.abs", "tensorflow.square", "tensorflow.maximum", "tensorflow.minimum",
                          "tensorflow.zeros_like", "tensorflow.ones_like", "tensorflow.stop_gradient"})


def _has_rank(expr: cst.BaseExpression, oracle, before: int, depth: int = 0) -> bool:
    """``expr`` is provably a tensor of rank >= 1: ``tf.range(n)``, ``tf.shape(x)``, ``tf.zeros([3])``,
    ``tf.constant([1, 2])``, and comparisons or element-wise ops over one of them (followed through
    earlier assignments, as the dtype oracle does)."""
    if depth > 12:
        return False
    if isinstance(expr, cst.Comparison):
        return _has_rank(expr.left, oracle, before, depth + 1) or any(
            _has_rank(c.comparator, oracle, before, depth + 1) for c in expr.comparisons)
    if isinstance(expr, cst.BinaryOperation):
        return _has_rank(expr.left, oracle, before, depth + 1) or _has_rank(expr.right, oracle, before, depth + 1)
    if isinstance(expr, cst.UnaryOperation):
        return _has_rank(expr.expression, oracle, before, depth + 1)
    if isinstance(expr, cst.Name):
        found = oracle.resolve_name(expr.value, before)
        return found is not None and _has_rank(found[0], oracle, found[1], depth + 1)
    if not isinstance(expr, cst.Call) or any(a.star for a in expr.args) or not expr.args:
        return False
    qn = oracle.qualname(expr.func)
    first = expr.args[0].value
    if qn in _RANKED:
        return qn != "tensorflow.where" or len(expr.args) == 1
    if qn in _SHAPED:
        return isinstance(first, (cst.List, cst.Tuple)) and len(first.elements) > 0
    if qn in ("tensorflow.constant", "tensorflow.convert_to_tensor"):
        return isinstance(first, (cst.List, cst.Tuple)) and len(first.elements) > 0
    if qn in _ELEMENTWISE:
        return any(a.keyword is None and _has_rank(a.value, oracle, before, depth + 1) for a in expr.args[:2])
    return False


def _python_scalar(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    return isinstance(expr, (cst.Integer, cst.Float))


def _mismatch(a: Optional[str], b: Optional[str]) -> Optional[Tuple[str, str]]:
    pair = {a, b}
    if pair == {INT, PYFLOAT}:
        return "a float literal against an int tensor (TypeError)", "tf.float32"
    if pair == {INT, FLOAT}:
        return "an int tensor against a float (InvalidArgumentError)", "tf.float32"
    return None

