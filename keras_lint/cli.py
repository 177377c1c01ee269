"""The ``keras-lint`` command: a thin adapter around the engine."""
from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Type

from . import __version__, cache as cache_mod, config as config_mod, output, profiling
from .engine import Diagnostic, FileResult, Settings, fix_source, lint_source
from .files import WriteError, discover, read, write_atomically
from .registry import UnknownSelector, all_rules, enabled_rules
from .rule import Rule

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
PARALLEL_MIN_FILES = 16  # below this a process pool costs more than it saves


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="keras-lint",
        description="Lint Keras/TensorFlow code. Subcommands: 'keras-lint rule CODE' (docs), "
                    "'keras-lint rules' (list), 'keras-lint verify' (runtime harness).",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories ('-' reads stdin); default: .")
    p.add_argument("--select", action="append", metavar="CODES", help="rule codes or prefixes (KL4, KL401, ALL)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="rule codes or prefixes to skip")
    p.add_argument("--extend-select", action="append", metavar="CODES", help="add to the selected rules")
    p.add_argument("--fix", action="store_true", help="apply safe fixes")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    p.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    p.add_argument("--output-format", choices=output.FORMATS, default="text")
    p.add_argument("--statistics", action="store_true", help="count problems per rule")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems remain")
    p.add_argument("--target", choices=config_mod.TARGETS, help="the stack fixes aim at (default keras3)")
    p.add_argument("--stdin-filename", metavar="PATH", help="the path to report for stdin")
    p.add_argument("--config", metavar="PYPROJECT", help="read [tool.keras-lint] from this file")
    p.add_argument("--exclude", action="append", metavar="GLOB", help="also exclude these paths")
    p.add_argument("--force-exclude", action="store_true", help="apply excludes to files named explicitly too")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the results cache")
    p.add_argument("--clean-cache", action="store_true",
                   help=f"delete the results cache ({cache_mod.CACHE_DIR}/ in the project root) and exit")
    p.add_argument("--profile", action="store_true",
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


def _settings_for(path: str, cfg: config_mod.Config, rules: Sequence[Type[Rule]], unsafe: bool) -> Settings:
    ignored = cfg.ignored_for(path)
    chosen = [r for r in rules if not (ignored and r.code.startswith(ignored))]
    return Settings(chosen, cfg.target, unsafe)


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}"))


def process(job: Job) -> Outcome:
    """Lint (and maybe fix) one file. Never raises: every failure becomes ``result.error``."""
    if job.profile:
        return _profiled(job)
    try:
        source, error = (job.source, None) if job.source is not None else read(job.path)
        if error is not None:
            return Outcome(FileResult(job.path, error=error))
        assert source is not None
        if job.mode == "check":
            return Outcome(lint_source(source, job.path, job.settings))
        result = fix_source(source, job.path, job.settings)
        if result.fixed_source is None:
            return Outcome(result)
        if job.mode == "diff":
            return Outcome(result, _unified_diff(job.path, source, result.fixed_source))
        try:
            write_atomically(job.path, result.fixed_source, expected=source)
        except WriteError as exc:
            # nothing was written: report what would have been fixed as still there
            result = lint_source(source, job.path, job.settings)
            result.error = str(exc)
        return Outcome(result)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
        return Outcome(FileResult(job.path, error=f"internal error: {type(exc).__name__}: {exc}"))


def _profiled(job: Job) -> Outcome:
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


def _run_jobs(jobs: List[Job], workers: int) -> List[Outcome]:
    if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor  # imported only when needed: start-up time

        try:
            with ProcessPoolExecutor(max_workers=workers, initializer=_tune_gc) as pool:
                return list(pool.map(process, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
        except (OSError, RuntimeError):  # no process support (sandbox): fall back to one process
            pass
    return [process(job) for job in jobs]


def _print_rule(code: str) -> int:
    rule = all_rules().get(code.upper())
    if rule is None:
        print(f"keras-lint: unknown rule {code!r} (see 'keras-lint rules')", file=sys.stderr)
        return EXIT_ERROR
    default = "on by default" if rule.default_enabled else "opt-in"
    if rule.default_targets:
        default += f" (on by default for --target {', '.join(rule.default_targets)})"
    fix = f"fix: {rule.fix_safety}" if rule.fix_safety else "no automatic fix"
    print(f"# {rule.code} ({rule.name})\n\n{default}; {fix}\n\n{rule.docs()}")
    return EXIT_CLEAN


def _print_rules() -> int:
    print(f"{'code':<7}{'name':<40}{'default':<9}fix")
    for code, rule in all_rules().items():
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
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN


def _main(argv: List[str]) -> int:
    if argv[:1] == ["rule"]:
        if len(argv) != 2:
            print("usage: keras-lint rule CODE", file=sys.stderr)
            return EXIT_ERROR
        return _print_rule(argv[1])
    if argv[:1] == ["rules"]:
        return _print_rules()
    if argv[:1] == ["verify"]:
        from .harness import main as verify_main

        return verify_main(argv[1:])

    args = build_parser().parse_args(argv)
    _tune_gc()
    paths = args.paths or ["."]
    try:
        start = Path(paths[0]).parent if paths[0] != "-" and not os.path.isdir(paths[0]) else Path(
            "." if paths[0] == "-" else paths[0])
        pyproject = Path(args.config) if args.config else config_mod.find_pyproject(start)
        cfg = config_mod.override(
            config_mod.load(pyproject),
            select=config_mod.split_codes(args.select),
            ignore=config_mod.split_codes(args.ignore),
            extend_select=config_mod.split_codes(args.extend_select),
            exclude=tuple(args.exclude) if args.exclude else None,
            target=args.target,
        )
        rules = enabled_rules(cfg.select, cfg.ignore, cfg.extend_select, cfg.target)
    except (config_mod.ConfigError, UnknownSelector) as exc:
        print(f"keras-lint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if args.clean_cache:
        removed = cache_mod.clean(cfg.root)
        print(f"keras-lint: {'removed' if removed else 'no cache at'} {os.path.join(cfg.root, cache_mod.CACHE_DIR)}",
              file=sys.stderr)
        return EXIT_CLEAN
    mode = "diff" if args.diff else "fix" if args.fix else "check"
    if paths == ["-"]:
        return _run_stdin(args, cfg, rules, mode)

    targets = discover([os.path.normpath(p) for p in paths], cfg.is_excluded, force_exclude=args.force_exclude)
    jobs = [Job(t.path, mode, _settings_for(t.path, cfg, rules, args.unsafe_fixes), profile=args.profile)
            for t in targets if not t.error]
    workers = max(1, args.jobs)
    started = time.perf_counter()
    store = None
    if mode == "check" and not args.no_cache and not args.profile:
        store = cache_mod.open_cache(cfg.root, [r.code for r in rules], cfg.target, args.unsafe_fixes)
    if store is not None:
        done = iter(cache_mod.run_cached(jobs, store, lambda todo: _run_jobs(todo, workers)))
    else:
        done = iter(_run_jobs(jobs, workers))
    # report in the order the paths were given / found
    outcomes = [Outcome(FileResult(t.path, error=t.error)) if t.error else next(done) for t in targets]
    if args.profile:
        prof = profiling.Profile()
        for outcome in outcomes:
            prof.merge(outcome.timings or {})
        profiling.write(prof, len(jobs), time.perf_counter() - started, workers, sys.stderr)
    return _report(args, outcomes, mode)


def _run_stdin(args: argparse.Namespace, cfg: config_mod.Config, rules, mode: str) -> int:
    path = args.stdin_filename or "-"
    source = sys.stdin.buffer.read()
    settings = _settings_for(path, cfg, rules, args.unsafe_fixes)
    if mode == "check":
        return _report(args, [Outcome(lint_source(source, path, settings))], mode)
    result = fix_source(source, path, settings)
    if mode == "diff":
        diff = _unified_diff(path, source, result.fixed_source) if result.fixed_source else ""
        return _report(args, [Outcome(result, diff)], mode)
    # --fix on stdin: the fixed code goes to stdout, the report to stderr (as ruff does)
    sys.stdout.buffer.write(result.fixed_source if result.fixed_source is not None else source)
    sys.stdout.flush()
    return _report(args, [Outcome(result)], mode, stream=sys.stderr)


def _report(args: argparse.Namespace, outcomes: List[Outcome], mode: str, stream=None) -> int:
    stream = stream or sys.stdout
    diags: List[Diagnostic] = []
    errors = internal = 0
    for outcome in outcomes:
        res = outcome.result
        if res.error:
            errors += 1
            internal += res.error.startswith("internal error")
            print(f"{res.path}: error: {res.error}", file=sys.stderr)
        diags.extend(res.diagnostics)
        if outcome.diff:
            stream.write(outcome.diff)
    diags.sort(key=Diagnostic.sort_key)
    if mode == "diff":
        would = sum(d.fix_applied for d in diags)
        print(f"Would fix {would} problem{'' if would == 1 else 's'}.", file=sys.stderr)
    else:
        output.write(args.output_format, diags, stream, all_rules(), args.unsafe_fixes, fix_mode=(mode == "fix"))
    if args.statistics:
        output.statistics(diags, all_rules(), args.unsafe_fixes, stream)
    if internal:
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    remaining = [d for d in diags if not d.fix_applied]
    if mode == "diff":
        return EXIT_PROBLEMS if any(o.diff for o in outcomes) or errors else EXIT_CLEAN
    return EXIT_PROBLEMS if remaining or errors else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
