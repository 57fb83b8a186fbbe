"""``ftlab-harness bench``: run ftlab's benchmark groups on this interpreter, append JSONL records.

Usage (from the repo root, with the interpreter whose venv has ftlab installed):

    ftlab-harness bench --label 3.13t --jsonl out/bench-3.13t.jsonl          # all groups
    ftlab-harness bench --label 3.13t --quick                                  # threads 1 and cores only
    ftlab-harness bench --only immutability,counters --reps 7
    ftlab-harness bench --list

Each group's records are appended to ``--jsonl`` as soon as the group finishes (so a crash
loses at most the running group) and summarised on stdout. Exit status: 0 when every group
ran (skipped cases are not failures), 1 when a group raised, 2 on bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from typing import List, NoReturn, Optional

from . import counters, detach, hammer_rate, harness, immutability, patterns, wordcount
from .context import Context

GROUPS = {m.NAME: m for m in (patterns, counters, immutability, wordcount, detach, hammer_rate)}


def _fmt(rec: dict) -> str:
    status = rec.get("status")
    if status != "ok":
        return f"  {rec['group']:13} {rec['case']:42} {status}: {rec.get('detail', '')}"
    if "speedup_vs_counter" in rec:
        return (f"  {rec['group']:13} {rec['case']:42} {rec['seconds'] * 1e3:8.1f} ms  "
                f"x{rec['speedup_vs_counter']:.2f} vs Counter (calibration x{rec['calibration_scaling']:.2f})")
    if "relative_to_bare_loop" in rec:
        return (f"  {rec['group']:13} {rec['case']:42} {rec['threads']:2d} thr {rec['ops_per_s']:12.0f} ops/s  "
                f"x{rec['relative_to_bare_loop']:.2f} of the bare loop (calibration {rec['calibration_ops_per_s']:.0f}/s, "
                f"scaling x{rec['calibration_scaling']:.2f})")
    if "relative_speed" in rec:
        return f"  {rec['group']:13} {rec['case']:42} speed x{rec['relative_speed']:.2f} of alone"
    return (f"  {rec['group']:13} {rec['case']:42} {rec['threads']:2d} thr {rec['ops_per_s']:12.0f} ops/s  "
            f"scaling x{rec['scaling']:.2f} (calibration x{rec['calibration_scaling']:.2f})  "
            f"ops/CPU-s x{rec['cpu_efficiency']:.2f} (calibration x{rec['calibration_cpu_efficiency']:.2f})")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _threads(text: str) -> List[int]:
    return harness.counts_arg(text, "thread")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        print(f"bench: error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: Optional[List[str]] = None) -> int:
    ap = _Parser(prog="ftlab-harness bench", description=__doc__.split("\n")[0])
    ap.add_argument("--label", default=None, help="configuration label recorded with every result (default: derived)")
    ap.add_argument("--jsonl", default=None, help="append records to this file")
    ap.add_argument("--quick", action="store_true", help="short measurements, threads 1 and cores (a smoke test)")
    ap.add_argument("--only", default="", help=f"comma-separated groups (of: {', '.join(GROUPS)})")
    ap.add_argument("--reps", type=_positive_int, default=5, help="repetitions per cell (median taken; >= 5 advised)")
    ap.add_argument("--threads", type=_threads, default=None, help="comma-separated thread counts (default 1..2 x cores)")
    ap.add_argument("--target-seconds", type=float, default=None, help="single-thread seconds per measurement")
    ap.add_argument("--list", action="store_true", help="list the groups and exit")
    args = ap.parse_args(argv)
    if args.list:
        for name, mod in GROUPS.items():
            print(f"{name:13} {mod.DESCRIPTION}")
        return 0
    only = [g.strip() for g in args.only.split(",") if g.strip()] or list(GROUPS)
    unknown = [g for g in only if g not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s) {', '.join(unknown)} (known: {', '.join(GROUPS)})")
    if args.target_seconds is not None and not (args.target_seconds > 0 and math.isfinite(args.target_seconds)):
        ap.error(f"--target-seconds must be a positive number, got {args.target_seconds}")
    if args.jsonl:
        parent = os.path.dirname(os.path.abspath(args.jsonl))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            ap.error(f"cannot write --jsonl {args.jsonl}: {parent} is not a writable directory")

    ftlab, ftlab_error = None, ""
    try:
        ftlab = importlib.import_module("ftlab")
    except ImportError as e:
        ftlab_error = f"ftlab is not importable here ({e})"
    base = harness.interpreter_record("")
    default_label = base["version"].rsplit(".", 1)[0]
    if base["free_threaded"]:
        default_label += "t+gil" if base["gil_enabled"] else "t"
    label = args.label or default_label
    ctx = Context(
        label=label,
        quick=args.quick,
        reps=args.reps,
        target_seconds=args.target_seconds or (0.03 if args.quick else 0.12),
        threads=args.threads or harness.thread_counts(args.quick),
        ftlab=ftlab,
        ftlab_error=ftlab_error,
    )
    ctx.say(f"{sys.executable} {ctx.base['version']} free_threaded={ctx.base['free_threaded']} "
            f"gil_enabled={ctx.base['gil_enabled']} cores={ctx.base['cores']} threads={ctx.threads}")
    if ftlab_error:
        ctx.say(ftlab_error + "; ftlab cases are skipped")
    rc = 0
    for name in only:
        t0 = time.monotonic()
        try:
            records = GROUPS[name].run(ctx)
        except Exception as e:
            records = [ctx.record(name, "*", status="error", detail=f"{type(e).__name__}: {e}")]
            rc = 1
        for rec in records:
            rec.setdefault("group_seconds", round(time.monotonic() - t0, 2))
        if args.jsonl:
            with open(args.jsonl, "a") as fh:
                for rec in records:
                    fh.write(json.dumps(rec) + "\n")
        print(f"{name} ({time.monotonic() - t0:.0f} s): {GROUPS[name].DESCRIPTION}", flush=True)
        for rec in records:
            if rec.get("status") != "ok" or rec.get("threads") in (None, 1, max(ctx.threads)):
                print(_fmt(rec), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
