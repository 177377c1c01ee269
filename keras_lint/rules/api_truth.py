"""KL406: a Keras or TensorFlow name that does not exist on the target stack.

Every reference the file makes into ``keras``, ``tensorflow`` or ``tf_keras`` (``import`` and
``from ... import`` statements, attribute chains on an imported module such as ``K.mean`` or
``tf.contrib.layers``) is checked against the API inventory generated from the pinned wheels
(``keras_lint/inventory``). Names owned by a more specific rule (KL401, KL402, KL203, KL404's
``K.tf`` and sessions, KL405's TF 1 table) are left to it, so one reference gets one finding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from .. import inventory
from ..analysis.facts import stacks_of
from ..fixes import dotted_expr, import_module_as, module_of_import_from, split_import_from
from ..names import canonical, dotted_name
from ..rule import SAFE, UNSAFE, Fix, ImportSpec, Invalid, Rule, Valid
from ..tables.backend_ops import BACKEND_GUIDANCE, BACKEND_MOVES, COMMON_KEYWORDS, BackendMove
from ..tables.imports import OBTAIN_INPUT_SHAPE_OLD, find_moved
from ..tables.keywords import MERGE_FUNCTIONS, OPTIMIZER_ALIASES
from ..tables.tf1_names import TF1_ONLY
from ._bindings import OTHER, bindings, is_free
from .imports import REMOVED_PACKAGES

_ROOTS = inventory.ROOTS
#: words in an ``if`` test that make its branches a compatibility shim: versions, ``hasattr``, and
#: Keras 2's ``K.backend() == 'theano'`` switches between backends
SHIM_WORDS = ("__version__", "VERSION", "version", "hasattr(", "getattr(", "is_tf2", "tf2.enabled", "backend()")


# -- which rule owns a name ------------------------------------------------------------------------

def owned_elsewhere(raw: str, target: str) -> Optional[str]:
    """The code of the more specific rule that reports this reference, if any."""
    canon = canonical(raw)
    parts = raw.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if find_moved(canonical(prefix), prefix, target) is not None:
            return "KL402"
    if (canon + ".").startswith(REMOVED_PACKAGES) or canon in ("keras.engine", "keras.legacy"):
        return "KL402"
    if "multi_gpu_model" in parts or "multi_gpu_utils" in parts:
        return "KL203"
    if "_obtain_input_shape" in parts and any(canon.startswith(m) for m in OBTAIN_INPUT_SHAPE_OLD):
        return "KL401"
    if (canon in ("keras.backend.get_session", "keras.backend.set_session")
            and not raw.startswith("tensorflow.compat.v1.")) or _through_backend_tf(raw):
        return "KL404"
    if canon.startswith("keras.optimizers.") and parts[-1] in OPTIMIZER_ALIASES or canon in MERGE_FUNCTIONS:
        return "KL403"
    if raw.startswith("tensorflow.") and not raw.startswith("tensorflow.compat."):
        rest = raw[len("tensorflow."):]
        if any(rest == k or rest.startswith(k + ".") for k in TF1_ONLY):
            return "KL405"
    return None


def _through_backend_tf(raw: str) -> bool:
    """``K.tf.x``: KL404's."""
    return any(raw.startswith(f"{k}.backend.tf.") or raw == f"{k}.backend.tf"
               for k in ("keras", "tensorflow.keras", "tf_keras"))


# -- what a missing name is, and what replaces it -----------------------------------------------------

def kind_of(raw: str) -> str:
    """The family of a missing reference (the API-truth benchmark counts by it)."""
    canon = canonical(raw)
    parts = canon.split(".")
    if raw.startswith("tensorflow.contrib"):
        return "tensorflow.contrib"
    if raw.startswith("tensorflow.python"):
        return "private tensorflow.python"
    if canon.startswith("keras.backend.") and len(parts) == 3:
        return "Keras 2 backend function"
    if canon.startswith("keras.utils.") and len(parts) >= 3:
        return "keras.utils module"
    if canon.startswith("keras.layers.") and len(parts) >= 3:
        return "keras.layers module"
    if raw.startswith("tensorflow.compat.v1."):
        return "gone from tf.compat.v1"
    if raw.startswith("tensorflow."):
        return "TF 1 name"
    return "other Keras name"


@dataclass(frozen=True)
class Replacement:
    """A name that works on the target in place of the missing one."""

    path: str  # full dotted path, rooted as the inventory spells it (keras..., tensorflow...)
    safety: str
    why: str = ""


_STACK_NAMES = {"keras3": "Keras {keras}", "tf-keras": "tf-keras {tf_keras}"}


def stack_label(raw: str, target: str) -> str:
    versions = inventory.versions()
    if raw.startswith("tensorflow.") and "keras" not in raw.split("."):
        return f"TensorFlow {versions['tensorflow']}"
    return _STACK_NAMES[target].format(**versions)


def leaf_home(raw: str, missing: int, target: str) -> Optional[Replacement]:
    """``keras.layers.convolutional.Conv2D`` -> ``keras.layers.Conv2D``: the same name in a
    public module of the target, under the root the user wrote. Safe when it is in the package
    the user named (``keras.layers``), unsafe when found only elsewhere; None when not found or
    ambiguous. Only for a missing module followed by one last name."""
    parts = raw.split(".")
    if missing + 2 != len(parts):
        return None
    root = _keras_root_of(raw)
    if not raw.startswith(root + "."):
        return None
    homes = inventory.homes(parts[-1], raw, target)
    if not homes:
        return None
    package = "." + raw[len(root) + 1:].split(".")[0]  # ".layers"
    same = [h for h in homes if h.rsplit(".", 1)[0] == package]
    if len(same) == 1:
        return Replacement(root + same[0], SAFE)
    if len(homes) == 1:
        return Replacement(root + homes[0], UNSAFE, "found under another package: check it is the same object")
    return None


# -- the rule ---------------------------------------------------------------------------------------

@dataclass
class _Ref:
    node: cst.CSTNode  # what the finding points at
    raw: str  # the full reference as imported (keras.backend.mean)
    written: str  # as the user wrote it (K.mean), or the import's dotted text
    form: str  # "attr", "import", "from-module", "from-name"
    statement: Optional[cst.CSTNode] = None  # imports: the Import/ImportFrom
    alias: Optional[cst.ImportAlias] = None
    parent: Optional[cst.CSTNode] = None  # attr: the node holding the chain (a Call for K.mean(x))
    line: Optional[cst.CSTNode] = None  # imports: the statement line (for splits)


class MissingOnTarget(Rule):
    """
    ## What it does
    Checks every Keras and TensorFlow name the file uses against the real API of the stack it
    targets, and reports the ones that do not exist there: Keras 2 backend functions gone from
    Keras 3 (`K.mean`, `K.int_shape`, `K.variable`, `K.learning_phase`), modules that moved
    (`keras.layers.convolutional`, `keras.utils.data_utils`, `keras.applications.mobilenetv2`),
    TensorFlow 1 names (`tf.gfile`, `tf.assign`, `tf.contrib`) and names gone even from
    `tf.compat.v1` (`tf.compat.v1.estimator`). What exists is not a hand-written list: it is an
    inventory generated from TensorFlow 2.21.0, Keras 3.15.1 and tf-keras 2.21.0
    (`python -m keras_lint.inventory.generate`), and a test regenerates it and fails when the
    shipped copy differs.

    Names are resolved through the file's imports, aliases included (`from keras import backend
    as K`; `K.mean`). On `--target keras3`, `keras.*` is Keras 3 and `tf.keras.*` is the facade
    Keras 3 serves to TensorFlow (which still has most Keras 2 backend functions); on `--target
    tf-keras`, and in any file that imports `tf_keras` itself or sets `TF_USE_LEGACY_KERAS`, both are
    tf-keras. Not reported: chains through a class or object (`keras.layers.Dense.call`), module
    dunders (`tf.__version__`), code in a compatibility shim (`try: ... except ImportError`, an `if`
    that tests `__version__` or `hasattr`), names the file rebinds itself, and names a more specific
    rule reports (KL401, KL402, KL203, KL404's `K.tf`, KL405's TF 1 table).

    ## Why is this bad?
    The code fails on first use with `AttributeError: module 'keras.backend' has no attribute
    'mean'` or `ImportError: cannot import name ...`, often deep inside a training run. A linter
    that says "0 problems" on such code is wrong.

    ## Example
    ```python
    from keras import backend as K
    from keras.layers.convolutional import Conv2D

    def loss(y_true, y_pred):
        return K.mean(K.square(y_pred - y_true), axis=-1)
    ```

    ## Use instead
    ```python
    import keras
    from keras.layers import Conv2D

    def loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)
    ```

    ## Fix safety
    Fixes come from tables checked against the live libraries by the tests:
    - Keras 2 backend functions become their `keras.ops` / `keras.Variable` / `keras.config`
      equivalents (`tables/backend_ops.py`). Safe where the test measured the same values, dtype
      and shape as tf-keras's own backend on sample inputs, with differing defaults passed
      explicitly (`K.argmax(x)` -> `keras.ops.argmax(x, axis=-1)`); unsafe where results differ
      (random numbers, variables instead of tensors, another formula). `keras.ops` works on symbolic
      Keras tensors and on every Keras 3 backend.
    - A backend function with no `keras.ops` form that TensorFlow's `tf.keras` facade still has
      (`K.batch_dot`, `K.rnn`): the import of `K` is re-pointed to `tensorflow.keras.backend`
      (unsafe: TensorFlow only, and those functions run TensorFlow ops, which Keras 3 symbolic
      tensors reject outside a layer).
    - A name that moved to a public module of the same package (`keras.layers.convolutional.Conv2D`
      -> `keras.layers.Conv2D`): safe; found in another package: unsafe.
    - TensorFlow 1 names: TensorFlow's own `tf_upgrade_v2` rename table, where the new name exists
      on TF 2.21 (safe when it is `tf.compat.v1.*`, the very same object; unsafe otherwise, since
      some renamed functions reorder their arguments), else `tf.compat.v1.<name>` when it exists
      there (safe).
    - Everything else is reported with what to do instead.

    ## References
    - Keras 3 migration guide: https://keras.io/guides/migrating_to_keras_3/
    - Keras 2 <> Keras 3 incompatibilities: https://github.com/keras-team/keras/issues/18467
    - TensorFlow's migration guide and `tf_upgrade_v2`: https://www.tensorflow.org/guide/migrate/upgrade
    - Fixtures: `fixtures/KL406/`.
    """

    code = "KL406"
    name = "missing-on-target"
    message = "`{written}` is not in {stack}: {what}"
    fix_safety = UNSAFE
    triggers = ("keras", "tensorflow")

    @classmethod
    def gate(cls, facts, target) -> bool:
        # some reference the inventory does not find on a stack the file may be judged against:
        # an imported module, a from-imported name, an attribute chain through an imported name
        stacks = stacks_of(facts, target)
        judged = [(m, True) for m in facts.imported] + [(r, False) for r in facts.from_names | facts.census.refs]
        for raw, imported in judged:
            if raw.split(".", 1)[0] not in _ROOTS:
                continue
            for t in stacks:
                verdict = inventory.lookup(raw, t, imported=imported)
                if not verdict.exists and not owned_elsewhere(".".join(raw.split(".")[: verdict.missing + 1]), t):
                    return True
        return False

    VALID = [
        "import keras\nx = keras.ops.mean(y)\nk = keras.backend.epsilon()\n",
        "import tensorflow as tf\nK = tf.keras.backend\nm = tf.keras.backend.mean(x)\n",
        "from tensorflow.keras import backend as K\nm = K.mean(x)\n",
        "import tensorflow as tf\nv = tf.__version__\nl = tf.keras.layers.Dense.call\n",
        "import tensorflow as tf\ns = tf.compat.v1.Session\n",
        Valid("from keras import backend as K\nm = K.mean(x)\n", target="tf-keras"),
        Valid("import tf_keras\nfrom keras import backend as K\nm = K.mean(x)\n"),
        # a shim: both spellings guarded
        "try:\n    from keras.layers.convolutional import Conv2D\nexcept ImportError:\n"
        "    from keras.layers import Conv2D\n",
        "import tensorflow as tf\nif hasattr(tf, 'contrib'):\n    slim = tf.contrib.slim\n",
        "import tensorflow as tf\nif tf.__version__.startswith('1.'):\n    tf.gfile.GFile('x')\n",
        "from keras import backend as K\nif K.backend() == 'theano':\n    y = K.pattern_broadcast(x, [False])\n",
        # a name the file rebinds: not the module any more
        "from keras import backend as K\ndef f(K):\n    return K.mean(1)\n",
        "import keras\nclass K:\n    pass\nK.mean\n",
        # the file adds the name to the module itself (monkeypatching, as bert4keras does)
        "import keras.backend as K\nK.where = my_where\ny = K.where(c, a, b)\n",
        "from keras import backend as K\nsetattr(K, 'flatten', my_flatten)\ny = K.flatten(x)\n",
        # look-alikes: not Keras or TensorFlow
        "import mylib.backend as K\nm = K.mean(x)\n",
        "import numpy as np\nm = np.mean(x)\n",
        # owned by more specific rules
        "from keras.layers.core import Dense\n",
        "import tensorflow as tf\ns = tf.Session()\n",
        "from keras.utils import multi_gpu_model\n",
    ]
    INVALID = [
        Invalid("from keras import backend as K\nm = K.mean(x, axis=1)\n", line=2,
                fixed="from keras import backend as K\nimport keras\n\nm = keras.ops.mean(x, axis=1)\n"),
        Invalid("import keras.backend as K\ni = K.argmax(p)\n", line=2,
                fixed="import keras.backend as K\nimport keras\n\ni = keras.ops.argmax(p, axis=-1)\n"),
        Invalid("import keras\nfrom keras import backend as K\nc = K.concatenate([a, b])\ns = K.int_shape(c)\n",
                count=2, line=3,
                fixed="import keras\nfrom keras import backend as K\nc = keras.ops.concatenate([a, b], axis=-1)\n"
                      "s = tuple(c.shape)\n"),
        Invalid("import keras\ny = keras.backend.clip(x, min_value=0.0, max_value=1.0)\n",
                fixed="import keras\ny = keras.ops.clip(x, x_min=0.0, x_max=1.0)\n"),
        Invalid("from keras import backend as K\nb = K.batch_dot(x, y)\n", line=2,
                fixed="from tensorflow.keras import backend as K\nb = K.batch_dot(x, y)\n"),
        Invalid("from keras import backend as K\nphase = K.learning_phase()\n", line=2),
        Invalid("from keras.layers.convolutional import Conv2D, MaxPooling2D\n",
                fixed="from keras.layers import Conv2D, MaxPooling2D\n"),
        Invalid("import keras\nc = keras.layers.convolutional.Conv2D(8, 3)\n", line=2,
                fixed="import keras\nc = keras.layers.Conv2D(8, 3)\n"),
        Invalid("from keras.backend import mean\n", fixed="from keras.ops import mean\n"),
        Invalid("import tensorflow as tf\nr = tf.floormod(a, b)\n", line=2,
                fixed="import tensorflow as tf\nr = tf.math.floormod(a, b)\n"),
        Invalid("import tensorflow as tf\ntf.train.init_from_checkpoint(ckpt, {'/': '/'})\n", line=2,
                fixed="import tensorflow as tf\ntf.compat.v1.train.init_from_checkpoint(ckpt, {'/': '/'})\n"),
        Invalid("from tensorflow import parse_single_example\n",
                fixed="from tensorflow.io import parse_single_example\n"),
        Invalid("import tensorflow as tf\nr = tf.contrib.cluster_resolver.ClusterResolver\n", line=2,
                fixed="import tensorflow as tf\nr = tf.distribute.cluster_resolver.ClusterResolver\n"),
        # tf_upgrade_v2 names tf.compat.v1.nn.rnn_cell.BasicRNNCell, which fails to load on TF 2.21
        Invalid("import tensorflow as tf\ncell = tf.contrib.rnn.BasicRNNCell(8)\n", line=2),
        Invalid("import tensorflow as tf\nslim = tf.contrib.slim\n", line=2),
        Invalid("import tensorflow as tf\nest = tf.compat.v1.estimator.Estimator\n", line=2),
        Invalid("from tensorflow.contrib import layers\n"),
        Invalid("import keras\ngen = keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255)\n", line=2),
        Invalid("from keras.initializers import normal\n"),
        Invalid("import tensorflow as tf\nK = tf.keras.backend\nphase = tf.keras.backend.learning_phase()\n", line=3),
        Invalid("from tensorflow.compat.v1.keras import backend as K\n",
                fixed="from tensorflow.keras import backend as K\n"),
        Invalid("from keras.preprocessing.image import ImageDataGenerator, load_img\n",
                fixed="from keras.preprocessing.image import load_img\n"
                      "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n"),
        Invalid("import tf_keras as keras\nx = keras.backend.nothing_here(1)\n", line=2),
        # a look-alike of monkeypatching: an attribute set on another object
        Invalid("from keras import backend as K\nlayer.where = my_where\ny = K.where(c, a, b)\n", line=3),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._refs: List[_Ref] = []
        #: names the file adds to a Keras/TensorFlow module itself (``K.where = where``)
        self._patched: Set[str] = set()
        #: local name -> (import statement, alias) that bound it last
        self._import_of: Dict[str, Tuple[cst.CSTNode, cst.ImportAlias]] = {}

    # -- collecting references (judged at the end, once every other rule has reported) ----------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) \
                else full.split(".")[0]
            self._import_of[local] = (node, alias)
            if full.split(".")[0] in _ROOTS and not self._shim():
                self._refs.append(_Ref(alias, full, full, "import", node, alias, line=self.ctx.parent()))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = module_of_import_from(node)
        if module is None or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) \
                else alias.evaluated_name
            self._import_of[local] = (node, alias)
        if module.split(".")[0] not in _ROOTS or self._shim():
            return
        self._refs.append(_Ref(node.module, module, module, "from-module", node, line=self.ctx.parent()))
        for alias in node.names:
            full = f"{module}.{alias.evaluated_name}"
            self._refs.append(_Ref(alias, full, full, "from-name", node, alias, line=self.ctx.parent()))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        parent = self.ctx.parent()
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return  # only the whole chain
        written = dotted_name(node)
        if written is None:
            return
        raw = self.ctx.imports.resolve_dotted(written)
        if raw is None or raw.split(".")[0] not in _ROOTS or self._shim():
            return
        self._refs.append(_Ref(node, raw, written, "attr", parent=parent))

    # a module attribute the file sets exists from then on: `K.where = where`, setattr(K, "x", f)
    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Attribute):
            self._patch(node.target.value, node.target.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "setattr" and len(node.args) >= 2:
            name = node.args[1].value
            if isinstance(name, cst.SimpleString):
                self._patch(node.args[0].value, name.evaluated_value)

    def _patch(self, owner: cst.BaseExpression, attr: object) -> None:
        written = dotted_name(owner)
        raw = self.ctx.imports.resolve_dotted(written) if written else None
        if raw is not None and isinstance(attr, str):
            self._patched.add(f"{raw}.{attr}")

    def _shim(self) -> bool:
        """Inside a compatibility shim: a try that catches ImportError/AttributeError, or an
        ``if``/conditional expression that tests versions or ``hasattr``."""
        if self.ctx.in_import_guard():
            return True
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (cst.If, cst.IfExp, cst.While)):
                text = self.ctx.module.code_for_node(anc.test)
                if any(w in text for w in SHIM_WORDS):
                    return True
        return False

    # -- judging ------------------------------------------------------------------------------------
    def leave_Module(self, node: cst.Module) -> None:
        if not self._refs:
            return
        taken = {id(rep.node) for rep in self.ctx.reports if rep.code != self.code}
        target = self.ctx.target
        reported_imports: Set[int] = set()
        for ref in self._refs:
            if ref.form == "attr" and self._rebound(ref.written.split(".")[0]):
                continue  # a parameter or assignment named K somewhere: not (only) the module
            if id(ref.node) in taken or (ref.statement is not None and id(ref.statement) in taken) or \
                    (ref.parent is not None and id(ref.parent) in taken):
                continue
            if ref.form == "from-name" and id(ref.statement) in reported_imports:
                continue  # the module itself is missing: one finding for the statement
            verdict = inventory.lookup(ref.raw, target, imported=ref.form in ("import", "from-module"))
            if verdict.exists:
                continue
            raw_parts = ref.raw.split(".")
            failing = ".".join(raw_parts[: verdict.missing + 1])
            if failing in self._patched:
                continue  # the file sets it on the module itself
            if owned_elsewhere(failing, target) or owned_elsewhere(ref.raw, target):
                continue
            if ref.form == "from-module":
                reported_imports.add(id(ref.statement))
            self._judge(ref, verdict.missing, failing)

    def _judge(self, ref: _Ref, missing: int, failing: str) -> None:
        target = self.ctx.target
        node = ref.node
        written = ref.written
        if ref.form == "attr":
            extra = len(ref.raw.split(".")) - len(written.split("."))
            idx = missing - extra  # index of the failing component in the written chain
            if idx < 1:
                return  # the name's own import is what fails: that import is the finding
            node = _prefix_node(ref.node, len(written.split(".")) - 1 - idx)
            written = ".".join(written.split(".")[: idx + 1])
        what, fix = self._remedy(ref, node, missing, failing)
        stack = stack_label(ref.raw, target)
        self.report(node, self.message.format(written=written, stack=stack, what=what), fix)

    # -- remedies -------------------------------------------------------------------------------------
    def _remedy(self, ref: _Ref, node: cst.CSTNode, missing: int, failing: str) -> Tuple[str, Optional[Fix]]:
        target = self.ctx.target
        canon = canonical(failing)
        parts = failing.split(".")
        if ref.form in ("import", "from-module") and inventory.lookup(ref.raw, target).exists:
            return self._not_importable(ref)
        if canon.startswith("keras.backend.") and len(canon.split(".")) == 3 and target == "keras3":
            return self._backend(ref, node, parts[-1])
        if failing.startswith("tensorflow") and "keras" not in parts:
            return self._tensorflow(ref, node, failing)
        if ref.form == "from-module" and missing == len(ref.raw.split(".")) - 1:
            fix = self._moved_import_fix(ref, missing)
            if fix is not None:
                return f"its names are in `{_module_of(fix)}`", fix
        home = leaf_home(ref.raw, missing, target)
        if home is not None:
            return self._moved(ref, node, missing, home)
        facade = self._facade_path(ref.raw)
        if facade is not None:
            fix = None
            if ref.form == "from-name" and ref.statement is not None and ref.line is not None:
                module, _, name = facade.rpartition(".")
                if inventory.lookup(module, target, imported=True).exists:
                    target_node, replacement = split_import_from(ref.statement, ref.line, {name: (module, name)})
                    fix = Fix(UNSAFE, {target_node: replacement})
            return "only `tf.keras` still has it (TensorFlow only)", fix
        owner = ".".join(parts[:-1])
        return f"`{owner}` has no `{parts[-1]}`; see `keras-lint rule KL406`", None

    def _not_importable(self, ref: _Ref) -> Tuple[str, Optional[Fix]]:
        """``from tensorflow.compat.v1.keras import backend`` on Keras 3: the module is only an
        attribute there (``tf.compat.v1.keras``); ``tensorflow.keras`` is the same module and imports."""
        for spelling in ("tensorflow.compat.v1.keras", "tensorflow.compat.v2.keras"):
            if ref.raw == spelling or ref.raw.startswith(spelling + "."):
                new = "tensorflow.keras" + ref.raw[len(spelling):]
                if not inventory.lookup(new, self.ctx.target, imported=True).exists:
                    break
                if isinstance(ref.statement, cst.ImportFrom):
                    fix = Fix(SAFE, {ref.statement: ref.statement.with_changes(module=dotted_expr(new))})
                    return f"not importable (an attribute only); import `{new}`", fix
                return f"not importable (an attribute only); import `{new}`", None
        return "it exists only as an attribute, not as an importable module", None

    def _facade_path(self, raw: str) -> Optional[str]:
        if self.ctx.target != "keras3" or not raw.startswith("keras."):
            return None
        path = "tensorflow.keras" + raw[len("keras"):]
        return path if inventory.lookup(path, "keras3").exists else None

    # Keras 2 backend functions
    def _backend(self, ref: _Ref, node: cst.CSTNode, name: str) -> Tuple[str, Optional[Fix]]:
        move = BACKEND_MOVES.get(name)
        if move is not None:
            shown = move.call or (move.template or "").replace("{0}", "x").replace("{1}", "value")
            return f"use `{shown}`", self._backend_fix(ref, node, name, move)
        guidance = BACKEND_GUIDANCE.get(name)
        facade = inventory.lookup(f"tensorflow.keras.backend.{name}", "keras3").exists
        fix = self._repoint_backend(ref, node) if facade else None
        if guidance:
            return guidance, fix
        if facade:
            return f"no `keras.ops` form; `tf.keras.backend.{name}` still has it (TensorFlow only)", fix
        return "Keras 3 has no such backend function; see `keras-lint rule KL406`", None

    def _rebound(self, name: str) -> bool:
        return any(what == OTHER for what in bindings(self.ctx).get(name, ()))

    def _keras_name(self) -> Tuple[Optional[str], Tuple[ImportSpec, ...]]:
        """How the fixed code names Keras 3: a name bound to it and nothing else, else ``keras``
        with ``import keras`` added, if nothing else in the file is called ``keras``."""
        for local, full in self.ctx.imports.bindings.items():
            if full == "keras" and is_free(self.ctx, local, "keras"):
                return local, ()
        if not is_free(self.ctx, "keras", "keras"):
            return None, ()
        return "keras", (ImportSpec("keras"),)

    def _backend_fix(self, ref: _Ref, node: cst.CSTNode, name: str, move: BackendMove) -> Optional[Fix]:
        if ref.form == "from-name":
            return self._backend_import_fix(ref, name, move)
        call = ref.parent
        if ref.form != "attr" or node is not ref.node or not isinstance(call, cst.Call) or call.func is not node:
            return None
        args = list(call.args)
        positional = [a for a in args if a.keyword is None]
        if any(a.star for a in args) or len(positional) > move.positional:
            return None
        allowed = set(move.keywords) | set(move.carry) | COMMON_KEYWORDS
        if any(a.keyword is not None and a.keyword.value not in allowed for a in args):
            return None
        keras_name, imports = self._keras_name()
        if keras_name is None:
            return None
        if move.template is not None:
            if args and any("#" in self.ctx.module.code_for_node(a) for a in args) or \
                    any(a.keyword is not None for a in args) or len(positional) != move.template.count("{"):
                return None
            texts = [_atom(self.ctx.module.code_for_node(a.value), a.value) for a in positional]
            code = move.template.replace("keras.", f"{keras_name}.").format(*texts)
            new: cst.BaseExpression = cst.parse_expression(code)
            new = new.with_changes(lpar=call.lpar, rpar=call.rpar)
            return Fix(move.safety, {call: new}, imports)
        new_args = []
        given = {a.keyword.value for a in args if a.keyword is not None}
        n_pos = len(positional)
        for a in args:
            if a.keyword is not None and a.keyword.value in move.keywords:
                a = a.with_changes(keyword=cst.Name(move.keywords[a.keyword.value]))
            new_args.append(a)
        # a default that differs is passed explicitly, unless given (by keyword or position)
        k2_positions = _K2_POSITIONS.get(name, ())
        for kw, value in move.carry.items():
            pos = k2_positions.index(kw) if kw in k2_positions else None
            if kw in given or (pos is not None and pos < n_pos):
                continue
            value = value.replace("keras.", f"{keras_name}.")
            if new_args:
                last = new_args[-1]
                if last.comma is cst.MaybeSentinel.DEFAULT or isinstance(last.comma, cst.MaybeSentinel):
                    new_args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new_args.append(cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(kw),
                                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                          whitespace_after=cst.SimpleWhitespace(""))))
        func = dotted_expr(move.call.replace("keras.", f"{keras_name}.", 1))
        return Fix(move.safety, {call: call.with_changes(func=func, args=new_args)}, imports)

    def _backend_import_fix(self, ref: _Ref, name: str, move: BackendMove) -> Optional[Fix]:
        """``from keras.backend import mean`` -> ``from keras.ops import mean``: only for a
        function of the same name, no argument differences, and a safe entry."""
        if move.template or move.keywords or move.carry or move.safety != SAFE or not move.call:
            return None
        new_module, _, new_name = move.call.rpartition(".")
        if new_name != name or ref.statement is None or ref.line is None:
            return None
        target, replacement = split_import_from(ref.statement, ref.line, {name: (new_module, new_name)})
        return Fix(SAFE, {target: replacement})

    def _repoint_backend(self, ref: _Ref, node: cst.CSTNode) -> Optional[Fix]:
        """Point ``K`` at ``tensorflow.keras.backend`` (the facade), where ``K`` was bound by
        ``from keras import backend as K`` or ``import keras.backend as K``."""
        if ref.form != "attr":
            return None
        local = ref.written.split(".")[0]
        bound = self._import_of.get(local)
        if bound is None or self.ctx.imports.bindings.get(local) != "keras.backend":
            return None
        statement, alias = bound
        if isinstance(statement, cst.ImportFrom):
            line = _line_of(self.ctx.module, statement)
            if line is None:
                return None
            target, replacement = split_import_from(statement, line, {"backend": ("tensorflow.keras", "backend")})
            return Fix(UNSAFE, {target: replacement})
        if isinstance(statement, cst.Import) and alias.asname is not None:
            return Fix(UNSAFE, {statement: import_module_as(statement, alias, "tensorflow.keras.backend")})
        return None

    # moved Keras names
    def _moved(self, ref: _Ref, node: cst.CSTNode, missing: int, home: Replacement) -> Tuple[str, Optional[Fix]]:
        what = f"use `{home.path}`"
        if ref.form != "attr":
            return what, None
        local = ref.written.split(".")[0]
        base = self.ctx.imports.bindings.get(local, "")
        if not home.path.startswith(base + "."):
            return what, None  # the new home is not reachable from the name the code uses
        return what, Fix(home.safety, {ref.node: dotted_expr(local + home.path[len(base):])})

    def _moved_import_fix(self, ref: _Ref, missing: int) -> Optional[Fix]:
        """``from keras.layers.convolutional import Conv2D`` -> ``from keras.layers import Conv2D``."""
        statement = ref.statement
        if not isinstance(statement, cst.ImportFrom) or not isinstance(statement.names, Sequence) \
                or ref.line is None:
            return None
        moves = {}
        safety = SAFE
        for alias in statement.names:
            home = leaf_home(f"{ref.raw}.{alias.evaluated_name}", missing, self.ctx.target)
            if home is None:
                return None
            module, _, name = home.path.rpartition(".")
            moves[alias.evaluated_name] = (module, name)
            if home.safety != SAFE:
                safety = UNSAFE
        target, replacement = split_import_from(statement, ref.line, moves)
        return Fix(safety, {target: replacement})

    # TensorFlow names
    def _tensorflow(self, ref: _Ref, node: cst.CSTNode, failing: str) -> Tuple[str, Optional[Fix]]:
        rest = failing[len("tensorflow."):]
        renamed = inventory.tf_rename(ref.raw)
        if renamed is not None:
            old, new = renamed
            safety = SAFE if new.startswith("tensorflow.compat.v1.") else UNSAFE
            return f"use `{_tf_spelling(new)}`", self._tf_fix(ref, node, old, new, safety)
        if not failing.startswith("tensorflow.compat.") and \
                inventory.lookup(f"tensorflow.compat.v1.{rest}", self.ctx.target).exists:
            new = f"tensorflow.compat.v1.{rest}"
            return f"it is `{_tf_spelling(new)}`", self._tf_fix(ref, node, failing, new, SAFE)
        if failing.startswith("tensorflow.contrib"):
            return "tf.contrib is gone; use core TensorFlow, Keras or another library", None
        parent = failing.rsplit(".", 1)[0]
        return f"`{_tf_spelling(parent)}` has no `{failing.rsplit('.', 1)[1]}`", None

    def _tf_fix(self, ref: _Ref, node: cst.CSTNode, old: str, new: str, safety: str) -> Optional[Fix]:
        if ref.form == "from-name" and ref.statement is not None and ref.line is not None:
            module, _, name = new.rpartition(".")
            old_module, _, old_name = old.rpartition(".")
            if old_module != module_of_import_from(ref.statement) or not ref.raw == old:
                return None
            target, replacement = split_import_from(ref.statement, ref.line, {old_name: (module, name)})
            return Fix(safety, {target: replacement})
        if ref.form != "attr":
            return None
        local = ref.written.split(".")[0]
        if self.ctx.imports.bindings.get(local) != "tensorflow":
            return None
        old_len = len(old.split("."))
        chain_node = _prefix_node(ref.node, len(ref.raw.split(".")) - old_len)
        return Fix(safety, {chain_node: dotted_expr(local + new[len("tensorflow"):])})


# Keras 2 positional parameter names, for the defaults a fix passes explicitly (tf_keras.backend)
_K2_POSITIONS: Dict[str, Tuple[str, ...]] = {
    "argmax": ("x", "axis"), "argmin": ("x", "axis"), "concatenate": ("tensors", "axis"),
    "expand_dims": ("x", "axis"), "cumsum": ("x", "axis"), "cumprod": ("x", "axis"),
    "arange": ("start", "stop", "step", "dtype"), "gather": ("reference", "indices"),
    "constant": ("value", "dtype", "shape", "name"), "variable": ("value", "dtype", "name", "constraint"),
    "zeros": ("shape", "dtype", "name"), "ones": ("shape", "dtype", "name"), "l2_normalize": ("x", "axis"),
}


def _prefix_node(node: cst.CSTNode, drop: int) -> cst.CSTNode:
    """The sub-chain of an Attribute chain with ``drop`` trailing components removed."""
    for _ in range(drop):
        assert isinstance(node, cst.Attribute)
        node = node.value
    return node


def _atom(code: str, expr: cst.BaseExpression) -> str:
    """Parenthesise an argument that a template puts before ``.shape``."""
    if isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return code
    return f"({code})"


def _tf_spelling(path: str) -> str:
    return "tf" + path[len("tensorflow"):] if path.startswith("tensorflow") else path


def _keras_root_of(raw: str) -> str:
    for root in ("tensorflow.keras", "tf_keras", "keras"):
        if raw == root or raw.startswith(root + "."):
            return root
    return "keras"


def _module_of(fix: Fix) -> str:
    """The module(s) a rewritten import now imports from, for the message."""
    modules = []
    for new in fix.replacements.values():
        for node in getattr(new, "nodes", [new]):
            body = getattr(node, "body", [node])
            for stmt in body:
                if isinstance(stmt, cst.ImportFrom) and stmt.module is not None:
                    modules.append(dotted_name(stmt.module) or "")
    return "`, `".join(dict.fromkeys(m for m in modules if m))


def _line_of(module: cst.Module, statement: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The SimpleStatementLine holding ``statement`` (imports are found at any depth)."""
    todo: List[cst.CSTNode] = [module]
    from ..walk import children
    while todo:
        node = todo.pop()
        if isinstance(node, cst.SimpleStatementLine):
            if any(s is statement for s in node.body):
                return node
            continue
        todo.extend(children(node))
    return None
