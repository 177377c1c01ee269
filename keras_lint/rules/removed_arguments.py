"""KL403: keyword arguments that Keras removed or renamed."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..fixes import dotted_expr, keras_root
from ..names import dotted_name
from ..rule import SAFE, UNSAFE, Fix, ImportSpec, Invalid, Rule, Valid
from ..tables.keywords import (KEYWORDS, KERAS3_MOVES, MERGE_FUNCTIONS, MERGE_MODES, MERGE_NOTE, METHOD_KEYWORDS, OPTIMIZER_ALIASES,
                               UNIQUE_KEYWORDS, Kw, lookup)
from ._bindings import free_name, is_free
from ._callfix import drop_args, drop_loses_comment, has_comment, has_star, is_literal, keyword_names, literal, literal_expr, positional, rename_keyword
from ..analysis.receivers import KERAS, OTHER, ReceiverMixin

# Keras 1 wrote a conv kernel as separate positional ints: Convolution2D(64, 3, 3).
KERNEL_DIMS = {"Conv2D": 2, "Convolution2D": 2, "Conv2DTranspose": 2, "SeparableConv2D": 2,
               "Conv3D": 3, "Convolution3D": 3}
KERAS1_NAMES = ("Convolution2D", "Convolution3D")


def _old_keywords_by_callee() -> Dict[str, frozenset]:
    """The rule's gate: callee's last name -> every old keyword the tables name for it."""
    out: Dict[str, frozenset] = {}
    for name, table in list(KEYWORDS.items()) + list(METHOD_KEYWORDS.items()):
        last = name.rsplit(".", 1)[-1]
        out[last] = out.get(last, frozenset()) | frozenset(table)
    return out


_OLD_KEYWORDS_OF = _old_keywords_by_callee()
#: (a positional Keras 1 kernel needs a Keras 1 name or a Keras 1 keyword, which the tables hold)
_OLD_CALLEES = frozenset(OPTIMIZER_ALIASES) | frozenset(KERAS1_NAMES)


SAFE_EDIT, UNSAFE_EDIT, INFO = "safe", "unsafe", "info"


class _Plan:
    """What to do with one call: the new argument list, notes, safety, imports.

    ``mode="safe"`` builds only the safe part of the rewrite: a call with both kinds of edits is
    reported twice, once with its safe edits (a safe fix, applied by a plain ``--fix`` and the
    pre-commit hook) and once with everything (an unsafe fix), so safe renames are never held
    back by an unsafe rewrite of the same call."""

    def __init__(self, call: cst.Call, mode: Optional[str] = None) -> None:
        self.call = call
        self.mode = mode
        self.args: List[cst.Arg] = list(call.args)
        self.func: cst.BaseExpression = call.func
        self.found: List[str] = []
        self.notes: List[Tuple[str, str]] = []
        self.unsafe = False
        self.safe_edits = False
        self.changed = False
        self.blocked = False  # an edit would lose a comment, or needs a name the file uses otherwise
        self.unsplittable = False  # the safe edits would erase what shows the unsafe problem
        self.imports: Tuple[ImportSpec, ...] = ()
        self.removals: Tuple[ImportSpec, ...] = ()

    def allows(self, safe: bool) -> bool:
        return safe or self.mode != "safe"

    def note(self, text: str, kind: str = SAFE_EDIT) -> None:
        self.notes.append((text, kind))

    def edited(self, safe: bool) -> None:
        self.changed = True
        if safe:
            self.safe_edits = True
        else:
            self.unsafe = True

    def replace(self, old: cst.Arg, new: cst.Arg, safe: bool = True) -> None:
        self.args = [new if a is old else a for a in self.args]
        self.edited(safe)

    def drop(self, old: cst.Arg, safe: bool = True) -> None:
        if drop_loses_comment(self.args, [old]):
            self.blocked = True
        self.args = drop_args(self.args, [old])
        self.edited(safe)

    def fix(self) -> Optional[Fix]:
        if not self.changed or self.blocked:
            return None
        new = self.call.with_changes(func=self.func, args=self.args)
        return Fix(UNSAFE if self.unsafe else SAFE, {self.call: new}, self.imports, self.removals)


class RemovedArguments(ReceiverMixin, Rule):
    """
    ## What it does
    Finds keyword arguments that Keras 2 or Keras 3 removed, on calls resolved through the file's
    imports to Keras (`keras.`, `tensorflow.keras.`, `tf_keras.`, also `from keras.layers.core
    import Dense`):

    - optimizers (every class, and the Keras 2 lowercase aliases `sgd`, `rmsprop`, `adam`, ...):
      `lr=` → `learning_rate=`; `decay=` is gone;
    - Keras 1 layer keywords: `Dense(output_dim=, init=, W_regularizer=, b_regularizer=,
      W_constraint=, b_constraint=, bias=)`, `Dropout(p=)`, `Embedding(init=, dropout=)`, the
      recurrent layers' `output_dim`, `inner_init`, `inner_activation`, `U_regularizer`,
      `dropout_W`, `dropout_U`, `consume_less`, the convolutions' `nb_filter`, `nb_row`/`nb_col`,
      `subsample`, `border_mode`, `dim_ordering`, pooling `pool_length`/`stride`,
      `BatchNormalization(mode=, beta_init=, gamma_init=)`, and Keras 1's positional kernel
      `Convolution2D(64, 3, 3)`;
    - `Model(input=, output=)`, `K.expand_dims(x, dim=)`, `ModelCheckpoint(period=)`;
    - `merge([...], mode=...)`, Keras 1's merge function;
    - `fit(nb_epoch=)`, and on Keras 3 `fit`/`evaluate`/`predict(workers=, use_multiprocessing=,
      max_queue_size=)`. Method calls are matched on receivers known to be Keras models (built or
      loaded in the file, a `keras.Model` subclass's `self`, a callback's `self.model`); `nb_epoch`
      is unique to Keras, so it is also matched on receivers of unknown type, but never on one
      bound to another library's import or to a class of the file without a Keras base.

    ## Why is this bad?
    Keras 2.0 renamed the Keras 1 arguments and kept converters for a while; Keras 3 and tf-keras
    have none: `Adam(lr=1e-3)` raises `ValueError: Argument(s) not recognized: {'lr': 0.001}`,
    `Dense(output_dim=64)` raises `TypeError: ... missing 1 required positional argument:
    'units'`, `fit(nb_epoch=10)` raises `TypeError: ... unexpected keyword argument 'nb_epoch'`.
    Worse, some fail silently: Keras 3 ignores `decay=` with only a warning (no decay at all), and
    `Convolution2D(64, 3, 3)` now means a 3x3 kernel with *strides* 3.

    ## Example
    ```python
    from keras.optimizers import SGD
    from keras.layers import Dense
    from keras.models import Model

    sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9)
    y = Dense(output_dim=64, init="uniform")(x)
    model = Model(input=x, output=y)
    model.fit(data, labels, nb_epoch=10)
    ```

    ## Use instead
    ```python
    from keras.optimizers import SGD
    from keras.optimizers.schedules import InverseTimeDecay
    from keras.layers import Dense
    from keras.models import Model

    sgd = SGD(learning_rate=InverseTimeDecay(0.01, decay_steps=1, decay_rate=1e-6), momentum=0.9)
    y = Dense(units=64, kernel_initializer="uniform")(x)
    model = Model(inputs=x, outputs=y)
    model.fit(data, labels, epochs=10)
    ```

    ## Fix safety
    Renames are safe: the new keyword means the same (Keras 2.0's own converters did exactly this),
    `dim_ordering='th'`/`'tf'` becomes `data_format='channels_first'`/`'channels_last'`, a lowercase
    optimizer alias becomes its class, `nb_row=3, nb_col=3` becomes `kernel_size=(3, 3)`, and
    `merge(xs, mode='concat', concat_axis=1)` becomes `concatenate(xs, axis=1)` (likewise `sum` →
    `add`, `mul` → `multiply`, `ave` → `average`, `max` → `maximum`, `dot` → `dot(axes=)`), with the
    function imported. Dropping `BatchNormalization(mode=0)`, `ModelCheckpoint(period=1)` or
    `decay=0` is safe (the new default). Unsafe: `decay=d` becomes an `InverseTimeDecay` schedule
    (the same formula, but the learning rate is then a schedule object, which callbacks that set
    it, like `ReduceLROnPlateau`, do not accept); dropping `workers`/`use_multiprocessing`/
    `max_queue_size` changes how data is loaded; the positional kernel `Convolution2D(64, 3, 3)` →
    `Convolution2D(64, (3, 3))` (tf.keras read the third number as strides). Samples-based
    arguments (`samples_per_epoch`), `merge` with a callable mode or other options, and any call
    where the new keyword is already present are reported without a fix. A `merge` import is left
    to KL402.

    ## References
    - https://github.com/keras-team/keras/releases/tag/2.0.0 (the Keras 2 argument renames)
    - https://keras.io/api/optimizers/ (`learning_rate`)
    - fixtures/KL403/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL403`.
    """

    code = "KL403"
    name = "removed-keyword-argument"
    message = "`{callee}`: {detail}"
    fix_safety = SAFE
    triggers = ("keras",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        # a callee the tables know, called somewhere in the file with one of its old keywords
        census = facts.census
        keywords = census.keywords
        if any(_OLD_KEYWORDS_OF.get(name, frozenset()) & keywords for name in census.callees):
            return True
        return bool(census.callees & _OLD_CALLEES) or census.refers(MERGE_FUNCTIONS.__contains__)

    VALID = [
        "from keras.optimizers import Adam\nopt = Adam(learning_rate=1e-3)\n",
        "from keras.layers import Dense\ny = Dense(units=64, kernel_initializer='uniform')\n",
        # not Keras: a torch optimizer's lr, a project's own Dense
        "import keras\nimport torch\nopt = torch.optim.Adam(params, lr=1e-3)\n",
        "import keras\nfrom mylib import Dense\ny = Dense(output_dim=3)\n",
        "import keras\nclass Dense:\n    def __init__(self, output_dim):\n        pass\nDense(output_dim=3)\n",
        # a legacy optimizer on tf-keras still takes lr and decay
        Valid("import tf_keras\nopt = tf_keras.optimizers.legacy.Adam(lr=1e-3, decay=1e-6)\n", target="tf-keras"),
        # tf-keras' fit still takes workers
        Valid("import tf_keras\nm = tf_keras.Sequential()\nm.fit(x, y, workers=4)\n", target="tf-keras"),
        # nb_epoch on an object from another library, and on a class of this file
        "import keras\nfrom mylib import Trainer\nt = Trainer()\nt.fit(x, nb_epoch=3)\n",
        "import keras\nclass Trainer:\n    def fit(self, x, nb_epoch=1):\n        pass\n"
        "Trainer().fit(1, nb_epoch=2)\nt = Trainer()\nt.fit(1, nb_epoch=2)\n",
        # workers on an object not known to be a Keras model
        "import keras\nsearch.fit(x, workers=4)\n",
        # the Keras 2 spelling of the kernel, and tf.keras' positional strides
        "from tensorflow.keras.layers import Conv2D\nc = Conv2D(64, 3, 2)\n",
        "from keras.layers import Convolution2D\nc = Convolution2D(64, (3, 3), (2, 2))\n",
        "from keras.layers import concatenate\ny = concatenate([a, b], axis=1)\n",
    ]
    INVALID = [
        Invalid("from keras.optimizers import Adam\nopt = Adam(lr=1e-3)\n",
                fixed="from keras.optimizers import Adam\nopt = Adam(learning_rate=1e-3)\n", line=2),
        Invalid("from keras import optimizers\nsgd = optimizers.SGD(lr=0.01, clipnorm=1.)\n",
                fixed="from keras import optimizers\nsgd = optimizers.SGD(learning_rate=0.01, clipnorm=1.)\n"),
        Invalid("import keras\nopt = keras.optimizers.rmsprop(lr=0.0001, decay=1e-6)\n",
                fixed="import keras\nfrom keras.optimizers.schedules import InverseTimeDecay\n\n"
                      "opt = keras.optimizers.RMSprop(learning_rate=InverseTimeDecay(0.0001, decay_steps=1, "
                      "decay_rate=1e-6))\n", count=2),
        Invalid("import tensorflow as tf\nopt = tf.keras.optimizers.SGD(lr=0.1, decay=0.0, momentum=0.9)\n",
                fixed="import tensorflow as tf\nopt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)\n"),
        Invalid("from keras.layers import Dense\nlayer = Dense(output_dim=64, input_dim=100, init='uniform')\n",
                fixed="from keras.layers import Dense\n"
                      "layer = Dense(units=64, input_dim=100, kernel_initializer='uniform')\n"),
        Invalid("from keras.layers.core import Dense\nlayer = Dense(10, W_regularizer=reg, bias=False)\n",
                fixed="from keras.layers.core import Dense\n"
                      "layer = Dense(10, kernel_regularizer=reg, use_bias=False)\n"),
        Invalid("from keras.layers import Convolution2D\nc = Convolution2D(64, 3, 3, border_mode='same', "
                "dim_ordering='th')\n",
                fixed="from keras.layers import Convolution2D\nc = Convolution2D(64, (3, 3), padding='same', "
                      "data_format='channels_first')\n", count=2),
        Invalid("from keras.layers import Conv2D\nc = Conv2D(n, k[0], k[1], border_mode='valid')\n",
                fixed="from keras.layers import Conv2D\nc = Conv2D(n, (k[0], k[1]), padding='valid')\n"),
        Invalid("from keras.layers import Conv2D\nc = Conv2D(nb_filter=8, nb_row=3, nb_col=3, subsample=(2, 2))\n",
                fixed="from keras.layers import Conv2D\nc = Conv2D(filters=8, kernel_size=(3, 3), strides=(2, 2))\n"),
        Invalid("from keras.layers import BatchNormalization\nbn = BatchNormalization(mode=0, axis=1)\n",
                fixed="from keras.layers import BatchNormalization\nbn = BatchNormalization(axis=1)\n"),
        Invalid("from keras.layers import BatchNormalization\nbn = BatchNormalization(mode=1)\n"),
        Invalid("from keras.models import Model\nm = Model(input=a, output=b)\n",
                fixed="from keras.models import Model\nm = Model(inputs=a, outputs=b)\n"),
        Invalid("from keras import backend as K\ny = K.expand_dims(x, dim=-1)\n",
                fixed="from keras import backend as K\ny = K.expand_dims(x, axis=-1)\n", target="tf-keras"),
        Invalid("from keras import backend as K\ny = K.expand_dims(x, dim=-1)\n",
                fixed="from keras import backend as K\nimport keras\n\ny = keras.ops.expand_dims(x, axis=-1)\n"),
        Invalid("from keras.layers import merge\ny = merge([x1, x2], mode='concat', concat_axis=1)\n",
                fixed="from keras.layers import concatenate, merge\ny = concatenate([x1, x2], axis=1)\n"),
        Invalid("from keras import layers\ny = layers.merge([a, b], mode='sum', name='s')\n",
                fixed="from keras import layers\ny = layers.add([a, b], name='s')\n"),
        Invalid("from keras.layers import merge\ny = merge([a, b], mode=lambda t: t[0] - t[1], output_shape=(3,))\n"),
        Invalid("import keras\nmodel = keras.Sequential()\nhist = model.fit(x, y, batch_size=256, nb_epoch=10)\n",
                fixed="import keras\nmodel = keras.Sequential()\nhist = model.fit(x, y, batch_size=256, epochs=10)\n",
                line=3),
        # nb_epoch is unique to Keras: a receiver of unknown type is matched
        Invalid("from keras.layers import Dense\nmodel = build()\nmodel.fit(x, y, nb_epoch=nb_epoch)\n",
                fixed="from keras.layers import Dense\nmodel = build()\nmodel.fit(x, y, epochs=nb_epoch)\n"),
        Invalid("from keras.models import load_model\nm = load_model('m.keras')\nm.predict(x, workers=4)\n",
                fixed="from keras.models import load_model\nm = load_model('m.keras')\nm.predict(x)\n"),
        Invalid("from keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint('w.keras', period=1)\n",
                fixed="from keras.callbacks import ModelCheckpoint\ncb = ModelCheckpoint('w.keras')\n"),
        Invalid("from keras.optimizers import Adam\nopt = Adam(lr=1e-3, learning_rate=1e-4)\n"),
    ]

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._receivers_init()
        self._methods: List[Tuple[cst.Call, str, Optional[str]]] = []

    # -- calls resolved through imports -------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.qualname(node.func)
        if qn is None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in METHOD_KEYWORDS:
                cls = self.ctx.enclosing_class()
                self._methods.append((node, node.func.attr.value, cls.name.value if cls else None))
            return
        if qn in MERGE_FUNCTIONS:
            self._merge(node)
            return
        table = lookup(qn)
        if table is None:
            return
        self._emit(lambda mode: self._plan_call(node, qn, table, mode), _callee_text(node.func))

    def _plan_call(self, node: cst.Call, qn: str, table: Dict[str, Kw], mode: Optional[str]) -> _Plan:
        last = qn.rsplit(".", 1)[1]
        plan = _Plan(node, mode)
        if last in OPTIMIZER_ALIASES:
            plan.found.append(f"`{last}`")
            plan.note(f"the lowercase alias `{last}` is gone: use `{OPTIMIZER_ALIASES[last]}`")
            self._rename_alias(plan, last)
        if last in KERNEL_DIMS:
            self._positional_kernel(plan, KERNEL_DIMS[last], last)
        self._keywords(plan, table)
        if "decay" in table and not has_star(node):
            self._decay(plan)
        if plan.found and qn in KERAS3_MOVES and self.ctx.target == "keras3":
            raw = self.ctx.raw_qualname(node.func) or ""
            new = KERAS3_MOVES[qn]
            plan.note(f"Keras 3 has no `{qn}`: use `{new}`")
            if not raw.startswith("tf_keras"):
                plan.func = dotted_expr(new)
                plan.imports = (ImportSpec("keras"),)
                plan.edited(True)
                plan.blocked |= not is_free(self.ctx, "keras", "keras")
        return plan

    def _rename_alias(self, plan: _Plan, last: str) -> None:
        """``optimizers.rmsprop(...)`` -> ``optimizers.RMSprop(...)``; for the imported alias
        (``from keras.optimizers import rmsprop``) the class is imported under a free name and the
        alias import goes once nothing uses it."""
        new = OPTIMIZER_ALIASES[last]
        func = plan.call.func
        if isinstance(func, cst.Attribute):
            plan.func = func.with_changes(attr=cst.Name(new))
            plan.edited(True)
            return
        raw = self.ctx.raw_qualname(func) if isinstance(func, cst.Name) else None
        if raw is None or not raw.endswith("." + last):
            return
        module = raw[: -len(last) - 1]
        local = free_name(self.ctx, (new, "Keras" + new), f"{module}.{new}")
        if local is None:
            plan.blocked = True
            return
        plan.func = cst.Name(local)
        plan.imports = (ImportSpec(module, new, None if local == new else local),)
        user_local = func.value  # type: ignore[union-attr]
        plan.removals = (ImportSpec(module, last, None if user_local == last else user_local),)
        plan.edited(True)

    def _emit(self, build, callee: str) -> None:
        """Report a call's plan; one with safe and unsafe edits is split (see ``_Plan``)."""
        plan = build(None)
        if not plan.found:
            return
        if plan.unsafe and plan.safe_edits and not plan.unsplittable:
            safe = build("safe")
            if safe.found and safe.changed:
                self._report(safe, callee, (SAFE_EDIT, INFO))
                self._report(plan, callee, (UNSAFE_EDIT,))
                return
        self._report(plan, callee, (SAFE_EDIT, UNSAFE_EDIT, INFO))

    def _report(self, plan: _Plan, callee: str, kinds) -> None:
        detail = "; ".join(dict.fromkeys(text for text, kind in plan.notes if kind in kinds))
        self.report(plan.call, self.message.format(callee=callee, detail=detail), plan.fix())

    def _keywords(self, plan: _Plan, table: Dict[str, Kw]) -> None:
        present = set(keyword_names(plan.call))
        target = self.ctx.target
        for arg in plan.call.args:
            if arg.keyword is None:
                continue
            old = arg.keyword.value
            kw = table.get(old)
            if kw is None or target not in kw.targets or old == "decay" and "decay" not in table:
                continue
            if old == "decay":
                if plan.allows(False) or _zero(arg):
                    plan.found.append(f"`{old}`")
                continue  # _decay
            if kw.new is not None:
                if not plan.allows(kw.safe):
                    continue
                plan.found.append(f"`{old}`")
                plan.note(f"`{old}=` is now `{kw.new}=`{self._ignored_note(old)}",
                          SAFE_EDIT if kw.safe else UNSAFE_EDIT)
                if kw.new in present:
                    plan.note(f"(`{kw.new}=` is also given: remove one)", INFO)
                    plan.changed = False
                    plan.found.append("!conflict")
                    continue
                value = None
                if kw.values is not None:
                    lit = literal(arg.value)
                    if not is_literal(lit) or lit not in kw.values:
                        plan.note(f"(convert the `{old}` value by hand: {kw.values})", INFO)
                        continue
                    value = literal_expr(kw.values[lit], arg.value)
                plan.replace(arg, rename_keyword(arg, kw.new, value), kw.safe)
            else:
                lit = literal(arg.value)
                safe_drop = kw.drop == "literal" and is_literal(lit) and lit in kw.drop_values
                if not plan.allows(safe_drop):
                    continue
                plan.found.append(f"`{old}`")
                # a note that names its keywords itself is the whole text (nb_row/nb_col share one)
                text = kw.note if kw.note.startswith("`") and f"`{old}=`" in kw.note else (
                    f"`{old}=` is gone: {kw.note}" if kw.note else f"`{old}=` is gone")
                if kw.drop == "always":
                    plan.note(text, UNSAFE_EDIT)
                    plan.drop(arg, safe=False)
                elif safe_drop:
                    plan.note(text, SAFE_EDIT)
                    plan.drop(arg)
                else:
                    plan.note(text, INFO)
        if "!conflict" in plan.found:
            plan.args = list(plan.call.args)
            plan.changed = False
            plan.unsafe = plan.safe_edits = False
            plan.func = plan.call.func
            plan.found.remove("!conflict")
            return
        self._kernel_keywords(plan)

    def _kernel_keywords(self, plan: _Plan) -> None:
        """``nb_row=3, nb_col=3`` -> ``kernel_size=(3, 3)`` (after the renames above)."""
        by_name = {a.keyword.value: a for a in plan.args if a.keyword is not None}
        if "nb_row" in by_name and "nb_col" in by_name and "kernel_size" not in by_name:
            row, col = by_name["nb_row"], by_name["nb_col"]
            kernel = cst.Tuple([cst.Element(row.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                                cst.Element(col.value)])
            if has_comment(row) or has_comment(col):
                plan.blocked = True
            plan.replace(row, rename_keyword(row, "kernel_size", kernel))
            plan.drop(col)

    def _positional_kernel(self, plan: _Plan, dims: int, last: str) -> None:
        """Keras 1's ``Convolution2D(64, 3, 3)``: the kernel as separate positional ints."""
        pos = positional(plan.call)
        if len(pos) != 1 + dims or has_star(plan.call) or pos[-1] is not plan.call.args[len(pos) - 1]:
            return
        keras1_marker = last in KERAS1_NAMES or any(
            k in ("border_mode", "subsample", "nb_filter", "init", "dim_ordering", "W_regularizer")
            for k in keyword_names(plan.call))
        if not keras1_marker or not plan.allows(False):
            return
        parts = pos[1:]
        if isinstance(parts[0].value, (cst.Tuple, cst.List)):
            return  # already a kernel tuple: the next number really is the strides
        plan.found.append("positional kernel")
        plan.note(f"Keras 1's `{last}(filters, {', '.join(['size'] * dims)})` is now "
                  f"`{last}(filters, ({', '.join(['size'] * dims)}))`: today the extra numbers are strides",
                  UNSAFE_EDIT)
        if any(has_comment(p) for p in parts[:-1]):
            plan.blocked = True  # the numbers' commas carry comments the tuple would lose
        # Conv2D(n, 3, 3, border_mode=...) is Keras 1 only by its keywords: renaming them alone
        # would leave a kernel read as strides that nothing reports any more
        plan.unsplittable = last not in KERAS1_NAMES
        elements = [cst.Element(p.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                    for p in parts[:-1]] + [cst.Element(parts[-1].value)]
        first = parts[0].with_changes(value=cst.Tuple(elements), comma=parts[-1].comma)
        plan.args = [first if a is parts[0] else a for a in plan.args if not any(a is p for p in parts[1:])]
        plan.edited(False)

    def _decay(self, plan: _Plan) -> None:
        decay = next((a for a in plan.args if a.keyword is not None and a.keyword.value == "decay"), None)
        if decay is None:
            return
        if _zero(decay):
            plan.note("`decay=0` does nothing: drop it")
            plan.drop(decay)
            return
        if not plan.allows(False):
            return
        plan.note("`decay=` is gone: use `learning_rate=InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`",
                  UNSAFE_EDIT)
        lr = next((a for a in plan.args if a.keyword is not None and a.keyword.value == "learning_rate"), None)
        if lr is None or isinstance(lr.value, cst.Call):
            return
        raw = self.ctx.raw_qualname(plan.call.func) or "keras"
        module = keras_root(raw) + ".optimizers.schedules"
        local = free_name(self.ctx, ("InverseTimeDecay", "KerasInverseTimeDecay"), f"{module}.InverseTimeDecay")
        if local is None:
            plan.blocked = True
            return
        schedule = cst.Call(cst.Name(local), args=[
            cst.Arg(lr.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            _kwarg("decay_steps", cst.Integer("1"), comma=True),
            _kwarg("decay_rate", decay.value),
        ])
        plan.replace(lr, lr.with_changes(value=schedule), safe=False)
        plan.drop(decay, safe=False)
        plan.imports = plan.imports + (ImportSpec(module, "InverseTimeDecay", None if local == "InverseTimeDecay" else local),)

    # -- merge ------------------------------------------------------------------------------
    def _merge(self, node: cst.Call) -> None:
        self._emit(lambda mode: self._plan_merge(node, mode), _callee_text(node.func))

    def _plan_merge(self, node: cst.Call, mode_: Optional[str]) -> _Plan:
        plan = _Plan(node, mode_)
        plan.found.append("merge")
        plan.note(MERGE_NOTE, INFO)
        mode_arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == "mode"), None)
        mode = "sum" if mode_arg is None else literal(mode_arg.value)
        entry = MERGE_MODES.get(mode) if isinstance(mode, str) else None
        pos = positional(node)
        allowed = {"mode", "name", "inputs"} | ({entry.axis_keyword[0]} if entry and entry.axis_keyword else set())
        if entry is None or has_star(node) or len(pos) > 1 or any(k not in allowed for k in keyword_names(node)):
            return plan
        axis_old = entry.axis_keyword[0] if entry.axis_keyword else None
        if entry.needs_axis and axis_old not in keyword_names(node):
            return plan
        for arg in list(plan.args):
            if arg.keyword is None:
                continue
            if arg.keyword.value == "mode":
                plan.drop(arg)
            elif entry.axis_keyword and arg.keyword.value == axis_old:
                plan.replace(arg, rename_keyword(arg, entry.axis_keyword[1]))
        func = node.func
        if isinstance(func, cst.Attribute):
            if self.ctx.qualname(func.value) != "keras.layers":
                plan.changed = False
                return plan
            plan.func = func.with_changes(attr=cst.Name(entry.function))
        elif isinstance(func, cst.Name):
            raw = self.ctx.raw_qualname(func) or "keras.layers.merge"
            module = keras_root(raw) + ".layers"
            # the function's name must not mean anything else in the file (a local `add`)
            local = free_name(self.ctx, (entry.function, "keras_" + entry.function), f"{module}.{entry.function}")
            if local is None:
                plan.changed = False
                return plan
            plan.func = cst.Name(local)
            plan.imports = (ImportSpec(module, entry.function, None if local == entry.function else local),)
        else:
            plan.changed = False
            return plan
        plan.edited(True)
        plan.notes[0] = (f"Keras 1's `merge(..., mode={mode!r})` is gone: use `{entry.function}`", INFO)
        return plan

    # -- Model methods (decided once the whole file has been seen) ------------------------------
    def leave_Module(self, node: cst.Module) -> None:
        if not self._methods or not self.imports_keras():
            return
        for call, method, cls in self._methods:
            table = METHOD_KEYWORDS[method]
            used = [k for k in keyword_names(call) if k in table and self.ctx.target in table[k].targets]
            if not used:
                continue
            kind = self.receiver_kind(call.func.value, cls)  # type: ignore[attr-defined]
            if kind == OTHER:
                continue
            if kind != KERAS:
                used = [k for k in used if k in UNIQUE_KEYWORDS]
                if not used or self.defines_function(method):
                    continue
                table = {k: table[k] for k in used}
            self._emit(lambda mode, call=call, table=table: self._method_plan(call, table, mode),
                       _callee_text(call.func))

    def _method_plan(self, call: cst.Call, table: Dict[str, Kw], mode: Optional[str]) -> _Plan:
        plan = _Plan(call, mode)
        self._keywords(plan, table)
        return plan

    def _ignored_note(self, old: str) -> str:
        """tf-keras's optimizers accept ``lr=`` and ignore it (measured on tf-keras 2.21.0)."""
        return " (tf-keras accepts `lr=` and silently ignores it)" if old == "lr" and self.ctx.target == "tf-keras" else ""


def _zero(arg: cst.Arg) -> bool:
    lit = literal(arg.value)
    return is_literal(lit) and lit == 0


def _kwarg(name: str, value: cst.BaseExpression, comma: bool = False) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")),
                   comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if comma else cst.MaybeSentinel.DEFAULT)


def _callee_text(func: cst.BaseExpression) -> str:
    return dotted_name(func) or "call"
