"""Moved and removed Keras import paths (KL401, KL402).

Paths are canonical (``keras.``-rooted; ``tensorflow.keras.`` and ``tf_keras.`` spell the same
API): a fix keeps the root the user wrote. ``names`` maps each known public name of the old
module to its new home ``(module, name)`` or to ``None`` when it has no replacement. Names not
listed are reported without a fix: we only rewrite what was checked against the real library.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

NewHome = Optional[Tuple[str, str]]


@dataclass(frozen=True)
class MovedModule:
    old: str
    note: str
    names: Dict[str, NewHome] = field(default_factory=dict)
    #: The module that can stand in for the old one as a whole (``from keras.utils import
    #: np_utils`` -> ``from keras import utils as np_utils``), when every listed name moved there.
    module_alias: Optional[str] = None
    #: Still importable on tf-keras 2.21 (so only a finding when the code aims at Keras 3).
    alive_on_tf_keras: bool = False
    #: ``from <parent> import <last>`` may mean a removed Keras 1 function of the same name
    #: (``from keras.layers import merge``): no module alias then; the import goes once unused.
    keras1_function: Optional[str] = None


def _same(module: str, *names: str) -> Dict[str, NewHome]:
    return {n: (module, n) for n in names}


_CORE = ("Masking", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Activation",
         "Reshape", "Permute", "Flatten", "RepeatVector", "Lambda", "Dense", "ActivityRegularization")
_MERGE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
          "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot")
_PREPROCESSING = ("Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation",
                  "RandomZoom", "RandomContrast", "RandomCrop", "RandomTranslation", "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding",
                  "Hashing", "Discretization")
_ENGINE = {
    **_same("keras.layers", "Layer", "InputSpec", "Input", "InputLayer"),
    **_same("keras.models", "Model", "Sequential"),
    **_same("keras.utils", "get_source_inputs"),
}

MOVED_MODULES: Dict[str, MovedModule] = {m.old: m for m in (
    # Notes are checked against the wheels (keras 2.2.0-2.12.0 downloaded, keras 3.15.1 and tf-keras
    # 2.21.0 installed): keras.engine is in every Keras 2 wheel up to 2.12 (tf.keras's own source)
    # and in neither pinned stack; keras.engine.topology is in 2.4.3, not in 2.6.0.
    MovedModule("keras.engine", "a private module, not in Keras 3 or tf-keras; use keras.layers (Layer, InputSpec), "
                "keras.models.Model", _ENGINE),
    MovedModule("keras.engine.topology", "it last shipped in Keras 2.4; use keras.layers (Layer, InputSpec)",
                _ENGINE),
    MovedModule("keras.engine.base_layer", "a private module, not in Keras 3 or tf-keras; use keras.layers.Layer",
                _same("keras.layers", "Layer", "InputSpec")),
    MovedModule("keras.engine.training", "a private module, not in Keras 3 or tf-keras; use keras.models.Model",
                _same("keras.models", "Model")),
    MovedModule("keras.layers.core", "use keras.layers",
                _same("keras.layers", *_CORE), module_alias="keras.layers"),
    MovedModule("keras.layers.merge", "use keras.layers (Concatenate, Add, concatenate, ...)",
                _same("keras.layers", *_MERGE), module_alias="keras.layers",
                keras1_function="Keras 1's merge(..., mode=...) is gone: call concatenate, add, ... (KL403 "
                "rewrites the calls)"),
    MovedModule("keras.utils.np_utils", "use keras.utils",
                _same("keras.utils", "to_categorical", "normalize"), module_alias="keras.utils"),
    MovedModule("keras.utils.visualize_util", "use keras.utils.plot_model",
                {"plot": ("keras.utils", "plot_model"), "model_to_dot": ("keras.utils", "model_to_dot")}),
    MovedModule("keras.utils.generic_utils", "use keras.utils",
                _same("keras.utils", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
                      "serialize_keras_object", "deserialize_keras_object", "Progbar"),
                module_alias="keras.utils"),
    MovedModule("keras.layers.advanced_activations", "use keras.layers (Keras 3 has no ThresholdedReLU: "
                "ReLU(threshold=...))",
                {**_same("keras.layers", "LeakyReLU", "PReLU", "ELU", "Softmax", "ReLU"), "ThresholdedReLU": None}),
    MovedModule("keras.backend.tensorflow_backend", "TF 2 has no sessions; use "
                "tf.config.experimental.set_memory_growth (see `keras-lint rule KL402`)",
                {**_same("keras.backend", "clear_session"), "set_session": None, "get_session": None}),
    MovedModule("keras.legacy.interfaces", "drop the legacy_* decorators (they only converted Keras 1 "
                "argument names)",
                {}),
    MovedModule("keras.wrappers.scikit_learn", "use keras.wrappers.SKLearnClassifier/SKLearnRegressor "
                "(model=, not build_fn=) or scikeras", {"KerasClassifier": None, "KerasRegressor": None}),
    MovedModule("keras.layers.experimental.preprocessing", "use keras.layers (only tf-keras still has it)",
                _same("keras.layers", *_PREPROCESSING), module_alias="keras.layers", alive_on_tf_keras=True),
)}

# KL401: the private helper's public-looking name moved into each stack's private tree.
OBTAIN_INPUT_SHAPE_OLD = ("keras.applications.imagenet_utils", "keras_applications.imagenet_utils")
OBTAIN_INPUT_SHAPE = {
    "keras3": ("keras.src.applications.imagenet_utils", "obtain_input_shape"),
    "tf-keras": ("tf_keras.src.applications.imagenet_utils", "obtain_input_shape"),
}

# The roots a user may write the same Keras API under; a fix keeps the user's root.
KERAS_ROOTS = ("tensorflow.keras", "tf_keras", "keras")


# TensorFlow 2.21 still ships its old internal copy of Keras 2 as ``tensorflow.python.keras``, and
# these modules of it import fine (measured with importlib.util.find_spec; tests/test_precision.py
# keeps this list equal to the installed TensorFlow's): written that way, they are not "gone".
ALIVE_UNDER_TF_PYTHON = frozenset({
    "keras.engine", "keras.engine.base_layer", "keras.engine.training", "keras.layers.core",
    "keras.layers.merge", "keras.utils.np_utils", "keras.utils.generic_utils", "keras.layers.advanced_activations",
})


def find_moved(canonical_module: str, raw_module: str, target: str) -> Optional[MovedModule]:
    """The table entry for a module, unless that module still exists where the code runs."""
    entry = MOVED_MODULES.get(canonical_module)
    if entry is not None and entry.alive_on_tf_keras and (target == "tf-keras" or raw_module.startswith("tf_keras")):
        return None
    if entry is not None and raw_module.startswith("tensorflow.python.keras") and canonical_module in ALIVE_UNDER_TF_PYTHON:
        return None
    return entry
