"""Real-code crash test on a deterministic sample of the keras, tf_keras and tensorflow wheels.

The full run (every file) is ``python scripts/crash_test.py``; its numbers are in the notes.
Here every 30th file: zero crashes, and every ``--fix --unsafe-fixes`` output re-parses and is
idempotent (the script checks both per file).
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import crash_test  # noqa: E402

SAMPLE_EVERY = 30


@pytest.fixture(scope="module")
def sample():
    root = crash_test.site_packages()
    missing = [p for p in crash_test.PACKAGES if not os.path.isdir(os.path.join(root, p))]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (pip install keras-lint[harness])")
    files = crash_test.collect(root, every=SAMPLE_EVERY)
    return files, crash_test.run(files, jobs=2, timeout=300)


def test_sample_covers_all_three_packages(sample):
    files, _ = sample
    root = crash_test.site_packages()
    assert {os.path.relpath(f, root).split(os.sep)[0] for f in files} == set(crash_test.PACKAGES)
    assert len(files) >= 100


def test_zero_crashes_on_real_code(sample):
    files, results = sample
    assert [r["path"] for r in results] == files
    crashes = [(r["path"], r["crash"], r.get("traceback", "")) for r in results if "crash" in r]
    assert crashes == []


def test_real_code_is_not_declined(sample):
    """The guards (size, nesting, chain length) must not refuse ordinary code."""
    _, results = sample
    assert [(r["path"], r["error"]) for r in results if "error" in r] == []


def test_some_real_files_get_fixed(sample):
    _, results = sample
    assert any(r["fixed"] for r in results) and any(r["problems"] for r in results)


def test_check_file_reports_a_broken_fix(monkeypatch, tmp_path):
    """The script itself notices a fix whose output does not parse, or that is not idempotent."""
    from keras_lint import engine
    from keras_lint.engine import FileResult

    path = tmp_path / "x.py"
    path.write_text("import keras\n")

    monkeypatch.setattr(engine, "fix_source", lambda src, p, s: FileResult(p, fixed_source=b"def f(:\n"))
    assert crash_test.check_file(str(path))["crash"].startswith("fixed output does not parse")
    monkeypatch.setattr(engine, "fix_source", lambda src, p, s: FileResult(p, fixed_source=src + b"x = 1\n"))
    assert crash_test.check_file(str(path))["crash"] == "fix is not idempotent: a second fix changed the file again"

    def boom(src, p, s):
        raise RuntimeError("escaped")

    monkeypatch.setattr(engine, "fix_source", boom)
    assert crash_test.check_file(str(path))["crash"] == "RuntimeError: escaped"


@pytest.mark.parametrize("sabotage,reason", [("segv", "worker process died (exit code -11)"),
                                             ("hang", "timeout after 3 s")])
def test_a_dying_or_hanging_worker_costs_one_file(tmp_path, monkeypatch, sabotage, reason):
    paths = []
    for name in ("a.py", "victim.py", "c.py"):
        (tmp_path / name).write_text("import keras\nfrom keras.layers.core import Dense\n")
        paths.append(str(tmp_path / name))
    monkeypatch.setenv("KERAS_LINT_CRASH_TEST_SABOTAGE", f"{sabotage}:victim.py")
    results = crash_test.run(paths, jobs=1, timeout=3)
    assert [r["path"] for r in results] == paths
    assert [r.get("crash") for r in results] == [None, reason, None]
    assert results[0]["fixed"] and results[2]["fixed"]
