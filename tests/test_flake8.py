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


def _flake8_findings(files, cwd, *flags):
    f8 = run("flake8", *flags, "--format", "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s",
             "--isolated", *files, cwd=cwd)
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
    (("--select", "KL"), ("--select", "KL")),  # an explicit selection turns opt-in rules on in both
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
