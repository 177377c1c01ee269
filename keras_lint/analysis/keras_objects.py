"""Is this receiver a built Keras model, a Keras layer, or something we cannot tell?

Used by KL201/KL202 for ``<receiver>.add_loss(...)`` / ``.add_metric(...)``. A method name alone
proves nothing (a project's own ``MLP.add_loss('sigmoid')`` is not Keras), so a receiver counts
only with evidence from the function that holds the call (or, for ``self.<attr>``, from the
methods of its class):

- **model**: bound (nearest assignment before the call) to a Keras model constructor or loader
  (``Model(...)``, ``Sequential(...)``, ``load_model(...)``, ``clone_model(...)``,
  ``model_from_json(...)``, a ``keras.applications`` constructor, an instance of a class of this
  file that subclasses ``keras.Model``), or used in the same scope with a method or attribute only
  models have (``compile``, ``fit``, ``get_layer``, ``summary``, ``layers``, ``inputs``,
  ``outputs``, ``metrics_names``, ``train_on_batch``, ``fit_generator``, ``save_weights`` ...);
- **layer**: bound to a ``keras.layers.*`` constructor or a local ``Layer`` subclass, to
  ``<model>.get_layer(...)`` or ``<model>.layers[i]``, or the loop variable of
  ``for layer in <model>.layers`` (also through ``enumerate``/``reversed``/a slice).

Layer evidence wins over model evidence (a layer taken from a model is a layer). Everything
else, function parameters without such use included, is unknown, and the rules stay quiet.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from ..names import dotted_name
from .dataflow import ASSIGN, LOOP, Binding, Scope, build_scope

MODEL, LAYER = "model", "layer"

MODEL_FACTORIES = frozenset({
    "keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential",
    "keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model",
    "keras.models.model_from_json", "keras.models.model_from_yaml", "keras.models.Functional",
})
MODEL_BASES = frozenset({"keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential"})
#: attributes a Keras Model has and a Layer does not
MODEL_ATTRS = frozenset({
    "compile", "fit", "fit_generator", "train_on_batch", "test_on_batch", "evaluate_generator",
    "predict_generator", "get_layer", "summary", "layers", "inputs", "outputs", "metrics_names",
    "save_weights", "load_weights", "to_json", "compiled_loss", "make_train_function",
})
LAYER_SOURCES = frozenset({"layers", "submodules", "_flatten_layers"})


class KerasObjects:
    """Answers for one file; built at ``leave_Module`` time (all imports known)."""

    def __init__(self, ctx, module: cst.Module) -> None:
        self.ctx = ctx
        self.module = module
        self.local_classes: Dict[str, str] = {}
        for stmt in module.body:
            if isinstance(stmt, cst.ClassDef):
                kind = self._class_kind(stmt)
                if kind is not None:
                    self.local_classes[stmt.name.value] = kind
        self._class_scopes: Dict[int, List[Scope]] = {}

    def _class_kind(self, cls: cst.ClassDef) -> Optional[str]:
        for base in cls.bases:
            qn = self.ctx.qualname(base.value)
            if qn is None:
                local = dotted_name(base.value)
                if local in self.local_classes:
                    return self.local_classes[local]
                continue
            if qn in MODEL_BASES:
                return MODEL
            if qn.startswith("keras.layers.") or qn == "keras.Layer":
                return LAYER
        return None

    # -- one binding ----------------------------------------------------------------------
    def _from_binding(self, b: Binding) -> Optional[str]:
        if b.kind == LOOP and b.value is not None:
            if b.index == -1:  # for layer in model.layers
                return LAYER if _layers_iterable(b.value) else None
            it = b.value  # for i, layer in enumerate(model.layers)
            if (b.index == 1 and isinstance(it, cst.Call) and isinstance(it.func, cst.Name)
                    and it.func.value == "enumerate" and it.args and _layers_iterable(it.args[0].value)):
                return LAYER
            return None
        if b.kind != ASSIGN or b.value is None:
            return None
        value = b.value
        if isinstance(value, cst.Call):
            qn = self.ctx.qualname(value.func)
            if qn is not None:
                if qn in MODEL_FACTORIES or qn.startswith("keras.applications."):
                    return MODEL
                last = qn.rsplit(".", 1)[-1]
                if (qn.startswith("keras.layers.") or qn == "keras.Layer") and last[:1].isupper():
                    return LAYER
                return None
            local = dotted_name(value.func)
            if local in self.local_classes:
                return self.local_classes[local]
            if isinstance(value.func, cst.Attribute) and value.func.attr.value == "get_layer":
                return LAYER
            return None
        if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Attribute):
            if value.value.attr.value in LAYER_SOURCES:
                return LAYER
        return None

    # -- a receiver -----------------------------------------------------------------------
    def classify(self, receiver: str, scope: Scope, before: int, cls: Optional[cst.ClassDef]) -> Optional[str]:
        kind = self._classify_in(receiver, scope, before)
        if kind is None and receiver.startswith("self.") and cls is not None:
            for other in self._scopes_of(cls):
                if other.owner is scope.owner:
                    continue
                kind = self._classify_in(receiver, other, 1 << 30)
                if kind is not None:
                    break
        return kind

    def _classify_in(self, receiver: str, scope: Scope, before: int) -> Optional[str]:
        b = scope.lookup(receiver, before)
        kind = self._from_binding(b) if b is not None else None
        if kind is not None:
            return kind
        if scope.attrs.get(receiver, set()) & MODEL_ATTRS:
            return MODEL
        return None

    def _scopes_of(self, cls: cst.ClassDef) -> List[Scope]:
        found = self._class_scopes.get(id(cls))
        if found is None:
            found = [build_scope(s) for s in cls.body.body if isinstance(s, cst.FunctionDef)]
            self._class_scopes[id(cls)] = found
        return found


def _layers_iterable(expr: cst.BaseExpression) -> bool:
    """``model.layers``, ``model.layers[3:]``, ``reversed(model.layers)``, ``model.submodules``."""
    while True:
        if isinstance(expr, cst.Attribute):
            return expr.attr.value in LAYER_SOURCES
        if isinstance(expr, cst.Subscript):
            expr = expr.value
            continue
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("reversed", "list", "tuple", "sorted") and expr.args:
            expr = expr.args[0].value
            continue
        return False
