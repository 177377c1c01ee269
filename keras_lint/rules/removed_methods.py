"""KL404: Model methods and backend attributes that Keras removed."""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from ..names import dotted_name
from ..rule import SAFE, UNSAFE, Fix, Invalid, Rule, Valid
from ..tables.keywords import GENERATOR_QUEUE, KERAS1_GENERATOR
from ._callfix import drop_args, drop_loses_comment, has_star, positional, rename_keyword, statement_of, tensorflow_alias
from ..analysis.receivers import KERAS, OTHER, ReceiverMixin

# generator method -> (new method, the old positional parameters after the generator, in order)
GENERATOR_METHODS = {
    "fit_generator": ("fit", ("steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data",
                              "validation_steps")),
    "evaluate_generator": ("evaluate", ("steps",)),
    "predict_generator": ("predict", ("steps",)),
}
PRIVATE_METHODS = ("_make_predict_function", "_make_train_function", "_make_test_function")
#: attribute names the rule looks at (``K.tf`` included): its gate
_METHOD_NAMES = frozenset(GENERATOR_METHODS) | frozenset(PRIVATE_METHODS) | {"tf"}
SESSION_FUNCTIONS = ("keras.backend.get_session", "keras.backend.set_session")


class RemovedMethods(ReceiverMixin, Rule):
    """
    ## What it does
    Finds Keras 1/2 methods and backend attributes that Keras 3 removed:

    - `model.fit_generator(...)`, `evaluate_generator`, `predict_generator`;
    - `model._make_predict_function()` (and `_make_train_function`, `_make_test_function`);
    - `K.tf.<name>`: the TensorFlow module reached through `keras.backend`;
    - `K.get_session()` and `K.set_session(...)`.

    Receivers of the methods: those known to be Keras models (assigned from `Sequential(...)`,
    `Model(...)`, `load_model(...)`, `model_from_json(...)`, `clone_model(...)`, a
    `keras.applications` constructor, an instance of a `keras.Model` subclass of the file, or the
    result of a function of the file that returns one; `self` in a `keras.Model` subclass;
    `self.model` in a `keras.callbacks.Callback` subclass). These method names exist only in Keras,
    so in a file that imports Keras or TensorFlow a receiver of unknown type (`build_model().fit_generator`,
    a parameter) is matched too, unless the receiver is bound to another library's import or to a
    class of the file without a Keras base, or the file defines a function of that name itself.

    ## Why is this bad?
    Keras 3 has none of them: `AttributeError: 'Functional' object has no attribute
    'fit_generator'` (tf-keras still has the generator methods, deprecated),
    `... has no attribute '_make_predict_function'` (both stacks: TF 2 builds the predict
    function lazily and thread-safely), `module 'keras.backend' has no attribute 'tf'` and
    `... 'get_session'` (both stacks: TF 2 has no sessions).

    ## Example
    ```python
    model = load_model(path)
    model._make_predict_function()
    model.fit_generator(gen, steps_per_epoch=100, epochs=5, workers=4)
    y = K.tf.assign(v, x)
    ```

    ## Use instead
    ```python
    model = load_model(path)
    model.fit(gen, steps_per_epoch=100, epochs=5)
    y = v.assign(x)
    ```

    ## Fix safety
    `fit_generator` → `fit` (and `evaluate`/`predict`) is safe when the arguments map: the
    generator becomes `x`, positional arguments after it become keywords (the generator methods
    took `steps_per_epoch`, not `y`, second), Keras 1's `nb_epoch`/`nb_worker`/`pickle_safe`/
    `max_q_size` are renamed. It is unsafe when `workers`/`use_multiprocessing`/`max_queue_size`
    must be dropped (Keras 3's `fit` has no such arguments: put them on a `keras.utils.PyDataset`).
    On a receiver known to be a Keras model the rename is then reported on its own with a safe
    fix (so a plain `--fix` applies it), and the dropping is a second, unsafe finding; KL403 goes
    on reporting the arguments on the renamed `fit`.
    Samples-based Keras 1 arguments (`samples_per_epoch`, `nb_val_samples`, `val_samples`) get no
    fix: they must be divided by the batch size. Removing a `_make_*_function()` statement is
    unsafe (nothing replaces it; code relying on the graph it built needs a look). `K.tf` → `tf`
    is safe (it was the `tensorflow` module); `import tensorflow as tf` is added when missing, and a
    TF 1 name reached that way (`tf.assign`) is then KL405's. When `tf` means something else
    anywhere in the file (a lambda or function parameter, a comprehension or loop variable), the
    fix writes `tensorflow` instead (with `import tensorflow`), and gives up when that is taken too. `K.get_session`/`K.set_session`
    become `tf.compat.v1.keras.backend.*` with `--target tf-keras` (safe); on Keras 3 a
    `K.set_session(...)` statement is removed (unsafe: the session configuration it carried is
    lost; see KL405 for `tf.config`), and `K.get_session()` is reported without a fix.

    ## References
    - https://keras.io/guides/migrating_to_keras_3/
    - https://keras.io/api/models/model_training_apis/ (`fit` takes generators)
    - fixtures/KL404/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL404`.
    """

    code = "KL404"
    name = "removed-keras-method"
    message = "{detail}"
    fix_safety = SAFE
    triggers = ("_generator", "_function", ".tf", "_session")

    @classmethod
    def gate(cls, facts, target) -> bool:
        census = facts.census
        return bool(census.attrs & _METHOD_NAMES) or census.refers(SESSION_FUNCTIONS.__contains__)

    VALID = [
        "import keras\nmodel = keras.Sequential()\nmodel.fit(gen, steps_per_epoch=10)\n",
        # another library's object, and a class of this file with its own fit_generator
        "import keras\nfrom mylib import Trainer\nt = Trainer()\nt.fit_generator(gen)\n",
        "import keras\nclass Trainer:\n    def fit_generator(self, gen):\n        pass\n"
        "    def run(self, gen):\n        self.fit_generator(gen)\nTrainer().fit_generator(1)\nmodel.fit_generator(1)\n",
        # no Keras in the file at all
        "# keras\nmodel.fit_generator(gen)\n",
        # tf.assign written with TF itself is KL405's, a project's own K is not Keras
        "import keras\nimport mylib.backend as K\ny = K.tf.assign(v, 1)\n",
        "import tensorflow as tf\ny = tf.compat.v1.keras.backend.get_session()\n",
        Valid("import tf_keras\nm = tf_keras.Sequential()\nm.fit(gen, workers=4)\n", target="tf-keras"),
    ]
    INVALID = [
        Invalid("from keras.models import load_model\nmodel = load_model('m.h5')\nmodel._make_predict_function()\n"
                "y = model.predict(x)\n",
                fixed="from keras.models import load_model\nmodel = load_model('m.h5')\ny = model.predict(x)\n",
                line=3),
        Invalid("import keras\nclass Server:\n    def __init__(self, path):\n"
                "        self.model = keras.models.load_model(path)\n        self.model._make_predict_function()\n",
                fixed="import keras\nclass Server:\n    def __init__(self, path):\n"
                      "        self.model = keras.models.load_model(path)\n"),
        Invalid("import keras\nclass Server:\n    def load(self, path):\n"
                "        self.model = keras.models.load_model(path)\n"
                "    def warm(self):\n        self.model._make_predict_function()  # threads\n",
                fixed="import keras\nclass Server:\n    def load(self, path):\n"
                      "        self.model = keras.models.load_model(path)\n"
                      "    def warm(self):\n        pass  # threads\n"),
        Invalid("import keras\nH = model.fit_generator(aug.flow(x, y, batch_size=32),\n"
                "    validation_data=(tx, ty), steps_per_epoch=len(x) // 32,\n    epochs=100)\n",
                fixed="import keras\nH = model.fit(aug.flow(x, y, batch_size=32),\n"
                      "    validation_data=(tx, ty), steps_per_epoch=len(x) // 32,\n    epochs=100)\n"),
        Invalid("from keras.models import Sequential\nm = Sequential()\nm.fit_generator(generator=gen(), epochs=2, "
                "steps_per_epoch=5, verbose=1, workers=4, use_multiprocessing=True)\n",
                # a known model: the safe rename is its own finding; KL403 then drops the queue
                # arguments from `fit` (tests/test_precision.py runs both rules)
                count=2,
                fixed="from keras.models import Sequential\nm = Sequential()\nm.fit(x=gen(), epochs=2, "
                      "steps_per_epoch=5, verbose=1, workers=4, use_multiprocessing=True)\n"),
        # an unknown receiver: KL403 would not follow the renamed call, so no split
        Invalid("import keras\nmodel.fit_generator(gen(), epochs=2, workers=4)\n",
                fixed="import keras\nmodel.fit(gen(), epochs=2)\n"),
        Invalid("from keras.models import Sequential\nm = Sequential()\nm.fit_generator(g, 100, 5)\n"
                "p = m.predict_generator(g, 10)\n", count=2,
                fixed="from keras.models import Sequential\nm = Sequential()\nm.fit(g, steps_per_epoch=100, "
                      "epochs=5)\np = m.predict(g, steps=10)\n"),
        Invalid("import tf_keras\nm = tf_keras.Sequential()\nm.fit_generator(g, nb_epoch=3, nb_worker=2)\n",
                target="tf-keras",
                fixed="import tf_keras\nm = tf_keras.Sequential()\nm.fit(g, epochs=3, workers=2)\n"),
        Invalid("import keras\nm = keras.Sequential()\nm.fit_generator(g, samples_per_epoch=1000, nb_epoch=3)\n"),
        Invalid("import keras\nclass CB(keras.callbacks.Callback):\n    def on_epoch_end(self, epoch, logs=None):\n"
                "        self.model.evaluate_generator(self.gen, steps=3)\n",
                fixed="import keras\nclass CB(keras.callbacks.Callback):\n    def on_epoch_end(self, epoch, logs=None):\n"
                      "        self.model.evaluate(self.gen, steps=3)\n"),
        Invalid("from keras import backend as K\ny = K.tf.nn.l2_normalize(x, axis=1)\n",
                fixed="from keras import backend as K\nimport tensorflow as tf\n\ny = tf.nn.l2_normalize(x, axis=1)\n"),
        Invalid("import tensorflow as tf\nimport keras.backend as K\nK.tf.add_to_collection(K.tf.GraphKeys.UPDATE_OPS, op)\n",
                count=2, fixed="import tensorflow as tf\nimport keras.backend as K\n"
                               "tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, op)\n"),
        # `tf` is a parameter here: the fix must not make the code call it
        Invalid("from keras import backend as K\nnorm = lambda tf: K.tf.norm(tf)\n",
                fixed="from keras import backend as K\nimport tensorflow\n\nnorm = lambda tf: tensorflow.norm(tf)\n"),
        Invalid("import tensorflow as tf\nfrom keras import backend as K\n"
                "ys = [K.tf.shape(tf) for tf in tensors]\n",
                fixed="import tensorflow as tf\nfrom keras import backend as K\nimport tensorflow\n\n"
                      "ys = [tensorflow.shape(tf) for tf in tensors]\n"),
        Invalid("from keras import backend as K\ndef f(tf, tensorflow):\n    return K.tf.norm(tf)\n", line=3),
        Invalid("import keras\nsess = keras.backend.get_session()\n"),
        Invalid("import tensorflow as tf\nv = tf.keras.backend.tf.constant(1)\n",
                fixed="import tensorflow as tf\nv = tf.constant(1)\n"),
        Invalid("import keras\nimport tensorflow as tf\nkeras.backend.set_session(tf.compat.v1.Session())\n",
                fixed="import keras\nimport tensorflow as tf\n"),
        Invalid("from keras import backend as K\nsess = K.get_session()\n", target="tf-keras",
                fixed="from keras import backend as K\nimport tensorflow as tf\n\n"
                      "sess = tf.compat.v1.keras.backend.get_session()\n"),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._receivers_init()
        self._calls: List[Tuple[cst.Call, str, Optional[str], Optional[cst.CSTNode], object]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in GENERATOR_METHODS or name in PRIVATE_METHODS:
                cls = self.ctx.enclosing_class()
                stmt, removal = statement_of(self.ctx.stack, node)
                self._calls.append((node, name, cls.name.value if cls else None, stmt, removal))
                return
        qn = self.ctx.qualname(func)
        if qn in SESSION_FUNCTIONS and not (self.ctx.raw_qualname(func) or "").startswith("tensorflow.compat.v1."):
            self._session(node, qn)  # type: ignore[arg-type]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "tf" or self.ctx.qualname(node.value) != "keras.backend":
            return
        parent = self.ctx.parent()
        used = f"K.tf.{parent.attr.value}" if isinstance(parent, cst.Attribute) and parent.value is node else "K.tf"
        expr, imports = tensorflow_alias(self.ctx)
        shown = dotted_name(expr) if expr is not None else "tf"
        self.report(node, f"`keras.backend.tf` is gone (`{used}`): use TensorFlow directly, `{shown}.`",
                    Fix(SAFE, {node: expr}, imports) if expr is not None else None)

    def _session(self, node: cst.Call, qn: str) -> None:
        name = qn.rsplit(".", 1)[1]
        detail = (f"`keras.backend.{name}` is gone: TF 2 has no sessions (`tf.compat.v1.keras.backend.{name}` "
                  "on tf-keras)")
        fix = None
        tf, imports = tensorflow_alias(self.ctx)
        if self.ctx.target == "tf-keras" and tf is not None:
            new = cst.Attribute(value=cst.Attribute(value=cst.Attribute(value=cst.Attribute(
                value=tf, attr=cst.Name("compat")), attr=cst.Name("v1")), attr=cst.Name("keras")),
                attr=cst.Name("backend"))
            fix = Fix(SAFE, {node.func: cst.Attribute(value=new, attr=cst.Name(name))}, imports)
        elif name == "set_session":
            stmt, removal = statement_of(self.ctx.stack, node)
            if stmt is not None:
                fix = Fix(UNSAFE, {stmt: removal})  # type: ignore[dict-item]
        self.report(node, detail, fix)

    def leave_Module(self, node: cst.Module) -> None:
        if not self._calls or not self.imports_keras():
            return
        for call, name, cls, stmt, removal in self._calls:
            receiver = call.func.value  # type: ignore[attr-defined]
            kind = self.receiver_kind(receiver, cls)
            if kind == OTHER or (kind != KERAS and self.defines_function(name)):
                continue
            if name in PRIVATE_METHODS:
                detail = f"`{name}` is gone (TF 2 builds these functions lazily, thread-safe): remove the call"
                fix = Fix(UNSAFE, {stmt: removal}) if stmt is not None else None  # type: ignore[dict-item]
                self.report(call, detail, fix)
            else:
                self._generator(call, name, kind)

    def _generator(self, call: cst.Call, name: str, kind: object = None) -> None:
        new_name = GENERATOR_METHODS[name][0]
        func = call.func.with_changes(attr=cst.Name(new_name))  # type: ignore[attr-defined]
        args, notes, fixable, unsafe = self._generator_args(call, name, drop_queue=True)
        if fixable and unsafe and kind == KERAS:
            # On a known Keras model the rename is safe on its own (so `--fix` and the pre-commit
            # hook apply it), and KL403 goes on reporting the queue arguments on the renamed call.
            safe_args, safe_notes, _, _ = self._generator_args(call, name, drop_queue=False)
            self.report(call, "; ".join(dict.fromkeys(safe_notes)),
                        Fix(SAFE, {call: call.with_changes(func=func, args=safe_args)}))
            self.report(call, "; ".join(dict.fromkeys(n for n in notes if n not in safe_notes)),
                        Fix(UNSAFE, {call: call.with_changes(func=func, args=args)}))
            return
        fix = Fix(UNSAFE if unsafe else SAFE, {call: call.with_changes(func=func, args=args)}) if fixable else None
        self.report(call, "; ".join(dict.fromkeys(notes)), fix)

    def _generator_args(self, call: cst.Call, name: str, drop_queue: bool):
        """(new arguments, notes, fixable, unsafe) for ``fit_generator(...)`` -> ``fit(...)``;
        ``drop_queue=False`` keeps ``workers``/``use_multiprocessing``/``max_queue_size``."""
        new_name, positional_names = GENERATOR_METHODS[name]
        notes = [f"`{name}` is gone in Keras 3: `{new_name}` takes generators"]
        args = list(call.args)
        fixable, unsafe = not has_star(call), False
        pos = positional(call)
        if len(pos) > 1 + len(positional_names):
            fixable = False
        for i, arg in enumerate(pos[1:]):
            if i < len(positional_names):
                args = [rename_keyword(a, positional_names[i]) if a is arg else a for a in args]
        for arg in list(args):
            if arg.keyword is None:
                continue
            kw = arg.keyword.value
            if kw == "generator":
                args = [rename_keyword(a, "x") if a is arg else a for a in args]
                continue
            entry = KERAS1_GENERATOR.get(kw)
            if entry is not None:
                if entry.new is None:
                    notes.append(entry.note)
                    fixable = False
                    continue
                renamed = rename_keyword(arg, entry.new)
                args = [renamed if a is arg else a for a in args]
                arg, kw = renamed, entry.new
            queue = GENERATOR_QUEUE.get(kw)
            if queue is not None and self.ctx.target in queue.targets and drop_queue:
                notes.append(queue.note)
                fixable = fixable and not drop_loses_comment(args, [arg])
                args = drop_args(args, [arg])
                unsafe = True
        return args, notes, fixable, unsafe
