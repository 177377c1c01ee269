"""A small, local data-flow view of one function (or module) body, for rules that must know
where a value came from ("followed through local assignments").

Rules collect candidate nodes during the engine's traversal and, only when there is one, build a
:class:`Scope` for the function that holds it (a walk over that one body; nested ``def`` and
``class`` bodies are other scopes and are skipped). Lookups are flow-ordered: a name read by the
statement numbered *k* sees the nearest binding made by a statement numbered below *k*, so
``boxes = tf.gather(boxes, keep)`` reads the previous ``boxes``. Branches are not merged: the
nearest binding in source order wins (good enough for the straight-line tensor code these rules
look at). No LibCST metadata providers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple, Union

import libcst as cst

from ..names import dotted_name
from ..walk import children

ScopeOwner = Union[cst.FunctionDef, cst.Module]

#: kinds of binding
ASSIGN, UNPACK, LOOP, AUG, PARAM, DEF = "assign", "unpack", "loop", "aug", "param", "def"


@dataclass(frozen=True)
class Binding:
    kind: str  # ASSIGN / UNPACK (value is the whole right-hand side, index the position) / LOOP (value is the iterable) / AUG / PARAM
    value: Optional[cst.BaseExpression]
    order: int
    index: int = -1
    op: Optional[cst.CSTNode] = None  # AUG: the operator


@dataclass
class Scope:
    owner: ScopeOwner
    bindings: Dict[str, List[Binding]] = field(default_factory=dict)
    #: receiver (dotted) -> attributes read on it (``model.compile`` -> {"compile"})
    attrs: Dict[str, Set[str]] = field(default_factory=dict)
    #: id(node) -> order of the statement holding it, for nodes the rule asked about
    orders: Dict[int, int] = field(default_factory=dict)
    #: every node walked, for guard searches (conditions, calls), with its statement order
    conditions: List[Tuple[cst.CSTNode, int]] = field(default_factory=list)
    calls: List[Tuple[cst.Call, int]] = field(default_factory=list)

    def order_of(self, node: cst.CSTNode) -> int:
        """The statement order of a node the rule asked about (past the end when unknown)."""
        return self.orders.get(id(node), 1 << 30)

    def lookup(self, name: str, before: int) -> Optional[Binding]:
        """The nearest binding of ``name`` made before statement ``before``."""
        best = None
        for b in self.bindings.get(name, ()):
            if b.order < before and (best is None or b.order >= best.order):
                best = b
        return best

    def all_bindings(self, name: str) -> List[Binding]:
        return self.bindings.get(name, [])


def _bind(scope: Scope, target: cst.BaseExpression, binding: Binding) -> None:
    name = dotted_name(target)
    if name is not None:
        scope.bindings.setdefault(name, []).append(binding)
        return
    if isinstance(target, (cst.Tuple, cst.List)):
        for i, el in enumerate(target.elements):
            if isinstance(el, cst.StarredElement):
                # positions after a star are unknown: bind them as opaque
                for rest in target.elements[i:]:
                    inner = rest.value if isinstance(rest, (cst.Element, cst.StarredElement)) else None
                    if inner is not None:
                        _bind(scope, inner, Binding(UNPACK, None, binding.order, -1))
                return
            if binding.index >= 0:  # an element of an element: opaque
                sub = Binding(binding.kind, None, binding.order, -2)
            else:
                sub = Binding(UNPACK if binding.kind == ASSIGN else binding.kind, binding.value, binding.order, i)
            _bind(scope, el.value, sub)




_CONDITION_HOLDERS = (cst.If, cst.While, cst.IfExp, cst.Assert)


def build_scope(owner: ScopeOwner, wanted: Set[int] = frozenset()) -> Scope:  # type: ignore[assignment]
    """Walk ``owner``'s body (not nested defs/classes) in source order."""
    scope = Scope(owner)
    order = 0
    if isinstance(owner, cst.FunctionDef):
        params = owner.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            scope.bindings.setdefault(p.name.value, []).append(Binding(PARAM, p.default, -1))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bindings.setdefault(star.name.value, []).append(Binding(PARAM, None, -1))
        body: cst.CSTNode = owner.body
    else:
        body = owner
    # (node, statement order); statements get a fresh order when entered
    todo: List[Tuple[cst.CSTNode, int]] = [(body, 0)]
    while todo:
        node, current = todo.pop()
        kind = _node_kind(type(node))
        if kind == "def" and node is not owner:
            order += 1
            _bind(scope, node.name, Binding(DEF, None, order))  # type: ignore[attr-defined]
            continue
        if kind == "stmt":
            order += 1
            current = order
            if isinstance(node, cst.Assign):
                for t in node.targets:
                    _bind(scope, t.target, Binding(ASSIGN, node.value, current))
            elif isinstance(node, cst.AnnAssign) and node.value is not None:
                _bind(scope, node.target, Binding(ASSIGN, node.value, current))
            elif isinstance(node, cst.AugAssign):
                _bind(scope, node.target, Binding(AUG, node.value, current, op=node.operator))
            elif isinstance(node, cst.For):
                # the loop variable is bound for the body: give it this order, body comes after
                _bind(scope, node.target, Binding(LOOP, node.iter, current))
            elif isinstance(node, cst.With):
                for item in node.items:
                    if item.asname is not None:
                        _bind(scope, item.asname.name, Binding(ASSIGN, None, current))
            if isinstance(node, _CONDITION_HOLDERS):
                scope.conditions.append((node, current))
        elif kind == "cond":
            scope.conditions.append((node, current))
        elif kind == "call":
            scope.calls.append((node, current))  # type: ignore[arg-type]
        elif kind == "attr":
            recv = dotted_name(node.value)  # type: ignore[attr-defined]
            if recv is not None:
                scope.attrs.setdefault(recv, set()).add(node.attr.value)  # type: ignore[attr-defined]
        elif kind == "walrus":
            _bind(scope, node.target, Binding(ASSIGN, node.value, current))  # type: ignore[attr-defined]
        if wanted and id(node) in wanted:
            scope.orders[id(node)] = current
        for child in reversed(children(node)):
            todo.append((child, current))
    return scope


_KINDS: Dict[type, str] = {}


def _node_kind(cls: type) -> str:
    """What ``build_scope`` does with a node type (isinstance on LibCST's abstract bases is slow)."""
    kind = _KINDS.get(cls)
    if kind is None:
        if issubclass(cls, (cst.FunctionDef, cst.ClassDef)):
            kind = "def"
        elif issubclass(cls, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            kind = "stmt"
        elif issubclass(cls, cst.IfExp):
            kind = "cond"
        elif issubclass(cls, cst.Call):
            kind = "call"
        elif issubclass(cls, cst.Attribute):
            kind = "attr"
        elif issubclass(cls, cst.NamedExpr):
            kind = "walrus"
        else:
            kind = ""
        _KINDS[cls] = kind
    return kind


def iter_nodes(root: cst.CSTNode, skip_defs: bool = True) -> Iterator[cst.CSTNode]:
    """Every node under ``root`` (itself included), not entering nested defs/classes."""
    todo = [root]
    while todo:
        node = todo.pop()
        yield node
        if skip_defs and node is not root and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            continue
        todo.extend(reversed(children(node)))


@dataclass
class Deferred:
    """A node a rule wants to judge once its whole scope is known."""

    node: cst.CSTNode
    owner: ScopeOwner
    cls: Optional[cst.ClassDef]
    data: dict


class DeferredScopes:
    """Mixin for rules: ``self._defer(node, **data)`` during the traversal, then
    ``for scope, items in self._deferred_scopes():`` at ``leave_Module`` (one walk per scope
    holding a candidate; nothing is walked in files without candidates)."""

    def _defer(self, node: cst.CSTNode, **data) -> None:
        ctx = self.ctx  # type: ignore[attr-defined]
        owner = ctx.enclosing_function() or ctx.module
        items = self.__dict__.setdefault("_deferred", [])
        items.append(Deferred(node, owner, ctx.enclosing_class(), data))

    def _deferred_scopes(self) -> Iterator[Tuple[Scope, List[Deferred]]]:
        items: List[Deferred] = self.__dict__.get("_deferred", [])
        groups: Dict[int, List[Deferred]] = {}
        for it in items:
            groups.setdefault(id(it.owner), []).append(it)
        for group in groups.values():
            scope = build_scope(group[0].owner, {id(it.node) for it in group})
            yield scope, group


def inside_function_named(stack: List[cst.CSTNode], names: Tuple[str, ...]) -> bool:
    return any(isinstance(n, cst.FunctionDef) and n.name.value in names for n in stack)
