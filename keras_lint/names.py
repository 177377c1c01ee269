"""Import tracking and qualified-name resolution, without LibCST metadata providers.

The engine feeds every ``import`` / ``from ... import`` it meets to an :class:`ImportMap` during
its single traversal (imports are recorded before the rules see the statement). A dotted
expression resolves only when its root name was bound by an import of a tracked package, so a
bare ``where(...)`` or a project's own ``K`` helper never resolves to TensorFlow.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import libcst as cst

TRACKED_ROOTS = frozenset({"keras", "tensorflow", "tf_keras", "keras_applications"})

# Spellings of the same API, rewritten to one canonical prefix (longest first).
_CANONICAL_PREFIXES: Tuple[Tuple[str, str], ...] = (
    ("tensorflow.compat.v1.keras.", "keras."),
    ("tensorflow.compat.v2.keras.", "keras."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.backend.tf.", "tensorflow."),
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
)
_CANONICAL_EXACT = {
    "tensorflow.keras": "keras",
    "tensorflow.compat.v1.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tf_keras": "keras",
    "keras.backend.tf": "tensorflow",
    "tensorflow.compat.v1": "tensorflow",
    "tensorflow.compat.v2": "tensorflow",
}


def canonical(qualname: str) -> str:
    """``tf.keras.layers.Dense`` and ``tf_keras.layers.Dense`` both become ``keras.layers.Dense``;
    ``tf.compat.v1.where`` and ``K.tf.where`` become ``tensorflow.where``."""
    exact = _CANONICAL_EXACT.get(qualname)
    if exact is not None:
        return exact
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualname.startswith(prefix):
            return canonical(replacement + qualname[len(prefix):])
    return qualname


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_name(node: Optional[cst.BaseExpression]) -> Optional[str]:
    return None if node is None else dotted_name(node)


class ImportMap:
    """Local name -> fully qualified name, for names bound by imports of tracked packages."""

    __slots__ = ("bindings", "project")

    def __init__(self, project=None) -> None:
        self.bindings: Dict[str, str] = {}
        #: the file's view of the project model (analysis.project.ModuleView), or None: imports of
        #: project modules that re-export Keras/TensorFlow then resolve to what they re-export
        self.project = project

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            root = full.split(".", 1)[0]
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, self._through_project(0, full, None))
            else:
                self._bind(root, self._through_project(0, root, None))

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        mod = None if node.relative else module_name(node.module)
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.name.value
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if mod is not None and mod.split(".", 1)[0] in TRACKED_ROOTS:
                self._bind(local, f"{mod}.{alias.name.value}")
            else:
                self._bind(local, self._through_project(len(node.relative), module_name(node.module), alias.name.value))

    def _through_project(self, level: int, module: Optional[str], name: Optional[str]) -> Optional[str]:
        """What a project module re-exports under this import (``from .backend import layers``:
        ``tensorflow.keras.layers``), or the plain name when it is not a project import."""
        plain = module if name is None else (f"{module}.{name}" if module and not level else None)
        if plain is not None and plain.split(".", 1)[0] in TRACKED_ROOTS:
            return plain
        if self.project is None:
            return plain
        return self.project.import_target(level, module, name)

    def _bind(self, local: str, qualified: Optional[str]) -> None:
        """A later import of anything else rebinds the name: ``import keras`` then
        ``from keras_cv.backend import keras`` leaves ``keras`` untracked."""
        if qualified is not None and qualified.split(".", 1)[0] in TRACKED_ROOTS:
            self.bindings[local] = qualified
        else:
            self.bindings.pop(local, None)

    def resolve_dotted(self, dotted: str) -> Optional[str]:
        root, _, rest = dotted.partition(".")
        base = self.bindings.get(root)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    def raw(self, node: cst.BaseExpression) -> Optional[str]:
        """The qualified name as imported (``tensorflow.compat.v1.Session``), or None."""
        dotted = dotted_name(node)
        return None if dotted is None else self.resolve_dotted(dotted)

    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        """The canonical qualified name (see :func:`canonical`), or None."""
        raw = self.raw(node)
        return None if raw is None else canonical(raw)
