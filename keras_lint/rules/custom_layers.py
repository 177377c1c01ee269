"""KL301, KL302, KL303: custom Layer classes that cannot be cloned, saved or shaped by Keras.

All three work on the classes of the file at ``leave_Module`` (see ``analysis.keras_classes``): a class is
a custom layer when a base resolves through the imports to a Keras layer class, directly or
through another class of the same file.

Subclassed ``keras.Model``s are left out of KL301 and KL302: they are usually saved with
``save_weights`` and rebuilt by their own code, their constructor arguments are mostly sub-layers
or whole sub-models that a generated ``get_config`` could not describe, and Keras documents
``get_config`` on them as optional. KL303 covers them (a Model never calls
``get_output_shape_for`` either).
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

import libcst as cst

from ..names import dotted_name
from ..fixes import local_name
from ..rule import SAFE, UNSAFE, Fix, Invalid, Rule, Valid
from ._callfix import is_literal, literal
from ..walk import children
from ..analysis.keras_classes import LAYER, MODEL, ClassInfo, keras_classes

KERAS_BASE_KWARGS = frozenset({"name", "trainable", "dtype", "dynamic", "autocast", "input_shape",
                               "batch_input_shape", "batch_size", "input_dim", "weights",
                               "activity_regularizer"})


# -- helpers ----------------------------------------------------------------------------------------

def _init_params(init: cst.FunctionDef) -> List[cst.Param]:
    """The named parameters of ``__init__`` after ``self`` (positional, keyword-only)."""
    params = list(init.params.posonly_params) + list(init.params.params)
    return params[1:] + list(init.params.kwonly_params)


def _star_kwarg(init: cst.FunctionDef) -> Optional[str]:
    star = init.params.star_kwarg
    return star.name.value if isinstance(star, cst.Param) else None


def _walk_exprs(node: cst.CSTNode):
    """Every node under ``node`` (no nested functions or classes), depth first."""
    todo = [node]
    while todo:
        cur = todo.pop()
        yield cur
        for child in children(cur):
            if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            todo.append(child)


def _super_init_calls(init: cst.FunctionDef, info: ClassInfo) -> List[cst.Call]:
    """``super().__init__(...)``, ``super(C, self).__init__(...)`` and ``Base.__init__(self, ...)``
    calls in ``__init__``."""
    bases = {dotted_name(b.value) for b in info.node.bases if b.keyword is None}
    calls = []
    for node in _walk_exprs(init.body):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value == "__init__"):
            continue
        owner = node.func.value
        if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name) and owner.func.value == "super":
            calls.append(node)
        elif dotted_name(owner) in bases:
            calls.append(node)
    return calls


def _super_style(init: cst.FunctionDef) -> str:
    """``super()`` or ``super(Cls, self)``, as the class's ``__init__`` writes it."""
    for node in _walk_exprs(init.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "super" and node.args:
            return cst.Module([]).code_for_node(node)
    return "super()"


def _stored_attributes(init: cst.FunctionDef) -> dict:
    """param name -> attribute it is stored under, for ``self.<attr> = <param>`` in ``__init__``."""
    stored = {}
    for node in _walk_exprs(init.body):
        pairs: List[Tuple[cst.BaseExpression, cst.BaseExpression]] = []
        if isinstance(node, cst.Assign):
            for target in node.targets:
                t, v = target.target, node.value
                if isinstance(t, (cst.Tuple, cst.List)) and isinstance(v, (cst.Tuple, cst.List)) \
                        and len(t.elements) == len(v.elements):
                    pairs.extend((a.value, b.value) for a, b in zip(t.elements, v.elements))
                else:
                    pairs.append((t, v))
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            pairs.append((node.target, node.value))
        for t, v in pairs:
            if (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self"
                    and isinstance(v, cst.Name)):
                attr = t.attr.value
                if attr in (v.value, "_" + v.value):
                    stored.setdefault(v.value, attr)
    return stored


def _non_primitive(param: cst.Param) -> bool:
    """The default shows a value Keras cannot auto-serialize (an object, a call, an array)."""
    if param.default is None:
        return False
    value = param.default
    if is_literal(literal(value)):
        return False
    if isinstance(value, (cst.Tuple, cst.List)):
        return not all(is_literal(literal(e.value)) for e in value.elements)
    return isinstance(value, (cst.Call, cst.Attribute, cst.Dict, cst.Set, cst.Lambda))


def _calls_super_get_config(method: cst.FunctionDef) -> bool:
    for node in _walk_exprs(method.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get_config":
            owner = node.func.value
            if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name) and owner.func.value == "super":
                return True
            if isinstance(owner, (cst.Name, cst.Attribute)):  # Base.get_config(self)
                return True
    return False


def _config_written_by_hand(classes, info: ClassInfo) -> bool:
    """A ``get_config`` in the class or a base of the same file that builds the dict itself,
    without ``super().get_config()``: the keys Keras passes back are the author's choice."""
    for cls in [info] + list(classes.local_bases(info)):
        method = cls.methods.get("get_config")
        if method is not None and not _calls_super_get_config(method):
            return True
    return False


def _covered_params(classes, info: ClassInfo, init: cst.FunctionDef) -> set:
    """``__init__`` parameters whose value a Keras base's own ``get_config`` already records.

    For a built-in base such as ``Dense``: every parameter the ``super().__init__(...)`` call reads,
    directly or through a local variable computed from it (``size = tuple(size)``). For a bare
    ``Layer``: only ``name``, ``dtype``, ``trainable`` and its other own keywords, under their names."""
    builtin = any(qn.rsplit(".", 1)[-1] != "Layer" for qn in classes.keras_bases(info))
    covered = set()
    calls = _super_init_calls(init, info)
    if not builtin:
        for call in calls:
            for arg in call.args:
                if (arg.keyword is not None and isinstance(arg.value, cst.Name)
                        and arg.keyword.value == arg.value.value and arg.value.value in KERAS_BASE_KWARGS):
                    covered.add(arg.value.value)
        return covered
    read = set()
    for call in calls:
        for arg in call.args:
            read |= {n.value for n in _walk_exprs(arg.value) if isinstance(n, cst.Name)}
    # one step back through local assignments: size = tuple(output_size); super().__init__(size)
    for node in _walk_exprs(init.body):
        if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value in read
                                                for t in node.targets):
            read |= {n.value for n in _walk_exprs(node.value) if isinstance(n, cst.Name)}
    return read


def _plain_default(param: cst.Param) -> bool:
    """A default that shows a plain value (not None): ``alpha=1.0``, ``mode='xy'``, ``sizes=(1, 2)``."""
    value = param.default
    if value is None:
        return False
    lit = literal(value)
    if is_literal(lit):
        return lit is not None
    if isinstance(value, (cst.Tuple, cst.List)):
        return all(is_literal(literal(e.value)) and literal(e.value) is not None for e in value.elements)
    return False


def _layer_classes(rule: Rule, module: cst.Module, kinds=(LAYER,)):
    classes = keras_classes(module, rule.ctx)
    for info in classes.infos:
        if info.kind in kinds:
            yield classes, info


def _defines(classes, info: ClassInfo, method: str) -> bool:
    if method in info.methods or method in info.inherited:  # inherited: from other project modules
        return True
    return any(method in base.methods or method in base.inherited for base in classes.local_bases(info))


# -- KL301 ------------------------------------------------------------------------------------------

class LayerWithoutGetConfig(Rule):
    """
    ## What it does
    Finds custom Keras layers without a `get_config` (neither their own nor one in a base class
    of the same file) that Keras provably cannot rebuild from their config, in one of three ways:

    1. **A non-serializable value**: the file constructs the layer with a value Keras cannot
       record (a NumPy array, an initializer or other object, a function or lambda), outside
       another layer or model (a sub-layer is rebuilt by its owner's `__init__`, never from its
       own config). On Keras 3 an `__init__` default that is such an object counts too: Keras 3
       records the defaults with the arguments, tf-keras only the arguments passed.
    2. **A base whose `get_config` drops the arguments**: the layer derives from a built-in Keras
       layer (`Dense`, `Conv2D`, ...) or from a class of the file that defines `get_config`, and
       its `__init__` adds arguments that base config does not know.
    3. Nothing else: a layer whose arguments are plain values passed on through `**kwargs` is
       rebuilt by Keras's automatic config (`{'units': 3, 'heads': 2}`) on Keras 3 and tf-keras,
       and is not reported, whether or not `__init__` stores them.

    ## Why is this bad?
    `clone_model`, `model.to_json()`, `model.save(...)` and `keras.models.load_model` rebuild a
    layer from its config. Measured on Keras 3.15.1 and tf-keras 2.21.0: Keras records plain
    `int`/`float`/`str`/`bool`/`None` values (and lists, tuples, dicts of them) by itself; with a
    NumPy array, an initializer object or a function they fail with `NotImplementedError: ... was
    created by passing non-serializable argument values in __init__(), and therefore the object
    must override get_config()` (on Keras 3 also for such a default nobody passed). A layer
    deriving from `Dense` with an extra `scale` argument gets `Dense.get_config()`, without
    `scale`: a required `scale` makes reloading fail with `TypeError: ... missing 1 required
    positional argument`, an optional one silently comes back as its default.
    `keras.models.clone_model` is a quick test of a layer's config: it rebuilds every layer from
    `get_config()` (fixtures/KL301/ does exactly that).

    Classes deriving from `keras.Model` are not reported: subclassed models are usually saved with
    `save_weights`, and their constructor arguments are typically sub-layers a generated config
    cannot describe. Base classes imported from other files of your project are not followed:
    a layer deriving from one is skipped, and constructions in other files are not seen.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, initializer, **kwargs):
            super().__init__(**kwargs)
            self.initializer = initializer

    outputs = Scale(keras.initializers.Constant(2.0))(inputs)
    ```

    ## Use instead
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, initializer, **kwargs):
            super().__init__(**kwargs)
            self.initializer = keras.initializers.get(initializer)

        def get_config(self):
            config = super().get_config()
            config.update({"initializer": keras.initializers.serialize(self.initializer)})
            return config
    ```

    ## Fix safety
    Unsafe: the generated `get_config` returns `super().get_config()` updated with every
    argument Keras does not record, read back from the attribute `__init__` stores it in
    (`self.name = name` or `self._name = name`); long updates are written one key per line. It
    is only offered when every such argument is stored that way; the values are returned as they
    are, so an object that needs `keras.saving.serialize_keras_object` for a `.keras` file still
    does.

    ## References
    - https://keras.io/guides/serialization_and_saving/
    - fixtures/KL301/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL301` (TF 2.21 / Keras 3.15 / tf-keras 2.21).
    """

    code = "KL301"
    name = "layer-without-get-config"
    message = "`{cls}` has no get_config and is built with `{arg}={value}`, which Keras cannot serialize; add get_config"
    message_default = ("`{cls}` has no get_config and `{arg}` defaults to `{value}`, which Keras 3 cannot "
                       "serialize; add get_config")
    message_base = "`{cls}` has no get_config, so `{base}.get_config()` drops {args}; add get_config"
    fix_safety = UNSAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        # a layer whose own __init__ takes arguments, without get_config/from_config of its own, and
        # one of the three ways: a base that is not the bare Layer (its get_config may drop them),
        # an object default, or a construction site in the file (`Name(` beyond `class Name(`)
        for c in facts.subclasses((LAYER,)):
            init = c.methods.get("__init__")
            if init is None or len(init.params) < 2 or "get_config" in c.methods or "from_config" in c.methods:
                continue
            if any(b.rsplit(".", 1)[-1] != "Layer" for b in c.bases) or init.object_default or \
                    facts.census.calls_of(c.name) > 1:
                return True
        return False

    VALID = [
        # defines get_config
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.units = units\n"
        "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n",
        # only **kwargs / no __init__
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n",
        "from tensorflow.keras.layers import Layer\nclass A(Layer):\n    def call(self, x):\n        return x\n",
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n",
        # plain values through **kwargs, no get_config: Keras's automatic config rebuilds it
        "import keras\nclass Heads(keras.layers.Layer):\n    def __init__(self, units, heads, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.dims = units * heads\n"
        "x = keras.Input((4,))\ny = Heads(8, heads=2, name='h')(x)\n",
        Valid("import tf_keras as keras\nclass Heads(keras.layers.Layer):\n    def __init__(self, units, heads, **kwargs):\n"
              "        super().__init__(**kwargs)\n        self.units = units\n"
              "y = Heads(8, heads=[1, 2], name='h')(x)\n", target="tf-keras"),
        # an object passed to a sub-layer built inside another layer: its owner rebuilds it
        "import keras\nclass Proj(keras.layers.Layer):\n    def __init__(self, init, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.init = init\n"
        "class Block(keras.layers.Layer):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
        "        self.proj = Proj(keras.initializers.HeNormal())\n"
        "    def get_config(self):\n        return super().get_config()\n",
        # a value of unknown kind (a variable) is not evidence
        "import keras\nclass S(keras.layers.Layer):\n    def __init__(self, scales, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.scales = scales\ny = S(scales)(x)\n",
        # tf-keras records only the arguments passed, so an object default nobody passes is fine
        Valid("import tf_keras as keras\nclass Scale(keras.layers.Layer):\n"
              "    def __init__(self, init=keras.initializers.Constant(2.0), **kwargs):\n"
              "        super().__init__(**kwargs)\n        self.init = init\n", target="tf-keras"),
        # not layers: callbacks, losses, metrics, initializers, regularizers, constraints, sequences
        "import keras\nclass C(keras.callbacks.Callback):\n    def __init__(self, path):\n        super().__init__()\n        self.path = path\n",
        "import keras\nclass L(keras.losses.Loss):\n    def __init__(self, w, **kwargs):\n        super().__init__(**kwargs)\n        self.w = w\n",
        "from tensorflow.keras import initializers\nclass I(initializers.Initializer):\n    def __init__(self, v):\n        self.v = v\n",
        "from keras.utils import Sequence\nclass S(Sequence):\n    def __init__(self, x, batch_size):\n        self.x = x\n",
        # arguments a built-in base records itself (Dense.get_config has `units` and `activation`)
        "from keras.layers import Dense\nclass MyDense(Dense):\n    def __init__(self, units, activation=None, **kwargs):\n"
        "        super().__init__(units, activation=activation, **kwargs)\n",
        # a built-in base receives a value computed from the argument
        "from keras.layers import AveragePooling2D\nclass Pool(AveragePooling2D):\n"
        "    def __init__(self, size, **kwargs):\n        pool_size = tuple(size)\n"
        "        super().__init__(pool_size, **kwargs)\n",
        # a custom base's get_config knows the argument (same name in its __init__)
        "import keras\nclass Base(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.units = units\n"
        "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n"
        "class A(Base):\n    def __init__(self, units, **kwargs):\n        super().__init__(units, **kwargs)\n",
        # subclassed models (documented decision)
        "import keras\nclass Net(keras.Model):\n    def __init__(self, encoder, **kwargs):\n        super().__init__(**kwargs)\n        self.encoder = encoder\n"
        "net = Net(keras.layers.Dense(3))\n",
        # a base from another file of the project is not followed; a project's own Layer is not Keras
        "from .base import MyBase\nimport numpy as np\nclass A(MyBase):\n    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n"
        "a = A(np.zeros(3))\n",
        "from lasagne.layers import Layer\nimport numpy as np\nclass A(Layer):\n    def __init__(self, incoming, n):\n        self.n = n\n"
        "a = A(x, np.zeros(3))\n",
        # a mixin of unknown origin may bring get_config
        "import keras\nfrom mylib import ConfigMixin\nclass A(ConfigMixin, keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.units = units\na = A(keras.initializers.Zeros())\n",
        # a look-alike call: another class of the same name in a method, numpy scalars, a dtype
        "import keras\nimport numpy as np\nclass S(keras.layers.Layer):\n    def __init__(self, f, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.f = f\nS(np.float64(2.0))\nS(f=keras.ops.float32 if 0 else 'x')\n",
    ]
    INVALID = [
        Invalid(
            "import keras\n\n\nclass Scale(keras.layers.Layer):\n"
            "    def __init__(self, initializer=keras.initializers.Constant(2.0), **kwargs):\n"
            "        super().__init__(**kwargs)\n        self.initializer = initializer\n\n"
            "    def call(self, x):\n        return x\n",
            line=4,
            fixed="import keras\n\n\nclass Scale(keras.layers.Layer):\n"
                  "    def __init__(self, initializer=keras.initializers.Constant(2.0), **kwargs):\n"
                  "        super().__init__(**kwargs)\n        self.initializer = initializer\n\n"
                  "    def get_config(self):\n        config = super().get_config()\n"
                  "        config.update({\"initializer\": self.initializer})\n        return config\n\n"
                  "    def call(self, x):\n        return x\n"),
        # Keras 2 style: aliased import, old-style super, private attribute, keyword-only argument,
        # built with an array; a long update is written one key per line
        Invalid(
            "import numpy as np\nfrom keras import layers as KL\n\nclass AnchorBoxes(KL.Layer):\n"
            "    def __init__(self, anchor_sizes, *, anchor_aspect_ratios=(0.5, 1, 2), **kwargs):\n"
            "        self._anchor_sizes = anchor_sizes\n        self.anchor_aspect_ratios = anchor_aspect_ratios\n"
            "        super(AnchorBoxes, self).__init__(**kwargs)\n\n"
            "anchors = AnchorBoxes(np.array([32, 64]))(features)\n",
            line=4, target="tf-keras",
            fixed="import numpy as np\nfrom keras import layers as KL\n\nclass AnchorBoxes(KL.Layer):\n"
                  "    def __init__(self, anchor_sizes, *, anchor_aspect_ratios=(0.5, 1, 2), **kwargs):\n"
                  "        self._anchor_sizes = anchor_sizes\n        self.anchor_aspect_ratios = anchor_aspect_ratios\n"
                  "        super(AnchorBoxes, self).__init__(**kwargs)\n\n"
                  "    def get_config(self):\n        config = super(AnchorBoxes, self).get_config()\n"
                  "        config.update(\n            {\n                \"anchor_sizes\": self._anchor_sizes,\n"
                  "                \"anchor_aspect_ratios\": self.anchor_aspect_ratios,\n            }\n        )\n"
                  "        return config\n\n"
                  "anchors = AnchorBoxes(np.array([32, 64]))(features)\n"),
        # a function passed by keyword; the argument is transformed, so no fix
        Invalid(
            "import tensorflow as tf\nclass Base(tf.keras.layers.Layer):\n    pass\n"
            "class Gate(Base):\n    def __init__(self, units, act, **kwargs):\n        super().__init__(**kwargs)\n"
            "        self.fn = act\ndef build(x):\n    return Gate(4, act=tf.nn.relu)(x)\n",
            line=4),
        # subclass of a built-in layer: Dense's get_config does not know `scale`
        Invalid(
            "from tensorflow.keras.layers import Dense\nclass ScaledDense(Dense):\n"
            "    def __init__(self, units, scale, **kwargs):\n        super().__init__(units, **kwargs)\n"
            "        self.units = units\n        self.scale = scale\n",
            fixed="from tensorflow.keras.layers import Dense\nclass ScaledDense(Dense):\n"
                  "    def __init__(self, units, scale, **kwargs):\n        super().__init__(units, **kwargs)\n"
                  "        self.units = units\n        self.scale = scale\n\n"
                  "    def get_config(self):\n        config = super().get_config()\n"
                  "        config.update({\"scale\": self.scale})\n        return config\n"),
        # a custom base's get_config drops the new argument (TypeError: missing 'units' on reload)
        Invalid(
            "import keras\nclass Base(keras.layers.Layer):\n    def get_config(self):\n        return super().get_config()\n"
            "class A(Base):\n    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n",
            line=5, target="tf-keras",
            fixed="import keras\nclass Base(keras.layers.Layer):\n    def get_config(self):\n        return super().get_config()\n"
                  "class A(Base):\n    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n\n"
                  "    def get_config(self):\n        config = super().get_config()\n"
                  "        config.update({\"units\": self.units})\n        return config\n"),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        layers = list(_layer_classes(self, node))
        if not layers:
            return
        sites = _construction_sites(node, {info.name for _c, info in layers}, layers[0][0])
        for classes, info in layers:
            init = info.methods.get("__init__")
            if init is None or not info.bases_known or "get_config" in info.methods \
                    or _defines(classes, info, "from_config"):
                continue
            found = self._finding(classes, info, init, sites.get(info.name, ()))
            if found is not None:
                message, names = found
                self.report(info.node.name, message, self._fix(init, names))

    def _finding(self, classes, info: ClassInfo, init: cst.FunctionDef, sites) -> Optional[Tuple[str, List[str]]]:
        """(message, arguments the fix must record) when Keras provably cannot rebuild ``info``."""
        covered = _covered_params(classes, info, init)
        params = [p for p in _init_params(init) if p.name.value not in covered]
        if not params:
            return None
        names = [p.name.value for p in params]
        base = _config_base(classes, info)
        if base is not None:
            if isinstance(base, ClassInfo):  # a base of the file with its own get_config
                base_init = base.methods.get("__init__")
                known = {p.name.value for p in _init_params(base_init)} if base_init is not None else set()
                names = [n for n in names if n not in known]
                base_name = base.name
            else:
                base_name = base.rsplit(".", 1)[-1]
            if names:
                args = ", ".join(f"`{n}`" for n in names[:3]) + (", ..." if len(names) > 3 else "")
                return self.message_base.format(cls=info.name, base=base_name, args=args), names
            return None
        if _defines(classes, info, "get_config"):
            return None
        by_name = {p.name.value: p for p in params}
        for call in sites:
            for arg_name, value in _bound_arguments(call, init):
                if arg_name in by_name and _object_value(value, self.ctx):
                    return self.message.format(cls=info.name, arg=arg_name, value=_short(value)), names
        if self.ctx.target == "keras3":  # Keras 3 records the defaults too
            for p in params:
                if p.default is not None and _object_value(p.default, self.ctx):
                    return self.message_default.format(cls=info.name, arg=p.name.value, value=_short(p.default)), names
        return None

    def _fix(self, init: cst.FunctionDef, names: Sequence[str]) -> Optional[Fix]:
        stored = _stored_attributes(init)
        if any(n not in stored for n in names):
            return None  # an argument is not stored under a recognisable name: do not guess
        method = cst.parse_statement(_get_config_code(_super_style(init), [(n, stored[n]) for n in names],
                                                      len(_indent_of(init, self.ctx.module))),
                                     config=self.ctx.module.config_for_parsing)
        method = method.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        return Fix(UNSAFE, {init: cst.FlattenSentinel([init, method])})


#: the longest line the KL301 fix writes on one line (black's default, the commonest formatter)
FIX_LINE_LENGTH = 88


def _get_config_code(super_call: str, items: Sequence[Tuple[str, str]], indent: int) -> str:
    """The ``get_config`` method (unindented), with ``config.update({...})`` on one line when it
    fits in ``FIX_LINE_LENGTH`` at its final indentation, else one key per line as black writes it."""
    pairs = [f'"{key}": self.{attr}' for key, attr in items]
    one_line = f"    config.update({{{', '.join(pairs)}}})\n"
    if indent + len(one_line) - 1 > FIX_LINE_LENGTH:
        one_line = "    config.update(\n        {\n" + "".join(f"            {p},\n" for p in pairs) + "        }\n    )\n"
    return f"def get_config(self):\n    config = {super_call}.get_config()\n{one_line}    return config\n"


def _indent_of(func: cst.FunctionDef, module: cst.Module) -> str:
    """The indentation of a method's ``def`` line: one module indent per enclosing class is a
    good enough estimate for deciding whether a generated line fits."""
    return module.default_indent


_PRIMITIVE_BUILTINS = frozenset({"int", "float", "str", "bool", "tuple", "list", "dict", "round", "len",
                                 "min", "max", "abs", "sum", "sorted"})
_DTYPE_NAMES = re.compile(r"^(u?int\d*|float\d*|bfloat16|half|double|bool_?|string|str_?|complex\d*)$")
_NUMPY_CONSTANTS = frozenset({"pi", "e", "inf", "nan", "newaxis"})
_OBJECT_ROOTS = ("keras.", "tensorflow.", "tf_keras.", "numpy.")


def _numpy_names(module: cst.Module) -> dict:
    """Local name -> qualified name for the file's top-level NumPy imports (the import map
    tracks Keras and TensorFlow only)."""
    names = {}
    for stmt in module.body:
        for small in getattr(stmt, "body", ()) if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted_name(alias.name)
                    if full == "numpy":
                        names[local_name(alias)] = "numpy"
            elif isinstance(small, cst.ImportFrom) and not small.relative and not isinstance(small.names, cst.ImportStar):
                if dotted_name(small.module) == "numpy":
                    for alias in small.names:
                        names[local_name(alias)] = "numpy." + alias.evaluated_name
    return names


def _qualname(expr: cst.BaseExpression, ctx) -> Optional[str]:
    qn = ctx.qualname(expr)
    if qn is not None:
        return qn
    dotted = dotted_name(expr)
    if dotted is None:
        return None
    numpy = getattr(ctx, "_kl_numpy_names", None)
    if numpy is None:
        numpy = _numpy_names(ctx.module)
        ctx._kl_numpy_names = numpy
    root, _, rest = dotted.partition(".")
    return None if root not in numpy else numpy[root] + ("." + rest if rest else "")


def _plain_classes(ctx) -> set:
    """Names of the file's module-level classes that derive from nothing but ``object``: their
    instances are never values Keras can record."""
    names = getattr(ctx, "_kl_plain_classes", None)
    if names is None:
        names = {stmt.name.value for stmt in ctx.module.body if isinstance(stmt, cst.ClassDef)
                 and all(isinstance(b.value, cst.Name) and b.value.value == "object" for b in stmt.bases)}
        ctx._kl_plain_classes = names
    return names


def _object_value(expr: cst.BaseExpression, ctx) -> bool:
    """``expr`` provably evaluates to something Keras's automatic config refuses: a lambda, a
    NumPy array or TensorFlow tensor, a Keras object, a function."""
    if isinstance(expr, cst.Lambda):
        return True
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Name) and expr.func.value in _PRIMITIVE_BUILTINS:
            return False
        if isinstance(expr.func, cst.Name) and expr.func.value in _plain_classes(ctx):
            return True  # an instance of a class of the file (a Config object)
        qn = _qualname(expr.func, ctx)
        if qn is None or not qn.startswith(_OBJECT_ROOTS):
            return False
        last = qn.rsplit(".", 1)[-1]
        return not (_DTYPE_NAMES.match(last) or last in ("get", "deserialize"))
    if isinstance(expr, (cst.Attribute, cst.Name)):
        qn = _qualname(expr, ctx)
        if qn is None or not qn.startswith(_OBJECT_ROOTS) or qn.count(".") < 1:
            return False
        last = qn.rsplit(".", 1)[-1]
        return not (_DTYPE_NAMES.match(last) or last in _NUMPY_CONSTANTS or last.isupper())
    return False


def _short(expr: cst.BaseExpression, limit: int = 32) -> str:
    code = " ".join(cst.Module([]).code_for_node(expr).split())
    return code if len(code) <= limit else code[:limit - 3] + "..."


def _bound_arguments(call: cst.Call, init: cst.FunctionDef):
    """(parameter name, value) for the arguments of a construction ``Cls(...)``."""
    positional = [p.name.value for p in list(init.params.posonly_params) + list(init.params.params)][1:]
    i = 0
    for arg in call.args:
        if arg.star:
            return
        if arg.keyword is not None:
            yield arg.keyword.value, arg.value
        elif i < len(positional):
            yield positional[i], arg.value
            i += 1


def _construction_sites(module: cst.Module, names: set, classes) -> dict:
    """class name -> ``Name(...)`` calls of it outside the file's Keras layers and models (a
    sub-layer made inside another layer is rebuilt by that layer's ``__init__``)."""
    sites: dict = {}
    todo: List[Tuple[cst.CSTNode, bool]] = [(module, False)]
    while todo:
        cur, inside = todo.pop()
        if isinstance(cur, cst.ClassDef):
            inside = inside or any(i.kind in (LAYER, MODEL) for i in classes.by_name.get(cur.name.value, ()))
        elif (not inside and isinstance(cur, cst.Call) and isinstance(cur.func, cst.Name)
              and cur.func.value in names):
            sites.setdefault(cur.func.value, []).append(cur)
        todo.extend((child, inside) for child in children(cur))
    return sites


def _config_base(classes, info: ClassInfo):
    """The base whose ``get_config`` ``info`` inherits, when that is not the bare ``Layer``'s
    automatic one: a built-in Keras layer's qualified name, or a class of the file defining it."""
    for base in classes.local_bases(info):
        if "get_config" in base.methods:
            return base
    builtin = [qn for qn in classes.keras_bases(info) if qn.rsplit(".", 1)[-1] != "Layer"]
    return builtin[0] if builtin else None


# -- KL302 ------------------------------------------------------------------------------------------

class LayerDropsKwargs(Rule):
    """
    ## What it does
    Finds custom Keras layers whose `__init__` has no `**kwargs`, or takes `**kwargs` but does
    not pass them on to `super().__init__`.

    ## Why is this bad?
    A layer's config always carries Keras's own constructor arguments (`name`, `trainable`,
    `dtype`). `clone_model`, `model_from_json` and loading a `.keras` file call
    `MyLayer(**config)`, which fails on Keras 3 with `TypeError: ... __init__() got an unexpected
    keyword argument 'trainable'` (measured on Keras 3.15.1, also for a layer that takes `name`),
    and `MyLayer(name="x")` fails in your own code as well. tf-keras 2.21 leaves Keras's own keys
    out of the automatic config of a layer without `**kwargs`, so there (`--target tf-keras`, or
    a file importing `tf_keras`) the missing `**kwargs` is reported only when a `get_config` that
    calls `super().get_config()`, or a built-in base such as `Dense`, puts them back
    (`TypeError: ... unexpected keyword argument 'name'`, measured on tf-keras 2.21.0). A layer that swallows `**kwargs` without
    forwarding them silently ignores the name, dtype policy and trainability you give it.

    Subclassed `keras.Model`s are not reported (see KL301), nor classes that define `from_config`
    (themselves or in a base of the same file) or have a base or mixin of unknown origin, which may
    build the object itself; nor an `__init__` that reads `**kwargs` itself (pops or inspects them,
    hands them to an inner layer), nor a layer whose `get_config` is written by hand without
    `super().get_config()` (then Keras's own keys never come back to `__init__`).

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0):
            super().__init__()
            self.factor = factor
    ```

    ## Use instead
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
    ```

    ## Fix safety
    Safe: the fix adds `**kwargs` to the signature (when missing) and passes it to the one
    `super().__init__(...)` call; calls that worked before behave the same. No fix when there is no
    such call, several of them, when the call already names a Keras argument such as `name=`
    (forwarding would pass it twice), or when `**kwargs` is used for something else.

    ## References
    - https://keras.io/guides/making_new_layers_and_models_via_subclassing/
    - fixtures/KL302/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL302` (Keras 3.15).
    """

    code = "KL302"
    name = "layer-drops-keras-kwargs"
    message_missing = ("`{cls}.__init__` takes no **kwargs, so Keras cannot rebuild it (TypeError: unexpected keyword "
                       "argument '{key}'); add **kwargs")
    message = "`{cls}.__init__` drops `**{kw}`: `name`, `trainable` and `dtype` are ignored; pass `**{kw}` to super().__init__"
    fix_safety = SAFE

    @classmethod
    def gate(cls, facts, target) -> bool:
        # a subclass whose own __init__ does not hand **kwargs to super().__init__
        return any("__init__" in c.methods and not c.methods["__init__"].forwards_varkw and "from_config" not in c.methods
                   for c in facts.subclasses((LAYER,)))

    VALID = [
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n        self.units = units\n",
        "from keras.layers import Layer\nclass A(Layer):\n    def __init__(self, units, **kw):\n"
        "        Layer.__init__(self, **kw)\n",
        "import tensorflow as tf\nclass A(tf.keras.layers.Layer):\n    def __init__(self, *args, **kwargs):\n"
        "        super(A, self).__init__(*args, **kwargs)\n",
        # kwargs forwarded under another spelling
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        base = {k: v for k, v in kwargs.items() if k != 'units'}\n        super().__init__(**base)\n",
        # no __init__
        "import keras\nclass A(keras.layers.Layer):\n    def call(self, x):\n        return x\n",
        # not a layer: callback, loss, plain class, subclassed model, foreign Layer
        "import keras\nclass C(keras.callbacks.Callback):\n    def __init__(self, path):\n        super().__init__()\n",
        "import keras\nclass L(keras.losses.Loss):\n    def __init__(self):\n        super().__init__()\n",
        "class A:\n    def __init__(self, units):\n        self.units = units\n",
        "import keras\nclass Net(keras.Model):\n    def __init__(self, n):\n        super().__init__()\n",
        "from lasagne.layers import Layer\nclass A(Layer):\n    def __init__(self, incoming):\n        super().__init__(incoming)\n",
        # a custom from_config builds the object itself
        "import keras\nclass A(keras.layers.Layer):\n    def __init__(self, n):\n        super().__init__()\n"
        "    @classmethod\n    def from_config(cls, config):\n        return cls(config['n'])\n",
        # __init__ reads **kwargs itself (here: hands them to an inner layer)
        "import keras\nclass Wrap(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
        "        super().__init__()\n        self.inner = keras.layers.Dense(units, **kwargs)\n",
        # get_config written by hand in a base: Keras's own keys never reach __init__
        "import keras\nclass Base(keras.layers.Layer):\n    def get_config(self):\n        return {'rate': self.rate}\n"
        "class Drop(Base):\n    def __init__(self, rate):\n        super().__init__()\n        self.rate = rate\n"
        "    def get_config(self):\n        return {**super().get_config(), 'x': 1}\n",
        # a mixin of unknown origin may do the same
        "import keras\nfrom mylib import FromConfigMixin\nclass A(FromConfigMixin, keras.layers.Layer):\n"
        "    def __init__(self, n):\n        super().__init__()\n",
    ]
    VALID += [
        # tf-keras: the automatic config of a layer without **kwargs leaves name/trainable out
        Valid("import tf_keras as keras\nclass Scale(keras.layers.Layer):\n    def __init__(self, units):\n"
              "        super().__init__()\n        self.units = units\n", target="tf-keras"),
        Valid("import keras\nclass Scale(keras.layers.Layer):\n    def __init__(self, units, name=None):\n"
              "        super().__init__(name=name)\n        self.units = units\n", target="tf-keras"),
    ]
    INVALID = [
        # tf-keras: a get_config calling super() brings name/trainable/dtype back to __init__
        Invalid("import tf_keras as keras\nclass Scale(keras.layers.Layer):\n    def __init__(self, units):\n"
                "        super().__init__()\n        self.units = units\n"
                "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n",
                target="tf-keras",
                fixed="import tf_keras as keras\nclass Scale(keras.layers.Layer):\n    def __init__(self, units, **kwargs):\n"
                      "        super().__init__(**kwargs)\n        self.units = units\n"
                      "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n"),
        Invalid("from tf_keras.layers import Dense\nclass D(Dense):\n    def __init__(self, units):\n"
                "        super().__init__(units)\n", target="tf-keras",
                fixed="from tf_keras.layers import Dense\nclass D(Dense):\n    def __init__(self, units, **kwargs):\n"
                      "        super().__init__(units, **kwargs)\n"),
        Invalid(
            "import keras\n\nclass Scale(keras.layers.Layer):\n    def __init__(self, factor=2.0):\n"
            "        super().__init__()\n        self.factor = factor\n",
            line=3,
            fixed="import keras\n\nclass Scale(keras.layers.Layer):\n    def __init__(self, factor=2.0, **kwargs):\n"
                  "        super().__init__(**kwargs)\n        self.factor = factor\n"),
        # Keras 2 style: imported Layer, old super, kwargs accepted but dropped
        Invalid(
            "from keras.engine.topology import Layer\n\nclass ClipBoxes(Layer):\n"
            "    def __init__(self, mode='xyxy', **kwargs):\n        self.mode = mode\n"
            "        super(ClipBoxes, self).__init__()\n",
            fixed="from keras.engine.topology import Layer\n\nclass ClipBoxes(Layer):\n"
                  "    def __init__(self, mode='xyxy', **kwargs):\n        self.mode = mode\n"
                  "        super(ClipBoxes, self).__init__(**kwargs)\n"),
        # through a custom base, no arguments at all
        Invalid(
            "import tensorflow as tf\nclass Base(tf.keras.layers.Layer):\n    pass\n"
            "class Identity(Base):\n    def __init__(self):\n        super().__init__()\n",
            line=4,
            fixed="import tensorflow as tf\nclass Base(tf.keras.layers.Layer):\n    pass\n"
                  "class Identity(Base):\n    def __init__(self, **kwargs):\n"
                  "        super().__init__(**kwargs)\n"),
        # name= given explicitly: forwarding would pass it twice -> report, no fix
        Invalid(
            "import keras\nclass Block(keras.layers.Layer):\n    def __init__(self, units):\n"
            "        super().__init__(name='block')\n"),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        for classes, info in _layer_classes(self, node):
            init = info.methods.get("__init__")
            if init is None or not info.bases_known or _defines(classes, info, "from_config"):
                continue  # an unknown base or mixin may bring its own from_config
            supers = _super_init_calls(init, info)
            if any(arg.star == "**" for call in supers for arg in call.args):
                continue
            kw = _star_kwarg(init)
            if kw is not None and any(isinstance(n, cst.Name) and n.value == kw for n in _walk_exprs(init.body)):
                continue  # __init__ reads **kwargs itself: it decides what reaches Keras
            if kw is None and _config_written_by_hand(classes, info):
                continue
            if kw is None:
                if self.ctx.target == "tf-keras" and not _config_has_keras_keys(classes, info):
                    continue  # tf-keras's automatic config leaves name/trainable/dtype out
                key = "trainable" if self.ctx.target == "keras3" else "name"
                self.report(info.node.name, self.message_missing.format(cls=info.name, key=key),
                            self._fix(init, supers, None))
            elif supers:
                self.report(info.node.name, self.message.format(cls=info.name, kw=kw), self._fix(init, supers, kw))

    def _fix(self, init: cst.FunctionDef, supers: List[cst.Call], kw: Optional[str]) -> Optional[Fix]:
        if len(supers) != 1:
            return None
        call = supers[0]
        if any(a.keyword is not None and a.keyword.value in KERAS_BASE_KWARGS for a in call.args):
            return None
        replacements = {}
        if kw is None:
            taken = {p.name.value for p in _init_params(init)}
            if "kwargs" in taken:
                return None
            kw = "kwargs"
            params = init.params
            replacements[params] = params.with_changes(star_kwarg=cst.Param(name=cst.Name(kw), star="**"))
        new_arg = cst.Arg(value=cst.Name(kw), star="**")
        replacements[call] = call.with_changes(args=list(call.args) + [new_arg])
        return Fix(SAFE, replacements)


def _config_has_keras_keys(classes, info: ClassInfo) -> bool:
    """The layer's config carries ``name``/``trainable``/``dtype`` on tf-keras: a ``get_config``
    of its own or of a base of the file that calls ``super().get_config()``, or a built-in base
    with its own ``get_config`` (``Dense``)."""
    for cls in [info] + list(classes.local_bases(info)):
        method = cls.methods.get("get_config")
        if method is not None:
            return _calls_super_get_config(method)
    return any(qn.rsplit(".", 1)[-1] != "Layer" for qn in classes.keras_bases(info))


# -- KL303 ------------------------------------------------------------------------------------------

class GetOutputShapeFor(Rule):
    """
    ## What it does
    Finds a `get_output_shape_for` method on a class deriving from a Keras layer or model.

    ## Why is this bad?
    `get_output_shape_for` is the Keras 1 name. Keras 2 renamed it
    `compute_output_shape`, and neither Keras 2, tf-keras nor Keras 3 ever calls the old name: the
    shape you declare is silently ignored (measured: a layer declaring `(None, 999)` builds as
    `(None, 3)`). On Keras 3 a wrapper that asks for the shape, such as `TimeDistributed`, fails
    with `NotImplementedError: Layer MyLayer does not have a compute_output_shape method
    implemented` (measured).

    A class that also defines `compute_output_shape` (a Keras 1/2 compatibility shim) is not
    reported, and nor is a `get_output_shape_for` on a class that is not a Keras layer (Lasagne
    uses the same name).

    ## Example
    ```python
    class Pair(keras.layers.Layer):
        def call(self, x):
            return keras.ops.concatenate([x, x], axis=-1)

        def get_output_shape_for(self, input_shape):
            return input_shape[:-1] + (2 * input_shape[-1],)
    ```

    ## Use instead
    ```python
    class Pair(keras.layers.Layer):
        def call(self, x):
            return keras.ops.concatenate([x, x], axis=-1)

        def compute_output_shape(self, input_shape):
            return input_shape[:-1] + (2 * input_shape[-1],)
    ```

    ## Fix safety
    Unsafe: after the rename Keras starts using the method, so a wrong shape it declares now
    matters (on Keras 3 the declared shape is used for symbolic outputs instead of tracing
    `call`). Calls of `get_output_shape_for` elsewhere in your code are not renamed.

    ## References
    - https://keras.io/api/layers/base_layer/ (`compute_output_shape`)
    - fixtures/KL303/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL303` (TF 2.21 / Keras 3.15 / tf-keras 2.21).
    """

    code = "KL303"
    name = "keras1-get-output-shape-for"
    message = "`get_output_shape_for` is the Keras 1 name: Keras 2 and 3 never call it; rename it `compute_output_shape`"
    fix_safety = UNSAFE
    triggers = ("get_output_shape_for",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return any("get_output_shape_for" in c.methods for c in facts.subclasses())

    VALID = [
        "import keras\nclass A(keras.layers.Layer):\n    def compute_output_shape(self, s):\n        return s\n",
        # compatibility shim: both names
        "from keras.layers import Layer\nclass A(Layer):\n    def get_output_shape_for(self, s):\n        return s\n"
        "    def compute_output_shape(self, s):\n        return self.get_output_shape_for(s)\n",
        # Lasagne (and other libraries) use the same name
        "import lasagne\nclass A(lasagne.layers.Layer):\n    def get_output_shape_for(self, s):\n        return s\n",
        "class A:\n    def get_output_shape_for(self, s):\n        return s\n",
        # a call, not a definition
        "import keras\ndef f(layer, s):\n    return layer.get_output_shape_for(s)\n",
    ]
    INVALID = [
        Invalid(
            "from keras import backend as K\nfrom keras.engine.topology import Layer\n\nclass MyLayer(Layer):\n"
            "    def call(self, x, mask=None):\n        return K.dot(x, self.W)\n\n"
            "    def get_output_shape_for(self, input_shape):\n        return (input_shape[0], self.output_dim)\n",
            line=8,
            fixed="from keras import backend as K\nfrom keras.engine.topology import Layer\n\nclass MyLayer(Layer):\n"
                  "    def call(self, x, mask=None):\n        return K.dot(x, self.W)\n\n"
                  "    def compute_output_shape(self, input_shape):\n        return (input_shape[0], self.output_dim)\n"),
        Invalid(
            "import tensorflow as tf\nclass Base(tf.keras.layers.Layer):\n    pass\nclass Crop(Base):\n"
            "    def get_output_shape_for(self, s):\n        return s\n",
            line=5,
            fixed="import tensorflow as tf\nclass Base(tf.keras.layers.Layer):\n    pass\nclass Crop(Base):\n"
                  "    def compute_output_shape(self, s):\n        return s\n"),
    ]

    def leave_Module(self, node: cst.Module) -> None:
        for _classes, info in _layer_classes(self, node, kinds=(LAYER, MODEL)):
            method = info.methods.get("get_output_shape_for")
            if method is None or "compute_output_shape" in info.methods:
                continue
            fix = Fix(UNSAFE, {method.name: cst.Name("compute_output_shape")})
            self.report(method.name, self.message, fix)
