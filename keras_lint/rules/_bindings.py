"""Which names a file binds, for fixes that introduce a name or rely on one (``tf``, ``keras``,
``concatenate``, ``obtain_input_shape``): a safe fix must never change which object a name
refers to.

The check is deliberately coarse: a name is *free* for a fix only when every binding of it
anywhere in the file (any scope: module, function, lambda, comprehension, class) is an import of
the object the fix means. A parameter ``tf`` in one lambda, a loop variable ``concatenate`` in one
function, a module-level ``def obtain_input_shape`` all make the name unusable for the fix, which
then picks another name or gives up.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence

import libcst as cst

from ..analysis.dataflow import iter_nodes
from ..names import dotted_name, module_name

_CACHE_ATTR = "_kl_bindings"
OTHER = "<not an import>"


def _target_names(target: cst.CSTNode) -> Iterable[str]:
    """Names bound by an assignment target (``a``, ``a, (b, *c)``; not ``a.x`` or ``a[0]``)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from _target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


def file_bindings(module: cst.Module) -> Dict[str, List[str]]:
    """name -> what binds it, once per binding: the qualified name (as written) for an import of
    a module or object, ``OTHER`` for anything else (assignment, def, class, parameter, loop or
    comprehension variable, ``with``/``except`` target, walrus, ``global``, match capture)."""
    out: Dict[str, List[str]] = {}

    def add(name: str, what: str) -> None:
        out.setdefault(name, []).append(what)

    for node in iter_nodes(module, skip_defs=False):
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    add(alias.asname.name.value, full)
                else:
                    root = full.split(".", 1)[0]
                    add(root, root)
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            mod = None if node.relative else module_name(node.module)
            for alias in node.names:
                local = alias.asname.name.value if (alias.asname is not None and isinstance(alias.asname.name, cst.Name)) \
                    else alias.evaluated_name
                add(local, f"{mod}.{alias.evaluated_name}" if mod else OTHER)
        elif isinstance(node, cst.AssignTarget):
            for n in _target_names(node.target):
                add(n, OTHER)
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            for n in _target_names(node.target):
                add(n, OTHER)
        elif isinstance(node, (cst.For, cst.CompFor)):
            for n in _target_names(node.target):
                add(n, OTHER)
        elif isinstance(node, cst.NamedExpr):
            for n in _target_names(node.target):
                add(n, OTHER)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            for n in _target_names(node.asname.name):
                add(n, OTHER)
        elif isinstance(node, cst.ExceptHandler) and node.name is not None:
            for n in _target_names(node.name.name):
                add(n, OTHER)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            add(node.name.value, OTHER)
        elif isinstance(node, cst.Param):
            add(node.name.value, OTHER)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for item in node.names:
                add(item.name.value, OTHER)
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
            add(node.name.value, OTHER)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            add(node.rest.value, OTHER)
        elif isinstance(node, cst.Del):
            for n in _target_names(node.target):
                add(n, OTHER)
    return out


def bindings(ctx) -> Dict[str, List[str]]:
    cached = getattr(ctx, _CACHE_ATTR, None)
    if cached is None:
        cached = file_bindings(ctx.module)
        setattr(ctx, _CACHE_ATTR, cached)
    return cached


def is_free(ctx, name: str, means: str) -> bool:
    """``name`` can stand for ``means`` (a qualified name, as a fix would import it) everywhere in
    the file: nothing binds it, or only imports of that same object do."""
    return all(what == means for what in bindings(ctx).get(name, ()))


def free_name(ctx, candidates: Sequence[str], means: str) -> Optional[str]:
    """The first of ``candidates`` that is free for ``means``, else None."""
    return next((c for c in candidates if is_free(ctx, c, means)), None)
