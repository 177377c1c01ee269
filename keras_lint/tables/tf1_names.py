"""TensorFlow 1 names that TF 2 keeps only under ``tf.compat.v1`` (KL405).

Keys are paths relative to the ``tensorflow`` module (``"Session"``, ``"train.AdamOptimizer"``);
values are the TF 2 way, shown in the message next to the mechanical ``tf.compat.v1`` fix (an
empty string: no TF 2 equivalent worth naming). ``tests/test_tables_migration.py`` checks on the
pinned TensorFlow that every key exists under ``tf.compat.v1`` and not under ``tf``.
"""
from __future__ import annotations

from typing import Dict

_SESSION = "TF 2 runs eagerly: call the ops or a `tf.function` directly"
# the full mapping (allow_growth, memory limit, soft placement) is in KL405's docs
_CONFIG = "in TF 2 configure devices with `tf.config` (e.g. `set_memory_growth`)"
_GRAPH = "TF 2 has no global default graph; build graphs with `tf.function`"
_PLACEHOLDER = "TF 2 has no placeholders: pass tensors to a `tf.function` (or `keras.Input`)"
_INIT = "TF 2 initialises variables when they are created: drop it"
_VARS = "TF 2 has no variable collections: use `model.trainable_variables`"
_SCOPE = "TF 2 has no variable scopes: create `tf.Variable`s in a layer or `tf.Module`"
_COLLECTION = "TF 2 has no graph collections: keep the objects in Python"
_ASSIGN = "in TF 2 call the method on the variable: `v.{method}(value)`"
_SCATTER = "in TF 2 call `v.{method}(tf.IndexedSlices(updates, indices))`"
_OPTIMIZER = "in TF 2 use `keras.optimizers.{name}(learning_rate=...)`"

TF1_ONLY: Dict[str, str] = {
    # sessions and their configuration
    "Session": _SESSION,
    "InteractiveSession": _SESSION,
    "get_default_session": _SESSION,
    "ConfigProto": _CONFIG,
    "GPUOptions": _CONFIG,
    "GraphOptions": _CONFIG,
    "OptimizerOptions": _CONFIG,
    "RunOptions": "TF 2 has no session run options; use `tf.profiler` for tracing",
    "RunMetadata": "TF 2 has no session run metadata; use `tf.profiler` for tracing",
    # graphs, placeholders, variable bookkeeping
    "get_default_graph": _GRAPH,
    "reset_default_graph": "in TF 2 use `keras.backend.clear_session()` to reset Keras state",
    "placeholder": _PLACEHOLDER,
    "placeholder_with_default": _PLACEHOLDER,
    "sparse_placeholder": _PLACEHOLDER,
    "global_variables_initializer": _INIT,
    "local_variables_initializer": _INIT,
    "variables_initializer": _INIT,
    "initialize_all_variables": _INIT,
    "tables_initializer": "TF 2 initialises lookup tables when they are created",
    "global_variables": _VARS,
    "local_variables": _VARS,
    "trainable_variables": _VARS,
    "get_variable": _SCOPE,
    "get_local_variable": _SCOPE,
    "variable_scope": _SCOPE,
    "get_variable_scope": _SCOPE,
    "AUTO_REUSE": _SCOPE,
    "get_collection": _COLLECTION,
    "get_collection_ref": _COLLECTION,
    "add_to_collection": _COLLECTION,
    "GraphKeys": _COLLECTION,
    "disable_eager_execution": "TF 2 code should not switch eager execution off; remove it",
    "enable_eager_execution": "TF 2 is eager by default; remove the call",
    "disable_v2_behavior": "port the code to TF 2 instead of switching TF 2 behaviour off",
    # variable updates
    "assign": _ASSIGN.format(method="assign"),
    "assign_add": _ASSIGN.format(method="assign_add"),
    "assign_sub": _ASSIGN.format(method="assign_sub"),
    "scatter_update": _SCATTER.format(method="scatter_update"),
    "scatter_add": _SCATTER.format(method="scatter_add"),
    "scatter_sub": _SCATTER.format(method="scatter_sub"),
    "scatter_mul": _SCATTER.format(method="scatter_mul"),
    # ops renamed in TF 2
    "Print": "in TF 2 use `tf.print(...)` (it prints directly, returns no tensor)",
    "to_float": "in TF 2 use `tf.cast(x, tf.float32)`",
    "to_double": "in TF 2 use `tf.cast(x, tf.float64)`",
    "to_int32": "in TF 2 use `tf.cast(x, tf.int32)`",
    "to_int64": "in TF 2 use `tf.cast(x, tf.int64)`",
    "log": "in TF 2 use `tf.math.log`",
    "log_sigmoid": "in TF 2 use `tf.math.log_sigmoid`",
    "div": "in TF 2 use `tf.math.divide` (or `tf.math.floordiv` for integers)",
    "floordiv": "in TF 2 use `tf.math.floordiv`",
    "count_nonzero": "in TF 2 use `tf.math.count_nonzero`",
    "squared_difference": "in TF 2 use `tf.math.squared_difference`",
    "matrix_band_part": "in TF 2 use `tf.linalg.band_part`",
    "depth_to_space": "in TF 2 use `tf.nn.depth_to_space`",
    "space_to_depth": "in TF 2 use `tf.nn.space_to_depth`",
    "random_normal": "in TF 2 use `tf.random.normal`",
    "truncated_normal": "in TF 2 use `tf.random.truncated_normal`",
    "random_uniform": "in TF 2 use `tf.random.uniform`",
    "set_random_seed": "in TF 2 use `tf.random.set_seed`",
    "batch_gather": "in TF 2 use `tf.gather(params, indices, batch_dims=1)`",
    "sparse_to_dense": "in TF 2 use `tf.sparse.to_dense(tf.sparse.SparseTensor(...))`",
    "py_func": "in TF 2 use `tf.numpy_function` (or `tf.py_function`)",
    "Dimension": "TF 2 shapes hold plain ints (or None)",
    # modules that moved
    "logging": "in TF 2 use Python's `logging` (or `absl.logging`)",
    "gfile": "in TF 2 use `tf.io.gfile`",
    "app": "in TF 2 use `absl.app`",
    "flags": "in TF 2 use `absl.flags`",
    # nested names
    "train.AdamOptimizer": _OPTIMIZER.format(name="Adam"),
    "train.AdagradOptimizer": _OPTIMIZER.format(name="Adagrad"),
    "train.GradientDescentOptimizer": _OPTIMIZER.format(name="SGD"),
    "train.MomentumOptimizer": "in TF 2 use `keras.optimizers.SGD(learning_rate=..., momentum=...)`",
    "train.RMSPropOptimizer": _OPTIMIZER.format(name="RMSprop"),
    "train.Saver": "in TF 2 use `tf.train.Checkpoint` (or `model.save_weights`)",
    "train.get_or_create_global_step": "in TF 2 use the optimizer's `iterations` counter",
    "train.get_global_step": "in TF 2 use the optimizer's `iterations` counter",
    "train.exponential_decay": "in TF 2 use `keras.optimizers.schedules.ExponentialDecay`",
    "summary.FileWriter": "in TF 2 use `tf.summary.create_file_writer`",
    "summary.merge_all": "TF 2 writes summaries eagerly inside `writer.as_default()`",
    "image.resize_images": "in TF 2 use `tf.image.resize`",
    "image.resize_bilinear": "in TF 2 use `tf.image.resize(images, size, method='bilinear')`",
    "nn.softmax_cross_entropy_with_logits_v2": "in TF 2 use `tf.nn.softmax_cross_entropy_with_logits`",
}
