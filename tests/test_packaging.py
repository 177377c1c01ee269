"""Start-up cost and what a wheel holds: measured on the installed package, as users get it."""
import subprocess
import sys
import zipfile

import pytest

from util import run

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _imports(code: str, *args) -> str:
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    return r.stderr.decode()


def test_version_does_not_import_libcst():
    log = _imports("import sys; from keras_lint.cli import main; sys.argv[1:] = ['--version']; main()")
    assert "keras_lint.cli" in log and " libcst" not in log


def test_flake8_plugin_load_does_not_import_libcst():
    log = _imports("import keras_lint.flake8_plugin")
    assert "keras_lint.flake8_plugin" in log and " libcst" not in log


def test_flake8_without_kl_codes_never_imports_libcst(tmp_path):
    (tmp_path / "m.py").write_text("import keras\nx = 1\n")
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "flake8", "--select", "E,F", "m.py"],
                       cwd=tmp_path, capture_output=True, timeout=300)
    log = r.stderr.decode()
    assert "keras_lint.catalog" in log  # the plugin was loaded (the catalog is what it imports) ...
    assert " libcst" not in log  # ... and cost no LibCST import,
    assert "keras_lint.settings" not in log  # nor even the configuration machinery (no KL code selected)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(out)],
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {r.stderr.decode()[-300:]}")
    return next(out.glob("keras_lint-*.whl"))


def test_wheel_contents_and_metadata(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "keras_lint/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for code in (p.name for p in (ROOT / "fixtures").glob("KL*")):
        assert f"keras_lint/fixtures/{code}/expect.toml" in names
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in meta and "Classifier: Typing :: Typed" in meta
    assert "Project-URL: Source, https://github.com/keras-lint/keras-lint" in meta
    assert "Requires-Dist: flake8" in meta and 'extra == "flake8"' in meta  # flake8 is an extra


def test_verify_finds_the_shipped_fixtures(wheel, tmp_path):
    """`keras-lint verify` from an install (not a checkout) finds keras_lint/fixtures."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-c", "from keras_lint.harness.cli import default_fixtures; "
                        "print(default_fixtures())"], cwd=elsewhere, capture_output=True, timeout=300,
                       env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert r.stdout.decode().strip() == str(target / "keras_lint" / "fixtures"), r.stderr.decode()
    assert (target / "keras_lint" / "fixtures" / "KL401" / "bad.py").is_file()


def test_keras_lint_runs_without_flake8(tmp_path):
    """flake8 is an extra: the CLI, and loading the plugin module, never import it."""
    (tmp_path / "m.py").write_text("from keras.layers.core import Dense\n")
    code = ("import sys; sys.modules['flake8'] = None\n"  # `import flake8` now fails
            "import keras_lint.flake8_plugin\n"
            "from keras_lint.cli import main; sys.exit(main(['--no-cache', 'm.py']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=300)
    assert r.returncode == 1 and b"m.py:1:1: KL402" in r.stdout, r.stderr.decode()[-2000:]
