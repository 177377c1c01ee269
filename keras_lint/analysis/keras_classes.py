"""Which classes of a file are Keras Layers or Models (KL101, KL301-KL303).

Works from the module alone, at ``leave_Module`` (every import is registered by then): a
statement-level walk finds every ``class`` (nested ones too), and a class is a Keras layer when a
base resolves through the file's imports to a Keras layer class (``keras.layers.Layer``,
``keras.layers.Dense``, ``keras.engine.topology.Layer``, ... under any of ``keras``, ``tf.keras``,
``tf_keras``), or is a class of the same file that is one, or (through the project model,
``ctx.project``) a class of another project module that is one.
The result is cached on the file context, so several rules share one walk.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from ..names import dotted_name

LAYER, MODEL = "layer", "model"
KNOWN, UNKNOWN = "known", "unknown"  # whether every base of a class is understood

MODEL_NAMES = frozenset({"Model", "Sequential", "Functional", "Trainer"})
NOT_LAYERS = frozenset({"InputSpec", "Input"})
_CACHE_ATTR = "_kl_keras_classes"


def keras_class_kind(qualname: Optional[str]) -> Optional[str]:
    """LAYER / MODEL for a canonical qualified name of a Keras layer or model class, else None."""
    if qualname is None or not qualname.startswith("keras."):
        return None
    last = qualname.rsplit(".", 1)[-1]
    if last in MODEL_NAMES or last.endswith("Trainer"):  # JAXTrainer, TensorFlowTrainer: model mixins
        return MODEL
    if last == "Layer":
        return LAYER
    stripped = last.lstrip("_")
    if ".layers." in qualname and stripped[:1].isupper() and last not in NOT_LAYERS:
        return LAYER
    return None


def iter_statements(body: List[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every statement under ``body``, compound statements' inner blocks included (depth first)."""
    todo = list(reversed(body))
    while todo:
        stmt = todo.pop()
        yield stmt
        for inner in reversed(_blocks(stmt)):
            todo.extend(reversed(inner))


def _blocks(stmt: cst.CSTNode) -> List[List[cst.CSTNode]]:
    out: List[List[cst.CSTNode]] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, cst.BaseSuite):
            out.append(list(block.body) if isinstance(block, cst.IndentedBlock) else list(block.body))
        elif isinstance(block, (cst.Else, cst.If, cst.Finally)):
            out.extend(_blocks(block) if isinstance(block, cst.If) else [list(block.body.body)])
    for handler in getattr(stmt, "handlers", ()) or ():
        out.append(list(handler.body.body))
    if isinstance(stmt, cst.Match):
        for case in stmt.cases:
            out.append(list(case.body.body))
    return out


class ClassInfo:
    __slots__ = ("node", "name", "kind", "bases_known", "methods", "keras_bases", "inherited", "project_keras_bases")

    def __init__(self, node: cst.ClassDef) -> None:
        self.node = node
        self.name = node.name.value
        self.kind: Optional[str] = None
        self.bases_known = True
        self.keras_bases: List[str] = []  # qualified names of the Keras classes it derives from
        self.methods: Dict[str, cst.FunctionDef] = {}
        self.inherited: Set[str] = set()  # methods defined by its bases in other project modules
        self.project_keras_bases: List[str] = []  # Keras classes those bases derive from
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                self.methods[stmt.name.value] = stmt


class KerasClasses:
    """Every class of the file with its kind (LAYER, MODEL or None)."""

    def __init__(self, module: cst.Module, ctx) -> None:
        self.ctx = ctx
        self.by_name: Dict[str, List[ClassInfo]] = {}
        self.infos: List[ClassInfo] = []
        for stmt in iter_statements(list(module.body)):
            if isinstance(stmt, cst.ClassDef):
                info = ClassInfo(stmt)
                self.infos.append(info)
                self.by_name.setdefault(info.name, []).append(info)
        self._resolving: set = set()
        self._done: set = set()
        for info in self.infos:
            self._resolve(info)

    def _resolve(self, info: ClassInfo) -> None:
        if id(info) in self._done or id(info) in self._resolving:
            return
        self._resolving.add(id(info))
        for base in info.node.bases:
            if base.keyword is not None:
                continue  # metaclass=...
            kind, known = self.base_kind(base.value)
            self._note_project_base(info, base.value)
            if kind == MODEL or (kind is not None and info.kind is None):
                info.kind = kind  # a layer mixed with a model class (a Trainer) is a model
            if not known:
                info.bases_known = False
        self._resolving.discard(id(info))
        self._done.add(id(info))

    def _note_project_base(self, info: ClassInfo, expr: cst.BaseExpression) -> None:
        """What a base from another project module brings: its methods, its Keras bases."""
        if getattr(self.ctx, "project", None) is None or self.ctx.qualname(expr) is not None:
            return
        name = dotted_name(expr)
        if name is None or name in self.by_name:
            return
        ref = self.ctx.project_ref(expr)
        if ref is not None and ref[0] == "c":
            methods, keras_bases = self.ctx.project.class_chain(ref)
            info.inherited |= methods
            info.project_keras_bases.extend(keras_bases)

    def base_kind(self, expr: cst.BaseExpression) -> Tuple[Optional[str], bool]:
        """(kind, known) of a base class expression."""
        qn = self.ctx.qualname(expr)
        if qn is not None:
            return keras_class_kind(qn), True
        name = dotted_name(expr)
        if name == "object":
            return None, True
        if name is not None and name in self.by_name:
            kinds = []
            known = True
            for other in self.by_name[name]:
                self._resolve(other)
                kinds.append(other.kind)
                known = known and other.bases_known
            kind = next((k for k in kinds if k is not None), None)
            return kind, known
        ref = self.ctx.project_ref(expr) if getattr(self.ctx, "project", None) is not None else None
        if ref is not None and ref[0] in ("x", "c"):
            # a class of another project module (or a Keras class re-exported by one)
            kind = self.ctx.project.class_kind(ref)
            if kind is not None:
                return kind, ref[0] == "x" or self.ctx.project.class_bases_known(ref)
        return None, False

    def keras_bases(self, info: ClassInfo) -> List[str]:
        """Qualified names of the Keras classes ``info`` derives from, directly or through the
        file's own classes."""
        out = []
        for cls in [info] + list(self.local_bases(info)):
            out.extend(cls.project_keras_bases)
            for base in cls.node.bases:
                qn = self.ctx.qualname(base.value) if base.keyword is None else None
                if qn is not None and keras_class_kind(qn) is not None:
                    out.append(qn)
        return out

    def local_bases(self, info: ClassInfo) -> Iterator[ClassInfo]:
        """The file's own classes ``info`` derives from, transitively."""
        seen = {id(info)}
        todo = [info]
        while todo:
            cur = todo.pop()
            for base in cur.node.bases:
                name = dotted_name(base.value) if base.keyword is None else None
                if name is None or self.ctx.qualname(base.value) is not None:
                    continue
                for other in self.by_name.get(name, ()):
                    if id(other) not in seen:
                        seen.add(id(other))
                        yield other
                        todo.append(other)

    def is_layer_class_name(self, name: str) -> bool:
        return any(i.kind in (LAYER, MODEL) for i in self.by_name.get(name, ()))


def keras_classes(module: cst.Module, ctx) -> KerasClasses:
    cached = getattr(ctx, _CACHE_ATTR, None)
    if cached is None:
        cached = KerasClasses(module, ctx)
        setattr(ctx, _CACHE_ATTR, cached)
    return cached


