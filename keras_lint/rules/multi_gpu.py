"""KL203: `multi_gpu_model`, removed from Keras."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..fixes import module_of_import_from
from ..names import TRACKED_ROOTS, canonical, dotted_name
from ..rule import Invalid, Rule

_FUNCTION = "keras.utils.multi_gpu_model"
_MODULE = "keras.utils.multi_gpu_utils"


def _removed(qualname: Optional[str]) -> bool:
    return qualname is not None and (qualname in (_FUNCTION, _MODULE) or qualname.startswith(_MODULE + "."))


def _tracked(raw: Optional[str]) -> bool:
    return raw is not None and raw.split(".", 1)[0] in TRACKED_ROOTS


class MultiGpuModel(Rule):
    """
    ## What it does
    Finds imports and uses of `keras.utils.multi_gpu_model` and of the module
    `keras.utils.multi_gpu_utils` (also through `tensorflow.keras`, `tf_keras` and aliases):
    `from keras.utils import multi_gpu_model`, `from keras.utils.multi_gpu_utils import ...`,
    `import keras.utils.multi_gpu_utils`, `keras.utils.multi_gpu_model(model, gpus=2)`.

    ## Why is this bad?
    `multi_gpu_model` was deprecated in TF 2.0 and left the public API: the import fails on
    Keras 3 and tf-keras alike (`ImportError: cannot import name 'multi_gpu_model'`, measured on
    TF 2.21). Checked in the wheels: Keras 2.4.0's `keras.utils.multi_gpu_utils` only re-exports
    `tensorflow.keras.utils.multi_gpu_model`, and the public `tf.keras.utils` API of the keras
    2.6.0 wheel (TF 2.6) no longer lists it (its private module still defines it).
    `tf.distribute.MirroredStrategy` replaced it, and with it the model itself is the multi-GPU
    model: there is no separate wrapper model to save or reload.

    ## Example
    ```python
    from keras.utils import multi_gpu_model

    model = build_model()
    parallel = multi_gpu_model(model, gpus=2)
    parallel.compile(loss="mse", optimizer="adam")
    parallel.fit(x, y)
    ```

    ## Use instead
    ```python
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_model()
        model.compile(loss="mse", optimizer="adam")
    model.fit(x, y)
    ```

    ## Fix safety
    No automatic fix: model creation and `compile` have to move into the strategy's scope.
    Imports inside a `try: ... except ImportError:` shim are left alone.

    ## References
    - https://www.tensorflow.org/guide/distributed_training (`MirroredStrategy`)
    - https://keras.io/guides/distributed_training_with_tensorflow/
    - fixtures/KL203/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL203`.
    """

    code = "KL203"
    name = "multi-gpu-model"
    message = ("`{name}` no longer exists (ImportError); build and compile the model in "
               "`tf.distribute.MirroredStrategy().scope()`")
    triggers = ("multi_gpu",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return any("multi_gpu" in r for r in facts.census.refs | facts.from_names | facts.imported)

    VALID = [
        "import tensorflow as tf\nstrategy = tf.distribute.MirroredStrategy()\nwith strategy.scope():\n"
        "    model = build()\n",
        "try:\n    from keras.utils import multi_gpu_model\nexcept ImportError:\n    multi_gpu_model = None\n",
        "from mylib.utils import multi_gpu_model\nm = multi_gpu_model(model, 2)\n",
        "import keras\ndef multi_gpu_model(model, gpus):\n    return model\nm = multi_gpu_model(model, 2)\n",
        "from .utils import multi_gpu_model\n",
    ]
    INVALID = [
        Invalid("from keras.utils import multi_gpu_model\nparallel = multi_gpu_model(model, gpus=2)\n", line=1),
        Invalid("from tensorflow.keras.utils import plot_model, multi_gpu_model as mgm\n"),
        Invalid("from keras.utils.multi_gpu_utils import multi_gpu_model\n"),
        Invalid("import keras.utils.multi_gpu_utils as mgu\n"),
        Invalid("import tensorflow as tf\nparallel = tf.keras.utils.multi_gpu_model(model, gpus=4)\n", line=2),
        Invalid("from keras import utils\nparallel = utils.multi_gpu_model(model, gpus=2)\n", line=2),
        Invalid("from tf_keras.utils import multi_gpu_utils\n"),
    ]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        raw = module_of_import_from(node)
        if not _tracked(raw) or isinstance(node.names, cst.ImportStar) or self.ctx.in_import_guard():
            return
        module = canonical(raw)  # type: ignore[arg-type]
        if _removed(module):
            self.report(node, self.message.format(name=f"{raw}"))
            return
        for alias in node.names:
            if _removed(f"{module}.{alias.evaluated_name}"):
                self.report(alias, self.message.format(name=f"{raw}.{alias.evaluated_name}"))

    def visit_Import(self, node: cst.Import) -> None:
        if self.ctx.in_import_guard():
            return
        for alias in node.names:
            raw = dotted_name(alias.name)
            if _tracked(raw) and _removed(canonical(raw)):  # type: ignore[arg-type]
                self.report(alias, self.message.format(name=raw))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in ("multi_gpu_model", "multi_gpu_utils"):
            return
        if isinstance(self.ctx.parent(), cst.Attribute):
            return  # report the shortest removed path only (`keras.utils.multi_gpu_utils.x`)
        qn = self.ctx.qualname(node)
        if _removed(qn) and not self.ctx.in_import_guard():
            self.report(node, self.message.format(name=self.ctx.raw_qualname(node) or qn))
