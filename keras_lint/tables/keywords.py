"""Keyword arguments that Keras removed or renamed (KL403).

``KEYWORDS`` maps a canonical callable (``keras.layers.Dense``: ``tensorflow.keras.`` and
``tf_keras.`` spell the same API) to its old keywords; ``METHOD_KEYWORDS`` does the same for
``Model`` methods (matched on Keras receivers, see ``analysis/receivers.py``). Each entry says what
the keyword became:

- ``new``: the new keyword (a rename; ``values`` converts literal values, e.g. ``dim_ordering='th'``
  -> ``data_format='channels_first'``), or ``None`` when the keyword is gone;
- ``note``: the guidance shown in the message;
- ``safe``: whether the rewrite keeps behaviour (renames do; dropping an argument may not);
- ``drop``: for a removed keyword, how the fix drops it: ``"never"`` (manual), ``"literal"`` (only
  when its value is one of ``drop_values``, which are the new default: safe), ``"always"`` (unsafe);
- ``targets``: the stacks where the keyword fails (tf-keras still takes some).

Renames come from Keras 2.0's own legacy-argument converters (``keras/legacy/interfaces.py``).
``tests/test_tables_migration.py`` checks every new keyword against the real signatures on the
pinned stack.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

BOTH = ("keras3", "tf-keras")
KERAS3 = ("keras3",)


@dataclass(frozen=True)
class Kw:
    new: Optional[str]
    note: str = ""
    values: Optional[Dict[str, object]] = None
    safe: bool = True
    drop: str = "never"
    drop_values: Tuple[object, ...] = ()
    targets: Tuple[str, ...] = BOTH
    #: stacks that still accept the old keyword, with a deprecation warning (reported anyway)
    deprecated_on: Tuple[str, ...] = ()


def _renames(*pairs: Tuple[str, str]) -> Dict[str, Kw]:
    return {old: Kw(new) for old, new in pairs}


_DIM_ORDERING = Kw("data_format", values={"th": "channels_first", "tf": "channels_last"})
_BIAS_REG = (("b_regularizer", "bias_regularizer"), ("W_constraint", "kernel_constraint"),
             ("b_constraint", "bias_constraint"), ("bias", "use_bias"))
_KERNEL = (("init", "kernel_initializer"), ("W_regularizer", "kernel_regularizer")) + _BIAS_REG

DENSE = _renames(("output_dim", "units"), *_KERNEL)
DROPOUT = _renames(("p", "rate"))
EMBEDDING = {
    **_renames(("init", "embeddings_initializer"), ("W_regularizer", "embeddings_regularizer"),
               ("W_constraint", "embeddings_constraint")),
    "dropout": Kw(None, "Embedding lost `dropout` in Keras 2: put a `SpatialDropout1D` layer after it"),
}
RECURRENT = {
    **_renames(("output_dim", "units"), ("init", "kernel_initializer"), ("inner_init", "recurrent_initializer"),
               ("inner_activation", "recurrent_activation"), ("W_regularizer", "kernel_regularizer"),
               ("b_regularizer", "bias_regularizer"), ("U_regularizer", "recurrent_regularizer"),
               ("dropout_W", "dropout"), ("dropout_U", "recurrent_dropout")),
    "consume_less": Kw(None, "`consume_less` only chose a speed/memory trade-off: drop it", drop="literal",
                       drop_values=("cpu", "mem", "gpu")),
    "forget_bias_init": Kw(None, "`forget_bias_init` is gone: `unit_forget_bias=True` (the default) "
                                 "initialises the forget gate bias with ones"),
}
SIMPLE_RNN = {k: v for k, v in RECURRENT.items() if k != "inner_activation"}  # it had no gates
CONV1D = _renames(("nb_filter", "filters"), ("filter_length", "kernel_size"), ("subsample_length", "strides"),
                  ("border_mode", "padding"), *_KERNEL)
_CONV_ND = {
    **_renames(("nb_filter", "filters"), ("subsample", "strides"), ("border_mode", "padding"), *_KERNEL),
    "dim_ordering": _DIM_ORDERING,
}
CONV2D = {**_CONV_ND,
          "nb_row": Kw(None, "`nb_row=`/`nb_col=` are gone: use `kernel_size=(rows, cols)`"),
          "nb_col": Kw(None, "`nb_row=`/`nb_col=` are gone: use `kernel_size=(rows, cols)`")}
CONV3D = {**_CONV_ND,
          **{k: Kw(None, "`kernel_dim1..3` became one `kernel_size=(d1, d2, d3)` argument")
             for k in ("kernel_dim1", "kernel_dim2", "kernel_dim3")}}
SEPARABLE = {k: v for k, v in CONV2D.items() if k not in ("init", "W_regularizer", "W_constraint")}
POOL1D = _renames(("pool_length", "pool_size"), ("stride", "strides"), ("border_mode", "padding"))
POOL_ND = {**_renames(("border_mode", "padding")), "dim_ordering": _DIM_ORDERING}
DATA_FORMAT_ONLY = {"dim_ordering": _DIM_ORDERING}
BATCHNORM = {
    **_renames(("beta_init", "beta_initializer"), ("gamma_init", "gamma_initializer")),
    "mode": Kw(None, "mode=0 is the only behaviour left; for mode=1 use `LayerNormalization`",
               drop="literal", drop_values=(0,)),
}
OPTIMIZER = {
    "lr": Kw("learning_rate", deprecated_on=("tf-keras",)),
    "decay": Kw(None, "use `learning_rate=InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)`"),
}
MODEL = _renames(("input", "inputs"), ("output", "outputs"))

_LAYERS: Dict[str, Dict[str, Kw]] = {
    "Dense": DENSE,
    "Dropout": DROPOUT, "SpatialDropout1D": DROPOUT, "SpatialDropout2D": DROPOUT, "SpatialDropout3D": DROPOUT,
    "GaussianDropout": DROPOUT,
    "GaussianNoise": _renames(("sigma", "stddev")),
    "PReLU": _renames(("init", "alpha_initializer")),
    "Embedding": EMBEDDING,
    "LSTM": RECURRENT, "GRU": RECURRENT, "SimpleRNN": SIMPLE_RNN,
    "Conv1D": CONV1D, "Convolution1D": CONV1D,
    "Conv2D": CONV2D, "Convolution2D": CONV2D, "Conv2DTranspose": CONV2D,
    "Conv3D": CONV3D, "Convolution3D": CONV3D,
    "SeparableConv2D": SEPARABLE,
    "MaxPooling1D": POOL1D, "AveragePooling1D": POOL1D,
    "MaxPooling2D": POOL_ND, "AveragePooling2D": POOL_ND, "MaxPooling3D": POOL_ND, "AveragePooling3D": POOL_ND,
    "GlobalMaxPooling2D": DATA_FORMAT_ONLY, "GlobalAveragePooling2D": DATA_FORMAT_ONLY,
    "UpSampling1D": _renames(("length", "size")),
    "UpSampling2D": DATA_FORMAT_ONLY, "UpSampling3D": DATA_FORMAT_ONLY,
    "ZeroPadding2D": DATA_FORMAT_ONLY, "Cropping2D": DATA_FORMAT_ONLY,
    "BatchNormalization": BATCHNORM,
}

# Keras 2 optimizer classes, and the lowercase aliases Keras 2 also exported (gone in Keras 3
# and tf-keras: the fix renames them too).
OPTIMIZERS = ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "AdamW", "Ftrl")
OPTIMIZER_ALIASES: Dict[str, str] = {
    "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta",
    "adam": "Adam", "adamax": "Adamax", "nadam": "Nadam",
}

KEYWORDS: Dict[str, Dict[str, Kw]] = {
    **{f"keras.layers.{name}": table for name, table in _LAYERS.items()},
    **{f"keras.optimizers.{name}": OPTIMIZER for name in OPTIMIZERS},
    **{f"keras.optimizers.{alias}": OPTIMIZER for alias in OPTIMIZER_ALIASES},
    "keras.Model": MODEL,
    "keras.models.Model": MODEL,
    "keras.backend.expand_dims": _renames(("dim", "axis")),
    "keras.callbacks.ModelCheckpoint": {
        "period": Kw(None, "the default `save_freq='epoch'` saves every epoch", drop="literal", drop_values=(1,),
                     targets=KERAS3),
    },
}

# Callables gone on Keras 3 whose Keras 3 equivalent takes the same arguments (after the renames
# above): the fix for --target keras3 calls it instead.
KERAS3_MOVES: Dict[str, str] = {"keras.backend.expand_dims": "keras.ops.expand_dims"}

# Modules whose sub-modules Keras 1/2 code imported layers and optimizers from
# (``keras.layers.core.Dense``, ``keras.layers.recurrent.LSTM``): looked up by the last name.
FLAT_PACKAGES = ("keras.layers.", "keras.optimizers.")

_QUEUE = "Keras 3 has no `workers`/`use_multiprocessing`/`max_queue_size` (use a `PyDataset`)"
GENERATOR_QUEUE = {
    "workers": Kw(None, _QUEUE, safe=False, drop="always", targets=KERAS3),
    "use_multiprocessing": Kw(None, _QUEUE, safe=False, drop="always", targets=KERAS3),
    "max_queue_size": Kw(None, _QUEUE, safe=False, drop="always", targets=KERAS3),
}
# Keras 1 names of the generator arguments (Keras 2.0 renamed them).
KERAS1_GENERATOR = {
    "nb_epoch": Kw("epochs"),
    "nb_worker": Kw("workers"),
    "pickle_safe": Kw("use_multiprocessing"),
    "max_q_size": Kw("max_queue_size"),
    "samples_per_epoch": Kw(None, "use `steps_per_epoch=samples_per_epoch // batch_size`"),
    "nb_val_samples": Kw(None, "use `validation_steps=nb_val_samples // batch_size`"),
    "val_samples": Kw(None, "use `steps=val_samples // batch_size`"),
}

METHOD_KEYWORDS: Dict[str, Dict[str, Kw]] = {
    "fit": {"nb_epoch": Kw("epochs"), **GENERATOR_QUEUE},
    "evaluate": dict(GENERATOR_QUEUE),
    "predict": dict(GENERATOR_QUEUE),
}
# Keywords unique to Keras: matched on any receiver that is not known to be something else.
UNIQUE_KEYWORDS = frozenset({"nb_epoch"})


def lookup(canonical_callable: str) -> Optional[Dict[str, Kw]]:
    table = KEYWORDS.get(canonical_callable)
    if table is not None:
        return table
    for package in FLAT_PACKAGES:
        if canonical_callable.startswith(package) and not canonical_callable.startswith(("keras.optimizers.legacy.",
                                                                                         "keras.optimizers.schedules.")):
            return KEYWORDS.get(package + canonical_callable.rsplit(".", 1)[1])
    return None

# Keras 1's ``merge(inputs, mode=...)`` function became one function per mode (Keras 2.0). The
# fix applies when ``mode`` is a string literal found here; ``axis_keyword`` is the Keras 1
# keyword that carries over as ``axis``/``axes``.
@dataclass(frozen=True)
class MergeMode:
    function: str
    axis_keyword: Optional[Tuple[str, str]] = None  # (old, new)
    needs_axis: bool = False


MERGE_MODES: Dict[str, MergeMode] = {
    "concat": MergeMode("concatenate", ("concat_axis", "axis")),
    "sum": MergeMode("add"),
    "mul": MergeMode("multiply"),
    "ave": MergeMode("average"),
    "max": MergeMode("maximum"),
    "dot": MergeMode("dot", ("dot_axes", "axes"), needs_axis=True),
}
MERGE_FUNCTIONS = ("keras.layers.merge", "keras.engine.topology.merge", "keras.layers.core.merge")
MERGE_NOTE = "Keras 1's `merge(..., mode=...)` is gone: use `concatenate`, `add`, ... from `keras.layers`"
