"""KL401 and KL402: import paths that Keras moved or removed."""
from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from ..analysis.facts import stacks_of
from ..fixes import dotted_expr, import_module_as, keras_root, local_name, module_of_import_from, reroot, split_import_from
from ..names import TRACKED_ROOTS, canonical, dotted_name
from ._bindings import free_name
from ..rule import SAFE, UNSAFE, Fix, ImportSpec, Invalid, Rule, Valid
from ..tables.imports import OBTAIN_INPUT_SHAPE, OBTAIN_INPUT_SHAPE_OLD, MovedModule, find_moved

REMOVED_PACKAGES = ("keras.engine.", "keras.legacy.")


def _tracked(module: Optional[str]) -> bool:
    return module is not None and module.split(".", 1)[0] in TRACKED_ROOTS


class ObtainInputShape(Rule):
    """
    ## What it does
    Finds imports and uses of `_obtain_input_shape` from `keras.applications.imagenet_utils`
    (also `tensorflow.keras...`, `tf_keras...` and the dead `keras_applications` package).

    ## Why is this bad?
    Keras 2.2.2 moved the helper out of `keras.applications.imagenet_utils`, so the import fails
    with `ImportError: cannot import name '_obtain_input_shape'` (keras-team/keras-applications#72,
    where the maintainers call it internal). The old advice,
    `from keras_applications.imagenet_utils import _obtain_input_shape`, points at a package
    that is no longer maintained and does not install next to Keras 3. The helper is private: it
    lives on today as `obtain_input_shape` in each stack's private `src` tree, with the same
    signature, and may move again.

    ## Example
    ```python
    from keras.applications.imagenet_utils import _obtain_input_shape
    ```

    ## Use instead
    ```python
    from keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape
    ```
    (with `--target tf-keras`: `tf_keras.src.applications.imagenet_utils`), or copy the helper
    into your project to stop depending on private code.

    ## Fix safety
    Safe: the old import cannot succeed on any supported stack, and the new path exports the
    same function. The name your code uses is kept with an `as` alias. Imports inside a
    `try: ... except ImportError:` compatibility shim are left alone.

    ## References
    - https://github.com/keras-team/keras-applications (archived: the package the helper moved to)
    - fixtures/KL401/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL401` (TF 2.21 / Keras 3.15 / tf-keras 2.21).
    """

    code = "KL401"
    name = "removed-obtain-input-shape"
    message = ("`_obtain_input_shape` left `imagenet_utils` in Keras 2.2.2 (ImportError); import the private "
               "`{module}.obtain_input_shape`")
    fix_safety = SAFE
    triggers = ("_obtain_input_shape",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return any("_obtain_input_shape" in r for r in facts.census.refs | facts.from_names)

    VALID = [
        "from keras.applications.imagenet_utils import preprocess_input",
        "from keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape",
        # a compatibility shim already copes with the failure
        "try:\n    from keras.applications.imagenet_utils import _obtain_input_shape\n"
        "except ImportError:\n    from keras_applications.imagenet_utils import _obtain_input_shape\n",
        # a project's own module of the same name is not Keras
        "from mylib.imagenet_utils import _obtain_input_shape\n",
        "def _obtain_input_shape(*a):\n    return a\nx = _obtain_input_shape(1)\n",
    ]
    INVALID = [
        Invalid("from keras.applications.imagenet_utils import _obtain_input_shape\n",
                fixed="from keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape\n"),
        Invalid("from tensorflow.keras.applications.imagenet_utils import _obtain_input_shape as ois\n",
                fixed="from keras.src.applications.imagenet_utils import obtain_input_shape as ois\n"),
        Invalid("from keras_applications.imagenet_utils import _obtain_input_shape\n",
                fixed="from tf_keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape\n",
                target="tf-keras"),
        # the name the fix imports is taken by the file: another alias
        Invalid("from keras.applications import imagenet_utils\n"
                "shape = imagenet_utils._obtain_input_shape(None, 224, 32, 'channels_last', True)\n"
                "for obtain_input_shape in hooks:\n    obtain_input_shape()\n",
                fixed="from keras.applications import imagenet_utils\n"
                      "from keras.src.applications.imagenet_utils import obtain_input_shape as keras_obtain_input_shape\n\n"
                      "shape = keras_obtain_input_shape(None, 224, 32, 'channels_last', True)\n"
                      "for obtain_input_shape in hooks:\n    obtain_input_shape()\n"),
        Invalid("from keras.applications.imagenet_utils import preprocess_input, _obtain_input_shape  # old\n",
                fixed="from keras.applications.imagenet_utils import preprocess_input  # old\n"
                      "from keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape\n"),
        Invalid("from keras.applications import imagenet_utils\n"
                "shape = imagenet_utils._obtain_input_shape(None, 224, 32, 'channels_last', True)\n",
                line=2,
                fixed="from keras.applications import imagenet_utils\n"
                      "from keras.src.applications.imagenet_utils import obtain_input_shape\n\n"
                      "shape = obtain_input_shape(None, 224, 32, 'channels_last', True)\n"),
    ]

    def _home(self) -> Tuple[str, str]:
        return OBTAIN_INPUT_SHAPE.get(self.ctx.target, OBTAIN_INPUT_SHAPE["keras3"])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = module_of_import_from(node)
        if not _tracked(module) or canonical(module) not in OBTAIN_INPUT_SHAPE_OLD:  # type: ignore[arg-type]
            return
        if isinstance(node.names, cst.ImportStar) or self.ctx.in_import_guard():
            return
        if not any(a.evaluated_name == "_obtain_input_shape" for a in node.names):
            return
        home = self._home()
        target, replacement = split_import_from(node, self.ctx.parent(), {"_obtain_input_shape": home})
        self.report(node, self.message.format(module=home[0]), Fix(SAFE, {target: replacement}))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "_obtain_input_shape":
            return
        qn = self.ctx.qualname(node.value)
        if qn not in OBTAIN_INPUT_SHAPE_OLD:
            return
        module, name = self._home()
        # the imported name must not mean anything else anywhere in the file
        local = free_name(self.ctx, (name, "keras_" + name, "src_" + name), f"{module}.{name}")
        fix = None
        if local is not None:
            fix = Fix(SAFE, {node: cst.Name(local)}, (ImportSpec(module, name, None if local == name else local),))
        self.report(node, self.message.format(module=module), fix)


class MovedImport(Rule):
    """
    ## What it does
    Finds imports of Keras modules that were moved or removed: `keras.engine.topology`,
    `keras.engine`, `keras.layers.core`, `keras.layers.merge`, `keras.utils.np_utils`,
    `keras.utils.visualize_util`, `keras.utils.generic_utils`,
    `keras.layers.advanced_activations`, `keras.backend.tensorflow_backend`,
    `keras.legacy.interfaces`, `keras.wrappers.scikit_learn` and
    `tensorflow.keras.layers.experimental.preprocessing` (only for Keras 3: tf-keras 2.21 still
    ships it, so `tf_keras.` spellings and `--target tf-keras` are not reported), whether written with `keras.`,
    `tensorflow.keras.` or `tf_keras.`, as `from ... import`, `import ... as`, or as attribute
    access (`keras.layers.core.Dense`).

    ## Why is this bad?
    These modules exist in neither Keras 3 nor tf-keras 2.21, so the import fails with
    `ModuleNotFoundError` before your model is even built. When they left,
    checked in the downloaded wheels: `keras.engine.topology` is in keras 2.4.3 and not in 2.6.0;
    `keras.backend.tensorflow_backend` and `keras.legacy` are in 2.4.0 and not in 2.4.3;
    `keras.engine`, `keras.layers.core`, `keras.utils.np_utils` and `keras.utils.generic_utils`
    are still in keras 2.12.0 (the source of tf.keras 2.12) but not in tf-keras 2.21 or Keras 3;
    `keras.utils.visualize_util` is in none of 2.2.0-2.12.0 (Keras 1 only). A name the table
    does not know (`from keras.layers.merge import _Merge`) is reported as having no checked new
    home.

    ## Example
    ```python
    from keras.layers.core import Dense, Lambda
    from keras.utils.np_utils import to_categorical
    from keras.utils.visualize_util import plot
    ```

    ## Use instead
    ```python
    from keras.layers import Dense, Lambda
    from keras.utils import to_categorical
    from keras.utils import plot_model as plot
    ```

    ## Fix safety
    Safe where the name exists, unchanged, at its new path (every such pair is imported by the test
    suite on the pinned stacks); the name your code uses is kept, and multi-name imports are split
    so that only moved names move. `from keras.utils import np_utils` becomes
    `from keras import utils as np_utils` (unsafe: a different module object stands in). Modules
    with no replacement (`keras.legacy.interfaces`, `set_session`, the scikit-learn wrappers,
    `ThresholdedReLU` on Keras 3) are reported with guidance and no fix. Imports inside a
    `try: ... except ImportError:` shim are left alone.

    ## References
    - https://keras.io/guides/migrating_to_keras_3/
    - https://keras.io/api/ (where each name lives now)
    - fixtures/KL402/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL402`; the replacement table is checked against the installed Keras by the tests.
    """

    code = "KL402"
    name = "moved-keras-import"
    message = "`{old}` no longer exists: {note}"
    fix_safety = SAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        # some module named along a reference is in the moved/removed table on a stack the file may run on
        stacks = stacks_of(facts, target)
        for raw in facts.census.refs:
            parts = raw.split(".")
            for i in range(2, len(parts) + 1):
                prefix = ".".join(parts[:i])
                canon = canonical(prefix)
                if (canon + ".").startswith(REMOVED_PACKAGES) or any(find_moved(canon, prefix, t) for t in stacks):
                    return True
        return False

    VALID = [
        "from keras.layers import Dense, Lambda",
        "from tensorflow.keras.layers import Rescaling",
        "from keras.utils import to_categorical",
        "import keras\nx = keras.layers.Dense(3)\n",
        # a project's own package that happens to have the same layout
        "from mylib.layers.core import Dense\n",
        "import mylib.engine.topology as topology\n",
        "try:\n    from keras.engine.topology import Layer\nexcept ImportError:\n    from keras.layers import Layer\n",
        "from .layers.core import Dense\n",
        # still shipped by tf-keras 2.21: only gone on Keras 3
        "from tf_keras.layers.experimental.preprocessing import Rescaling\n",
        Valid("from tensorflow.keras.layers.experimental.preprocessing import Rescaling\n", target="tf-keras"),
        "core = object()\ny = core.Dense\n",
        # TensorFlow 2.21 still ships these under its internal tensorflow.python.keras (keras-bert does this)
        "from tensorflow.python.keras.utils.generic_utils import CustomObjectScope\n",
        "from tensorflow.python.keras.layers.core import Dense\n",
        "from tensorflow.python.keras.engine.input_spec import InputSpec\n",
    ]
    INVALID = [
        Invalid("from keras.layers.core import Dense, Lambda\n", fixed="from keras.layers import Dense, Lambda\n"),
        Invalid("from keras.engine.topology import Layer, get_source_inputs\n",
                fixed="from keras.layers import Layer\nfrom keras.utils import get_source_inputs\n"),
        Invalid("from keras.utils.visualize_util import plot\n",
                fixed="from keras.utils import plot_model as plot\n"),
        Invalid("from tensorflow.keras.layers.experimental.preprocessing import Rescaling as R\n",
                fixed="from tensorflow.keras.layers import Rescaling as R\n"),
        Invalid("from keras.layers.advanced_activations import LeakyReLU, ThresholdedReLU\n",
                fixed="from keras.layers.advanced_activations import ThresholdedReLU\n"
                      "from keras.layers import LeakyReLU\n", count=2),
        Invalid("from keras.backend.tensorflow_backend import set_session\n"),
        Invalid("from keras.legacy import interfaces\n"),
        # Keras 1's merge() function: the import goes once nothing uses it (KL403 rewrites the calls)
        Invalid("from keras.layers import merge, Dense\nd = Dense(2)\n", fixed="from keras.layers import Dense\nd = Dense(2)\n"),
        Invalid("from keras.layers import merge\ny = merge([1, 2], mode='sum')\n"),
        Invalid("from keras.utils import np_utils\ny = np_utils.to_categorical([1, 2])\n",
                fixed="from keras import utils as np_utils\ny = np_utils.to_categorical([1, 2])\n"),
        Invalid("import keras.layers.core as core\n", fixed="import keras.layers as core\n"),
        Invalid("import keras.utils.np_utils\ny = keras.utils.np_utils.to_categorical([1])\n", count=2,
                fixed="import keras.utils\ny = keras.utils.to_categorical([1])\n"),
        Invalid("import tensorflow as tf\nx = tf.keras.layers.experimental.preprocessing.Rescaling(1 / 255.0)\n",
                line=2, fixed="import tensorflow as tf\nx = tf.keras.layers.Rescaling(1 / 255.0)\n"),
        Invalid("from keras.engine.saving import load_model\n"),
        # a private name with no public home: said so, no fix
        Invalid("from keras.layers.merge import _Merge\n"),
    ]

    def _message(self, old: str, entry: Optional[MovedModule]) -> str:
        note = entry.note if entry else "keras.engine and keras.legacy are in neither Keras 3 nor tf-keras"
        return self.message.format(old=old, note=note)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        raw = module_of_import_from(node)
        if not _tracked(raw) or isinstance(node.names, cst.ImportStar) or self.ctx.in_import_guard():
            return
        module = canonical(raw)  # type: ignore[arg-type]
        root = keras_root(raw)  # type: ignore[arg-type]
        entry = find_moved(module, raw, self.ctx.target)  # type: ignore[arg-type]
        if entry is not None:
            moves = {}
            for alias in node.names:
                home = entry.names.get(alias.evaluated_name)
                if home is not None:
                    moves[alias.evaluated_name] = (reroot(home[0], root), home[1])
            fix = None
            if moves:
                target, replacement = split_import_from(node, self.ctx.parent(), moves)
                fix = Fix(SAFE, {target: replacement})
            message = self._message(raw, entry)  # type: ignore[arg-type]
            # a name the table does not know (`_Merge`): do not imply it is at the new home
            unknown = [a.evaluated_name for a in node.names if a.evaluated_name not in entry.names]
            if unknown:
                message += f" (`{unknown[0]}`{' etc.' if len(unknown) > 1 else ''} has no checked new home)"
            self.report(node, message, fix)
            # names with no replacement get their own finding (they stay after the fix)
            for alias in node.names:
                if alias.evaluated_name in entry.names and entry.names[alias.evaluated_name] is None and moves:
                    self.report(alias, self._message(f"{raw}.{alias.evaluated_name}", entry))
            return
        if (module + ".").startswith(REMOVED_PACKAGES) and not raw.startswith("tensorflow.python."):  # type: ignore[union-attr]
            self.report(node, self._message(raw, None))  # type: ignore[arg-type]
            return
        for alias in node.names:  # from keras.utils import np_utils
            sub = find_moved(f"{module}.{alias.evaluated_name}", f"{raw}.{alias.evaluated_name}", self.ctx.target)
            if sub is None:
                continue
            fix = None
            if sub.keras1_function is not None:
                spec = ImportSpec(raw, alias.evaluated_name, local_name(alias) if alias.asname else None)  # type: ignore[arg-type]
                self.report(alias, self.message.format(old=f"{raw}.{alias.evaluated_name}", note=sub.keras1_function),
                            Fix(SAFE, remove_unused_imports=(spec,)))
                continue
            if sub.module_alias is not None:
                parent, _, last = reroot(sub.module_alias, root).rpartition(".")
                target, replacement = split_import_from(node, self.ctx.parent(), {alias.evaluated_name: (parent, last)})
                fix = Fix(UNSAFE, {target: replacement})
            self.report(alias, self._message(f"{raw}.{alias.evaluated_name}", sub), fix)

    def visit_Import(self, node: cst.Import) -> None:
        if self.ctx.in_import_guard():
            return
        for alias in node.names:
            raw = dotted_name(alias.name)
            if not _tracked(raw):
                continue
            module = canonical(raw)  # type: ignore[arg-type]
            entry = find_moved(module, raw, self.ctx.target)  # type: ignore[arg-type]
            if entry is None:
                if (module + ".").startswith(REMOVED_PACKAGES) and not raw.startswith("tensorflow.python."):  # type: ignore[union-attr]
                    self.report(alias, self._message(raw, None))  # type: ignore[arg-type]
                continue
            fix = None
            if entry.module_alias is not None:
                # `import a.old as m` binds a different module object (unsafe); `import a.old`
                # binds only the root name, which stays the same (safe)
                new = reroot(entry.module_alias, keras_root(raw))  # type: ignore[arg-type]
                fix = Fix(UNSAFE if alias.asname else SAFE, {node: import_module_as(node, alias, new)})
            self.report(alias, self._message(raw, entry), fix)  # type: ignore[arg-type]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        value_qn = self.ctx.qualname(node.value)
        if value_qn is None:
            return
        raw = self.ctx.raw_qualname(node.value) or value_qn
        entry = find_moved(value_qn, raw, self.ctx.target)
        if entry is None:
            return
        local = dotted_name(node.value)
        old_suffix = value_qn[len("keras"):]  # ".layers.core"
        if local is None or not local.endswith(old_suffix):
            return  # a name bound to the old module: its import statement is the finding
        self.report(node, self._message(raw, entry), self._attribute_fix(node, local, old_suffix, entry))

    def _attribute_fix(self, node: cst.Attribute, local: str, old_suffix: str, entry: MovedModule) -> Optional[Fix]:
        home = entry.names.get(node.attr.value)
        if home is None or not home[0].startswith("keras."):
            return None
        new_value = local[: len(local) - len(old_suffix)] + home[0][len("keras"):]
        return Fix(SAFE, {node: cst.Attribute(value=dotted_expr(new_value), attr=cst.Name(home[1]))})
