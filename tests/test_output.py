"""Machine-readable output (issue 15), end to end through the installed ``keras-lint``: SARIF
validated against the OASIS 2.1.0 schema and checked against what GitHub code scanning documents,
GitHub annotation levels, and ``--statistics`` in every format."""
import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from keras_lint import sarif
from keras_lint.registry import all_rules
from util import keras_lint

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
OLD = "import keras\nfrom keras.layers.core import Dense\nimport keras.engine.topology as topology\n"
KL102_SRC = "import keras\nx = keras.Input((4,))\ny = keras.layers.Dense(2)(x[:, 1:3])\n"  # opt-in rule
KL501_SRC = "import tensorflow as tf\nidx = tf.where(tf.constant([True, False]))\n"  # advisory, on by default
NOTEBOOK = json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {},
                                  "outputs": [], "source": ["import keras\n", "from keras.layers.core import Dense"]}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def validate(log: dict) -> dict:
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(log)
    return log


def run_sarif(*args, cwd, stdin=None):
    r = keras_lint(*args, "--output-format", "sarif", cwd=cwd, stdin=stdin)
    return r, validate(json.loads(r.stdout))


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "old.py").write_text(OLD)
    return tmp_path


def test_the_schema_check_can_fail():
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})  # a driver needs a name


def test_sarif_rules_as_github_documents_them(project):
    r, log = run_sarif("src", cwd=project)
    driver = log["runs"][0]["tool"]["driver"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == ["KL001"] + list(all_rules())
    for rule in driver["rules"]:
        short = rule["shortDescription"]["text"]
        assert not re.search(r"\{\w+\}", short), short  # a sentence, never the message template
        assert short.endswith(".") and short[0].isupper(), short
        assert len(rule["fullDescription"]["text"]) <= 1024
        assert rule["helpUri"].startswith("https://github.com/keras-lint/keras-lint/blob/main/")
        assert rule["help"]["markdown"]
    assert driver["rules"][ids.index("KL402")]["helpUri"].endswith("/docs/rules/KL402.md")


def test_sarif_results(project):
    r, log = run_sarif("src", cwd=project)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True and r.returncode == 1
    results = run["results"]
    assert [res["ruleId"] for res in results] == ["KL402", "KL402"]
    rules = run["tool"]["driver"]["rules"]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == "error"
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "src/old.py", "uriBaseId": "%SRCROOT%"}
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 36}


def test_sarif_fix_is_the_fix(project):
    """Applying the SARIF replacement to the file gives what --fix writes."""
    _, log = run_sarif("src", cwd=project)
    res = log["runs"][0]["results"][0]
    (change,) = res["fixes"][0]["artifactChanges"]
    (rep,) = change["replacements"]
    region, text = rep["deletedRegion"], rep["insertedContent"]["text"]
    lines = OLD.splitlines(keepends=True)
    assert region["startLine"] == region["endLine"] == 2
    line = lines[1]
    lines[1] = line[: region["startColumn"] - 1] + text + line[region["endColumn"] - 1:]
    keras_lint("src", "--fix", cwd=project)
    assert "".join(lines) == (project / "src" / "old.py").read_text()
    assert "fixes" not in log["runs"][0]["results"][1]  # `import keras.engine.topology as ...`: no fix


def test_sarif_same_uris_from_a_subdirectory(project):
    _, top = run_sarif("src", cwd=project)
    _, sub = run_sarif("old.py", cwd=project / "src")
    uris = lambda log: [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert uris(top) == uris(sub) == [{"uri": "src/old.py", "uriBaseId": "%SRCROOT%"}] * 2
    fps = lambda log: [r["partialFingerprints"] for r in log["runs"][0]["results"]]
    assert fps(top) == fps(sub)


def test_sarif_without_pyproject_uses_the_git_root(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(OLD)
    _, log = run_sarif("m.py", cwd=tmp_path / "pkg")
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"}


@pytest.mark.parametrize("name", ["my dir/modèle.py", "50%.py", "a#b?.py", "comma,colon:semi;.py", "模型.py"])
def test_sarif_odd_file_names_are_percent_encoded(project, name):
    path = project / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(OLD)
    _, log = run_sarif(name, cwd=project)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert re.fullmatch(r"[A-Za-z0-9\-._~/%!$&'()*+,;=:@]+", uri), uri  # RFC 3986 path characters only
    assert "#" not in uri and "?" not in uri and " " not in uri
    assert unquote(uri) == name


def test_sarif_file_outside_the_root(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere") / "x y.py"
    other.write_text(OLD)
    _, log = run_sarif(str(other), cwd=project)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert "uriBaseId" not in loc and loc["uri"] == other.resolve().as_uri()


def test_sarif_stdin(project):
    r, log = run_sarif("-", "--stdin-filename", "src/piped.py", cwd=project, stdin=OLD.encode())
    results = log["runs"][0]["results"]
    assert [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in results] == ["src/piped.py"] * 2
    assert all(res["partialFingerprints"] for res in results)
    assert "fixes" in results[0]
    r, log = run_sarif("-", cwd=project, stdin=b"import keras\ndef f(:\n")
    assert log["runs"][0]["results"][0]["ruleId"] == "KL001"


def test_sarif_unlintable_files(project):
    (project / "src" / "broken.py").write_text("import keras\nprint 'hello'\n")
    r, log = run_sarif("src", "missing.py", cwd=project)
    run = log["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["src/broken.py", "missing.py"]
    assert all(n["level"] == "error" and n["descriptor"]["id"] == "KL001" for n in notes)
    kl001 = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: res
             for res in run["results"] if res["ruleId"] == "KL001"}
    assert set(kl001) == {"src/broken.py", "missing.py"}
    assert kl001["src/broken.py"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert "Python 2" in kl001["src/broken.py"]["message"]["text"]
    assert r.returncode == 1 and r.stderr == b""


def test_sarif_levels_by_rule(project):
    (project / "src" / "slice.py").write_text(KL102_SRC)
    (project / "src" / "where.py").write_text(KL501_SRC)
    _, log = run_sarif("src", "--extend-select", "KL102", cwd=project)
    levels = {res["ruleId"]: res["level"] for res in log["runs"][0]["results"]}
    assert levels == {"KL102": "warning", "KL402": "error", "KL501": "warning"}
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["KL502"]["defaultConfiguration"] == {"level": "warning", "enabled": False}


def test_sarif_fingerprints_are_stable_and_distinct(project):
    path = project / "src" / "twice.py"
    path.write_text("import keras\nfrom keras.layers.core import Dense\nfrom keras.layers.core import Dense\n")
    fps = lambda log: [r["partialFingerprints"]["kerasLint/v1"] for r in log["runs"][0]["results"]]
    _, before = run_sarif("src/twice.py", cwd=project)
    path.write_text("import keras\n\n# an unrelated edit\nx = 1\nfrom  keras.layers.core import Dense\n"
                    "from keras.layers.core import Dense\n")
    _, after = run_sarif("src/twice.py", cwd=project)
    assert len(set(fps(before))) == 2  # identical lines: told apart by their order
    assert fps(before) == fps(after)


def test_sarif_notebook_points_into_the_file(project):
    (project / "nb.ipynb").write_text(NOTEBOOK)
    _, log = run_sarif("nb.ipynb", cwd=project)
    (res,) = log["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    row = NOTEBOOK.splitlines()[region["startLine"] - 1]
    assert row[region["startColumn"] - 1:].startswith("from keras.layers.core")
    assert res["properties"] == {"cell": 1, "cellLine": 2, "cellColumn": 1}
    # its fix is an edit of the .ipynb file: applied, it gives what --fix writes
    (rep,) = res["fixes"][0]["artifactChanges"][0]["replacements"]
    region = rep["deletedRegion"]
    assert region["startLine"] == region["endLine"]
    rows = NOTEBOOK.splitlines(keepends=True)
    row = rows[region["startLine"] - 1]
    rows[region["startLine"] - 1] = (row[: region["startColumn"] - 1] + rep["insertedContent"]["text"]
                                     + row[region["endColumn"] - 1:])
    keras_lint("nb.ipynb", "--fix", cwd=project)
    assert "".join(rows) == (project / "nb.ipynb").read_text()


# -- GitHub annotations ---------------------------------------------------------------------------

def test_github_levels_and_positions(project):
    (project / "src" / "slice.py").write_text(KL102_SRC)
    (project / "src" / "where.py").write_text(KL501_SRC)
    (project / "nb.ipynb").write_text(NOTEBOOK)
    r = keras_lint("src", "nb.ipynb", "--extend-select", "KL102", "--output-format", "github", cwd=project)
    out = r.stdout.decode().splitlines()
    assert [line.split(" ")[0] for line in out] == ["::error", "::error", "::error", "::warning", "::warning"]
    row = next(i for i, text in enumerate(NOTEBOOK.splitlines(), 1) if "keras.layers.core" in text)
    assert out[0].startswith(f"::error title=keras-lint (KL402),file=nb.ipynb,line={row},col=6,")
    assert "::KL402 (cell 1, line 2) " in out[0]
    assert out[3].startswith("::warning title=keras-lint (KL102),file=src/slice.py,line=3,col=")


def test_github_escapes_file_names(project):
    name = "a,b:c%d.py"
    (project / name).write_text(OLD)
    out = keras_lint(name, "--output-format", "github", cwd=project).stdout.decode().splitlines()
    assert out[0].startswith("::error title=keras-lint (KL402),file=a%2Cb%3Ac%25d.py,line=2,col=1,")


# -- --statistics in every format -----------------------------------------------------------------

def test_statistics_text_is_just_the_table(project):
    r = keras_lint("src", "missing.py", "--statistics", cwd=project)
    assert r.stdout.decode().splitlines() == ["    2\tKL402\t[*] moved-keras-import",
                                              "    1\tKL001\t[ ] unlintable-file"]
    assert r.returncode == 1


def test_statistics_json_is_json(project):
    r = keras_lint("src", "--statistics", "--output-format", "json", cwd=project)
    assert json.loads(r.stdout) == [{"code": "KL402", "name": "moved-keras-import", "count": 2, "fixable": True}]


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_statistics_never_corrupt_sarif_or_github(project, fmt):
    plain = keras_lint("src", "--output-format", fmt, cwd=project)
    r = keras_lint("src", "--statistics", "--output-format", fmt, cwd=project)
    assert r.stdout == plain.stdout
    if fmt == "sarif":
        validate(json.loads(r.stdout))
    assert r.stderr.decode().splitlines() == ["    2\tKL402\t[*] moved-keras-import"]


def test_statistics_with_diff_keeps_the_diff_clean(project):
    r = keras_lint("src", "--statistics", "--diff", cwd=project)
    assert r.stdout.decode().startswith("--- a/src/old.py")
    assert "\t" not in r.stdout.decode()
    # what remains once the diff is applied: the import the fix cannot move
    assert r.stderr.decode().splitlines() == ["Would fix 1 problem.", "    1\tKL402\t[ ] moved-keras-import"]


def test_short_description_is_the_first_sentence():
    for rule in all_rules().values():
        short = sarif.short_description(rule)
        what = " ".join(rule.doc_sections()["What it does"].split())
        assert what.startswith(short[:-1]) and short.endswith("."), (rule.code, short)
        assert "\n" not in short and len(short) <= 1024 and len(short) < len(what) + 2


def test_kl001_docs(project):
    r = keras_lint("rule", "KL001", cwd=project)
    assert r.returncode == 0 and r.stdout.decode().startswith("# KL001 (unlintable-file)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety",
                    "## References"):
        assert section in r.stdout.decode()


def test_no_workflow_command_injection_through_file_names(project):
    """A file name with a newline and `::warning ...` must not become a command, on stdout
    (annotations, text) or stderr (a file whose fix cannot be written)."""
    import os
    import stat

    name = "evil\n::warning file=x::pwned.py"
    (project / name).write_text(OLD)
    (project / "locked.py").write_text(OLD)
    os.chmod(project / "locked.py", stat.S_IRUSR)
    try:
        for args in (["--output-format", "github"], [], ["--fix", "--output-format", "github"], ["--fix"]):
            r = keras_lint(name, "locked.py", *args, cwd=project)
            for stream in (r.stdout, r.stderr):
                for line in stream.decode().splitlines():
                    assert not line.startswith("::warning"), line
                    assert line.startswith("::error") or "pwned" not in line or "evil\\n::warning" in line, line
        assert "locked.py: error: file is read-only; not written" in r.stderr.decode()
    finally:
        os.chmod(project / "locked.py", stat.S_IRUSR | stat.S_IWUSR)
