"""``python -m keras_lint``. Python puts the current directory first on sys.path for ``-m``, so
a ``json.py`` (or ``libcst.py``, ...) in the linted project would be imported instead of the
real module and run. This package is already found by now; the rest must not come from there."""
import os
import sys

if sys.path and not sys.flags.safe_path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from keras_lint.cli import main  # noqa: E402 - after the sys.path fix, on purpose

sys.exit(main())
