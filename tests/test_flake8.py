"""The flake8 plugin runs the same engine and reports the same findings as the CLI."""
import json
import re
from pathlib import Path

import pytest

from keras_lint.registry import all_rules
from util import keras_lint, run

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (
    "from keras.layers.core import Dense  # noqa: KL402\n"
    "from keras.utils.np_utils import to_categorical\n"
    "from keras.applications.imagenet_utils import _obtain_input_shape\n"
)


def _fixture_files():
    return sorted(p for p in (ROOT / "fixtures").glob("KL*/*.py"))


def _flake8_findings(files, cwd, *flags, isolated=True):
    f8 = run("flake8", *flags, "--format", "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s",
             *(["--isolated"] if isolated else []), *files, cwd=cwd)
    got = []
    for line in f8.stdout.decode().splitlines():
        path, row, col, code, text = line.split("\t")
        if code.startswith("KL"):
            got.append((path, int(row), int(col), code, text[len(code) + 1:] if text.startswith(code) else text))
    return sorted(got)


def _cli_findings(files, cwd, *flags):
    cli = keras_lint(*files, "--output-format", "json", "--exit-zero", *flags, cwd=cwd)
    return sorted((d["path"], d["line"], d["column"], d["code"], d["message"]) for d in json.loads(cli.stdout))


@pytest.mark.parametrize("cli_flags,flake8_flags", [
    ((), ()),  # defaults: opt-in rules off in both
    # naming the opt-in rules turns them on in both (a bare KL only turns the plugin on in flake8)
    (("--extend-select", "KL102,KL502"), ("--select", "KL,KL102,KL502")),
])
def test_same_findings_as_cli(tmp_path, cli_flags, flake8_flags):
    (tmp_path / "sample.py").write_text(SAMPLE)
    files = [str(p) for p in _fixture_files()] + [str(tmp_path / "sample.py")]
    expected = _cli_findings(files, tmp_path, *cli_flags)
    got = _flake8_findings(files, tmp_path, *flake8_flags)
    assert got == expected
    assert any(code == "KL401" for _, _, _, code, _ in got)
    opt_in = {c for c, r in all_rules().items() if not r.default_enabled}
    assert bool(opt_in & {code for _, _, _, code, _ in got}) == bool(cli_flags)


def test_noqa_and_select(tmp_path):
    (tmp_path / "sample.py").write_text(SAMPLE)
    out = run("flake8", "--select", "KL402", "--isolated", "sample.py", cwd=tmp_path).stdout.decode()
    assert re.findall(r"sample.py:(\d+):\d+: (KL\d+)", out) == [("2", "KL402")]


def test_opt_in_rules_are_default_ignored():
    from keras_lint.flake8_plugin import KerasLintChecker

    class Parser:
        ignored = []

        def add_option(self, *a, **kw):
            pass

        def extend_default_ignore(self, codes):
            self.ignored.extend(codes)

    parser = Parser()
    KerasLintChecker.add_options(parser)
    assert sorted(parser.ignored) == sorted(c for c, r in all_rules().items() if not r.default_enabled)


def test_target_option_from_config(tmp_path):
    (tmp_path / "sample.py").write_text("from keras.applications.imagenet_utils import _obtain_input_shape\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nkeras-lint-target = tf-keras\nselect = KL\n")
    out = run("flake8", "sample.py", cwd=tmp_path).stdout.decode()
    assert "tf_keras.src.applications.imagenet_utils" in out
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = KL\n")
    out = run("flake8", "sample.py", cwd=tmp_path).stdout.decode()
    assert "`keras.src.applications.imagenet_utils.obtain_input_shape`" in out


def test_plugin_reads_the_keras_lint_configuration(tmp_path):
    """One source of truth: `flake8` and `keras-lint` agree on files configured by [tool.keras-lint]
    (ignore, per-file-ignores, exclude, target), in nested projects too."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.keras-lint]\nignore = ["KL403"]\ntarget = "tf-keras"\nexclude = ["gen"]\n'
        'per-file-ignores = { "tests/*.py" = ["KL402"] }\n')
    code = ("from keras.layers.core import Dense\nfrom keras.optimizers import SGD\nopt = SGD(lr=0.1)\n"
            "from keras.applications.imagenet_utils import _obtain_input_shape\n")
    for rel in ("m.py", "tests/t.py", "gen/g.py", "sub/s.py"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(code)
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.keras-lint]\n")  # defaults: KL403 on, keras3
    files = ["m.py", "tests/t.py", "gen/g.py", "sub/s.py"]
    cli = _cli_findings(["."], tmp_path)
    f8 = [(p[2:] if p.startswith("./") else p, *rest) for p, *rest in _flake8_findings(["."], tmp_path, isolated=False)]
    assert sorted(f8) == cli
    by_file = {p: sorted(c for q, _, _, c, _ in cli if q == p) for p in files}
    assert by_file["m.py"] == ["KL401", "KL402"] and by_file["tests/t.py"] == ["KL401"]
    assert by_file["gen/g.py"] == [] and "KL403" in by_file["sub/s.py"]
    assert any("tf_keras" in m for p, _, _, c, m in f8 if p == "m.py" and c == "KL401")  # the file's target
    # flake8's own options win where given
    f8 = _flake8_findings(["m.py"], tmp_path, "--keras-lint-target", "keras3", isolated=False)
    assert any("`keras.src.applications" in m for _, _, _, c, m in f8 if c == "KL401")
    # a bare KL keeps the table's selection (this was the reported disagreement) ...
    assert "KL403" not in {c for *_, c, _ in _flake8_findings(["m.py"], tmp_path, "--select", "KL", isolated=False)}
    # ... a selector naming a code runs it whatever the table says
    assert {c for *_, c, _ in _flake8_findings(["m.py"], tmp_path, "--select", "KL403", isolated=False)} == {"KL403"}


def test_plugin_names_a_broken_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.keras-lint]\nexclude = "sub"\n')
    (tmp_path / "m.py").write_text("from keras.layers.core import Dense\n")
    r = run("flake8", "--select", "KL", "m.py", cwd=tmp_path)
    err = r.stderr.decode()
    assert "Traceback" not in err and err.count("keras-lint: error:") == 1
    assert "exclude: expected a list of glob strings" in err
