"""The subcommands and flags ruff users look for, through the installed CLI."""
import json

import pytest

from util import keras_lint

OLD = "from keras.layers.core import Dense\nfrom keras.applications.imagenet_utils import _obtain_input_shape\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "old.py").write_text(OLD)
    return tmp_path


def test_check_subcommand_lints_a_directory_named_rules(project):
    (project / "rules").mkdir()
    (project / "rules" / "r.py").write_text(OLD)
    r = keras_lint("check", "rules", cwd=project)
    assert r.returncode == 1 and "rules/r.py:1:1: KL402" in r.stdout.decode()
    assert keras_lint("check", ".", cwd=project).stdout.decode().count("KL40") == 4
    assert keras_lint("check", cwd=project).returncode == 1  # default path: .
    # the bare `rules` still lists the rules, and says how to lint the folder
    r = keras_lint("rules", cwd=project)
    assert "KL401" in r.stdout.decode() and "keras-lint check rules" in r.stderr.decode()
    # `rules` with more arguments is a path
    assert "rules/r.py" in keras_lint("rules", "old.py", cwd=project).stdout.decode()


def test_quiet_and_output_file(project):
    r = keras_lint("-q", "old.py", cwd=project)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1 and len(lines) == 2 and all(": KL40" in line for line in lines)  # no summary
    r = keras_lint("old.py", "-o", "report.json", "--output-format", "json", cwd=project)
    assert r.returncode == 1 and r.stdout == b""
    assert len(json.loads((project / "report.json").read_text())) == 2
    r = keras_lint("old.py", "--output-file", str(project / "missing" / "r.txt"), cwd=project)
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1


def test_show_fixes_and_exit_non_zero_on_fix(project):
    r = keras_lint("old.py", "--fix", "--show-fixes", cwd=project)
    out = r.stdout.decode()
    assert r.returncode == 0, out  # everything fixed
    assert "Fixed 2 problems:\n- old.py:\n    1 \u00d7 KL401 (removed-obtain-input-shape)\n" in out
    assert "    1 \u00d7 KL402 (moved-keras-import)" in out
    (project / "old.py").write_text(OLD)
    assert keras_lint("old.py", "--fix", "--exit-non-zero-on-fix", cwd=project).returncode == 1
    # nothing left to fix: exit 0 again
    assert keras_lint("old.py", "--fix", "--exit-non-zero-on-fix", cwd=project).returncode == 0
    assert "No fixes applied." in keras_lint("old.py", "--fix", "--show-fixes", cwd=project).stdout.decode()


def test_add_noqa(project):
    src = (
        "from keras.layers.core import Dense  # a comment\n"
        "from keras.applications.imagenet_utils import _obtain_input_shape  # noqa: E501\n"
        "import keras.engine.topology as topology\r\n"
        'doc = """\n'
        'keras.layers.core"""\n'
    )
    (project / "n.py").write_bytes(src.encode())
    r = keras_lint("n.py", "--add-noqa", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "Added 3 noqa directives." in r.stderr.decode()
    assert (project / "n.py").read_bytes().decode() == (
        "from keras.layers.core import Dense  # a comment  # noqa: KL402\n"
        "from keras.applications.imagenet_utils import _obtain_input_shape  # noqa: E501, KL401\n"
        "import keras.engine.topology as topology  # noqa: KL402\r\n"
        'doc = """\n'
        'keras.layers.core"""\n'
    )
    assert keras_lint("n.py", cwd=project).returncode == 0  # suppressed now
    before = (project / "n.py").read_bytes()
    r = keras_lint("n.py", "--add-noqa", cwd=project)
    assert "Added 0 noqa directives." in r.stderr.decode() and (project / "n.py").read_bytes() == before


def test_add_noqa_refuses_a_line_that_ends_in_a_string(project):
    src = 'import tensorflow as tf\nx = tf.compat.v1.Session(); y = tf.Session(config="""\n""")\n'
    (project / "s.py").write_text(src)
    r = keras_lint("s.py", "--add-noqa", cwd=project)
    assert "s.py:2: cannot add # noqa" in r.stderr.decode()
    assert (project / "s.py").read_text() == src


def test_stdin_filename_alone_reads_stdin(project):
    (project / "other.py").write_text(OLD)
    r = keras_lint("--stdin-filename", "pkg/mod.py", stdin=b"from keras.layers.core import Dense\n", cwd=project)
    assert r.returncode == 1
    assert r.stdout.decode().splitlines()[:-1] == [
        "pkg/mod.py:1:1: KL402 [*] `keras.layers.core` no longer exists: use keras.layers"]


def test_force_exclude_applies_to_stdin_filename(project):
    (project / "pyproject.toml").write_text('[tool.keras-lint]\nexclude = ["generated"]\n')
    code = b"from keras.layers.core import Dense\n"
    r = keras_lint("-", "--stdin-filename", "generated/x.py", "--force-exclude", stdin=code, cwd=project)
    assert r.returncode == 0 and r.stdout == b""
    r = keras_lint("-", "--stdin-filename", "generated/x.py", "--force-exclude", "--fix", stdin=code, cwd=project)
    assert r.stdout == code  # a fixer's caller gets the code back unchanged
    r = keras_lint("-", "--stdin-filename", "generated/x.py", stdin=code, cwd=project)
    assert r.returncode == 1  # without --force-exclude a named file is linted


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_jobs_must_be_positive(project, jobs):
    r = keras_lint("-j", jobs, "old.py", cwd=project)
    assert r.returncode == 2 and "must be 1 or more" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


def test_double_dash_before_file_names(project):
    (project / "-dash.py").write_text(OLD)
    (project / "--fix").write_text(OLD)
    r = keras_lint("check", "--", "-dash.py", "--fix", cwd=project)
    assert r.returncode == 1
    assert "-dash.py:1:1: KL402" in r.stdout.decode() and "--fix:1:1: KL402" in r.stdout.decode()
    assert (project / "--fix").read_text() == OLD  # a file, not the option


def test_output_format_still_validated(project):
    r = keras_lint("--output-format", "xml", "old.py", cwd=project)
    assert r.returncode == 2 and "invalid choice: 'xml'" in r.stderr.decode()


def test_full_format_and_markers(project):
    (project / "k.py").write_text(
        "import keras\nfrom keras import layers\nclass L(layers.Layer):\n"
        "    def __init__(self, units):\n        super().__init__()\n        self.units = units\n"
        "\n\nimport numpy as np\nlayer = L(np.zeros(3))\n")  # an argument Keras cannot serialize
    (project / "t.py").write_text("if True:\n\tfrom keras.layers.core import Dense\n")
    r = keras_lint("--output-format", "full", "k.py", "t.py", "--select", "KL301,KL402", cwd=project)
    out = r.stdout.decode()
    # an unsafe-only fix gets its own marker; the snippet has the line and a caret under the span
    assert out.startswith("k.py:3:7: KL301 [~] `L` has no get_config")
    assert "  |\n3 | class L(layers.Layer):\n  |       ^ KL301\n  |\n" in out
    assert "2 | \tfrom keras.layers.core import Dense\n  | \t" + "^" * 35 + " KL402\n" in out  # tabs kept
    assert "\033[" not in out  # not a terminal: no colour
    plain = keras_lint("k.py", "--select", "KL301", cwd=project).stdout.decode()
    assert plain.startswith("k.py:3:7: KL301 [~] ") and "  |" not in plain
    assert keras_lint("k.py", "--select", "KL301", "--unsafe-fixes", cwd=project).stdout.decode().startswith(
        "k.py:3:7: KL301 [*] ")


def test_colour_environment(project):
    coloured = keras_lint("old.py", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout.decode()
    assert "\033[31m" in coloured and "\033[0m" in coloured
    assert "\033[" not in keras_lint("old.py", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout.decode()
    assert "\033[" not in keras_lint("old.py", "--output-format", "json", cwd=project,
                                     env={"FORCE_COLOR": "1"}).stdout.decode()


def test_full_format_on_stdin_shows_stdin(project):
    (project / "mod.py").write_text("# the file on disk differs from the editor's buffer\n")
    r = keras_lint("--stdin-filename", "mod.py", "--output-format", "full",
                   stdin=b"from keras.layers.core import Dense\n", cwd=project)
    assert "1 | from keras.layers.core import Dense\n" in r.stdout.decode()


def test_file_level_exemption(project):
    body = "from keras.layers.core import Dense\nfrom keras.applications.imagenet_utils import _obtain_input_shape\n"
    (project / "all.py").write_text("# keras-lint: noqa\n" + body)
    (project / "some.py").write_text("#!/usr/bin/env python\n# keras-lint: noqa: KL401\n" + body)
    # look-alikes that must not exempt: inside a string, or not alone on its line
    (project / "string.py").write_text('doc = """\n# keras-lint: noqa\n"""\n' + body)
    (project / "trailing.py").write_text("x = 1  # keras-lint: noqa\n" + body)
    found = findings_by_file(project)
    assert "all.py" not in found
    assert found["some.py"] == ["KL402"]
    assert found["string.py"] == ["KL401", "KL402"] and found["trailing.py"] == ["KL401", "KL402"]


def findings_by_file(cwd):
    r = keras_lint(".", "--output-format", "json", "--no-cache", cwd=cwd)
    out = {}
    for d in json.loads(r.stdout):
        out.setdefault(d["path"], []).append(d["code"])
    return {k: sorted(v) for k, v in out.items()}


def _run_on_a_terminal(args, cwd, env):
    """Run keras-lint with stderr on a pseudo-terminal; return (stdout, what the terminal got)."""
    import os
    import pty
    import subprocess

    from util import tool

    master, slave = pty.openpty()
    proc = subprocess.Popen(tool("keras-lint") + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                            env=dict(os.environ, **env))
    os.close(slave)
    out = proc.stdout.read()
    proc.wait(timeout=300)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    return out, tty


def test_progress_line_on_a_terminal_only(project):
    for i in range(20):
        (project / f"m{i:02d}.py").write_text(OLD)
    env = {"KERAS_LINT_PROGRESS_DELAY": "0"}  # no need to wait a second in a test
    out, tty = _run_on_a_terminal(["--no-cache", "-j", "1", "."], project, env)
    assert b"21/21 files, 42 findings" in tty and tty.endswith(b"\r\x1b[K")  # drawn, then erased
    assert b"files," not in out  # never in the report itself
    _, tty = _run_on_a_terminal(["--no-cache", "-j", "1", "--output-format", "json", "."], project, env)
    assert b"files," not in tty  # machine formats: no progress
    r = keras_lint("--no-cache", ".", cwd=project, env=env)  # stderr is a pipe: nothing
    assert b"files," not in r.stderr


def test_cli_knows_every_output_format():
    from keras_lint import cli, output

    assert cli.OUTPUT_FORMATS == output.FORMATS
