"""`ftlab-harness {run,list,hunt,bench,report}`: the harness's command line (parse, dispatch).

    ftlab-harness list                                  # scenarios, targets, seeded bugs hunted
    ftlab-harness run [--scenario PATTERN]... [--threads N] [--duration S | --iterations K]
                         [--seed N] [--quick] [--jsonl FILE] [--label L] [--allow-gil]
    ftlab-harness run --scenarios path/to/my_scenarios.py       # someone else's extension
    ftlab-harness hunt [--bug NAME]... [--quick] [--compare-pytest]   # seeded-bug detection

Exit status: 0 when every scenario passed (for `hunt`: every bug detected where detection is
required and no false alarm on the clean build), 1 otherwise, 2 on bad input (unknown scenario,
a scenarios file that fails to import, a target that cannot be imported, threads <= 0, ...),
always with a one-line message.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from ftlab_harness import summary
from ftlab_harness.records import base_record, check_targets, child_spec, merge_result, sources_from
from ftlab_harness.loader import BadInput, Source, builtin_sources, file_folders, load, select, split_target
from ftlab_harness.runner import JsonlWriter, default_threads, interpreter_info, preflight, run_child

#: Relative to the working directory: the harness never assumes a checkout.
DEFAULT_RUN_JSONL = Path("out") / "stress" / "results.jsonl"
QUICK_DURATION = 1.0
DEFAULT_DURATION = 5.0


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


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", action="append", metavar="FILE", default=[],
                   help="scenarios file(s) to use instead of the built-in ones (repeatable)")
    p.add_argument("--threads", type=positive_int, default=None,
                   help=f"worker threads per scenario (default: max(4, 2 x cores) = {default_threads()})")
    p.add_argument("--seed", type=int, default=None, help="seed for the operation mixes (default: random, printed)")
    p.add_argument("--label", default=None, help="free-form label stored in every record (the matrix runner's cell)")
    p.add_argument("--jsonl", default=None, metavar="FILE", help="append one JSON record per result to FILE")
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
    lp.add_argument("--scenarios", action="append", metavar="FILE", default=[])

    rp = sub.add_parser("run", help="run scenarios, each in its own child process")
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

    sub.add_parser("bench", help="benchmarks (ftlab's pattern groups); `ftlab-harness bench --help`", add_help=False)
    sub.add_parser("report", help="render report.md/report.html from JSONL results; `ftlab-harness report --help`",
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
                    help="exit 1 unless every bug is detected: all, none, or auto = only when the GIL is off")
    hp.add_argument("--compare-pytest", action="store_true",
                    help="also check each bug with pytest-run-parallel (ftlab_harness/hunt/pytest_twins), side by side")
    hp.add_argument("--pytest-threads", type=positive_int, default=None, metavar="N",
                    help="--parallel-threads for the pytest comparison (default: same as --threads)")
    return ap


def cmd_list(args: argparse.Namespace) -> int:
    found = load(sources_from(args.scenarios))
    rows = [(sc.name, sc.target, ",".join(sc.hunts), summary.short(sc.description, 60)) for sc, _ in found]
    print(summary.table(["scenario", "target", "hunts", "description"], rows))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.duration is None and args.iterations is None:
        args.duration = QUICK_DURATION if args.quick else DEFAULT_DURATION
    hang_timeout = args.hang_timeout or (5.0 if args.quick else 10.0)
    timeout = args.timeout or ((args.duration + 60.0) if args.duration else 300.0)
    threads = args.threads or default_threads()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    sources = sources_from(args.scenarios)
    chosen = select(load(sources), args.scenario)
    targets = {sc.name: args.target or sc.target for sc, _ in chosen}
    probe = check_targets(list(targets.values()), [], tail_paths=file_folders(sources))
    info = interpreter_info()
    jsonl_path = args.jsonl or DEFAULT_RUN_JSONL
    writer = JsonlWriter(jsonl_path)
    gil_state = {None: "unknown", True: "enabled", False: "disabled"}[probe.get("gil_enabled")]
    print(
        f"stress run: {info['interpreter']} ({sys.executable}), GIL {gil_state} after importing the targets"
        + (f", PYTHON_GIL={info['python_gil_env']}" if info["python_gil_env"] is not None else "")
        + f"; {len(chosen)} scenario(s) x {args.repeat}, {threads} threads, "
        + (f"{args.duration:g} s each" if args.duration else f"{args.iterations} iterations/thread")
        + f", seed {seed}; results -> {jsonl_path}",
        flush=True,
    )
    records: list[dict[str, Any]] = []
    progress = summary.Progress(len(chosen) * args.repeat)
    index = 0
    try:
        for repeat in range(args.repeat):
            for sc, source in chosen:
                index += 1
                progress.start(index, sc.name)
                spec = child_spec(source, sc.name, targets[sc.name], threads, seed + repeat, args.switch_interval,
                                  hang_timeout, args.allow_gil, duration=args.duration, iterations=args.iterations)
                started = time.time()
                result = run_child(spec, timeout, [])
                record = base_record(info, args.label)
                record.update(kind="stress-run", scenario=sc.name, target=targets[sc.name], threads=threads,
                              seed=seed + repeat, duration=args.duration, iterations=args.iterations,
                              repeat=repeat, started_at=round(started, 3), executable=info["executable"])
                merge_result(record, result, probe.get("gil_enabled"))
                writer.write(record)
                records.append(record)
                progress.end(record)
    finally:
        writer.close()
    print()
    print(summary.run_summary(records))
    failed = [r for r in records if r["outcome"] != "pass"]
    counts: dict[str, int] = {}
    for r in records:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    print("\n" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + f" (seed {seed})")
    return 1 if failed else 0


#: Subcommands with a parser of their own; `main` hands them the rest of the command line.
DELEGATED = {
    "bench": "ftlab_harness.bench.__main__",
    "report": "ftlab_harness.report.__main__",
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
        return 2
    except KeyboardInterrupt:
        print("ftlab-harness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(1)
