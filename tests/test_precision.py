"""Issue 13 (precision and fix quality on real code) and issue 17 items 9-10 (fixes that rebind a
name or lose a comment): the classes of mistake, each with look-alikes that must stay quiet."""
import importlib.util
import inspect
import textwrap

import pytest

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules

RULES = all_rules()


def run(codes, src, path="t.py", target="keras3", unsafe=False):
    settings = Settings([RULES[c] for c in codes], target=target, unsafe_fixes=unsafe)
    source = textwrap.dedent(src).encode()
    return lint_source(source, path, settings), fix_source(source, path, settings)


def fixed_text(codes, src, **kw):
    _, fixed = run(codes, src, **kw)
    assert fixed.error is None, fixed.error
    return None if fixed.fixed_source is None else fixed.fixed_source.decode()


# -- false positives ------------------------------------------------------------------------------

def test_kl501_host_side_input_code_is_skipped_by_path():
    src = "import tensorflow as tf\nidx = tf.where(mask)\n"
    for path in ("models/official/detection/dataloader/parser.py", "keras_hub/gemma3_causal_lm_preprocessor.py",
                 "src/tokenizers/byte_pair_tokenizer.py", "tools/checkpoint_conversion/convert.py"):
        lint, _ = run(["KL501"], src, path=path)
        assert lint.diagnostics == [], path
    # look-alikes: device code keeps its finding
    for path in ("keras_retinanet/losses.py", "layers/filter_detections.py", "data_utils_model.py"):
        lint, _ = run(["KL501"], src, path=path)
        assert [d.code for d in lint.diagnostics] == ["KL501"], path


def test_dtype_positions_match_the_real_signatures():
    """The dtype oracle reads ``dtype`` by position: the positions must be TensorFlow's."""
    import tensorflow as tf

    from keras_lint.analysis.dtypes import _DEFAULT_FLOAT, _DEFAULT_INT

    for qualname, pos in _DEFAULT_FLOAT.items():
        func = _resolve(tf, qualname)
        if func is None:
            continue  # a TF 1 name (tf.random_uniform): only under tf.compat.v1
        assert list(inspect.signature(func).parameters).index("dtype") == pos, qualname
    for qualname, (pos, keyword) in _DEFAULT_INT.items():
        func = _resolve(tf, qualname)
        if func is not None:
            assert list(inspect.signature(func).parameters).index(keyword) == pos, qualname


def _resolve(tf, qualname):
    obj = tf
    for part in qualname.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def test_kl301_object_values_seen_only_outside_other_layers():
    src = """
        import keras
        import numpy as np
        class Scale(keras.layers.Layer):
            def __init__(self, scales, **kwargs):
                super().__init__(**kwargs)
                self.scales = scales
        class Block(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.scale = Scale(np.ones(3))
        def head(x):
            return Scale([1.0, 2.0])(x)
    """
    lint, _ = run(["KL301"], src)
    assert lint.diagnostics == []
    lint, _ = run(["KL301"], src + "        y = Scale(np.ones(3))(x)\n")
    assert [d.line for d in lint.diagnostics] == [4]
    assert "np.ones(3)" in lint.diagnostics[0].message


def test_kl302_judged_per_file_stack():
    src = """
        import {mod} as keras
        class Scale(keras.layers.Layer):
            def __init__(self, units):
                super().__init__()
                self.units = units
    """
    lint, _ = run(["KL302"], src.format(mod="keras"))
    assert len(lint.diagnostics) == 1 and "'trainable'" in lint.diagnostics[0].message
    lint, _ = run(["KL302"], src.format(mod="tf_keras"))  # judged against tf-keras: clones fine
    assert lint.diagnostics == []


def test_tf_keras_files_get_tf_keras_messages():
    src = """
        import tf_keras as keras
        model = keras.Model(inp, out)
        model.add_loss(keras.backend.mean(out))
        model.add_metric(keras.backend.mean(out), name='m')
        y = keras.layers.Dense(1)(keras.backend.mean(inp))
        opt = keras.optimizers.Adam(lr=1e-3)
    """
    lint, _ = run(["KL101", "KL201", "KL202", "KL403"], src)
    by_code = {d.code: d.message for d in lint.diagnostics}
    assert "KL101" not in by_code  # tf-keras wraps the op itself
    assert "Keras 3" not in by_code["KL201"] and "TPU" in by_code["KL201"]
    assert "Keras 3" not in by_code["KL202"] and "TPU" in by_code["KL202"]
    assert "silently ignores" in by_code["KL403"]


# -- fixes ---------------------------------------------------------------------------------------

def test_safe_renames_are_not_held_back_by_an_unsafe_kernel_rewrite():
    src = """
        from keras.layers import Convolution2D
        c = Convolution2D(64, 3, 3, init='he_normal', border_mode='same', bias=False)
    """
    lint, fixed = run(["KL403"], src)
    assert sorted(d.fix_safety for d in lint.diagnostics) == ["safe", "unsafe"]
    assert fixed.fixed_source.decode().splitlines()[-1] == (
        "c = Convolution2D(64, 3, 3, kernel_initializer='he_normal', padding='same', use_bias=False)")
    remaining = [d for d in fixed.diagnostics if not d.fix_applied]
    assert [d.fix_safety for d in remaining] == ["unsafe"]  # the kernel is still reported
    assert fixed_text(["KL403"], src, unsafe=True).splitlines()[-1] == (
        "c = Convolution2D(64, (3, 3), kernel_initializer='he_normal', padding='same', use_bias=False)")


def test_fit_generator_rename_is_not_held_back_by_dropping_workers():
    src = """
        import keras
        m = keras.Sequential()
        m.fit_generator(gen(), epochs=2, workers=4, use_multiprocessing=True)
    """
    lint, fixed = run(["KL403", "KL404"], src)
    assert sorted(d.fix_safety for d in lint.diagnostics) == ["safe", "unsafe"]
    assert "m.fit(gen(), epochs=2, workers=4, use_multiprocessing=True)" in fixed.fixed_source.decode()
    assert [(d.code, d.fix_safety) for d in fixed.diagnostics if not d.fix_applied] == [("KL403", "unsafe")]
    assert "m.fit(gen(), epochs=2)\n" in fixed_text(["KL403", "KL404"], src, unsafe=True)


def test_keras2_conv_keeps_its_kernel_finding_until_fixed_together():
    # Conv2D(n, 3, 3) is Keras 1 only by its keywords: the renames must not go on their own
    src = "from keras.layers import Conv2D\nc = Conv2D(8, 3, 3, border_mode='same')\n"
    lint, fixed = run(["KL403"], src)
    assert [d.fix_safety for d in lint.diagnostics] == ["unsafe"]
    assert fixed.fixed_source is None


def test_imported_optimizer_alias_is_fixed_like_the_attribute_form():
    src = """
        from keras.optimizers import rmsprop
        opt = rmsprop(lr=0.001)
    """
    out = fixed_text(["KL402", "KL403"], src)
    assert out == "\nfrom keras.optimizers import RMSprop\nopt = RMSprop(learning_rate=0.001)\n"
    lint, _ = run(["KL402", "KL403"], out)
    assert lint.diagnostics == []
    # the class name means something else in the file: another alias
    src2 = "from keras.optimizers import rmsprop\nopt = rmsprop(lr=0.001)\ndef RMSprop():\n    pass\n"
    assert "from keras.optimizers import RMSprop as KerasRMSprop" in fixed_text(["KL403"], src2)


def test_fixes_pick_free_names():
    src = """
        from keras.layers import merge
        def f(concatenate):
            return concatenate
        y = merge([a, b], mode='concat', concat_axis=1)
    """
    out = fixed_text(["KL403"], src)
    assert "y = keras_concatenate([a, b], axis=1)" in out
    assert "import concatenate as keras_concatenate" in out
    src = """
        from keras.optimizers import SGD
        InverseTimeDecay = None
        opt = SGD(lr=0.1, decay=1e-6)
    """
    out = fixed_text(["KL403"], src, unsafe=True)
    assert "KerasInverseTimeDecay(0.1, decay_steps=1, decay_rate=1e-6)" in out
    # `keras` bound to tf.keras: adding `import keras` would rebind it, so no fix
    src = "from tensorflow import keras\nfrom keras import backend as K\ny = K.expand_dims(x, dim=-1)\n"
    lint, fixed = run(["KL403"], src)
    assert len(lint.diagnostics) == 1 and lint.diagnostics[0].fix_safety is None
    assert fixed.fixed_source is None


def test_keyword_fixes_keep_comments():
    src = """
        from keras.optimizers import Adam
        opt = Adam(lr=1e-3,  # learning rate
                   decay=0.0)
    """
    out = fixed_text(["KL403"], src)
    assert "Adam(learning_rate=1e-3,  # learning rate\n" in out
    # the dropped argument's own comment moves to the argument before it
    src = """
        from keras.optimizers import Adam
        opt = Adam(
            lr=1e-3,
            decay=0.0,  # no decay
        )
    """
    out = fixed_text(["KL403"], src)
    assert "learning_rate=1e-3,  # no decay" in out and "decay=0.0" not in out
    # both carry a comment: one would be lost, so no fix at all
    src = """
        from keras.optimizers import Adam
        opt = Adam(
            lr=1e-3,  # learning rate
            decay=0.0,  # no decay
        )
    """
    assert fixed_text(["KL403"], src) is None


def test_import_split_keeps_comments_in_parentheses():
    src = """
        from tensorflow import (ConfigProto,  # gpu options
                                constant,  # stays
                                Session)
    """
    out = fixed_text(["KL405"], src)
    for comment in ("# gpu options", "# stays"):
        assert comment in out
    assert "from tensorflow.compat.v1 import (ConfigProto,  # gpu options" in out
    compile(out, "t.py", "exec")
    src = """
        from keras.advanced import x
        from keras.layers.advanced_activations import (  # activations
            LeakyReLU,  # leaky
            ThresholdedReLU,
        )
    """
    out = fixed_text(["KL402"], src)
    for comment in ("# activations", "# leaky"):
        assert comment in out
    compile(out, "t.py", "exec")


# -- messages ------------------------------------------------------------------------------------

MINE = [code for code in RULES if code not in ("KL101", "KL102")]  # model_building.py is owned elsewhere


@pytest.mark.parametrize("code", MINE)
def test_first_lines_are_short(code):
    rule = RULES[code]
    for example in rule.INVALID:
        lint = lint_source(example.source.encode(), "t.py", Settings([rule], target=example.target))
        for d in lint.diagnostics:
            # ~120 characters of our own words; names quoted from the user's code come on top
            assert len(d.message) <= 170, d.message



def test_kl402_removed_modules_are_gone_from_both_pinned_stacks():
    """What KL402's notes claim about the pinned stacks, checked against the installed wheels."""
    from keras_lint.tables.imports import ALIVE_UNDER_TF_PYTHON, MOVED_MODULES

    def exists(name):
        try:
            return importlib.util.find_spec(name) is not None
        except ImportError:
            return False

    for old, entry in MOVED_MODULES.items():
        assert not exists(old), old
        assert exists("tf_keras" + old[len("keras"):]) == entry.alive_on_tf_keras, old
        assert exists("tensorflow.python." + old) == (old in ALIVE_UNDER_TF_PYTHON), old
