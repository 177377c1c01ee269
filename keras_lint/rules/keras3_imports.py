"""KL410 (opt-in): `tf.keras` spelled where multi-backend Keras 3 wants `keras`.

The migration guide's first step: `from tensorflow import keras` -> `import keras`,
`from tensorflow.keras import x` -> `from keras import x`, `tf.keras.*` -> `keras.*`. Off by default:
`tf.keras` keeps working under TensorFlow. The fix is safe where the name is the same object under
both spellings, which ``tables/tf_keras_only.py`` records (measured on TF 2.21 / Keras 3.15.1).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from ..fixes import dotted_expr
from ..names import dotted_name
from ..rule import SAFE, Fix, ImportSpec, Invalid, Rule, Valid
from ..tables.tf_keras_only import TF_KERAS_DIFFERENT, TF_KERAS_ONLY

_PREFIX = "tensorflow.keras"


def same_under_keras(path: str) -> bool:
    """``path`` (after ``tf.keras.``; "" for the module itself) is the same object as
    ``keras.<path>``: not a tf.keras-only or different name, not inside one, and not a module
    that holds one."""
    return holds_legacy(path) is False


def holds_legacy(path: str) -> Optional[bool]:
    """None: ``tf.keras.<path>`` is not ``keras.<path>`` (or is the tf.keras module itself);
    True: it is the same module, but the tf.keras one also holds legacy-only names (safe to
    rewrite only when no use in the file reaches one); False: the very same object."""
    if not path or path in TF_KERAS_ONLY or path in TF_KERAS_DIFFERENT:
        return None
    parts = path.split(".")
    if any(".".join(parts[:i]) in TF_KERAS_ONLY for i in range(1, len(parts))):
        return None
    probe = path + "."
    return any(name.startswith(probe) for name in TF_KERAS_ONLY | TF_KERAS_DIFFERENT)


def _tf_keras_path(raw: Optional[str]) -> Optional[str]:
    """``layers.Dense`` for ``tensorflow.keras.layers.Dense``, "" for ``tensorflow.keras``."""
    if raw is None:
        return None
    if raw == _PREFIX:
        return ""
    if raw.startswith(_PREFIX + "."):
        return raw[len(_PREFIX) + 1:]
    return None


class TfKerasToKeras(Rule):
    """
    ## What it does
    Finds `tf.keras` spellings on the Keras 3 stack: `from tensorflow import keras`,
    `from tensorflow.keras[.module] import name`, `import tensorflow.keras[...] as alias` and
    `tf.keras.<path>` attribute chains. Opt-in (`--select KL410` or `extend-select`).

    ## Why is this bad?
    It is not an error: on TensorFlow 2.16+ with Keras 3, `tf.keras` is Keras 3 under a
    TensorFlow alias (`keras._tf_keras.keras`). But code that reaches Keras through TensorFlow
    cannot run on the JAX or PyTorch backends, and `tf.keras` silently becomes tf-keras (Keras 2)
    whenever `TF_USE_LEGACY_KERAS=1` is set. The migration guide's first step is this rewrite, and
    keras-team/keras#18472 asked for a tool that does it.

    Mixing both spellings in one file (measured on TF 2.21): without `TF_USE_LEGACY_KERAS` they
    are the same library and all four mixes tried (a `keras.Input` into a `tf.keras` layer, a
    `tf.keras` optimizer in a `keras` model, ...) run; with `TF_USE_LEGACY_KERAS=1` three of the
    four fail (`AttributeError: 'tuple' object has no attribute 'rank'`, `ValueError: Could not
    interpret optimizer identifier`, `AttributeError: 'EarlyStopping' object has no attribute
    '_implements_train_batch_hooks'`). A file that sets the variable is judged against tf-keras,
    where this rule is silent: it is for projects moving to `keras`.

    ## Example
    ```python
    import tensorflow as tf
    from tensorflow.keras import layers

    model = tf.keras.Sequential([layers.Dense(1)])
    ```

    ## Use instead
    ```python
    import keras
    from keras import layers

    model = keras.Sequential([layers.Dense(1)])
    ```

    ## Fix safety
    Safe where it is offered: measured, every name under `tf.keras` is the very same object
    under `keras`, except 173 legacy names only `tf.keras` has (the Keras 2 backend functions
    such as `tf.keras.backend.mean`, `preprocessing.image.ImageDataGenerator`,
    `preprocessing.text`, `losses.mse`, ...) and `layers.AlphaDropout`, which is a different
    class; those, modules that contain them (`tf.keras.backend`), and `tf.keras` used as a
    value are reported without a fix. `from tensorflow import keras` and module imports such as
    `from tensorflow.keras import layers, backend` are rewritten only when every use of them in the
    file is one of the identical names (and the module is not passed around as a value). `import keras` is added where needed.

    ## References
    - keras-io `guides/migrating_to_keras_3.py` ("First, replace your imports").
    - https://github.com/keras-team/keras/issues/18472 (a migration tool, first item: the imports).
    - https://github.com/keras-team/keras/issues/18467
    - keras_lint/tables/tf_keras_only.py; fixtures/KL410/.
    """

    code = "KL410"
    name = "tf-keras-to-keras"
    message = "`{old}`: use `{new}` (Keras 3 without TensorFlow){note}"
    default_enabled = False
    fix_safety = SAFE

    VALID = [
        "import keras\nfrom keras import layers\nm = keras.Sequential([layers.Dense(1)])\n",
        "import tensorflow as tf\nx = tf.constant(1)\nds = tf.data.Dataset.range(3)\n",
        # private and old internal paths are other rules' business
        "from tensorflow.python.keras import layers\n",
        # tf-keras files and targets: the rewrite would change the library
        "import tf_keras\nimport tensorflow as tf\nm = tf.keras.Sequential()\n",
        Valid("import tensorflow as tf\nm = tf.keras.Sequential()\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid("import tensorflow as tf\nm = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n", count=2,
                fixed="import tensorflow as tf\nimport keras\n\nm = keras.Sequential([keras.layers.Dense(1)])\n"),
        Invalid("from tensorflow import keras\nm = keras.Sequential([keras.layers.Dense(1)])\n",
                fixed="import keras\nm = keras.Sequential([keras.layers.Dense(1)])\n"),
        Invalid("from tensorflow import keras as K\nm = K.models.Model(i, o)\n",
                fixed="import keras as K\nm = K.models.Model(i, o)\n"),
        Invalid("from tensorflow.keras.layers import Dense, Input\nfrom tensorflow.keras import backend as K\n"
                "x = K.mean(y)\n",
                count=2, fixed="from keras.layers import Dense, Input\nfrom tensorflow.keras import backend as K\n"
                "x = K.mean(y)\n"),
        # a module import is rewritten when every use in the file is the same under keras
        Invalid("from tensorflow.keras import layers, backend\nx = layers.Dense(1)\ny = backend.floatx()\n",
                fixed="from keras import layers, backend\nx = layers.Dense(1)\ny = backend.floatx()\n"),
        Invalid("from tensorflow.keras import layers\nx = layers.ThresholdedReLU()\n", line=1),
        Invalid("from tensorflow.keras import layers\nall_layers = vars(layers)\n", line=1),
        # a legacy-only name: reported, not fixed
        Invalid("import tensorflow as tf\ngen = tf.keras.preprocessing.image.ImageDataGenerator()\n", line=2),
        Invalid("from tensorflow import keras\nloss = keras.losses.mse(a, b)\n", line=1),
        Invalid("import tensorflow.keras.backend as K\n", line=1),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._imports: List[Tuple[cst.CSTNode, str]] = []  # (node, kind)
        self._chains: List[cst.Attribute] = []
        self._unsafe_uses = False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        mod = dotted_name(node.module)
        if mod == "tensorflow" and any(isinstance(a.name, cst.Name) and a.name.value == "keras" for a in node.names):
            self._imports.append((node, "from-tf"))
        elif mod == _PREFIX or (mod or "").startswith(_PREFIX + "."):
            self._imports.append((node, "from-tf-keras"))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if _tf_keras_path(dotted_name(alias.name)) is not None:
                self._imports.append((node, "import"))
                return

    def visit_Attribute(self, node: cst.Attribute) -> None:
        parent = self.ctx.parent()
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return  # only the whole chain
        if isinstance(parent, (cst.Import, cst.ImportFrom, cst.ImportAlias)):
            return
        path = _tf_keras_path(self.ctx.raw_qualname(node))
        if path is None:
            return
        if not same_under_keras(path):
            self._unsafe_uses = True
        root = dotted_name(node)
        if root is not None and self.ctx.imports.bindings.get(root.split(".", 1)[0]) in ("tensorflow",):
            self._chains.append(node)

    def visit_Name(self, node: cst.Name) -> None:
        # a bare name bound by `from tensorflow import keras` and used as a value (`k = keras`)
        parent = self.ctx.parent()
        if isinstance(parent, cst.Attribute):
            return
        path = _tf_keras_path(self.ctx.imports.bindings.get(node.value))
        if path is not None and not same_under_keras(path):
            self._unsafe_uses = True  # `layers` or `keras` passed around as a value: uses unseen

    def leave_Module(self, node: cst.Module) -> None:
        if self.ctx.target != "keras3":
            return
        keras_free = self.ctx.imports.bindings.get("keras") in (None, "keras")
        for stmt, kind in self._imports:
            if kind == "from-tf":
                self._from_tf(stmt)  # type: ignore[arg-type]
            elif kind == "from-tf-keras":
                self._from_tf_keras(stmt)  # type: ignore[arg-type]
            else:
                old = cst.Module([]).code_for_node(stmt)
                self.report(stmt, self.message.format(old=old, new="import keras...", note=""))
        for chain in self._chains:
            raw = self.ctx.raw_qualname(chain) or ""
            path = _tf_keras_path(raw) or ""
            old = dotted_name(chain) or raw
            new = f"keras.{path}" if path else "keras"
            fix = None
            note = ""
            if same_under_keras(path) and keras_free:
                fix = Fix(SAFE, {chain: dotted_expr(new)}, (ImportSpec("keras"),))
            elif not same_under_keras(path):
                note = " (no fix: legacy tf.keras-only name)" if path else " (no fix)"
            self.report(chain, self.message.format(old=old, new=new, note=note), fix)

    def _from_tf(self, stmt: cst.ImportFrom) -> None:
        names = list(stmt.names)  # type: ignore[arg-type]
        alias = next(a for a in names if isinstance(a.name, cst.Name) and a.name.value == "keras")
        fix = None
        note = " (no fix: uses tf.keras-only names)"
        if len(names) == 1 and not self._unsafe_uses:
            new = cst.Import(names=[cst.ImportAlias(name=cst.Name("keras"), asname=alias.asname)])
            fix = Fix(SAFE, {stmt: new})
            note = ""
        elif len(names) != 1:
            note = ""
        self.report(stmt, self.message.format(old="from tensorflow import keras", new="import keras", note=note), fix)

    def _from_tf_keras(self, stmt: cst.ImportFrom) -> None:
        mod = dotted_name(stmt.module)  # type: ignore[arg-type]
        sub = _tf_keras_path(mod) or ""
        new_mod = "keras" + (f".{sub}" if sub else "")
        paths = [f"{sub}.{a.name.value}" if sub else a.name.value  # type: ignore[union-attr]
                 for a in stmt.names if isinstance(a.name, cst.Name)]  # type: ignore[union-attr]
        fix = None
        note = ""
        verdicts = [holds_legacy(p) for p in paths]
        if None not in verdicts and (True not in verdicts or not self._unsafe_uses):
            fix = Fix(SAFE, {stmt: stmt.with_changes(module=dotted_expr(new_mod))})
        else:
            note = " (no fix: tf.keras-only names)"
        self.report(stmt, self.message.format(old=f"from {mod} import ...", new=f"from {new_mod} import ...",
                                              note=note), fix)
