"""Running the installed command-line tools as a user would."""
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def tool(name: str):
    exe = BIN / name
    if exe.exists():
        return [str(exe)]
    module = {"keras-lint": "keras_lint", "flake8": "flake8", "pre-commit": "pre_commit"}[name]
    return [sys.executable, "-m", module]


def run(name: str, *args, cwd=None, stdin: bytes = None, env=None):
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("TF_USE_LEGACY_KERAS", None)
    return subprocess.run(tool(name) + [str(a) for a in args], cwd=cwd, input=stdin, capture_output=True,
                          env=full_env, timeout=600)


def keras_lint(*args, **kw):
    return run("keras-lint", *args, **kw)
