"""The project model (keras_lint/analysis/project.py) on multi-file fixture projects.

tests/projects/detector: a YOLO-style project whose Keras comes through ``mypkg/backend.py``
(re-exporting ``tensorflow.keras`` layers/models and ``tensorflow`` as ``functional``), helpers in
another module, custom layers in a third, the Input created in ``train.py``, and a Model Garden
style subclass. Look-alikes that must stay quiet: ``other/backend.py`` (a project backend.py that
re-exports nothing from Keras), ``common.scale`` (a parameter only ever given numpy arrays), a
class deriving from a project class named ``Layer`` that is not Keras's.

tests/projects/trainer: receivers across modules (KL202 on a helper's parameter, KL404 on a model
built by a project function) with a non-Keras look-alike of each.

tests/projects/matcher: KL601 across modules. ``data.py`` builds ground-truth boxes with
``tf.boolean_mask`` and hands them to ``losses.py``, whose argmax over them is reported (directly,
and through ``train.py``, a pass-through function and a ``tf.function``). Look-alikes that must stay quiet: a callee
only ever given a constant, a parameter never given a data-derived value, callees that guard or
pad, a value rebound by a pad before the call, and ``tools/data.py``, named like the data module,
whose boxes are a fixed constant.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keras_lint.analysis import project
from keras_lint.analysis.summary import summarize
from keras_lint.engine import Settings, lint_source
from keras_lint.registry import all_rules

from util import keras_lint, run

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"

DETECTOR_FINDINGS = {
    ("mypkg/common.py", 6, "KL101"),  # leaky_relu returned, fed to a Conv2D by the next convolutional()
    ("mypkg/common.py", 10, "KL101"),  # image.resize returned, fed to a Conv2D in nets/yolo.py
    ("mypkg/garden.py", 9, "KL101"),  # relu6 before super().__init__(inputs=..., outputs=...)
    ("mypkg/nets/yolo.py", 10, "KL101"),  # functional.concat: tf.concat through the backend
    ("mypkg/nets/yolo.py", 12, "KL101"),  # reduce_max into ClipBoxes, a project layer of a project layer
    ("train.py", 8, "KL404"),  # make_model (another module) returns a Keras model
}
TRAINER_FINDINGS = {("metrics.py", 5, "KL202"), ("train.py", 15, "KL404")}
MATCHER_FINDINGS = {
    ("losses.py", 15, "KL601"),  # assign_targets(gt_boxes, ...), given data.load_boxes()'s boxes in data.py
    ("losses.py", 44, "KL601"),  # match(), given them by forward(), given them by train.step()
    ("losses.py", 48, "KL601"),  # match_in_step(), given them by train.train_step(), a tf.function
}


@pytest.fixture
def copy_of(tmp_path):
    def make(name):
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest, ignore=shutil.ignore_patterns(".keras_lint_cache", "__pycache__"))
        return dest
    return make


def _findings(root, *args):
    r = keras_lint("--output-format", "json", "--exit-zero", *args, ".", cwd=root)
    assert r.returncode == 0, r.stderr.decode()
    return {(d["path"].replace(os.sep, "/"), d["line"], d["code"]) for d in json.loads(r.stdout)}, json.loads(r.stdout)


def test_detector_findings_across_modules(copy_of):
    root = copy_of("detector")
    found, _ = _findings(root, "--no-cache")
    assert found == DETECTOR_FINDINGS


def test_trainer_receivers_across_modules(copy_of):
    root = copy_of("trainer")
    found, _ = _findings(root, "--no-cache")
    assert found == TRAINER_FINDINGS


def _lint_alone(path: Path, project_on: bool):
    settings = Settings(list(all_rules().values()), "keras3", project=project_on)
    return {(d.line, d.code) for d in lint_source(path.read_bytes(), str(path), settings).diagnostics}


def test_the_project_model_is_what_finds_them(copy_of):
    """Each file seen alone (no project model) has none of the cross-module findings."""
    root = copy_of("detector")
    for rel in ("mypkg/common.py", "mypkg/nets/yolo.py", "train.py"):
        with_model = _lint_alone(root / rel, True)
        alone = _lint_alone(root / rel, False)
        assert with_model == {(line, code) for p, line, code in DETECTOR_FINDINGS if p == rel}
        assert alone == set(), rel


def test_message_and_sarif_name_the_consumer(copy_of):
    root = copy_of("detector")
    _, diags = _findings(root, "--no-cache")
    by_place = {(d["path"].replace(os.sep, "/"), d["line"]): d["message"] for d in diags}
    assert "fed to `ClipBoxes`" in by_place[("mypkg/nets/yolo.py", 12)]
    assert "`yolo_body` (mypkg/nets/yolo.py:6), which feeds it to `layers.Conv2D`" in by_place[("mypkg/common.py", 10)]
    r = keras_lint("--output-format", "sarif", "--no-cache", ".", cwd=root)
    results = json.loads(r.stdout)["runs"][0]["results"]
    related = {(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                res["locations"][0]["physicalLocation"]["region"]["startLine"]):
               res.get("relatedLocations") for res in results}
    rel = related[("mypkg/common.py", 10)][0]["physicalLocation"]
    assert rel["artifactLocation"]["uri"] == "mypkg/nets/yolo.py" and rel["region"]["startLine"] == 6
    same_file = related[("mypkg/nets/yolo.py", 10)][0]["physicalLocation"]  # the Conv2D call on line 11
    assert same_file["artifactLocation"]["uri"] == "mypkg/nets/yolo.py" and same_file["region"]["startLine"] == 11
    assert related[("train.py", 8)] is None


def test_matcher_kl601_across_modules(copy_of):
    root = copy_of("matcher")
    found, diags = _findings(root, "--no-cache")
    assert found == MATCHER_FINDINGS
    for d in diags:
        assert "(tf.boolean_mask in `data:load_boxes`, data.py:7)" in d["message"]
    # each file alone: the argmax's operand is a parameter, so nothing
    assert _lint_alone(root / "losses.py", False) == set()
    assert _lint_alone(root / "losses.py", True) == {(line, code) for _, line, code in MATCHER_FINDINGS}
    r = keras_lint("--output-format", "sarif", "--no-cache", "--select", "KL601", ".", cwd=root)
    for res in json.loads(r.stdout)["runs"][0]["results"]:
        rel = res["relatedLocations"][0]
        assert rel["physicalLocation"]["artifactLocation"]["uri"] == "data.py"
        assert rel["physicalLocation"]["region"]["startLine"] == 7
        assert rel["message"]["text"] == "`load_boxes` builds the data-derived tensor (tf.boolean_mask)"


def test_matcher_cache_follows_edits_of_the_data_module(copy_of):
    """Warm runs read the data-derived facts back from the caches; when data.py stops building
    boxes that can be empty, losses.py's findings go (the results cache keys them by the facts)."""
    root = copy_of("matcher")
    cold, _ = _findings(root, "--no-cache")
    warm1, _ = _findings(root)
    warm2, _ = _findings(root)
    assert cold == warm1 == warm2 == MATCHER_FINDINGS
    data = root / "data.py"
    data.write_text(data.read_text().replace("tf.boolean_mask(annotations, tf.equal(annotations[:, 0], image_id))",
                                             "tf.reshape(annotations, [-1, 5])"))
    after, _ = _findings(root)
    assert after == set() == set(_findings(root, "--no-cache")[0])


def test_a_file_that_crashes_libcst_does_not_end_the_project_pass(tmp_path):
    """The data-derived pass parses a few files with LibCST, whose native parser overflows a
    normal C stack (SIGSEGV) on some code that ``ast`` takes, such as this 7,500-term ``and``: it
    runs in the linting helper (large stack, crash-proof), so the file's facts are found and the
    run goes on, on the command line and through flake8."""
    crash = ("import tensorflow as tf\nimport losses\ndef f(t, m):\n    return losses.k(tf.boolean_mask(t, m))\n"
             "x = " + " and ".join(["a"] * 7500) + "\n")
    root = _write(tmp_path, {"losses.py": "import tensorflow as tf\ndef g(b):\n    return tf.argmax(b, axis=0)\n"
                                          "def k(b):\n    return tf.argmax(b, axis=0)\n",
                             "data.py": "import tensorflow as tf\nimport losses\n"
                                        "def h(t, m):\n    return losses.g(tf.boolean_mask(t, m))\n",
                             "crash.py": crash})
    r = keras_lint("--no-cache", "--select", "KL601", ".", cwd=root)
    out = r.stdout.decode() + r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in out, out
    assert "losses.py:3:12: KL601" in out and "`data:h`" in out, out
    assert "losses.py:5:12: KL601" in out and "`crash:f`" in out, out
    r = run("flake8", "--select", "KL", "losses.py", cwd=root)
    assert [ln.split(":")[1] for ln in r.stdout.decode().splitlines()] == ["3", "5"], r.stdout.decode() + r.stderr.decode()


def _pid_and_nested_pid():
    from keras_lint import isolation

    return os.getpid(), isolation.run(os.getpid)


@pytest.mark.skipif(not __import__("keras_lint.isolation").isolation.ENABLED, reason="no fork here")
def test_isolation_run_inside_the_helper_runs_there():
    """A model built inside the helper (a file linted before any model existed) summarises there:
    a nested ``isolation.run`` must run in place, not wait forever on the lock copied at the fork."""
    from keras_lint import isolation

    helper_pid, nested_pid = isolation.run(_pid_and_nested_pid)
    assert helper_pid == nested_pid != os.getpid()


def test_flake8_on_one_file_sees_the_project(copy_of):
    """flake8 and pre-commit hand over one file: the project model is built from its root."""
    root = copy_of("detector")
    r = run("flake8", "--select", "KL", "mypkg/common.py", cwd=root)
    lines = r.stdout.decode().splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["6", "10"], r.stdout.decode() + r.stderr.decode()
    r = keras_lint("nets/yolo.py", cwd=root / "mypkg")  # from a subdirectory: the root is found
    assert r.stdout.decode().count("KL101") == 2


def test_cache_follows_edits_in_other_files(copy_of):
    """The results cache keys a file's findings by what the project says about it too: editing
    train.py so that no symbolic tensor reaches the helpers clears common.py's findings."""
    root = copy_of("detector")
    cold, _ = _findings(root, "--no-cache")
    warm1, _ = _findings(root)
    warm2, _ = _findings(root)
    assert cold == warm1 == warm2
    train = root / "train.py"
    train.write_text(train.read_text().replace("inputs = layers.Input((32, 32, 3))",
                                               "import numpy as np\ninputs = np.zeros((1, 32, 32, 3))"))
    after, _ = _findings(root)
    assert ("mypkg/common.py", 6, "KL101") not in after
    assert after == {("mypkg/garden.py", 9, "KL101"), ("train.py", 9, "KL404")}
    assert after == set(_findings(root, "--no-cache")[0])


def test_summaries_are_cached_and_no_cache_writes_nothing(copy_of):
    root = copy_of("detector")
    _findings(root, "--no-cache")
    assert not (root / ".keras_lint_cache").exists()
    _findings(root)
    assert list((root / ".keras_lint_cache").rglob("*.summaries"))


def _write(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


NET = ("import tensorflow as tf\nfrom backend import keras\n"
       "x = keras.Input((4,))\ny = keras.layers.Dense(2)(tf.nn.relu(x))\n")


def test_a_backend_re_exporting_tf_keras_makes_its_importers_tf_keras(tmp_path):
    legacy = _write(tmp_path / "legacy", {"backend.py": "import tf_keras as keras\n", "net.py": NET})
    modern = _write(tmp_path / "modern", {"backend.py": "import keras\n", "net.py": NET})
    assert "KL101" not in keras_lint("--no-cache", ".", cwd=legacy).stdout.decode()
    assert "net.py:4:27: KL101" in keras_lint("--no-cache", ".", cwd=modern).stdout.decode()


def test_a_file_that_names_no_library_is_linted_through_its_backend(tmp_path):
    """``train.py`` in the detector never says keras or tensorflow; a file that imports only a
    project module that re-exports nothing from Keras is still skipped unparsed."""
    root = _write(tmp_path, {"backend.py": "import tensorflow as tf\n", "other.py": "def f():\n    return 1\n",
                             "a.py": "from backend import tf\nx = tf.Session()\n",
                             "b.py": "from other import f\nx = f.Session()\n"})
    out = keras_lint("--no-cache", "--select", "KL405", ".", cwd=root).stdout.decode()
    assert "a.py:2" in out and "b.py" not in out


# -- the model itself -------------------------------------------------------------------------------

def _model(tmp_path, files):
    return project.build(str(_write(tmp_path, files)), use_cache=False)


def test_resolution_through_re_exports_stars_and_aliases(tmp_path):
    m = _model(tmp_path, {
        "pkg/__init__.py": "from .backend import *\n",
        "pkg/backend.py": "from tensorflow import keras\nimport tensorflow as tf\nK = keras.backend\n",
        "pkg/shim.py": "from keras.ops import *\nfrom pkg.tfops import *\n",
        "pkg/tfops.py": "from tensorflow import concat as concatenate\nfrom tensorflow import reshape\n",
        "pkg/only_tf.py": "from tensorflow.math import *\n",
        "pkg/user.py": "from pkg import only_tf, shim\n",
    })
    assert m.resolve_dotted("pkg.keras.layers.Dense", "x") == ("x", "tensorflow.keras.layers.Dense")
    assert m.resolve_dotted("pkg.backend.K.mean", "x") == ("x", "tensorflow.keras.backend.mean")
    # alternatives of an import shim disagree (keras.ops vs tf.concat): unknown, not a raw op
    assert m.resolve_dotted("pkg.shim.concatenate", "x") is None
    assert m.resolve_dotted("pkg.only_tf.reduce_max", "x") == ("x", "tensorflow.math.reduce_max")
    assert m.resolve_dotted("pkg.only_tf.len", "x") is None  # a builtin is never a star's name


def test_class_kinds_follow_bases_across_modules(tmp_path):
    m = _model(tmp_path, {
        "a.py": "from tensorflow import keras\nclass Base(keras.layers.Layer):\n    def get_config(self):\n        return {}\n",
        "b.py": "from a import Base\nclass Mid(Base):\n    pass\nclass NotKeras(object):\n    pass\n",
        "c.py": "import b\nclass Leaf(b.Mid):\n    pass\nclass Plain(b.NotKeras):\n    pass\n",
    })
    assert m.class_kind("c", "Leaf") == "layer"
    assert m.class_kind("c", "Plain") is None
    view = project.ModuleView(m, "c")
    methods, keras_bases = view.class_chain(view.ref("Leaf"))
    assert "get_config" in methods and keras_bases == ["keras.layers.Layer"]


def test_cycles_and_bad_files_do_not_break_the_model(tmp_path):
    m = _model(tmp_path, {
        "a.py": "from b import *\nimport keras\n",
        "b.py": "from a import *\nfrom a import thing\n",
        "broken.py": "import keras\ndef (:\n",
        "deep.py": "from ....... import keras\nimport a\n",
    })
    assert m.resolve_dotted("b.nothing", "x") is None
    assert m.resolve_dotted("b.keras", "x") == ("x", "keras")
    assert "broken" not in m.modules
    assert m.resolve_dotted("deep.keras", "x") is None


def test_parameters_and_returns_are_solved_to_a_fixed_point(tmp_path):
    m = _model(tmp_path, {
        "nets/blocks.py": "import keras\ndef conv(x):\n    return keras.layers.Conv2D(2, 3)(x)\n"
                          "def stack(x, n):\n    for _ in range(n):\n        x = conv(x)\n    return x\n",
        "build.py": "import keras\nfrom nets import blocks\ndef model():\n    i = keras.Input((8, 8, 3))\n"
                    "    return keras.Model(i, blocks.stack(i, 2))\n",
        "data.py": "import numpy as np\nfrom nets.blocks import conv\nconv(np.zeros(3))\n",
    })
    assert m.facts[("nets.blocks", "stack")].sym == {"x"}
    assert m.facts[("nets.blocks", "conv")].sym == {"x"}
    assert m.facts[("nets.blocks", "conv")].ret == "S"
    assert m.facts[("build", "model")].ret == "M"
    assert m.facts[("nets.blocks", "stack")].ret_sunk


def test_data_derived_facts_follow_keywords_chains_and_returns(tmp_path):
    m = _model(tmp_path, {
        "data.py": ("import tensorflow as tf\nimport numpy as np\nfrom ops import where\nimport losses as L\n"
                    "def boxes(t, m):\n    return tf.boolean_mask(t, m)\n"
                    "def feed(t, m, a):\n    gt = tf.where(m)\n    L.one(a, gt=gt)\n"
                    "    L.three(a, boxes(t, m))\n"
                    "    L.four(np.where(m))\n"  # numpy's where: not KL601's
                    "    L.five(where(m))\n"  # a project function that happens to be called where
                    "    L.six(tf.where(m, t, 0.0))\n"  # three-argument tf.where keeps the shape
                    "@tf.function\ndef step(t, m):\n    L.seven(boxes(t, m))\n"
                    "    for L in range(2):\n        L.eight(boxes(t, m))\n"),  # a local L: not the module
        "ops.py": "import tensorflow as tf\ndef where(m):\n    return tf.ones([3, 4])\n",
        "losses.py": ("import tensorflow as tf\n"
                      "def one(anchors, gt):\n    two(gt)\n    x = tf.pad(gt, [[0, 1], [0, 0]])\n    two_b(x)\n"
                      "def two(g):\n    return g\ndef two_b(g):\n    pass\n"
                      "def three(a, g):\n    pass\ndef four(g):\n    pass\ndef five(g):\n    pass\n"
                      "def six(g):\n    pass\ndef seven(g):\n    pass\ndef eight(g):\n    pass\n"),
    })
    fact = lambda mod, fn: m.facts[(mod, fn)]  # noqa: E731
    assert fact("data", "boxes").ret_dd == [[0], None, "tf.boolean_mask", "data.py", "boxes"]
    assert fact("losses", "one").dd == {"gt": [[0], 2, "tf.where(cond)", "data.py", "feed"]}
    assert fact("losses", "one").dd["gt"] == fact("losses", "two").dd["g"]  # passed on unchanged
    assert fact("losses", "two").ret_dd == fact("losses", "two").dd["g"]
    assert fact("losses", "two_b").dd == {}  # padded first
    assert set(fact("losses", "three").dd) == {"g"} and fact("losses", "three").dd["g"][4] == "boxes"
    assert fact("losses", "four").dd == fact("losses", "five").dd == fact("losses", "six").dd == {}
    assert fact("ops", "where").ret_dd is None
    assert fact("losses", "seven").dd["g"][4] == "boxes"  # from a tf.function: data-derived facts only
    assert fact("losses", "eight").dd == {}


def test_data_facts_are_recorded_only_where_data_is_built():
    src = b"import tensorflow as tf\nimport losses\ndef f(t, m):\n    losses.g(tf.boolean_mask(t, m))\n"
    assert summarize(src, "m", False)["dd"] == {"c": {"f": [["losses.g", 0, [0], None, "tf.boolean_mask"]]}, "r": {}}
    # no source op: LibCST is not run and there is nothing to record
    assert "dd" not in summarize(b"import tensorflow as tf\nimport losses\nlosses.g(tf.ones([2]))\n", "m", False)
    # a source op whose result goes to a library call only
    assert "dd" not in summarize(b"import tensorflow as tf\nx = tf.reduce_sum(tf.where(m))\n", "m", False)


def test_summary_is_plain_json(tmp_path):
    summ = summarize(b"import keras\nfrom . import x\nclass A(keras.layers.Layer):\n    def call(self, t):\n"
                     b"        return t\n", "pkg.mod", False)
    assert json.loads(json.dumps(summ)) == summ
    assert summ["imports"] == {"keras": "keras", "x": "pkg.x"}
    assert summarize(b"def (:\n", "m", False) is None


BUILD_CHECK = """
from mypkg.backend import layers
from mypkg.nets.yolo import make_model
from mypkg.garden import Backbone
for name, build in (("yolo", lambda: make_model(layers.Input((32, 32, 3)), 3)), ("garden", Backbone)):
    try:
        build()
        print(name, "builds")
    except ValueError as exc:
        print(name, "fails:", str(exc).splitlines()[0])
"""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow (pip install -e '.[test]')")
def test_detector_builds_on_keras3_after_the_fix(copy_of):
    """On the real stack (TF 2.21, Keras 3): the project's models fail to build as KL101 says, and
    build after ``--fix --unsafe-fixes`` (cross-module findings fixed in their own files)."""
    root = copy_of("detector")
    (root / "check.py").write_text(BUILD_CHECK)

    def check():
        env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        r = subprocess.run([sys.executable, "check.py"], cwd=root, capture_output=True, env=env, timeout=600)
        return r.stdout.decode().splitlines()

    before = check()
    assert [line.split(":")[0] for line in before] == ["yolo fails", "garden fails"]
    assert all("A KerasTensor cannot be used as input to a TensorFlow function" in line for line in before)
    r = keras_lint("--fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert "0 problems remaining" in r.stdout.decode() + r.stderr.decode()
    assert check() == ["yolo builds", "garden builds"]


MATCHER_CHECK = """\
import tensorflow as tf

import data
import train

ann = tf.constant([[1.0, 0.0, 0.0, 1.0, 1.0], [1.0, 0.2, 0.2, 0.6, 0.6]])  # image 1 has two boxes, image 2 none
anchors = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
scores = tf.constant([0.1, 0.9, 0.3])


def outcome(name, fn):
    try:
        fn()
        print(name, "runs")
    except tf.errors.InvalidArgumentError as exc:
        print(name, "empty" if "Reduction axis 0 is empty in shape [0,3]" in exc.message else exc.message)


outcome("make_targets 1", lambda: data.make_targets(ann, 1.0, anchors))
outcome("make_targets 2", lambda: data.make_targets(ann, 2.0, anchors))
outcome("make_targets 2 tf.function", lambda: tf.function(data.make_targets)(ann, 2.0, anchors))
outcome("step 2", lambda: train.step(ann, 2.0, anchors))
outcome("train_step 2", lambda: train.train_step(ann, 2.0, anchors))
outcome("score_targets 2", lambda: data.score_targets(ann, 2.0, anchors, scores))
outcome("score_targets 2 tf.function", lambda: tf.function(data.score_targets)(ann, 2.0, anchors, scores))
outcome("constant_targets", lambda: data.constant_targets(anchors))
"""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow (pip install -e '.[test]')")
def test_matcher_findings_fail_on_the_stack_and_the_look_alikes_run(copy_of):
    """On TF 2.21: the three KL601 findings of the matcher project raise for an image without boxes
    (eagerly and in tf.function); the guarded, padded and constant look-alikes run."""
    root = copy_of("matcher")
    (root / "check.py").write_text(MATCHER_CHECK)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run([sys.executable, "check.py"], cwd=root, capture_output=True, env=env, timeout=600)
    assert r.stdout.decode().splitlines() == [
        "make_targets 1 runs", "make_targets 2 empty", "make_targets 2 tf.function empty", "step 2 empty",
        "train_step 2 empty",
        "score_targets 2 runs", "score_targets 2 tf.function runs", "constant_targets runs",
    ], r.stderr.decode()[-2000:]
