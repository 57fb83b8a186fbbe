"""`ftlab-harness zerocode TARGET` (also `python -m ftlab_harness.zerocode`): parse, dispatch, print.

    ftlab-harness zerocode collections:deque --ops append,appendleft,pop,popleft,len
    ftlab-harness zerocode 'ftlab._seeded:CheckThenActBank({"a": 2, "b": 0})' --seconds 5
    ftlab-harness zerocode 'io:BytesIO()' --runs 20 --jsonl out/zerocode.jsonl
    ftlab-harness zerocode TARGET --seed 7 --replay-round 123      # regenerate one round's scenario

Exit status (`ftlab_harness.exitcodes`): 0 no finding, 1 a finding (crash, hang, unexpected
exception, not linearizable) or a run that errored, 2 usage error or bad input (target not
importable, factory raises, no usable operation; one line on stderr), 3 nothing was checked (no
round ran). `--junit-xml FILE` writes one testcase per run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path
from typing import NoReturn

from ftlab_harness.cli import positive
from ftlab_harness.exitcodes import EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_NOT_CHECKED
from ftlab_harness.junit import interrupted_rows, write_junit
from ftlab_harness.zerocode.hammer import DEFAULT_TRANSIENT, Config
from ftlab_harness.zerocode.parent import ZeroCodeResult, describe, run_isolated


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _split(values: list[str]) -> list[str]:
    """`a,b(1, 2),c` -> ['a', 'b(1, 2)', 'c'] (commas inside parentheses kept)."""
    out: list[str] = []
    for text in values:
        depth, cur = 0, ""
        for ch in text:
            depth += ch in "([{"
            depth -= ch in ")]}"
            if ch == "," and depth == 0:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        if cur.strip():
            out.append(cur.strip())
    return out


def build_parser() -> _Parser:
    p = _Parser(prog="ftlab-harness zerocode",
                description="hammer any object from many threads; check its histories for linearizability (no code needed)")
    p.add_argument("target", help="module:factory — a callable or a call expression, e.g. 'collections:deque' or 'ftlab:Bank({\"a\": 5})'")
    p.add_argument("--seconds", type=positive(float), default=5.0, help="time for the rounds, after learning (default 5)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: random, printed); with --replay-round, the finding's seed")
    p.add_argument("--threads", type=positive(int), default=4, help="most threads per round (default 4; lincheck rounds use 2..N)")
    p.add_argument("--ops", action="append", default=[], metavar="LIST",
                   help="only these operations: names (discovered, arguments generated) or name(literal args), comma-separated")
    p.add_argument("--exclude", action="append", default=[], metavar="LIST", help="operations to leave out, comma-separated")
    p.add_argument("--normaliser", default=None, metavar="MODULE:FUNC", help="applied to every result before comparing")
    p.add_argument("--transient", action="append", default=[], metavar="TYPE[:TEXT]",
                   help=f"exceptions that are by design under concurrency, anywhere (added to the defaults: {', '.join(DEFAULT_TRANSIENT)}; "
                        "'during iteration' only from composite operations)")
    p.add_argument("--no-default-transients", action="store_true",
                   help="report the default by-design exceptions too (a bug whose only symptom is one of them)")
    p.add_argument("--arg", action="append", default=[], metavar="PARAM=MODULE:FUNC", dest="arg_gens",
                   help="values for every parameter named PARAM: FUNC(random.Random) returns one (repeatable)")
    p.add_argument("--composite", action="append", default=[], metavar="LIST",
                   help="operations that are not atomic (checked for impossible values, not linearizability), comma-separated")
    p.add_argument("--state-key", choices=["auto", "sequence", "pickle"], default="auto",
                   help="how the checker identifies replayed states: auto (pickle only for builtin containers whose pickle is "
                        "their whole state), sequence (always exact), pickle (you assert the pickle is the whole state)")
    p.add_argument("--allow-gil", action="store_true",
                   help="check even if importing the target re-enabled the GIL on a free-threaded build (default: exit 3)")
    p.add_argument("--keep-workdir", action="store_true",
                   help="keep the scratch directory the child ran in (it calls every public method: files it writes land there)")
    p.add_argument("--show-plan", action="store_true",
                   help="print the plan: every operation kept (composite ones with why) and every one dropped, with its reason")
    p.add_argument("--mode", choices=["both", "lincheck", "hammer"], default="both",
                   help="both (default): checked rounds and every 8th a hammer round; lincheck: only checked rounds; "
                        "hammer: only long rounds checked for crashes, hangs and new exception types")
    p.add_argument("--block-timeout", type=positive(float), default=0.25, metavar="S",
                   help="how long a waiting operation (a method with a timeout) waits in a round (default 0.25 s)")
    p.add_argument("--wake-bound", type=positive(float), default=0.1, metavar="S",
                   help="a waiter still waiting this long after it could have been released is a lost_wakeup "
                        "(default 0.1 s; scaled up on a machine that wakes threads late)")
    p.add_argument("--round-timeout", type=positive(float), default=5.0, help="a lincheck round longer than this is a hang (default 5 s)")
    p.add_argument("--learn-seconds", type=positive(float), default=10.0,
                   help="cap on sequential learning time, enforced (default 10 s; operations not tried are listed as dropped)")
    p.add_argument("--replay-round", type=int, default=None, metavar="R", help="rerun only round R's scenario (with --seed)")
    p.add_argument("--runs", type=positive(int), default=1, help="independent runs with seeds seed, seed+1, ... (default 1)")
    p.add_argument("--path", action="append", default=[], metavar="DIR", help="prepend DIR to the child's PYTHONPATH (e.g. a seeded build)")
    p.add_argument("--jsonl", default=None, metavar="FILE", help="append one JSON record per run")
    p.add_argument("--junit-xml", default=None, metavar="FILE", help="write a JUnit XML file, one testcase per run")
    p.add_argument("--quiet", action="store_true", help="one line per run")
    return p


def _arg_gens(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        param, sep, func = spec.partition("=")
        if not sep or ":" not in func or not param.strip():
            raise UsageError(f"--arg {spec!r}: expected PARAM=MODULE:FUNC")
        out[param.strip()] = func.strip()
    return out


def config_from(args: argparse.Namespace, seed: int) -> Config:
    return Config(
        target=args.target, seconds=args.seconds, seed=seed, threads=max(2, args.threads),
        ops=_split(args.ops) or None, exclude=_split(args.exclude), normaliser=args.normaliser,
        transient=list(args.transient), default_transients=not args.no_default_transients, composite=_split(args.composite),
        state_key=args.state_key, allow_gil=args.allow_gil, block_timeout=args.block_timeout, wake_bound=args.wake_bound,
        mode=args.mode, round_timeout=args.round_timeout, arg_gens=_arg_gens(args.arg_gens),
        learn_seconds=args.learn_seconds, replay_round=args.replay_round,
    )


def show_plan(res: ZeroCodeResult) -> str:
    """The plan as a reader wants it: operations kept, composite ones with why, dropped ones with why."""
    plan = res.plan
    if not plan:
        return "  plan: none (the child stopped before learning finished)"
    comp = plan.get("composite", {})
    lines = [f"  plan: {len(plan.get('operations', []))} operations kept"
             + (" (learning truncated at its time cap)" if plan.get("learning_truncated") else "")]
    for name in plan.get("operations", []):
        tags = [t for t, members in (("mutator", plan.get("mutators", [])), ("observer", plan.get("observers", []))) if name in members]
        lines.append(f"    kept    {name}" + (f" [{', '.join(tags)}]" if tags else "")
                     + (f" — composite: {comp[name]}" if name in comp else ""))
    for name, why in sorted(plan.get("excluded", {}).items()):
        lines.append(f"    dropped {name} — {why}")
    if plan.get("results_not_compared"):
        lines.append(f"    results not compared (nondeterministic alone): {', '.join(plan['results_not_compared'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        print(f"ftlab-harness zerocode: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    try:
        _arg_gens(args.arg_gens)
    except UsageError as e:
        print(f"ftlab-harness zerocode: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if ":" not in args.target:
        return scan_module(args, seed)
    records: list[dict] = []
    interrupted = False
    out = None
    if args.jsonl:
        Path(args.jsonl).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.jsonl, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run, closed at its end
    try:
        for k in range(args.runs):
            res = run_isolated(config_from(args, seed + k), args.path, keep_workdir=args.keep_workdir)
            if res.outcome == "bad_input":
                print(f"ftlab-harness zerocode: error: {res.detail}", file=sys.stderr)
                return EXIT_BAD_INPUT
            record = res.to_json()
            records.append(record)
            if out is not None:
                out.write(json.dumps(record) + "\n")
                out.flush()
            print(describe(res, args.quiet), flush=True)
            dropped = res.plan.get("excluded", {}) if res.plan else {}
            if args.show_plan:
                print(show_plan(res), flush=True)
            elif dropped and not args.quiet and k == 0:
                print(f"  dropped {len(dropped)} operation(s): {', '.join(sorted(dropped))} (--show-plan says why)", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("ftlab-harness zerocode: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if out is not None:
            out.close()
        if args.junit_xml and (records or interrupted):
            # Interrupted: the run that was going (and those never started) must not read as passed.
            unfinished = [{"kind": "zerocode", "target": args.target, "seed": seed + k}
                          for k in range(len(records), args.runs)] if interrupted else []
            write_junit(args.junit_xml, records + interrupted_rows(unfinished), suite="ftlab-harness-zerocode")
    if any(r["outcome"] not in ("pass", "skipped") for r in records):
        return EXIT_FINDINGS
    return EXIT_NOT_CHECKED if any(r["outcome"] == "skipped" for r in records) else EXIT_CLEAN


_LIST_CLASSES = """
import inspect, json, sys, importlib
mod = importlib.import_module(sys.argv[1])
out = []
for name, obj in sorted(vars(mod).items()):
    if name.startswith("_") or not inspect.isclass(obj) or issubclass(obj, BaseException):
        continue
    if not (getattr(obj, "__module__", "") or "").split(".")[0] == sys.argv[1].split(".")[0]:
        continue  # imported from elsewhere
    out.append(name)
print(json.dumps(out))
"""


def scan_module(args: argparse.Namespace, seed: int) -> int:
    """`ftlab-harness zerocode MODULE`: every public class of MODULE that constructs with no
    argument, one isolated run each (`--seconds` each), then one table. Classes are listed in a
    child too, so an import that crashes is a one-line error, not the end of the scan."""
    import subprocess

    from ftlab_harness.runner import child_env

    proc = subprocess.run([sys.executable, "-c", _LIST_CLASSES, args.target], capture_output=True, text=True,
                          env=child_env([os.path.abspath(p) for p in args.path] + [os.getcwd()]), timeout=120)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        print(f"ftlab-harness zerocode: error: module {args.target!r} cannot be scanned: {last}", file=sys.stderr)
        return EXIT_BAD_INPUT
    names = json.loads(proc.stdout)
    if not names:
        print(f"ftlab-harness zerocode: error: module {args.target!r} has no public class to check", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"zerocode scan of {args.target}: {len(names)} public classes, {args.seconds:g} s each (seed {seed})", flush=True)
    rows: list[tuple[str, str, str]] = []
    records: list[dict] = []
    out = open(args.jsonl, "a", encoding="utf-8") if args.jsonl else None  # noqa: SIM115 - closed below
    try:
        for name in names:
            args.target = f"{rows_target(args, name)}"
            res = run_isolated(config_from(args, seed), args.path, keep_workdir=args.keep_workdir)
            if res.outcome == "bad_input":
                rows.append((name, "not checked", res.detail.splitlines()[0][:100]))
                continue
            record = res.to_json()
            records.append(record)
            if out is not None:
                out.write(json.dumps(record) + "\n")
                out.flush()
            if res.outcome == "finding":
                rows.append((name, f"FOUND {res.finding_kind}", f"{res.detail.splitlines()[0][:100]} (seed {res.seed}, round {res.round})"))
                print(describe(res, args.quiet), flush=True)
            else:
                prog = res.progress
                rows.append((name, res.outcome, f"{prog.get('rounds', 0)} rounds, {prog.get('calls', 0)} calls"))
    except KeyboardInterrupt:
        print("ftlab-harness zerocode: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if out is not None:
            out.close()
        if args.junit_xml and records:
            write_junit(args.junit_xml, records, suite="ftlab-harness-zerocode")
    width = max(len(r[0]) for r in rows)
    print(f"\n{'class'.ljust(width)}  {'result'.ljust(22)}  detail")
    for name, result, detail in rows:
        print(f"{name.ljust(width)}  {result.ljust(22)}  {detail}")
    if any(r["outcome"] not in ("pass", "skipped") for r in records):
        return EXIT_FINDINGS
    return EXIT_CLEAN if any(r["outcome"] == "pass" for r in records) else EXIT_NOT_CHECKED


def rows_target(args: argparse.Namespace, name: str) -> str:
    module = getattr(args, "scan_module", None) or args.target
    args.scan_module = module
    return f"{module}:{name}()"
