"""Which axes of a tensor can be empty at run time because their length depends on the data
(``tf.where(cond)``, ``tf.boolean_mask``, ``tf.unique``, non-max suppression, gathers and slices
by such indices or counts): KL601's evidence, in one place.

:class:`ShapeFlow` follows one scope's local assignments (LibCST). The rule uses it on the file it
lints; the project model's summary pass uses it (:func:`data_facts`) on the files that build such
values and hand them to project functions, so that a parameter given a data-derived tensor by a
caller in another module counts as data-derived in the callee (``ProjectModel`` facts ``dd``).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ..names import TRACKED_ROOTS, ImportMap, dotted_name, module_name
from ..walk import children
from .dataflow import ASSIGN, PARAM, UNPACK, Scope, build_scope, iter_nodes
from .dtypes import _arg

MAX_DEPTH = 16

_WHERE = frozenset({"tensorflow.where", "tensorflow.where_v2", "tensorflow.math.where"})
_BOOLEAN_MASK = frozenset({"tensorflow.boolean_mask", "keras.backend.boolean_mask"})
_GATHER = frozenset({"tensorflow.gather", "keras.backend.gather", "keras.ops.take"})
#: (op -> which tuple elements are data-dependent along axis 0); the op itself is element 0
_TUPLE_OPS = {
    "tensorflow.unique": {0}, "tensorflow.unique_with_counts": {0, 2},
    "tensorflow.setdiff1d": {0, 1}, "tensorflow.image.non_max_suppression_with_scores": {0, 1},
}
_NMS = frozenset({"tensorflow.image.non_max_suppression", "tensorflow.image.non_max_suppression_overlaps"})
_SAME_SHAPE = frozenset({
    "tensorflow.cast", "tensorflow.identity", "tensorflow.stop_gradient", "tensorflow.abs", "tensorflow.exp",
    "tensorflow.math.log", "tensorflow.log", "tensorflow.sigmoid", "tensorflow.nn.sigmoid", "tensorflow.nn.softmax",
    "tensorflow.nn.relu", "tensorflow.square", "tensorflow.sqrt", "tensorflow.negative", "tensorflow.to_float",
    "tensorflow.to_int32", "tensorflow.clip_by_value", "tensorflow.round", "tensorflow.floor", "tensorflow.math.abs",
    "tensorflow.random.shuffle", "tensorflow.random_shuffle", "keras.backend.cast", "keras.backend.stop_gradient",
    "tensorflow.math.sigmoid", "tensorflow.math.exp", "tensorflow.math.square", "tensorflow.math.sqrt",
})
_REDUCE = frozenset({
    "tensorflow.reduce_max", "tensorflow.reduce_min", "tensorflow.reduce_sum", "tensorflow.reduce_mean",
    "tensorflow.math.reduce_max", "tensorflow.math.reduce_min", "tensorflow.math.reduce_sum",
    "tensorflow.math.reduce_mean", "keras.backend.max", "keras.backend.min", "keras.backend.sum", "keras.backend.mean",
})

@dataclass(frozen=True)
class Dyn:
    """Axes (counted from the front) whose length depends on the data, and where they came from."""

    axes: FrozenSet[int]
    rank: Optional[int]
    origin: str
    names: FrozenSet[str] = frozenset()
    #: where in another module the data was built (path, line, text), for a related location
    source: Optional[Tuple[str, Optional[int], str]] = None

    def via(self, name: str) -> "Dyn":
        return Dyn(self.axes, self.rank, self.origin, self.names | {name}, self.source)


def _join(a: str, b: str) -> str:
    if not a or a == b:
        return b
    if not b or b in a:
        return a
    return f"{a} and {b}"


def _int_literal(expr: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and isinstance(expr.expression, cst.Integer):
        return -int(expr.expression.evaluated_value)
    return None


def _is_none(expr) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


class ShapeFlow:
    """Which axes of an expression can be empty, following local assignments."""

    def __init__(self, ctx, scope: Scope, params: Optional[Dict[str, Dyn]] = None) -> None:
        self.ctx = ctx
        self.scope = scope
        #: parameters that callers elsewhere in the project give data-derived tensors
        self.params = params or {}

    def qn(self, expr: cst.BaseExpression) -> Optional[str]:
        return self.ctx.qualname(expr)

    def dyn(self, expr: cst.BaseExpression, before: int, depth: int = 0) -> Optional[Dyn]:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Name):
            return self._name(expr.value, before, depth)
        if isinstance(expr, cst.Attribute):
            name = dotted_name(expr)
            if name is not None and name.startswith("self."):
                return self._name(name, before, depth)
            if expr.attr.value == "y" and isinstance(expr.value, cst.Call) and self.qn(expr.value.func) in _TUPLE_OPS:
                return Dyn(frozenset({0}), 1, self._label(expr.value))
            return None
        if isinstance(expr, cst.Call):
            return self._call(expr, before, depth)
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, before, depth)
        if isinstance(expr, (cst.BinaryOperation, cst.Comparison)):
            return self._elementwise(expr, before, depth)
        if isinstance(expr, cst.UnaryOperation):
            return self.dyn(expr.expression, before, depth + 1)
        return None

    def _name(self, name: str, before: int, depth: int) -> Optional[Dyn]:
        b = self.scope.lookup(name, before)
        if b is not None and b.kind == PARAM:
            d = self.params.get(name)
            return d.via(name) if d is not None else None
        if b is None or b.value is None:
            return None
        if b.kind == ASSIGN:
            d = self.dyn(b.value, b.order, depth + 1)
        elif b.kind == UNPACK:
            d = self._element(b.value, b.index, b.order, depth)
        else:
            return None
        return d.via(name) if d is not None else None

    def _element(self, value: cst.BaseExpression, index: int, before: int, depth: int) -> Optional[Dyn]:
        if isinstance(value, cst.Call):
            qn = self.qn(value.func)
            if qn in _TUPLE_OPS:
                return Dyn(frozenset({0}), 1, self._label(value)) if index in _TUPLE_OPS[qn] else None
            return None
        if isinstance(value, (cst.Tuple, cst.List)) and 0 <= index < len(value.elements):
            el = value.elements[index]
            if isinstance(el, cst.Element):
                return self.dyn(el.value, before, depth + 1)
        return None

    def _label(self, call: cst.Call) -> str:
        raw = self.ctx.raw_qualname(call.func) or self.qn(call.func) or "?"
        raw = raw.replace("tensorflow.compat.v1.", "tf.").replace("tensorflow.", "tf.", 1)
        if raw.endswith(("where", "where_v2")):
            return f"{raw}(cond)"
        return raw

    def _call(self, call: cst.Call, before: int, depth: int) -> Optional[Dyn]:
        qn = self.qn(call.func)
        if qn is None:
            return self._project_return(call) or self._overlaps(call, before, depth)
        if qn in _WHERE:
            x = _arg(call, 1, "x")
            y = _arg(call, 2, "y")
            if (x is None or _is_none(x)) and (y is None or _is_none(y)) and call.args:
                return Dyn(frozenset({0}), 2, self._label(call))
            return None
        if qn in _BOOLEAN_MASK:
            axis = _arg(call, 2, "axis")
            k = 0 if axis is None or _is_none(axis) else _int_literal(axis)
            return Dyn(frozenset({k}), None, self._label(call)) if k is not None and k >= 0 else None
        if qn in _NMS:
            return Dyn(frozenset({0}), 1, "non-max suppression")
        if qn in _TUPLE_OPS:
            return None  # the tuple itself; see _element / subscripts
        if qn in _GATHER:
            return self._gather(call, before, depth)
        if qn in _SAME_SHAPE:
            first = _arg(call, 0, "x", "input", "t", "value", "features", "logits")
            return self.dyn(first, before, depth + 1) if first is not None else None
        if qn in _REDUCE:
            return self._reduce(call, before, depth)
        if qn in ("tensorflow.transpose", "keras.backend.transpose"):
            first = _arg(call, 0, "a", "x")
            d = self.dyn(first, before, depth + 1) if first is not None else None
            perm = _arg(call, 1, "perm")
            if d is None or perm is not None or d.rank != 2:
                return None
            return Dyn(frozenset(1 - a for a in d.axes), 2, d.origin, d.names, d.source)
        return self._overlaps(call, before, depth)

    def _project_return(self, call: cst.Call) -> Optional[Dyn]:
        """A project function (another module's, through ``ctx.project``) that returns a
        data-derived tensor."""
        project = getattr(self.ctx, "project", None)
        if project is None:
            return None
        facts = project.function(self.ctx.project_ref(call.func))
        return from_fact(facts.ret_dd, project) if facts is not None and facts.ret_dd else None

    def _overlaps(self, call: cst.Call, before: int, depth: int) -> Optional[Dyn]:
        """``overlaps_graph(boxes1, boxes2)`` / ``compute_iou(a, b)``: an [N1, N2] matrix whose axis i
        has the length of argument i."""
        name = dotted_name(call.func)
        if name is None:
            return None
        last = name.rsplit(".", 1)[-1].lower()
        if "overlap" not in last and "iou" not in last:
            return None
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if len(positional) != 2:
            return None
        axes, names, origin, source = set(), set(), "", None
        for i, arg in enumerate(positional):
            d = self.dyn(arg, before, depth + 1)
            if d is not None and 0 in d.axes:
                axes.add(i)
                names |= d.names
                origin = _join(origin, d.origin)
                source = source or d.source
        if not axes:
            return None
        return Dyn(frozenset(axes), 2, origin, frozenset(names), source)

    def _gather(self, call: cst.Call, before: int, depth: int) -> Optional[Dyn]:
        params = _arg(call, 0, "params", "x")
        indices = _arg(call, 1, "indices")
        axis_expr = _arg(call, 2, "axis")
        axis = 0 if axis_expr is None else _int_literal(axis_expr)
        if params is None or indices is None or axis is None or axis < 0 or _arg(call, 99, "batch_dims") is not None:
            return None
        di = self.dyn(indices, before, depth + 1)
        dp = self.dyn(params, before, depth + 1)
        axes: Set[int] = set()
        names: Set[str] = set()
        origin = ""
        if di is not None and 0 in di.axes and di.rank in (1, None):
            axes.add(axis)
            names |= di.names
            origin = di.origin
        if dp is not None and (di is None or di.rank in (1, None)):
            kept = {a for a in dp.axes if a != axis}
            if kept:
                axes |= kept
                names |= dp.names
                origin = _join(origin, dp.origin)
        if not axes:
            return None
        source = (di.source if di is not None else None) or (dp.source if dp is not None else None)
        return Dyn(frozenset(axes), dp.rank if dp is not None else None, origin, frozenset(names), source)

    def _reduce(self, call: cst.Call, before: int, depth: int) -> Optional[Dyn]:
        first = _arg(call, 0, "input_tensor", "x")
        d = self.dyn(first, before, depth + 1) if first is not None else None
        if d is None:
            return None
        axis = _int_literal(_arg(call, 1, "axis"))
        keep = _arg(call, 2, "keepdims", "keep_dims")
        if axis is None:
            return None
        if axis < 0:
            if d.rank is None:
                return None
            axis += d.rank
        if isinstance(keep, cst.Name) and keep.value == "True":
            axes = frozenset(a for a in d.axes if a != axis)
            rank = d.rank
        else:
            axes = frozenset(a if a < axis else a - 1 for a in d.axes if a != axis)
            rank = d.rank - 1 if d.rank is not None else None
        return Dyn(axes, rank, d.origin, d.names, d.source) if axes else None

    def _elementwise(self, expr, before: int, depth: int) -> Optional[Dyn]:
        if isinstance(expr, cst.BinaryOperation):
            sides = [expr.left, expr.right]
        else:
            sides = [expr.left] + [c.comparator for c in expr.comparisons]
        found = [self.dyn(s, before, depth + 1) for s in sides]
        dyns = [d for d in found if d is not None]
        if not dyns:
            return None
        others = [s for s, d in zip(sides, found) if d is None]
        if all(isinstance(s, (cst.Integer, cst.Float)) or _int_literal(s) is not None for s in others):
            return dyns[0]
        return None

    def _subscript(self, expr: cst.Subscript, before: int, depth: int) -> Optional[Dyn]:
        value = expr.value
        elems = list(expr.slice)
        # tf.unique(x)[0]
        if isinstance(value, cst.Call) and self.qn(value.func) in _TUPLE_OPS and len(elems) == 1:
            idx = _int_literal(elems[0].slice.value) if isinstance(elems[0].slice, cst.Index) else None
            if idx is not None:
                return self._element(value, idx, before, depth)
            return None
        base = self.dyn(value, before, depth + 1)
        axes: Set[int] = set()
        out_axis = 0
        in_axis = 0
        origin = base.origin if base is not None else ""
        names = set(base.names) if base is not None else set()
        for el in elems:
            sl = el.slice
            if isinstance(sl, cst.Index):
                if isinstance(sl.value, cst.Ellipsis):
                    return None
                if _is_none(sl.value):  # newaxis
                    out_axis += 1
                    continue
                in_axis += 1  # an index drops the axis
                continue
            assert isinstance(sl, cst.Slice)
            if base is not None and in_axis in base.axes:
                axes.add(out_axis)
            elif self._computed_bound(sl.lower, before, depth) or self._computed_bound(sl.upper, before, depth):
                axes.add(out_axis)
                origin = origin or "slicing by a computed bound"
            in_axis += 1
            out_axis += 1
        if base is not None:
            rank = base.rank
            for a in base.axes:
                if a >= in_axis:
                    axes.add(a - in_axis + out_axis)
            new_rank = None if rank is None else rank - in_axis + out_axis
        else:
            new_rank = None
        if not axes:
            return None
        return Dyn(frozenset(axes), new_rank, origin, frozenset(names), base.source if base is not None else None)

    def _computed_bound(self, bound: Optional[cst.BaseExpression], before: int, depth: int) -> bool:
        """A slice bound computed by TensorFlow from data (a count, a shape): ``t[:num_gt]`` with
        ``num_gt = tf.reduce_sum(...)``. Parameters and configuration values are not."""
        if bound is None or depth > MAX_DEPTH:
            return False
        if isinstance(bound, cst.Name):
            b = self.scope.lookup(bound.value, before)
            if b is None or b.kind != ASSIGN or b.value is None:
                return False
            return self._computed_bound(b.value, b.order, depth + 1)
        if isinstance(bound, cst.Subscript):
            return self._computed_bound(bound.value, before, depth + 1)
        if isinstance(bound, cst.BinaryOperation):
            return self._computed_bound(bound.left, before, depth + 1) or self._computed_bound(bound.right, before, depth + 1)
        if isinstance(bound, cst.Call):
            qn = self.qn(bound.func)
            if qn is None or not qn.startswith("tensorflow."):
                return False
            if qn in ("tensorflow.shape", "tensorflow.size") :
                # tf.shape(x)[0] of a data-dependent x is a computed count; of anything else it is the full length
                first = _arg(bound, 0, "input")
                return first is not None and self.dyn(first, before, depth + 1) is not None
            return qn.startswith(("tensorflow.reduce_", "tensorflow.math.reduce_", "tensorflow.math.count_nonzero",
                                  "tensorflow.count_nonzero", "tensorflow.cast", "tensorflow.minimum"))
        return False


# -- what the project model records (analysis.project) -----------------------------------------

#: last names of the ops that make an axis data-dependent, and of the calls a slice bound can be
#: computed from (``_computed_bound``): a file calling none of them builds no data-derived tensor
SOURCE_NAMES = frozenset(q.rsplit(".", 1)[1] for q in (*_WHERE, *_BOOLEAN_MASK, *_TUPLE_OPS, *_NMS))
BOUND_PREFIXES = ("reduce_", "count_nonzero", "cast", "minimum")


class ScopeScan:
    """What the summary pass (``summary.py``, CPython ``ast``) notes about one scope while it
    walks it anyway, so that :func:`data_facts` parses with LibCST only the files where some scope
    both makes a value data-derived and hands values on. A necessary condition on KL601's
    evidence (same op names as :class:`ShapeFlow`), not a second definition of it."""

    __slots__ = ("builds", "returns", "roots", "assigns", "bounds")

    def __init__(self) -> None:
        self.builds = False  # a one-argument where, a boolean_mask / unique / non-max suppression
        self.returns = False
        self.roots: Set[str] = set()  # root names of the calls made
        self.assigns: List[Tuple[List[str], ast.expr]] = []
        self.bounds: List[ast.expr] = []  # non-constant slice bounds

    def call(self, node: ast.Call) -> None:
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name):
            self.roots.add(root.id)
        last = _last_name(node.func)
        if last in SOURCE_NAMES and (not last.startswith("where") or
                                     (len(node.args) == 1 and not any(k.arg in ("x", "y") for k in node.keywords))):
            self.builds = True

    def subscript(self, node: ast.Subscript) -> None:
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part in parts:
            if isinstance(part, ast.Slice):
                self.bounds.extend(b for b in (part.lower, part.upper) if b is not None and not isinstance(b, ast.Constant))

    def assign(self, targets: List[ast.expr], value: ast.expr) -> None:
        self.assigns.append(([t.id for t in targets if isinstance(t, ast.Name)], value))

    def worth_parsing(self, local: Set[str]) -> bool:
        """Builds a data-derived value (or slices by a computed count) and returns or calls a name
        in ``local`` (the module's own definitions and imports from outside Keras/TensorFlow)."""
        if not (self.returns or self.roots & local):
            return False
        if self.builds:
            return True
        if not self.bounds:
            return False
        counts: Set[str] = set()
        grew = True
        while grew:  # names bound to computed counts, through one another
            grew = False
            for names, value in self.assigns:
                if _bound_expr(value, counts) and not counts.issuperset(names):
                    counts.update(names)
                    grew = True
        return any(_bound_expr(b, counts) for b in self.bounds)


def _last_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _bound_expr(node: ast.expr, counts: Set[str], depth: int = 0) -> bool:
    """A count computed by TensorFlow, as ``ShapeFlow._computed_bound`` takes it (by last name)."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, ast.Name):
        return node.id in counts
    if isinstance(node, ast.Subscript):
        return _bound_expr(node.value, counts, depth + 1)
    if isinstance(node, ast.BinOp):
        return _bound_expr(node.left, counts, depth + 1) or _bound_expr(node.right, counts, depth + 1)
    return isinstance(node, ast.Call) and _last_name(node.func).startswith(BOUND_PREFIXES)


def from_fact(fact: List[Any], project) -> Dyn:
    """The :class:`Dyn` of a project fact ``[axes, rank, origin, path, function]`` (see
    :func:`data_facts`), its origin naming the module and function that built the data."""
    axes, rank, origin, path, function = fact
    shown, line = project.locate((path, function, ""))
    module = project.model.by_path.get(path, path)
    where = f"`{module}:{function}`, {shown}{f':{line}' if line else ''}"
    return Dyn(frozenset(axes), rank, f"{origin} in {where}", frozenset(),
               (shown, line, f"`{function}` builds the data-derived tensor ({origin})"))


class _Names:
    """The little of a file context :class:`ShapeFlow` needs: names through the file's imports."""

    project = None

    def __init__(self, module: cst.Module) -> None:
        self.imports = ImportMap(None)
        for node in _all_imports(module):
            if isinstance(node, cst.Import):
                self.imports.add_import(node)
            else:
                self.imports.add_import_from(node)

    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        return self.imports.qualname(node)

    def raw_qualname(self, node: cst.BaseExpression) -> Optional[str]:
        return self.imports.raw(node)


def _all_imports(module: cst.Module) -> List[cst.CSTNode]:
    out: List[cst.CSTNode] = []
    todo: List[cst.CSTNode] = [module]
    while todo:
        node = todo.pop()
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            out.append(node)
        elif isinstance(node, (cst.Module, cst.BaseCompoundStatement, cst.BaseSuite, cst.SimpleStatementLine,
                               cst.ExceptHandler, cst.Else, cst.Finally)):
            todo.extend(reversed(children(node)))
    return out


def _scopes(module: cst.Module) -> List[Tuple[str, Any]]:
    """(summary name, owner): the module body, top-level functions and methods."""
    out: List[Tuple[str, Any]] = [("", module)]
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            out.append((stmt.name.value, stmt))
        elif isinstance(stmt, cst.ClassDef):
            for item in stmt.body.body:
                if isinstance(item, cst.FunctionDef):
                    out.append((f"{stmt.name.value}.{item.name.value}", item))
    return out


def data_facts(source: bytes) -> Optional[Dict[str, Any]]:
    """What this module's own code makes data-derived, in the terms KL601 uses, for the project
    model: ``{"c": {scope: [[callee, arg, axes, rank, origin], ...]}, "r": {scope: [axes, rank,
    origin]}}``. ``c``: calls of names this module imports or defines (``arg``: a position or a
    keyword) given a data-derived tensor; ``r``: functions returning one. None when there is
    nothing (or LibCST cannot parse the file). Run in the linting helper (``isolation.run``)."""
    try:
        return _data_facts(cst.parse_module(source))
    except Exception:  # noqa: BLE001 - the summary stays ast-only (the file's own lint reports why)
        return None


def _data_facts(module: cst.Module) -> Optional[Dict[str, Any]]:
    names = _Names(module)
    local = {s.name.value for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
    local |= _project_imports(module)
    calls: Dict[str, List[List[Any]]] = {}
    rets: Dict[str, List[Any]] = {}
    for qual, owner in _scopes(module):
        returns = [n for n in iter_nodes(owner.body if isinstance(owner, cst.FunctionDef) else owner)
                   if isinstance(n, cst.Return) and n.value is not None]
        scope = build_scope(owner, {id(r) for r in returns})
        flow = ShapeFlow(names, scope)
        for call, order in scope.calls:
            callee = dotted_name(call.func)
            if callee is None or callee.split(".", 1)[0] not in local or names.qualname(call.func) is not None:
                continue
            positional = 0
            for a in call.args:
                if a.star:
                    break
                key: Any = a.keyword.value if a.keyword is not None else positional
                if a.keyword is None:
                    positional += 1
                d = flow.dyn(a.value, order)
                if d is not None:
                    calls.setdefault(qual, []).append([callee, key, sorted(d.axes), d.rank, d.origin])
        for r in returns:
            d = flow.dyn(r.value, scope.order_of(r))
            if d is not None:
                rets[qual] = [sorted(d.axes), d.rank, d.origin]
                break
    if not calls and not rets:
        return None
    return {"c": calls, "r": rets}


def _project_imports(module: cst.Module) -> Set[str]:
    """Local names bound by imports of anything but Keras/TensorFlow (project modules, maybe)."""
    out: Set[str] = set()
    for node in _all_imports(module):
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if full.split(".", 1)[0] in TRACKED_ROOTS:
                    continue
                asname = alias.asname.name if alias.asname is not None else None
                out.add(asname.value if isinstance(asname, cst.Name) else full.split(".", 1)[0])
        elif not isinstance(node.names, cst.ImportStar):
            mod = None if node.relative else module_name(node.module)
            if mod is not None and mod.split(".", 1)[0] in TRACKED_ROOTS:
                continue
            for alias in node.names:
                asname = alias.asname.name if alias.asname is not None else None
                if isinstance(asname, cst.Name):
                    out.add(asname.value)
                elif isinstance(alias.name, cst.Name):
                    out.add(alias.name.value)
    return out
