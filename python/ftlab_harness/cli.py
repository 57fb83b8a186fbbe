"""`ftlab-harness {run,list,hunt,bench,report}`: the harness's command line (parse, dispatch).

    ftlab-harness list                                  # scenarios, targets, seeded bugs hunted
    ftlab-harness run [--scenario PATTERN]... [--threads N] [--duration S | --iterations K]
                         [--seed N] [--quick] [--jsonl FILE] [--label L] [--allow-gil]
    ftlab-harness run --scenarios path/to/my_scenarios.py       # someone else's extension
    ftlab-harness hunt [--bug NAME]... [--quick] [--compare-pytest] [--no-zerocode]   # seeded-bug detection
    ftlab-harness zerocode MODULE:FACTORY [--seconds S] [--ops LIST]  # no code: hammer + linearizability
    ftlab-harness tsan run --target MODULE -- CMD...  # a command under ThreadSanitizer, races reported
    ftlab-harness report --results FILE --out DIR   # report.md + report.html from the JSONL records

Exit status (`ftlab_harness.exitcodes`): 0 clean, 1 findings, 2 bad input (always with a one-line
message), 3 nothing was checked (every scenario skipped or did no work, or the GIL guard refused the
target). The work itself lives in `ftlab_harness.run` and `ftlab_harness.hunt`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from typing import Callable, NoReturn, TypeVar

from ftlab_harness.exitcodes import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from ftlab_harness.loader import BadInput, load, sources_from
from ftlab_harness.runner import default_threads

RUN_EPILOG = "exit status: 0 clean, 1 findings, 2 bad input, 3 nothing checked (all skipped / no work / GIL guard)"

QUICK_DURATION = 1.0
DEFAULT_DURATION = 5.0

T = TypeVar("T")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise BadInput(message)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def positive(kind: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type`: `kind(text)` (float, int, ...), which must be > 0 (NaN is not)."""

    def parse(text: str) -> T:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:  # type: ignore[operator]
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


positive_float = positive(float)


def output_file(text: str) -> str:
    """An output path whose folder exists (or can be created) and is writable, and that is not a folder."""
    path = os.path.abspath(text)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{text} is a directory")
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: {parent} is not a writable directory")
    return text


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", action="append", metavar="FILE", default=[],
                   help="scenarios file(s) to use instead of the built-in ones (repeatable)")
    p.add_argument("--threads", type=positive_int, default=None,
                   help=f"worker threads per scenario (default: max(4, 2 x cores) = {default_threads()})")
    p.add_argument("--seed", type=int, default=None, help="seed for the operation mixes (default: random, printed)")
    p.add_argument("--label", default=None, help="free-form label stored in every record (the matrix runner's cell)")
    p.add_argument("--jsonl", type=output_file, default=None, metavar="FILE", help="append one JSON record per result to FILE")
    p.add_argument("--junit-xml", type=output_file, default=None, metavar="FILE", dest="junit_xml",
                   help="also write a JUnit XML file: one testcase per scenario run (hunt: per bug / clean check)")
    p.add_argument("--allow-gil", action="store_true",
                   help="on a free-threaded interpreter, run even if importing the target re-enabled the GIL")
    p.add_argument("--switch-interval", type=positive_float, default=1e-6, metavar="S",
                   help="sys.setswitchinterval in children running with the GIL (default 1e-6)")
    p.add_argument("--quick", action="store_true", help="short mode for the test command")


def build_parser() -> _Parser:
    ap = _Parser(prog="ftlab-harness", description="stress, hunt and benchmark extensions on free-threaded Python (see the README)")
    sub = ap.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    lp = sub.add_parser("list", help="list the scenarios")
    lp.add_argument("--scenarios", action="append", metavar="FILE", default=[],
                    help="list the scenarios of these files instead of the built-in ones (repeatable)")

    rp = sub.add_parser("run", help="run scenarios, each in its own child process", epilog=RUN_EPILOG)
    add_common(rp)
    rp.add_argument("--scenario", action="append", metavar="PATTERN", default=[],
                    help="run only matching scenarios: a name, a pattern prefix (`counter`) or a glob (repeatable)")
    rp.add_argument("--target", default=None, metavar="SPEC",
                    help="run the selected scenarios against this target instead (`module` or `module:Attr`)")
    rp.add_argument("--duration", type=positive_float, default=None, metavar="S",
                    help=f"seconds per scenario (default {DEFAULT_DURATION}, --quick {QUICK_DURATION})")
    rp.add_argument("--iterations", type=positive_int, default=None, metavar="K",
                    help="operations per thread (without --duration: no time limit)")
    rp.add_argument("--timeout", type=positive_float, default=None, metavar="S",
                    help="wall-clock limit per scenario child (default: duration + 60 s, or 300 s)")
    rp.add_argument("--hang-timeout", type=positive_float, default=None, metavar="S",
                    help="a worker without progress this long is a hang (default 10 s, --quick 5 s)")
    rp.add_argument("--repeat", type=positive_int, default=1, metavar="N", help="run the selection N times")
    rp.add_argument("--tsan", action="store_true",
                    help="run every child under ThreadSanitizer (the target built with it: docs/tsan.md); "
                         "races become records of their own (kind tsan) and fail the run when in the target's code")
    rp.add_argument("--tsan-target", action="append", default=[], metavar="NAME|PATH",
                    help="whose races count (default: the targets' modules)")
    rp.add_argument("--tsan-source", action="append", default=[], metavar="DIR",
                    help="the target's source root (tells its relative frames from its dependencies')")
    rp.add_argument("--tsan-suppressions", action="append", default=[], metavar="FILE",
                    help="extra suppressions (never hide a race in the target's code)")

    sub.add_parser("zerocode", help="hammer any object and check its histories for linearizability, no code needed; "
                   "`ftlab-harness zerocode --help`", add_help=False)
    sub.add_parser("bench", help="benchmarks (ftlab's pattern groups); `ftlab-harness bench --help`", add_help=False)
    sub.add_parser("report", help="render report.md/report.html from JSONL results; `ftlab-harness report --help`",
                   add_help=False)
    sub.add_parser("tsan", help="run a command (pytest, `ftlab-harness run`, a script) under ThreadSanitizer and "
                   "report the data races in your extension's code (docs/tsan.md); `ftlab-harness tsan --help`",
                   add_help=False)
    hp = sub.add_parser("hunt", help="run each seeded bug's scenario against ftlab._seeded until detection")
    add_common(hp)
    hp.add_argument("--bug", action="append", metavar="NAME", default=[], help="hunt only these bugs (repeatable)")
    hp.add_argument("--seeded-path", default=None, metavar="DIR",
                    help="folder holding the seeded-bugs build of ftlab (default: $FTLAB_SEEDED_PATH, else <venv>/seeded)")
    hp.add_argument("--cap", type=positive_float, default=None, metavar="S",
                    help="time cap per bug (default 30 s, --quick 20 s)")
    hp.add_argument("--round", type=positive_float, default=0.25, metavar="S", dest="round_seconds",
                    help="length of one round; rounds repeat with fresh state until detection (default 0.25 s)")
    hp.add_argument("--hang-timeout", type=positive_float, default=2.0, metavar="S",
                    help="no progress this long counts as a deadlock (default 2 s)")
    hp.add_argument("--clean-seconds", type=positive_float, default=None, metavar="S",
                    help="time per scenario for the clean-build false-alarm check (default 5 s, --quick 2 s)")
    hp.add_argument("--no-clean", action="store_true", help="skip the clean-build false-alarm check")
    hp.add_argument("--require", choices=["all", "none", "auto"], default="auto",
                    help="exit 1 unless every bug is detected: all, none, or auto = all with the GIL off, "
                         "with it on those in ftlab._seeded.GIL_PROOF (bugs no GIL hides)")
    hp.add_argument("--compare-pytest", action="store_true",
                    help="also check each bug with pytest-run-parallel (ftlab_harness/hunt/pytest_twins), side by side")
    hp.add_argument("--zerocode-seconds", type=positive_float, default=None, metavar="S",
                    help="seconds of zero-code rounds per twin, no invariant (default 10 s, --quick 3 s; "
                         "stops at the first finding)")
    hp.add_argument("--no-zerocode", action="store_true", help="leave out the zero-code run of each twin")
    hp.add_argument("--pytest-threads", type=positive_int, default=None, metavar="N",
                    help="--parallel-threads for the pytest comparison (default: same as --threads)")
    return ap


def cmd_list(args: argparse.Namespace) -> int:
    from ftlab_harness import summary

    found = load(sources_from(args.scenarios))
    rows = [(sc.name, sc.target or "-", ",".join(sc.hunts), summary.short(sc.description, 60)) for sc, _ in found]
    print(summary.table(["scenario", "target", "hunts", "description"], rows))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ftlab_harness.run import RunOptions, run_scenarios

    if args.duration is None and args.iterations is None:
        args.duration = QUICK_DURATION if args.quick else DEFAULT_DURATION
    options = RunOptions(
        scenario_files=tuple(args.scenarios),
        patterns=tuple(args.scenario),
        target=args.target,
        threads=args.threads or default_threads(),
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31),
        duration=args.duration,
        iterations=args.iterations,
        hang_timeout=args.hang_timeout or (5.0 if args.quick else 10.0),
        timeout=args.timeout or ((args.duration + 60.0) if args.duration else 300.0),
        switch_interval=args.switch_interval,
        allow_gil=args.allow_gil,
        repeat=args.repeat,
        label=args.label,
        jsonl=args.jsonl,
        junit_xml=args.junit_xml,
        tsan=args.tsan,
        tsan_targets=tuple(args.tsan_target),
        tsan_sources=tuple(args.tsan_source),
        tsan_suppressions=tuple(args.tsan_suppressions),
    )
    return run_scenarios(options).status


#: Subcommands with a parser of their own; `main` hands them the rest of the command line.
DELEGATED = {
    "zerocode": "ftlab_harness.zerocode.cli",
    "bench": "ftlab_harness.bench.__main__",
    "report": "ftlab_harness.report.__main__",
    "tsan": "ftlab_harness.tsan.cli",
}


def main(argv: list[str] | None = None) -> int:
    """The `ftlab-harness` console script (and `python -m ftlab_harness`): parse and dispatch."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        import importlib

        module = importlib.import_module(DELEGATED[argv[0]])
        return int(module.main(argv[1:]) or 0)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "run":
            return cmd_run(args)
        from ftlab_harness.hunt import cmd_hunt

        return cmd_hunt(args)
    except BadInput as e:
        print(f"ftlab-harness: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ftlab-harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os._exit(1)
