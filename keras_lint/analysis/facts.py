"""A cheap census of one file: which rules could report anything in it.

LibCST builds a full concrete tree at about 0.5 MB/s, and most files of a real project end with
no finding. So before LibCST parses a file, the engine takes this census and asks every enabled
rule's :meth:`Rule.gate` whether the file holds what the rule needs. Only files where some gate
says yes are parsed with LibCST, and only those rules run on them.

The census is built at C speed: CPython's ``ast`` gives the structure (imports, classes, their
bases and methods, read from statements only, never from every expression), and regular
expressions over the source give the words (attribute names, dotted chains, keywords, callees).
Words inside strings and comments count too: the census over-approximates, and that is safe.

A gate states a *necessary condition* of its rule, in the rule's own class, from the rule's own
tables: it may say yes where the rule stays quiet, never no where it would report.
``tests/test_gates.py`` runs every rule's examples, the fixtures and the project fixtures with
gates on and off; ``benchmarks/gates.py`` does the same on any corpus.
"""
from __future__ import annotations

import ast
import re
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from ..names import TRACKED_ROOTS, canonical
from .keras_classes import LAYER, MODEL, keras_class_kind
from .stack import _sets_legacy_keras
from .summary import _blocks, _dotted

_WORD = r"[A-Za-z_][A-Za-z0-9_]*"
_ATTR_RE = re.compile(rf"\.[ \t]*({_WORD})")
_KEYWORD_RE = re.compile(rf"[(,][ \t\r\n\\]*({_WORD})[ \t]*=(?!=)")
_CALLEE_RE = re.compile(rf"({_WORD})[ \t]*\(")
_BLANKS = re.compile(r"[ \t]+")

class Census:
    """What a stretch of source mentions. ``bound``: local name -> the qualified names imports
    bind it to (every one: an import shim binds one name two ways)."""

    __slots__ = ("text", "bound", "_shared", "_refs", "_canonical", "_attrs", "_keywords", "_callees", "defaults")

    def __init__(self, text: str, bound: Dict[str, List[str]], shared: Optional[dict] = None) -> None:
        self.text = text
        self.bound = bound
        self._shared = shared if shared is not None else {}  # the file's censuses share one pattern
        #: word -> how many of the keyword matches in ``text`` are parameter defaults of a ``def``
        #: (``def f(x, constants=None)``), not keyword arguments of a call
        self.defaults: Dict[str, int] = {}
        self._refs: Optional[Set[str]] = None
        self._canonical: Optional[Set[str]] = None
        self._attrs: Optional[Set[str]] = None
        self._keywords: Optional[Set[str]] = None
        self._callees: Optional[Set[str]] = None

    @property
    def refs(self) -> Set[str]:
        """Qualified names reached through imports: every dotted chain (and each of its prefixes)
        whose root an import binds, as written (``tensorflow.compat.v1.Session``)."""
        if self._refs is None:
            refs: Set[str] = set()
            bound = self.bound
            if not bound:
                self._refs = refs
                return refs
            # only chains rooted at a bound name: one pattern per file, much cheaper than every word
            pattern = self._shared.get("chains")
            if pattern is None:
                roots = "|".join(sorted((re.escape(n) for n in bound), key=len, reverse=True))
                pattern = self._shared["chains"] = re.compile(
                    rf"(?<![\w.])(?:{roots})(?![\w])(?:[ \t]*\.[ \t]*{_WORD})*")
            for chain in set(pattern.findall(self.text)):
                parts = _BLANKS.sub("", chain).split(".")
                for base in bound.get(parts[0], ()):
                    refs.add(base)
                    for i in range(1, len(parts)):
                        refs.add(base + "." + ".".join(parts[1: i + 1]))
            self._refs = refs
        return self._refs

    def canonical_refs(self) -> Set[str]:
        if self._canonical is None:
            self._canonical = {canonical(r) for r in self.refs}
        return self._canonical

    def refers(self, predicate: Callable[[str], bool]) -> bool:
        """Some reference, in canonical spelling (``keras.layers.Dense`` for ``tf.keras.layers.Dense``)."""
        return any(predicate(r) for r in self.canonical_refs())

    @property
    def attrs(self) -> Set[str]:
        """Attribute names (``x.fit_generator`` -> ``fit_generator``)."""
        if self._attrs is None:
            self._attrs = set(_ATTR_RE.findall(self.text))
        return self._attrs

    @property
    def keywords(self) -> Set[str]:
        """Keyword argument names of calls (and, harmlessly, of lambdas' defaults)."""
        if self._keywords is None:
            counts: Dict[str, int] = {}
            for word in _KEYWORD_RE.findall(self.text):
                counts[word] = counts.get(word, 0) + 1
            self._keywords = {w for w, n in counts.items() if n > self.defaults.get(w, 0)}
        return self._keywords

    @property
    def callees(self) -> Set[str]:
        """The last name of everything called (``Conv2D`` for ``layers.Conv2D(...)``)."""
        if self._callees is None:
            callees = set(_CALLEE_RE.findall(self.text))
            # an imported alias (`from keras.layers import Dense as D`) counts under its real name too
            callees.update(q.rsplit(".", 1)[-1] for c in list(callees) for q in self.bound.get(c, ()))
            self._callees = callees
        return self._callees

    def calls_of(self, name: str) -> int:
        """How often ``name(`` occurs (a call of a bare name, or its ``class name(`` line)."""
        return len(re.findall(rf"(?<![\w.]){re.escape(name)}[ \t]*\(", self.text))

    def mentions(self, word: str) -> bool:
        return re.search(rf"(?<![\w]){re.escape(word)}(?!\w)", self.text) is not None


class Method:
    __slots__ = ("name", "params", "varkw", "forwards_varkw", "census", "object_default")

    def __init__(self, name: str, params: Tuple[str, ...], varkw: Optional[str], forwards_varkw: bool,
                 census: Census, object_default: bool = False) -> None:
        #: some parameter default is not a plain literal (a call, a name, an attribute, a lambda)
        self.object_default = object_default
        self.name = name
        self.params = params  # every named parameter, self included
        self.varkw = varkw  # the ``**kwargs`` name
        self.forwards_varkw = forwards_varkw  # a ``super().__init__(...)`` call passes ``**something``
        self.census = census  # the method's own source


class ClassInfo:
    __slots__ = ("name", "bases", "methods", "census")

    def __init__(self, name: str, bases: Tuple[str, ...], methods: Dict[str, Method], census: Census) -> None:
        self.name = name
        self.bases = bases  # resolved through imports where an import binds the root, else as written
        self.methods = methods
        self.census = census


class Facts:
    def __init__(self, census: Census, classes: List[ClassInfo], via_project: bool, project_names: Set[str],
                 maybe_tf_keras: Optional[str], imported: Set[str], from_names: Set[str]) -> None:
        self.census = census
        self.classes = classes
        #: modules the file's import statements must import (``import a.b``, ``from a.b import c``)
        self.imported = imported
        #: names from-imported from a tracked library (``keras.layers.Dense``)
        self.from_names = from_names
        #: some import binds Keras or TensorFlow through a project module (the project model says so)
        self.via_project = via_project
        #: the local names of imports that name a project definition the project model knows (a
        #: class, a function, a module): its facts (symbolic parameters, Layer bases) live elsewhere
        self.project_names = project_names
        #: "tf-keras" when the file is judged against tf-keras whatever the run's target (it
        #: imports tf_keras or sets TF_USE_LEGACY_KERAS at module level: analysis/stack.py's rule,
        #: read here on the ast), "both" when it may be, else None
        self.maybe_tf_keras = maybe_tf_keras

    @property
    def project_defs(self) -> bool:
        return bool(self.project_names)

    def subclasses(self, kinds: Iterable[str] = (LAYER, MODEL)) -> List[ClassInfo]:
        """Classes that may derive from a Keras class of one of ``kinds``. The rules only know a
        class's kind through its bases (analysis/keras_classes.py): a Keras class reached through
        the imports, a class of this file that derives from one, or a project class; a base they
        cannot place (a name from an unknown module, ``object``) makes no Keras class."""
        wanted = frozenset(kinds)
        local: Dict[str, List[ClassInfo]] = {}
        for c in self.classes:
            local.setdefault(c.name, []).append(c)
        return [c for c in self.classes if self._derives(c, wanted, local, set())]

    def _derives(self, cls: ClassInfo, kinds: FrozenSet[str], local: Dict[str, List[ClassInfo]], seen: Set[int]) -> bool:
        if id(cls) in seen:
            return False
        seen.add(id(cls))
        for base in cls.bases:
            root = base.split(".", 1)[0]
            if root in TRACKED_ROOTS:
                kind = keras_class_kind(canonical(base))
                if kind in kinds or (kind is None and _unknown_keras_class(base)):
                    return True
            elif root in self.project_names:
                return True
            elif base in local and any(self._derives(b, kinds, local, seen) for b in local[base]):
                return True
        return False


def _unknown_keras_class(base: str) -> bool:
    """A base under a Keras namespace that keras_class_kind does not classify (a private module's
    class): it may still be a layer, so it counts."""
    return ".layers." in base or ".engine." in base or ".models." in base or base.endswith((".Layer", ".Model"))


def take(source: str, tree: ast.Module, view=None) -> Facts:
    """The census of a module (``source`` as text, ``tree`` its ``ast``). ``view``: the file's
    project model view (analysis.project.ModuleView), so that imports of project modules resolve
    as the rules resolve them."""
    return _Taker(source, view).module(tree)


class _Taker:
    def __init__(self, source: str, view) -> None:
        self.source = source
        self.lines: Optional[List[str]] = None
        self.view = view if view is not None and view.known() else None
        self.bound: Dict[str, List[str]] = {}
        self.shared: dict = {}
        self.via_project = False
        self.project_names: Set[str] = set()
        self.imported: Set[str] = set()
        self.from_names: Set[str] = set()

    def module(self, tree: ast.Module) -> Facts:
        classes: List[ast.ClassDef] = []
        functions: List[ast.AST] = []
        docstrings: List[Tuple[int, int, int, int]] = []
        # statements only (imports may sit in any block, classes in any scope)
        todo: List[ast.AST] = list(reversed(tree.body))
        first = tree.body[0] if tree.body else None
        while todo:
            stmt = todo.pop()
            if stmt is first and _is_docstring(stmt):
                docstrings.append(_span(stmt))
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    self.imported.add(alias.name)
                    local = alias.asname or alias.name.split(".", 1)[0]
                    self._bind(local, 0, alias.name if alias.asname else local, None)
                continue
            if isinstance(stmt, ast.ImportFrom):
                if not stmt.level and stmt.module and stmt.module.split(".", 1)[0] in TRACKED_ROOTS:
                    self.imported.add(stmt.module)
                    self.from_names.update(f"{stmt.module}.{a.name}" for a in stmt.names if a.name != "*")
                for alias in stmt.names:
                    if alias.name != "*":
                        self._bind(alias.asname or alias.name, stmt.level, stmt.module, alias.name)
                continue
            if isinstance(stmt, ast.ClassDef):
                classes.append(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append(stmt)
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and _is_docstring(stmt.body[0]):
                docstrings.append(_span(stmt.body[0]))
            todo.extend(reversed(_blocks(stmt)))
        self.source = _blank(self.source, docstrings)
        self.lines = None
        census = Census(self.source, self.bound, self.shared)
        census.defaults = self._def_defaults(functions)
        infos = [self._class(node) for node in classes]
        maybe_tf_keras = self._judged_on_tf_keras(tree)
        return Facts(census, infos, self.via_project, self.project_names, maybe_tf_keras, self.imported,
                     self.from_names)

    def _judged_on_tf_keras(self, tree: ast.Module) -> Optional[str]:
        """analysis/stack.py's ``file_target`` read on the ``ast``: "tf-keras" for a statement
        of the module body that imports tf_keras or sets TF_USE_LEGACY_KERAS (or a project module
        re-exporting tf_keras); "both" for such a statement inside a module-level if/try block
        (stack.py reads those blocks, but not one-line suites, which the ast does not tell apart);
        None otherwise."""
        if self.view is not None and self.view.reexports_root("tf_keras"):
            return "tf-keras"
        if not any(q.split(".", 1)[0] == "tf_keras" for qs in self.bound.values() for q in qs) and \
                "TF_USE_LEGACY_KERAS" not in self.source:
            return None
        found = None
        direct = {id(s) for s in tree.body}
        for stmt in _top_statements(tree.body):
            hit = _imports_tf_keras(stmt)
            if not hit and isinstance(stmt, (ast.Assign, ast.Expr)):
                segment = ast.get_source_segment(self.source, stmt)
                hit = segment is not None and _sets_legacy_keras(segment)
            if hit:
                if id(stmt) in direct:
                    return "tf-keras"
                found = "both"
        return found

    def _def_defaults(self, functions: List[ast.AST]) -> Dict[str, int]:
        """Parameter defaults that the keyword pattern matches (``(name=`` or ``, name=``), found
        exactly where each parameter is, so that only those matches are discounted."""
        found: Dict[str, int] = {}
        if self.lines is None:
            self.lines = self.source.splitlines(keepends=True)
        for fn in functions:
            args = fn.args  # type: ignore[attr-defined]
            positional = list(args.posonlyargs) + list(args.args)
            defaulted = positional[len(positional) - len(args.defaults):] if args.defaults else []
            defaulted += [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            for arg in defaulted:
                if arg.annotation is None and self._keyword_at(arg):
                    found[arg.arg] = found.get(arg.arg, 0) + 1
        return found

    def _keyword_at(self, arg: ast.arg) -> bool:
        """The keyword pattern matches at this parameter: ``name`` then ``=``, after ``(`` or ``,``
        and nothing but blanks and line continuations."""
        lines = self.lines
        assert lines is not None
        if arg.lineno > len(lines):
            return False
        raw = lines[arg.lineno - 1].encode("utf-8", "surrogatepass")
        col = len(raw[: arg.col_offset].decode("utf-8", "surrogatepass"))
        line = lines[arg.lineno - 1]
        if not re.match(rf"{re.escape(arg.arg)}[ \t]*=(?!=)", line[col:]):
            return False
        before = line[:col]
        row = arg.lineno - 1
        while True:
            stripped = before.rstrip(" \t\r\n\\")
            if stripped:
                return stripped[-1] in "(,"
            row -= 1
            if row < 0:
                return False
            before = lines[row]

    def _bind(self, local: str, level: int, module: Optional[str], name: Optional[str]) -> None:
        """As names.ImportMap binds: a tracked library directly, a project module through what the
        project model says it re-exports. Every binding of a name counts (coarse on purpose)."""
        if not level and module and module.split(".", 1)[0] in TRACKED_ROOTS:
            self.bound.setdefault(local, []).append(f"{module}.{name}" if name else module)
            return
        if self.view is None:
            return
        qn = self.view.import_target(level, module, name)
        if qn is not None:
            self.bound.setdefault(local, []).append(qn)
            self.via_project = True
        elif self.view.ref(local) is not None:
            self.project_names.add(local)

    def _text(self, node: ast.AST) -> str:
        if self.lines is None:
            self.lines = self.source.splitlines(keepends=True)
        end = getattr(node, "end_lineno", None) or len(self.lines)
        return "".join(self.lines[node.lineno - 1: end])  # type: ignore[attr-defined]

    def _class(self, node: ast.ClassDef) -> "ClassInfo":
        bases = []
        for b in node.bases:
            text = _dotted(b)
            if text is None:
                bases.append("?")
                continue
            root, _, rest = text.partition(".")
            for qn in self.bound.get(root, ()) or (None,):
                bases.append(f"{qn}.{rest}" if qn and rest else (qn or text))
        methods: Dict[str, Method] = {}
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[item.name] = self._method(item)
        return ClassInfo(node.name, tuple(bases), methods, Census(self._text(node), self.bound, self.shared))

    def _method(self, fn) -> Method:
        args = fn.args
        params = tuple(a.arg for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs))
        varkw = args.kwarg.arg if args.kwarg is not None else None
        text = self._text(fn)
        forwards = varkw is not None and _forwards(fn)
        defaults = list(args.defaults) + [d for d in args.kw_defaults if d is not None]
        object_default = any(not isinstance(d, ast.Constant) for d in defaults)
        return Method(fn.name, params, varkw, forwards, Census(text, self.bound, self.shared), object_default)




def _is_docstring(stmt: ast.AST) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)


def _span(stmt: ast.AST) -> Tuple[int, int, int, int]:
    return (stmt.lineno, stmt.end_lineno or stmt.lineno, stmt.col_offset,  # type: ignore[attr-defined]
            stmt.end_col_offset or 0)  # type: ignore[attr-defined]


def _blank(source: str, ranges: List[Tuple[int, int, int, int]]) -> str:
    """The source with docstrings and whole-line comments emptied, line numbers kept: prose
    there (``tf.contrib was removed``) is no reference. Other strings and trailing comments stay
    (a ``#`` inside a string would make cutting there wrong)."""
    source = _COMMENT_LINE.sub("", source)
    if not ranges:
        return source
    lines = source.splitlines(keepends=True)
    for start, end, col, end_col in ranges:
        # (ast's columns count UTF-8 bytes)
        if end > len(lines) or lines[start - 1].encode("utf-8", "surrogatepass")[:col].strip() or \
                lines[end - 1].encode("utf-8", "surrogatepass")[end_col:].strip():
            continue  # something else shares its first or last line
        for i in range(start - 1, end):
            lines[i] = "\n"
    return "".join(lines)


def _top_statements(body: List[ast.stmt]):
    """As analysis/stack.py reads module-level statements: into if/elif/else and try/except."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _top_statements(stmt.body)
            yield from _top_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _top_statements(handler.body)


def _imports_tf_keras(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import):
        return any(a.name.split(".", 1)[0] == "tf_keras" for a in stmt.names)
    return isinstance(stmt, ast.ImportFrom) and not stmt.level and (stmt.module or "").split(".", 1)[0] == "tf_keras"


def _forwards(fn: ast.AST) -> bool:
    """``super(...).__init__(..., **x)`` somewhere in the method."""
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "__init__" \
                and isinstance(sub.func.value, ast.Call) and isinstance(sub.func.value.func, ast.Name) \
                and sub.func.value.func.id == "super" and any(k.arg is None for k in sub.keywords):
            return True
    return False


def stacks_of(facts: Facts, run_target: str) -> FrozenSet[str]:
    """The stacks the file's rules may judge it against (``ctx.target``)."""
    if run_target == "tf-keras" or facts.maybe_tf_keras == "tf-keras":
        return frozenset({"tf-keras"})
    if facts.maybe_tf_keras == "both":
        return frozenset({"keras3", "tf-keras"})
    return frozenset({"keras3"})
