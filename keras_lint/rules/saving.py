"""KL407, KL408: model files Keras 3 no longer writes or reads (SavedModel directories, TF
checkpoints, weights files without ``.weights.h5``).

Both rules judge a path by what its text shows at the end ("static tail"): a string literal, the
text after the last ``{}`` of an f-string or ``"...".format``, the right side of ``+`` or of a
``pathlib`` ``/``, the last argument of ``os.path.join``, or a local (or module-level) variable
assigned from one of those. A path whose end is not visible is not judged. Keras 3 decides by
``str(filepath).endswith(...)``, so the end is all that matters.

Method calls are matched only on receivers known to be Keras models (``analysis.receivers``),
on ``self`` in a ``keras.Model`` subclass and on ``self.model`` in a ``keras.callbacks.Callback``
subclass; functions (``keras.models.save_model``, ``load_model``, ``ModelCheckpoint``) through
the imports.
"""
from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from ..analysis.dataflow import ASSIGN, DeferredScopes, Scope, build_scope, iter_nodes
from ..analysis.facts import stacks_of
from ..analysis.keras_classes import MODEL, keras_classes
from ..analysis.receivers import MODEL as OBJ_MODEL, KerasObjects
from ..names import dotted_name
from ..rule import UNSAFE, Fix, Invalid, Rule, Valid
from ._callfix import drop_args, literal, literal_expr

MODEL_FILE = (".keras", ".h5", ".hdf5")
WEIGHTS_FILE = (".weights.h5",)
LOADABLE = (".keras", ".h5", ".hdf5")
SAVE_FUNCS = frozenset({"keras.models.save_model", "keras.saving.save_model"})
LOAD_FUNCS = frozenset({"keras.models.load_model", "keras.saving.load_model"})
CHECKPOINT = "keras.callbacks.ModelCheckpoint"
#: words in a path that say "a SavedModel for serving", so `export` is the likely intent
_EXPORT_WORDS = ("export", "serving", "saved_model", "savedmodel", "tfserving", "tflite")


def static_tail(expr: cst.BaseExpression, scope: Optional[Scope], before: int, module_scope=None,
                depth: int = 0) -> Optional[str]:
    """The text a path expression is known to end with, or None."""
    if depth > 4:
        return None
    if isinstance(expr, cst.SimpleString):
        value = literal(expr)
        if not isinstance(value, str) or "://" in value:
            return None  # hf://, gs://: remote paths Keras 3 resolves its own way
        return value
    if isinstance(expr, cst.ConcatenatedString):
        return static_tail(expr.right, scope, before, module_scope, depth + 1)
    if isinstance(expr, cst.FormattedString):
        last = expr.parts[-1] if expr.parts else None
        return last.value if isinstance(last, cst.FormattedStringText) and last.value else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Divide)):
        return static_tail(expr.right, scope, before, module_scope, depth + 1)
    if isinstance(expr, cst.Call):
        func = expr.func
        if dotted_name(func) == "os.path.join" and expr.args and not expr.args[-1].star:
            return static_tail(expr.args[-1].value, scope, before, module_scope, depth + 1)
        if (isinstance(func, cst.Attribute) and func.attr.value == "format"
                and isinstance(func.value, cst.SimpleString)):
            text = literal(func.value)
            if isinstance(text, str) and not text.endswith("}"):
                return text.rsplit("}", 1)[-1]
        return None
    if isinstance(expr, cst.Name):
        for sc, bound in ((scope, before), (module_scope, 1 << 30)):
            if sc is None:
                continue
            b = sc.lookup(expr.value, bound)
            if b is not None:
                if b.kind == ASSIGN and b.value is not None and b.index == -1:
                    return static_tail(b.value, sc, b.order, module_scope, depth + 1)
                return None
    return None


def _tail_literal(expr: cst.BaseExpression) -> Optional[cst.SimpleString]:
    """The plain string literal a path expression ends with, written in the call itself:
    ``'m.h5'``, ``log_dir + 'm.h5'``, ``os.path.join(d, 'm.h5')`` (never through a variable,
    whose other uses a fix would change)."""
    if isinstance(expr, cst.SimpleString):
        value = literal(expr)
        return expr if isinstance(value, str) else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Divide)):
        return _tail_literal(expr.right)
    if isinstance(expr, cst.Call) and dotted_name(expr.func) == "os.path.join" and expr.args \
            and not expr.args[-1].star:
        return _tail_literal(expr.args[-1].value)
    return None


def _arg(call: cst.Call, index: int, keyword: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    pos = [a for a in call.args if a.keyword is None]
    if any(a.star for a in pos[: index + 1]):
        return None
    return pos[index] if len(pos) > index else None


def _kw_literal(call: cst.Call, keyword: str) -> object:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return literal(arg.value)
    return None


def _replace_suffix(path: str, old: Tuple[str, ...], new: str) -> str:
    for suffix in old:
        if path.endswith(suffix):
            return path[: -len(suffix)] + new
    return path + new


class _PathRule(DeferredScopes, Rule):
    """Shared: defer candidate calls, then judge their path once the scope is known."""

    def _module_scope(self) -> Scope:
        cached = self.__dict__.get("_mod_scope")
        if cached is None:
            cached = self.__dict__["_mod_scope"] = build_scope(self.ctx.module)
        return cached

    def _tail(self, expr: cst.BaseExpression, scope: Scope, before: int) -> Optional[str]:
        return static_tail(expr, scope, before, self._module_scope())

    def _is_model_receiver(self, objects: KerasObjects, receiver: cst.BaseExpression, scope: Scope,
                           before: int, cls: Optional[cst.ClassDef]) -> bool:
        recv = dotted_name(receiver)
        if recv is None:
            return False
        if recv in ("self", "self.model") and cls is not None:
            info = next((i for i in keras_classes(self.ctx.module, self.ctx).infos if i.node is cls), None)
            if recv == "self":
                return info is not None and info.kind == MODEL
            return any(self.ctx.qualname(b.value) == "keras.callbacks.Callback" for b in cls.bases)
        return objects.classify(recv, scope, before, cls) == OBJ_MODEL

    def _candidates(self, module: cst.Module, on_models: Tuple[str, ...]):
        """(call, method, scope, statement order) for every deferred call; a method in
        ``on_models`` counts only where its receiver is known to be a Keras model."""
        objects: Optional[KerasObjects] = None
        for scope, items in self._deferred_scopes():
            for it in items:
                call = it.node
                assert isinstance(call, cst.Call)
                before = scope.order_of(call)
                method = it.data["method"]
                if method in on_models:
                    if objects is None:
                        objects = KerasObjects(self.ctx, module)
                    if not self._is_model_receiver(objects, call.func.value, scope, before, it.cls):  # type: ignore[attr-defined]
                        continue
                yield call, method, scope, before

    @staticmethod
    def _string_fix(arg: cst.Arg, new_path: str, call: cst.Call, drop=()) -> Fix:
        """Rewrite the string literal the path ends with (see ``_tail_literal``)."""
        old = _tail_literal(arg.value)
        new_value = arg.value.deep_replace(old, literal_expr(new_path, old))  # type: ignore[arg-type]
        new_arg = arg.with_changes(value=new_value)
        args = [new_arg if a is arg else a for a in drop_args(call.args, drop)]
        return Fix(UNSAFE, {call: call.with_changes(args=args)})


# -- KL407 ------------------------------------------------------------------------------------------

class SaveToSavedModelPath(_PathRule):
    """
    ## What it does
    Finds, on the Keras 3 stack, model saving calls whose path Keras 3 refuses:

    - `model.save(path)` / `keras.models.save_model(model, path)` where the path does not end in
      `.keras` or `.h5` (a SavedModel directory such as `"saved_model/1"`, a `.tf` or `.ckpt`
      name), or with `save_format="tf"` and a path whose end is not visible;
    - `model.save_weights(path)` where the path does not end in `.weights.h5` (a TF checkpoint
      prefix, `"weights.h5"`), or with a `save_format=` argument;
    - `keras.callbacks.ModelCheckpoint(path, ...)` whose path does not end in `.weights.h5`
      (with `save_weights_only=True`) or in `.keras` / `.h5` (without).

    ## Why is this bad?
    Keras 3 writes only its own `.keras` zip and legacy `.h5` files from `save`, and only
    `.weights.h5` files from `save_weights`. Measured on Keras 3.15.1:
    `model.save("saved_dir")` raises `ValueError: Invalid filepath extension for saving. Please
    add either a .keras extension ... Use model.export(filepath) if you want to export a
    SavedModel for use with TFLite/TFServing/etc.`; `model.save_weights("ckpt")` and
    `save_weights("w.h5")` raise `ValueError: The filename must end in .weights.h5`;
    `save_weights(..., save_format="h5")` raises `TypeError: ... unexpected keyword argument
    'save_format'`; `ModelCheckpoint("w.h5", save_weights_only=True)` raises `ValueError: When
    using save_weights_only=True in ModelCheckpoint, the filepath provided must end in
    .weights.h5`. tf-keras writes all of these, so the rule is silent on tf-keras files and
    targets. A `save_format="tf"` next to a `.keras` path is ignored by Keras 3 and not
    reported, nor is `save(..., zipped=False)` (an unzipped Keras directory), a
    `save_weights(..., max_shard_size=...)` to `*.weights.json`, or a path with a `://` scheme
    (`hf://`, `gs://`).

    Which one you want: a `.keras` file to reload the model with `keras.models.load_model`
    and keep training it; `model.export(path)` for a SavedModel to serve with TF Serving or
    convert with TFLite. The message suggests `export` when the path looks like a serving
    export (`export`, `serving`, `saved_model` in it).

    ## Example
    ```python
    model.save("checkpoints/model")
    model.save_weights("checkpoints/weights.h5")
    ```

    ## Use instead
    ```python
    model.save("checkpoints/model.keras")          # or model.export("checkpoints/model")
    model.save_weights("checkpoints/model.weights.h5")
    ```

    ## Fix safety
    Unsafe: for a path that ends in a string literal written in the call (`'m.h5'`,
    `log_dir + 'm.h5'`, `os.path.join(d, 'm.h5')`) the fix appends `.keras` (`save`, `ModelCheckpoint`) or
    turns the end into `.weights.h5` (`save_weights`, weights-only `ModelCheckpoint`; `.h5`,
    `.hdf5` and `.ckpt` are replaced), and drops a `save_format=` argument. The file then has a
    different name and format: code or tools that read the old path must follow. No fix is
    offered for other path expressions, where the path ends in `/`, or for `save` where a
    SavedModel is the likely intent (`save_format="tf"`, or a serving-export path): a `.keras`
    file would not serve, and `export` needs a decision the linter cannot make.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py` ("Saving a model in the TF SavedModel format").
    - https://keras.io/api/models/model_saving_apis/model_saving_and_loading/
    - fixtures/KL407/.
    """

    code = "KL407"
    name = "keras3-save-path"
    message = "`{call}` to {shown}: Keras 3 {rule}; {advice}"
    fix_safety = UNSAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        census = facts.census
        return "keras3" in stacks_of(facts, target) and (
            bool(census.attrs & {"save", "save_weights"}) or census.refers(lambda r: r in SAVE_FUNCS or r == CHECKPOINT))

    VALID = [
        "import keras\nmodel = keras.Sequential()\nmodel.save('model.keras')\nmodel.save('m.h5')\n"
        "model.save_weights('w.weights.h5')\nmodel.export('serving/1')\n",
        # save_format="tf" next to a .keras path is ignored
        "import keras\nmodel = keras.Sequential()\nmodel.save('model.keras', save_format='tf')\n",
        # receivers that are not Keras models: tf.train.Checkpoint, numpy, PIL, unknown parameters
        "import tensorflow as tf\nckpt = tf.train.Checkpoint(model=m)\nckpt.save('ckpt/prefix')\n",
        "import numpy as np\nimport keras\nnp.save('arr', x)\n",
        "import keras\ndef store(model, path):\n    model.save(path + '/model')\n",
        # the end of the path is not visible
        "import keras\nmodel = keras.Sequential()\nmodel.save(args.output)\nmodel.save_weights(f'{out}/{name}')\n",
        "import keras\nmodel = keras.Sequential()\npath = make_path()\nmodel.save(path)\n",
        "import keras\ncb = keras.callbacks.ModelCheckpoint('best.keras')\n"
        "cb2 = keras.callbacks.ModelCheckpoint('w.{epoch:02d}.weights.h5', save_weights_only=True)\n",
        # Keras 3.15 writes these
        "import keras\nmodel = keras.Sequential()\nmodel.save('model_dir', zipped=False)\nmodel.save('hf://me/model')\n"
        "model.save_weights('model.weights.json', max_shard_size=2)\n",
        # the end of a format string is not visible
        "import keras\nmodel = keras.Sequential()\nmodel.save_weights('{}'.format(out))\nmodel.save(f'{out}')\n",
        # tf-keras writes SavedModels and checkpoints
        "import tf_keras\nmodel = tf_keras.Sequential()\nmodel.save('saved_model_dir')\n",
        Valid("import tensorflow as tf\nmodel = tf.keras.Sequential()\nmodel.save('saved_model_dir')\n"
              "model.save_weights('ckpt')\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.save('checkpoints/model')\n",
            line=3,
            fixed="import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.save('checkpoints/model.keras')\n"),
        Invalid(
            "import tensorflow as tf\nmodel = tf.keras.models.load_model('m.keras')\n"
            "model.save_weights(\"weights.h5\")\n",
            line=3,
            fixed="import tensorflow as tf\nmodel = tf.keras.models.load_model('m.keras')\n"
                  "model.save_weights(\"weights.weights.h5\")\n"),
        # export suggested; save_format dropped by the fix
        # the literal at the end of a `+` or os.path.join is fixed in place
        Invalid(
            "import os\nimport keras\nmodel = keras.Sequential()\nmodel.save_weights(log_dir + 'stage_1.h5')\n"
            "model.save(os.path.join(out, 'final'))\n",
            count=2,
            fixed="import os\nimport keras\nmodel = keras.Sequential()\nmodel.save_weights(log_dir + 'stage_1.weights.h5')\n"
                  "model.save(os.path.join(out, 'final.keras'))\n"),
        Invalid(
            "import os\nimport keras\nEXPORT_DIR = os.path.join('exports', 'saved_model')\n"
            "def main(model):\n    model.fit(x, y)\n    model.save(EXPORT_DIR, save_format='tf')\n",
            line=6),
        Invalid(
            "from tensorflow import keras\nmodel = keras.Model(i, o)\nmodel.save('serving/1', save_format='tf')\n",
            line=3),
        Invalid(
            "import keras\nmodel = keras.Model(i, o)\nmodel.save('final_model', save_format='tf')\n",
            line=3),  # save_format='tf' asks for a SavedModel: no rename to .keras
        # save_weights has no save_format at all: dropped by the fix
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save_weights('w.weights.h5', save_format='h5')\n",
                line=3, fixed="import keras\nmodel = keras.Sequential()\nmodel.save_weights('w.weights.h5')\n"),
        # save_format="tf" and an invisible path
        Invalid("import keras\nmodel = keras.Sequential()\nmodel.save(args.out, save_format='tf')\n", line=3),
        Invalid(
            "from keras.models import save_model\nsave_model(model, f'{run_dir}/final')\n", line=2),
        Invalid(
            "import keras\ncb = keras.callbacks.ModelCheckpoint('ckpt/cp-{epoch:04d}.ckpt', save_weights_only=True)\n",
            line=2,
            fixed="import keras\ncb = keras.callbacks.ModelCheckpoint('ckpt/cp-{epoch:04d}.weights.h5', save_weights_only=True)\n"),
        Invalid(
            "from tensorflow.keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint(filepath='best_model')\n",
            line=2,
            fixed="from tensorflow.keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint(filepath='best_model.keras')\n"),
        # a Callback saving its model; a Model saving itself
        Invalid(
            "import keras\nclass Saver(keras.callbacks.Callback):\n    def on_epoch_end(self, epoch, logs=None):\n"
            "        self.model.save_weights('ckpt/last')\n",
            line=4,
            fixed="import keras\nclass Saver(keras.callbacks.Callback):\n    def on_epoch_end(self, epoch, logs=None):\n"
                  "        self.model.save_weights('ckpt/last.weights.h5')\n"),
        Invalid(
            "import keras\nclass Net(keras.Model):\n    def checkpoint(self):\n        self.save('net_dir')\n",
            line=4,
            fixed="import keras\nclass Net(keras.Model):\n    def checkpoint(self):\n        self.save('net_dir.keras')\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.target != "keras3":
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("save", "save_weights"):
            if self.ctx.qualname(func) is None:
                self._defer(node, method=func.attr.value)
            return
        qn = self.ctx.qualname(func)
        if qn in SAVE_FUNCS:
            self._defer(node, method="save_model")
        elif qn == CHECKPOINT:
            self._defer(node, method="ModelCheckpoint")

    def leave_Module(self, node: cst.Module) -> None:
        for call, method, scope, before in self._candidates(node, ("save", "save_weights")):
            self._judge(call, method, scope, before)

    def _judge(self, call: cst.Call, method: str, scope: Scope, before: int) -> None:
        index = 1 if method == "save_model" else 0
        path_arg = _arg(call, index, "filepath")
        if path_arg is None:
            return
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        if "zipped" in keywords and method in ("save", "save_model"):
            return  # zipped=False writes an unzipped Keras directory (Keras 3.15 accepts any path)
        fmt_arg = next((a for a in call.args if a.keyword is not None and a.keyword.value == "save_format"), None)
        tail = self._tail(path_arg.value, scope, before)
        if method == "save_weights" and "max_shard_size" in keywords and tail is not None \
                and tail.endswith(("weights.h5", "weights.json")):
            return  # sharded weights: Keras 3 accepts `.weights.json` too
        shown = cst.Module([]).code_for_node(path_arg.value)
        callee = cst.Module([]).code_for_node(call.func)
        tail_node = _tail_literal(path_arg.value)
        literal_path = literal(tail_node) if tail_node is not None else None
        fixable = isinstance(literal_path, str) and bool(literal_path) and not literal_path.endswith(("/", "\\"))
        if method == "save_weights" or (method == "ModelCheckpoint" and _kw_literal(call, "save_weights_only") is True):
            bad_format = method == "save_weights" and fmt_arg is not None
            if not bad_format and (tail is None or tail.endswith(WEIGHTS_FILE)):
                return
            if tail is not None and not tail.endswith(WEIGHTS_FILE):
                rule = "needs `*.weights.h5` (ValueError)"
            else:
                rule = "`save_weights` has no `save_format` argument (TypeError)"
            advice = "rename the file"
            fix = None
            if fixable:
                new = literal_path if literal_path.endswith(WEIGHTS_FILE) else \
                    _replace_suffix(literal_path, (".h5", ".hdf5", ".ckpt"), ".weights.h5")  # type: ignore[union-attr]
                fix = self._string_fix(path_arg, new, call, [fmt_arg] if fmt_arg is not None else [])
            self.report(call, self.message.format(call=callee + "(...)", shown=f"`{shown}`", rule=rule,
                                                  advice=advice), fix)
            return
        if method == "ModelCheckpoint" and _kw_literal(call, "save_weights_only") not in (False, None):
            return  # save_weights_only is not a literal: either rule may apply
        fmt = _kw_literal(call, "save_format") if fmt_arg is not None else None
        if tail is not None and tail.endswith(MODEL_FILE):
            return
        if tail is None and fmt not in ("tf", "tensorflow"):
            return
        export = any(w in (tail or shown).lower() for w in _EXPORT_WORDS) or fmt in ("tf", "tensorflow")
        rule = "saves only .keras/.h5 files (ValueError)"
        if method == "ModelCheckpoint":
            advice = "end the path in `.keras`"
        elif export:
            advice = f"for serving use `model.export({shown})`"
        else:
            advice = "save a `.keras` file (or model.export)"
        fix = None
        if fixable and not export:  # a serving export wants model.export, not a renamed file
            fix = self._string_fix(path_arg, literal_path + ".keras", call,  # type: ignore[operator]
                                   [fmt_arg] if fmt_arg is not None else [])
        self.report(call, self.message.format(call=callee + "(...)", shown=f"`{shown}`", rule=rule, advice=advice),
                    fix)


# -- KL408 ------------------------------------------------------------------------------------------

def _writes_keras3_dirs(module: cst.Module) -> bool:
    """``zipped=`` or an Orbax name anywhere in the file (Keras 3.15 loads those directories)."""
    for node in iter_nodes(module, skip_defs=False):
        if isinstance(node, cst.Arg) and node.keyword is not None and node.keyword.value == "zipped":
            return True
        if isinstance(node, cst.Name) and "orbax" in node.value.lower():
            return True
    return False


class LoadSavedModel(_PathRule):
    """
    ## What it does
    Finds, on the Keras 3 stack, `keras.models.load_model(path)` (also `tf.keras.models.load_model`,
    `keras.saving.load_model`) and `model.load_weights(path)` whose path shows it is not a file
    Keras 3 reads: a SavedModel directory or a TF checkpoint prefix (a path that does not end in
    `.keras`, `.h5` or `.hdf5`; for `load_weights` also not in `.weights.h5`).

    ## Why is this bad?
    Keras 3 loads only its `.keras` files and legacy `.h5` files. Measured on Keras 3.15.1, on a
    SavedModel directory written by `model.export(...)`: `load_model` raises `ValueError: File
    format not supported: filepath=... Keras 3 only supports V3 .keras files, legacy H5 format
    files (.h5 extension). Note that the legacy SavedModel format is not supported by
    load_model() in Keras 3.` `load_weights("ckpt")` raises `ValueError: File format not
    supported ... Keras 3 only supports V3 .keras files, .weights.h5 files, legacy H5 format files
    (.h5 extension), or Orbax checkpoints.` tf-keras loads SavedModels and checkpoints, so the
    rule is silent on tf-keras files and targets.

    Keras 3.15 also reads an unzipped Keras directory (written with `save(..., zipped=False)`), an
    Orbax checkpoint directory and `hf://` paths: a file that uses `zipped=` or mentions Orbax is
    left alone, and so are paths with a `://` scheme.

    For an existing SavedModel, `keras.layers.TFSMLayer(path, call_endpoint="serving_default")`
    reloads it as an inference-only layer (measured: it returns a dict of outputs such as
    `{"output_0": ...}`); to keep training, re-save the model from the code that built it as a
    `.keras` file.

    ## Example
    ```python
    model = keras.models.load_model("exported/1")
    ```

    ## Use instead
    ```python
    layer = keras.layers.TFSMLayer("exported/1", call_endpoint="serving_default")
    outputs = layer(inputs)  # inference only
    # or, to train further: keras.models.load_model("model.keras")
    ```

    ## Fix safety
    No automatic fix: a `TFSMLayer` is a layer, not a model (no `fit`, `compile` or `summary`),
    its outputs are a dict keyed by the signature, and the endpoint name depends on how the
    SavedModel was written.

    ## References
    - https://github.com/keras-team/keras/issues/18467 (Keras 2 <> Keras 3 incompatibilities).
    - keras-io `guides/migrating_to_keras_3.py` ("Loading a TF SavedModel").
    - https://keras.io/api/layers/backend_specific_layers/tfsm_layer/
    - fixtures/KL408/.
    """

    code = "KL408"
    name = "keras3-load-savedmodel"
    message = "`{call}({shown})`: Keras 3 reads only .keras/.h5{weights} (ValueError: File format not supported); {advice}"

    @classmethod
    def gate(cls, facts, target) -> bool:
        census = facts.census
        return "keras3" in stacks_of(facts, target) and (
            "load_weights" in census.attrs or census.refers(LOAD_FUNCS.__contains__))

    VALID = [
        "import keras\nm = keras.models.load_model('model.keras')\nm.load_weights('w.weights.h5')\n"
        "m.load_weights('legacy.h5')\n",
        "import keras\nlayer = keras.layers.TFSMLayer('exported/1', call_endpoint='serving_default')\n",
        # the end of the path is not visible
        "import keras\nm = keras.models.load_model(args.model)\nm2 = keras.models.load_model(f'{d}/{name}')\n",
        # other libraries' load_model, and receivers that are not Keras models
        "from transformers import TFAutoModel\nimport keras\nm = TFAutoModel.from_pretrained('bert')\n",
        "import keras\nfrom mylib import load_model\nm = load_model('saved_dir')\n",
        "import tensorflow as tf\nimport keras\nm = tf.saved_model.load('exported/1')\n",
        "import tensorflow as tf\nimport keras\nckpt = tf.train.Checkpoint(model=m)\nckpt.restore('ckpt/last')\n",
        "import keras\ndef restore(net, path):\n    net.load('ckpt/last')\n",
        # Keras 3.15 reads unzipped Keras dirs, Orbax checkpoints, hf:// and sharded weights
        "import keras\nmodel = keras.Sequential()\nmodel.save('model_dir', zipped=False)\n"
        "m = keras.models.load_model('model_dir')\n",
        "import keras\ncb = keras.callbacks.OrbaxCheckpoint('ckpts')\nmodel = keras.Sequential()\n"
        "model.load_weights('ckpts')\n",
        "import keras\nm = keras.models.load_model('hf://me/model')\nm.load_weights('model.weights.json')\n",
        # tf-keras loads SavedModels
        "import tf_keras\nm = tf_keras.models.load_model('saved_dir')\n",
        Valid("import tensorflow as tf\nm = tf.keras.models.load_model('saved_dir')\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid("import keras\nmodel = keras.models.load_model('exported/1')\n", line=2),
        Invalid("import tensorflow as tf\nMODEL_DIR = 'models/saved_model'\n"
                "model = tf.keras.models.load_model(MODEL_DIR, compile=False)\n", line=3),
        Invalid("from keras.models import load_model\nimport os\nm = load_model(os.path.join(root, 'best_model'))\n",
                line=3),
        Invalid("import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.load_weights('ckpt/cp-0010.ckpt')\n",
                line=3),
    ]

    def _keras3_dirs(self, module: cst.Module) -> bool:
        """Computed once, and only for a file with a candidate call."""
        if "_dirs" not in self.__dict__:
            self.__dict__["_dirs"] = _writes_keras3_dirs(module)
        return self.__dict__["_dirs"]

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.target != "keras3":
            return
        func = node.func
        qn = self.ctx.qualname(func)
        if qn in LOAD_FUNCS:
            self._defer(node, method="load_model")
        elif qn is None and isinstance(func, cst.Attribute) and func.attr.value == "load_weights":
            self._defer(node, method="load_weights")

    def leave_Module(self, node: cst.Module) -> None:
        for call, method, scope, before in self._candidates(node, ("load_weights",)):
            path_arg = _arg(call, 0, "filepath")
            if path_arg is None:
                continue
            tail = self._tail(path_arg.value, scope, before)
            if tail is None or tail.endswith(LOADABLE + WEIGHTS_FILE + (".weights.json",)):
                continue
            if self._keras3_dirs(node):
                continue  # the file writes unzipped Keras dirs or Orbax checkpoints: a dir may be one
            shown = cst.Module([]).code_for_node(path_arg.value)
            if method == "load_model":
                advice = "use keras.layers.TFSMLayer"
                weights = ""
            else:
                advice = "save and load `*.weights.h5`"
                weights = " and `.weights.h5`"
            callee = cst.Module([]).code_for_node(call.func)
            self.report(call, self.message.format(call=callee, shown=shown, weights=weights, advice=advice))
