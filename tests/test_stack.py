"""Per-file stack detection: a file written against tf_keras is judged against tf-keras."""
import libcst as cst
import pytest

from keras_lint.analysis.stack import file_target


@pytest.mark.parametrize("source", [
    "import tf_keras\n",
    "import tf_keras as keras\n",
    "from tf_keras import layers\n",
    "from tf_keras.layers import Dense\n",
    "try:\n    from tf_keras import layers\nexcept ImportError:\n    from keras import layers\n",
    "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nimport tensorflow as tf\n",
    "import os\nos.environ.setdefault('TF_USE_LEGACY_KERAS', '1')\n",
    "if True:\n    import tf_keras\n",
])
def test_tf_keras_files(source):
    assert file_target(cst.parse_module(source), "keras3") == "tf-keras"


@pytest.mark.parametrize("source", [
    "import keras\n",
    "import tensorflow as tf\nm = tf.keras.Sequential()\n",
    "from tensorflow import keras\n",
    "import my_tf_keras\n",  # look-alike module name
    "from mypkg import tf_keras\n",  # a project module named tf_keras
    "def f():\n    import tf_keras\n",  # a local import inside a function does not decide the file
    "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '0'\n",
    "x = 'TF_USE_LEGACY_KERAS is documented here'\n",  # a string, not an assignment to the environment
])
def test_keras3_files(source):
    assert file_target(cst.parse_module(source), "keras3") == "keras3"


def test_run_target_tf_keras_wins():
    assert file_target(cst.parse_module("import keras\n"), "tf-keras") == "tf-keras"
