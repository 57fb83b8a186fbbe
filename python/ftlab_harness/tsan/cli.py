"""`ftlab-harness tsan` (or `python -m ftlab_harness.tsan`): argument parsing and dispatch only.

    env     print the shell exports that run a command under TSan (preload + TSAN_OPTIONS)
    run     run any command under TSan (pytest, the stress harness, a script) and report races
    twins   ftlab's seeded twins under TSan: the detection table's TSan column
    clean   the correct build's quick stress pass under TSan, N times (false alarms)
    lane    twins + clean, the step `ci/tsan` runs

Exit status: 0 when every verdict is as expected (run: no unsuppressed report, or per --fail-on),
1 otherwise, 2 on usage or set-up errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from . import env as tsan_env
from . import junit, lanes, session, suppress
from .parse import Target

DEFAULT_TARGET = "ftlab"

#: What `ftlab-harness tsan --help` says (the module docstring is for maintainers).
DESCRIPTION = ("run a command (pytest, `ftlab-harness run`, a script) under ThreadSanitizer and report the data "
               "races in your extension's code: `ftlab-harness tsan run --target mymod -- pytest tests/`. The "
               "extension (and for Python-level races the interpreter) must be built with TSan: docs/tsan.md. "
               "Exit status: 0 no unsuppressed race (see --fail-on), 1 races, 2 usage or set-up error.")

#: The subcommands that check ftlab itself (its seeded twins and its correct build).
LANES = {
    "twins": "ftlab's seeded twins under TSan (the detection table's TSan column)",
    "clean": "ftlab's correct build: the quick stress pass under TSan, N times (false alarms)",
    "lane": "twins + clean: the step ci/tsan runs",
}


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ftlab-harness tsan", description=DESCRIPTION)
    sub = ap.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--target", action="append", default=[], metavar="NAME|PATH",
                       help="the extension whose races count (module name or library path; repeatable; default ftlab)")
        p.add_argument("--source", action="append", default=[], metavar="DIR",
                       help="the target's source root (tells its relative `src/...` frames from its dependencies')")
        p.add_argument("--suppressions", action="append", default=[], metavar="FILE",
                       help="extra suppressions (TSan syntax, a `# reason` line above each entry)")
        p.add_argument("--no-default-suppressions", action="store_true",
                       help="leave out the suppressions shipped with the harness (false positives of stock 3.13t and Rust std)")
        p.add_argument("--jsonl", metavar="FILE", help="append the records (kind tsan / tsan-lane) to FILE")
        p.add_argument("--junit", metavar="FILE", help="write JUnit XML (testsuite `tsan`)")
        p.add_argument("--log-dir", metavar="DIR", help="where TSan writes tsan.<pid> (default: a temp dir)")

    sub.add_parser("env", help="print shell exports for running under TSan").add_argument(
        "--log-dir", default="/tmp/tsan", metavar="DIR", help="where TSan writes tsan.<pid> (default /tmp/tsan)")
    p = sub.add_parser("run", help="run a command under TSan")
    common(p)
    p.add_argument("--fail-on", choices=["any", "target", "none"], default="any",
                   help="exit 1 on any unsuppressed report (default), only on the target's, or never")
    p.add_argument("--timeout", type=float, default=3600.0, metavar="S",
                   help="wall-clock limit for the command (default 3600 s)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    for name, what in LANES.items():
        p = sub.add_parser(name, help=what)
        common(p)
        p.add_argument("--python", default=sys.executable, help="the TSan venv's python (ftlab built with TSan)")
        p.add_argument("--harness", default="ftlab_harness", help="the harness module run as `python -m`")
        p.add_argument("--cwd", default=os.getcwd(), metavar="DIR", help="working directory of the runs (default: here)")
        p.add_argument("--seeded-path", default=None, metavar="DIR",
                       help="folder holding the seeded-bugs build of ftlab (default: $FTLAB_SEEDED_PATH)")
        p.add_argument("--threads", type=int, default=None, metavar="N", help="worker threads per scenario")
        if name in ("twins", "lane"):
            p.add_argument("--bug", action="append", default=[], metavar="NAME",
                           help="only these seeded bugs (repeatable; default all)")
            p.add_argument("--seconds", type=float, default=10.0, help="exposure per twin (cut short at the first report)")
        if name in ("clean", "lane"):
            p.add_argument("--runs", type=int, default=5, metavar="N",
                           help="passes of the clean build's quick stress run (default 5)")
            p.add_argument("--duration", type=float, default=1.0, help="seconds per scenario")
            p.add_argument("--blind-spots", action="store_true",
                           help="run the BLIND_SPOTS scenarios too (an interpreter built with TSan sees their hand-offs)")
    return ap


def _target(args: argparse.Namespace) -> Target:
    return Target.of(args.target or [DEFAULT_TARGET], sources=args.source)


def _suppressions(args: argparse.Namespace) -> list[suppress.Suppression]:
    files = ([] if args.no_default_suppressions else [str(suppress.default_path())]) + args.suppressions
    return [s for f in files for s in suppress.load(f)]


def _write_jsonl(path: str | None, records: list[dict[str, Any]]) -> None:
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a") as f:
        for r in records:
            f.write(json.dumps(r, default=str) + "\n")


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def cmd_env(args: argparse.Namespace) -> int:
    env = tsan_env.tsan_env(args.log_dir, base={})
    print(f"export LD_PRELOAD='{env['LD_PRELOAD']}'")
    print(f"export TSAN_OPTIONS='{env['TSAN_OPTIONS']}'")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        print("tsan run: error: give the command after --", file=sys.stderr)
        return 2
    s = session.run(cmd, _target(args), _suppressions(args), log_dir=args.log_dir, timeout=args.timeout, capture=False)
    records = lanes.finding_records(s, {"mode": "run", "cmd": " ".join(cmd)})
    _write_jsonl(args.jsonl, records + [dict(kind="tsan-lane", mode="run", **s.summary())])
    print(f"\ntsan: {s.summary()}  logs: {s.log_dir}", file=sys.stderr)
    rows = [[("TARGET" if r.in_target else "-"), r.suppressed_by or "-", n, r.headline[:110]] for r, n in s.unique()]
    if rows:
        print(_table(["in target", "suppressed by", "count", "report"], rows), file=sys.stderr)
    bad = s.unique(s.unsuppressed) if args.fail_on == "any" else (
        s.unique(s.target_reports) if args.fail_on == "target" else [])
    if args.junit:
        junit.write(args.junit, [{"name": r.signature, "classname": "tsan.run", "ok": False,
                                  "message": r.headline[:200], "detail": r.text} for r, _ in bad]
                    or [{"name": "no-unsuppressed-races", "classname": "tsan.run", "ok": True}])
    return 1 if bad or s.runtime_errors else 0


def _harness(args: argparse.Namespace) -> lanes.Harness:
    return lanes.Harness(args.python, args.harness, args.cwd, args.seeded_path)


def _print_twins(rows: list[dict[str, Any]]) -> None:
    table = [[r["bug"], "yes" if r.get("tsan") else "no", r.get("tsan_seconds") or "-",
              {True: "yes", False: "no", None: "-"}[r.get("expected")], "ok" if r.get("ok") else "UNEXPECTED",
              {True: "yes", False: "no", None: "(cut short)"}[r.get("invariants")] if "invariants" in r else "-",
              (r.get("frame") or r.get("error") or "-")[:70]] for r in rows]
    print(_table(["bug", "TSan", "seconds", "expected", "verdict", "invariants", "first ftlab frame"], table))


def _twin_cases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": r["bug"], "classname": "tsan.twins", "seconds": r.get("wall_seconds"), "ok": r.get("ok", False),
             "message": f"TSan {'reported' if r.get('tsan') else 'did not report'} {r['bug']} "
                        f"(expected: {r.get('expected')}; {r.get('why', r.get('error'))})",
             "detail": json.dumps(r, indent=1, default=str)} for r in rows]


def _clean_cases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": f"clean-run-{r['run']}", "classname": "tsan.clean", "seconds": r["wall_seconds"], "ok": r["ok"],
             "message": f"{r['unsuppressed']} unsuppressed report(s) on the correct build",
             "detail": "\n".join(r["unsuppressed_headlines"] + r["runtime_errors"])} for r in rows]


def _print_clean(rows: list[dict[str, Any]]) -> None:
    print(_table(["run", "scenarios", "unique reports", "suppressed", "unsuppressed", "in ftlab", "seconds"],
                 [[r["run"], r["scenarios"], r["unique_reports"], r["suppressed"], r["unsuppressed"], r["in_target"],
                   r["wall_seconds"]] for r in rows]))
    for r in rows:
        for h in r["unsuppressed_headlines"]:
            print(f"  run {r['run']}: UNSUPPRESSED {h}")
        if r.get("scenarios_run", r["scenarios"]) < r["scenarios"]:
            print(f"  run {r['run']}: only {r.get('scenarios_run')} of {r['scenarios']} scenarios ran:\n{r.get('output_tail')}")
    if rows and rows[-1]["skipped"]:
        print("not run under TSan (blind spots of the stock-interpreter mode):")
        for name, why in lanes.BLIND_SPOTS.items():
            print(f"  {name}: {why}")


def cmd_lane(args: argparse.Namespace, twins: bool, clean: bool) -> int:
    t0 = time.monotonic()
    root = args.log_dir or lanes.default_log_root()
    os.makedirs(root, exist_ok=True)
    h, target, sups = _harness(args), _target(args), _suppressions(args)
    print(f"tsan: {args.python}, target {target.names + target.paths}, {len(sups)} suppressions, logs {root}",
          flush=True)
    twin_rows: list[dict[str, Any]] = []
    clean_rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    if twins:
        twin_rows, found = lanes.twins(h, target, sups, args.seconds, args.bug or None, root, args.threads)
        records += found + [dict(kind="tsan-lane", **r) for r in twin_rows]
        print("\nseeded twins under TSan (cut short at the first report in ftlab's code)")
        _print_twins(twin_rows)
    if clean:
        clean_rows, found = lanes.clean(h, target, sups, args.runs, root, args.duration, args.threads,
                                        blind_spots=args.blind_spots)
        records += found + [dict(kind="tsan-lane", **r) for r in clean_rows]
        print(f"\ncorrect build, quick stress pass under TSan, {args.runs} run(s)")
        _print_clean(clean_rows)
    _write_jsonl(args.jsonl, records)
    if args.junit:
        junit.write(args.junit, _twin_cases(twin_rows) + _clean_cases(clean_rows))
    ok = all(r.get("ok") for r in twin_rows + clean_rows)
    print(f"\ntsan lane: {'pass' if ok else 'FAIL'} in {time.monotonic() - t0:.0f} s")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "env":
            return cmd_env(args)
        if args.command == "run":
            return cmd_run(args)
        return cmd_lane(args, twins=args.command in ("twins", "lane"), clean=args.command in ("clean", "lane"))
    except (tsan_env.TsanSetupError, suppress.SuppressionError, RuntimeError) as e:
        print(f"tsan: error: {e}", file=sys.stderr)
        return 2
