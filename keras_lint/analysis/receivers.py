"""Is a method call's receiver a Keras model, a Keras layer, something else, or unknown?

One receiver model for every rule that matches methods on Keras objects (KL201/KL202's
``add_loss``/``add_metric``, KL403's ``fit(nb_epoch=)``, KL404's ``fit_generator``). A method name
alone proves nothing (a project's own ``MLP.add_loss('sigmoid')`` is not Keras): a receiver
counts only with evidence, and the evidence rules are the same for every rule (:class:`Evidence`):

- a value is a **model** when it comes from a Keras model constructor or loader (``Model(...)``,
  ``Sequential(...)``, ``load_model(...)``, ``clone_model(...)``, ``model_from_json(...)``, a
  ``keras.applications`` constructor), from an instance of a class deriving from ``keras.Model``
  (in this file or, through the project model, in another project module), or from a call of a
  project function that returns a model; a function parameter is a model when every call site
  the project model knows of passes one is not required, one is enough (``add_metrics(keras_model)``);
- a value is a **layer** when it comes from a ``keras.layers`` constructor or a Layer subclass
  (here or in the project), from ``<model>.get_layer(...)`` or ``<model>.layers[i]``, or is the
  loop variable of ``for layer in <model>.layers`` (also through ``enumerate``/``reversed``/a
  slice);
- it is **other** when it comes from a non-Keras import (``import sklearn.svm as svm``), an
  instance of a class whose bases are all known and not Keras, or ``self`` in such a class.

Two ways to ask, over that one evidence base:

- :class:`KerasObjects` (KL201/KL202): nearest binding before the call in the function that
  holds it (or, for ``self.<attr>``, in the methods of its class), plus use with a method or
  attribute only models have (``compile``, ``fit``, ``get_layer``, ``summary``, ``layers`` ...);
  layer evidence wins over model evidence;
- :class:`ReceiverMixin` (KL403/KL404): file-wide and flow-insensitive, for a receiver written as a
  dotted name (``model``, ``self.model``): every assignment of that name in the file must agree;
  ``self.model`` in a ``keras.callbacks.Callback`` subclass is a model. A name bound both ways
  is unknown.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from ..names import TRACKED_ROOTS, dotted_name, module_name
from .dataflow import ASSIGN, LOOP, PARAM, Binding, Scope, build_scope
from .keras_classes import LAYER as _CLASS_LAYER, MODEL as _CLASS_MODEL, ClassInfo, keras_class_kind, keras_classes

MODEL, LAYER = "model", "layer"
KERAS, OTHER, UNKNOWN = "keras", "other", "unknown"  # ReceiverMixin's answers (KERAS: a model)

#: last names of Keras callables that return a model
MODEL_FACTORY_NAMES = frozenset({"Sequential", "Model", "Functional", "load_model", "model_from_json",
                                 "model_from_yaml", "clone_model"})
#: attributes a Keras Model has and a Layer does not
MODEL_ATTRS = frozenset({
    "compile", "fit", "fit_generator", "train_on_batch", "test_on_batch", "evaluate_generator",
    "predict_generator", "get_layer", "summary", "layers", "inputs", "outputs", "metrics_names",
    "save_weights", "load_weights", "to_json", "compiled_loss", "make_train_function",
})
LAYER_SOURCES = frozenset({"layers", "submodules", "_flatten_layers"})
_CACHE_ATTR = "_kl_receiver_evidence"


def keras_value_kind(qualname: str) -> str:
    """What calling the Keras name ``qualname`` (canonical) gives: MODEL, LAYER or OTHER."""
    last = qualname.rsplit(".", 1)[-1]
    if last in MODEL_FACTORY_NAMES or qualname.startswith("keras.applications."):
        return MODEL
    kind = keras_class_kind(qualname)
    if kind == _CLASS_MODEL:
        return MODEL
    if kind == _CLASS_LAYER and last[:1].isupper():
        return LAYER
    return OTHER


class Evidence:
    """The file's facts every receiver question uses; built once per file at ``leave_Module``."""

    def __init__(self, ctx, module: cst.Module) -> None:
        self.ctx = ctx
        self.classes = keras_classes(module, ctx)
        self.foreign: Set[str] = set()  # names bound by imports of something that is not Keras/TF
        for stmt in _all_imports(module):
            self._note_import(stmt)
        self._kinds: Dict[int, str] = {}
        self._callbacks: Dict[int, bool] = {}

    def _note_import(self, node) -> None:
        bound = self.ctx.imports.bindings
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                if full is None:
                    continue
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                    else full.split(".", 1)[0]
                if local not in bound:
                    self.foreign.add(local)
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            mod = module_name(node.module)
            if not node.relative and mod is not None and mod.split(".", 1)[0] in TRACKED_ROOTS:
                return
            for alias in node.names:
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                    else alias.name.value if isinstance(alias.name, cst.Name) else None
                if local is not None and local not in bound:
                    self.foreign.add(local)

    # -- classes ------------------------------------------------------------------------------
    def class_kind(self, info: ClassInfo) -> str:
        """MODEL / LAYER / OTHER / UNKNOWN for a class of this file."""
        found = self._kinds.get(id(info))
        if found is not None:
            return found
        self._kinds[id(info)] = UNKNOWN  # cycles
        if info.kind == _CLASS_MODEL:
            kind = MODEL
        elif info.kind == _CLASS_LAYER:
            kind = LAYER
        else:
            kind = OTHER
            for base in info.node.bases:
                if base.keyword is not None:
                    continue
                if self._base_is_not_keras(base.value):
                    continue
                kind = UNKNOWN
                break
        self._kinds[id(info)] = kind
        return kind

    def _base_is_not_keras(self, expr: cst.BaseExpression) -> bool:
        """A base known not to make the class a Keras model or layer."""
        qn = self.ctx.qualname(expr)
        if qn is not None:
            return True  # a Keras/TF class that is neither (a Callback, tf.Module ...)
        name = dotted_name(expr)
        if name is None:
            return False
        if name == "object":
            return True
        local = self.classes.by_name.get(name)
        if local:
            return all(self.class_kind(other) == OTHER for other in local)
        ref = self.ctx.project_ref(expr)
        if ref is not None and ref[0] == "c":
            return self.ctx.project.class_kind(ref) is None and self.ctx.project.class_bases_known(ref)
        return name.split(".", 1)[0] in self.foreign and (ref is None or ref[0] != "x")

    def class_named(self, name: str) -> Optional[str]:
        infos = self.classes.by_name.get(name)
        if not infos:
            return None
        kinds = {self.class_kind(i) for i in infos}
        return kinds.pop() if len(kinds) == 1 else UNKNOWN

    def is_callback(self, name: str, seen: Optional[Set[str]] = None) -> bool:
        """A class of this file deriving from ``keras.callbacks.Callback``."""
        seen = seen or set()
        if name in seen:
            return False
        seen.add(name)
        for info in self.classes.by_name.get(name, ()):
            for base in info.node.bases:
                qn = self.ctx.qualname(base.value) if base.keyword is None else None
                if qn is not None and qn.startswith("keras.") and qn.rsplit(".", 1)[-1] == "Callback":
                    return True
                local = dotted_name(base.value)
                if qn is None and local is not None and self.is_callback(local, seen):
                    return True
        return False

    # -- calls --------------------------------------------------------------------------------
    def call_kind(self, func: cst.BaseExpression) -> str:
        """What calling ``func`` gives: MODEL / LAYER / OTHER / UNKNOWN (local functions are
        the callers' business: they know their own assignments)."""
        qn = self.ctx.qualname(func)
        if qn is not None:
            return keras_value_kind(qn)
        name = dotted_name(func)
        if name is None:
            return UNKNOWN
        if name in self.classes.by_name:
            return self.class_named(name) or UNKNOWN
        ref = self.ctx.project_ref(func)
        if ref is not None:
            kind = self._project_kind(ref)
            if kind != UNKNOWN:
                return kind
        if name.split(".", 1)[0] in self.foreign:
            return OTHER
        if isinstance(func, cst.Attribute) and func.attr.value == "get_layer":
            return LAYER
        return UNKNOWN

    def _project_kind(self, ref) -> str:
        project = self.ctx.project
        if ref[0] == "x":
            from ..names import canonical

            return keras_value_kind(canonical(ref[1])) if ref[1].split(".", 1)[0] in TRACKED_ROOTS else UNKNOWN
        if ref[0] == "c":
            kind = project.class_kind(ref)
            return MODEL if kind == _CLASS_MODEL else LAYER if kind == _CLASS_LAYER else UNKNOWN
        facts = project.function(ref)
        if facts is not None:
            return MODEL if facts.ret == "M" else LAYER if facts.ret == "L" else UNKNOWN
        return UNKNOWN

    def param_kind(self, fn: Optional[cst.FunctionDef], param: str) -> Optional[str]:
        """MODEL when the project model saw a call site pass a Keras model to this parameter."""
        project = getattr(self.ctx, "project", None)
        if project is None or fn is None:
            return None
        cls = _enclosing_class_of(self.ctx.module, fn)
        qualname = f"{cls.name.value}.{fn.name.value}" if cls is not None else fn.name.value
        facts = project.own_function(qualname)
        return MODEL if facts is not None and param in facts.models else None


def evidence(ctx, module: cst.Module) -> Evidence:
    found = getattr(ctx, _CACHE_ATTR, None)
    if found is None:
        found = Evidence(ctx, module)
        setattr(ctx, _CACHE_ATTR, found)
    return found


def _all_imports(module: cst.Module):
    from .keras_classes import iter_statements

    for stmt in iter_statements(list(module.body)):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small


def _enclosing_class_of(module: cst.Module, fn: cst.FunctionDef) -> Optional[cst.ClassDef]:
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef) and any(s is fn for s in stmt.body.body):
            return stmt
    return None


# -- asking by scope (KL201, KL202) --------------------------------------------------------------

class KerasObjects:
    """Answers for one file; built at ``leave_Module`` time (all imports known)."""

    def __init__(self, ctx, module: cst.Module) -> None:
        self.ctx = ctx
        self.module = module
        self.evidence = evidence(ctx, module)
        self._class_scopes: Dict[int, List[Scope]] = {}

    def _from_binding(self, b: Binding, scope: Scope, receiver: str) -> Optional[str]:
        if b.kind == PARAM:
            owner = scope.owner if isinstance(scope.owner, cst.FunctionDef) else None
            return self.evidence.param_kind(owner, receiver)
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
            kind = self.evidence.call_kind(value.func)
            return kind if kind in (MODEL, LAYER) else None
        if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Attribute):
            if value.value.attr.value in LAYER_SOURCES:
                return LAYER
        return None

    def classify(self, receiver: str, scope: Scope, before: int, cls: Optional[cst.ClassDef]) -> Optional[str]:
        """MODEL / LAYER / None (no evidence) for ``receiver`` read before statement ``before``."""
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
        kind = self._from_binding(b, scope, receiver) if b is not None else None
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


# -- asking file-wide (KL403, KL404) --------------------------------------------------------------

class ReceiverMixin:
    """Call ``self._receivers_init()`` from ``__init__``; rules that define their own
    ``visit_FunctionDef``/``visit_Assign``/``visit_Return`` must call the mixin's too.
    Ask :meth:`receiver_kind` from ``leave_Module``."""

    def _receivers_init(self) -> None:
        self._assigned: List[Tuple[str, cst.BaseExpression]] = []  # (dotted target, called function)
        self._returns: Dict[str, List[Tuple[str, object]]] = {}  # ("name", dotted) / ("call", func)
        self._functions: Set[str] = set()

    # -- recording ----------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:  # kept for rules that chain to it
        pass

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        pass

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        pass

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.add(node.name.value)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.ctx.enclosing_function()  # type: ignore[attr-defined]
        if fn is None or node.value is None:
            return
        dotted = dotted_name(node.value)
        if dotted is not None:
            self._returns.setdefault(fn.name.value, []).append(("name", dotted))
        elif isinstance(node.value, cst.Call):
            self._returns.setdefault(fn.name.value, []).append(("call", node.value.func))

    def visit_Assign(self, node: cst.Assign) -> None:
        if not isinstance(node.value, cst.Call):
            return
        for target in node.targets:
            dotted = dotted_name(target.target)
            if dotted is not None:
                self._assigned.append((dotted, node.value.func))

    # -- answering (after the traversal) ------------------------------------------------------
    def _evidence(self) -> Evidence:
        return evidence(self.ctx, self.ctx.module)  # type: ignore[attr-defined]

    def _call_kind(self, func: Optional[cst.BaseExpression], callee: Optional[str], depth: int = 0) -> str:
        """KERAS / OTHER / UNKNOWN for a call of ``func`` (or, for a returned call, of the local
        function named ``callee``)."""
        if func is not None:
            kind = self._evidence().call_kind(func)
            if kind != UNKNOWN:
                return KERAS if kind == MODEL else OTHER  # a layer has no fit()
            callee = dotted_name(func)
        if callee is None:
            return UNKNOWN
        if callee in self._returns and depth < 3:
            kinds = set()
            for how, returned in self._returns[callee]:
                if how == "call":
                    kinds.add(self._call_kind(returned, None, depth + 1))  # type: ignore[arg-type]
                else:
                    kinds.add(self._target_kind(returned, depth + 1))  # type: ignore[arg-type]
            if kinds == {KERAS}:
                return KERAS
        return UNKNOWN

    def _target_kind(self, dotted: str, depth: int = 0) -> str:
        kinds = {self._call_kind(func, None, depth) for target, func in self._assigned if target == dotted}
        if not kinds:
            return UNKNOWN
        return kinds.pop() if len(kinds) == 1 else UNKNOWN

    def receiver_kind(self, receiver: cst.BaseExpression, enclosing_class: Optional[str]) -> str:
        """KERAS / OTHER / UNKNOWN for a call's receiver; call only from ``leave_Module``."""
        dotted = dotted_name(receiver)
        if dotted is None:
            return UNKNOWN
        ev = self._evidence()
        if enclosing_class is not None and enclosing_class in ev.classes.by_name:
            if dotted == "self":
                kind = ev.class_named(enclosing_class)
                return KERAS if kind == MODEL else UNKNOWN if kind == UNKNOWN else OTHER
            if dotted == "self.model" and ev.is_callback(enclosing_class):
                return KERAS
        if dotted.split(".", 1)[0] in ev.foreign:
            return OTHER
        return self._target_kind(dotted)

    def defines_function(self, name: str) -> bool:
        """The file defines a function or method of this name (so the name is not unique to Keras)."""
        return name in self._functions

    def imports_keras(self) -> bool:
        return any(v.split(".", 1)[0] in TRACKED_ROOTS for v in self.ctx.imports.bindings.values())  # type: ignore[attr-defined]
