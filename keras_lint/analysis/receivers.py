"""Which method-call receivers hold a Keras model (KL403's ``fit(nb_epoch=)``, KL404's methods).

A mixin for rules: it records, during the engine's single traversal, what the file binds, and
answers at the end of the file (``leave_Module``) with one of ``KERAS``, ``OTHER``, ``UNKNOWN``
for a receiver written as a dotted name (``model``, ``self.model``). Flow-insensitive and
file-wide, no metadata providers. A receiver is ``KERAS`` when it is

- a name or attribute assigned from a Keras model constructor or loader (``Sequential(...)``,
  ``Model(...)``, ``load_model(...)``, ``model_from_json(...)``, ``clone_model(...)``, a
  ``keras.applications`` constructor), from an instance of a class of this file that subclasses
  ``keras.Model``/``Sequential``, or from a call of a function of this file that returns such a name;
- ``self`` inside such a class, or ``self.model`` inside a ``keras.callbacks.Callback`` subclass.

It is ``OTHER`` when it is bound to a non-Keras import (``import sklearn.svm as svm``; ``svm``),
assigned from an instance of such an import or of a class of this file without a Keras base, or
``self`` in a class without a Keras base; a name bound both ways is ``UNKNOWN``.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..names import TRACKED_ROOTS, dotted_name, module_name

KERAS, OTHER, UNKNOWN = "keras", "other", "unknown"

MODEL_FACTORIES = frozenset({"Sequential", "Model", "Functional", "load_model", "model_from_json",
                             "model_from_yaml", "clone_model"})
MODEL_BASES = frozenset({"Model", "Sequential", "Functional"})


def _is_keras(qualname: Optional[str]) -> bool:
    return qualname is not None and qualname.split(".", 1)[0] == "keras"


class ReceiverMixin:
    """Call ``self._receivers_init()`` from ``__init__``; rules that define their own
    ``visit_Import``/``visit_ImportFrom``/``visit_ClassDef``/``visit_FunctionDef``/``visit_Assign``/
    ``visit_Return`` must call the mixin's too."""

    def _receivers_init(self) -> None:
        self._foreign: Set[str] = set()
        self._classes: Dict[str, List[Tuple[Optional[str], Optional[str]]]] = {}  # name -> bases (local, qualname)
        self._assigned: List[Tuple[str, Optional[str], Optional[str], Optional[str]]] = []
        self._returns: Dict[str, Set[str]] = {}
        self._functions: Set[str] = set()
        self._kinds: Optional[Dict[str, str]] = None
        self._class_kinds: Dict[str, str] = {}
        self._callback_classes: Set[str] = set()

    # -- recording ----------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None or full.split(".", 1)[0] in TRACKED_ROOTS:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._foreign.add(alias.asname.name.value)
            else:
                self._foreign.add(full.split(".", 1)[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        mod = module_name(node.module)
        if node.relative or mod is None or mod.split(".", 1)[0] in TRACKED_ROOTS:
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._foreign.add(alias.asname.name.value)
            elif isinstance(alias.name, cst.Name):
                self._foreign.add(alias.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = []
        for arg in node.bases:
            local = dotted_name(arg.value)
            bases.append((local, self.ctx.qualname(arg.value)))  # type: ignore[attr-defined]
        self._classes[node.name.value] = bases

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.add(node.name.value)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.ctx.enclosing_function()  # type: ignore[attr-defined]
        if fn is None or node.value is None:
            return
        dotted = dotted_name(node.value)
        if dotted is not None:
            self._returns.setdefault(fn.name.value, set()).add(dotted)
        elif isinstance(node.value, cst.Call):
            self._returns.setdefault(fn.name.value, set()).add("()" + (dotted_name(node.value.func) or "?"))

    def visit_Assign(self, node: cst.Assign) -> None:
        if not isinstance(node.value, cst.Call):
            return
        func = node.value.func
        callee = dotted_name(func)
        qn = self.ctx.qualname(func)  # type: ignore[attr-defined]
        cls = self.ctx.enclosing_class()  # type: ignore[attr-defined]
        for target in node.targets:
            dotted = dotted_name(target.target)
            if dotted is not None:
                self._assigned.append((dotted, callee, qn, cls.name.value if cls else None))

    # -- answering (after the traversal) ------------------------------------------------------
    def _class_kind(self, name: str, seen: Optional[Set[str]] = None) -> str:
        if name in self._class_kinds:
            return self._class_kinds[name]
        seen = seen or set()
        if name in seen or name not in self._classes:
            return UNKNOWN
        seen.add(name)
        kind = OTHER
        for local, qn in self._classes[name]:
            if _is_keras(qn):
                last = qn.rsplit(".", 1)[1]  # type: ignore[union-attr]
                if last in MODEL_BASES:
                    kind = KERAS
                    break
                if last == "Callback":
                    self._callback_classes.add(name)
            elif local is not None and local in self._classes:
                sub = self._class_kind(local, seen)
                if local in self._callback_classes:
                    self._callback_classes.add(name)
                if sub == KERAS:
                    kind = KERAS
                    break
                if sub == UNKNOWN:
                    kind = UNKNOWN
            elif local == "object" or (local is not None and local.split(".", 1)[0] in self._foreign):
                continue
            else:
                kind = UNKNOWN  # a base we cannot see (relative import, star import, expression)
        self._class_kinds[name] = kind
        return kind

    def _call_kind(self, callee: Optional[str], qn: Optional[str], depth: int = 0) -> str:
        if _is_keras(qn):
            last = qn.rsplit(".", 1)[1]  # type: ignore[union-attr]
            if last in MODEL_FACTORIES or qn.startswith("keras.applications."):  # type: ignore[union-attr]
                return KERAS
            return OTHER
        if callee is None:
            return UNKNOWN
        if callee in self._classes:
            return self._class_kind(callee)
        if callee.split(".", 1)[0] in self._foreign:
            return OTHER
        if callee in self._returns and depth < 3:
            kinds = set()
            for returned in self._returns[callee]:
                if returned.startswith("()"):
                    kinds.add(self._call_kind(returned[2:], None, depth + 1))
                else:
                    kinds.add(self._target_kind(returned, depth + 1))
            if kinds == {KERAS}:
                return KERAS
        return UNKNOWN

    def _target_kind(self, dotted: str, depth: int = 0) -> str:
        kinds = {self._call_kind(callee, qn, depth) for target, callee, qn, _ in self._assigned if target == dotted}
        if not kinds:
            return UNKNOWN
        return kinds.pop() if len(kinds) == 1 else UNKNOWN

    def receiver_kind(self, receiver: cst.BaseExpression, enclosing_class: Optional[str]) -> str:
        """KERAS / OTHER / UNKNOWN for a call's receiver; call only from ``leave_Module``."""
        dotted = dotted_name(receiver)
        if dotted is None:
            return UNKNOWN
        if enclosing_class is not None and enclosing_class in self._classes:
            kind = self._class_kind(enclosing_class)
            if dotted == "self":
                return kind
            if dotted == "self.model" and enclosing_class in self._callback_classes:
                return KERAS
        if dotted.split(".", 1)[0] in self._foreign:
            return OTHER
        return self._target_kind(dotted)

    def defines_function(self, name: str) -> bool:
        """The file defines a function or method of this name (so the name is not unique to Keras)."""
        return name in self._functions

    def imports_keras(self) -> bool:
        return any(v.split(".", 1)[0] in TRACKED_ROOTS for v in self.ctx.imports.bindings.values())  # type: ignore[attr-defined]
