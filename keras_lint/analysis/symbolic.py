"""Where Keras symbolic tensors flow in model-building code (KL101, KL102).

One analysis per file, run at ``leave_Module`` and cached on the file context. Each scope (the
module body, then every function that builds models) is read statement by statement, in order,
with an environment of local names:

- ``SYM``: a symbolic tensor: what ``Input(...)`` returns, what a layer call returns when one of its
  inputs is symbolic, ``model.output``/``layer.output``, an element of a list of them, Python
  operators and ``keras.ops`` on them;
- ``LIST``: a list/tuple of symbolic tensors (``model.outputs``, ``[a, b]``);
- ``INST``: a layer or model instance (``Dense(3)``, ``Model(...)``, ``model.get_layer(...)``);
- ``RAW``: the result of a raw ``tf.*`` / ``K.*`` op applied to a symbolic value, with the op calls
  it came from (its *origins*).

A raw op is reported when a value carrying it reaches the input of a layer call (``Dense(4)(y)``,
``layer(y)``, ``ClipBoxes(name='c')([a, y])``, ``concatenate([a, y])``) or a ``Model(inputs,
outputs)``. Function parameters start unknown; a parameter becomes symbolic when a call of that
function elsewhere in the file passes a symbolic value there (a few rounds, to a fixed point).
Skipped scopes: methods of Keras Layer/Model classes, ``call``/``__call__`` of classes with
unknown bases, functions decorated with ``tf.function``, and functions used as a ``Lambda`` body.
Flow-insensitive within a statement list, no LibCST metadata.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from ..names import dotted_name
from ..tables.ops import is_raw_op
from ..walk import children
from .keras_classes import LAYER, MODEL, iter_statements, keras_class_kind, keras_classes

SYM, LIST, INST, RAW = "sym", "list", "inst", "raw"
INSTS = "insts"  # a list of layer instances: model.layers
NOTHING: FrozenSet[cst.CSTNode] = frozenset()

# (kind, origins): origins are the raw op calls (and parameters) a value derives from
Val = Optional[Tuple[str, FrozenSet[cst.CSTNode]]]

FUNCTIONAL_MERGES = frozenset({"concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum",
                               "dot"})
MODEL_CTORS = frozenset({"keras.Model", "keras.models.Model", "keras.engine.training.Model",
                         "keras.engine.Model", "keras.Functional"})
INSTANCE_FACTORIES = frozenset({"keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model",
                                "keras.models.model_from_json", "keras.Sequential", "keras.models.Sequential"})
INPUT_CTORS = frozenset({"keras.Input", "keras.layers.Input", "keras.engine.input_layer.Input",
                         "keras.engine.topology.Input"})
MAX_ROUNDS = 8
_CACHE_ATTR = "_kl_symbolic"


def _is_symbolic(val: Val) -> bool:
    return val is not None and val[0] in (SYM, LIST, RAW)


def _origins(val: Val) -> FrozenSet[cst.CSTNode]:
    return val[1] if val is not None else NOTHING


class Consumer:
    """The layer or model a raw op's result reaches: a node of this file, or a place in another
    module of the project (``path``/``function``, from the project model)."""
    __slots__ = ("text", "node", "path", "function")

    def __init__(self, text: str, node: Optional[cst.CSTNode] = None, path: Optional[str] = None,
                 function: Optional[str] = None) -> None:
        self.text = text
        self.node = node
        self.path = path
        self.function = function

    @classmethod
    def from_project(cls, where) -> "Consumer":
        path, function, text = where
        return cls(text, None, path, function)


class Finding:
    __slots__ = ("op", "qualname", "scope_values", "scope", "consumer")

    def __init__(self, op: cst.Call, qualname: str, scope_values: Dict[int, Val],
                 scope: Optional[cst.FunctionDef], consumer: Optional[Consumer] = None) -> None:
        self.op = op
        self.scope = scope
        self.qualname = qualname
        self.scope_values = scope_values  # value of every evaluated node of the op's scope, by id
        self.consumer = consumer


class SymbolicAnalysis:
    def __init__(self, module: cst.Module, ctx) -> None:
        self.ctx = ctx
        self.classes = keras_classes(module, ctx)
        self.raw_findings: Dict[int, Finding] = {}  # KL101, by id of the op call
        self.slice_findings: Dict[int, Tuple[cst.Subscript, Optional[cst.FunctionDef]]] = {}  # KL102
        self.functions: Dict[str, List[cst.FunctionDef]] = {}
        self.lambda_bodies: Set[str] = set()
        self.sym_params: Dict[int, Set[str]] = {}  # id(FunctionDef) -> parameter names known symbolic
        self.returns: Dict[str, Val] = {}
        self.op_scopes: Dict[int, "_Scope"] = {}
        self.op_names: Dict[int, str] = {}  # id(raw op call) -> its canonical name
        self.pending: List[Tuple[FrozenSet[cst.CSTNode], cst.Param]] = []  # raw values passed to parameters
        self.project = getattr(ctx, "project", None)
        self.qualnames: Dict[int, str] = {}  # id(FunctionDef) -> "f" / "Class.f", as the project model names it
        self.param_consumers: Dict[int, Consumer] = {}  # id(Param) -> what consumes it
        self.sunk_params: Set[int] = set()  # ids of Param nodes whose value reaches a layer or Model  # id(raw op call) -> the scope it is written in  # function name -> what it returns (symbolic kinds only)
        self._scopes: List[Tuple[Optional[cst.FunctionDef], List[cst.CSTNode]]] = []
        self._collect(module)
        self._run()

    # -- which scopes -----------------------------------------------------------------------------
    def _collect(self, module: cst.Module) -> None:
        self._scopes.append((None, list(module.body)))
        todo: List[Tuple[cst.CSTNode, Optional[cst.ClassDef]]] = [(stmt, None) for stmt in module.body]
        while todo:
            stmt, cls = todo.pop()
            if isinstance(stmt, cst.ClassDef):
                todo.extend((s, stmt) for s in stmt.body.body)
                continue
            if isinstance(stmt, cst.FunctionDef):
                self.functions.setdefault(stmt.name.value, []).append(stmt)
                if cls is None and stmt in module.body:
                    self.qualnames[id(stmt)] = stmt.name.value
                elif cls is not None and cls in module.body and stmt in cls.body.body:
                    self.qualnames[id(stmt)] = f"{cls.name.value}.{stmt.name.value}"
                if self._builds_models(stmt, cls):
                    self._scopes.append((stmt, list(stmt.body.body)))
                todo.extend((s, None) for s in _inner_statements(stmt))
                continue
            todo.extend((inner, cls) for inner in _inner_statements(stmt))

    def note_lambda(self, call: cst.Call) -> None:
        """``Lambda(fn, ...)``: ``fn`` is a Lambda body; findings inside it are dropped at the end."""
        fn = call.args[0].value if call.args and call.args[0].keyword is None else None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "function":
                fn = arg.value
        if isinstance(fn, cst.Name):
            self.lambda_bodies.add(fn.value)

    def _builds_models(self, fn: cst.FunctionDef, cls: Optional[cst.ClassDef]) -> bool:
        for deco in fn.decorators:
            target = deco.decorator.func if isinstance(deco.decorator, cst.Call) else deco.decorator
            qn = self.ctx.qualname(target)
            if qn is not None and qn.startswith("tensorflow.function"):
                return False
        if cls is not None:
            infos = [i for i in self.classes.by_name.get(cls.name.value, ()) if i.node is cls]
            info = infos[0] if infos else None
            if info is not None and info.kind == MODEL and fn.name.value == "__init__" and _builds_functional(fn):
                return True  # a functional model built in a Model subclass (the Model Garden pattern)
            if info is not None and info.kind in (LAYER, MODEL):
                return False
            if (info is None or not info.bases_known) and fn.name.value in ("call", "__call__"):
                return False
        return True

    # -- running ----------------------------------------------------------------------------------
    def _run(self) -> None:
        module_env: Dict[str, Val] = {}
        for round_ in range(MAX_ROUNDS):
            self.pending = []
            before = ({k: set(v) for k, v in self.sym_params.items()}, dict(self.returns))
            for fn, body in self._scopes:
                env: Dict[str, Val] = {}
                if fn is not None:
                    env.update({k: v for k, v in module_env.items() if v is not None and v[0] == INST})
                    known = set(self.sym_params.get(id(fn), ()))
                    facts = self.own_facts(fn)
                    if facts is not None:
                        known |= facts.sym
                    for p in _params(fn):
                        name = p.name.value
                        env[name] = (SYM, frozenset({p})) if name in known else None
                scope = _Scope(self, env, fn)
                scope.run(body)
                if fn is None:
                    module_env = scope.env
            if ({k: set(v) for k, v in self.sym_params.items()}, self.returns) == before:
                break
        self.resolve_pending()
        self.raw_findings = {k: f for k, f in self.raw_findings.items()
                             if f.scope is None or f.scope.name.value not in self.lambda_bodies}
        self.slice_findings = {k: (sub, fn) for k, (sub, fn) in self.slice_findings.items()
                               if fn is None or fn.name.value not in self.lambda_bodies}

    def own_facts(self, fn: Optional[cst.FunctionDef]):
        """The project model's facts about one of this file's functions (callers elsewhere)."""
        if self.project is None or fn is None:
            return None
        qualname = self.qualnames.get(id(fn))
        return self.project.own_function(qualname) if qualname is not None else None

    def note_call_site(self, fn_name: str, call: cst.Call, arg_vals: List[Val]) -> None:
        """A call of one of the file's functions: its parameters that receive symbolic values
        become symbolic; raw values passed there are reported if that parameter reaches a layer."""
        for fn in self.functions.get(fn_name, ()):
            positional = list(fn.params.posonly_params) + list(fn.params.params)
            by_name = {p.name.value: p for p in positional + list(fn.params.kwonly_params)}
            pos = 0
            for arg, val in zip(call.args, arg_vals):
                if arg.star:
                    break
                if arg.keyword is not None:
                    param = by_name.get(arg.keyword.value)
                else:
                    param = positional[pos] if pos < len(positional) else None
                    pos += 1
                if param is None or not _is_symbolic(val):
                    continue
                self.sym_params.setdefault(id(fn), set()).add(param.name.value)
                if val[1]:  # type: ignore[index]
                    self.pending.append((val[1], param))  # type: ignore[index]

    def resolve_pending(self) -> None:
        """Raw values passed to parameters that reach a layer (through any chain of helpers)."""
        changed = True
        while changed:
            changed = False
            for origins, param in self.pending:
                if id(param) not in self.sunk_params:
                    continue
                consumer = self.param_consumers.get(id(param))
                for origin in origins:
                    if isinstance(origin, cst.Param):
                        if id(origin) not in self.sunk_params:
                            self.sunk_params.add(id(origin))
                            if consumer is not None:
                                self.param_consumers.setdefault(id(origin), consumer)
                            changed = True
                    elif id(origin) not in self.raw_findings:
                        self.add_finding(origin, consumer)

    def add_finding(self, op: cst.Call, consumer: Optional[Consumer] = None) -> None:
        home = self.op_scopes.get(id(op))
        if home is not None:
            self.raw_findings[id(op)] = Finding(op, self.op_names.get(id(op)) or self.ctx.qualname(op.func) or "",
                                               home.values, home.fn, consumer)

    def sink_origins(self, origins: FrozenSet[cst.CSTNode], consumer: Consumer) -> None:
        for origin in origins:
            if isinstance(origin, cst.Param):
                self.sunk_params.add(id(origin))
                self.param_consumers.setdefault(id(origin), consumer)
            elif id(origin) not in self.raw_findings:
                self.add_finding(origin, consumer)


def _params(fn: cst.FunctionDef) -> List[cst.Param]:
    p = fn.params
    out = list(p.posonly_params) + list(p.params) + list(p.kwonly_params)
    out.extend(star for star in (p.star_arg, p.star_kwarg) if isinstance(star, cst.Param))
    return out


def _inner_statements(stmt: cst.CSTNode) -> List[cst.CSTNode]:
    out: List[cst.CSTNode] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if block is None or isinstance(block, (list, tuple)):
            continue
        if isinstance(block, cst.If):
            out.append(block)
        elif isinstance(block, (cst.Else, cst.Finally)):
            out.extend(block.body.body)
        elif isinstance(block, cst.BaseSuite):
            out.extend(block.body)
    for handler in getattr(stmt, "handlers", ()) or ():
        out.extend(handler.body.body)
    return out


class _Scope:
    def __init__(self, analysis: SymbolicAnalysis, env: Dict[str, Val], fn: Optional[cst.FunctionDef]) -> None:
        self.fn = fn
        self.a = analysis
        self.ctx = analysis.ctx
        self.env = env
        self.values: Dict[int, Val] = {}

    # -- statements -------------------------------------------------------------------------------
    def run(self, body: List[cst.CSTNode]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            self.env.pop(stmt.name.value, None)
            return
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
            return
        if isinstance(stmt, (cst.For,)):
            self.bind_loop(stmt.target, stmt.iter)
        elif isinstance(stmt, (cst.If, cst.While)):
            self.ev(stmt.test)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                val = self.ev(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, None if val is None or val[0] != INST else val)
        for inner in _inner_statements(stmt):
            self.statement(inner)

    def small(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.Assign):
            val = self.ev(node.value)
            for target in node.targets:
                self.bind(target.target, val, node.value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.ev(node.value), node.value)
        elif isinstance(node, cst.AugAssign):
            val = self.ev(node.value)
            if isinstance(node.target, cst.Name):
                old = self.env.get(node.target.value)
                self.env[node.target.value] = _combine([old, val])
        elif isinstance(node, cst.Expr):
            self.ev(node.value)
        elif isinstance(node, cst.Return):
            if node.value is not None:
                val = self.ev(node.value)
                if self.fn is not None and _is_symbolic(val):
                    name = self.fn.name.value
                    self.a.returns[name] = _merge(self.a.returns.get(name), val)
                    facts = self.a.own_facts(self.fn)
                    if facts is not None and facts.ret_sunk and facts.sink_where is not None:
                        self.a.sink_origins(_origins(val), Consumer.from_project(facts.sink_where))
        else:
            for child in children(node):
                if isinstance(child, cst.BaseExpression):
                    self.ev(child)

    def bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        """``for t in xs``, ``for i, t in enumerate(xs)``, ``for a, b in zip(xs, ys)``."""
        it = self.ev(iterable)
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and \
                iterable.func.value in ("enumerate", "zip") and isinstance(target, (cst.Tuple, cst.List)):
            sources = [self.values.get(id(a.value)) for a in iterable.args if a.keyword is None and not a.star]
            if iterable.func.value == "enumerate":
                sources = [None] + sources[:1]
            elems = [e.value for e in target.elements]
            if len(sources) == len(elems):
                for elem, src in zip(elems, sources):
                    self.bind(elem, (SYM, _origins(src)) if src is not None and src[0] == LIST else None)
                return
        self.bind(target, (SYM, _origins(it)) if it is not None and it[0] == LIST else None)

    def bind(self, target: cst.BaseExpression, val: Val, value: Optional[cst.BaseExpression] = None) -> None:
        if isinstance(target, cst.Name):
            self.env[target.value] = val
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = target.elements
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elems) and \
                    not any(isinstance(e, cst.StarredElement) for e in elems):
                for e, v in zip(elems, value.elements):
                    self.bind(e.value, self.values.get(id(v.value)))
                return
            elem_val: Val = None
            if val is not None and val[0] in (SYM, LIST, RAW):
                elem_val = (RAW if val[0] == RAW else SYM, val[1])
            for e in elems:
                self.bind(e.value, elem_val)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, None)
        # attributes / subscripts: not tracked

    # -- expressions ------------------------------------------------------------------------------
    def ev(self, node: cst.BaseExpression) -> Val:
        val = self._ev(node)
        self.values[id(node)] = val
        return val

    def _ev(self, node: cst.BaseExpression) -> Val:
        if isinstance(node, cst.Name):
            return self.env.get(node.value)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Attribute):
            base = self.ev(node.value)
            attr = node.attr.value
            if base is not None and base[0] == INST:
                if attr in ("output", "input"):
                    return (SYM, NOTHING)
                if attr in ("outputs", "inputs"):
                    return (LIST, NOTHING)
                if attr == "layers":
                    return (INSTS, NOTHING)
            return None
        if isinstance(node, cst.Subscript):
            base = self.ev(node.value)
            for el in node.slice:
                if isinstance(el.slice, cst.Index):
                    self.ev(el.slice.value)
            if base is not None and base[0] in (SYM, LIST):
                return (SYM, base[1])
            if base is not None and base[0] == INSTS:
                return (INST, NOTHING) if not _is_slice(node) else base
            if base is not None and base[0] == RAW:
                return base
            return None
        if isinstance(node, (cst.BinaryOperation, cst.Comparison, cst.BooleanOperation)):
            parts = ([node.left, node.right] if isinstance(node, (cst.BinaryOperation, cst.BooleanOperation))
                     else [node.left] + [c.comparator for c in node.comparisons])
            vals = [self.ev(p) for p in parts]
            return _combine(vals, operator=True)
        if isinstance(node, cst.UnaryOperation):
            return _combine([self.ev(node.expression)], operator=True)
        if isinstance(node, cst.IfExp):
            self.ev(node.test)
            return _combine([self.ev(node.body), self.ev(node.orelse)], operator=True)
        if isinstance(node, (cst.List, cst.Tuple)):
            vals = [self.ev(e.value) for e in node.elements]
            if any(_is_symbolic(v) for v in vals):
                origins = frozenset().union(*(_origins(v) for v in vals))
                return (LIST, origins)
            return None
        if isinstance(node, cst.Dict):
            vals = [self.ev(e.value) for e in node.elements]
            for e in node.elements:
                if isinstance(e, cst.DictElement):
                    self.ev(e.key)
            if any(_is_symbolic(v) for v in vals):
                return (LIST, frozenset().union(*(_origins(v) for v in vals)))
            return None
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return self.comprehension(node)
        if isinstance(node, (cst.Lambda,)):
            return None
        if isinstance(node, cst.NamedExpr):
            val = self.ev(node.value)
            self.bind(node.target, val)
            return val
        for child in children(node):
            if isinstance(child, cst.BaseExpression):
                self.ev(child)
            elif isinstance(child, (cst.Element, cst.DictElement, cst.StarredDictElement, cst.Arg,
                                    cst.FormattedStringExpression)):
                for sub in children(child):
                    if isinstance(sub, cst.BaseExpression):
                        self.ev(sub)
        return None

    def comprehension(self, node) -> Val:
        saved = dict(self.env)
        clause = node.for_in
        while clause is not None:
            self.bind_loop(clause.target, clause.iter)
            for cond in clause.ifs:
                self.ev(cond.test)
            clause = clause.inner_for_in
        elt = self.ev(node.elt)
        self.env = saved
        return (LIST, _origins(elt)) if _is_symbolic(elt) else None

    # -- calls ------------------------------------------------------------------------------------
    def call(self, node: cst.Call) -> Val:
        func = node.func
        qn = self.ctx.qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        # a layer instance made and called at once: Dense(4)(x), ClipBoxes(name='clip')([a, b])
        func_val = self.ev(func) if not isinstance(func, cst.Name) or func.value in self.env else None
        arg_vals = [self.ev(a.value) for a in node.args]
        if func_val is not None and func_val[0] == INST:
            return self.layer_call(node, arg_vals)
        if qn is not None:
            return self.known_call(node, qn, arg_vals)
        name = dotted_name(func)
        if name is not None and "." not in name:
            if self.a.classes.is_layer_class_name(name):
                return (INST, NOTHING)
            if name in self.a.functions:
                self.a.note_call_site(name, node, arg_vals)
                return self.a.returns.get(name)
        if _is_super_init(func) and self.fn is not None and self.fn.name.value == "__init__":
            # super().__init__(inputs=..., outputs=...) in a Model subclass: a Model(...) call
            self.sink(node.args, arg_vals, model=True, consumer=self.consumer(node, "the model's `super().__init__`"))
            return None
        if name is not None and name.split(".", 1)[0] not in self.env:
            ref = self.ctx.project_ref(func)
            if ref is not None:
                return self.project_call(node, ref, arg_vals)
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend", "insert") and \
                isinstance(func.value, cst.Name) and arg_vals and _is_symbolic(arg_vals[-1]):
            # outputs.append(y): the list now holds symbolic values
            old = self.env.get(func.value.value)
            if old is None or old[0] in (LIST, SYM, RAW):
                self.env[func.value.value] = (LIST, _origins(old) | _origins(arg_vals[-1]))
            return None
        if isinstance(func, cst.Attribute) and func.attr.value == "get_layer":
            base = self.values.get(id(func.value))
            if base is not None and base[0] == INST:
                return (INST, NOTHING)
        return None

    def project_call(self, node: cst.Call, ref, arg_vals: List[Val]) -> Val:
        """A call of a name of another project module (or a re-export of Keras/TensorFlow)."""
        project = self.a.project
        if ref[0] == "x":
            from ..names import canonical

            return self.known_call(node, canonical(ref[1]), arg_vals)
        if ref[0] == "c":
            return (INST, NOTHING) if project.class_kind(ref) in (LAYER, MODEL) else None
        facts = project.function(ref)
        if facts is None:
            return None
        if facts.sunk and facts.sink_where is not None:
            params = list(facts.params)
            pos = 0
            for arg, val in zip(node.args, arg_vals):
                if arg.star:
                    break
                if arg.keyword is not None:
                    param = arg.keyword.value
                else:
                    param = params[pos] if pos < len(params) else None
                    pos += 1
                if param in facts.sunk and val is not None and val[1]:
                    self.a.sink_origins(val[1], Consumer.from_project(facts.sink_where))
        if facts.ret == "S" and any(_is_symbolic(v) for v in arg_vals):
            return (SYM, NOTHING)
        if facts.ret in ("M", "L"):
            return (INST, NOTHING)
        return None

    def consumer(self, node: cst.Call, text: Optional[str] = None) -> Consumer:
        if text is None:
            func = node.func
            while isinstance(func, cst.Call):
                func = func.func
            text = f"`{dotted_name(func) or 'a layer'}`"
        return Consumer(text, node)

    def known_call(self, node: cst.Call, qn: str, arg_vals: List[Val]) -> Val:
        if qn in INPUT_CTORS:
            return (SYM, NOTHING)
        if qn in MODEL_CTORS:
            self.sink(node.args, arg_vals, model=True, consumer=self.consumer(node))
            return (INST, NOTHING)
        if qn in INSTANCE_FACTORIES or qn.startswith("keras.applications."):
            return (INST, NOTHING)
        if qn.startswith("keras.layers."):
            if qn == "keras.layers.Lambda":
                self.a.note_lambda(node)
            last = qn.rsplit(".", 1)[1]
            if last in FUNCTIONAL_MERGES:
                return self.layer_call(node, arg_vals)
            if keras_class_kind(qn) is not None:
                return (INST, NOTHING)
            return None
        if qn.startswith(("keras.ops.", "keras.activations.")):
            return _combine(arg_vals, operator=True)
        if is_raw_op(qn):
            touched = [v for v in arg_vals if _is_symbolic(v)]
            if not touched:
                return None
            self.a.op_scopes[id(node)] = self
            self.a.op_names[id(node)] = qn
            return (RAW, frozenset().union(*(_origins(v) for v in touched)) | {node})
        return None

    def layer_call(self, node: cst.Call, arg_vals: List[Val]) -> Val:
        self.sink(node.args, arg_vals, model=False, consumer=self.consumer(node))
        if any(_is_symbolic(v) for v in arg_vals):
            return (SYM, NOTHING)
        return None

    def sink(self, args: List[cst.Arg], vals: List[Val], model: bool, consumer: Consumer) -> None:
        """Values reaching a layer's input or a Model's inputs/outputs."""
        for arg, val in zip(args, vals):
            if model and arg.keyword is not None and arg.keyword.value not in ("inputs", "outputs", "input", "output"):
                continue
            self.a.sink_origins(_origins(val), consumer)
            if not model:
                for sub in _direct_elements(arg.value):
                    if isinstance(sub, cst.Subscript) and _is_slice(sub):
                        base = self.values.get(id(sub.value))
                        if base is not None and base[0] == SYM:
                            self.a.slice_findings[id(sub)] = (sub, self.fn)


def _is_super_init(func: cst.BaseExpression) -> bool:
    return (isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name) and func.value.func.value == "super")


def _builds_functional(fn: cst.FunctionDef) -> bool:
    """``__init__`` calls ``super().__init__(inputs=..., outputs=...)`` (or two positional args)."""
    for stmt in iter_statements(list(fn.body.body)):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            call = small.value if isinstance(small, cst.Expr) else None
            if isinstance(call, cst.Call) and _is_super_init(call.func):
                kws = {a.keyword.value for a in call.args if a.keyword is not None}
                positional = [a for a in call.args if a.keyword is None and not a.star]
                if {"inputs", "outputs"} <= kws or len(positional) >= 2:
                    return True
    return False


def _direct_elements(expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [e.value for e in expr.elements]
    return [expr]


def _is_slice(node: cst.Subscript) -> bool:
    """``x[:, 7:11]``, ``x[..., 0]``, ``x[1:]``: a slice, or several indices (a plain ``x[0]`` may
    just pick an element of a list of outputs)."""
    return len(node.slice) > 1 or any(isinstance(el.slice, cst.Slice) for el in node.slice)


def _merge(old: Val, new: Val) -> Val:
    """Two possible values of one function's result."""
    if old is None:
        return new
    kind = old[0] if old[0] == new[0] else (RAW if RAW in (old[0], new[0]) else SYM)  # type: ignore[index]
    return (kind, old[1] | new[1])  # type: ignore[index]


def _combine(vals: List[Val], operator: bool = False) -> Val:
    """Python operators and keras.ops on symbolic values give symbolic values (Keras overloads
    them); a raw result stays raw."""
    origins = frozenset().union(*(_origins(v) for v in vals if v is not None and v[0] in (RAW, SYM, LIST)))
    if any(v is not None and v[0] == RAW for v in vals):
        return (RAW, origins)
    if any(v is not None and v[0] in (SYM, LIST) for v in vals):
        return (SYM, origins)
    return None


def symbolic_analysis(module: cst.Module, ctx) -> SymbolicAnalysis:
    cached = getattr(ctx, _CACHE_ATTR, None)
    if cached is None:
        cached = SymbolicAnalysis(module, ctx)
        setattr(ctx, _CACHE_ATTR, cached)
    return cached
