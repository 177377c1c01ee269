"""Building blocks for fixes: dotted names, and import statements rewritten name by name."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from .names import module_name
from .rule import Replacement
from .tables.imports import KERAS_ROOTS


def dotted_expr(dotted: str) -> cst.BaseExpression:
    """``a.b.c`` as a Name/Attribute chain."""
    parts = dotted.split(".")
    expr: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        expr = cst.Attribute(value=expr, attr=cst.Name(part))
    return expr


def keras_root(raw_module: str) -> str:
    """The root a user wrote a Keras path under: ``tensorflow.keras``, ``tf_keras`` or ``keras``."""
    for root in KERAS_ROOTS:
        if raw_module == root or raw_module.startswith(root + "."):
            return root
    if raw_module.startswith(("tensorflow.python.keras", "tensorflow.compat.v1.keras")):
        return "tensorflow.keras"
    return "keras"


def reroot(canonical_path: str, root: str) -> str:
    """``keras.layers`` under the user's root (``tensorflow.keras.layers``). Paths that are
    already stack specific (``keras.src.``, ``tf_keras.src.``) are kept as they are."""
    if canonical_path.startswith(("keras.src.", "tf_keras.")) or not canonical_path.startswith("keras"):
        return canonical_path
    return root + canonical_path[len("keras"):]


def local_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return alias.evaluated_name


def _alias(name: str, local: str) -> cst.ImportAlias:
    asname = None if name == local else cst.AsName(name=cst.Name(local))
    return cst.ImportAlias(name=cst.Name(name), asname=asname)


def split_import_from(
    node: cst.ImportFrom,
    statement: cst.CSTNode,
    moves: Dict[str, Tuple[str, str]],
) -> Tuple[cst.CSTNode, Replacement]:
    """Rewrite ``from old import a, b as c, d`` where ``moves`` maps some imported names to
    ``(new_module, new_name)``. Names not in ``moves`` stay in the original statement; the local
    names the code uses are kept (``import plot_model as plot``).

    Returns the node to replace and its replacement: just the ImportFrom when everything moves to
    one module under the same names (formatting kept), else the enclosing statement line, split."""
    assert isinstance(node.names, Sequence)
    # Comments inside the parentheses (`Dense,  # dense`) stay with their names: then every new
    # statement keeps its parentheses and each name its own comma (a trailing one is fine there).
    keep_commas = node.lpar is not None and _has_comment(node)
    groups: Dict[str, List[cst.ImportAlias]] = {}
    stay: List[cst.ImportAlias] = []
    for alias in node.names:
        name = alias.evaluated_name
        if name in moves:
            new_module, new_name = moves[name]
            new_alias = _alias(new_name, local_name(alias))
            if keep_commas:
                new_alias = new_alias.with_changes(comma=alias.comma)
            groups.setdefault(new_module, []).append(new_alias)
        else:
            stay.append(alias)
    same_names = all(moves[a.evaluated_name][1] == a.evaluated_name for a in node.names if a.evaluated_name in moves)
    if not stay and len(groups) == 1 and same_names:
        (new_module,) = groups
        return node, node.with_changes(module=dotted_expr(new_module), relative=())
    new_imports: List[cst.BaseSmallStatement] = []
    if keep_commas:
        first_lpar, rpar = node.lpar, node.rpar
        for aliases in ([stay] if stay else []) + list(groups.values()):
            lpar = first_lpar if not new_imports else cst.LeftParen()
            base = node if (stay and not new_imports) else cst.ImportFrom(module=node.module, names=aliases)
            new_imports.append(base.with_changes(names=_trailing(aliases), lpar=lpar, rpar=rpar))
        for i, (new_module, _) in enumerate(groups.items()):
            j = i + (1 if stay else 0)
            new_imports[j] = new_imports[j].with_changes(module=dotted_expr(new_module), relative=())
    else:
        if stay:
            new_imports.append(node.with_changes(names=_clean(stay), lpar=None, rpar=None))
        for new_module, aliases in groups.items():
            new_imports.append(cst.ImportFrom(module=dotted_expr(new_module), names=_clean(aliases)))
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        # The first line keeps the statement's leading comments and its trailing comment.
        lines = [statement.with_changes(body=[imp]) if i == 0 else cst.SimpleStatementLine(body=[imp])
                 for i, imp in enumerate(new_imports)]
        return statement, cst.FlattenSentinel(lines)
    return node, cst.FlattenSentinel(new_imports)


def _has_comment(node: cst.CSTNode) -> bool:
    todo = [node]
    while todo:
        cur = todo.pop()
        if isinstance(cur, cst.Comment):
            return True
        todo.extend(cur.children)
    return False


def _trailing(aliases: List[cst.ImportAlias]) -> List[cst.ImportAlias]:
    """Inside parentheses: every alias keeps its comma; the last one keeps it only when it
    carries a comment."""
    last = aliases[-1]
    if not (isinstance(last.comma, cst.Comma) and _has_comment(last.comma)):
        aliases = aliases[:-1] + [last.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    return aliases


def _clean(aliases: List[cst.ImportAlias]) -> List[cst.ImportAlias]:
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]


def import_module_as(node: cst.Import, alias: cst.ImportAlias, new_module: str) -> cst.Import:
    """``import old.mod as m`` -> ``import new.mod as m`` (only the one alias changes)."""
    new_alias = alias.with_changes(name=dotted_expr(new_module))
    return node.with_changes(names=[new_alias if a is alias else a for a in node.names])


def module_of_import_from(node: cst.ImportFrom) -> Optional[str]:
    return None if node.relative else module_name(node.module)
