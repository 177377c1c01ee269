"""One module's summary for the project model: what its names are and how values flow in it.

Built with CPython's ``ast`` (an order of magnitude cheaper than LibCST, and this pass reads files
the run does not lint), and kept as plain JSON data so it can be cached by content hash.

A summary holds the module's imports (relative ones made absolute), ``from x import *`` modules,
top-level aliases (``K = tf.keras.backend``), classes with their base expressions, functions
(top-level, and methods as ``Class.method``) with their parameters and a small statement list,
and the module body's statements. Statements and expressions are kept in a tiny IR that the
project model evaluates (see ``project.py``):

- expressions: ``None`` (a constant or something never symbolic), ``["n", name]``,
  ``["a", base, attr]``, ``["c", func, [args], [[kw, arg]...]]`` (a call; ``kw`` None for ``*``),
  ``["o", [parts]]`` (operators, subscripts, containers, comprehensions: a combination of parts);
- ``dd`` (only in modules that build data-derived tensors, see ``empty_axes.data_facts``): the
  calls of project functions this module's own code gives a tensor KL601 would call
  data-derived (an axis that can be empty), and the functions that return one;
- statements: ``["=", [targets], expr]`` (a target is a name, a list of targets, or None),
  ``["r", expr]`` (return), ``["e", expr]`` (expression statement), ``["f", target, expr]``
  (a ``for`` loop), ``["s", [inputs], [outputs], [[kw, arg]...]]`` (``super().__init__`` in a
  class's ``__init__``: a functional model built in a subclass).
"""
from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

from ..names import TRACKED_ROOTS

Summary = Dict[str, Any]
#: the cache key of summaries (project.py): bump it when the shape of a summary changes
FORMAT = 2


def summarize(source: bytes, modname: str, is_package: bool) -> Optional[Summary]:
    """The summary of one module, or None if Python cannot parse it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    # imported here: empty_axes uses LibCST's walker, whose module imports the project model
    from .empty_axes import ScopeScan, data_facts

    try:
        summarizer = _Summarizer(modname, is_package, ScopeScan)
        summ = summarizer.module(tree)
    except RecursionError:
        return None
    local = set(summ["defs"]) | {n for n, t in summ["imports"].items() if t.split(".", 1)[0] not in TRACKED_ROOTS}
    if any(scan.worth_parsing(local) for scan in summarizer.scans):
        # LibCST, only for the few files that build such values, in the linting helper process:
        # its native parser can crash on valid code that ``ast`` takes (see isolation.py)
        from .. import isolation

        try:
            dd = isolation.run(data_facts, source)
        except isolation.ChildFailed:
            dd = None
        if dd:
            summ["dd"] = dd
    return summ


class _Summarizer:
    def __init__(self, modname: str, is_package: bool, scan_cls) -> None:
        self.scan_cls = scan_cls
        self.modname = modname
        self.package = modname if is_package else modname.rpartition(".")[0]
        self.out: Summary = {"imports": {}, "stars": [], "aliases": {}, "classes": {}, "functions": {},
                             "body": [], "defs": {}}
        #: per scope (module body, function, method), what KL601's data-derived test needs to know
        #: before parsing the file with LibCST (empty_axes.ScopeScan)
        self.scan = scan_cls()
        self.scans: List[Any] = [self.scan]

    # -- module level ---------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> Summary:
        self.top(tree.body)
        return self.out

    def top(self, body: List[ast.stmt]) -> None:
        out = self.out
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.import_(stmt)
            elif isinstance(stmt, ast.ClassDef):
                out["defs"][stmt.name] = "c"
                out["classes"][stmt.name] = [self.expr(b) for b in stmt.bases]
                for item in stmt.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.function(f"{stmt.name}.{item.name}", item, stmt.name)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out["defs"][stmt.name] = "f"
                self.function(stmt.name, stmt, None)
            elif isinstance(stmt, (ast.If, ast.Try)) or type(stmt).__name__ == "TryStar":
                # import shims and guarded definitions: every branch counts
                self.top(_blocks(stmt))
                if isinstance(stmt, ast.If):
                    self.expr(stmt.test)
            else:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                        isinstance(stmt.targets[0], ast.Name) and _dotted(stmt.value) is not None:
                    out["aliases"][stmt.targets[0].id] = _dotted(stmt.value)
                out["body"].extend(self.stmts([stmt]))

    def import_(self, stmt: ast.stmt) -> None:
        imports = self.out["imports"]
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    imports[root] = root
            return
        assert isinstance(stmt, ast.ImportFrom)
        base = self.absolute(stmt.level, stmt.module)
        if base is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                self.out["stars"].append(base)
            else:
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name

    def absolute(self, level: int, module: Optional[str]) -> Optional[str]:
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base)

    def function(self, name: str, fn: ast.AST, cls: Optional[str]) -> None:
        args = fn.args  # type: ignore[attr-defined]
        positional = [a.arg for a in list(args.posonlyargs) + list(args.args)]
        outer, self.scan = self.scan, self.scan_cls()
        self.scans.append(self.scan)
        entry = {"p": positional, "k": [a.arg for a in args.kwonlyargs], "l": fn.lineno,  # type: ignore[attr-defined]
                 "b": self.stmts(fn.body, init=cls)}  # type: ignore[attr-defined]
        self.scan = outer
        decorators = [_dotted(d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list]  # type: ignore[attr-defined]
        if any(d and d.rsplit(".", 1)[-1] == "function" for d in decorators):
            entry["tf"] = 1  # tf.function: runs on real tensors
        self.out["functions"][name] = entry

    # -- statements -----------------------------------------------------------------------------
    def stmts(self, body: List[ast.stmt], init: Optional[str] = None) -> List[Any]:
        out: List[Any] = []
        todo = list(reversed(body))
        while todo:
            stmt = todo.pop()
            if isinstance(stmt, ast.Assign):
                out.append(["=", [self.target(t) for t in stmt.targets], self.expr(stmt.value)])
                self.scan.assign(stmt.targets, stmt.value)
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                if stmt.value is not None:
                    value = self.expr(stmt.value)
                    if isinstance(stmt, ast.AugAssign):
                        value = ["o", [self.expr(stmt.target), value]]
                    out.append(["=", [self.target(stmt.target)], value])
            elif isinstance(stmt, ast.Return):
                self.scan.returns = self.scan.returns or stmt.value is not None
                out.append(["r", self.expr(stmt.value) if stmt.value is not None else None])
            elif isinstance(stmt, ast.Expr):
                sup = self.super_init(stmt.value) if init is not None else None
                out.append(sup if sup is not None else ["e", self.expr(stmt.value)])
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                out.append(["f", self.target(stmt.target), self.expr(stmt.iter)])
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append(["=", [stmt.name], None])  # shadows; nested scopes are not followed
                continue
            elif isinstance(stmt, (ast.If, ast.While)):
                out.append(["e", self.expr(stmt.test)])
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    out.append(["=", [self.target(item.optional_vars) if item.optional_vars is not None else None],
                                None])
            todo.extend(reversed(_blocks(stmt)))
        return out

    def super_init(self, call: ast.expr) -> Optional[List[Any]]:
        """``super().__init__(inputs=..., outputs=...)`` (or positionally)."""
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"
                and isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name)
                and call.func.value.func.id == "super"):
            return None
        kws = {k.arg: k.value for k in call.keywords if k.arg}
        pos = [a for a in call.args if not isinstance(a, ast.Starred)]
        inputs = kws.get("inputs", pos[0] if pos else None)
        outputs = kws.get("outputs", pos[1] if len(pos) > 1 else None)
        if inputs is None or outputs is None:
            return None
        return ["s", self.expr(inputs), self.expr(outputs)]

    def target(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Tuple, ast.List)):
            return [self.target(e) for e in node.elts]
        if isinstance(node, ast.Starred):
            return None
        return None

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, node: Optional[ast.expr]) -> Any:
        if node is None or isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Name):
            return ["n", node.id]
        if isinstance(node, ast.Attribute):
            return ["a", self.expr(node.value), node.attr]
        if isinstance(node, ast.Call):
            self.scan.call(node)
            args = [self.expr(a.value if isinstance(a, ast.Starred) else a) for a in node.args]
            kws = [[k.arg, self.expr(k.value)] for k in node.keywords]
            return ["c", self.expr(node.func), args, kws]
        if isinstance(node, ast.Lambda):
            return None
        if isinstance(node, ast.NamedExpr):
            return self.expr(node.value)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            parts = [self.expr(node.elt)] + [self.expr(g.iter) for g in node.generators]
            return _combo(parts)
        if isinstance(node, ast.Subscript):
            self.scan.subscript(node)
            return _combo([self.expr(node.value)])
        parts = [self.expr(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        if isinstance(node, ast.Dict):
            parts = [self.expr(v) for v in node.values]
        return _combo(parts)


def _combo(parts: List[Any]) -> Any:
    parts = [p for p in parts if p is not None]
    return ["o", parts] if parts else None


def _blocks(stmt: ast.stmt) -> List[ast.stmt]:
    out: List[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list):
            out.extend(block)
    for handler in getattr(stmt, "handlers", ()) or ():
        out.extend(handler.body)
    if type(stmt).__name__ == "Match":
        for case in stmt.cases:  # type: ignore[attr-defined]
            out.extend(case.body)
    return out


def _dotted(node: ast.expr) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
