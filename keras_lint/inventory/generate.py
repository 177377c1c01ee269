"""Generate the API inventory from the installed, pinned stacks.

    python -m keras_lint.inventory.generate [--check]

Writes one gzipped text file per namespace into ``keras_lint/inventory/data/``; ``--check``
compares instead and exits 1 on any difference (the test suite runs it). Needs the harness
extra (TensorFlow 2.21.0, Keras 3.15.1, tf-keras 2.21.0); linting never imports this module.

Each line is ``dotted.name<TAB>kind``:

- ``m``: a module whose members are listed (every member has its own line), importable;
- ``a``: the same, but only reachable by attribute access: ``import`` of it fails
  (``tensorflow.compat.v1.keras`` on Keras 3);
- ``c`` / ``f`` / ``v``: a class, a function, any other value (chains through them are not judged);
- ``?``: a module that exists but whose members cannot be listed (a C extension, a star import,
  a module ``__getattr__``): names under it are not judged;
- ``@real.name``: a module reached under this public name whose members are judged by the
  private tree under its real name (``tensorflow.python`` is ``tensorflow.python``).

Public namespaces come from the live modules (``dir()`` of what ``import`` gives, as a user's
attribute access sees it). Private trees (``keras.src``, ``tensorflow.python``, ``tf_keras.src``
...) are read statically with ``ast`` from the installed files: their modules and the names each
binds at top level.
"""
from __future__ import annotations

import argparse
import ast
import gzip
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Dict, Iterable, Optional, Set

DATA = Path(__file__).resolve().parent / "data"

#: namespace file -> the public module users write (walked as ``import``/attribute access sees it)
COMMON = ("tensorflow", "tf_keras")
#: tf.keras depends on the stack: Keras 3's facade, or tf-keras with TF_USE_LEGACY_KERAS=1
TF_KERAS_SPELLINGS = ("tensorflow.keras", "tensorflow.compat.v1.keras", "tensorflow.compat.v2.keras")
#: other attributes TensorFlow loads lazily from whichever Keras is in use (KerasLazyLoader)
TF_KERAS_LAZY = ("tensorflow.compat.v1.layers", "tensorflow.initializers", "tensorflow.losses",
                 "tensorflow.metrics", "tensorflow.optimizers", "tensorflow.compat.v2.initializers",
                 "tensorflow.compat.v2.losses", "tensorflow.compat.v2.metrics", "tensorflow.compat.v2.optimizers")
STACK_PUBLIC = {"keras3": ("keras",) + TF_KERAS_SPELLINGS + TF_KERAS_LAZY,
                "tf-keras": TF_KERAS_SPELLINGS + TF_KERAS_LAZY}
#: private trees read statically: package -> (its subdirectories to read, namespace file);
#: the rest of each package is its generated public API, judged from the live modules
PRIVATE = {"tensorflow": (None, "tensorflow.private"), "keras": (("src",), "keras.private"),
           "tf_keras": (("src", "api"), "tf_keras.private")}
_NOT_PRIVATE = {"tensorflow": ("_api", "include")}
_ROOT_PACKAGES = ("tensorflow", "keras", "tf_keras")


_PUBLIC_UNDERSCORED = frozenset({"_api", "_tf_keras", "_v1", "_v2"})
_PRIVATE_PARTS = frozenset({"src", "python", "core", "compiler", "tsl", "include", "tools"})


def _public_module(mod: types.ModuleType) -> bool:
    """A public API module (listed member by member), not a private implementation module."""
    parts = (getattr(mod, "__name__", "") or "").split(".")
    return not any(p in _PRIVATE_PARTS or (p.startswith("_") and p not in _PUBLIC_UNDERSCORED) for p in parts)


def _kind(value: object) -> str:
    if inspect.isclass(value):
        return "c"
    if callable(value):
        return "f"
    return "v"


def _importable(path: str) -> bool:
    try:
        importlib.import_module(path)
    except Exception:  # noqa: BLE001 - any failure: `import path` does not work
        return False
    return True


def _resolve(path: str) -> object:
    obj = importlib.import_module(path.split(".")[0])
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def walk_public(root: str) -> Dict[str, str]:
    """Every name reachable by attribute access from the module ``root``."""
    out: Dict[str, str] = {}

    def visit(mod: types.ModuleType, path: str, depth: int) -> None:
        try:
            getattr(mod, "__name__")
        except AttributeError:
            # a KerasLazyLoader with nothing behind it on this stack (tf.compat.v1.layers on
            # Keras 3: "`dense` is not available with Keras 3"): every member access fails
            out[path] = "a"
            return
        try:
            members = sorted(dir(mod))
        except Exception:  # noqa: BLE001 - a lazy loader whose target is missing
            out[path] = "?"
            return
        out[path] = "m" if _importable(path) else "a"
        for name in members:
            if name.startswith("__"):
                continue
            try:
                value = getattr(mod, name)
            except Exception:  # noqa: BLE001 - a lazy attribute that fails to load: it exists
                out[f"{path}.{name}"] = "?"
                continue
            child = f"{path}.{name}"
            if isinstance(value, types.ModuleType):
                real = getattr(value, "__name__", "") or ""
                if real.split(".")[0] not in _ROOT_PACKAGES or (root == "tensorflow" and "keras" in real):
                    # a third-party or standard-library module re-exported, or (tf.losses, tf.metrics
                    # ...) a Keras module that tf serves: its content depends on the stack
                    out[child] = "?"
                elif (_public_module(value) and not name.startswith("_") and depth < 6
                      and not _compat_loop(child)):
                    visit(value, child, depth + 1)
                else:
                    out[child] = "@" + real
            else:
                out[child] = _kind(value)

    visit(_resolve(root), root, 0)
    if root == "tensorflow":  # tf.keras and its lazy relatives are judged per stack, from their own files
        out = {k: v for k, v in out.items() if "keras" not in k.split(".")
               and not any(k == lazy or k.startswith(lazy + ".") for lazy in TF_KERAS_LAZY)}
    return out


def _compat_loop(path: str) -> bool:
    """tf.compat.v1.compat.v2.compat.v1...: walk each compat level once."""
    return path.count(".compat.") > 1


# -- private trees, statically ------------------------------------------------------------------

class _TopLevel(ast.NodeVisitor):
    """Names a module binds at top level (looking into if/try/with blocks, not into defs)."""

    def __init__(self) -> None:
        self.names: Set[str] = set()
        self.open = False  # star import or module __getattr__: members cannot be listed

    def _targets(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                self.names.add(sub.id)

    def visit_Module(self, node: ast.Module) -> None:
        self._body(node.body)

    def _body(self, body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.names.add(stmt.name)
                if stmt.name == "__getattr__":
                    self.open = True
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    self.names.add(a.asname or a.name.split(".")[0])
            elif isinstance(stmt, ast.ImportFrom):
                for a in stmt.names:
                    if a.name == "*":
                        self.open = True
                    else:
                        self.names.add(a.asname or a.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
                    self._targets(t)
            elif isinstance(stmt, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
                if isinstance(stmt, ast.For):
                    self._targets(stmt.target)
                for field in ("body", "orelse", "finalbody"):
                    self._body(getattr(stmt, field, []) or [])
                for h in getattr(stmt, "handlers", []) or []:
                    if h.name:
                        self.names.add(h.name)
                    self._body(h.body)
                if isinstance(stmt, ast.With):
                    for item in stmt.items:
                        if item.optional_vars is not None:
                            self._targets(item.optional_vars)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                # globals().update(...) and friends: cannot list the members
                f = stmt.value.func
                if isinstance(f, ast.Attribute) and f.attr == "update" and isinstance(f.value, ast.Call):
                    self.open = True


def walk_private(package_dir: Path, package: str, subdirs) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(package_dir):
        parts = Path(dirpath).relative_to(package_dir.parent).parts
        if len(parts) == 1:  # the package itself: which subdirectories are private trees
            keep = subdirs if subdirs is not None else [d for d in dirnames if d not in _NOT_PRIVATE.get(package, ())]
            dirnames[:] = sorted(d for d in dirnames if d in keep)
            if subdirs is not None:
                continue  # its __init__ is public API, walked live
        else:
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            if "__init__.py" not in filenames:
                dirnames[:] = []
                continue
        for fname in sorted(filenames):
            stem, ext = os.path.splitext(fname)
            if ext == ".py":
                modname = ".".join(parts) if stem == "__init__" else ".".join(parts + (stem,))
                source = Path(dirpath, fname).read_bytes()
                # tests: the module exists, its names are not worth the space; protobuf modules
                # and anything that writes globals() build their names at import time
                if stem.endswith(("_test", "_pb2")) or stem == "conftest" or b"globals()" in source:
                    out[modname] = "?"
                    continue
                try:
                    tree = ast.parse(source)
                except (SyntaxError, ValueError):
                    out[modname] = "?"
                    continue
                top = _TopLevel()
                top.visit(tree)
                if top.open:
                    out[modname] = "?"
                    continue
                out[modname] = "m"
                for name in top.names:
                    out.setdefault(f"{modname}.{name}", "v")
            elif ext in (".so", ".pyd") and stem.split(".")[0] != "__init__":
                out[".".join(parts + (stem.split(".")[0],))] = "?"
    return out


def _site_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    return Path(list(spec.submodule_search_locations)[0])


def generate_stack(stack: str) -> Dict[str, Dict[str, str]]:
    """The namespaces that differ between stacks, walked in this process (which must have been
    started with TF_USE_LEGACY_KERAS=1 for tf-keras, unset for keras3)."""
    return {f"{stack}/{root}": walk_public(root) for root in STACK_PUBLIC[stack]}


def generate() -> Dict[str, Dict[str, str]]:
    namespaces: Dict[str, Dict[str, str]] = {}
    for stack in STACK_PUBLIC:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("TF_USE_LEGACY_KERAS", None)
        if stack == "tf-keras":
            env["TF_USE_LEGACY_KERAS"] = "1"
        code = ("import json, sys; from keras_lint.inventory.generate import generate_stack; "
                f"json.dump(generate_stack({stack!r}), sys.stdout)")
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
        namespaces.update(json.loads(out.stdout))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for root in COMMON:
        namespaces[f"common/{root}"] = walk_public(root)
    for package, (subdirs, fname) in PRIVATE.items():
        namespaces[f"common/{fname}"] = walk_private(_site_dir(package), package, subdirs)
    namespaces["common/tf_renames"] = tf_renames(namespaces["common/tensorflow"])
    namespaces["common/versions"] = {p: importlib.metadata.version(p.replace("_", "-")) for p in _ROOT_PACKAGES}
    return namespaces


def tf_renames(tf_names: Dict[str, str]) -> Dict[str, str]:
    """TensorFlow's own rename table (``tf_upgrade_v2``: ``all_renames_v2``), spelled
    ``tensorflow.*``, kept where the old name is gone from TF 2 and the new one exists."""
    from tensorflow.tools.compatibility import all_renames_v2

    table = {**all_renames_v2.symbol_renames, **all_renames_v2.manual_symbol_renames}
    out = {}
    for old, new in table.items():
        if not (old.startswith("tf.") and new.startswith("tf.")):
            continue  # entries for other packages (contrib_data.*, ...)
        old, new = "tensorflow" + old[2:], "tensorflow" + new[2:]
        if any(n == lazy or n.startswith(lazy + ".") or "keras" in n.split(".")
               for n in (old, new) for lazy in TF_KERAS_LAZY):
            continue  # Keras names TensorFlow serves: they depend on the stack
        if _missing(old, tf_names) and _exists(new, tf_names):
            out[old] = new
    return out


def _missing(path: str, names: Dict[str, str]) -> bool:
    """Provably absent: a listed module lacks one of the components."""
    parts = path.split(".")
    for i in range(2, len(parts) + 1):
        kind = names.get(".".join(parts[:i]))
        if kind is None:
            return names.get(".".join(parts[: i - 1])) in ("m", "a")
        if kind not in ("m", "a"):
            return False
    return False


def _exists(path: str, names: Dict[str, str]) -> bool:
    """Listed (and loadable), or below a listed class/function/value (a method of a class)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        kind = names.get(".".join(parts[:i]))
        if kind is not None:
            return kind != "?" and (i == len(parts) or kind in ("c", "f", "v"))
    return False


def _serialise(names: Dict[str, str]) -> bytes:
    text = "".join(f"{k}\t{v}\n" for k, v in sorted(names.items()))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped data; exit 1 if it differs")
    args = ap.parse_args(argv)
    namespaces = generate()
    stale = []
    for fname, names in sorted(namespaces.items()):
        path = DATA / f"{fname}.txt.gz"
        if args.check:
            shipped = gzip.decompress(path.read_bytes()).decode() if path.exists() else ""
            now = "".join(f"{k}\t{v}\n" for k, v in sorted(names.items()))
            if shipped != now:
                old = set(shipped.splitlines())
                new = set(now.splitlines())
                stale.append(f"{fname}: {len(new - old)} lines new, {len(old - new)} gone "
                             f"(e.g. {sorted(new - old)[:3]} / {sorted(old - new)[:3]})")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_serialise(names))
            print(f"{fname}: {len(names)} names, {path.stat().st_size} bytes")
    if stale:
        print("the shipped inventory differs from the installed stack:\n  " + "\n  ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
