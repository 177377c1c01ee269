"""The project model: what the names of every module of a project are, across files.

Built once per run (per project root) from module summaries (``summary.py``, CPython ``ast``,
cached by content hash), before any rule runs. Rules ask it through a :class:`ModuleView` (the
file's ``ctx.project``), never by reading other files themselves. It answers:

- what a name of a module refers to, following imports, ``from x import *`` and top-level aliases
  through the project's own modules: ``from mypkg.backend import layers`` is ``tensorflow.keras.layers``
  when ``mypkg/backend.py`` re-exports it; a project function; a project class; a module;
- whether a project class is a Keras Layer or Model (its bases, followed across modules);
- per function: which parameters receive Keras symbolic tensors (or models) at some call site
  anywhere in the project, which parameters reach a layer or model input, what it returns (a
  symbolic tensor, a model, a layer), and whether its return value reaches a layer or model input
  in some caller;
- per function: which parameters receive a data-derived tensor (KL601's evidence, an axis that can
  be empty, found by ``empty_axes.ShapeFlow`` in the caller's module and recorded in its summary,
  or such a value passed on unchanged through parameters and return values), and whether it
  returns one.

The facts come from a small abstract interpretation of the summaries' statement IR, iterated to a
fixed point over the call graph. It is deliberately coarse (flow-insensitive, one context per
function); the rules' own per-file analysis stays the precise part, the project model only tells
it what the other files say.

The project root of a file is the nearest directory above it holding ``pyproject.toml``,
``setup.cfg``, ``setup.py`` or ``.git``; without one, the current directory if the file is under
it, else the file's own directory. Files summarised: every ``.py`` file under the root that
mentions keras or tensorflow, and the files that mention a project module re-exporting them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from ..names import TRACKED_ROOTS, canonical
from ..tables.ops import is_raw_op
from .keras_classes import LAYER, MODEL, keras_class_kind
from .summary import FORMAT as SUMMARY_FORMAT, Summary, summarize

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
MENTIONS = (b"keras", b"tensorflow")
MAX_DEPTH = 12
MAX_FILES = 20_000
MAX_FILE_BYTES = 2_000_000

# value kinds of the abstract interpretation
S, R, M, L = "S", "R", "M", "L"  # symbolic tensor, raw-op result on one, model, layer
Ref = Optional[Tuple[str, ...]]  # ("x", external dotted) | ("m", module) | ("f", module, func) | ("c", module, cls)

INPUT_CTORS = frozenset({"keras.Input", "keras.layers.Input", "keras.engine.input_layer.Input",
                         "keras.engine.topology.Input"})
MODEL_CTORS = frozenset({"keras.Model", "keras.models.Model", "keras.engine.training.Model", "keras.engine.Model",
                         "keras.Functional", "keras.models.Functional"})
MODEL_FACTORIES = frozenset({"keras.models.load_model", "keras.saving.load_model", "keras.models.clone_model",
                             "keras.models.model_from_json", "keras.models.model_from_yaml", "keras.Sequential",
                             "keras.models.Sequential"})
FUNCTIONAL_MERGES = frozenset({"concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"})


# -- finding the project ------------------------------------------------------------------------

def find_root(path: str) -> str:
    start = os.path.dirname(os.path.abspath(path))
    cur = start
    while True:
        if any(os.path.exists(os.path.join(cur, m)) for m in ROOT_MARKERS):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        cur = parent
    cwd = os.getcwd()
    if start == cwd or start.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    return start


def import_prefixes(key: str, is_pkg: bool, init_packages: Set[str]) -> List[str]:
    """Module-key prefixes of the directories an absolute import in module ``key`` can start
    from: the project root, ``src/``, and the directory above the module's top-level package
    (the script's own directory when it is in no package)."""
    directory = key if is_pkg else key.rpartition(".")[0]
    while directory and directory in init_packages:
        directory = directory.rpartition(".")[0]
    out = ["", "src"]
    if directory not in out:
        out.append(directory)
    return out


def module_key(rel: str) -> Tuple[str, bool]:
    """``a/b/c.py`` -> ("a.b.c", False); ``a/b/__init__.py`` -> ("a.b", True)."""
    parts = rel.replace(os.sep, "/").split("/")
    last = parts[-1].rsplit(".", 1)[0]
    if last == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts[:-1] + [last]), False


def _python_files(root: str) -> List[str]:
    from ..discovery import DEFAULT_EXCLUDES

    out: List[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in DEFAULT_EXCLUDES and not d.endswith(".egg-info")
                             and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg")))
        for name in sorted(filenames):
            if name.endswith(".py") and name.isascii():
                out.append(os.path.relpath(os.path.join(dirpath, name), root))
                if len(out) >= MAX_FILES:
                    return out
    return out


# -- the summaries cache ------------------------------------------------------------------------

def _cache_file(root: str, kind: str = "summaries") -> str:
    """``summaries``: one entry per file, by content hash; ``solved``: the solved model of the
    last run, used as is when no file changed (a one-file flake8 run then costs a read)."""
    from .. import __version__
    from ..cache import CACHE_DIR, code_hash

    return os.path.join(root, CACHE_DIR, __version__, f"project-{SUMMARY_FORMAT}-{code_hash()[:16]}.{kind}")


def _load_cache(root: str, kind: str = "summaries") -> Dict[str, Any]:
    """Read only what the results cache would trust (cache.py): a private regular file of ours in
    a project that is not a shared, world-writable place."""
    from ..cache import _read_trusted, shared_place

    if shared_place(root):
        return {}
    raw = _read_trusted(_cache_file(root, kind))
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}


def _save_cache(root: str, entries: Dict[str, Any], kind: str = "summaries") -> None:
    """Atomic; never fails the run (read-only checkout, full disk: the next run re-summarises)."""
    from ..cache import _make_private_dir, _prepare_dir, shared_place

    path = _cache_file(root, kind)
    if shared_place(root):
        return  # others could forge it: no cache in /tmp and the like
    try:
        if not (_prepare_dir(os.path.dirname(os.path.dirname(path)))
                and _make_private_dir(os.path.dirname(path))):
            return
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except (OSError, ValueError, TypeError):
        pass


# -- the model ----------------------------------------------------------------------------------

class FunctionFacts:
    __slots__ = ("sym", "models", "sunk", "ret", "ret_sunk", "params", "kwonly", "sink_where", "dd", "ret_dd")

    def __init__(self, params: List[str], kwonly: List[str]) -> None:
        self.params = params
        self.kwonly = kwonly
        self.sym: Set[str] = set()  # parameters given a symbolic tensor at some call site
        self.models: Set[str] = set()  # parameters given a Keras model at some call site
        self.sunk: Set[str] = set()  # parameters whose value reaches a layer or model input
        self.ret: Optional[str] = None  # S / M / L: what it returns (R counts as S for callers)
        self.ret_sunk = False  # its return value reaches a layer or model input in some caller
        #: where a parameter or the return value meets a layer: (path, function, consumer)
        self.sink_where: Optional[Tuple[str, str, str]] = None
        #: parameters given a data-derived tensor (KL601: an axis that can be empty) at some call
        #: site, and whether it returns one: [axes, rank, origin, path, function that built it]
        self.dd: Dict[str, List[Any]] = {}
        self.ret_dd: Optional[List[Any]] = None

    def as_tuple(self) -> Tuple:
        return (sorted(self.sym), sorted(self.models), sorted(self.sunk), self.ret, self.ret_sunk, self.sink_where,
                sorted((p, repr(f)) for p, f in self.dd.items()), repr(self.ret_dd))


class ProjectModel:
    def __init__(self, root: str, summaries: Dict[str, Summary], paths: Dict[str, str],
                 solved: Optional[List[List[Any]]] = None) -> None:
        self.root = root
        self.modules = summaries  # module key -> summary
        self.paths = paths  # module key -> path relative to the root
        self.by_path = {p: k for k, p in paths.items()}
        self.init_packages = {k for k, p in paths.items() if p.endswith("__init__.py")}
        self.packages: Set[str] = set()
        for key in list(summaries) + list(paths):
            parts = key.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))
        self._names: Dict[Tuple[str, str], Ref] = {}
        self._class_kinds: Dict[Tuple[str, str], Optional[str]] = {}
        self.facts: Dict[Tuple[str, str], FunctionFacts] = {}
        self._digests: Dict[str, str] = {}
        for key, summ in summaries.items():
            for name, fn in summ["functions"].items():
                self.facts[(key, name)] = FunctionFacts(fn["p"], fn["k"])
        if solved is None:
            for key, summ in summaries.items():  # functions whose own code returns a data-derived tensor
                for name, (axes, rank, origin) in summ.get("dd", {}).get("r", {}).items():
                    if (key, name) in self.facts:
                        self.facts[(key, name)].ret_dd = [axes, rank, origin, paths.get(key, key), name]
            _Interpreter(self).run()
        else:  # a previous run solved exactly these files
            for key, name, sym, models, sunk, ret, ret_sunk, where, dd, ret_dd in solved:
                facts = self.facts.get((key, name))
                if facts is not None:
                    facts.sym, facts.models, facts.sunk = set(sym), set(models), set(sunk)
                    facts.ret, facts.ret_sunk = ret, ret_sunk
                    facts.sink_where = tuple(where) if where else None  # type: ignore[assignment]
                    facts.dd, facts.ret_dd = dict(dd), ret_dd

    def solved(self) -> Dict[str, Any]:
        """What a later run needs when no file changed: the summaries without their statement
        lists (only the solver reads those) and the solved facts."""
        modules = {}
        for key, summ in self.modules.items():
            lean = {k: v for k, v in summ.items() if k not in ("body", "dd")}
            lean["functions"] = {name: {k: v for k, v in fn.items() if k != "b"} for name, fn in summ["functions"].items()}
            modules[key] = lean
        facts = [[key, name, sorted(f.sym), sorted(f.models), sorted(f.sunk), f.ret, f.ret_sunk,
                  list(f.sink_where) if f.sink_where else None, f.dd, f.ret_dd]
                 for (key, name), f in self.facts.items()
                 if f.sym or f.models or f.sunk or f.ret or f.ret_sunk or f.dd or f.ret_dd]
        return {"modules": modules, "paths": self.paths, "facts": facts}

    # -- modules --------------------------------------------------------------------------------
    def find_module(self, dotted: str, from_key: str) -> Optional[str]:
        """The project module (or package directory) an absolute import names, trying the
        project root, ``src/`` and the importing file's enclosing directories as import roots."""
        is_pkg = self.paths.get(from_key, "").endswith("__init__.py")
        for cand in [f"{p}.{dotted}" if p else dotted for p in import_prefixes(from_key, is_pkg, self.init_packages)]:
            if cand in self.modules or cand in self.packages:
                return cand
        return None

    # -- names ----------------------------------------------------------------------------------
    def resolve_name(self, key: str, name: str, depth: int = 0) -> Ref:
        memo = (key, name)
        if memo in self._names:
            return self._names[memo]
        self._names[memo] = None  # cycles resolve to nothing
        ref = self._resolve_name(key, name, depth)
        self._names[memo] = ref
        return ref

    def _resolve_name(self, key: str, name: str, depth: int) -> Ref:
        if depth > MAX_DEPTH:
            return None
        summ = self.modules.get(key)
        if summ is None:
            sub = f"{key}.{name}"
            return ("m", sub) if sub in self.modules or sub in self.packages else None
        kind = summ["defs"].get(name)
        if kind == "f":
            return ("f", key, name)
        if kind == "c":
            return ("c", key, name)
        target = summ["imports"].get(name)
        if target is not None:
            return self.resolve_dotted(target, key, depth + 1)
        alias = summ["aliases"].get(name)
        if alias is not None:
            root, _, rest = alias.partition(".")
            if root != name:
                base = self.resolve_name(key, root, depth + 1)
                return self.extend(base, rest.split(".") if rest else [], depth + 1)
        sub = f"{key}.{name}"
        if sub in self.modules or sub in self.packages:
            return ("m", sub)
        return self._through_stars(key, summ["stars"], name, depth)

    def _through_stars(self, key: str, stars: List[str], name: str, depth: int) -> Ref:
        """A name from ``from x import *``. A library star cannot be checked for the name, so it
        is a guess; import shims star-import alternatives (``keras.ops`` or a module of tf
        functions): when the candidates disagree on the library, the name stays unknown."""
        candidates: List[Ref] = []
        for star in stars:
            if star.split(".", 1)[0] in TRACKED_ROOTS:
                if not _is_builtin(name):
                    candidates.append(("x", f"{star}.{name}"))
                continue
            mod = self.find_module(star, key)
            if mod is not None:
                ref = self.resolve_name(mod, name, depth + 1)
                if ref is not None:
                    candidates.append(ref)
        if not candidates:
            return None
        first = candidates[0]
        if all(c == first for c in candidates):
            return first
        if all(c is not None and c[0] == "x" for c in candidates):
            libraries = {canonical(c[1]).split(".", 1)[0] for c in candidates}  # type: ignore[index]
            if len(libraries) == 1:
                return first
        return None

    def resolve_dotted(self, dotted: str, from_key: str, depth: int = 0) -> Ref:
        """An absolute dotted name as imported in module ``from_key``."""
        if dotted.split(".", 1)[0] in TRACKED_ROOTS:
            return ("x", dotted)
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            mod = self.find_module(".".join(parts[:i]), from_key)
            if mod is not None:
                return self.extend(("m", mod), parts[i:], depth)
        return None

    def extend(self, ref: Ref, attrs: List[str], depth: int = 0) -> Ref:
        for attr in attrs:
            if ref is None:
                return None
            if ref[0] == "x":
                ref = ("x", f"{ref[1]}.{attr}")
            elif ref[0] == "m":
                ref = self.resolve_name(ref[1], attr, depth + 1)
            else:
                return None  # an attribute of a project class or function
        return ref

    # -- classes --------------------------------------------------------------------------------
    def class_kind(self, key: str, name: str) -> Optional[str]:
        """LAYER / MODEL for a project class deriving (across modules) from a Keras one."""
        memo = (key, name)
        if memo in self._class_kinds:
            return self._class_kinds[memo]
        self._class_kinds[memo] = None
        kind = None
        for base in self.modules[key]["classes"].get(name, ()):
            ref = self.expr_ref(key, base)
            k = self.ref_class_kind(ref)
            if k == MODEL or (k is not None and kind is None):
                kind = k
        self._class_kinds[memo] = kind
        return kind

    def bases_known(self, key: str, name: str, depth: int = 0) -> bool:
        """Every base of the class is understood: ``object``, a Keras/TF class, a project class
        whose bases are understood, or a name imported from a library outside the project."""
        summ = self.modules.get(key)
        if summ is None or depth > MAX_DEPTH:
            return False
        for base in summ["classes"].get(name, ()):
            if base == ["n", "object"]:
                continue
            ref = self.expr_ref(key, base)
            if ref is None:
                root = base
                while isinstance(root, list) and root and root[0] == "a":
                    root = root[1]
                imported = isinstance(root, list) and root and root[0] == "n" and root[1] in summ["imports"]
                if not imported:
                    return False
                continue
            if ref[0] == "c" and not self.bases_known(ref[1], ref[2], depth + 1):
                return False
            if ref[0] in ("m", "f"):
                return False
        return True

    def ref_class_kind(self, ref: Ref) -> Optional[str]:
        if ref is None:
            return None
        if ref[0] == "x":
            return keras_class_kind(canonical(ref[1]))
        if ref[0] == "c":
            return self.class_kind(ref[1], ref[2])
        return None

    def expr_ref(self, key: str, ir: Any, local: FrozenSet[str] = frozenset()) -> Ref:
        """The reference an IR name/attribute chain denotes in module ``key`` (None if local)."""
        attrs: List[str] = []
        while isinstance(ir, list) and ir and ir[0] == "a":
            attrs.append(ir[2])
            ir = ir[1]
        if not (isinstance(ir, list) and ir and ir[0] == "n") or ir[1] in local:
            return None
        return self.extend(self.resolve_name(key, ir[1]), list(reversed(attrs)))

    # -- per-module digests (for the results cache) ---------------------------------------------
    def exports_digest(self, key: str) -> str:
        found = self._digests.get(key)
        if found is None:
            h = hashlib.blake2b(digest_size=8)
            summ = self.modules.get(key)
            if summ is not None:
                for name in sorted(summ["defs"]):
                    h.update(f"{name}={self.resolve_name(key, name)}|{self.class_kind(key, name) if summ['defs'][name] == 'c' else ''}".encode())
                for name in sorted(summ["functions"]):
                    h.update(repr(self.facts[(key, name)].as_tuple()).encode())
                for name in sorted(summ["imports"]) + sorted(summ["aliases"]):
                    h.update(f"{name}={self.resolve_name(key, name)}".encode())
            found = self._digests[key] = h.hexdigest()
        return found

    def view_digest(self, key: str) -> str:
        """Everything module ``key`` can learn from the project: what its names resolve to, the
        facts of the modules it imports and of its own functions."""
        h = hashlib.blake2b(digest_size=8)
        h.update(self.exports_digest(key).encode())
        summ = self.modules.get(key)
        if summ is not None:
            seen: Set[str] = set()
            for name in sorted(summ["imports"]) + sorted(summ["aliases"]):
                ref = self.resolve_name(key, name)
                for mod in _ref_modules(ref):
                    if mod not in seen:
                        seen.add(mod)
                        h.update(self.exports_digest(mod).encode())
        return h.hexdigest()


def _ref_modules(ref: Ref) -> List[str]:
    if ref is None or ref[0] == "x":
        return []
    return [ref[1]]


def _is_builtin(name: str) -> bool:
    import builtins

    return hasattr(builtins, name)


# -- the abstract interpretation ----------------------------------------------------------------

Val = Tuple[Optional[str], FrozenSet[Tuple[str, ...]]]  # (kind, origins): ("p", param) / ("r", module, func)
NONE: Val = (None, frozenset())


class _Interpreter:
    """Evaluates every function and module body of the project until the facts stop changing."""

    MAX_EVALS_PER_SCOPE = 12

    def __init__(self, model: ProjectModel) -> None:
        self.m = model
        self.callers: Dict[Tuple[str, str], Set[Tuple[str, str]]] = {}
        self.evals: Dict[Tuple[str, str], int] = {}

    def run(self) -> None:
        todo: List[Tuple[str, str]] = []
        for key, summ in self.m.modules.items():
            if summ["body"]:
                todo.append((key, ""))
            todo.extend((key, name) for name in summ["functions"])
        queued = set(todo)
        self.dirty: Set[Tuple[str, str]] = set()
        while todo:
            scope = todo.pop()
            queued.discard(scope)
            n = self.evals.get(scope, 0)
            if n >= self.MAX_EVALS_PER_SCOPE:
                continue
            self.evals[scope] = n + 1
            self.dirty = set()
            if scope[1] and self.m.modules[scope[0]]["functions"][scope[1]].get("tf"):
                self.data_scope(*scope)
            else:
                self.scope(*scope)
            for other in self.dirty:
                if other not in queued:
                    queued.add(other)
                    todo.append(other)

    def changed_facts_of(self, fn: Tuple[str, str], callers_too: bool) -> None:
        self.dirty.add(fn)
        if callers_too:
            self.dirty.update(self.callers.get(fn, ()))

    # -- one scope ------------------------------------------------------------------------------
    def scope(self, key: str, fname: str) -> None:
        summ = self.m.modules[key]
        self.key = key
        self.fname = fname
        self.facts = self.m.facts.get((key, fname)) if fname else None
        env: Dict[str, Val] = {}
        if fname:
            fn = summ["functions"][fname]
            for p in fn["p"] + fn["k"]:
                kind = S if p in self.facts.sym else M if p in self.facts.models else None  # type: ignore[union-attr]
                env[p] = (kind, frozenset({("p", p)}))
            body = fn["b"]
        else:
            body = summ["body"]
        self.env = env
        self.data_start(summ)
        for stmt in body:
            self.stmt(stmt)

    def data_start(self, summ: Summary) -> None:
        # names bound directly to a parameter or a project function's result (``boxes = load()``):
        # the only values a data-derived fact follows across calls (an op in between may change
        # the axes; KL601's per-file analysis judges those)
        self.direct: Dict[str, Tuple[str, ...]] = {p: ("p", p) for p in self.env}
        self.local_dd: Dict[str, List[List[Any]]] = {}
        for callee, arg, axes, rank, origin in summ.get("dd", {}).get("c", {}).get(self.fname, ()):
            self.local_dd.setdefault(callee, []).append([arg, [axes, rank, origin, self.m.paths.get(self.key, self.key),
                                                               self.fname or "<module>"]])

    def data_scope(self, key: str, fname: str) -> None:
        """A ``@tf.function``: its values are real tensors, never symbolic ones, so only the
        data-derived facts are followed through it (calls it makes, what it returns)."""
        summ = self.m.modules[key]
        fn = summ["functions"][fname]
        self.key, self.fname = key, fname
        self.facts = self.m.facts[(key, fname)]
        self.env = {p: NONE for p in fn["p"] + fn["k"]}
        self.data_start(summ)
        for st in fn["b"]:
            op = st[0]
            if op in ("=", "f"):
                self.data_calls(st[2])
                origin = self.direct_origin(st[2]) if op == "=" else None
                for target in (st[1] if op == "=" else [st[1]]):
                    self.forget(target)
                    for name in _target_names(target):
                        self.env[name] = NONE  # a local shadows a module-level name
                    if isinstance(target, str) and origin is not None:
                        self.direct[target] = origin
            elif op in ("e", "r"):
                self.data_calls(st[1])
                if op == "r" and self.facts.ret_dd is None:
                    dd = self.dd_of(st[1])
                    if dd is not None:
                        self.facts.ret_dd = dd
                        self.changed_facts_of((key, fname), callers_too=True)

    def data_calls(self, ir: Any) -> None:
        """Every call of a project function inside ``ir``: the data-derived arguments it passes."""
        if not isinstance(ir, list) or not ir:
            return
        if ir[0] == "c":
            ref = self.m.expr_ref(self.key, ir[1], frozenset(self.env))
            if ref is not None and ref[0] == "f":
                self.m_callers((ref[1], ref[2]), (self.key, self.fname))
                self.data_args((ref[1], ref[2]), ir[1], ir[2], ir[3])
            self.data_calls(ir[1])
            for a in ir[2]:
                self.data_calls(a)
            for _, v in ir[3]:
                self.data_calls(v)
        elif ir[0] == "o":
            for part in ir[1]:
                self.data_calls(part)
        elif ir[0] == "a":
            self.data_calls(ir[1])

    def stmt(self, st: List[Any]) -> None:
        op = st[0]
        if op == "=":
            val = self.ev(st[2])
            origin = self.direct_origin(st[2])
            for target in st[1]:
                self.bind(target, val)
                self.forget(target)
                if isinstance(target, str) and origin is not None:
                    self.direct[target] = origin
        elif op == "e":
            self.ev(st[1])
        elif op == "r":
            val = self.ev(st[1])
            if self.facts is not None:
                kind = val[0]
                new = S if kind in (S, R) else kind
                if new is not None and self.facts.ret != new and self.facts.ret != S:
                    self.facts.ret = new
                    self.changed_facts_of((self.key, self.fname), callers_too=True)
                if self.facts.ret_sunk and self.facts.sink_where is not None:
                    self.sink(val, self.facts.sink_where)
                if self.facts.ret_dd is None:
                    dd = self.dd_of(st[1])
                    if dd is not None:
                        self.facts.ret_dd = dd
                        self.changed_facts_of((self.key, self.fname), callers_too=True)
        elif op == "f":
            it = self.ev(st[2])
            self.bind(st[1], (S if it[0] in (S, R) else None, it[1]))
            self.forget(st[1])
        elif op == "s":
            where = self.where(f"`{self.fname.split('.')[0]}`")
            self.sink(self.ev(st[1]), where)
            self.sink(self.ev(st[2]), where)

    def forget(self, target: Any) -> None:
        if isinstance(target, str):
            self.direct.pop(target, None)
        elif isinstance(target, list):
            for t in target:
                self.forget(t)

    def direct_origin(self, ir: Any) -> Optional[Tuple[str, ...]]:
        """("p", param) for a bare name bound to a parameter, ("r", module, function) for a
        call of a project function; None for anything else."""
        if not isinstance(ir, list) or not ir:
            return None
        if ir[0] == "n":
            return self.direct.get(ir[1])
        if ir[0] == "c":
            ref = self.m.expr_ref(self.key, ir[1], frozenset(self.env))
            if ref is not None and ref[0] == "f":
                return ("r", ref[1], ref[2])
        return None

    def dd_of(self, ir: Any) -> Optional[List[Any]]:
        """The data-derived fact of a value passed on unchanged: a parameter given one, or the
        result of a project function returning one."""
        origin = self.direct_origin(ir)
        if origin is None:
            return None
        if origin[0] == "p":
            return self.facts.dd.get(origin[1]) if self.facts is not None else None
        facts = self.m.facts.get((origin[1], origin[2]))
        return facts.ret_dd if facts is not None else None

    def bind(self, target: Any, val: Val) -> None:
        if isinstance(target, str):
            self.env[target] = val
        elif isinstance(target, list):
            elem = (val[0] if val[0] in (S, R) else None, val[1])
            for t in target:
                self.bind(t, elem)

    # -- expressions ----------------------------------------------------------------------------
    def ev(self, ir: Any) -> Val:
        if ir is None:
            return NONE
        op = ir[0]
        if op == "n":
            return self.env.get(ir[1], NONE)
        if op == "o":
            return _combine([self.ev(p) for p in ir[1]])
        if op == "a":
            base = self.ev(ir[1])
            if base[0] in (M, L):
                if ir[2] in ("output", "input", "outputs", "inputs"):
                    return (S, frozenset())
            return NONE
        if op == "c":
            return self.call(ir)
        return NONE

    def call(self, ir: List[Any]) -> Val:
        func, args, kws = ir[1], ir[2], ir[3]
        arg_vals = [self.ev(a) for a in args]
        kw_vals = [(k, self.ev(v)) for k, v in kws]
        all_vals = arg_vals + [v for _, v in kw_vals]
        ref = self.m.expr_ref(self.key, func, frozenset(self.env))
        if ref is None:
            fv = self.ev(func) if func is not None else NONE
            if fv[0] in (M, L):
                return self.layer_call(all_vals, self.where(_callee_text(func)))
            return NONE
        if ref[0] == "x":
            return self.external(canonical(ref[1]), arg_vals, kw_vals, all_vals)
        if ref[0] == "c":
            kind = self.m.class_kind(ref[1], ref[2])
            return (L, frozenset()) if kind == LAYER else (M, frozenset()) if kind == MODEL else NONE
        if ref[0] == "f":
            self.data_args((ref[1], ref[2]), func, args, kws)
            return self.project_call((ref[1], ref[2]), arg_vals, kw_vals)
        return NONE

    def data_args(self, fn: Tuple[str, str], func: Any, args: List[Any], kws: List[Any]) -> None:
        """Parameters of ``fn`` this call gives a data-derived tensor: one this module's own code
        builds (the summary's ``dd`` facts, by KL601's evidence), or one passed on unchanged."""
        facts = self.m.facts.get(fn)
        if facts is None:
            return
        params, names = facts.params, set(facts.params) | set(facts.kwonly)
        found: List[Tuple[str, List[Any]]] = []
        for arg, dd in self.local_dd.get(_dotted_text(func) or "", ()):
            if isinstance(arg, int) and arg < len(params):
                found.append((params[arg], dd))
            elif isinstance(arg, str) and arg in names:
                found.append((arg, dd))
        for p, a in list(zip(params, args)) + [(k, v) for k, v in kws if k in names]:
            dd = self.dd_of(a)
            if dd is not None:
                found.append((p, dd))
        grew = False
        for p, dd in found:
            if p not in facts.dd:
                facts.dd[p] = dd
                grew = True
        if grew:
            self.m_callers(fn, (self.key, self.fname))
            self.dirty.add(fn)

    def external(self, qn: str, arg_vals: List[Val], kw_vals: List[Tuple[Optional[str], Val]],
                 all_vals: List[Val]) -> Val:
        if qn in INPUT_CTORS:
            return (S, frozenset())
        if qn in MODEL_CTORS:
            model_vals = arg_vals[:2] + [v for k, v in kw_vals if k in ("inputs", "outputs", "input", "output")]
            self.layer_call(model_vals, self.where(f"`{qn.rsplit('.', 1)[1]}`"))
            return (M, frozenset())
        if qn in MODEL_FACTORIES or qn.startswith("keras.applications."):
            return (M, frozenset())
        if qn.startswith("keras.layers."):
            last = qn.rsplit(".", 1)[1]
            if last in FUNCTIONAL_MERGES:
                return self.layer_call(all_vals, self.where(f"`{last}`"))
            kind = keras_class_kind(qn)
            return (L, frozenset()) if kind == LAYER else (M, frozenset()) if kind == MODEL else NONE
        if qn.startswith(("keras.ops.", "keras.activations.")):
            return _combine(all_vals)
        if is_raw_op(qn):
            val = _combine(all_vals)
            return (R, val[1]) if val[0] in (S, R) else NONE
        return NONE

    def where(self, consumer: str) -> Tuple[str, str, str]:
        return (self.m.paths.get(self.key, self.key), self.fname or "<module>", consumer)

    def layer_call(self, vals: List[Val], where: Tuple[str, str, str]) -> Val:
        for v in vals:
            self.sink(v, where)
        return (S, frozenset()) if any(v[0] in (S, R) for v in vals) else NONE

    def sink(self, val: Val, where: Tuple[str, str, str]) -> None:
        """``val`` reaches a layer or model input: the parameters and project-function results it
        derives from do too."""
        for origin in val[1]:
            if origin[0] == "p" and self.facts is not None:
                if origin[1] not in self.facts.sunk:
                    self.facts.sunk.add(origin[1])
                    if self.facts.sink_where is None:
                        self.facts.sink_where = where
                    self.changed_facts_of((self.key, self.fname), callers_too=True)
            elif origin[0] == "r":
                facts = self.m.facts.get((origin[1], origin[2]))
                if facts is not None and not facts.ret_sunk:
                    facts.ret_sunk = True
                    facts.sink_where = facts.sink_where or where
                    self.changed_facts_of((origin[1], origin[2]), callers_too=False)

    def project_call(self, fn: Tuple[str, str], arg_vals: List[Val], kw_vals: List[Tuple[Optional[str], Val]]) -> Val:
        facts = self.m.facts.get(fn)
        if facts is None:
            return NONE
        here = (self.key, self.fname)
        self.m_callers(fn, here)
        params = facts.params
        pairs: List[Tuple[str, Val]] = list(zip(params, arg_vals))
        names = set(params) | set(facts.kwonly)
        pairs.extend((k, v) for k, v in kw_vals if k is not None and k in names)
        grew = False
        for p, v in pairs:
            if v[0] in (S, R) and p not in facts.sym:
                facts.sym.add(p)
                grew = True
            elif v[0] == M and p not in facts.models:
                facts.models.add(p)
                grew = True
            if p in facts.sunk and facts.sink_where is not None:
                self.sink(v, facts.sink_where)
        if grew:
            self.dirty.add(fn)
        origins = frozenset({("r", fn[0], fn[1])})
        if facts.ret in (S, M, L):
            return (facts.ret, origins)
        return (None, origins)

    def m_callers(self, fn: Tuple[str, str], caller: Tuple[str, str]) -> None:
        self.callers.setdefault(fn, set()).add(caller)


def _target_names(target: Any) -> List[str]:
    if isinstance(target, str):
        return [target]
    if isinstance(target, list):
        return [n for t in target for n in _target_names(t)]
    return []


def _dotted_text(func: Any) -> Optional[str]:
    """``losses.match`` for the IR of that name; None for anything else."""
    attrs: List[str] = []
    while isinstance(func, list) and func and func[0] == "a":
        attrs.append(func[2])
        func = func[1]
    if isinstance(func, list) and func and func[0] == "n":
        return ".".join([func[1]] + list(reversed(attrs)))
    return None


def _callee_text(func: Any) -> str:
    """```Dense``` for ``Dense(4)(x)``, ```self.head``` for ``self.head(x)``: the consumer's name."""
    while isinstance(func, list) and func and func[0] == "c":
        func = func[1]
    attrs: List[str] = []
    while isinstance(func, list) and func and func[0] == "a":
        attrs.append(func[2])
        func = func[1]
    if isinstance(func, list) and func and func[0] == "n":
        return "`" + ".".join([func[1]] + list(reversed(attrs))) + "`"
    return "a layer"


def _combine(vals: Iterable[Val]) -> Val:
    kind = None
    origins: FrozenSet[Tuple[str, ...]] = frozenset()
    for v in vals:
        if v[1]:
            origins = origins | v[1]
        if v[0] == R or (v[0] == S and kind != R):
            kind = v[0]
    return (kind, origins)


# -- building and sharing -----------------------------------------------------------------------

_MODELS: Dict[str, ProjectModel] = {}
_ROOTS: Dict[str, str] = {}  # directory -> its project root
_DISABLED = False
_USE_CACHE = True


def configure(use_cache: bool) -> None:
    """The summaries cache follows the results cache: off for ``--no-cache``, ``--fix``,
    ``--diff`` and ``--profile`` (the CLI calls this before linting)."""
    global _USE_CACHE
    _USE_CACHE = use_cache


def root_of(path: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    found = _ROOTS.get(directory)
    if found is None:
        found = _ROOTS[directory] = find_root(path)
    return found


def disable() -> None:
    """``--no-project``-style switch for tests and benchmarks: files are seen alone."""
    global _DISABLED
    _DISABLED = True
    _MODELS.clear()


def build(root: str, use_cache: bool = True) -> ProjectModel:
    """Summarise the project under ``root`` (cached by content hash) and solve its facts."""
    from .. import isolation

    helper = isolation.helper_id()
    try:
        return _build(root, use_cache)
    finally:
        if isolation.helper_id() != helper:
            # the summary pass forked the linting helper (empty_axes.data_facts runs there) before
            # this model existed: the next file gets a fresh helper that inherits it
            isolation.reset()


def _build(root: str, use_cache: bool) -> ProjectModel:
    from ..cache import content_hash
    from ..files import read

    rels = _python_files(root)
    # the files as they stand (name, size, modification time): when they are exactly those the
    # last run solved, its model is used without reading a file (as ruff and mypy trust mtimes)
    state = hashlib.blake2b(digest_size=16)
    sizes: Dict[str, int] = {}
    for rel in rels:
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue  # a FIFO named x.py would block the read forever
        sizes[rel] = st.st_size
        state.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    state_key = state.hexdigest()
    if use_cache:
        solved = _load_cache(root, "solved")
        if solved.get("state") == state_key:
            try:
                return ProjectModel(root, solved["modules"], solved["paths"], solved["facts"])
            except (KeyError, TypeError, ValueError):
                pass  # a damaged file: solve again
    datas: Dict[str, bytes] = {}
    for rel, size in sizes.items():
        if size > MAX_FILE_BYTES:
            continue
        data, error = read(os.path.join(root, rel))  # non-blocking open, regular files only
        if data is not None and error is None:
            datas[rel] = data
    cached = _load_cache(root) if use_cache else {}
    fresh: Dict[str, Any] = {}
    summaries: Dict[str, Summary] = {}
    paths: Dict[str, str] = {module_key(rel)[0]: rel for rel in datas}
    sources: Dict[str, bytes] = {}
    skipped: List[str] = []
    needed = _linked_files(datas, paths)
    for rel, data in datas.items():
        if rel not in needed:
            continue
        key, is_pkg = module_key(rel)
        if not any(m in data for m in MENTIONS):
            sources[rel] = data
            skipped.append(rel)
            continue
        _summarise(rel, key, is_pkg, data, cached, fresh, summaries, content_hash)
    # files that mention none of keras/tensorflow but import a project module that re-exports them
    reexporters = {k.rsplit(".", 1)[-1].encode() for k, s in summaries.items()
                   if any(t.split(".", 1)[0] in TRACKED_ROOTS for t in list(s["imports"].values()) + s["stars"])}
    for rel in skipped:
        data = sources[rel]
        if any(name in data for name in reexporters):
            key, is_pkg = module_key(rel)
            _summarise(rel, key, is_pkg, data, cached, fresh, summaries, content_hash)
    if use_cache and fresh != cached:
        _save_cache(root, fresh)
    model = ProjectModel(root, summaries, paths)
    if use_cache:
        _save_cache(root, dict(model.solved(), state=state_key), "solved")
    return model


_IMPORT_RE = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b([^\n#;]*)|import[ \t]+([\w.]+))", re.M)


def _linked_files(datas: Dict[str, bytes], paths: Dict[str, str]) -> Set[str]:
    """The files the model needs: those that import another module of the project (relative
    imports, or a name that is a module or package of the project and not Keras/TF), and the
    modules they import. The rest only import libraries and are never imported by the project:
    their files' own analysis sees all there is (this keeps a library's own source, whose
    imports all go through ``keras.*``, out of the pass)."""
    init_packages = {k for k, rel in paths.items() if rel.endswith("__init__.py")}
    known = set(paths)
    for key in paths:
        parts = key.split(".")
        known.update(".".join(parts[:i]) for i in range(1, len(parts)))
    tracked = {r.encode() for r in TRACKED_ROOTS}
    needed: Set[str] = set()
    targets: List[Tuple[str, str]] = []  # (importing module, dotted target)
    for rel, data in datas.items():
        key, is_pkg = module_key(rel)
        package = key if is_pkg else key.rpartition(".")[0]
        prefixes = import_prefixes(key, is_pkg, init_packages)
        for m in _IMPORT_RE.finditer(data):
            dotted = m.group(1) or m.group(3)
            if not dotted:
                continue
            names = [n.split()[0] for n in m.group(2).replace(b"(", b" ").replace(b")", b" ").split(b",")
                     if n.split()] if m.group(1) else []
            if dotted.startswith(b"."):
                level = len(dotted) - len(dotted.lstrip(b"."))
                parts = package.split(".") if package else []
                if level - 1 > len(parts):
                    continue
                base = parts[: len(parts) - (level - 1)]
                rest = dotted[level:].decode("ascii", "replace")
                target = ".".join(base + ([rest] if rest else []))
            else:
                root = dotted.split(b".", 1)[0]
                if root in tracked:
                    continue
                name = root.decode("ascii", "replace")
                if not any((f"{p}.{name}" if p else name) in known for p in prefixes):
                    continue
                target = dotted.decode("ascii", "replace")
            needed.add(rel)
            targets.append((key, target))
            targets.extend((key, f"{target}.{n.decode('ascii', 'replace')}" if target else n.decode("ascii", "replace"))
                           for n in names if n != b"*")
    modules = set(paths)
    for key, target in targets:
        prefixes = import_prefixes(key, paths[key].endswith("__init__.py"), init_packages)
        for cand in [f"{p}.{target}" if p else target for p in prefixes] + [target]:
            for mod in (cand, cand.rpartition(".")[0]):  # from pkg import name: pkg, or pkg.name
                if mod in modules:
                    needed.add(paths[mod])
    return needed


def _summarise(rel, key, is_pkg, data, cached, fresh, summaries, content_hash) -> None:
    digest = content_hash(data)
    entry = cached.get(rel)
    if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest and isinstance(entry[1], dict):
        summ = entry[1]
    else:
        summ = summarize(data, key, is_pkg)
        if summ is None:
            return
    fresh[rel] = [digest, summ]
    summaries[key] = summ


def model_for(path: str, use_cache: bool = True) -> Optional[ProjectModel]:
    """The (memoised, per process) project model of the project ``path`` belongs to."""
    if _DISABLED or path in ("-", "") or not os.path.isfile(path):
        return None  # stdin, or a name that is no file: nothing to place in a project
    root = root_of(path)
    found = _MODELS.get(root)
    if found is None:
        try:
            found = build(root, use_cache and _USE_CACHE)
        except Exception:  # noqa: BLE001 - without a project model every file is still linted alone
            return None
        _MODELS[root] = found
    return found


def digest_for(path: str, settings) -> str:
    """What the project tells this file, as a short key for the results cache ("" without one)."""
    if not getattr(settings, "project", False):
        return ""
    view = view_for(path)
    return "" if view is None else "|p" + view.digest()


def view_for(path: str, use_cache: bool = True) -> Optional["ModuleView"]:
    model = model_for(path, use_cache)
    if model is None:
        return None
    try:
        rel = os.path.relpath(os.path.abspath(path), model.root)
    except ValueError:
        return None
    key = model.by_path.get(rel)
    if key is None:
        key = module_key(rel)[0]
    return ModuleView(model, key)


class ModuleView:
    """What one module may ask about the project (``ctx.project``)."""

    __slots__ = ("model", "key")

    def __init__(self, model: ProjectModel, key: str) -> None:
        self.model = model
        self.key = key

    def known(self) -> bool:
        return self.key in self.model.modules

    def ref(self, dotted: str) -> Ref:
        """What a dotted name of this module refers to through its module-level bindings."""
        if not self.known():
            return None
        root, *rest = dotted.split(".")
        return self.model.extend(self.model.resolve_name(self.key, root), rest)

    def import_target(self, level: int, module: Optional[str], name: Optional[str]) -> Optional[str]:
        """The external (keras/tensorflow) dotted name a project import binds, or None:
        ``from .backend import layers`` -> ``tensorflow.keras.layers`` if backend re-exports it."""
        base: Optional[str]
        if level:
            is_pkg = self.model.paths.get(self.key, "").endswith("__init__.py")
            package = self.key if is_pkg else self.key.rpartition(".")[0]
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                return None
            base = ".".join(parts[: len(parts) - (level - 1)] + ([module] if module else []))
        else:
            base = module
        if not base:
            return None
        dotted = f"{base}.{name}" if name else base
        ref = self.model.resolve_dotted(dotted, self.key)
        return ref[1] if ref is not None and ref[0] == "x" else None

    def class_kind(self, ref: Ref) -> Optional[str]:
        return self.model.ref_class_kind(ref)

    def class_chain(self, ref: Ref) -> Tuple[Set[str], List[str]]:
        """(methods defined along a project class's bases, the Keras classes they derive from)."""
        methods: Set[str] = set()
        keras_bases: List[str] = []
        seen: Set[Tuple[str, ...]] = set()
        todo = [ref]
        while todo:
            cur = todo.pop()
            if cur is None or cur in seen or len(seen) > 50:
                continue
            seen.add(cur)
            if cur[0] == "x":
                qn = canonical(cur[1])
                if keras_class_kind(qn) is not None:
                    keras_bases.append(qn)
                continue
            if cur[0] != "c":
                continue
            key, name = cur[1], cur[2]
            summ = self.model.modules.get(key, {})
            prefix = name + "."
            methods.update(f[len(prefix):] for f in summ.get("functions", {}) if f.startswith(prefix))
            todo.extend(self.model.expr_ref(key, b) for b in summ.get("classes", {}).get(name, ()))
        return methods, keras_bases

    def class_bases_known(self, ref: Ref) -> bool:
        return ref is not None and ref[0] == "c" and self.model.bases_known(ref[1], ref[2])

    def reaches_library(self) -> bool:
        """A module-level import binds Keras or TensorFlow through a project module."""
        summ = self.model.modules.get(self.key)
        if summ is None:
            return False
        for name in summ["imports"]:
            ref = self.model.resolve_name(self.key, name)
            if ref is not None and ref[0] == "x":
                return True
        return False

    def reexports_root(self, root: str) -> bool:
        """A module-level import of this module binds, through project modules, ``root``
        (e.g. ``tf_keras``) while not importing it directly."""
        summ = self.model.modules.get(self.key)
        if summ is None:
            return False
        for name, target in summ["imports"].items():
            if target.split(".", 1)[0] in TRACKED_ROOTS:
                continue
            ref = self.model.resolve_name(self.key, name)
            if ref is not None and ref[0] == "x" and ref[1].split(".", 1)[0] == root:
                return True
        return False

    def function(self, ref: Ref) -> Optional[FunctionFacts]:
        if ref is None or ref[0] != "f":
            return None
        return self.model.facts.get((ref[1], ref[2]))

    def own_function(self, qualname: str) -> Optional[FunctionFacts]:
        return self.model.facts.get((self.key, qualname))

    def locate(self, where: Tuple[str, str, str]) -> Tuple[str, Optional[int]]:
        """(path as the user would type it, line) of a project-model place (path, function, _)."""
        rel, function, _ = where
        full = os.path.join(self.model.root, rel)
        try:
            shown = os.path.relpath(full)
        except ValueError:
            shown = full
        key = self.model.by_path.get(rel)
        fn = self.model.modules.get(key, {}).get("functions", {}).get(function) if key else None
        return shown, (fn.get("l") if fn else None)

    def digest(self) -> str:
        return self.model.view_digest(self.key)
