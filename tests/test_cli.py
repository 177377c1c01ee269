"""End-to-end: the installed ``keras-lint`` on real files, as a subprocess."""
import json
import os
import re
import stat

import pytest

from util import keras_lint

OLD_IMPORTS = (
    "from keras.layers.core import Dense, Lambda\n"
    "from keras.applications.imagenet_utils import _obtain_input_shape\n"
    "import keras.engine.topology as topology\n"
)
CLEAN = "import keras\nmodel = keras.Sequential([keras.layers.Dense(2)])\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "old.py").write_text(OLD_IMPORTS)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_text_output_and_exit_code(project):
    r = keras_lint("old.py", "clean.py", cwd=project)
    out = r.stdout.decode()
    assert r.returncode == 1, out
    lines = out.splitlines()
    assert lines[0] == "old.py:1:1: KL402 [*] `keras.layers.core` no longer exists: use keras.layers"
    assert re.match(r"old.py:2:1: KL401 \[\*\] `_obtain_input_shape` left `imagenet_utils`", lines[1])
    assert lines[2].startswith("old.py:3:8: KL402 `keras.engine.topology`")  # no fix: no [*]
    assert lines[-1] == "3 problems, 2 fixable with --fix."
    assert r.stderr == b""


def test_clean_exit_zero(project):
    r = keras_lint("clean.py", cwd=project)
    assert r.returncode == 0
    assert r.stdout.decode().strip() == "0 problems."


def test_exit_zero_flag(project):
    assert keras_lint("old.py", "--exit-zero", cwd=project).returncode == 0


def test_usage_errors_exit_2(project):
    r = keras_lint("old.py", "--select", "KL999", cwd=project)
    assert r.returncode == 2 and b"unknown rule selector" in r.stderr
    assert keras_lint("--output-format", "xml", "old.py", cwd=project).returncode == 2
    assert keras_lint("rule", "KL000", cwd=project).returncode == 2


def test_default_path_is_cwd_and_excludes(project):
    venv = project / ".venv" / "lib"
    venv.mkdir(parents=True)
    (venv / "old.py").write_text(OLD_IMPORTS)
    (project / "build").mkdir()
    (project / "build" / "x.py").write_text(OLD_IMPORTS)
    r = keras_lint(cwd=project)
    paths = {line.split(":")[0] for line in r.stdout.decode().splitlines() if ": KL" in line}
    assert paths == {"old.py"}


def test_select_ignore_prefix_semantics(project):
    def codes(*flags):
        r = keras_lint("old.py", "--output-format", "json", *flags, cwd=project)
        return sorted(d["code"] for d in json.loads(r.stdout))

    assert codes() == ["KL401", "KL402", "KL402"]
    assert codes("--select", "KL401") == ["KL401"]
    assert codes("--ignore", "KL4") == []
    assert codes("--ignore", "KL4", "--select", "KL401") == ["KL401"]  # more specific wins
    assert codes("--select", "ALL", "--ignore", "KL402") == ["KL401"]
    assert codes("--select", "kl402,KL401") == ["KL401", "KL402", "KL402"]


def test_json_schema(project):
    r = keras_lint("old.py", "--output-format", "json", cwd=project)
    data = json.loads(r.stdout)
    assert r.returncode == 1
    assert {tuple(sorted(d)) for d in data} == {
        ("cell", "code", "column", "end_column", "end_line", "fix", "line", "message", "path")}
    assert all(d["cell"] is None for d in data)  # .py files have no cells
    first = data[0]
    assert (first["path"], first["line"], first["column"], first["end_line"], first["end_column"]) == ("old.py", 1, 1, 1, 44)
    assert first["fix"] == {"safety": "safe", "applied": False}
    assert data[2]["fix"] is None


def test_sarif(project):
    r = keras_lint("old.py", "--output-format", "sarif", cwd=project)
    sarif = json.loads(r.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "keras-lint"
    assert len(run["results"]) == 3
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "old.py"
        assert res["message"]["text"]


def test_github_format(project):
    r = keras_lint("old.py", "--output-format", "github", cwd=project)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("::error title=keras-lint (KL402),file=old.py,line=1,col=1,endLine=1,endColumn=44::KL402 ")


def test_statistics(project):
    r = keras_lint("old.py", "--statistics", cwd=project)
    stats = [line for line in r.stdout.decode().splitlines() if "\t" in line]
    assert stats == ["    2\tKL402\t[*] moved-keras-import", "    1\tKL401\t[*] removed-obtain-input-shape"]


def test_fix_rewrites_and_is_idempotent(project):
    r = keras_lint("old.py", "--fix", cwd=project)
    fixed = (project / "old.py").read_text()
    assert fixed == (
        "from keras.layers import Dense, Lambda\n"
        "from keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape\n"
        "import keras.engine.topology as topology\n"
    )
    assert r.returncode == 1  # the unfixable import remains
    assert "Fixed 2 problems, 1 problem remaining." in r.stdout.decode()
    again = keras_lint("old.py", "--fix", cwd=project)
    assert (project / "old.py").read_text() == fixed
    assert "Fixed 0 problems" in again.stdout.decode()


def test_fix_target_tf_keras(project):
    keras_lint("old.py", "--fix", "--target", "tf-keras", "--select", "KL401", cwd=project)
    assert "from tf_keras.src.applications.imagenet_utils import obtain_input_shape as _obtain_input_shape" in (
        project / "old.py").read_text()


def test_unsafe_fixes_need_the_flag(project):
    src = "from keras.utils import np_utils\ny = np_utils.to_categorical([0, 1])\n"
    (project / "u.py").write_text(src)
    r = keras_lint("u.py", cwd=project)
    assert "(1 more fixable with --unsafe-fixes)" in r.stdout.decode()
    keras_lint("u.py", "--fix", cwd=project)
    assert (project / "u.py").read_text() == src
    keras_lint("u.py", "--fix", "--unsafe-fixes", cwd=project)
    assert (project / "u.py").read_text().startswith("from keras import utils as np_utils\n")


def test_diff_writes_nothing(project):
    r = keras_lint("old.py", "--diff", cwd=project)
    assert (project / "old.py").read_text() == OLD_IMPORTS
    out = r.stdout.decode()
    assert "-from keras.layers.core import Dense, Lambda\n" in out
    assert "+from keras.layers import Dense, Lambda\n" in out
    assert out.startswith("--- a/old.py\n+++ b/old.py\n")
    assert r.returncode == 1
    assert keras_lint("clean.py", "--diff", cwd=project).returncode == 0


def test_fix_keeps_crlf_encoding_and_mode(project):
    src = "# -*- coding: latin-1 -*-\r\nfrom keras.layers.core import Dense\r\nname = 'caf\xe9'\r\n"
    path = project / "crlf.py"
    path.write_bytes(src.encode("latin-1"))
    os.chmod(path, 0o640)
    keras_lint("crlf.py", "--fix", cwd=project)
    assert path.read_bytes() == src.replace("keras.layers.core", "keras.layers").encode("latin-1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_noqa(project):
    (project / "n.py").write_text(
        "from keras.layers.core import Dense  # noqa\n"
        "from keras.layers.merge import add  # noqa: KL402\n"
        "from keras.utils.np_utils import normalize  # noqa:KL4\n"
        "from keras.engine import Layer  # noqa: KL401\n"
        "from keras.layers.advanced_activations import ELU  # NOQA:E501,KL402\n"
    )
    r = keras_lint("n.py", "--output-format", "json", cwd=project)
    assert [d["line"] for d in json.loads(r.stdout)] == [4]
    keras_lint("n.py", "--fix", cwd=project)
    assert "keras.layers.core" in (project / "n.py").read_text()  # suppressed findings are not fixed


def test_config_from_pyproject_and_flags_win(project):
    (project / "pyproject.toml").write_text(
        '[tool.keras-lint]\nignore = ["KL401"]\nexclude = ["generated"]\n'
        'per-file-ignores = { "legacy/*.py" = ["KL402"] }\n'
    )
    (project / "legacy").mkdir()
    (project / "legacy" / "x.py").write_text(OLD_IMPORTS)
    (project / "generated").mkdir()
    (project / "generated" / "y.py").write_text(OLD_IMPORTS)

    def found(*flags, cwd=project):
        r = keras_lint(*flags, "--output-format", "json", cwd=cwd)
        return sorted((d["path"], d["code"]) for d in json.loads(r.stdout))

    assert found() == [("old.py", "KL402"), ("old.py", "KL402")]
    assert found("--select", "KL401") == [("legacy/x.py", "KL401"), ("old.py", "KL401")]
    # the nearest pyproject.toml is found from a subdirectory too
    assert found(".", cwd=project / "legacy") == []


def test_config_target(project):
    (project / "pyproject.toml").write_text('[tool.keras-lint]\ntarget = "tf-keras"\n')
    keras_lint("old.py", "--fix", cwd=project)
    assert "tf_keras.src.applications" in (project / "old.py").read_text()


def test_bad_config_is_one_line(project):
    (project / "pyproject.toml").write_text('[tool.keras-lint]\ncolour = "red"\n')
    r = keras_lint("old.py", cwd=project)
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and "[tool.keras-lint] unknown key 'colour'" in r.stderr.decode()


def test_bad_files_do_not_stop_the_run(project):
    (project / "broken.py").write_text("import keras\ndef f(:\n    pass\n")
    (project / "py2.py").write_text("import keras\nprint 'hello'\n")
    (project / "latin.py").write_bytes(b"import keras\nx = '\xe9\xff'\n")
    r = keras_lint("broken.py", "old.py", "py2.py", "latin.py", "missing.py", cwd=project)
    out = r.stdout.decode().splitlines()
    assert r.returncode == 1
    assert r.stderr == b""  # files that cannot be linted are findings (KL001), in every format
    assert "broken.py:2:7: KL001 syntax error: invalid syntax" in out
    assert ("py2.py:2:1: KL001 syntax error: Missing parentheses in call to 'print'. Did you mean print(...)?; "
            "this is Python 2 code: convert it to Python 3 first (e.g. `2to3 -w FILE`, Python 3.12 and older)") in out
    assert any(line.startswith("latin.py:1:1: KL001 cannot decode") for line in out)
    assert "missing.py:1:1: KL001 no such file or directory" in out
    assert sum(": KL001 " in line for line in out) == 4
    assert sum(line.startswith("old.py:") for line in out) == 3  # the good file is still linted
    assert out[-1] == "7 problems, 2 fixable with --fix (4 not linted: KL001)."


def test_stdin(project):
    r = keras_lint("-", "--stdin-filename", "pkg/mod.py", stdin=OLD_IMPORTS.encode(), cwd=project)
    assert r.returncode == 1
    assert r.stdout.decode().startswith("pkg/mod.py:1:1: KL402")
    r = keras_lint("-", "--fix", stdin=OLD_IMPORTS.encode(), cwd=project)
    assert r.stdout.decode().startswith("from keras.layers import Dense, Lambda\n")
    assert "KL402" in r.stderr.decode()


def test_rule_and_rules_commands(project):
    r = keras_lint("rule", "KL401", cwd=project)
    text = r.stdout.decode()
    assert r.returncode == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## References"):
        assert section in text
    listing = keras_lint("rules", cwd=project).stdout.decode()
    assert re.search(r"^KL401\s+removed-obtain-input-shape\s+on\s+safe$", listing, re.M)


def test_version(project):
    from keras_lint import __version__

    assert keras_lint("--version", cwd=project).stdout.decode().strip() == f"keras-lint {__version__}"


def test_parallel_output_is_deterministic(project):
    for i in range(40):
        (project / f"m{i:02d}.py").write_text(OLD_IMPORTS)
    one = keras_lint("-j", "1", cwd=project).stdout
    two = keras_lint("-j", "2", cwd=project).stdout
    assert one == two and one.decode().count("KL40") == 41 * 3
