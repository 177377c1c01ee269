"""Which stack a file is written against: the run's target, unless the file says otherwise.

A file that imports ``tf_keras`` itself, or sets ``TF_USE_LEGACY_KERAS`` (which makes ``tf.keras``
the tf-keras package on TensorFlow 2.16+), is judged against tf-keras whatever ``--target`` says:
its Keras 2 names and behaviour are right there. Measured on TF 2.21: with the variable set before
TensorFlow is imported, ``tf.keras.__name__`` is ``tf_keras.api._v2.keras``; ``import keras`` is
still Keras 3 either way.
"""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from ..names import dotted_name

KERAS3 = "keras3"
TF_KERAS = "tf-keras"
STACKS = (KERAS3, TF_KERAS)


def _top_statements(body) -> Iterator[cst.CSTNode]:
    """Module-level statements, looking into ``if``/``try`` blocks (import shims live there)."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, (cst.If, cst.Try)):
            yield from _top_statements(stmt.body.body)
            if isinstance(stmt, cst.If) and stmt.orelse is not None:
                yield from _top_statements(stmt.orelse.body.body if isinstance(stmt.orelse, cst.Else)
                                           else [stmt.orelse])
            if isinstance(stmt, cst.Try):
                for handler in stmt.handlers:
                    yield from _top_statements(handler.body.body)


def _imports_tf_keras(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.Import):
        return any((dotted_name(a.name) or "").split(".")[0] == "tf_keras" for a in stmt.names)
    if isinstance(stmt, cst.ImportFrom) and not stmt.relative and stmt.module is not None:
        return (dotted_name(stmt.module) or "").split(".")[0] == "tf_keras"
    return False


def _sets_legacy_keras(source_text: str) -> bool:
    """``os.environ["TF_USE_LEGACY_KERAS"] = "1"`` (or ``setdefault``), not ``= "0"``."""
    if "TF_USE_LEGACY_KERAS" not in source_text or "environ" not in source_text:
        return False
    value = source_text.split("TF_USE_LEGACY_KERAS", 1)[1]
    return not any(off in value for off in ('"0"', "'0'", "False", '""', "''"))


def file_target(module: cst.Module, default: str, project=None) -> str:
    """The stack this file is judged against (see the module docstring); with the project
    model, importing a project module that re-exports ``tf_keras`` counts as importing it."""
    if default == TF_KERAS:
        return TF_KERAS
    if project is not None and project.reexports_root("tf_keras"):
        return TF_KERAS
    for stmt in _top_statements(module.body):
        if _imports_tf_keras(stmt):
            return TF_KERAS
        if isinstance(stmt, (cst.Assign, cst.Expr)) and _sets_legacy_keras(module.code_for_node(stmt)):
            return TF_KERAS
    return default
