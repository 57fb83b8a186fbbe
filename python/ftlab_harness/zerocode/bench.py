"""`python -m ftlab_harness.zerocode.bench`: how long the checker takes per round (goal: < 10 ms).

Records `--rounds` real concurrent rounds of exactly `--threads` x `--ops` operations on `--target`
(by default a deque used at both ends, stdlib, so it runs on any interpreter), then times
`lincheck.check` on each recorded history, pinned to one CPU when the OS allows it. Two figures:
"cold" with a fresh `Replayer` per history (no transition cache: the worst case), and "warm" with
one `Replayer` for all histories (how a run uses it). Prints mean, p50, p99 and max in ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

import ftlab_harness.zerocode.lincheck as lincheck
from ftlab_harness.zerocode.hammer import _Pool, learn, load_target
from ftlab_harness.zerocode.history import Call
from ftlab_harness.zerocode.ops import Values, discover, make_apply


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ftlab_harness.zerocode.bench", description=__doc__.splitlines()[0])
    p.add_argument("--target", default="collections:deque")
    p.add_argument("--ops-list", default="append,appendleft,pop,popleft,len", help="operations (comma-separated; '' = all)")
    p.add_argument("--threads", type=int, default=3)
    p.add_argument("--ops", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    factory, literals = load_target(args.target)
    values = Values()
    values.harvest(literals)
    apply = make_apply()
    include = [x for x in args.ops_list.split(",") if x] or None
    plan = learn(factory, discover(factory(), include=include), values, apply, random.Random(args.seed), 3.0)
    pool = _Pool(args.threads, None)
    histories: list[list[Call]] = []
    for r in range(args.rounds):
        rng = random.Random(args.seed * 1_000_003 + r)
        scripts = [[rng.choice(plan.templates).make(rng, values) for _ in range(args.ops)] for _ in range(args.threads)]
        calls = pool.run(factory(), scripts, 10.0, rng)
        if calls is None:
            print("a round hung; pick another target", file=sys.stderr)
            return 1
        histories.append(calls)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"checker benchmark: {args.target} ops {include or 'all'}, {args.rounds} recorded rounds of "
          f"{args.threads} threads x {args.ops} operations, {sys.implementation.name} {sys.version.split()[0]}"
          f"{' (free-threaded)' if not getattr(sys, '_is_gil_enabled', lambda: True)() else ''}, one CPU")
    for label, shared in (("cold (fresh Replayer per history)", False), ("warm (one Replayer, as in a run)", True)):
        rep = lincheck.Replayer(factory, apply)
        times = []
        verdicts = {True: 0, False: 0, None: 0}
        for calls in histories:
            if not shared:
                rep = lincheck.Replayer(factory, apply)
            t0 = time.perf_counter()
            v = lincheck.check(calls, rep)
            times.append((time.perf_counter() - t0) * 1e3)
            verdicts[v.linearizable] += 1
        times.sort()
        print(f"  {label}: mean {statistics.mean(times):.3f} ms, p50 {times[len(times) // 2]:.3f}, "
              f"p99 {times[int(len(times) * 0.99)]:.3f}, max {times[-1]:.3f} ms; verdicts linearizable {verdicts[True]}, "
              f"not {verdicts[False]}, undecided {verdicts[None]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
