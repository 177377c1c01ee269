"""Per-file state shared by the rules during one traversal."""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from .analysis.project import ModuleView
from .analysis.stack import file_target
from .names import ImportMap, dotted_name
from .rule import Report

IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException", "AttributeError"})


class FileContext:
    """What a rule may ask about the file being linted.

    ``stack`` holds the ancestors of the node being visited (outermost first), kept by the
    engine's walker, so rules can ask where they are without a metadata pass.
    """

    def __init__(self, path: str, module: cst.Module, target: str, project: Optional[ModuleView] = None) -> None:
        self.path = path
        self.module = module
        #: what the rest of the project says about this file's names (analysis.project), or None
        self.project = project
        #: the run's target, or tf-keras for a file written against tf_keras (see analysis.stack)
        self.target = file_target(module, target, project)
        self.run_target = target
        self.imports = ImportMap(project)
        self.stack: List[cst.CSTNode] = []
        self.reports: List[Report] = []

    # -- names ------------------------------------------------------------------------------
    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        return self.imports.qualname(node)

    def raw_qualname(self, node: cst.BaseExpression) -> Optional[str]:
        return self.imports.raw(node)

    def project_ref(self, node: cst.BaseExpression):
        """What a dotted name refers to in the project (analysis.project.Ref), if it is not
        bound to Keras/TensorFlow by this file's imports and names a project module's entry."""
        if self.project is None:
            return None
        dotted = dotted_name(node)
        if dotted is None or dotted.split(".", 1)[0] in self.imports.bindings:
            return None
        return self.project.ref(dotted)

    # -- where are we -----------------------------------------------------------------------
    def parent(self, levels: int = 1) -> Optional[cst.CSTNode]:
        return self.stack[-levels] if len(self.stack) >= levels else None

    def enclosing_function(self) -> Optional[cst.FunctionDef]:
        for node in reversed(self.stack):
            if isinstance(node, cst.FunctionDef):
                return node
        return None

    def enclosing_class(self) -> Optional[cst.ClassDef]:
        for node in reversed(self.stack):
            if isinstance(node, cst.ClassDef):
                return node
        return None

    def in_import_guard(self) -> bool:
        """True inside a ``try:`` (or its handler) that catches ImportError: a compatibility
        shim that already copes with the old path failing."""
        for node in reversed(self.stack):
            if isinstance(node, cst.Try) and any(_catches_import_error(h) for h in node.handlers):
                return True
        return False


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    for t in types:
        expr = t.value if isinstance(t, cst.Element) else t
        name = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", None)
        if name in IMPORT_ERRORS:
            return True
    return False
