"""Never crash, never corrupt, second round (issue 17): the failures a hostile pass found.

Each test is the reproduction from the issue, through the installed ``keras-lint`` (or flake8)
where the command line is the promise, plus its neighbours. The budgets and forced crashes are
driven in-process (``cli.main``), where the module constants can be lowered.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from keras_lint import cache as cache_mod, cli, escape, files, isolation, registry
from keras_lint.engine import Settings, lint_source
from keras_lint.registry import all_rules
from keras_lint.rule import Rule
from util import keras_lint, run, tool

FINDING = "from keras.layers.core import Dense\n"  # KL402, safe fix
FIXED = "from keras.layers import Dense\n"
GOOD = "import keras\n" + FINDING

# LibCST's native parser overflowed the C stack on these (SIGSEGV: the whole run died).
# An argmax lets KL601's gate through (no finding: nothing empty), so LibCST really parses each one.
_PRELUDE = "import keras\nkeras.ops.argmax(y)\n"
CRASHERS = {
    "and_chain.py": _PRELUDE + "x = " + " and ".join(["a"] * 7500) + "\n",
    "or_chain.py": _PRELUDE + "x = " + " or ".join(["a"] * 7500) + "\n",
    "dotted_import.py": _PRELUDE + "import " + ".".join(["a"] * 6000) + "\n",
    "elifs.py": _PRELUDE + "if a:\n    pass\n" + "elif a:\n    pass\n" * 10000,
    "and_400.py": _PRELUDE + "x = " + " and ".join(["a"] * 400) + "\n",  # was "too deeply nested"
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.keras-lint]\n")
    return tmp_path


@pytest.fixture
def fresh_helper():
    """Tests that change isolation's constants need a helper forked after the change."""
    isolation.reset()
    yield
    isolation.reset()


def _one_line(out, err, path, reason):
    """The file gets exactly one line, naming it, with this reason: a KL001 finding on stdout
    (a file keras-lint could not lint), or a stderr line where the mode prints no findings."""
    lines = [line for line in (out + err).splitlines() if reason in line and line.startswith(f"{path}:")]
    assert len(lines) == 1, (out, err)
    assert lines[0].startswith((f"{path}:1:1: KL001 {reason}", f"{path}: error: {reason}")), lines[0]


def _stderr(r):
    text = r.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in text, text
    return text


# -- 1. a native crash is one file's error, not the run's end -------------------------------------

def test_parser_crashers_are_linted_by_the_cli(project):
    for name, text in CRASHERS.items():
        (project / name).write_text(text)
    (project / "good.py").write_text(GOOD)
    for i in range(16):  # enough files for the process pool
        (project / f"ok{i:02d}.py").write_text(GOOD)
    for jobs in ("1", "2"):
        r = keras_lint(".", "-j", jobs, "--no-cache", cwd=project)
        assert _stderr(r) == "", (jobs, r.stderr)
        assert r.stdout.decode().count(": KL402 ") == 17 and r.returncode == 1


def test_parser_crashers_under_flake8(project):
    """flake8's parallel run used to hang forever, its -j 1 run to segfault. (Not the elifs:
    CPython's own parser gives up on those with MemoryError, and so does flake8 itself.)"""
    for name, text in CRASHERS.items():
        if name != "elifs.py":
            (project / name).write_text(text)
    (project / "good.py").write_text(GOOD)
    for jobs in ("1", "2"):
        r = run("flake8", "--select", "KL", "-j", jobs, ".", cwd=project)
        lines = r.stdout.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("./good.py:2:1: KL402 "), (jobs, r.stdout, r.stderr)
        assert r.returncode == 1 and b"Traceback" not in r.stderr


def test_a_real_native_crash_is_one_line(project, monkeypatch, capsys, fresh_helper):
    """With the default-sized stack LibCST's parser really segfaults on the and-chain: that file
    gets one line, the others are reported, the helper is replaced."""
    monkeypatch.setattr(isolation, "STACK_BYTES", 8 << 20)
    (project / "a_crash.py").write_text(CRASHERS["and_chain.py"])
    (project / "b_good.py").write_text(GOOD)
    monkeypatch.chdir(project)
    code = cli.main(["a_crash.py", "b_good.py", "-j", "1", "--no-cache"])
    out, err = capsys.readouterr()
    _one_line(out, err, "a_crash.py", "the linting process crashed (SIGSEGV), most likely in "
              "LibCST's native parser; not linted (the other files are)")
    assert "\nb_good.py:2:1: KL402" in "\n" + out and code == 1


def test_without_fork_the_big_stack_still_helps(monkeypatch, fresh_helper):
    """Windows has no fork: the work runs in this process, on the large-stack thread."""
    monkeypatch.setattr(isolation, "ENABLED", False)
    settings = Settings(list(all_rules().values()))
    for name in ("and_chain.py", "dotted_import.py", "and_400.py"):
        result = lint_source(CRASHERS[name].encode(), name, settings)
        assert result.error is None, (name, result.error)
    assert sys.getrecursionlimit() < isolation.RECURSION_LIMIT  # restored afterwards
    assert isolation._helper is None  # no helper was started


def test_a_helper_killed_between_files_is_replaced(monkeypatch, fresh_helper):
    # a helper forked from a large test process (TensorFlow imported by earlier tests) would
    # retire after its first file: keep it, this test kills it itself
    monkeypatch.setattr(isolation, "RETIRE_RSS_MB", 1 << 20)
    settings = Settings([r for r in all_rules().values() if r.code == "KL402"])
    assert len(lint_source(GOOD.encode(), "a.py", settings).diagnostics) == 1
    os.kill(isolation._helper.pid, signal.SIGKILL)  # the OOM killer, say
    time.sleep(0.2)
    result = lint_source(GOOD.encode(), "b.py", settings)  # not blamed on b.py
    assert result.error is None and len(result.diagnostics) == 1


def test_a_helper_that_grew_large_retires_and_the_next_file_gets_a_fresh_one(monkeypatch, fresh_helper):
    monkeypatch.setattr(isolation, "RETIRE_RSS_MB", -(1 << 30))  # every helper has "grown too much"
    settings = Settings([r for r in all_rules().values() if r.code == "KL402"])
    first = lint_source(GOOD.encode(), "a.py", settings)
    assert isolation._helper is None  # reaped right after its reply
    second = lint_source(GOOD.encode(), "b.py", settings)
    assert first.error is None and second.error is None
    assert len(first.diagnostics) == len(second.diagnostics) == 1


def test_rules_that_cannot_be_pickled_run_here(fresh_helper):
    class Local(Rule):
        code = "KL996"
        name = "local"
        message = "local"
        triggers = ("keras",)

        def visit_ImportFrom(self, node):
            self.report(node)

    result = lint_source(GOOD.encode(), "a.py", Settings([Local]))
    assert [d.code for d in result.diagnostics] == ["KL996"]


class _Segfault(Rule):
    code = "KL997"
    name = "segfault"
    message = "m"

    def visit_Name(self, node):
        if node.value == "crash_here":  # a real segfault, on this thread, now (os.kill's signal
            import ctypes  # could arrive after the reply is sent, and be blamed on the next file)

            ctypes.string_at(0)
        if node.value == "spin_here":
            while True:
                pass
        if node.value == "hog_here":
            self.hog = [bytearray(1 << 20) for _ in range(4096)]  # 4 GB


@pytest.mark.parametrize("mode", [[], ["--fix"], ["--diff"]])
def test_crash_in_any_mode_is_one_line_and_nothing_is_written(project, monkeypatch, capsys, mode, fresh_helper):
    rules = [_Segfault] + [r for r in all_rules().values() if r.code == "KL402"]
    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: rules)
    (project / "a.py").write_text("import keras\n" + FINDING + "crash_here\n")
    (project / "b.py").write_text(GOOD)
    monkeypatch.chdir(project)
    code = cli.main(["a.py", "b.py", "-j", "1", "--no-cache"] + mode)
    out, err = capsys.readouterr()
    _one_line(out, err, "a.py", "the linting process crashed (SIGSEGV)")
    assert (project / "a.py").read_text() == "import keras\n" + FINDING + "crash_here\n"
    assert (project / "b.py").read_text() == ("import keras\n" + FIXED if mode == ["--fix"] else GOOD)
    assert code == 1


# -- 2. time and memory budgets per file --------------------------------------------------------

def test_time_budget(project, monkeypatch, capsys, fresh_helper):
    monkeypatch.setattr(isolation, "TIME_BUDGET_S", 1)
    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: [_Segfault])
    (project / "slow.py").write_text("import keras\nspin_here\n")
    (project / "other.py").write_text("import keras\n")
    monkeypatch.chdir(project)
    start = time.monotonic()
    code = cli.main(["slow.py", "other.py", "-j", "1", "--no-cache"])
    assert time.monotonic() - start < 30
    out, err = capsys.readouterr()
    _one_line(out, err, "slow.py", "exceeds the time budget of 1 CPU seconds per file; not linted")
    assert "other.py" not in out + err and code == 1


def test_memory_budget(project, monkeypatch, capsys, fresh_helper):
    monkeypatch.setattr(isolation, "MEMORY_BUDGET_MB", 200)
    monkeypatch.setattr(registry, "enabled_rules", lambda *a, **k: [_Segfault] + [r for r in all_rules().values() if r.code == "KL402"])
    (project / "hog.py").write_text("import keras\nhog_here\n")
    # LibCST's parser itself past the budget (a 1 MB list literal needs ~1 GB, far more than the
    # budget plus whatever free memory the helper inherited from this big process): native code aborts
    (project / "literal.py").write_bytes(b"import keras\nx = [" + b"0.123, " * 150_000 + b"]\n")
    (project / "ok.py").write_text(GOOD)
    monkeypatch.chdir(project)
    code = cli.main(["hog.py", "literal.py", "ok.py", "-j", "1", "--no-cache"])
    out, err = capsys.readouterr()
    for path in ("hog.py", "literal.py"):
        _one_line(out, err, path, "exceeds the memory budget of 200 MB per file; not linted")
    assert "\nok.py:2:1: KL402" in "\n" + out and code == 1


# -- 5. tracebacks instead of one line ----------------------------------------------------------

def test_stdin_closed(project):
    exe = tool("keras-lint")
    r = subprocess.run(exe + ["-"], cwd=project, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                       preexec_fn=lambda: os.close(0))
    assert (r.returncode, _stderr(r)) == (2, "keras-lint: error: cannot read stdin: standard input is closed\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["a.py"], ["a.py", "--output-format", "json"], ["rules"], ["rule", "KL402"],
                                  ["-", "--fix"]])
def test_stdout_full(project, args):
    (project / "a.py").write_text(GOOD)
    with open("/dev/full", "wb") as full:
        r = subprocess.run(tool("keras-lint") + args + ["--no-cache"] * (args[0] != "rule" and args[0] != "rules"),
                           cwd=project, input=GOOD.encode(), stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert (r.returncode, _stderr(r)) == (2, "keras-lint: error: cannot write the output: No space left on device\n")


def test_stdout_closed(project):
    (project / "a.py").write_text(GOOD)
    r = subprocess.run(tool("keras-lint") + ["a.py"], cwd=project, stderr=subprocess.PIPE, timeout=120,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 2 and "standard output is closed" in _stderr(r)


def _cache_file(project):
    (path,) = sorted((project / cache_mod.CACHE_DIR).rglob("*.json"))
    return path


@pytest.mark.parametrize("value", ["1e999", "-1", "1.5", "true", "\"3\"", "123456789012345678901234567890"])
def test_corrupt_cache_entry(project, value):
    (project / "a.py").write_text(GOOD)
    cold = keras_lint("a.py", cwd=project)
    path = _cache_file(project)
    text = path.read_text()
    doctored = text.replace("[[2,1,", f"[[{value},1,", 1)
    assert doctored != text
    path.write_text(doctored)
    r = keras_lint("a.py", cwd=project)
    assert (r.returncode, r.stdout, _stderr(r)) == (cold.returncode, cold.stdout, "")


@pytest.mark.parametrize("kind", ["fifo", "zero_link", "link", "huge", "others_can_write"])
def test_untrusted_cache_file_is_ignored(project, kind, monkeypatch):
    (project / "a.py").write_text(GOOD)
    cold = keras_lint("a.py", cwd=project)
    path = _cache_file(project)
    forged = json.loads(path.read_text())
    forged["files"]["a.py"]["d"] = []  # "clean"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero_link":
        os.symlink("/dev/zero", path)
    elif kind == "link":
        (project / "elsewhere.json").write_text(json.dumps(forged))
        os.symlink(project / "elsewhere.json", path)
    elif kind == "huge":
        monkeypatch.setattr(cache_mod, "MAX_CACHE_BYTES", 100)
        path.write_text(json.dumps(forged) + " " * 200)
    else:
        path.write_text(json.dumps(forged))
        os.chmod(path, 0o666)
    if kind == "huge":  # in-process, to lower the cap
        start = time.monotonic()
        assert cache_mod.Cache(str(project), path.stem).entries == {}
    else:
        start = time.monotonic()
        r = keras_lint("a.py", cwd=project)
        assert (r.stdout, _stderr(r)) == (cold.stdout, "")  # linted again, not "clean"
    assert time.monotonic() - start < 60


def test_no_cache_in_a_world_writable_root(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    (shared / "a.py").write_text(GOOD)
    r = keras_lint("a.py", cwd=shared)
    assert r.returncode == 1 and not (shared / cache_mod.CACHE_DIR).exists()


def test_cache_directories_are_private(project):
    (project / "a.py").write_text(GOOD)
    keras_lint("a.py", cwd=project)
    path = _cache_file(project)
    for p in (project / cache_mod.CACHE_DIR, path.parent):
        assert not os.lstat(p).st_mode & 0o022
    assert not os.lstat(path).st_mode & 0o022


def test_cache_directory_that_is_a_link_is_not_used(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.symlink(elsewhere, project / cache_mod.CACHE_DIR)
    (project / "a.py").write_text(GOOD)
    r = keras_lint("a.py", cwd=project)
    assert r.returncode == 1 and _stderr(r) == "" and list(elsewhere.iterdir()) == []


# -- 11. killing a fix ------------------------------------------------------------------------------

def _slow_tree(project, n=40):
    # each file takes a second or so, and has a fix: the whole run takes most of a minute
    slow = "import keras\n" + FINDING + "".join(f"y{i} = keras.layers.Dense({i}, activation='relu')(x)\n"
                                                 for i in range(1500))
    for i in range(n):
        (project / f"m{i:02d}.py").write_text(slow)
    return slow


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_main_process_stops_the_workers(project, sig):
    slow = _slow_tree(project)
    proc = subprocess.Popen(tool("keras-lint") + [".", "--fix", "-j", "2"], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)
    proc.send_signal(sig)
    start = time.monotonic()
    proc.communicate(timeout=60)  # EOF on both pipes: no worker holds them any more
    assert time.monotonic() - start < 10
    time.sleep(0.5)
    contents = {p.read_text() for p in project.glob("m*.py")}
    assert contents <= {slow, slow.replace(FINDING, FIXED)}  # every file whole, old or new
    after = {p.name: p.read_text() for p in project.glob("m*.py")}
    time.sleep(1.5)
    assert {p.name: p.read_text() for p in project.glob("m*.py")} == after  # nobody writes any more
    if sig == signal.SIGTERM:  # catchable: nothing left behind
        assert not list(project.glob(".keras-lint-*"))


def test_stale_temp_files_are_removed(project):
    (project / "a.py").write_text(GOOD)
    old = time.time() - 3600
    dead = project / ".keras-lint-999999999-abc.tmp"  # a pid that cannot exist
    legacy = project / ".keras-lint-xyz.tmp"  # an older keras-lint's name
    young = project / ".keras-lint-999999998-new.tmp"  # maybe being written right now
    alive = project / f".keras-lint-{os.getpid()}-mine.tmp"
    for p in (dead, legacy, young, alive):
        p.write_text("half a file")
    for p in (dead, legacy, alive):
        os.utime(p, (old, old))
    r = keras_lint("a.py", "--fix", cwd=project)
    assert r.returncode == 0 and (project / "a.py").read_text() == "import keras\n" + FIXED
    assert sorted(p.name for p in project.glob(".keras-lint-*")) == sorted([young.name, alive.name])


# -- 12. a concurrent save is not lost ------------------------------------------------------------

@pytest.mark.parametrize("editor_content", ["import keras\n# saved by the editor\n", GOOD])
def test_save_between_check_and_rename_is_kept(tmp_path, monkeypatch, editor_content):
    """An editor's atomic save (new inode) lands while keras-lint writes its temporary file:
    refused, even when the editor saved the very same bytes (another inode)."""
    path = tmp_path / "f.py"
    path.write_text(GOOD)
    real_keep_owner = files._keep_owner

    def editor_saves_meanwhile(tmp, real):
        real_keep_owner(tmp, real)
        (tmp_path / "editor.tmp").write_text(editor_content)
        os.replace(tmp_path / "editor.tmp", path)

    monkeypatch.setattr(files, "_keep_owner", editor_saves_meanwhile)
    with pytest.raises(files.WriteError, match="file changed while keras-lint was running"):
        files.write_atomically(str(path), ("import keras\n" + FIXED).encode(), expected=GOOD.encode())
    assert path.read_text() == editor_content
    assert sorted(os.listdir(tmp_path)) == ["f.py"]


# -- 13. noqa on the right line ---------------------------------------------------------------------

NOQA_SOURCE = ("import keras\n"
               "s = 'a\u2028b'  # noqa\n"  # U+2028 inside a string: not a line break for Python
               + FINDING +
               "\x0c\n"
               "from keras.layers.core import Lambda  # noqa: KL402\n"
               "t = '\x85'\n"
               "from keras.layers.core import Dropout\n")


def test_noqa_lines_as_the_tokenizer_splits_them(project):
    (project / "n.py").write_text(NOQA_SOURCE, encoding="utf-8")
    r = keras_lint("n.py", "--no-cache", "--output-format", "json", cwd=project)
    assert [d["line"] for d in json.loads(r.stdout)] == [3, 7]


def test_flake8_decides_noqa(project):
    (project / "n.py").write_text(NOQA_SOURCE, encoding="utf-8")
    r = run("flake8", "--select", "KL", "n.py", cwd=project)
    assert [line.split(":")[1] for line in r.stdout.decode().splitlines()] == ["3", "7"]
    r = run("flake8", "--select", "KL", "--disable-noqa", "n.py", cwd=project)
    assert [line.split(":")[1] for line in r.stdout.decode().splitlines()] == ["3", "5", "7"]


# -- 14. file names that look like options ---------------------------------------------------------

def test_double_dash_ends_the_options(project):
    for name in ("-dash.py", "--fix", "--exit-zero"):
        (project / name).write_text(GOOD)
    r = keras_lint("--no-cache", "--", "-dash.py", "--fix", "--exit-zero", cwd=project)
    assert sorted(line.split(":")[0] for line in r.stdout.decode().splitlines()[:-1]) == ["--exit-zero", "--fix", "-dash.py"]
    assert r.returncode == 1  # --exit-zero is a file here
    assert (project / "--fix").read_text() == GOOD  # and --fix is a file: nothing fixed


# -- 15. python -m keras_lint does not import the project's modules -------------------------------

def test_python_m_ignores_modules_in_the_current_directory(project):
    marker = project / "MARKER"
    for name in ("json", "argparse", "difflib", "libcst", "tempfile", "hashlib", "dataclasses", "typing_extensions"):
        (project / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\n")
    (project / "m.py").write_text(GOOD)
    r = subprocess.run([sys.executable, "-m", "keras_lint", "m.py", "--no-cache"], cwd=project,
                       capture_output=True, timeout=120)
    assert not marker.exists(), marker.read_text()
    assert r.returncode == 1 and r.stdout.startswith(b"m.py:2:1: KL402")


# -- 16. file names cannot inject lines or workflow commands ---------------------------------------

@pytest.mark.skipif(sys.platform == "darwin", reason="file names with newlines")
def test_file_names_cannot_inject_github_commands(project):
    names = ["x\n::warning file=a.py::injected.py", "::warning file=b.py::injected.py",
             " ::notice::injected.py", "y ##[warning]injected.py"]
    for name in names:
        (project / name).write_text("import keras\ndef f(:\n")  # a syntax error: a KL001 finding
        (project / (name[:-3] + "_ok.py")).write_text(GOOD)  # a finding: an annotation
    r = keras_lint(".", "--no-cache", "--output-format", "github", cwd=project)
    for stream in (r.stdout, r.stderr):
        for line in stream.decode().splitlines():
            if line.startswith("::error title=keras-lint"):  # an annotation: the runner's modern
                continue  # parser takes it whole (names escaped), the legacy ##[ one is not tried
            assert "##[" not in line and not line.lstrip().startswith("::"), line
    annotations = r.stdout.decode().splitlines()
    assert _stderr(r) == "" and len(annotations) == 8  # 4 syntax errors (KL001) and 4 KL402
    assert sum("KL001" in line for line in annotations) == 4
    r = keras_lint(".", "--no-cache", cwd=project)  # text format: still one line per file
    assert sum(": KL001 " in line for line in r.stdout.decode().splitlines()) == 4


def test_escape_helpers():
    assert escape.one_line("a\nb\rc\x0cd\x85e\u2028f\tg") == "a\\x0ab\\x0dc\\x0cd\\x85e\\u2028f\\x09g"
    assert escape.display_path("::x.py", github=True) == "./::x.py"
    assert escape.display_path("::x.py") == "::x.py"
    assert escape.error_line("a##[b].py", "why", github=True) == "a##%5Bb].py: error: why"
    assert escape.github_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


# -- 4. UTF-16 is not "0 problems" (the file-level cases are in test_robustness's BAD table) ----------

def test_utf16_without_keras_is_skipped_like_any_file():
    settings = Settings(list(all_rules().values()))
    assert lint_source("import os\n".encode("utf-16"), "u.py", settings).error is None
    assert lint_source("import keras\n".encode("utf-16"), "u.py", settings).error.startswith(
        "cannot decode: the file is UTF-16 text")
