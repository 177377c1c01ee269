"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against a temporary repo."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from util import tool

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is needed by pre-commit")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                            GIT_COMMITTER_EMAIL="t@t"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A committed copy of this repository: try-repo installs the hook from it, as users' pre-commit does."""
    repo = tmp_path_factory.mktemp("hookrepo")
    for name in ("keras_lint", "pyproject.toml", ".pre-commit-hooks.yaml", "README.md"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "hooks")
    return repo


def try_repo(hook_repo, work, hook, *files):
    env = dict(os.environ, PRE_COMMIT_HOME=str(hook_repo.parent / "pre-commit-home"))
    return subprocess.run(tool("pre-commit") + ["try-repo", str(hook_repo), hook, "--files", *files]
                          if files else tool("pre-commit") + ["try-repo", str(hook_repo), hook, "--all-files"],
                          cwd=work, capture_output=True, env=env, timeout=900)


@pytest.fixture
def work(tmp_path):
    git(tmp_path, "init", "-q")
    return tmp_path


def test_check_hook_reports(hook_repo, work):
    (work / "model.py").write_text("from keras.layers.core import Dense\n")
    (work / "ok.py").write_text("import keras\n")
    git(work, "add", ".")
    r = try_repo(hook_repo, work, "keras-lint", "model.py", "ok.py")
    out = r.stdout.decode()
    assert r.returncode == 1, out
    assert "model.py:1:1: KL402" in out
    assert "Failed" in out


def test_fix_hook_rewrites(hook_repo, work):
    (work / "model.py").write_text("from keras.layers.core import Dense\n")
    git(work, "add", ".")
    r = try_repo(hook_repo, work, "keras-lint-fix", "model.py")
    assert (work / "model.py").read_text() == "from keras.layers import Dense\n", r.stdout.decode()
    assert r.returncode == 1  # pre-commit fails a hook that modified files


def test_no_python_files_is_a_clean_noop(hook_repo, work):
    (work / "notes.txt").write_text("nothing to lint\n")
    git(work, "add", ".")
    r = try_repo(hook_repo, work, "keras-lint")
    assert r.returncode == 0, r.stdout.decode()
    assert "(no files to check)" in r.stdout.decode()


def test_file_names_that_look_like_options(hook_repo, work):
    """`--` comes before the file names: `-dash.py` is linted, a script named `--fix` does not
    turn the check hook into a fixer, one named `--exit-zero` does not make it pass."""
    bad = "#!/usr/bin/env python\nfrom keras.layers.core import Dense\n"
    for name in ("-dash.py", "--fix", "--exit-zero"):
        (work / name).write_text(bad)
        (work / name).chmod(0o755)  # an executable with a python shebang: pre-commit passes it on
    git(work, "add", "--", "-dash.py", "--fix", "--exit-zero")
    r = try_repo(hook_repo, work, "keras-lint")
    out = r.stdout.decode()
    assert r.returncode == 1, out
    for name in ("-dash.py", "--fix", "--exit-zero"):
        assert f"{name}:2:1: KL402" in out
        assert (work / name).read_text() == bad


def test_hook_output_has_no_summary_per_batch(hook_repo, work):
    """pre-commit splits many files over several runs; each printed "N problems." before."""
    for i in range(3):
        (work / f"m{i}.py").write_text("from keras.layers.core import Dense\n")
    git(work, "add", ".")
    r = try_repo(hook_repo, work, "keras-lint", "m0.py", "m1.py", "m2.py")
    out = r.stdout.decode()
    assert out.count(": KL402") == 3 and "problems" not in out, out


def test_check_hook_runs_on_notebooks(hook_repo, work):
    cell = {"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [],
            "source": ["%matplotlib inline\n", "from keras.layers.core import Dense\n"]}
    (work / "train.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    git(work, "add", ".")
    r = try_repo(hook_repo, work, "keras-lint", "train.ipynb")
    assert r.returncode == 1, r.stdout.decode()
    assert "train.ipynb:cell 1:2:1: KL402" in r.stdout.decode()
