"""Small helpers for rewriting call arguments while keeping the user's formatting."""
from __future__ import annotations

import ast
from typing import List, Optional, Sequence, Tuple

import libcst as cst

_MISSING = object()


def literal(expr: cst.BaseExpression) -> object:
    """The Python value of a simple literal (str, int, float, True/False/None, negative number),
    else ``_MISSING``."""
    if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float)):
        try:
            return ast.literal_eval(expr.value)
        except (ValueError, SyntaxError):
            return _MISSING
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[expr.value]
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = literal(expr.expression)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    return _MISSING


def is_literal(value: object) -> bool:
    return value is not _MISSING


def literal_expr(value: object, like: Optional[cst.BaseExpression] = None) -> cst.BaseExpression:
    """A CST literal for ``value``; a string keeps the quote character of ``like``."""
    if isinstance(value, str):
        quote = "'"
        if isinstance(like, cst.SimpleString) and like.value.lstrip("rRbBuU").startswith('"'):
            quote = '"'
        return cst.SimpleString(quote + value + quote if quote not in value else repr(value))
    if value is None or isinstance(value, bool):
        return cst.Name(str(value))
    if isinstance(value, int):
        return cst.Integer(str(value)) if value >= 0 else cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))
    return cst.Float(repr(value))


def keyword_names(call: cst.Call) -> List[str]:
    return [a.keyword.value for a in call.args if a.keyword is not None]


def positional(call: cst.Call) -> List[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def has_comment(node: object) -> bool:
    return isinstance(node, cst.CSTNode) and any(isinstance(n, cst.Comment) for n in _nodes(node))


def _nodes(node: cst.CSTNode):
    """Every node under ``node``, whitespace included (LibCST's own ``children``: the engine's
    cheaper walk skips whitespace, where comments live)."""
    todo = [node]
    while todo:
        cur = todo.pop()
        yield cur
        todo.extend(cur.children)


def drop_args(args: Sequence[cst.Arg], drop: Sequence[cst.Arg]) -> List[cst.Arg]:
    """``args`` without ``drop`` (by identity); the new last argument takes the comma of the old
    last one, so ``f(a, b=1)`` minus ``b`` is ``f(a)`` and a trailing comma stays trailing.

    Comments survive: a comma carrying a comment (``lr=1e-3,  # learning rate``) is kept as a
    trailing comma, and a dropped argument's own trailing comment moves to the argument before
    it (see ``drop_loses_comment`` for what cannot be kept)."""
    out: List[Tuple[int, cst.Arg]] = []
    for i, a in enumerate(args):
        if any(a is d for d in drop):
            if out and has_comment(a.comma) and not has_comment(out[-1][1].comma):
                j, prev = out[-1]
                out[-1] = (j, prev.with_changes(comma=a.comma))
            continue
        out.append((i, a))
    if out and out[-1][0] != len(args) - 1 and not has_comment(out[-1][1].comma):
        j, prev = out[-1]
        out[-1] = (j, prev.with_changes(comma=args[-1].comma))
    return [a for _, a in out]


def drop_loses_comment(args: Sequence[cst.Arg], drop: Sequence[cst.Arg]) -> bool:
    """Dropping ``drop`` would lose a comment: one inside a dropped argument (not its comma), a
    dropped first argument's comma comment, or two comments meeting on one comma."""
    for i, a in enumerate(args):
        if not any(a is d for d in drop):
            continue
        if has_comment(a.keyword) or has_comment(a.value) or has_comment(a.equal) \
                or has_comment(a.whitespace_after_arg) or has_comment(a.whitespace_after_star):
            return True
        if has_comment(a.comma):
            kept_before = [b for b in args[:i] if not any(b is d for d in drop)]
            if not kept_before or has_comment(kept_before[-1].comma):
                return True
    return False


def rename_keyword(arg: cst.Arg, new: str, value: Optional[cst.BaseExpression] = None) -> cst.Arg:
    changes = {"keyword": cst.Name(new)}
    if arg.keyword is None:  # a positional argument becomes a keyword
        changes["equal"] = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                           whitespace_after=cst.SimpleWhitespace(""))
    if value is not None:
        changes["value"] = value
    return arg.with_changes(**changes)


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def tensorflow_alias(ctx) -> "tuple[Optional[cst.BaseExpression], tuple]":
    """An expression for the ``tensorflow`` module in this file, and the imports it needs: the
    name the file already binds to ``tensorflow`` (``tf``), else ``tf`` with
    ``import tensorflow as tf`` added, else ``tensorflow`` itself; ``(None, ())`` when each of
    them means something else somewhere in the file (a parameter ``tf``, a local variable), since
    a safe fix must not change which object a name refers to."""
    from ..rule import ImportSpec
    from ._bindings import is_free

    for local, full in ctx.imports.bindings.items():
        if full == "tensorflow" and is_free(ctx, local, "tensorflow"):
            return cst.Name(local), ()
    if is_free(ctx, "tf", "tensorflow"):
        return cst.Name("tf"), (ImportSpec("tensorflow", None, "tf"),)
    if is_free(ctx, "tensorflow", "tensorflow"):
        return cst.Name("tensorflow"), (ImportSpec("tensorflow"),)
    return None, ()


def statement_of(stack, call: cst.Call):
    """The ``SimpleStatementLine`` whose only statement is the expression ``call``, and the
    replacement that removes it (``pass`` when it is alone in its block), else ``(None, None)``."""
    if len(stack) < 2:
        return None, None
    expr, line = stack[-1], stack[-2]
    if not (isinstance(expr, cst.Expr) and expr.value is call and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1):
        return None, None
    block = stack[-3] if len(stack) >= 3 else None
    body = getattr(block, "body", None)
    if isinstance(block, cst.IndentedBlock) and isinstance(body, (list, tuple)) and len(body) == 1:
        return line, line.with_changes(body=[cst.Pass()], trailing_whitespace=line.trailing_whitespace)
    return line, cst.RemoveFromParent()
