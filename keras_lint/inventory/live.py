"""Ask the live, installed libraries whether names exist: the ground truth the inventory is tested
against, and the API-truth benchmark's independent check.

    echo '[["keras.backend.mean", false], ["tensorflow.compat.v1.keras", true]]' | \\
        python -m keras_lint.inventory.live

reads ``[name, imported]`` pairs as JSON on stdin and prints a JSON list of booleans: ``imported``
names must be importable modules (``import name``), the others reachable by attribute access from
their root package (a submodule not yet imported counts, as ``from a import b`` finds it). Run it
in a fresh process: which Keras ``tf.keras`` is depends on ``TF_USE_LEGACY_KERAS`` at first use.
"""
from __future__ import annotations

import importlib
import json
import sys


def exists(path: str, imported: bool) -> bool:
    parts = path.split(".")
    if imported:
        try:
            importlib.import_module(path)
            return True
        except Exception:  # noqa: BLE001 - any failure: `import path` does not work
            return False
    try:
        obj = importlib.import_module(parts[0])
    except Exception:  # noqa: BLE001
        return False
    for part in parts[1:]:
        try:
            obj = getattr(obj, part)
        except Exception:  # noqa: BLE001 - AttributeError, or a lazy loader that fails
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except Exception:  # noqa: BLE001
                return False
    return True


def main() -> int:
    names = json.load(sys.stdin)
    print(json.dumps([exists(name, bool(imported)) for name, imported in names]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
