"""The API-truth benchmark: on your own code, how many Keras/TensorFlow names are dead, how many
keras-lint reports, and how many remain after ``--fix``.

    python benchmarks/api_truth.py CORPUS_DIR [--target keras3|tf-keras] [--json]

Needs the pinned stack installed (``pip install "keras-lint[harness]"``). Independently of
keras-lint's inventory, every reference a file makes into ``keras``, ``tensorflow`` or ``tf_keras``
(``import`` statements, ``from`` imports, attribute chains on imported names) is checked against
the live libraries: ``import`` for modules, ``getattr`` for the rest, in a child process. Then:

1. keras-lint (``--select ALL``) is run on the corpus; a dead reference counts as reported when a
   finding of a name rule (KL2xx-KL4xx) is on its line;
2. a copy of the corpus is fixed (``--fix --unsafe-fixes``) and measured again.

References inside compatibility shims (``try: ... except ImportError`` and friends, ``if`` on a
version or ``hasattr``) and through names the file rebinds are counted apart: keras-lint leaves
them alone on purpose. The target is the one given for every file (files that import ``tf_keras``
are judged against tf-keras by keras-lint whatever the target; the benchmark does not).
"""
from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

ROOTS = ("keras", "tensorflow", "tf_keras")
NAME_RULES = ("KL2", "KL3", "KL4")
SHIM_EXCEPTIONS = {"ImportError", "ModuleNotFoundError", "AttributeError", "Exception", "BaseException"}

# path, line, qualname, imported (a module import), shim-or-rebound, is an import statement
Ref = Tuple[str, int, str, bool, bool, bool]


class _Refs(ast.NodeVisitor):
    def __init__(self, source: str) -> None:
        self.source = source
        self.aliases: Dict[str, str] = {}
        self.rebound: Set[str] = set()
        self.refs: List[Tuple[int, str, bool, bool, bool]] = []
        self.shim_depth = 0

    def _add(self, line: int, name: str, imported: bool, local: str = "", is_import: bool = True) -> None:
        self.refs.append((line, name, imported, self.shim_depth > 0 or local in self.rebound, is_import))

    def visit_Try(self, node: ast.Try) -> None:
        shim = any(h.type is None or any(n in SHIM_EXCEPTIONS for n in _names(h.type)) for h in node.handlers)
        self.shim_depth += shim
        for stmt in node.body + [h for h in node.handlers] + node.orelse + node.finalbody:
            self.visit(stmt)
        self.shim_depth -= shim

    def visit_If(self, node: ast.If) -> None:
        from keras_lint.rules.api_truth import SHIM_WORDS  # the same policy as the rule

        shim = any(w in (ast.get_source_segment(self.source, node.test) or "") for w in SHIM_WORDS)
        self.shim_depth += shim
        self.generic_visit(node)
        self.shim_depth -= shim

    visit_IfExp = visit_If  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.name.split(".")[0] in ROOTS:
                self._add(node.lineno, a.name, True)
                self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or node.module.split(".")[0] not in ROOTS:
            for a in node.names:
                self.aliases.pop(a.asname or a.name, None)
            return
        self._add(node.lineno, node.module, True)
        for a in node.names:
            if a.name == "*":
                continue
            self._add(node.lineno, f"{node.module}.{a.name}", False)
            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id in self.aliases:
            chain = self.aliases[cur.id] + "." + ".".join(reversed(parts))
            if not any(p.startswith("__") for p in parts):
                self._add(node.lineno, chain, False, cur.id, is_import=False)
            return  # the whole chain only
        self.generic_visit(node)

    def _bind(self, target: ast.AST) -> None:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                self.rebound.add(sub.id)


def _names(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr


def references(path: Path) -> List[Ref]:
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    refs = _Refs(source)
    for node in ast.walk(tree):  # names the file binds itself (parameters, assignments, defs)
        if isinstance(node, ast.arg):
            refs.rebound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            refs.rebound.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.comprehension)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                refs._bind(t)
    refs.visit(tree)
    return [(str(path),) + ref for ref in refs.refs]




def live_dead(names: List[Tuple[str, bool]], target: str) -> Set[Tuple[str, bool]]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    asked = names
    if target == "tf-keras":
        env["TF_USE_LEGACY_KERAS"] = "1"
        # Keras 2 code on the tf-keras stack: `keras.X` means tf-keras
        asked = [("tf_keras" + n[5:] if n == "keras" or n.startswith("keras.") else n, imp) for n, imp in names]
    out = subprocess.run([sys.executable, "-m", "keras_lint.inventory.live"], input=json.dumps(asked), env=env,
                         capture_output=True, text=True, check=True)
    alive = json.loads(out.stdout.strip().splitlines()[-1])
    return {name for name, ok in zip(names, alive) if not ok}


def dead_references(root: Path, target: str) -> Tuple[List[Ref], int]:
    """Dead references (outermost failing only: `from a import b` with `a` dead counts once)."""
    refs = [r for p in sorted(root.rglob("*.py")) for r in references(p)]
    unique = sorted({(r[2], r[3]) for r in refs})
    dead = live_dead(unique, target) if unique else set()
    out = []
    dead_imports: Dict[str, List[str]] = collections.defaultdict(list)  # per file: dead import names
    dead_modules: Set[Tuple[str, int, str]] = set()  # (path, line, module) of dead `from` modules
    for r in refs:
        path, line, name, imported, _, is_import = r
        if (name, imported) not in dead:
            continue
        if not is_import and any(name.startswith(m + ".") for m in dead_imports[path]):
            continue  # a use through a name whose own import is dead: that import is the reference
        if is_import and not imported and (path, line, name.rsplit(".", 1)[0]) in dead_modules:
            continue  # `from dead.module import x`: the module is the reference
        if is_import:
            dead_imports[path].append(name)
            if imported:
                dead_modules.add((path, line, name))
        out.append(r)
    return out, len(refs)


def keras_lint(root: Path, target: str, *extra: str) -> Dict[Tuple[str, int], List[str]]:
    cmd = [sys.executable, "-m", "keras_lint", "--select", "ALL", "--target", target, "--no-cache",
           "--output-format", "json", "--exit-zero", *extra, str(root)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    by_line: Dict[Tuple[str, int], List[str]] = collections.defaultdict(list)
    text = out.stdout.strip()
    for finding in json.loads(text[: text.rindex("]") + 1] if "]" in text else "[]"):
        by_line[(str(Path(finding["path"])), finding["line"])].append(finding["code"])
    return by_line


def measure(root: Path, target: str) -> Dict[str, Dict[str, int]]:
    from keras_lint.rules.api_truth import kind_of

    table: Dict[str, Dict[str, int]] = collections.defaultdict(collections.Counter)  # type: ignore[arg-type]
    dead, total = dead_references(root, target)
    findings = keras_lint(root, target)
    for path, line, name, imported, excluded, _ in dead:
        row = table[kind_of(name)]
        if excluded:
            row["in shims / rebound (not counted)"] += 1
            continue
        row["dead"] += 1
        if any(c.startswith(NAME_RULES) for c in findings.get((path, line), ())):
            row["reported"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "corpus"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
        keras_lint(copy, target, "--fix", "--unsafe-fixes")
        after, _ = dead_references(copy, target)
        after_findings = keras_lint(copy, target)
        for path, line, name, imported, excluded, _ in after:
            if excluded:
                continue
            row = table[kind_of(name)]
            row["left after --fix"] += 1
            if not any(c.startswith(NAME_RULES) for c in after_findings.get((path, line), ())):
                row["left after --fix, unreported"] += 1
    table["(all)"] = collections.Counter()
    for kind, row in list(table.items()):
        if kind != "(all)":
            table["(all)"].update(row)
    table["(all)"]["references checked"] = total
    return table


COLUMNS = ("dead", "reported", "left after --fix", "left after --fix, unreported", "in shims / rebound (not counted)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--target", default="keras3", choices=("keras3", "tf-keras"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    table = measure(args.corpus, args.target)
    if args.json:
        print(json.dumps(table, indent=2, sort_keys=True))
        return 0
    print(f"{'kind':32s} " + " ".join(f"{c[:22]:>22s}" for c in COLUMNS))
    for kind in sorted(table, key=lambda k: (k == "(all)", -table[k].get("dead", 0))):
        row = table[kind]
        print(f"{kind:32s} " + " ".join(f"{row.get(c, 0):>22d}" for c in COLUMNS))
    allrow = table["(all)"]
    dead = allrow.get("dead", 0)
    if dead:
        fixed = dead - allrow.get("left after --fix", 0)
        print(f"\n{allrow['references checked']} references checked; {dead} dead; "
              f"reported {allrow.get('reported', 0) / dead:.1%}; fixed by --fix --unsafe-fixes {fixed / dead:.1%}; "
              f"left unreported after --fix: {allrow.get('left after --fix, unreported', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
