"""KL002 unused-noqa: the engine hook (what noqa hid, per line), the rule's verdicts and fix, and
the installed CLI in temporary trees (report, fix, --add-noqa, config, notebooks, flake8)."""
import json

import pytest

from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import enabled_rules
from util import keras_lint, run

OBTAIN = "from keras.applications.imagenet_utils import _obtain_input_shape"
CORE = "from keras.layers.core import Dense"


def _settings(*codes, **kw):
    return Settings(enabled_rules(extend_select=["KL002", *codes]), **kw)


def _kl002(source: str, settings=None):
    result = lint_source(source.encode(), "m.py", settings or _settings())
    assert result.error is None, result.error
    return [(d.line, d.message) for d in result.diagnostics if d.code == "KL002"]


def _fixed(source: bytes, settings=None) -> bytes:
    result = fix_source(source, "m.py", settings or _settings())
    assert result.error is None, result.error
    return source if result.fixed_source is None else result.fixed_source


# -- verdicts -----------------------------------------------------------------------------------

def test_used_codes_are_quiet_unused_ones_reported():
    src = (f"{OBTAIN}  # noqa: KL401\n"          # hides KL401: used
           "import keras  # noqa: KL401\n"       # nothing to hide: unused
           f"{CORE}  # noqa: KL40, KL401\n"      # KL40 hides KL402; KL401 hides nothing
           f"{OBTAIN}  # noqa: KL4\n")           # a prefix that hid the finding
    assert _kl002(src) == [(2, "Unused `noqa` directive (unused: `KL401`)"),
                           (3, "Unused `noqa` directive (unused: `KL401`)")]


def test_unknown_codes_and_prefixes():
    src = ("import keras  # noqa: KL999\n"
           "import keras  # noqa: KL9, E501\n"
           f"{OBTAIN}  # noqa: KL4011, KL401\n"   # longer than any code: matches none
           "import keras  # noqa: KL041\n")
    assert _kl002(src) == [(1, "Unused `noqa` directive (unknown: `KL999`)"),
                           (2, "Unused `noqa` directive (unknown: `KL9`)"),
                           (3, "Unused `noqa` directive (unknown: `KL4011`)"),
                           (4, "Unused `noqa` directive (unknown: `KL041`)")]


def test_unused_and_unknown_in_one_message():
    assert _kl002("import keras  # noqa: KL401, KL999, KL402\n") == [
        (1, "Unused `noqa` directive (unused: `KL401`, `KL402`; unknown: `KL999`)")]


def test_codes_of_rules_that_are_off_are_not_unused():
    # KL102 and KL502 are opt-in, not selected here; KL401 is ignored in this run
    src = ("import keras  # noqa: KL102\nimport keras  # noqa: KL5\nimport keras  # noqa: KL401\n"
           "import keras  # noqa: KL3\n")
    settings = Settings(enabled_rules(extend_select=["KL002"], ignore=["KL401"]))
    # KL5 covers KL502, which is off: quiet; every KL3 rule is on: unused
    assert _kl002(src, settings) == [(4, "Unused `noqa` directive (unused: `KL3`)")]
    assert _kl002(src, _settings("KL502")) == [(2, "Unused `noqa` directive (unused: `KL5`)"),
                                               (3, "Unused `noqa` directive (unused: `KL401`)"),
                                               (4, "Unused `noqa` directive (unused: `KL3`)")]
    # a file-level exemption turns the rules off for the file
    assert _kl002("# keras-lint: noqa: KL4\nimport keras  # noqa: KL401\n") == []
    # the same code, the rule on: reported
    assert _kl002("import keras  # noqa: KL102\n", _settings("KL102")) == [
        (1, "Unused `noqa` directive (unused: `KL102`)")]


def test_what_is_not_ours_or_not_a_comment_is_left_alone():
    src = ("import keras  # noqa\n"
           "import keras  # noqa: E501, F401, RUF100\n"
           "import keras  # noqa: kl999\n"
           'x = "# noqa: KL999"\n'
           "x = '# noqa: E501'  # noqa: KL999\n"   # the engine reads the string's noqa on this line
           'y = """\n# noqa: KL999\n"""\n')
    assert _kl002(src) == []


def test_kl001_in_noqa_is_always_unused():
    assert _kl002("import keras  # noqa: KL001\n") == [(1, "Unused `noqa` directive (unused: `KL001`)")]


def test_a_line_can_opt_out_of_kl002():
    assert _kl002("import keras  # noqa: KL999, KL002\n") == []
    assert _kl002("import keras  # noqa: KL0, KL999\n") == []


def test_flake8_mode_is_silent():
    """flake8 applies noqa itself (Settings.noqa False): KL002 cannot know what was used."""
    result = lint_source(b"import keras  # noqa: KL999\n", "m.py", _settings(noqa=False))
    assert result.diagnostics == []


# -- fix ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("before,after", [
    (f"{OBTAIN}  # noqa: KL401, KL999\n", f"{OBTAIN}  # noqa: KL401\n"),
    ("import keras  # noqa: E501, KL401\n", "import keras  # noqa: E501\n"),
    ("import keras  # noqa: KL401\n", "import keras\n"),
    ("import keras  # noqa: KL401  \n", "import keras\n"),
    ("import keras  # noqa: KL401 -- old reason\n", "import keras  # -- old reason\n"),
    ("import keras  # pylint: disable=x  # noqa: KL401\n", "import keras  # pylint: disable=x\n"),
    ("import keras\n# noqa: KL401\nx = 1\n", "import keras\nx = 1\n"),
    ("import keras\nif True:\n    x = 1  # noqa: KL401\n", "import keras\nif True:\n    x = 1\n"),
])
def test_fix_removes_codes_then_the_directive(before, after):
    got = _fixed(before.encode()).decode()
    assert got == after
    assert _fixed(got.encode()).decode() == after  # a second run changes nothing


def test_fix_beside_another_rules_fix_on_the_same_line():
    got = _fixed(f"{CORE}  # noqa: KL999\n".encode())
    assert got == b"from keras.layers import Dense\n"
    assert _fixed(got) == got


def test_fix_keeps_line_endings_and_encoding_byte_for_byte():
    src = ("# -*- coding: latin-1 -*-\r\nimport keras  # noqa: KL401, E501 \xe9t\xe9\r\n"
           "s = '\xe9'\r\n").encode("latin-1")
    got = _fixed(src)
    assert got == src.replace(b"KL401, ", b"")


# -- the installed CLI --------------------------------------------------------------------------

SOURCE = (f"{OBTAIN}  # noqa: KL401\n"
          "import keras  # noqa: KL402, E501\n"
          "x = 1  # noqa: KL999\n"
          "y = 2  # noqa: KL102\n")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "m.py").write_text(SOURCE)
    return tmp_path


def _findings(r):
    return [(d["line"], d["code"], d["message"]) for d in json.loads(r.stdout)]


def test_cli_reports_unused_and_unknown_only_when_selected(project):
    r = keras_lint("check", "m.py", "--output-format", "json", cwd=project)
    assert r.returncode == 0 and _findings(r) == []  # opt-in: off by default
    r = keras_lint("check", "m.py", "--extend-select", "KL002", "--output-format", "json", cwd=project)
    assert r.returncode == 1, r.stderr
    assert _findings(r) == [(2, "KL002", "Unused `noqa` directive (unused: `KL402`)"),
                            (3, "KL002", "Unused `noqa` directive (unknown: `KL999`)")]
    # the same from the configuration
    (project / "pyproject.toml").write_text('[tool.keras-lint]\nextend-select = ["KL002"]\n')
    r = keras_lint("check", "m.py", "--output-format", "json", cwd=project)
    assert [c for _, c, _ in _findings(r)] == ["KL002", "KL002"]
    # and selected alone: KL401/KL402 are off, only the unknown code is left to say
    r = keras_lint("check", "m.py", "--select", "KL002", "--output-format", "json", cwd=project)
    assert _findings(r) == [(3, "KL002", "Unused `noqa` directive (unknown: `KL999`)")]


def test_cli_fix_is_idempotent(project):
    r = keras_lint("check", "m.py", "--extend-select", "KL002", "--fix", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    fixed = (project / "m.py").read_text()
    assert fixed == (f"{OBTAIN}  # noqa: KL401\n"
                     "import keras  # noqa: E501\n"
                     "x = 1\n"
                     "y = 2  # noqa: KL102\n")
    r = keras_lint("check", "m.py", "--extend-select", "KL002", "--fix", cwd=project)
    assert r.returncode == 0 and (project / "m.py").read_text() == fixed


def test_add_noqa_adds_only_used_codes(project):
    (project / "n.py").write_text(f"{CORE}\n{OBTAIN}  # noqa: E501\nimport keras  # noqa: KL999\n")
    r = keras_lint("check", "n.py", "--extend-select", "KL002", "--add-noqa", cwd=project)
    assert r.returncode == 0, r.stderr
    # KL002's own finding gets no noqa: that would hide the stale code instead of removing it
    assert (project / "n.py").read_text() == (f"{CORE}  # noqa: KL402\n{OBTAIN}  # noqa: E501, KL401\n"
                                              "import keras  # noqa: KL999\n")
    r = keras_lint("check", "n.py", "--extend-select", "KL002", "--output-format", "json", cwd=project)
    assert _findings(r) == [(3, "KL002", "Unused `noqa` directive (unknown: `KL999`)")]


def test_notebook_cells(project):
    from test_notebooks import notebook

    cells = [("code", "import keras\nx = 1  # noqa: KL999\n"),
             ("code", f"%matplotlib inline\n{OBTAIN}  # noqa: KL401, KL402\n")]
    (project / "nb.ipynb").write_bytes(notebook(*cells))
    r = keras_lint("check", "nb.ipynb", "--extend-select", "KL002", "--output-format", "json", cwd=project)
    got = [(d["cell"], d["line"], d["message"]) for d in json.loads(r.stdout)]
    assert got == [(1, 2, "Unused `noqa` directive (unknown: `KL999`)"),
                   (2, 2, "Unused `noqa` directive (unused: `KL402`)")]
    r = keras_lint("check", "nb.ipynb", "--extend-select", "KL002", "--fix", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    fixed = (project / "nb.ipynb").read_bytes()
    assert fixed == notebook(("code", "import keras\nx = 1\n"),
                             ("code", f"%matplotlib inline\n{OBTAIN}  # noqa: KL401\n"))
    keras_lint("check", "nb.ipynb", "--extend-select", "KL002", "--fix", cwd=project)
    assert (project / "nb.ipynb").read_bytes() == fixed


def test_flake8_never_reports_it(project):
    r = run("flake8", "--select", "KL,KL002", "--isolated", "m.py", cwd=project)
    assert "KL002" not in r.stdout.decode() and r.returncode == 0, r.stdout + r.stderr


def test_comment_positions_match_libcsts_public_path(monkeypatch):
    """positions.comments_where (one codegen pass) against its fallback (LibCST's PositionProvider)."""
    import libcst as cst

    from keras_lint import positions

    src = ("import keras  # noqa: KL401\r\n# noqa: KL9 alone\r\nx = (1,  # noqa: E501\r\n"
           "     'é')  # no-qa\r\nclass A:\r\n    y = 1  # NOQA: KL4\r\n")
    module = cst.parse_module(src)
    keep = lambda text: "noqa" in text.lower()  # noqa: E731
    fast, code = positions.comments_where(module, keep)
    monkeypatch.setattr(positions, "PositionProvidingCodegenState", None)
    slow, slow_code = positions.comments_where(module, keep)
    as_set = lambda found: {(type(h).__name__, c.value, line, col) for h, c, line, col in found}  # noqa: E731
    assert code == slow_code == src
    assert as_set(fast) == as_set(slow) == {
        ("TrailingWhitespace", "# noqa: KL401", 1, 14), ("EmptyLine", "# noqa: KL9 alone", 2, 0),
        ("TrailingWhitespace", "# noqa: E501", 3, 9), ("TrailingWhitespace", "# NOQA: KL4", 6, 11)}


def test_cli_per_file_ignores_turn_codes_off(project):
    """A rule ignored for the file does not run there: its codes in noqa are left alone."""
    (project / "pyproject.toml").write_text('[tool.keras-lint]\nextend-select = ["KL002"]\n'
                                            '[tool.keras-lint.per-file-ignores]\n"m.py" = ["KL402"]\n')
    r = keras_lint("check", "m.py", "--output-format", "json", cwd=project)
    assert _findings(r) == [(3, "KL002", "Unused `noqa` directive (unknown: `KL999`)")]
    r = keras_lint("check", "m.py", "--per-file-ignores", "m.py:KL0", "--output-format", "json", cwd=project)
    assert r.returncode == 0 and _findings(r) == []  # KL002 itself ignored for the file
