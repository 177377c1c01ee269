"""The results cache (``.keras_lint_cache``): same output warm as cold, invalidated by content,
rules and target, and never a reason for a run to fail."""
import json
from pathlib import Path

import pytest

from keras_lint import cache as cache_mod
from util import keras_lint

FINDINGS = (
    "from keras.layers.core import Dense\n"
    "from keras.applications.imagenet_utils import _obtain_input_shape\n"
    "model.fit_generator(gen, steps_per_epoch=10)\n"
)
BROKEN = "import keras\ndef f(:\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "a.py").write_text(FINDINGS)
    (tmp_path / "b.py").write_text("import keras\nx = keras.layers.Dense(2)\n")
    (tmp_path / "c.py").write_text("print('hello')\n")
    return tmp_path


def _cache_files(root: Path):
    return sorted((root / cache_mod.CACHE_DIR).rglob("*.json"))


def _entries(root: Path):
    (path,) = _cache_files(root)
    return json.loads(path.read_text())["files"]


def _run(project, *args):
    r = keras_lint(*args, cwd=project)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_warm_run_same_output_as_cold(project):
    cold = _run(project, "a.py", "b.py", "c.py", "--output-format", "json")
    assert cold[0] == 1 and json.loads(cold[1])
    assert set(_entries(project)) == {"a.py", "b.py"}  # c.py never mentions keras: not even hashed
    warm = _run(project, "a.py", "b.py", "c.py", "--output-format", "json")
    assert warm == cold
    for fmt in ("text", "sarif", "github"):
        assert _run(project, ".", "--output-format", fmt) == _run(project, ".", "--output-format", fmt, "--no-cache")


def test_cache_is_really_used(project):
    _run(project, "a.py")
    # doctor the entry: a warm run must report what the cache says, without linting
    (path,) = _cache_files(project)
    data = json.loads(path.read_text())
    data["files"]["a.py"]["d"] = [[7, 3, 7, 9, "KL401", "from the cache", None, None]]
    path.write_text(json.dumps(data))
    assert _run(project, "a.py")[1].splitlines()[0] == "a.py:7:3: KL401 from the cache"


def test_cache_dir_layout(project):
    _run(project, "a.py")
    root = project / cache_mod.CACHE_DIR
    assert (root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (root / ".gitignore").read_text().splitlines()[-1] == "*"


def test_content_change_relints(project):
    first = _run(project, "a.py")
    (project / "a.py").write_text(FINDINGS.replace("_obtain_input_shape", "preprocess_input"))
    second = _run(project, "a.py")
    assert "KL401" in first[1] and "KL401" not in second[1]
    assert "KL402" in second[1]


@pytest.mark.parametrize("flags", [("--select", "KL401"), ("--target", "tf-keras"), ("--ignore", "KL402")])
def test_other_rules_or_target_do_not_reuse(project, flags):
    _run(project, "a.py")
    cold = _run(project, "a.py", *flags, "--no-cache")
    assert _run(project, "a.py", *flags) == cold
    assert _run(project, "a.py", *flags) == cold  # and warm again, from its own entries
    assert len(_cache_files(project)) == 2
    assert _run(project, "a.py")[1] != cold[1]


def test_per_file_ignores_are_part_of_the_key(project):
    _run(project, "a.py")
    (project / "pyproject.toml").write_text('[tool.keras-lint]\nper-file-ignores = { "a.py" = ["KL401"] }\n')
    code, out, _ = _run(project, "a.py")
    assert "KL401" not in out and "KL402" in out


def test_files_with_errors_are_not_cached(project):
    (project / "bad.py").write_text(BROKEN)
    first = _run(project, "bad.py", "a.py")
    assert "bad.py:2:7: KL001 syntax error" in first[1]
    assert "bad.py" not in _entries(project)
    assert _run(project, "bad.py", "a.py") == first


def test_no_cache_writes_nothing(project):
    _run(project, ".", "--no-cache")
    assert not (project / cache_mod.CACHE_DIR).exists()


def test_fix_and_diff_do_not_use_the_cache(project):
    _run(project, "a.py", "--diff")
    assert not (project / cache_mod.CACHE_DIR).exists()
    _run(project, "a.py")  # populate
    code, out, _ = _run(project, "a.py", "--fix")
    assert "Fixed" in out or "fixed" in out
    assert "keras.layers.core" not in (project / "a.py").read_text()
    # the fixed file has new content: the next check does not reuse the old findings
    assert "KL402 [*] `keras.layers.core`" not in _run(project, "a.py")[1]


def test_corrupt_cache_is_ignored(project):
    cold = _run(project, ".")
    (path,) = _cache_files(project)
    for garbage in (b"\x00\xff not json", b'{"format": 1, "files": {"a.py": {"h": 1, "d": "x"}}}', b"[]",
                    json.dumps({"format": 1, "files": {"a.py": {"h": "?", "r": "?", "d": [["x"]]}}}).encode()):
        path.write_bytes(garbage)
        assert _run(project, ".") == cold
    # a damaged entry whose hash still matches: linted again, not a crash
    _run(project, ".")
    data = json.loads(path.read_text())
    data["files"]["a.py"]["d"] = [["not", "a", "diagnostic"]]
    path.write_text(json.dumps(data))
    assert _run(project, ".") == cold


def test_unwritable_cache_dir_still_lints(project):
    cold = _run(project, ".", "--no-cache")
    root = project / cache_mod.CACHE_DIR
    root.write_text("a file where the cache directory should be")
    assert _run(project, ".") == cold
    root.unlink()
    _run(project, ".")
    (path,) = _cache_files(project)
    path.unlink()
    path.mkdir()  # the cache file cannot be read nor replaced (root ignores permissions: this it cannot)
    (project / "a.py").write_text(FINDINGS + "import tensorflow as tf\nsess = tf.Session()\n")
    code, out, err = _run(project, ".")
    assert err == "" and "KL405" in out
    assert _run(project, ".") == (code, out, err)


def test_unwritable_cache_in_process(project, monkeypatch):
    """As root, permissions do not stop writes: the OS refusal is simulated instead."""
    monkeypatch.chdir(project)

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_mod.tempfile, "mkstemp", refuse)
    monkeypatch.setattr(cache_mod.os, "makedirs", refuse)
    monkeypatch.setattr(cache_mod.os, "mkdir", refuse)
    from keras_lint import cli

    assert cli.main(["a.py", "--exit-zero"]) == 0
    assert not (project / cache_mod.CACHE_DIR).exists()


def test_clean_cache(project):
    _run(project, "a.py")
    assert (project / cache_mod.CACHE_DIR).is_dir()
    code, _, err = _run(project, "--clean-cache")
    assert code == 0 and "removed" in err
    assert not (project / cache_mod.CACHE_DIR).exists()


def test_cache_lives_next_to_the_config(project):
    sub = project / "pkg"
    sub.mkdir()
    (sub / "m.py").write_text(FINDINGS)
    _run(sub, "m.py")
    assert (project / cache_mod.CACHE_DIR).is_dir() and not (sub / cache_mod.CACHE_DIR).exists()
    assert set(_entries(project)) == {"pkg/m.py"}


def test_code_change_invalidates(project, monkeypatch):
    fp = cache_mod.fingerprint(["KL401"], "keras3", False)
    monkeypatch.setattr(cache_mod, "_code_hash", "something else")
    assert cache_mod.fingerprint(["KL401"], "keras3", False) != fp


def test_profile_prints_a_table(project):
    code, out, err = _run(project, ".", "--profile", "-j", "1")
    assert "KL402" in out
    assert "parse" in err and "positions" in err and "KL402" in err and "traversal" in err
    assert not (project / cache_mod.CACHE_DIR).exists()  # --profile measures linting, not the cache
