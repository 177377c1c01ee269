"""Jupyter notebooks (issue 15), end to end through the installed ``keras-lint``: code cells linted
in order, magics and shell escapes skipped, positions by cell, noqa/per-file-ignores/excludes,
and ``--fix`` that changes only the edited cells' source, byte for byte."""
import json

import nbformat
import pytest

from keras_lint import notebooks
from keras_lint.engine import Settings
from keras_lint.registry import enabled_rules
from util import keras_lint


def notebook(*cells, indent=1, newline="\n", ensure_ascii=False, string_sources=False, nbformat_minor=5):
    """A notebook file's bytes. ``cells``: ("code" | "markdown", text), or a dict (used as is)."""
    out = []
    for i, cell in enumerate(cells):
        if isinstance(cell, dict):
            out.append(cell)
            continue
        kind, text = cell
        source = text if string_sources else text.splitlines(keepends=True)
        entry = {"cell_type": kind, "id": f"c{i:02d}", "metadata": {}, "source": source}
        if nbformat_minor < 5:  # cell ids came with format 4.5
            del entry["id"]
        if kind == "code":
            entry.update(execution_count=i, outputs=[{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}])
        out.append(entry)
    data = {"cells": out, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                       "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": nbformat_minor}
    text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii) + "\n"
    return text.replace("\n", newline).encode("utf-8")


IMPORTS = "%matplotlib inline\n!pip install -q keras\nimport keras\nfrom keras.layers.core import Dense\n"
TRAIN = ("files = !ls data\n"
         "model = keras.Sequential([Dense(2)])\n"
         "model.compile(optimizer=keras.optimizers.Adam(lr=0.1), loss='mse')  # modèle, 模型\n"
         "model.fit_generator(gen, 10)")
TRAIN_FIXED = TRAIN.replace("(lr=", "(learning_rate=").replace("fit_generator(gen, 10)", "fit(gen, steps_per_epoch=10)")
CELLS = (
    ("markdown", "# Training\nSome *text* é"),
    ("code", IMPORTS),
    ("code", ""),
    ("code", TRAIN),
    ("code", "def broken(:\n    pass\n"),
    ("code", "%%bash\nfrom keras.layers.core import Dense\n"),
    ("code", "%%time\nfrom keras.utils.np_utils import to_categorical  # noqa: KL402\nkeras.models.Model(input=x, output=y)\n"),
    ("code", "for i in range(2):\n    !echo $i\n    keras.backend.clear_session()\nkeras?\n"),
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    return tmp_path


def lines(r):
    return r.stdout.decode("utf-8").splitlines()


def test_text_positions_name_the_cell(project):
    (project / "train.ipynb").write_bytes(notebook(*CELLS))
    r = keras_lint("train.ipynb", cwd=project)
    out = lines(r)
    assert r.returncode == 1 and r.stderr == b"", r.stderr
    found = [line.split(" ", 2)[:2] for line in out[:-1]]
    assert found == [
        ["train.ipynb:cell", "2:4:1:"],   # KL402 after a magic and a shell escape
        ["train.ipynb:cell", "4:3:25:"],  # KL403: `keras` imported two cells earlier
        ["train.ipynb:cell", "4:4:1:"],   # KL404
        ["train.ipynb:cell", "5:1:12:"],  # KL001: the cell does not compile; the others are linted
        ["train.ipynb:cell", "7:3:1:"],   # KL403 after %%time; the noqa line above is quiet
    ], out
    assert [line.split(": ")[1].split()[0] for line in out[:-1]] == ["KL402", "KL403", "KL404", "KL001", "KL403"]
    assert out[3] == "train.ipynb:cell 5:1:12: KL001 syntax error: invalid syntax"
    assert out[-1] == "5 problems, 4 fixable with --fix (1 not linted: KL001)."


def test_json_has_the_cell(project):
    (project / "train.ipynb").write_bytes(notebook(*CELLS))
    (project / "plain.py").write_text("from keras.layers.core import Dense\n")
    data = json.loads(keras_lint("train.ipynb", "plain.py", "--output-format", "json", cwd=project).stdout)
    assert [(d["path"], d["cell"], d["line"], d["code"]) for d in data] == [
        ("plain.py", None, 1, "KL402"),
        ("train.ipynb", 2, 4, "KL402"), ("train.ipynb", 4, 3, "KL403"), ("train.ipynb", 4, 4, "KL404"),
        ("train.ipynb", 5, 1, "KL001"), ("train.ipynb", 7, 3, "KL403")]


def test_directories_find_notebooks_and_config_applies(project):
    (project / "nb").mkdir()
    (project / "nb" / "a.ipynb").write_bytes(notebook(("code", "from keras.layers.core import Dense\n")))
    (project / "nb" / ".ipynb_checkpoints").mkdir()
    (project / "nb" / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_bytes(
        notebook(("code", "from keras.layers.core import Dense\n")))
    (project / "skip").mkdir()
    (project / "skip" / "b.ipynb").write_bytes(notebook(("code", "from keras.layers.core import Dense\n")))
    (project / "quiet.ipynb").write_bytes(notebook(("code", "from keras.layers.core import Dense\n")))
    (project / "pyproject.toml").write_text(
        '[tool.keras-lint]\nexclude = ["skip"]\nper-file-ignores = { "quiet.ipynb" = ["KL402"] }\n')
    r = keras_lint(cwd=project)
    assert [line.split(":")[0] for line in lines(r)[:-1]] == ["nb/a.ipynb"]


def test_notebooks_without_findings(project):
    (project / "prose.ipynb").write_bytes(notebook(("markdown", "# keras notes\n`keras` is nice")))
    (project / "empty.ipynb").write_bytes(notebook())
    (project / "clean.ipynb").write_bytes(notebook(("code", "import keras\n"), ("code", ""), ("code", "%%bash\nls\n")))
    r = keras_lint("prose.ipynb", "empty.ipynb", "clean.ipynb", cwd=project)
    assert (r.returncode, lines(r), r.stderr) == (0, ["0 problems."], b"")


@pytest.mark.parametrize("content,message", [
    (b'{"cells": [{"keras"', "not a notebook: invalid JSON"),
    (b'["keras"]', "not a notebook: the JSON is not an object"),
    (b'{"cells": [], "keras": 1}', "not a notebook: no integer 'nbformat' version"),
    (b'{"nbformat": 4, "cells": {"keras": 1}}', "not a notebook: 'cells' is not a list of cells"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}], "x": "keras"}', "not a notebook: a cell's 'source'"),
    (b'\xff\xfe{"keras"', "not a notebook: cannot decode as UTF-8"),
])
def test_broken_notebooks_are_kl001(project, content, message):
    (project / "bad.ipynb").write_bytes(content)
    (project / "ok.ipynb").write_bytes(notebook(("code", "from keras.layers.core import Dense\n")))
    for flags in ([], ["--fix"]):
        r = keras_lint("bad.ipynb", "ok.ipynb", *flags, cwd=project)
        out = lines(r)
        assert r.returncode == 1 and r.stderr == b""
        assert any(line.startswith("bad.ipynb:") and f": KL001 {message}" in line for line in out), out
        assert (project / "bad.ipynb").read_bytes() == content
        if not flags:
            assert "ok.ipynb:cell 1:1:1: KL402" in r.stdout.decode()  # the run went on


def _validate(path):
    with open(path, encoding="utf-8") as fh:
        nbformat.validate(nbformat.read(fh, as_version=nbformat.NO_CONVERT))


@pytest.mark.parametrize("style", [
    dict(),
    dict(indent=2, ensure_ascii=True),
    dict(newline="\r\n"),
    dict(string_sources=True, indent=4),
    dict(nbformat_minor=4),
])
def test_fix_changes_only_the_edited_sources(project, style):
    cells = CELLS[:4] + CELLS[5:]  # no syntax error: the whole notebook fixes
    original = notebook(*cells, **style)
    (project / "train.ipynb").write_bytes(original)
    r = keras_lint("train.ipynb", "--fix", cwd=project)
    assert r.stderr == b"", r.stderr
    fixed_cells = list(cells)
    fixed_cells[1] = ("code", IMPORTS.replace("keras.layers.core", "keras.layers"))
    fixed_cells[3] = ("code", TRAIN_FIXED)
    fixed_cells[5] = ("code", cells[5][1].replace("(input=x, output=y)", "(inputs=x, outputs=y)"))
    after = (project / "train.ipynb").read_bytes()
    assert after == notebook(*fixed_cells, **style)  # outputs, ids, metadata, formatting all kept
    _validate(project / "train.ipynb")
    assert lines(r)[-1] == "Fixed 4 problems, 0 problems remaining."
    again = keras_lint("train.ipynb", "--fix", cwd=project)
    assert (project / "train.ipynb").read_bytes() == after and again.returncode == 0


def test_fix_keeps_a_cell_that_does_not_compile(project):
    original = notebook(*CELLS)
    (project / "train.ipynb").write_bytes(original)
    r = keras_lint("train.ipynb", "--fix", cwd=project)
    data = json.loads((project / "train.ipynb").read_bytes())
    assert "".join(data["cells"][4]["source"]) == CELLS[4][1]
    assert "".join(data["cells"][3]["source"]) == TRAIN_FIXED
    assert "".join(data["cells"][5]["source"]) == CELLS[5][1]  # %%bash: not Python, not touched
    assert lines(r)[:-1] == ["train.ipynb:cell 5:1:12: KL001 syntax error: invalid syntax"]
    assert r.returncode == 1


def test_diff_writes_nothing(project):
    original = notebook(*CELLS)
    (project / "train.ipynb").write_bytes(original)
    r = keras_lint("train.ipynb", "--diff", cwd=project)
    diff = r.stdout.decode()
    assert (project / "train.ipynb").read_bytes() == original
    assert '-    "from keras.layers.core import Dense\\n"' in diff
    assert '+    "from keras.layers import Dense\\n"' in diff
    assert "Would fix 4 problems." in r.stderr.decode()
    assert r.returncode == 1


def test_stdin_notebook(project):
    data = notebook(*CELLS[:4])
    r = keras_lint("-", "--stdin-filename", "in.ipynb", stdin=data, cwd=project)
    assert lines(r)[0].startswith("in.ipynb:cell 2:4:1: KL402")
    r = keras_lint("-", "--stdin-filename", "in.ipynb", "--fix", stdin=data, cwd=project)
    assert json.loads(r.stdout)["cells"][3]["source"] == TRAIN_FIXED.splitlines(keepends=True)


def test_nbformat_3_is_linted_not_fixed(project):
    v3 = {"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["hi"]},
        {"cell_type": "code", "collapsed": False, "input": ["import keras\n", "from keras.layers.core import Dense"],
         "language": "python", "metadata": {}, "outputs": []}], "metadata": {}}]}
    raw = json.dumps(v3).encode()
    (project / "old.ipynb").write_bytes(raw)
    r = keras_lint("old.ipynb", cwd=project)
    assert lines(r)[0].startswith("old.ipynb:cell 2:2:1: KL402")
    r = keras_lint("old.ipynb", "--fix", cwd=project)
    assert (project / "old.ipynb").read_bytes() == raw
    assert "cannot fix notebook format 3" in r.stderr.decode()


# -- in process: positions in the file, and the refusals ----------------------------------------

def test_file_positions_point_into_the_json():
    raw = notebook(*CELLS, newline="\r\n", ensure_ascii=True, indent=2)
    text = raw.decode()
    rows = text.split("\r\n")
    settings = Settings(enabled_rules())
    result = notebooks.lint_notebook(raw, "t.ipynb", settings)
    for d in result.diagnostics:
        row, col = notebooks.file_position(text, d.cell, d.line, d.column)
        cell_line = json.loads(text)["cells"][d.cell - 1]["source"][d.line - 1]
        assert json.loads(rows[row - 1].strip().rstrip(",")) == cell_line  # that line of the file
        escaped = json.dumps(cell_line[d.column - 1:], ensure_ascii=True)[1:-1]
        assert rows[row - 1][col - 1:].startswith(escaped[:12]), (d, rows[row - 1], col)  # at that column


def test_fix_across_cells_is_refused():
    raw = notebook(("code", "import keras\n"), ("code", "x = 1\n"))
    nb = notebooks.read(raw, "t.ipynb")
    moved = nb.module().replace("pass  # keras-lint notebook cell 2\n", "")
    with pytest.raises(notebooks.NotebookError, match="across cells"):
        notebooks._split(nb, moved)
    masked = notebooks.read(notebook(("code", "%time x = 1\nimport keras\n")), "t.ipynb")
    with pytest.raises(notebooks.NotebookError, match="magic"):
        notebooks._split(masked, masked.module().replace("pass  # [masked IPython line 1]", "pass"))


def test_magic_masking():
    nb = notebooks.read(notebook(("code", CELLS[7][1]), ("code", "%%writefile x.py\nimport keras\n"),
                                 ("code", "x = (1\n     % 2)\n!ls \\\n  -l\nimport keras\n")), "t.ipynb")
    loop, writefile, modulo = nb.cells
    assert loop.code.splitlines()[1] == "    pass  # [masked IPython line 1]"
    assert loop.code.splitlines()[3] == "pass  # [masked IPython line 2]"
    assert writefile.code == ""  # a cell magic that is not Python: skipped
    assert modulo.code.splitlines()[:2] == ["x = (1", "     % 2)"]  # a modulo, not a magic
    assert modulo.code.splitlines()[2:4] == ["pass  # [masked IPython line 1]", "pass  # [masked IPython line 2]"]


def test_cached_run_keeps_the_cells(project):
    (project / "train.ipynb").write_bytes(notebook(*CELLS))
    cold = keras_lint("train.ipynb", "--output-format", "json", cwd=project)
    assert (project / ".keras_lint_cache").is_dir()
    warm = keras_lint("train.ipynb", "--output-format", "json", cwd=project)
    assert warm.stdout == cold.stdout and json.loads(warm.stdout)[0]["cell"] == 2


def _split_at_statements(source: str, every: int):
    """A program cut into cells at top-level statement boundaries, every ``every`` statements:
    [(first line of the cell, its text)]."""
    import ast

    lines = source.splitlines(keepends=True)
    # a statement starts at its first decorator
    starts = [min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
              for node in ast.parse(source).body]
    cuts = sorted({1} | {s for i, s in enumerate(starts) if i % every == 0 and i})
    cells = []
    for a, b in zip(cuts, cuts[1:] + [len(lines) + 1]):
        cells.append((a, "".join(lines[a - 1:b - 1])))
    return cells


@pytest.mark.parametrize("every", [1, 3])
def test_a_program_in_cells_gets_the_same_findings(every):
    """Every fixture program, cut into cells: the same findings (and columns) as the .py file,
    each in the cell holding its line. Exercises every rule through the notebook path."""
    from pathlib import Path

    from keras_lint.engine import lint_source

    programs = sorted(Path(__file__).resolve().parent.parent.glob("fixtures/KL*/bad*.py"))
    assert len(programs) >= 18
    settings = Settings(enabled_rules(select=["ALL"]), unsafe_fixes=True)
    checked = 0
    for path in programs:
        source = path.read_text(encoding="utf-8")
        cells = _split_at_statements(source, every)
        raw = notebook(*[("code", text) for _, text in cells])
        as_py = lint_source(source.encode(), str(path), settings).diagnostics
        as_nb = notebooks.lint_notebook(raw, "x.ipynb", settings)
        assert as_nb.error is None, (path, as_nb.error)
        expected = []
        for d in as_py:
            number = max(i for i, (first, _) in enumerate(cells, 1) if first <= d.line)
            expected.append((d.code, number, d.line - cells[number - 1][0] + 1, d.column, d.message))
        got = [(d.code, d.cell, d.line, d.column, d.message) for d in as_nb.diagnostics]
        assert sorted(got) == sorted(expected), path
        checked += len(got)
        # and --fix applies the same fixes, to a notebook that compiles and needs no second pass
        from keras_lint.engine import fix_source

        py_fixed = fix_source(source.encode(), str(path), settings)
        nb_fixed = notebooks.fix_notebook(raw, "x.ipynb", settings)
        assert nb_fixed.error is None, (path, nb_fixed.error)
        applied = lambda r: sorted(d.code for d in r.diagnostics if d.fix_applied)  # noqa: E731
        assert applied(nb_fixed) == applied(py_fixed), path
        if nb_fixed.fixed_source is not None:
            fixed_nb = notebooks.read(nb_fixed.fixed_source, "x.ipynb")
            compile("".join(c.source + "\n" for c in fixed_nb.cells), str(path), "exec")
            again = notebooks.fix_notebook(nb_fixed.fixed_source, "x.ipynb", settings)
            assert again.fixed_source is None and not any(d.fix_applied for d in again.diagnostics), path
    assert checked > 40
