"""Provable dtypes of TensorFlow expressions, for KL503 and KL602.

``dtype_of`` answers one of

- ``INT`` / ``FLOAT``: a tensor of that kind (``tf.range(5)``, ``tf.shape(x)``, ``tf.cast(x, tf.float32)``,
  ``tf.zeros(3)``);
- ``PYINT`` / ``PYFLOAT``: a Python number (``1``, ``-0.5``); an arithmetic expression with a
  float literal or a true division is ``FLOAT`` whatever the other side is (a Python float, or a
  float tensor, never an integer);
- ``None``: not provable. Names are followed through the nearest earlier assignment of their
  function (and module-level constants); parameters and anything else stay unknown.
"""
from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Tuple

import libcst as cst

from .dataflow import ASSIGN, Deferred, DeferredScopes, Scope, build_scope

INT, FLOAT, PYINT, PYFLOAT = "int", "float", "pyint", "pyfloat"
MAX_DEPTH = 12

_SHAPE_FUNCS = frozenset({"tensorflow.shape", "tensorflow.size", "tensorflow.rank", "tensorflow.shape_n",
                          "keras.backend.shape", "tensorflow.compat.v1.shape"})
_INT_FUNCS = frozenset({"tensorflow.to_int32", "tensorflow.to_int64", "keras.backend.argmax", "keras.backend.argmin"})
_FLOAT_FUNCS = frozenset({"tensorflow.to_float", "tensorflow.linspace", "tensorflow.lin_space"})
# float unless ``dtype=`` says otherwise: name -> the position of ``dtype`` (tf.random.uniform(shape,
# minval, maxval, dtype), tf.eye(num_rows, num_columns, batch_shape, dtype), tf.zeros(shape, dtype))
_DEFAULT_FLOAT = {"tensorflow.zeros": 1, "tensorflow.ones": 1, "tensorflow.eye": 3,
                  "tensorflow.random.uniform": 3, "tensorflow.random.normal": 3, "tensorflow.random_uniform": 3,
                  "tensorflow.random_normal": 3, "tensorflow.random.truncated_normal": 3,
                  "tensorflow.truncated_normal": 3}
# int unless ``dtype=`` / ``output_type=`` says otherwise (position of that argument)
_DEFAULT_INT = {"tensorflow.math.count_nonzero": (3, "dtype"), "tensorflow.count_nonzero": (3, "dtype"),
                "tensorflow.argmax": (2, "output_type"), "tensorflow.argmin": (2, "output_type"),
                "tensorflow.math.argmax": (2, "output_type"), "tensorflow.math.argmin": (2, "output_type")}
_LIKE = frozenset({"tensorflow.zeros_like", "tensorflow.ones_like"})
_CASTS = frozenset({"tensorflow.cast", "tensorflow.dtypes.cast", "keras.backend.cast", "keras.ops.cast",
                    "tensorflow.saturate_cast"})
_CONSTANTS = frozenset({"tensorflow.constant", "tensorflow.convert_to_tensor", "keras.backend.constant"})
# ops whose result has the dtype of their first argument
_SAME_DTYPE = frozenset({
    "tensorflow.identity", "tensorflow.stop_gradient", "tensorflow.reshape", "tensorflow.transpose",
    "tensorflow.expand_dims", "tensorflow.squeeze", "tensorflow.gather", "tensorflow.gather_nd",
    "tensorflow.boolean_mask", "tensorflow.abs", "tensorflow.math.abs", "tensorflow.reduce_sum",
    "tensorflow.reduce_max", "tensorflow.reduce_min", "tensorflow.reduce_prod", "tensorflow.math.reduce_sum",
    "tensorflow.math.reduce_max", "tensorflow.math.reduce_min", "tensorflow.math.reduce_prod", "tensorflow.tile",
    "tensorflow.maximum", "tensorflow.minimum", "tensorflow.math.maximum", "tensorflow.math.minimum",
    "tensorflow.square", "tensorflow.math.square",
})


def dtype_name_kind(expr: Optional[cst.BaseExpression], qualname: Callable) -> Optional[str]:
    """``tf.int32`` / ``'int64'`` / ``np.float32`` -> INT / FLOAT."""
    if expr is None:
        return None
    name = None
    if isinstance(expr, cst.SimpleString):
        name = expr.evaluated_value if isinstance(expr.evaluated_value, str) else None
    elif isinstance(expr, cst.Attribute):
        name = expr.attr.value
    elif isinstance(expr, cst.Name):
        qn = qualname(expr)
        name = qn.rsplit(".", 1)[-1] if qn else None
    if not name:
        return None
    if name.startswith(("int", "uint")):
        return INT
    if name.startswith(("float", "bfloat", "half", "double")):
        return FLOAT
    return None


def _arg(call: cst.Call, pos: int, *keywords: str) -> Optional[cst.BaseExpression]:
    positional = 0
    for a in call.args:
        if a.star:
            return None
        if a.keyword is not None:
            if a.keyword.value in keywords:
                return a.value
            continue
        if positional == pos:
            return a.value
        positional += 1
    return None


def has_keyword(call: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name for a in call.args)


class DtypeOracle:
    def __init__(self, ctx, scope: Optional[Scope], module_scope: Optional[Scope] = None) -> None:
        self.ctx = ctx
        self.scope = scope
        self.module_scope = module_scope

    def qualname(self, expr: cst.BaseExpression) -> Optional[str]:
        return self.ctx.qualname(expr)

    def resolve_name(self, name: str, before: int):
        """(value, order) of the nearest assignment, or None."""
        if self.scope is not None:
            b = self.scope.lookup(name, before)
            if b is not None:
                return (b.value, b.order) if b.kind == ASSIGN and b.value is not None else None
            if self.scope.bindings.get(name):
                return None  # bound later / in a way we cannot read
        if self.module_scope is not None and self.module_scope is not self.scope:
            bs = self.module_scope.all_bindings(name)
            if len(bs) == 1 and bs[0].kind == ASSIGN and bs[0].value is not None:
                return bs[0].value, bs[0].order
        return None

    # -- dtypes -------------------------------------------------------------------------------
    def dtype_of(self, expr: cst.BaseExpression, before: int = 1 << 30, depth: int = 0) -> Optional[str]:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Float):
            return PYFLOAT
        if isinstance(expr, cst.Integer):
            return PYINT
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
            return self.dtype_of(expr.expression, before, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, before, depth)
        if isinstance(expr, cst.Subscript):
            inner = self.dtype_of(expr.value, before, depth + 1)
            return inner if inner in (INT, FLOAT) else None
        if isinstance(expr, cst.Name):
            found = self.resolve_name(expr.value, before)
            if found is None:
                return None
            return self.dtype_of(found[0], found[1], depth + 1)
        if isinstance(expr, cst.Call):
            return self._call(expr, before, depth)
        return None

    def _binary(self, expr: cst.BinaryOperation, before: int, depth: int) -> Optional[str]:
        op = expr.operator
        if not isinstance(op, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power)):
            return None
        left = self.dtype_of(expr.left, before, depth + 1)
        right = self.dtype_of(expr.right, before, depth + 1)
        if isinstance(op, cst.Divide):
            return FLOAT  # true division never yields an integer
        kinds = {left, right}
        if kinds & {FLOAT, PYFLOAT}:
            return FLOAT
        if INT in kinds and kinds <= {INT, PYINT}:
            return INT
        if kinds == {PYINT}:
            return PYINT
        return None

    def _call(self, call: cst.Call, before: int, depth: int) -> Optional[str]:
        qn = self.qualname(call.func)
        if qn is None:
            if isinstance(call.func, cst.Name) and call.func.value in ("int", "len", "round"):
                return PYINT
            if isinstance(call.func, cst.Name) and call.func.value == "float":
                return PYFLOAT
            return None
        if qn in _SHAPE_FUNCS:
            out = _arg(call, 99, "out_type")
            return dtype_name_kind(out, self.qualname) if out is not None else INT
        if qn in _INT_FUNCS:
            return INT
        if qn in _FLOAT_FUNCS:
            return FLOAT
        if qn in _CASTS:
            return dtype_name_kind(_arg(call, 1, "dtype"), self.qualname)
        # the dtype argument decides, positional or keyword; a hidden one (*args) leaves it unknown
        if qn in _DEFAULT_FLOAT:
            if any(a.star for a in call.args):
                return None
            dt = _arg(call, _DEFAULT_FLOAT[qn], "dtype")
            return dtype_name_kind(dt, self.qualname) if dt is not None else FLOAT
        if qn in _DEFAULT_INT:
            if any(a.star for a in call.args):
                return None
            pos, keyword = _DEFAULT_INT[qn]
            dt = _arg(call, pos, keyword)
            return dtype_name_kind(dt, self.qualname) if dt is not None else INT
        if qn in _LIKE:
            dt = _arg(call, 1, "dtype")
            if dt is not None:
                return dtype_name_kind(dt, self.qualname)
            first = _arg(call, 0, "input", "tensor")
            return self._tensor_kind(first, before, depth)
        if qn in _CONSTANTS:
            dt = _arg(call, 1, "dtype")
            if dt is not None:
                return dtype_name_kind(dt, self.qualname)
            return _literal_kind(_arg(call, 0, "value"))
        if qn == "tensorflow.range":
            dt = _arg(call, 99, "dtype")
            if dt is not None:
                return dtype_name_kind(dt, self.qualname)
            kinds = {self.dtype_of(a.value, before, depth + 1) for a in call.args if a.keyword is None}
            if kinds & {FLOAT, PYFLOAT}:
                return FLOAT
            # tf.range(n) with an unknown n could be a float range: only literal or int bounds count
            return INT if kinds and kinds <= {INT, PYINT} else None
        if qn in _SAME_DTYPE:
            return self._tensor_kind(_arg(call, 0, "input", "x", "tensor", "params", "input_tensor"), before, depth)
        return None

    def _tensor_kind(self, expr: Optional[cst.BaseExpression], before: int, depth: int) -> Optional[str]:
        if expr is None:
            return None
        kind = self.dtype_of(expr, before, depth + 1)
        return kind if kind in (INT, FLOAT) else None

    # -- int32 values from tf.shape / tf.size -------------------------------------------------
    def is_shape_int(self, expr: cst.BaseExpression, before: int = 1 << 30, depth: int = 0) -> bool:
        """``tf.shape(x)``, ``tf.shape(x)[0]``, ``tf.size(x)``, ``K.shape(x)[0] - 1``, or a name
        assigned one of those."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(expr, cst.Call):
            qn = self.qualname(expr.func)
            if qn in _SHAPE_FUNCS and not has_keyword(expr, "out_type"):
                return True
            if qn in ("tensorflow.reduce_prod", "tensorflow.math.reduce_prod", "tensorflow.reduce_max",
                      "tensorflow.reduce_min", "tensorflow.maximum", "tensorflow.minimum") and expr.args:
                return self.is_shape_int(expr.args[0].value, before, depth + 1)
            return False
        if isinstance(expr, cst.Subscript):
            return self.is_shape_int(expr.value, before, depth + 1)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            return self.is_shape_int(expr.expression, before, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide)):
            sides = (expr.left, expr.right)
            for a, b in (sides, sides[::-1]):
                if self.is_shape_int(a, before, depth + 1) and (isinstance(b, cst.Integer) or self.is_shape_int(b, before, depth + 1)):
                    return True
            return False
        if isinstance(expr, cst.Name):
            found = self.resolve_name(expr.value, before)
            return found is not None and self.is_shape_int(found[0], found[1], depth + 1)
        return False


def _literal_kind(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """``tf.constant(1.5)`` / ``tf.constant([1, 2])`` -> FLOAT / INT."""
    if expr is None:
        return None
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    if isinstance(expr, cst.Float):
        return FLOAT
    if isinstance(expr, cst.Integer):
        return INT
    if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements:
        kinds = {_literal_kind(e.value) for e in expr.elements if isinstance(e, cst.Element)}
        if FLOAT in kinds and None not in kinds:
            return FLOAT
        if kinds == {INT}:
            return INT
    return None


def dtype_oracles(rule: DeferredScopes, module: cst.Module) -> Iterator[Tuple["DtypeOracle", Scope, List[Deferred]]]:
    """For each scope holding a rule's deferred candidates: an oracle over it (the module scope,
    where module-level names resolve, is built once)."""
    module_scope = None
    for scope, items in rule._deferred_scopes():
        if module_scope is None:
            module_scope = scope if isinstance(scope.owner, cst.Module) else build_scope(module)
        yield DtypeOracle(rule.ctx, scope, module_scope), scope, items  # type: ignore[attr-defined]
