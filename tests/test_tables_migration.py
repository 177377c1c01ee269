"""The migration tables (KL403, KL404, KL405) checked against the real libraries on the pinned
stacks: every new keyword is accepted, every old one is refused (or, where the table says so,
silently ignored), every TF 1 name lives only under ``tf.compat.v1``. Each stack runs in one
subprocess (TensorFlow is imported once per stack)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from keras_lint.rules.removed_methods import GENERATOR_METHODS
from keras_lint.tables.keywords import KERAS3_MOVES, KEYWORDS, MERGE_MODES, METHOD_KEYWORDS, OPTIMIZER_ALIASES
from keras_lint.tables.tf1_names import TF1_ONLY

tf_missing = importlib.util.find_spec("tensorflow") is None
needs_tf = pytest.mark.skipif(tf_missing and not os.environ.get("CI"),
                              reason="TensorFlow not installed (keras-lint[harness])")

# Values for the required arguments of the callables in the table, by parameter name.
SAMPLES = {"units": 2, "filters": 2, "kernel_size": 3, "rate": 0.5, "stddev": 0.1, "input_dim": 5,
           "output_dim": 3, "size": 2, "filepath": "w.keras", "pool_size": 2, "cell": None}

CHECK = r'''
import inspect, json, os, sys, warnings
stack, data = sys.argv[1], json.loads(sys.argv[2])
if stack == "tf-keras":
    import tf_keras as keras
else:
    import keras
import numpy as np
import tensorflow as tf
problems = []

def resolve(path):
    obj = keras
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj

def params(obj):
    fn = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}

def required(obj):
    out = {}
    for name, p in params(obj).items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        out[name] = data["samples"].get(name, 1)
    return out

def call(obj, kwargs):
    if obj.__name__ == "expand_dims":
        return obj(np.zeros((2, 3), "float32"), **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj(**{**required(obj), **kwargs})
    return caught

for path, table in data["keywords"].items():
    if stack == "keras3" and path in data["moves"]:
        path = data["moves"][path]  # gone on Keras 3; the fix calls its replacement
    try:
        obj = resolve(path)
    except AttributeError:
        if path.rsplit(".", 1)[1] not in data["aliases"]:
            problems.append(f"{path}: does not exist on {stack}")
        continue
    names = params(obj)
    for old, (new, targets, deprecated_on) in table.items():
        if new is not None and new not in names:
            if path.endswith("Model"):  # Model(*args, **kwargs): build one for real
                i = keras.Input((2,))
                try:
                    obj(inputs=i, outputs=keras.layers.Dense(1)(i))
                except Exception as exc:
                    problems.append(f"{path}({new}=) refused: {exc}")
            else:
                problems.append(f"{path}: new keyword {new!r} (for {old!r}) not in the signature on {stack}")
        if stack not in targets or stack in deprecated_on or path in data["moves"].values():
            continue  # deprecated_on: still accepted there (tf-keras logs a deprecation warning)
        try:
            caught = call(obj, {old: 1})
        except Exception:
            continue  # refused, as the table says
        if old == "decay" and any("decay" in str(w.message) for w in caught):
            continue  # Keras 3 ignores it with a warning: the table's note says so
        problems.append(f"{path}({old}=) is still accepted on {stack}")

fit_like = {m: params(getattr(keras.Model, m)) for m in ("fit", "evaluate", "predict")}
for method, table in data["methods"].items():
    for old, (new, targets) in table.items():
        if new is not None and new not in fit_like[method]:
            problems.append(f"Model.{method}: new keyword {new!r} missing on {stack}")
        if new is None and stack in targets and old in fit_like[method]:
            problems.append(f"Model.{method}({old}=) still accepted on {stack}")
for old, (new, names) in data["generators"].items():
    if stack == "keras3" and hasattr(keras.Model, old):
        problems.append(f"Model.{old} still exists on {stack}")
    for name in ["x", *names]:
        if name not in fit_like[new]:
            problems.append(f"Model.{new} has no {name!r} on {stack}")
for mode, (function, axis) in data["merge"].items():
    fn = getattr(keras.layers, function, None)
    if fn is None or (axis and axis not in params(fn)):
        problems.append(f"keras.layers.{function}({axis}=) missing on {stack}")
for alias, cls in data["aliases"].items():
    if hasattr(keras.optimizers, alias) or not hasattr(keras.optimizers, cls):
        problems.append(f"optimizer alias {alias} -> {cls} wrong on {stack}")
sched = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
if abs(float(sched(2)) - 0.1 / (1 + 0.5 * 2)) > 1e-6:
    problems.append("InverseTimeDecay is not lr / (1 + decay * step)")
if stack == "tf-keras":
    for name in ("get_session", "set_session"):
        if not hasattr(tf.compat.v1.keras.backend, name):
            problems.append(f"tf.compat.v1.keras.backend.{name} missing on tf-keras")
for name in data["tf1"]:
    obj_v1, obj_v2 = tf.compat.v1, tf
    for part in name.split("."):
        obj_v1 = getattr(obj_v1, part, None)
        obj_v2 = getattr(obj_v2, part, None)
    if obj_v1 is None:
        problems.append(f"tf.compat.v1.{name} does not exist")
    if obj_v2 is not None:
        problems.append(f"tf.{name} still exists")
print(json.dumps(problems))
'''


def _data():
    return {
        "keywords": {path: {old: [kw.new, list(kw.targets), list(kw.deprecated_on)] for old, kw in table.items()}
                     for path, table in KEYWORDS.items()},
        "methods": {m: {old: [kw.new, list(kw.targets)] for old, kw in t.items()} for m, t in METHOD_KEYWORDS.items()},
        "generators": {old: [new, list(names)] for old, (new, names) in GENERATOR_METHODS.items()},
        "merge": {mode: [e.function, e.axis_keyword[1] if e.axis_keyword else None] for mode, e in MERGE_MODES.items()},
        "aliases": OPTIMIZER_ALIASES,
        "samples": SAMPLES,
        "tf1": sorted(TF1_ONLY),
        "moves": KERAS3_MOVES,
    }


@needs_tf
@pytest.mark.parametrize("stack", ["keras3", "tf-keras"])
def test_migration_tables_match_the_pinned_stack(stack, tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if stack == "tf-keras":
        env["TF_USE_LEGACY_KERAS"] = "1"
    out = subprocess.run([sys.executable, "-c", CHECK, stack, json.dumps(_data())], capture_output=True,
                         env=env, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    problems = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert problems == []


def test_tables_are_well_formed():
    for path, table in KEYWORDS.items():
        assert path.startswith("keras."), path
        for old, kw in table.items():
            assert kw.new != old
            assert kw.drop in ("never", "literal", "always")
            assert kw.drop == "never" or kw.new is None
            assert kw.new is not None or kw.note, f"{path}({old}=): a removed keyword needs guidance"
    for name, guidance in TF1_ONLY.items():
        assert guidance and not name.startswith("compat"), name
