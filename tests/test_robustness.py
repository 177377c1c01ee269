"""Never crash, never corrupt (issue 8): every odd file found in real repositories, end to end
through the installed ``keras-lint``, plus the --fix guarantees.

A bad file gets exactly one KL001 finding (``path:line:col: KL001 reason``, issue 15), the run
goes on, the exit code is non-zero, and there is never a traceback. Odd but valid files (BOM, CRLF, tabs, ...) are
linted like any other.
"""
import os
import random
import re
import stat
import sys
import time

import pytest

from keras_lint import cli, files, registry
from keras_lint.engine import Settings, fix_source, lint_source
from keras_lint.registry import all_rules
from keras_lint.rule import Fix, Rule
from util import keras_lint

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
FINDING = "from keras.layers.core import Dense\n"  # KL402, safe fix: keras.layers.core -> keras.layers
FIXED = "from keras.layers import Dense\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    return tmp_path


def _err_lines(r):
    text = r.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in text, text
    return text.splitlines()


KL001_LINE = re.compile(r"^(?P<path>.*?):(?P<line>\d+):(?P<col>\d+): KL001 (?P<reason>.*)$")


def _errors_by_path(r):
    """{path: "line:col reason"} of the KL001 findings on stdout; stderr holds nothing else then
    fix failures (``path: error: reason``), which are included as they are."""
    out = {}
    for line in r.stdout.decode("utf-8", "backslashreplace").splitlines():
        m = KL001_LINE.match(line)
        if m:
            assert m["path"] not in out, f"two KL001 lines for {m['path']}"
            out[m["path"]] = f"{m['line']}:{m['col']} {m['reason']}"
    for line in _err_lines(r):
        path, sep, reason = line.partition(": error: ")
        assert sep, f"not a 'path: error: reason' line: {line!r}"
        assert path not in out, f"two error lines for {path}"
        out[path] = reason
    return out


# -- bad input ----------------------------------------------------------------------------------

# Valid Python that only LibCST cannot read must reach LibCST: an argmax lets KL601's gate through
# (a file no gate lets through is never parsed with LibCST, and has nothing to report).
GATED = b"import keras\nkeras.ops.argmax(y)\n"

BAD = {
    # name: (content, expected start of the reason)
    "syntax.py": (b"import keras\ndef f(:\n    pass\n", "2:7 syntax error: invalid syntax"),
    "py2_print.py": (b"import keras\nprint 'hello'\n",
                     "2:1 syntax error: Missing parentheses in call to 'print'. Did you mean print(...)?; "
                     "this is Python 2 code: convert it to Python 3 first"),
    "py2_exec.py": (b"import keras\nexec 'x = 1'\n", "2:1 syntax error: Missing parentheses in call to 'exec'"),
    "py2_octal.py": (b"import keras\nx = 0777\n", "2:5 syntax error: leading zeros"),
    "latin1_no_coding.py": (b"import keras\nname = 'caf\xe9'\n", "1:1 cannot decode: 'utf-8' codec can't decode byte 0xe9"),
    "unknown_coding.py": (b"# -*- coding: klingon -*-\nimport keras\n", "1:1 cannot decode: unknown encoding: klingon"),
    "bom_and_latin1_coding.py": (b"\xef\xbb\xbf# coding: latin-1\nimport keras\n", "1:1 cannot decode"),
    "nul_byte.py": (b"import keras\nx = 1\x00\n", "1:1 syntax error: source code string cannot contain null bytes"),
    "tabs_and_spaces.py": (b"import keras\nif True:\n\tx = 1\n        y = 2\n", "4:"),
    "deep_parens.py": (b"import keras\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n",
                       "2:205 syntax error: too many nested parentheses"),
    "deep_brackets.py": (b"import keras\nx = " + b"[{" * 3000 + b"}]" * 3000 + b"\n", "2:"),
    # LibCST is quadratic on these (a 20,000-term sum would take most of an hour): declined at once,
    # as LibCST's limit, not a syntax error
    "long_sum.py": (GATED + b"x = " + b" + ".join([b"1"] * 20000) + b"\n", "1:1 an expression nested 20000 levels deep"),
    "long_sum_2000.py": (GATED + b"x = " + b" + ".join([b"a"] * 2000) + b"\n",
                         "1:1 an expression nested 2000 levels deep"),
    "long_subscripts.py": (GATED + b"x = a" + b"[1]" * 1500 + b"\n", "1:1 an expression nested 1501 levels deep"),
    "long_calls.py": (GATED + b"x = (f" + b"()" * 1200 + b")\n", "1:1 an expression nested 1201 levels deep"),
    "long_attrs.py": (GATED + b"x = (keras" + b"\n    .a" * 1000 + b")\n", "1:1 an expression nested 1001 levels deep"),
    "long_sum_lines.py": (GATED + b"x = (1\n" + b"     + 1\n" * 1000 + b")\n",
                          "1:1 an expression nested 1001 levels deep"),
    # valid Python that LibCST's grammar rejects: said to be LibCST's limit
    "strings_4000.py": (GATED + b"x = (" + b" ".join([b"'a'"] * 4000) + b")\n",
                        "3:1 valid Python that LibCST cannot parse (a limitation of LibCST, not a syntax error)"),
    "form_feed_indent.py": (GATED + b"class C:\n  \x0c  def f(self):\n        return 1\n",
                            "1:1 valid Python that LibCST cannot parse (a limitation of LibCST, not a syntax error)"),
    # not an encoding Python reads: said so, not skipped as "no keras here"
    "utf16_bom.py": ("import keras\n".encode("utf-16"), "1:1 cannot decode: the file is UTF-16 text"),
    "utf16_no_bom.py": ("import keras\n".encode("utf-16-le"), "1:1 cannot decode: the file is UTF-16 text"),
    "utf32_bom.py": ("import keras\n".encode("utf-32"), "1:1 cannot decode: the file is UTF-32 text"),
}


def _junk() -> bytes:
    return random.Random(8).randbytes(8192) + b"\nimport keras\n"


def _write_bad_tree(root):
    for name, (content, _) in BAD.items():
        (root / name).write_bytes(content)
    (root / "junk.py").write_bytes(_junk())
    # a 10 MB generated file that mentions keras
    (root / "huge.py").write_bytes(b"import keras\n" + b"WEIGHTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]\n" * 250_000)
    os.symlink("nowhere.py", root / "broken_link.py")
    os.mkfifo(root / "fifo.py")
    (root / "good.py").write_text("import keras\n" + FINDING)


def test_bad_files_each_get_one_line_and_the_run_goes_on(project):
    _write_bad_tree(project)
    names = sorted(BAD) + ["junk.py", "huge.py", "broken_link.py", "fifo.py", "missing.py", "good.py"]
    start = time.monotonic()
    r = keras_lint(*names, "-j", "1", cwd=project)
    took = time.monotonic() - start
    errors = _errors_by_path(r)
    for name, (_, reason) in BAD.items():
        assert errors.pop(name).startswith(reason), (name, r.stderr.decode())
    assert errors.pop("junk.py")  # some one-line reason: which one depends on the bytes
    assert errors.pop("huge.py").startswith("1:1 file too large to lint (10.3 MB; the limit is 2 MB)")
    assert errors.pop("broken_link.py") == "1:1 broken symbolic link"
    assert errors.pop("fifo.py") == "1:1 not a regular file (a FIFO, socket or device?)"
    assert errors.pop("missing.py") == "1:1 no such file or directory"
    assert errors == {}
    assert "good.py:2:1: KL402 " in r.stdout.decode()  # the run went on
    assert _err_lines(r) == []  # unlintable files are findings, not stderr lines
    assert r.stdout.decode().splitlines()[-1] == f"{len(BAD) + 6} problems, 1 fixable with --fix ({len(BAD) + 5} not linted: KL001)."
    assert r.returncode == 1
    assert took < 120, f"bad input took {took:.0f} s"


def test_bad_files_in_parallel_workers(project):
    """The same through the process pool (-j 2 with enough files to use it)."""
    _write_bad_tree(project)
    for i in range(20):
        (project / f"ok{i:02d}.py").write_text("import keras\n" + FINDING)
    r = keras_lint(".", "-j", "2", cwd=project)
    errors = _errors_by_path(r)
    assert set(errors) == set(BAD) | {"junk.py", "huge.py", "broken_link.py"}  # fifo: not a file, not walked
    assert r.stdout.decode().count(": KL402 ") == 21
    assert r.returncode == 1


def test_fix_on_bad_files_writes_nothing(project):
    _write_bad_tree(project)
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file() and not p.is_symlink()
              and stat.S_ISREG(p.stat().st_mode)}
    r = keras_lint(*sorted(BAD), "junk.py", "huge.py", "--fix", "--unsafe-fixes", "-j", "1", cwd=project)
    assert len(_errors_by_path(r)) == len(BAD) + 2
    after = {name: (project / name).read_bytes() for name in before}
    assert after == before
    assert not [p for p in project.iterdir() if p.name.startswith(".keras-lint-")]  # no temp files left


@pytest.mark.parametrize("name,content,line", [
    ("bom.py", b"\xef\xbb\xbfimport keras\n" + FINDING.encode(), 2),
    ("crlf.py", b"import keras\r\n" + FINDING.encode().replace(b"\n", b"\r\n"), 2),
    ("mixed_endings.py", b"import keras\r\nx = 1\n" + FINDING.encode().replace(b"\n", b"\r\n") + b"y = 2\n", 3),
    ("cr_only.py", b"import keras\rx = 1\r" + FINDING.encode().replace(b"\n", b"\r"), 3),
    ("tabs.py", b"import keras\nif True:\n\t" + FINDING.encode() + b"\tx = 1\n", 3),
    ("no_final_newline.py", b"import keras\n" + FINDING.encode().rstrip(b"\n"), 2),
    ("latin1_coding.py", b"# -*- coding: latin-1 -*-\nimport keras\n" + FINDING.encode() + b"s = '\xe9'\n", 3),
    ("form_feed.py", b"import keras\n\x0c\n" + FINDING.encode(), 3),
    ("trailing_backslash_ws.py", b"import keras\nx = [1,\n     2]  \n" + FINDING.encode() + b"\n\n\n", 4),
])
def test_odd_but_valid_files_are_linted(project, name, content, line):
    (project / name).write_bytes(content)
    r = keras_lint(name, cwd=project)
    assert _err_lines(r) == []
    assert r.stdout.decode().startswith(f"{name}:{line}:"), r.stdout.decode()
    assert r.returncode == 1


def test_empty_and_blank_files_are_clean(project):
    (project / "empty.py").write_bytes(b"")
    (project / "blank.py").write_bytes(b"\n\n\r\n")
    (project / "comment_keras.py").write_bytes(b"# keras\n")
    (project / "__init__.py").write_bytes(b"")
    r = keras_lint("empty.py", "blank.py", "comment_keras.py", "__init__.py", cwd=project)
    assert (r.returncode, _err_lines(r), r.stdout.decode().strip()) == (0, [], "0 problems.")


def test_directory_named_like_a_file_is_walked(project):
    (project / "pkg.py").mkdir()
    (project / "pkg.py" / "inner.py").write_text("import keras\n" + FINDING)
    (project / "top.py").write_text("import keras\n")
    for args in (["pkg.py"], ["."]):
        r = keras_lint(*args, cwd=project)
        assert _err_lines(r) == []
        assert r.stdout.decode().startswith("pkg.py/inner.py:2:1: KL402"), r.stdout.decode()
        assert r.returncode == 1


def test_paths_given_twice_are_linted_once(project):
    (project / "a.py").write_text("import keras\n" + FINDING)
    os.symlink("a.py", project / "alias.py")
    r = keras_lint("a.py", "./a.py", "a.py", str(project / "a.py"), "alias.py", ".", cwd=project)
    assert _err_lines(r) == []
    assert r.stdout.decode().count("KL402") == 1


def test_non_ascii_paths(project):
    d = project / "données"
    d.mkdir()
    (d / "modèle_模型.py").write_text("import keras\n" + FINDING)
    r = keras_lint("données", cwd=project)
    assert r.stdout.decode("utf-8").startswith("données/modèle_模型.py:2:1: KL402")
    r = keras_lint("données", "--fix", cwd=project)
    assert (d / "modèle_模型.py").read_text() == "import keras\n" + FIXED
    assert _err_lines(r) == []


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
@pytest.mark.parametrize("env", [{}, {"PYTHONIOENCODING": "utf-8"}, {"PYTHONIOENCODING": "ascii"}])
def test_undecodable_file_name(project, env):
    """A name that is not UTF-8 (Python keeps the byte as a lone surrogate): reported, and the
    report does not crash even with a strict output encoding."""
    name = b"bad\xffname.py"
    with open(os.path.join(os.fsencode(project), name), "wb") as fh:
        fh.write(b"import keras\n" + FINDING.encode())
    (project / "syntax.py").write_text("import keras\ndef f(:\n")
    r = keras_lint(".", env=env, cwd=project)
    assert b"bad" in r.stdout and b"name.py:2:1: KL402" in r.stdout
    assert list(_errors_by_path(r)) == ["syntax.py"]
    assert r.returncode == 1
    r = keras_lint(".", "--fix", env=env, cwd=project)
    with open(os.path.join(os.fsencode(project), name), "rb") as fh:
        assert fh.read() == b"import keras\n" + FIXED.encode()


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permissions (see the in-process test)")
def test_unreadable_file(project):
    (project / "secret.py").write_text("import keras\n" + FINDING)
    os.chmod(project / "secret.py", 0)
    (project / "good.py").write_text("import keras\n" + FINDING)
    r = keras_lint("secret.py", "good.py", cwd=project)
    assert _errors_by_path(r) == {"secret.py": "1:1 cannot read: Permission denied"}
    assert r.returncode == 1 and "good.py:2:1" in r.stdout.decode()


def _proc_mem_fails():
    try:
        with open("/proc/self/mem", "rb") as fh:
            fh.read(1)
    except OSError:
        return True
    return False


@pytest.mark.skipif(not _proc_mem_fails(), reason="needs /proc/self/mem, which no process can read at offset 0")
def test_file_whose_read_fails(project):
    """Even root cannot read /proc/self/mem from offset 0 (EIO): a real read failure, end to end."""
    os.symlink("/proc/self/mem", project / "unreadable.py")
    (project / "good.py").write_text("import keras\n" + FINDING)
    for flags in ([], ["--fix"]):
        r = keras_lint("unreadable.py", "good.py", "-j", "1", *flags, cwd=project)
        errors = _errors_by_path(r)
        assert list(errors) == ["unreadable.py"] and errors["unreadable.py"].startswith("1:1 cannot read: ")
        assert r.returncode == 1


def test_unreadable_file_in_process(project, monkeypatch, capsys):
    """As root, chmod 000 does not stop reads: the OS refusal is simulated instead."""
    (project / "secret.py").write_text("import keras\n" + FINDING)
    (project / "good.py").write_text("import keras\n" + FINDING)
    real_open = os.open

    def refusing_open(path, *args, **kw):
        if os.fspath(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kw)

    monkeypatch.setattr(files.os, "open", refusing_open)
    monkeypatch.chdir(project)
    code = cli.main(["secret.py", "good.py", "-j", "1"])
    out, err = capsys.readouterr()
    assert err == ""
    assert "secret.py:1:1: KL001 cannot read: Permission denied" in out.splitlines()
    assert "good.py:2:1: KL402" in out and code == 1


# -- exceptions inside rules ----------------------------------------------------------------------

class _Boom(Rule):
    code = "KL999"
    name = "boom"
    message = "boom"

    def visit_Name(self, node):
        if node.value == "explode":
            raise RuntimeError("rule bug")


def test_rule_exception_is_one_error_line(project, monkeypatch, capsys):
    (project / "bad.py").write_text("import keras\nexplode()\n")
    (project / "good.py").write_text("import keras\n" + FINDING)
    rules = [_Boom] + [r for r in all_rules().values() if r.code == "KL402"]
    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: rules)
    monkeypatch.chdir(project)
    for mode in ([], ["--fix"], ["--diff"]):
        code = cli.main(["bad.py", "good.py", "-j", "1"] + mode)
        out, err = capsys.readouterr()
        assert err.splitlines()[0] == ("bad.py: error: internal error in rule KL999 (boom): RuntimeError: "
                                       "rule bug (please report this)")
        assert "Traceback" not in err and code == 2
    assert (project / "bad.py").read_text() == "import keras\nexplode()\n"
    assert (project / "good.py").read_text() == "import keras\n" + FIXED  # the run went on


def test_rule_exception_in_flake8_plugin(monkeypatch, capsys):
    from keras_lint import flake8_plugin

    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: [_Boom])
    checker = flake8_plugin.KerasLintChecker(None, "bad.py", ["import keras\n", "explode()\n"])
    assert list(checker.run()) == []  # flake8's run is not aborted
    assert capsys.readouterr().err.startswith("bad.py: keras-lint: internal error in rule KL999 (boom)")
    checker = flake8_plugin.KerasLintChecker(None, "syn.py", ["import keras\n", "def f(:\n"])
    assert list(checker.run()) == []
    assert capsys.readouterr().err == ""  # flake8 reports E999 itself


# -- --fix never corrupts ---------------------------------------------------------------------------

def _lines(data: bytes):
    return data.splitlines(keepends=True)


def test_fix_changes_only_the_fixed_lines_byte_for_byte(project):
    original = (
        b"\xef\xbb\xbf#!/usr/bin/env python\r\n"
        b"# -*- coding: utf-8 -*-\r\n"
        b"import keras  \t# trailing whitespace and a tab\r\n"
        b"from keras.layers.core import Dense\r\n"
        b"if True:\n"
        b"\tfrom keras.layers.merge import add  # tab-indented, LF only\n"
        b"s = 'caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80'\r\n"
        b"x = [1,\r\n"
        b"     2,\\\r\n"
        b"]\x0c\r\n"
        b"\r\n"
        b"from keras.layers.core import Lambda"
    )
    path = project / "m.py"
    path.write_bytes(original)
    os.chmod(path, 0o751)
    r = keras_lint("m.py", "--fix", cwd=project)
    assert _err_lines(r) == []
    fixed = path.read_bytes()
    old, new = _lines(original), _lines(fixed)
    assert len(old) == len(new)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert changed == [3, 5, 11]
    for i in changed:
        assert new[i] == old[i].replace(b"keras.layers.core", b"keras.layers").replace(b"keras.layers.merge", b"keras.layers")
    assert fixed.startswith(b"\xef\xbb\xbf")  # the BOM stays
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o751
    # idempotent: a second run changes nothing and finds nothing of its own making
    again = keras_lint("m.py", "--fix", cwd=project)
    assert path.read_bytes() == fixed
    assert again.returncode == 0 and _err_lines(again) == []
    assert keras_lint("m.py", cwd=project).stdout.decode().strip() == "0 problems."


def test_fix_keeps_non_utf8_encoding(project):
    src = "# vim: set fileencoding=cp1252 :\nimport keras\nfrom keras.layers.core import Dense\nq = '\u201cquoted\u201d \u20ac'\n"
    path = project / "cp.py"
    path.write_bytes(src.encode("cp1252"))
    keras_lint("cp.py", "--fix", cwd=project)
    assert path.read_bytes() == src.replace("keras.layers.core", "keras.layers").encode("cp1252")


def test_fix_through_a_symlink_keeps_the_link(project):
    (project / "real.py").write_text("import keras\n" + FINDING)
    os.symlink("real.py", project / "link.py")
    keras_lint("link.py", "--fix", cwd=project)
    assert os.path.islink(project / "link.py")
    assert (project / "real.py").read_text() == "import keras\n" + FIXED


def test_lone_cr_file_is_not_fixed(project):
    """LibCST drops the last lone CR when it rewrites such a file: refused, not corrupted."""
    src = b"import keras\rx = 1\r" + FINDING.encode().replace(b"\n", b"\r")
    (project / "mac.py").write_bytes(src)
    r = keras_lint("mac.py", "--fix", cwd=project)
    assert _errors_by_path(r)["mac.py"].startswith("cannot fix: LibCST would not reproduce this file byte for byte")
    assert (project / "mac.py").read_bytes() == src
    assert "mac.py:3:1: KL402" in r.stdout.decode()  # the finding is still shown
    assert r.returncode == 1


def test_read_only_file_is_reported_not_written(project):
    path = project / "ro.py"
    path.write_text("import keras\n" + FINDING)
    os.chmod(path, 0o444)
    r = keras_lint("ro.py", "--fix", cwd=project)
    assert _errors_by_path(r) == {"ro.py": "file is read-only; not written"}
    assert path.read_text() == "import keras\n" + FINDING
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert "ro.py:2:1: KL402" in r.stdout.decode() and r.returncode == 1


def test_file_changed_during_the_run_is_not_clobbered(project, monkeypatch):
    path = project / "busy.py"
    path.write_text("import keras\n" + FINDING)
    real_read = files.read

    def read_then_someone_edits(p):
        data = real_read(p)
        path.write_text("import keras\n" + FINDING + "# edited by someone else\n")
        return data

    monkeypatch.setattr(cli, "read", read_then_someone_edits)
    settings = Settings([r for r in all_rules().values() if r.code == "KL402"])
    outcome = cli.process(cli.Job(str(path), "fix", settings))
    assert outcome.result.error == "file changed while keras-lint was running; not written"
    assert [d.code for d in outcome.result.diagnostics] == ["KL402"]
    assert not any(d.fix_applied for d in outcome.result.diagnostics)
    assert path.read_text() == "import keras\n" + FINDING + "# edited by someone else\n"


def test_write_atomically_refuses_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "f.py"
    path.write_bytes(b"old\n")
    with pytest.raises(files.WriteError, match="file changed"):
        files.write_atomically(str(path), b"new\n", expected=b"older\n")
    os.chmod(path, 0o400)
    with pytest.raises(files.WriteError, match="read-only"):
        files.write_atomically(str(path), b"new\n", expected=b"old\n")
    os.chmod(path, 0o640)
    # a failure half-way (disk full, ...) leaves the old file and no temporary file

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(files.WriteError, match="No space left on device"):
        files.write_atomically(str(path), b"new\n", expected=b"old\n")
    assert path.read_bytes() == b"old\n" and os.listdir(tmp_path) == ["f.py"]
    monkeypatch.undo()
    files.write_atomically(str(path), b"new\n", expected=b"old\n")
    assert path.read_bytes() == b"new\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["f.py"]


class _BadFix(Rule):
    code = "KL998"
    name = "bad-fix"
    message = "m"
    fix_safety = "safe"

    def visit_ImportFrom(self, node):
        import libcst as cst

        self.report(node, fix=Fix("safe", {node: cst.Expr(cst.Name("lambda"))}))


def test_fix_that_does_not_parse_leaves_the_file_alone(project, monkeypatch, capsys):
    (project / "f.py").write_text("import keras\n" + FINDING)
    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: [_BadFix])
    monkeypatch.chdir(project)
    code = cli.main(["f.py", "--fix", "-j", "1"])
    out, err = capsys.readouterr()
    assert err.startswith("f.py: error: fix produced code that does not parse")
    assert "f.py:2:1: KL998" in out  # still reported, not fixed
    assert (project / "f.py").read_text() == "import keras\n" + FINDING
    assert code == 1


def test_engine_never_raises_on_bad_bytes():
    settings = Settings(list(all_rules().values()), unsafe_fixes=True)
    rng = random.Random(8)
    samples = [_junk(), b"import keras\n\xff\xfe", b"import keras\n" + bytes(range(256)),
               b"\xef\xbb\xbf\xef\xbb\xbfimport keras\n", b"import keras\n\"\"\"unterminated\n",
               b"import keras\nx = '''\\\n", b"import keras\n\\", b"import keras\nif x:\n", b"keras\r\r\r\n\n\r"]
    samples += [b"import keras\n" + rng.randbytes(200) for _ in range(30)]
    for data in samples:
        for result in (lint_source(data, "x.py", settings), fix_source(data, "x.py", settings)):
            assert result.error is None or "\n" not in result.error


# -- never executes the code it lints -------------------------------------------------------------

def test_linting_never_imports_or_runs_the_code(project):
    marker = project / "MARKER"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    (project / "sidefx.py").write_text("import keras\n" + payload)
    (project / "conftest.py").write_text(payload)
    (project / "__init__.py").write_text(payload)
    (project / "setup.py").write_text(payload)
    (project / "evil.py").write_text(
        "import keras\nimport sidefx\nfrom . import sidefx as again\n" + payload + FINDING
        + "if __name__ == '__main__':\n    " + payload
        + "class M(keras.layers.Layer):\n    def call(self, x):\n        " + payload
    )
    for flags in ([], ["--fix", "--unsafe-fixes"], ["--diff"], ["--select", "ALL"]):
        keras_lint(".", *flags, cwd=project)
        keras_lint("evil.py", *flags, cwd=project)
    assert not marker.exists()
    assert FIXED in (project / "evil.py").read_text()


def test_second_fix_changes_nothing_and_adds_no_problems(project):
    """Every rule's INVALID examples in one file, all fixes (unsafe too): the second --fix run
    leaves the file alone and reports nothing the first run did not leave behind."""
    import json
    from collections import Counter

    snippets = []
    for rule in all_rules().values():
        for ex in rule.INVALID:
            if ex.target == "keras3":
                snippets.append(ex.source if ex.source.endswith("\n") else ex.source + "\n")
    source = "import keras\nimport tensorflow as tf\n" + "".join(snippets)
    try:
        compile(source, "all.py", "exec", dont_inherit=True, flags=0x400)  # ast only
    except SyntaxError:
        pytest.skip("the examples do not combine into one valid file")
    (project / "all.py").write_text(source)
    flags = ("--fix", "--unsafe-fixes", "--select", "ALL", "--output-format", "json")
    first = keras_lint("all.py", *flags, cwd=project)
    assert _err_lines(first) == []
    after_first = (project / "all.py").read_bytes()
    assert after_first != source.encode()
    left = Counter(d["code"] for d in json.loads(first.stdout) if not d["fix"] or not d["fix"]["applied"])
    second = keras_lint("all.py", *flags, cwd=project)
    assert (project / "all.py").read_bytes() == after_first
    again = Counter(d["code"] for d in json.loads(second.stdout))
    assert not any(d["fix"] and d["fix"]["applied"] for d in json.loads(second.stdout))
    assert again - left == Counter(), f"new problems after fixing: {again - left}"


@pytest.mark.parametrize("data,reason", [
    (_junk(), "syntax error: source code string cannot contain null bytes"),
    (b"import keras\nx = '\xe9'\n", "cannot decode:"),
    (GATED + b"x = " + b" + ".join([b"1"] * 5000) + b"\n", "an expression nested 5000 levels deep"),
])
def test_bad_stdin(project, data, reason):
    for flags in ([], ["--fix"], ["--diff"]):
        r = keras_lint("-", "--stdin-filename", "in.py", *flags, stdin=data, cwd=project)
        # a KL001 finding: on stdout, or with --fix/--diff (stdout holds the code) on stderr
        both = (r.stdout if flags == [] else r.stderr).decode("utf-8", "backslashreplace")
        found = [line for line in both.splitlines() if ": KL001 " in line]
        assert len(found) == 1 and found[0].startswith(f"in.py:1:1: KL001 {reason}"), both
        assert r.returncode == 1
        if flags == ["--fix"]:
            assert r.stdout == data  # the input comes back unchanged
