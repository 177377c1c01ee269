"""The single traversal: every enabled rule's visit_/leave_ methods, dispatched by node type."""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Sequence, Tuple

import libcst as cst

from .context import FileContext
from .rule import Rule


# Fields holding only whitespace, comments or punctuation: rules never need them visited.
_SKIP_FIELD_PARTS = ("whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after",
                     "header", "footer", "newline", "colon", "equal", "lbracket", "rbracket", "lbrace",
                     "rbrace", "dot", "arrow", "operator", "asynchronous", "lbrack", "rbrack")
_SKIP_FIELDS = frozenset({"star"})  # Param.star / Arg.star: the "*" token (star_arg holds a Param)
_child_fields: Dict[type, Tuple[str, ...]] = {}
# Statements whose children are never visited: a dotted module name in an import is not a use.
_LEAF_STATEMENTS = frozenset({"Import", "ImportFrom"})


def _fields_of(cls: type) -> Tuple[str, ...]:
    names = _child_fields.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls)
                      if f.name not in _SKIP_FIELDS and not any(part in f.name for part in _SKIP_FIELD_PARTS))
        _child_fields[cls] = names
    return names


def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The child nodes rules care about, in source order (whitespace and punctuation skipped).
    Much cheaper than LibCST's ``node.children``, which rebuilds the node to list them."""
    out: List[cst.CSTNode] = []
    for fname in _fields_of(type(node)):
        value = getattr(node, fname)
        if isinstance(value, cst.CSTNode):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(v for v in value if isinstance(v, cst.CSTNode))
    return out


class _Dispatch:
    """visit_/leave_ methods of all rules, grouped by node type name."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.visit: Dict[str, List[Callable]] = {}
        self.leave: Dict[str, List[Callable]] = {}
        for rule in rules:
            for attr in _handler_names(type(rule)):
                kind, _, node_type = attr.partition("_")
                table = self.visit if kind == "visit" else self.leave
                table.setdefault(node_type, []).append(getattr(rule, attr))


_handler_cache: Dict[type, Tuple[str, ...]] = {}


def _handler_names(cls: type) -> Tuple[str, ...]:
    names = _handler_cache.get(cls)
    if names is None:
        names = tuple(a for a in dir(cls) if a.startswith(("visit_", "leave_")) and callable(getattr(cls, a)))
        _handler_cache[cls] = names
    return names


def walk(module: cst.Module, ctx: FileContext, dispatch: _Dispatch) -> None:
    """Depth-first, in source order, iteratively (no RecursionError on deep nesting).

    Imports are recorded in ``ctx.imports`` before any rule sees the node; ``ctx.stack`` holds
    the ancestors of the node being visited."""
    visit, leave, stack, imports = dispatch.visit, dispatch.leave, ctx.stack, ctx.imports
    todo: List[Tuple[bool, cst.CSTNode]] = [(False, module)]
    while todo:
        leaving, node = todo.pop()
        name = type(node).__name__
        if leaving:
            stack.pop()
            for fn in leave.get(name, ()):
                fn(node)
            continue
        if name == "Import":
            imports.add_import(node)  # type: ignore[arg-type]
        elif name == "ImportFrom":
            imports.add_import_from(node)  # type: ignore[arg-type]
        for fn in visit.get(name, ()):
            fn(node)
        todo.append((True, node))
        stack.append(node)
        if name in _LEAF_STATEMENTS:  # rules read import statements whole
            continue
        for child in reversed(children(node)):
            todo.append((False, child))
