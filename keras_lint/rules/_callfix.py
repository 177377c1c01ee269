"""Small helpers for rewriting call arguments while keeping the user's formatting."""
from __future__ import annotations

import ast
from typing import List, Optional, Sequence

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


def drop_args(args: Sequence[cst.Arg], drop: Sequence[cst.Arg]) -> List[cst.Arg]:
    """``args`` without ``drop`` (by identity); the new last argument takes the comma of the old
    last one, so ``f(a, b=1)`` minus ``b`` is ``f(a)`` and a trailing comma stays trailing."""
    keep = [a for a in args if not any(a is d for d in drop)]
    if keep and args and keep[-1] is not args[-1]:
        keep[-1] = keep[-1].with_changes(comma=args[-1].comma)
    return keep


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
