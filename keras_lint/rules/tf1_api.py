"""KL405: TensorFlow 1 names that TF 2 keeps only under ``tf.compat.v1``."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..fixes import dotted_expr, module_of_import_from, split_import_from
from ..names import dotted_name
from ..rule import SAFE, Fix, Invalid, Rule
from ..tables.tf1_names import TF1_ONLY
from ._callfix import has_comment

#: a fix that would push a one-line statement past this many characters breaks the call instead
LINE_LIMIT = 100

PREFIX = "tensorflow."


class TF1Api(Rule):
    """
    ## What it does
    Finds TensorFlow 1 names that TF 2 removed from the `tensorflow` namespace and keeps only
    under `tf.compat.v1`: the session and graph API (`tf.Session`, `tf.ConfigProto`,
    `tf.GPUOptions`, `tf.get_default_graph`, `tf.placeholder`, `tf.global_variables_initializer`,
    `tf.get_variable`, `tf.GraphKeys`, ...), TF 1 ops that were renamed (`tf.assign`, `tf.to_float`,
    `tf.log`, `tf.random_normal`, `tf.Print`, ...) and TF 1 optimizers (`tf.train.AdamOptimizer`).
    Names are resolved through the file's imports: `tf.Session` where `tf` is `tensorflow`, and
    `from tensorflow import Session`. Not reported: `tf.compat.v1.Session` (already migrated),
    files that `import tensorflow.compat.v1 as tf`, code inside a `try:` that catches
    `ImportError`/`AttributeError` or an `if` that tests `__version__` or `hasattr(...)` (a
    compatibility shim). `K.tf.x` is KL404's; once that fix has run, this rule sees `tf.x`. The
    import of `keras.backend.tensorflow_backend` is KL402's.

    ## Why is this bad?
    On TF 2 these names raise `AttributeError: module 'tensorflow' has no attribute 'Session'`
    (TensorFlow's migration guide, https://www.tensorflow.org/guide/migrate, maps each to its
    TF 2 form). TF 2 runs eagerly: sessions, placeholders and graph collections are no longer
    needed.

    ## Example
    ```python
    import tensorflow as tf

    config = tf.ConfigProto()
    config.gpu_options.allow_growth = True
    sess = tf.Session(config=config)
    ```

    ## Use instead
    The TF 2 way:
    ```python
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    ```
    For the session configuration: `gpu_options.allow_growth` →
    `tf.config.experimental.set_memory_growth(gpu, True)`; a memory limit
    (`per_process_gpu_memory_fraction`) → `tf.config.set_logical_device_configuration(gpu,
    [tf.config.LogicalDeviceConfiguration(memory_limit=...)])`; `allow_soft_placement` →
    `tf.config.set_soft_device_placement(True)`.
    or, mechanically, `tf.compat.v1.ConfigProto()` and `tf.compat.v1.Session(config=config)`.

    ## Fix safety
    Safe: `tf.compat.v1.<name>` is the very same object TF 1 had at `tf.<name>`, so the fixed code
    behaves as before (it still uses the TF 1 API; the message names the TF 2 way, which needs a
    person). The alias your code uses is kept (`tf.` → `tf.compat.v1.`); `from tensorflow import
    Session` becomes `from tensorflow.compat.v1 import Session`. When the longer name would push a
    one-line statement past 100 characters, the call it names is broken as black breaks it (the
    arguments on their own line); nothing else is reformatted. A name reached through another
    binding (`from tensorflow import train`; `train.AdamOptimizer`) is reported without a fix.

    ## References
    - https://www.tensorflow.org/guide/migrate (TensorFlow's "Migrate to TF2" guide)
    - https://www.tensorflow.org/guide/migrate/upgrade (`tf_upgrade_v2` and its rename tables)
    - https://www.tensorflow.org/api_docs/python/tf/compat/v1
    - fixtures/KL405/ in this repository: the failing program and its fix, run by
      `keras-lint verify KL405`.
    """

    code = "KL405"
    name = "tf1-only-api"
    message = "`{used}` is `tf.compat.v1.{name}` in TF 2 (AttributeError); {guidance}"
    fix_safety = SAFE
    triggers = ("tensorflow",)

    @classmethod
    def gate(cls, facts, target) -> bool:
        return any(r.startswith(PREFIX) and r[len(PREFIX):] in TF1_ONLY for r in facts.census.refs)

    VALID = [
        "import tensorflow as tf\nsess = tf.compat.v1.Session()\n",
        "import tensorflow.compat.v1 as tf\nsess = tf.Session()\n",
        "from tensorflow.compat.v1 import Session\nsess = Session()\n",
        "import tensorflow as tf\nx = tf.reduce_sum(y)\nv = tf.Variable(1.0)\n",
        "import tensorflow as tf\ngpus = tf.config.list_physical_devices('GPU')\n",
        # not TensorFlow
        "import tensorflow\nimport mylib as tf\ns = tf.Session()\n",
        "import tensorflow as tf\nclass A:\n    Session = 1\nA.Session\n",
        # compatibility shims
        "import tensorflow as tf\ntry:\n    sess = tf.Session()\nexcept AttributeError:\n    sess = None\n",
        "import tensorflow as tf\nif tf.__version__.startswith('1.'):\n    config = tf.ConfigProto()\n",
        "import tensorflow as tf\nif hasattr(tf, 'ConfigProto'):\n    config = tf.ConfigProto()\n",
    ]
    INVALID = [
        Invalid("import tensorflow as tf\nsess = tf.Session(config=tf.ConfigProto(gpu_options=tf.GPUOptions("
                "per_process_gpu_memory_fraction=0.333)))\n", count=3, line=2,
                fixed="import tensorflow as tf\nsess = tf.compat.v1.Session(config=tf.compat.v1.ConfigProto("
                      "gpu_options=tf.compat.v1.GPUOptions(per_process_gpu_memory_fraction=0.333)))\n"),
        Invalid("import tensorflow as tf\nwith tf.Session() as sess:\n    sess.run(tf.global_variables_initializer())\n",
                count=2, fixed="import tensorflow as tf\nwith tf.compat.v1.Session() as sess:\n"
                               "    sess.run(tf.compat.v1.global_variables_initializer())\n"),
        Invalid("import tensorflow\ngraph = tensorflow.get_default_graph()\n",
                fixed="import tensorflow\ngraph = tensorflow.compat.v1.get_default_graph()\n"),
        Invalid("import tensorflow as tf\nopt = tf.train.AdamOptimizer(0.001)\n",
                fixed="import tensorflow as tf\nopt = tf.compat.v1.train.AdamOptimizer(0.001)\n"),
        Invalid("import tensorflow as tf\ntf.add_to_collection(tf.GraphKeys.UPDATE_OPS, op)\n", count=2,
                fixed="import tensorflow as tf\ntf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, op)\n"),
        Invalid("from tensorflow import ConfigProto, Session\n",
                fixed="from tensorflow.compat.v1 import ConfigProto, Session\n"),
        Invalid("from tensorflow import train\nopt = train.AdamOptimizer(0.1)\n", line=2),
        # the longer name would push the line past 100 characters: the call is broken as black does
        Invalid("import tensorflow as tf\ndef f(loss, h, obj):\n"
                "    loss = tf.Print(loss, [h, obj, h, obj], message='avg_obj ttttttttttttttttt', summarize=1000)\n",
                line=3,
                fixed="import tensorflow as tf\ndef f(loss, h, obj):\n    loss = tf.compat.v1.Print(\n"
                      "        loss, [h, obj, h, obj], message='avg_obj ttttttttttttttttt', summarize=1000\n    )\n"),
        Invalid("import tensorflow as tf\nclass A:\n    def f(self):\n"
                "        x = tf.placeholder(tf.float32, shape=(None, 224, 224, 3), name='input_images_batch_00')\n",
                line=4,
                fixed="import tensorflow as tf\nclass A:\n    def f(self):\n        x = tf.compat.v1.placeholder(\n"
                      "            tf.float32, shape=(None, 224, 224, 3), name='input_images_batch_00'\n        )\n"),
    ]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        raw = self.ctx.raw_qualname(node)
        if raw is None or not raw.startswith(PREFIX):
            return
        name = raw[len(PREFIX):]
        guidance = TF1_ONLY.get(name)
        if guidance is None or self._guarded():
            return
        used = dotted_name(node) or name
        root, _, rest = used.partition(".")
        fix = None
        if self.ctx.imports.bindings.get(root) == "tensorflow":
            new = dotted_expr(f"{root}.compat.v1.{rest}")
            fix = self._wrapped_call(node, new) or Fix(SAFE, {node: new})
        self.report(node, self.message.format(used=used, name=name, guidance=guidance), fix)

    def _wrapped_call(self, node: cst.Attribute, new: cst.BaseExpression) -> Optional[Fix]:
        """When ``tf.x`` -> ``tf.compat.v1.x`` would push a one-line statement past
        ``LINE_LIMIT``, the call it names is broken as black breaks it: the arguments on their
        own line. Nothing else is reformatted."""
        call = self.ctx.parent()
        line = None
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, cst.SimpleStatementLine):
                line = anc
                break
        if not (isinstance(call, cst.Call) and call.func is node and call.args and line is not None):
            return None
        code = cst.Module([]).code_for_node
        text = code(line.with_changes(leading_lines=())).rstrip("\n")
        if "\n" in text:
            return None  # already spread over lines: leave its layout alone
        indent = sum(len(b.indent if b.indent is not None else self.ctx.module.default_indent)
                     for b in self.ctx.stack if isinstance(b, cst.IndentedBlock))
        grown = indent + len(text) + len(code(new)) - len(code(node))
        if indent + len(text) > LINE_LIMIT or grown <= LINE_LIMIT:
            return None
        if any(has_comment(a) for a in call.args):
            return None
        # the arguments go on their own line, 4 further in (on top of the block's own indentation,
        # indent=True); that line is always shorter than the original one, so it fits
        args = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in call.args[:-1]]
        args.append(call.args[-1].with_changes(
            comma=cst.MaybeSentinel.DEFAULT,
            whitespace_after_arg=cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))))
        wrapped = call.with_changes(
            func=new, args=args,
            whitespace_before_args=cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace("    ")))
        return Fix(SAFE, {call: wrapped})

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if module_of_import_from(node) != "tensorflow" or isinstance(node.names, cst.ImportStar):
            return
        if self._guarded():
            return
        names = [a.evaluated_name for a in node.names if a.evaluated_name in TF1_ONLY]
        if not names:
            return
        target, replacement = split_import_from(node, self.ctx.parent(), {n: ("tensorflow.compat.v1", n) for n in names})
        guidance = TF1_ONLY[names[0]]  # the first name's; `keras-lint rule KL405` has the rest
        used = ", ".join(f"tensorflow.{n}" for n in names)
        self.report(node, self.message.format(used=used, name=names[0] if len(names) == 1 else "*", guidance=guidance),
                    Fix(SAFE, {target: replacement}))

    def _guarded(self) -> bool:
        if self.ctx.in_import_guard():
            return True
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (cst.If, cst.IfExp)):
                text = self.ctx.module.code_for_node(anc.test)
                if "__version__" in text or "hasattr(" in text:
                    return True
        return False
