"""The ``keras-lint`` command: a thin adapter around the engine."""
from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

# Only light modules at import time: `keras-lint --version` must not import LibCST (the engine,
# the rules and the output formats are imported when a run needs them).
from . import __version__, cache as cache_mod, config as config_mod, escape, isolation, profiling
from .discovery import discover
from .files import WriteError, read, write_atomically
from .settings import Overrides, Resolver, file_rules, rules_for

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Diagnostic, FileResult, Settings

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
PARALLEL_MIN_FILES = 16  # below this a process pool costs more than it saves


# output.FORMATS, without importing output.py (it imports the engine, and so LibCST):
# tests/test_cli_flags.py checks that the two agree.
OUTPUT_FORMATS = ("text", "full", "json", "sarif", "github")
SUBCOMMANDS = "'keras-lint check [PATH ...]' (the default), 'keras-lint rule CODE|SLUG|PREFIX ...', " \
              "'keras-lint rules' (list), 'keras-lint verify' (runtime harness)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="keras-lint", description=f"Lint Keras/TensorFlow code. Subcommands: {SUBCOMMANDS}.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories ('-' reads stdin); default: . ('--' before names that start with '-')")
    sel = p.add_argument_group("rule selection")
    sel.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes (KL4, KL401, ALL)")
    sel.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to skip")
    sel.add_argument("--extend-select", action="append", metavar="CODES", help="add to the selected rules")
    sel.add_argument("--extend-ignore", action="append", metavar="CODES", help="same as --ignore (flake8's name)")
    sel.add_argument("--per-file-ignores", action="append", metavar="GLOB:CODES",
                     help="ignore CODES in files matching GLOB (added to the configuration's)")
    sel.add_argument("--target", choices=config_mod.TARGETS, help="the stack fixes aim at (default keras3)")
    fix = p.add_argument_group("fixes")
    fix.add_argument("--fix", action="store_true", help="apply safe fixes")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    fix.add_argument("--show-fixes", action="store_true", help="with --fix: list what was fixed, per file")
    fix.add_argument("--exit-non-zero-on-fix", action="store_true",
                     help="exit 1 if --fix changed a file, even when nothing is left to report")
    fix.add_argument("--add-noqa", action="store_true",
                     help="append '# noqa: CODE' to every line with a finding (idempotent), then exit")
    out = p.add_argument_group("output")
    out.add_argument("--output-format", default="text", metavar="FORMAT",
                     help="text (default), full (with the source line), json, sarif, github")
    out.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    out.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else (no summary)")
    out.add_argument("--statistics", action="store_true", help="count problems per rule")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems remain")
    out.add_argument("--show-files", action="store_true", help="list the files that would be linted, and exit")
    out.add_argument("--show-settings", metavar="FILE", help="print the settings that apply to FILE (JSON), and exit")
    files = p.add_argument_group("files and configuration")
    files.add_argument("--config", action="append", metavar="PYPROJECT|KEY=VALUE",
                       help="read [tool.keras-lint] from this file (for every path), or override one key "
                            "in TOML (--config \"target = 'tf-keras'\"); repeatable")
    files.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    files.add_argument("--exclude", action="append", metavar="GLOB", help="replace the configuration's exclude")
    files.add_argument("--extend-exclude", action="append", metavar="GLOB", help="also exclude these paths")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply excludes and ignore files to paths named explicitly (and --stdin-filename) too")
    files.add_argument("--respect-gitignore", dest="respect_gitignore", action="store_true", default=None,
                       help="skip files ignored by .gitignore, .ignore and git's excludes (the default)")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false")
    files.add_argument("--stdin-filename", metavar="PATH", help="read stdin and report it as PATH")
    run = p.add_argument_group("running")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (1 or more)")
    run.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    run.add_argument("--clean-cache", action="store_true",
                     help=f"delete the results cache ({cache_mod.CACHE_DIR}/ in the project root) and exit")
    run.add_argument("--profile", action="store_true",
                     help="print the time spent per phase and per rule to stderr (bypasses the cache)")
    p.add_argument("--version", action="version", version=f"keras-lint {__version__}")
    return p


@dataclass(frozen=True)
class Job:
    path: str
    mode: str  # "check" | "fix" | "diff"
    settings: Settings
    source: Optional[bytes] = None  # the bytes to lint, if already read (the cache hashed them)
    profile: bool = False  # --profile: time this file's phases and rules


@dataclass
class Outcome:
    result: FileResult
    diff: str = ""
    timings: Optional[Dict[str, Tuple[float, int]]] = None  # --profile: this file's phases and rules


def _settings_for(path: str, cfg: config_mod.Config, unsafe: bool) -> "Settings":
    from .engine import Settings

    return Settings(file_rules(path, cfg), cfg.target, unsafe)


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    shown = escape.one_line(path)  # a newline in a file name must not start a line of its own
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{shown}", tofile=f"b/{shown}"))


def process(job: Job) -> Outcome:
    """Lint (and maybe fix) one file. Never raises: every failure becomes ``result.error``."""
    from .engine import FileResult
    from .notebooks import fix_file, lint_file

    if job.profile:
        return _profiled(job)
    try:
        source, error = (job.source, None) if job.source is not None else read(job.path)
        if error is not None:
            return Outcome(FileResult(job.path, error=error))
        assert source is not None
        if job.mode == "check":
            return Outcome(lint_file(source, job.path, job.settings))
        result = fix_file(source, job.path, job.settings)
        if result.fixed_source is None:
            return Outcome(result)
        if job.mode == "diff":
            return Outcome(result, _unified_diff(job.path, source, result.fixed_source))
        try:
            write_atomically(job.path, result.fixed_source, expected=source)
        except WriteError as exc:
            # nothing was written: report what would have been fixed as still there
            result = lint_file(source, job.path, job.settings)
            result.error, result.fix_failed = str(exc), True
        return Outcome(result)
    except SystemExit:
        if _IN_WORKER:  # SIGTERM: the write in progress has cleaned up; take no further job
            os._exit(128 + signal.SIGTERM)
        raise
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
        return Outcome(FileResult(job.path, error=f"internal error: {type(exc).__name__}: {exc}"))


def _profiled(job: Job) -> Outcome:
    from .engine import FileResult

    profiling.ACTIVE = prof = profiling.Profile()
    try:
        with profiling.phase("read"):
            source, error = (job.source, None) if job.source is not None else read(job.path)
        outcome = process(Job(job.path, job.mode, job.settings, source if error is None else None))
        if error is not None:
            outcome = Outcome(FileResult(job.path, error=error))
    finally:
        profiling.ACTIVE = None
    outcome.timings = prof.as_dict()
    return outcome


def _tune_gc() -> None:
    """LibCST trees are large and acyclic (reference counting frees them), but every node
    allocation counts towards the cyclic collector's next run: with the default thresholds it
    runs thousands of times per file. Fewer, larger generation-0 runs and the start-up objects
    moved out of its way take 10-15% off the time of a parse (measured on the corpus)."""
    import gc

    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def _init_worker(parent: int) -> None:
    """A pool worker dies with the keras-lint process that started it (SIGKILL included): it
    must not go on rewriting files, nor hold the caller's pipes open."""
    isolation.die_with_parent()
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)
    global _IN_WORKER
    _IN_WORKER = True
    # reap this worker's lint helper when it exits: no orphan, and its CPU time is counted
    from multiprocessing import util

    util.Finalize(None, isolation.reset, exitpriority=10)
    signal.signal(signal.SIGTERM, _terminated)  # a write in progress removes its temporary file
    _tune_gc()


_IN_WORKER = False


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def _run_jobs(jobs: List[Job], workers: int, progress=None) -> List[Outcome]:
    if progress is not None:
        progress.add_total(len(jobs))
    if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor  # imported only when needed: start-up time

        try:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(os.getpid(),)) as pool:
                try:
                    results = pool.map(process, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
                    return list(_reporting(results, progress))
                except BaseException as exc:  # SIGTERM, Ctrl-C: the workers stop now, not after the queue
                    if not isinstance(exc, Exception):
                        _stop_workers(pool)
                    raise
        except (OSError, RuntimeError):  # no process support (sandbox): fall back to one process
            pass
    return list(_reporting((process(job) for job in jobs), progress))


def _stop_workers(pool) -> None:
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()  # SIGTERM: a worker's write in progress removes its temporary file
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _reporting(outcomes, progress):
    """Pass outcomes through, advancing the progress line (if any) as each one arrives."""
    for outcome in outcomes:
        if progress is not None:
            progress.advance(len(outcome.result.diagnostics))
        yield outcome


def _rule_command(argv: List[str]) -> int:
    """``keras-lint rule KL401 removed-... KL4 [--all] [--output-format json]``."""
    from .docs import UnknownRule, print_rules

    p = argparse.ArgumentParser(prog="keras-lint rule", description="Print rules' documentation.")
    p.add_argument("rules", nargs="*", metavar="CODE|SLUG|PREFIX")
    p.add_argument("--all", action="store_true", help="every rule")
    p.add_argument("--output-format", choices=("text", "json"), default="text")
    args = p.parse_args(argv)
    if not args.rules and not args.all:
        p.error("name a rule (KL401, a slug, a prefix such as KL4) or pass --all")
    from . import unlintable

    if args.output_format == "text" and [r.upper() for r in args.rules] == [unlintable.CODE]:
        # KL001 is no rule of the registry: always on, no fix
        print(f"# {unlintable.CODE} ({unlintable.NAME})\n\nalways on; no automatic fix\n\n{unlintable.DOCS}")
        return EXIT_CLEAN
    try:
        print_rules([] if args.all else args.rules, args.output_format)
    except UnknownRule as exc:
        print(f"keras-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CLEAN


def _print_rules() -> int:
    from .catalog import RULES

    if os.path.isdir("rules"):
        print("keras-lint: note: 'rules' lists the rules; 'keras-lint check rules' lints the directory",
              file=sys.stderr)
    print(f"{'code':<7}{'name':<40}{'default':<9}fix")
    for code, rule in RULES.items():
        print(f"{code:<7}{rule.name:<40}{'on' if rule.default_enabled else 'opt-in':<9}{rule.fix_safety or '-'}")
    return EXIT_CLEAN


def _printable_streams() -> None:
    """Paths are printed as the OS gave them: an undecodable byte (kept by Python as a lone
    surrogate) or a character the terminal's encoding lacks must not crash the report."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _printable_streams()
    if sys.stdout is None:  # started with stdout closed (``>&-``): no report can be written
        print("keras-lint: error: cannot write the output: standard output is closed", file=sys.stderr)
        return EXIT_ERROR
    old_term = _on_sigterm(_terminated)
    try:
        code = _main(argv)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, not at exit: a full disk must be reported, not a traceback
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): nobody to tell
        _drop_stdout()
        return EXIT_CLEAN
    except OSError as exc:  # writing the report failed (``> /dev/full``)
        _drop_stdout()
        print(f"keras-lint: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        _on_sigterm(old_term)


def _on_sigterm(handler):
    """SIGTERM ends the run through ``SystemExit`` (so a fix being written removes its temporary
    file and the workers are stopped); returns the handler it replaces."""
    if threading.current_thread() is not threading.main_thread() or handler is None:
        return None
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return None


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit cannot fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def _main(argv: List[str]) -> int:
    if argv[:1] == ["rule"]:
        return _rule_command(argv[1:])
    if argv[:1] == ["rules"] and len(argv) == 1:
        return _print_rules()
    if argv[:1] == ["verify"]:
        from .harness import main as verify_main

        return verify_main(argv[1:])
    if argv[:1] == ["check"]:  # the explicit form: `keras-lint check rules` lints a directory named rules
        argv = argv[1:]

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.output_format not in OUTPUT_FORMATS:
        parser.error(f"argument --output-format: invalid choice: {args.output_format!r} "
                     f"(choose from {', '.join(OUTPUT_FORMATS)})")
    if args.jobs < 1:
        parser.error(f"argument -j/--jobs: must be 1 or more, not {args.jobs}")
    _tune_gc()
    try:
        resolver = _resolver(args)
        project = resolver.project_config()
        rules_for(project)  # a bad --select is an error before any file is read
    except (config_mod.ConfigError, ValueError) as exc:  # ValueError: registry.UnknownSelector
        return _usage_error(exc)

    if args.clean_cache:
        removed = cache_mod.clean(project.root)
        print(f"keras-lint: {'removed' if removed else 'no cache at'} {os.path.join(project.root, cache_mod.CACHE_DIR)}",
              file=sys.stderr)
        return EXIT_CLEAN
    if args.show_settings:
        return _show_settings(resolver, args.show_settings)
    mode = "diff" if args.diff else "fix" if args.fix else "check"
    paths = args.paths or (["-"] if args.stdin_filename else ["."])
    if paths == ["-"]:
        return _run_stdin(args, resolver, mode)

    try:
        targets = discover([os.path.normpath(p) for p in paths], resolver.is_excluded, args.force_exclude,
                           lambda path: resolver.config_for(path).respect_gitignore)
        if args.show_files:
            for t in targets:
                print(t.path)
            return EXIT_CLEAN
        jobs = [Job(t.path, mode, _settings_for(t.path, resolver.config_for(t.path), args.unsafe_fixes),
                    profile=args.profile) for t in targets if not t.error]
    except (config_mod.ConfigError, ValueError) as exc:  # a broken pyproject.toml found on the way
        return _usage_error(exc)
    if not targets:
        print(f"keras-lint: warning: no Python files found under {', '.join(paths)}", file=sys.stderr)
    if args.add_noqa:
        from .noqa import add_noqa

        return add_noqa(jobs)
    workers = args.jobs
    started = time.perf_counter()
    from .analysis import project as project_mod  # the project model (imports LibCST: only for runs)

    project_mod.configure(use_cache=mode == "check" and not args.no_cache and not args.profile)
    for job in jobs:  # built once here: worker processes inherit it
        project_mod.model_for(job.path)
    store = None
    if mode == "check" and not args.no_cache and not args.profile:
        # keyed by the current directory's settings (each entry also by its file's rules and target)
        store = cache_mod.open_cache(project.root, [r.code for r in rules_for(project)], project.target,
                                     args.unsafe_fixes)
    from .progress import Progress

    progress = Progress() if Progress.wanted(args.output_format, args.quiet) and not args.output_file else None
    try:
        if store is not None:
            done = iter(cache_mod.run_cached(jobs, store, lambda todo: _run_jobs(todo, workers, progress)))
        else:
            done = iter(_run_jobs(jobs, workers, progress))
    finally:
        if progress is not None:
            progress.close()  # erased before the report
    # report in the order the paths were given / found
    outcomes = [Outcome(_failed(t.path, t.error)) if t.error else next(done) for t in targets]
    if args.profile:
        prof = profiling.Profile()
        for outcome in outcomes:
            prof.merge(outcome.timings or {})
        profiling.write(prof, len(jobs), time.perf_counter() - started, workers, sys.stderr)
    return _report(args, outcomes, mode, context=(
        project.source, lambda path: _settings_for(path, resolver.config_for(path), args.unsafe_fixes)))


def _failed(path: str, error: str) -> "FileResult":
    from .engine import FileResult

    return FileResult(path, error=error)


def _usage_error(exc: Exception) -> int:
    print(f"keras-lint: error: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _resolver(args: argparse.Namespace) -> Resolver:
    """The command line's overrides, and where configuration comes from (hierarchical by default)."""
    cwd = os.getcwd()
    config_file: Optional[Path] = None
    inline = []
    for value in args.config or []:
        if os.path.isfile(value) or value.endswith(".toml") and "=" not in value:
            if config_file is not None:
                raise config_mod.ConfigError("--config: only one configuration file may be given")
            config_file = Path(value)
        else:
            inline.append(config_mod.parse_inline(value))
    ignore = (config_mod.split_codes(args.ignore) or ()) + (config_mod.split_codes(args.extend_ignore) or ())
    overrides = Overrides(
        inline=tuple(inline),
        select=config_mod.split_codes(args.select),
        ignore=ignore,
        extend_select=config_mod.split_codes(args.extend_select) or (),
        per_file_ignores=config_mod.parse_per_file_ignores(args.per_file_ignores or [], cwd),
        exclude=config_mod.anchor_globs(args.exclude, cwd) if args.exclude else None,
        extend_exclude=config_mod.anchor_globs(args.extend_exclude or [], cwd),
        target=args.target,
        respect_gitignore=args.respect_gitignore,
    )
    return Resolver(overrides, config_file=config_file, isolated=args.isolated)


def _show_settings(resolver: Resolver, path: str) -> int:
    import json

    cfg = resolver.config_for(path)
    shown = {"path": path, **cfg.as_dict(), "rules": [r.code for r in file_rules(path, cfg)],
             "excluded": cfg.is_excluded(path)}
    print(json.dumps(shown, indent=2))
    return EXIT_CLEAN


def _run_stdin(args: argparse.Namespace, resolver: Resolver, mode: str) -> int:
    from .notebooks import fix_file, lint_file

    path = args.stdin_filename or "-"
    cfg = resolver.config_for(path if path != "-" else os.path.join(os.getcwd(), "-"))
    try:
        if sys.stdin is None:
            raise OSError("standard input is closed")
        source = sys.stdin.buffer.read()
    except (OSError, ValueError) as exc:
        print(f"keras-lint: error: cannot read stdin: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.force_exclude and path != "-" and (
            cfg.is_excluded(path) or discover([path], resolver.is_excluded, True,
                                              lambda p: cfg.respect_gitignore) == []):
        if mode == "fix":  # a formatter-style caller expects the code back unchanged
            sys.stdout.buffer.write(source)
        return EXIT_CLEAN
    settings = _settings_for(path, cfg, args.unsafe_fixes)
    if mode == "check":
        return _report(args, [Outcome(lint_file(source, path, settings))], mode, sources={path: source},
                       context=(cfg.source, lambda _: settings))
    result = fix_file(source, path, settings)
    if mode == "diff":
        diff = _unified_diff(path, source, result.fixed_source) if result.fixed_source else ""
        return _report(args, [Outcome(result, diff)], mode, sources={path: source}, context=(cfg.source, None))
    # --fix on stdin: the fixed code goes to stdout, the report to stderr (as ruff does)
    fixed = result.fixed_source if result.fixed_source is not None else source
    sys.stdout.buffer.write(fixed)
    sys.stdout.flush()
    return _report(args, [Outcome(result)], mode, stream=sys.stderr, sources={path: fixed}, context=(cfg.source, None))


def _report(args: argparse.Namespace, outcomes: List[Outcome], mode: str, stream=None, sources=None,
            context=(None, None)) -> int:
    """``context``: (the pyproject.toml of the project, for SARIF's %SRCROOT%; the settings a
    path was linted with, for SARIF fixes)."""
    if args.output_file and stream is None:
        try:
            with open(args.output_file, "w", encoding="utf-8", errors="backslashreplace") as fh:
                return _write_report(args, outcomes, mode, fh, sources, context)
        except OSError as exc:
            return _usage_error(config_mod.ConfigError(f"--output-file {args.output_file}: {exc.strerror or exc}"))
    return _write_report(args, outcomes, mode, stream or sys.stdout, sources, context)


def _write_report(args: argparse.Namespace, outcomes: List[Outcome], mode: str, stream, sources=None,
                  context=(None, None)) -> int:
    """Files that could not be linted are KL001 findings; a bug or a fix that was not written is
    one stderr line."""
    from . import output, sarif, unlintable
    from .engine import Diagnostic
    from .registry import all_rules

    diags: List[Diagnostic] = []
    problems: List[Tuple[str, str, str]] = []
    errors = internal = 0
    for outcome in outcomes:
        res = outcome.result
        if res.error:
            errors += 1
            if unlintable.is_internal(res.error) or res.fix_failed:
                internal += unlintable.is_internal(res.error)
                print(output.error_line(res.path, res.error, args.output_format), file=sys.stderr)
                problems.append((res.path, res.error, "error" if unlintable.is_internal(res.error) else "warning"))
            else:
                diags.append(unlintable.as_diagnostic(res.path, res.error))
                problems.append((res.path, res.error, "error"))
        diags.extend(res.diagnostics)
        if outcome.diff:
            stream.write(outcome.diff)
    diags.sort(key=Diagnostic.sort_key)
    remaining = [d for d in diags if not d.fix_applied]
    fixed = any(d.fix_applied for d in diags)
    if internal:
        code = EXIT_ERROR
    elif args.exit_zero:
        code = EXIT_PROBLEMS if args.exit_non_zero_on_fix and fixed else EXIT_CLEAN
    elif mode == "diff":
        code = EXIT_PROBLEMS if any(o.diff for o in outcomes) or errors else EXIT_CLEAN
    else:
        code = EXIT_PROBLEMS if remaining or errors or (args.exit_non_zero_on_fix and fixed) else EXIT_CLEAN
    if mode == "diff":  # the diff owns stdout
        for d in remaining:
            if d.code == unlintable.CODE:
                print(f"{output.where(d)}: {d.code} {d.message}", file=sys.stderr)
        if not args.quiet:
            would = sum(d.fix_applied for d in diags)
            print(f"Would fix {would} problem{'' if would == 1 else 's'}.", file=sys.stderr)
        if args.statistics:
            output.statistics_table(diags, all_rules(), args.unsafe_fixes, sys.stderr)
        return code
    config_source, settings_for = context
    run = output.Run(diags, args.unsafe_fixes, mode == "fix", problems, root=sarif.source_root(config_source),
                     sources=sources or {}, settings_for=settings_for if mode == "check" else None,
                     exit_code=code, with_summary=not args.quiet)
    output.write(args.output_format, run, stream, all_rules(), statistics=args.statistics)
    if args.show_fixes and mode == "fix":
        _show_fixes(diags, all_rules(), stream)
    return code


def _show_fixes(diags: Sequence["Diagnostic"], rules, stream) -> None:
    """``--show-fixes``: per file, how many findings of each rule ``--fix`` fixed (ruff's layout)."""
    from collections import Counter

    per_file: Dict[str, Counter] = {}
    for d in diags:
        if d.fix_applied:
            per_file.setdefault(d.path, Counter())[d.code] += 1
    if not per_file:
        stream.write("No fixes applied.\n")
        return
    total = sum(sum(c.values()) for c in per_file.values())
    stream.write(f"Fixed {total} problem{'' if total == 1 else 's'}:\n")
    for path, counts in per_file.items():
        stream.write(f"- {path}:\n")
        for code, n in sorted(counts.items()):
            stream.write(f"    {n} \u00d7 {code} ({rules[code].name})\n")


if __name__ == "__main__":
    sys.exit(main())
