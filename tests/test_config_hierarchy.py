"""Configuration as a ruff user expects it, through the installed CLI in temporary trees:
the nearest pyproject.toml per file, validation with one line and exit 2, the flags."""
import json
import shutil
import subprocess

import pytest

from util import keras_lint, run

OLD = "from keras.layers.core import Dense\nfrom keras.applications.imagenet_utils import _obtain_input_shape\n"


def findings(*args, cwd):
    r = keras_lint(*args, "--output-format", "json", "--no-cache", cwd=cwd)
    assert r.returncode in (0, 1), r.stderr.decode()
    return sorted((d["path"], d["code"]) for d in json.loads(r.stdout))


@pytest.fixture
def two_projects(tmp_path):
    """a/ ignores KL401, b/ ignores KL402; the root has no configuration."""
    for name, ignored in (("a", "KL401"), ("b", "KL402")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(f'[tool.keras-lint]\nignore = ["{ignored}"]\n')
        (tmp_path / name / "m.py").write_text(OLD)
    return tmp_path


def test_each_file_gets_its_nearest_configuration(two_projects):
    expected = [("a/m.py", "KL402"), ("b/m.py", "KL401")]
    assert findings("a", "b", cwd=two_projects) == expected
    assert findings("b", "a", cwd=two_projects) == expected  # the order of the paths does not matter
    assert findings(".", cwd=two_projects) == expected
    assert findings("a/m.py", "b/m.py", cwd=two_projects) == expected
    # a nested configuration is used whole (not merged with the parent's), as ruff does
    (two_projects / "a" / "sub").mkdir()
    (two_projects / "a" / "sub" / "pyproject.toml").write_text('[tool.keras-lint]\nextend-select = ["KL102"]\n')
    (two_projects / "a" / "sub" / "n.py").write_text(OLD)
    assert ("a/sub/n.py", "KL401") in findings("a", cwd=two_projects)


def test_a_pyproject_without_the_table_is_skipped(two_projects):
    (two_projects / "a" / "inner").mkdir()
    (two_projects / "a" / "inner" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (two_projects / "a" / "inner" / "n.py").write_text(OLD)
    assert findings("a/inner", cwd=two_projects) == [("a/inner/n.py", "KL402")]


def test_parent_exclude_applies_to_a_configured_child(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.keras-lint]\nexclude = ["vendored"]\n')
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "vendored" / "v.py").write_text(OLD)
    (tmp_path / "m.py").write_text(OLD)
    assert {p for p, _ in findings(".", cwd=tmp_path)} == {"m.py"}


def test_config_path_isolated_and_inline_overrides(two_projects):
    both = [("a/m.py", "KL401"), ("a/m.py", "KL402"), ("b/m.py", "KL401"), ("b/m.py", "KL402")]
    assert findings(".", "--isolated", cwd=two_projects) == both
    # --config PATH: that file for every path
    assert findings(".", "--config", "a/pyproject.toml", cwd=two_projects) == [("a/m.py", "KL402"), ("b/m.py", "KL402")]
    # --config KEY=VALUE: on top of each file's configuration
    assert findings(".", "--config", "ignore = ['KL4']", cwd=two_projects) == []
    assert findings(".", "--isolated", "--config", "select = ['KL401']", cwd=two_projects) == [
        ("a/m.py", "KL401"), ("b/m.py", "KL401")]
    r = keras_lint(".", "--config", "colour = 'red'", cwd=two_projects)
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1 and "unknown key 'colour'" in r.stderr.decode()
    r = keras_lint(".", "--config", "not toml at all", cwd=two_projects)
    assert r.returncode == 2 and "neither a file nor a TOML" in r.stderr.decode()


def test_command_line_counterparts(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.keras-lint]\nexclude = ["gen"]\n')
    for d in ("gen", "tests", "src"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text(OLD)
    assert {p for p, _ in findings(".", cwd=tmp_path)} == {"src/m.py", "tests/m.py"}
    assert {p for p, _ in findings(".", "--extend-exclude", "tests", cwd=tmp_path)} == {"src/m.py"}
    # --exclude replaces the file's exclude
    assert {p for p, _ in findings(".", "--exclude", "src", cwd=tmp_path)} == {"gen/m.py", "tests/m.py"}
    assert findings(".", "--extend-exclude", "src", "--extend-ignore", "KL401", cwd=tmp_path) == [
        ("tests/m.py", "KL402")]
    assert findings(".", "--per-file-ignores", "tests/*.py:KL401,KL402", cwd=tmp_path) == [
        ("src/m.py", "KL401"), ("src/m.py", "KL402")]
    r = keras_lint(".", "--per-file-ignores", "tests/*.py:KL999", cwd=tmp_path)
    assert r.returncode == 2 and "unknown rule code or prefix 'KL999'" in r.stderr.decode()


def test_show_settings_and_show_files(two_projects):
    r = keras_lint("--show-settings", "a/m.py", cwd=two_projects)
    shown = json.loads(r.stdout)
    assert r.returncode == 0
    assert shown["source"].endswith("a/pyproject.toml") and shown["ignore"] == ["KL401"]
    assert "KL401" not in shown["rules"] and "KL402" in shown["rules"]
    r = keras_lint("--show-files", "b", "a", cwd=two_projects)
    assert r.returncode == 0 and r.stdout.decode().splitlines() == ["b/m.py", "a/m.py"]


BROKEN = {
    "syntax": (b'[tool.keras-lint\nignore = ["KL401"]\n', "invalid TOML"),
    "duplicate key": (b'[tool.keras-lint]\ntarget = "keras3"\ntarget = "tf-keras"\n', "invalid TOML"),
    "bad utf-8": (b'[tool.keras-lint]\n# caf\xe9\n', "not valid UTF-8"),
    "exclude = 5": (b"[tool.keras-lint]\nexclude = 5\n", "exclude: expected a list of glob strings, got a number (5)"),
    "exclude = [5]": (b"[tool.keras-lint]\nexclude = [5]\n", "exclude: expected a list of glob strings, got an array"),
    "exclude = 'sub'": (b'[tool.keras-lint]\nexclude = "sub"\n',
                        "exclude: expected a list of glob strings, got a string ('sub')"),
    "tool = 5": (b"tool = 5\n", "[tool]: expected a table, got a number (5)"),
    "array of tables": (b"[[tool.keras-lint]]\n", "[tool.keras-lint]: expected a table, got an array of tables"),
    "target": (b'[tool.keras-lint]\ntarget = "keras2"\n', "target: expected one of 'keras3', 'tf-keras'"),
    "bool": (b'[tool.keras-lint]\nrespect-gitignore = "yes"\n', "respect-gitignore: expected true or false"),
    "per-file code": (b'[tool.keras-lint]\nper-file-ignores = { "t/*.py" = ["KL999"] }\n',
                      "per-file-ignores: unknown rule code or prefix 'KL999'"),
    "ignore code": (b'[tool.keras-lint]\nignore = ["KL999"]\n', "ignore: unknown rule code or prefix 'KL999'"),
    "per-file shape": (b'[tool.keras-lint]\nper-file-ignores = ["KL401"]\n',
                       "per-file-ignores: expected a table of glob = [rule codes], got an array"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("nested", [False, True])
def test_broken_configuration_is_one_line_and_exit_2(tmp_path, case, nested):
    """The file is named, with why; never a traceback, never the parent's or default settings."""
    content, why = BROKEN[case]
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    where = tmp_path / "pkg" if nested else tmp_path
    where.mkdir(exist_ok=True)
    (where / "pyproject.toml").write_bytes(content)
    (where / "m.py").write_text(OLD)
    r = keras_lint(".", cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(where / "pyproject.toml") in err and why in err
    assert r.stdout == b""


def test_exclude_string_is_not_split_into_characters(tmp_path):
    """The reported case: `exclude = "sub"` excluded directories s, u and b, and linted sub/."""
    (tmp_path / "pyproject.toml").write_text('[tool.keras-lint]\nexclude = ["sub"]\n')
    for d in ("sub", "s", "u", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text(OLD)
    assert {p for p, _ in findings(".", cwd=tmp_path)} == {"s/m.py", "u/m.py", "b/m.py"}


def test_empty_run_warns(tmp_path):
    (tmp_path / "notes.txt").write_text("no python here\n")
    r = keras_lint(".", cwd=tmp_path)
    assert r.returncode == 0
    assert "warning: no Python files found under ." in r.stderr.decode()


# -- ignore files ---------------------------------------------------------------------------------

def git_init(path):
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True)


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git")


@needs_git
def test_gitignore_respected(tmp_path):
    git_init(tmp_path)
    (tmp_path / ".gitignore").write_text("generated/\n*_pb2.py\n!keep_pb2.py\n")
    for rel in ("generated/g.py", "src/m.py", "src/x_pb2.py", "src/keep_pb2.py", "src/deep/local.py",
                "src/deep/other.py", "notes/n.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(OLD)
    (tmp_path / "src" / "deep" / ".gitignore").write_text("local.py\n")
    (tmp_path / "notes" / ".ignore").write_text("n.py\n")
    listed = keras_lint("--show-files", cwd=tmp_path).stdout.decode().split()
    assert listed == ["src/keep_pb2.py", "src/m.py", "src/deep/other.py"]
    # from a subdirectory, the repository root's .gitignore still counts
    assert keras_lint("--show-files", ".", cwd=tmp_path / "src").stdout.decode().split() == [
        "keep_pb2.py", "m.py", "deep/other.py"]
    every = keras_lint("--show-files", "--no-respect-gitignore", cwd=tmp_path).stdout.decode().split()
    assert len(every) == 7
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\nrespect-gitignore = false\n")
    assert len(keras_lint("--show-files", cwd=tmp_path).stdout.decode().split()) == 7


@needs_git
def test_gitignore_and_explicit_files(tmp_path):
    """A file named on the command line is linted even if ignored, unless --force-exclude (pre-commit)."""
    git_init(tmp_path)
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "g.py").write_text(OLD)
    assert findings("generated/g.py", cwd=tmp_path) != []
    assert findings("generated/g.py", "--force-exclude", cwd=tmp_path) == []


@needs_git
def test_git_info_exclude_and_global_excludes(tmp_path):
    git_init(tmp_path)
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("local_only.py\n")
    home = tmp_path / "xdg"
    (home / "git").mkdir(parents=True)
    (home / "git" / "ignore").write_text("scratch_*.py\n")
    for name in ("local_only.py", "scratch_1.py", "kept.py"):
        (tmp_path / name).write_text(OLD)
    r = run("keras-lint", "--show-files", cwd=tmp_path, env={"XDG_CONFIG_HOME": str(home), "HOME": str(tmp_path)})
    assert r.stdout.decode().split() == ["kept.py"]


def test_ignore_files_outside_a_repository(tmp_path):
    """No git repository: the ignore files inside the tree still count (.ignore and .gitignore)."""
    (tmp_path / ".gitignore").write_text("out/\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "o.py").write_text(OLD)
    (tmp_path / "m.py").write_text(OLD)
    assert keras_lint("--show-files", cwd=tmp_path).stdout.decode().split() == ["m.py"]


def test_cache_keeps_nested_settings_apart(two_projects):
    """One cache for the run, but each entry keyed by its file's rules and target: a warm run
    reports what a cold one does when a/ and b/ differ."""
    (two_projects / "b" / "pyproject.toml").write_text('[tool.keras-lint]\ntarget = "tf-keras"\n')
    (two_projects / "b" / "m.py").write_text((two_projects / "a" / "m.py").read_text())
    cold = keras_lint(".", "--no-cache", cwd=two_projects).stdout
    assert b"tf_keras" in cold  # b's target reached the message
    keras_lint(".", cwd=two_projects)
    assert keras_lint(".", cwd=two_projects).stdout == cold
    assert (two_projects / ".keras_lint_cache").is_dir()  # in the current directory's project
