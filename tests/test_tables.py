"""Every replacement in the import table exists on the pinned stacks (imports them for real)."""
import importlib
import os
import subprocess
import sys

import pytest

from keras_lint.fixes import reroot
from keras_lint.tables.imports import MOVED_MODULES, OBTAIN_INPUT_SHAPE

tf_missing = importlib.util.find_spec("tensorflow") is None


def _targets():
    for entry in MOVED_MODULES.values():
        for old_name, home in entry.names.items():
            if home is not None:
                yield home
        if entry.module_alias:
            yield entry.module_alias.rsplit(".", 1)
    yield from OBTAIN_INPUT_SHAPE.values()


CHECK = r"""
import importlib, json, sys
missing = []
for module, name in json.loads(sys.argv[1]):
    try:
        if not hasattr(importlib.import_module(module), name):
            missing.append(f"{module}.{name}")
    except ImportError as exc:
        missing.append(f"{module}.{name} ({exc})")
print(json.dumps(missing))
"""


@pytest.mark.skipif(tf_missing and not os.environ.get("CI"), reason="TensorFlow not installed (keras-lint[harness])")
@pytest.mark.parametrize("root,stack", [("keras", "keras3"), ("tensorflow.keras", "keras3"), ("tf_keras", "tf-keras")])
def test_every_replacement_exists(root, stack):
    import json

    pairs = sorted({(reroot(m, root), n) for m, n in _targets()
                    if not (m.startswith("keras.src.") and stack != "keras3")
                    and not (m.startswith("tf_keras.") and stack != "tf-keras")})
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", CHECK, json.dumps(pairs)], capture_output=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    assert json.loads(out.stdout.decode().strip().splitlines()[-1]) == []


@pytest.mark.skipif(tf_missing and not os.environ.get("CI"), reason="TensorFlow not installed (keras-lint[harness])")
def test_old_paths_are_really_gone():
    modules = sorted(MOVED_MODULES)
    code = ("import importlib, json, sys\nalive=[]\nfor m in json.loads(sys.argv[1]):\n"
            "    try:\n        importlib.import_module(m); alive.append(m)\n    except ImportError:\n        pass\n"
            "print(json.dumps(alive))")
    import json

    out = subprocess.run([sys.executable, "-c", code, json.dumps(modules)], capture_output=True, timeout=300,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert json.loads(out.stdout.decode().strip().splitlines()[-1]) == []
