"""The child process of the harness: imports one stack once, then runs fixture programs.

Usage (the parent does this): ``python -m keras_lint.harness._child STACK JOBS.json``. Every
program runs through ``runpy.run_path`` in a fresh namespace and temp working directory; its
stdout is captured. Events go out as JSON lines on the original stdout (fd 1 is pointed at
stderr, so nothing TensorFlow writes at the C level can garble them). The child only reports
what happened; the parent decides what that proves.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import shutil
import sys
import tempfile
import time
import traceback

MAX_STDOUT = 20_000


def _emit(out, **event) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def _import_stack(stack: str) -> dict:
    import tensorflow as tf

    if stack == "keras3":
        import keras

        return {"tensorflow": tf.__version__, "keras": keras.__version__}
    import tf_keras  # Keras 3 is not imported here: a fixture that wants it imports it (~1 s saved)

    if not tf.keras.__name__.startswith("tf_keras"):  # fixtures written with tf.keras would run on Keras 3
        raise RuntimeError(f"tf.keras is {tf.keras.__name__}, not tf_keras: TF_USE_LEGACY_KERAS was not honoured")
    return {"tensorflow": tf.__version__, "tf_keras": tf_keras.__version__}


class _GlobalState:
    """Keras settings a fixture may change that ``clear_session`` does not reset."""

    def __init__(self) -> None:
        self.saved = []
        for name in ("keras", "tf_keras"):
            mod = sys.modules.get(name)
            if mod is None:
                continue
            be = mod.backend
            self.saved.append((be.set_floatx, be.floatx()))
            self.saved.append((be.set_image_data_format, be.image_data_format()))
            self.saved.append((be.set_epsilon, be.epsilon()))

    def restore(self) -> None:
        for name in ("keras", "tf_keras"):
            mod = sys.modules.get(name)
            if mod is not None:
                mod.backend.clear_session()
        for setter, value in self.saved:
            setter(value)
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            tf.config.run_functions_eagerly(False)


def _raised_at(exc: BaseException, path: str):
    """The last line of the program itself that the exception passed through."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if os.path.abspath(frame.f_code.co_filename) == path:
            line = lineno
    return line


def run_notebook(path: str) -> None:
    """A notebook without a kernel: its code cells, in order, in one ``__main__`` namespace, as
    keras-lint reads them (IPython magics and shell escapes skipped, not run). A cell that does
    not compile raises its SyntaxError, as Jupyter would show it."""
    from keras_lint.notebooks import read

    with open(path, "rb") as fh:
        notebook = read(fh.read(), path)
    namespace = {"__name__": "__main__", "__file__": path}
    for cell in notebook.cells:
        if cell.error is not None:
            raise SyntaxError(f"cell {cell.number}: {cell.error.message}")
        if cell.code:
            exec(compile(cell.code, path, "exec"), namespace)  # noqa: S102 - running the fixture is the point


def run_program(path: str, base: str) -> dict:
    path = os.path.abspath(path)
    workdir = tempfile.mkdtemp(prefix="run-", dir=base)  # inside the parent's temp dir: gone even if we are killed
    old_cwd, old_argv, old_path = os.getcwd(), sys.argv, list(sys.path)
    captured = io.StringIO()
    result = {"outcome": "completed"}
    start = time.perf_counter()
    try:
        os.chdir(workdir)  # programs that save files write them here, not into the repository
        sys.argv = [path]
        sys.path.insert(0, os.path.dirname(path))  # as `python path` would
        with contextlib.redirect_stdout(captured):
            if path.endswith(".ipynb"):
                run_notebook(path)
            else:
                runpy.run_path(path, run_name="__main__")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a program's failure is the data we report
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            pass  # sys.exit(0) is a normal end
        else:
            result = {
                "outcome": "raised",
                "exc_mro": [c.__name__ for c in type(exc).__mro__],
                "exc_qualnames": [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__],
                "exc_msg": str(exc)[:MAX_STDOUT],
                "line": _raised_at(exc, path),
            }
    finally:
        os.chdir(old_cwd)
        sys.argv, sys.path[:] = old_argv, old_path
        shutil.rmtree(workdir, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - start, 3)
    result["stdout"] = captured.getvalue()[-MAX_STDOUT:]
    return result


def main(argv) -> int:
    stack, jobs_file = argv
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        versions = _import_stack(stack)
    except Exception as exc:  # noqa: BLE001 - reported as one line by the parent
        _emit(out, event="fatal", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
        return 2
    _emit(out, event="ready", versions=versions)
    with open(jobs_file, encoding="utf-8") as fh:
        jobs = json.load(fh)
    base = os.getcwd()
    for job in jobs:
        state = _GlobalState()
        _emit(out, event="start", id=job["id"])
        result = run_program(job["path"], base)
        try:
            state.restore()
        except Exception as exc:  # noqa: BLE001
            result["cleanup_error"] = f"{type(exc).__name__}: {exc}"
        _emit(out, event="done", id=job["id"], **result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
